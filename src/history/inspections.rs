//! The newest inspection of each record (`veriff::inspect::Inspection`, schema V6): kept so
//! that a session's details open offline, with the time they were fetched.

use super::*;
use crate::veriff::inspect::Inspection;

impl Store {
    /// Keeps `inspection` as the newest of record `record_id`, replacing an older one.
    pub fn save_inspection(
        &self,
        record_id: i64,
        inspection: &Inspection,
    ) -> Result<(), StoreError> {
        self.writable()?;
        let json = serde_json::to_string(inspection)
            .map_err(|e| StoreError::Sqlite(format!("the inspection could not be encoded: {e}")))?;
        if let Some(pg) = self.pg() {
            return pg.save_inspection(record_id, to_ms(inspection.fetched_at), &json);
        }
        self.conn
            .execute(
                "INSERT INTO inspections (record_id, fetched_at, json) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (record_id) DO UPDATE SET fetched_at = ?2, json = ?3",
                params![record_id, to_ms(inspection.fetched_at), json],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// The newest inspection of record `record_id`, if any. One that no longer reads (a
    /// file written by another version, or by anything) is as good as none.
    pub fn inspection(&self, record_id: i64) -> Result<Option<Inspection>, StoreError> {
        let json: Option<String> = if let Some(pg) = self.pg() {
            pg.inspection_json(record_id)?
        } else {
            self.conn
                .query_row(
                    "SELECT json FROM inspections WHERE record_id = ?",
                    [record_id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|e| self.err(e))?
        };
        Ok(
            json.and_then(|j| match serde_json::from_str::<Inspection>(&j) {
                Ok(mut i) => {
                    i.make_safe();
                    Some(i)
                }
                Err(e) => {
                    tracing::warn!(record_id, "a stored inspection does not read: {e}");
                    None
                }
            }),
        )
    }
}
