//! The change log on PostgreSQL (`history::changes` decides what to make of it).

use super::PgStore;
use crate::history::StoreError;

/// One entry: its number, the record, the record's status before the write.
pub(crate) type ChangeRow = (i64, i64, Option<String>);

impl PgStore {
    /// The newest entry's number (0: none yet).
    pub(crate) fn last_change(&self) -> Result<i64, StoreError> {
        self.run(|c| {
            c.query_one("SELECT COALESCE(max(seq), 0)::bigint FROM changes", &[])
                .map(|r| r.get(0))
        })
    }

    /// The oldest entry kept, and up to `limit` entries after `after` written by other
    /// connections than this one.
    pub(crate) fn change_rows(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<(Option<i64>, Vec<ChangeRow>), StoreError> {
        self.run(move |c| {
            let oldest: Option<i64> = c.query_one("SELECT min(seq) FROM changes", &[])?.get(0);
            let rows = c
                .query(
                    "SELECT seq, record_id, status_before FROM changes \
                     WHERE seq > $1 AND writer <> pg_backend_pid() ORDER BY seq LIMIT $2",
                    &[&after, &limit],
                )?
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2)))
                .collect();
            Ok((oldest, rows))
        })
    }
}
