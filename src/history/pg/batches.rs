//! Batches (`generate --batch`) on the shared history, as `batches.rs` keeps them in
//! SQLite: which rows of a batch have a session, so that a run started again, on this
//! machine or another operator's, sends only the rest and never makes a session twice.
//!
//! SQLite makes two runs of a batch take turns by its one writer (`BEGIN IMMEDIATE`). Here
//! many connections write at once, so the row itself is the turn: `record_batch_intent`
//! makes sure the row exists, then locks it (`SELECT … FOR UPDATE`) and reads its state
//! under that lock, and writes the intent and the row in that same transaction. A second
//! run asking for the row waits for the first's commit, then reads the intent it wrote and
//! is refused. Schema: `V4` in `schema.rs`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use postgres::GenericClient;

use super::*;
use crate::history::batches::{CREATED, UNKNOWN, row_state, summary, taken};
use crate::history::{BatchSummary, BatchTag, MAX_CHECK_ERROR_CHARS, NewIntent, RowState, to_ms};
use crate::veriff::SessionStatus;

/// A batch's rows are kept here, on the server (what lets a run again skip the rows
/// already made), so unlike a single link a batch cannot wait in the local file while the
/// server is away: the calls that start sending one say so, with what to do, where
/// "cannot be reached" says what becomes of single links.
fn batch_waits_not(e: StoreError) -> StoreError {
    match e {
        StoreError::Unreachable { url, detail, .. } => StoreError::Unreachable {
            url,
            detail,
            meanwhile: ". A batch's rows are kept on the shared history, so run it again once the server is back (it skips the rows already made); a single link made meanwhile waits in the local file".into(),
        },
        e => e,
    }
}

impl PgStore {
    pub(crate) fn batch_id(&self, name: &str, create: bool) -> Result<Option<i64>, StoreError> {
        let now = to_ms(Utc::now());
        self.run(|c| {
            if create {
                c.execute(
                    "INSERT INTO batches (name, created_at) VALUES ($1, $2) \
                     ON CONFLICT (name) DO NOTHING",
                    &[&name, &now],
                )?;
            }
            c.query_opt("SELECT id FROM batches WHERE name = $1", &[&name])?
                .map(|r| r.try_get(0))
                .transpose()
        })
        .map_err(batch_waits_not)
    }

    pub(crate) fn batch_states(
        &self,
        batch_id: i64,
        keys: &[String],
    ) -> Result<HashMap<String, RowState>, StoreError> {
        type Row = (
            String,
            Option<i64>,
            Option<i64>,
            Option<String>,
            Option<String>,
        );
        let (rows, mut records): (Vec<Row>, HashMap<i64, Record>) = self
            .run(|c| {
                let rows = c
                    .query(
                        "SELECT row_key, intent_id, record_id, outcome, error FROM batch_rows \
                     WHERE batch_id = $1 AND row_key = ANY($2)",
                        &[&batch_id, &keys],
                    )?
                    .iter()
                    .map(|r| {
                        Ok((
                            r.try_get(0)?,
                            r.try_get(1)?,
                            r.try_get(2)?,
                            r.try_get(3)?,
                            r.try_get(4)?,
                        ))
                    })
                    .collect::<Result<Vec<Row>, postgres::Error>>()?;
                let ids: Vec<i64> = rows.iter().filter_map(|r| r.2).collect();
                let records = c
                    .query(
                        &format!("SELECT {} FROM sessions WHERE id = ANY($1)", columns()),
                        &[&ids],
                    )?
                    .iter()
                    .map(|r| row_to_record(r).map(|rec| (rec.id, rec)))
                    .collect::<Result<HashMap<i64, Record>, postgres::Error>>()?;
                Ok((rows, records))
            })
            .map_err(batch_waits_not)?;
        Ok(rows
            .into_iter()
            .map(|(key, intent, record, outcome, error)| {
                let record = record.and_then(|id| records.remove(&id)).map(Box::new);
                let state = row_state(intent, outcome.as_deref(), error, record);
                (key, state)
            })
            .collect())
    }

    pub(crate) fn record_batch_intent(
        &self,
        new: &NewIntent<'_>,
        tag: &BatchTag,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let (operator, machine) = (self.operator.as_str(), self.machine.as_str());
        let line = i64::try_from(tag.line).unwrap_or(i64::MAX);
        let now_ms = to_ms(now);
        let outcome = self
            .run(|c| {
                let mut tx = c.transaction()?;
                // The row first (a new one holds no intent and no outcome), so that there is
                // always a row to lock: two runs meeting a new row wait here for each other.
                tx.execute(
                    "INSERT INTO batch_rows (batch_id, row_key, line, updated_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (batch_id, row_key) DO NOTHING",
                    &[&tag.batch_id, &tag.row_key, &line, &now_ms],
                )?;
                let prior = tx.query_one(
                    "SELECT intent_id, outcome FROM batch_rows \
                 WHERE batch_id = $1 AND row_key = $2 FOR UPDATE",
                    &[&tag.batch_id, &tag.row_key],
                )?;
                let prior = (prior.try_get(0)?, prior.try_get(1)?);
                if let Some(why) = taken(Some(prior), tag.resend_unknown) {
                    // Dropped unfinished: rolled back, the row as it was.
                    return Ok(Err(why));
                }
                let id = super::write::insert_intent(&mut tx, new, now, operator, machine)?;
                tx.execute(
                    "UPDATE batch_rows SET line = $3, intent_id = $4, updated_at = $5 \
                 WHERE batch_id = $1 AND row_key = $2",
                    &[&tag.batch_id, &tag.row_key, &line, &id, &now_ms],
                )?;
                tx.commit()?;
                Ok(Ok(id))
            })
            .map_err(batch_waits_not)?;
        outcome
            .map_err(|why| self.shared(format!("line {} {why}; it was not sent again", tag.line)))
    }

    pub(crate) fn batch_row_failed(
        &self,
        batch_id: i64,
        row_key: &str,
        error: &str,
    ) -> Result<(), StoreError> {
        let error: String = error.chars().take(MAX_CHECK_ERROR_CHARS).collect();
        let now = to_ms(Utc::now());
        self.run(|c| {
            c.execute(
                "UPDATE batch_rows SET error = $1, updated_at = $2 \
                 WHERE batch_id = $3 AND row_key = $4 AND outcome IS NULL",
                &[&error, &now, &batch_id, &row_key],
            )
            .map(drop)
        })
    }

    pub(crate) fn batch_row_retry(&self, batch_id: i64, row_key: &str) -> Result<(), StoreError> {
        self.run(|c| {
            let mut tx = c.transaction()?;
            tx.execute(
                "DELETE FROM sessions WHERE status = $1 AND id = (SELECT record_id FROM \
                 batch_rows WHERE batch_id = $2 AND row_key = $3 AND outcome = $4)",
                &[
                    &SessionStatus::Unknown.as_str(),
                    &batch_id,
                    &row_key,
                    &UNKNOWN,
                ],
            )?;
            tx.execute(
                "UPDATE batch_rows SET outcome = NULL, record_id = NULL \
                 WHERE batch_id = $1 AND row_key = $2 AND outcome = $3",
                &[&batch_id, &row_key, &UNKNOWN],
            )?;
            tx.commit()
        })
    }

    pub(crate) fn batches(&self) -> Result<Vec<BatchSummary>, StoreError> {
        self.run(|c| {
            c.query(
                "SELECT b.name, b.created_at, \
                 count(*) FILTER (WHERE r.outcome = $1), count(*) FILTER (WHERE r.outcome = $2) \
                 FROM batches b LEFT JOIN batch_rows r ON r.batch_id = b.id \
                 GROUP BY b.id ORDER BY b.created_at DESC, b.id DESC",
                &[&CREATED, &UNKNOWN],
            )?
            .iter()
            .map(|r| {
                Ok(summary(
                    &r.try_get::<_, String>(0)?,
                    r.try_get(1)?,
                    r.try_get(2)?,
                    r.try_get(3)?,
                ))
            })
            .collect()
        })
    }
}

/// The intent `intent_id` became the record `record_id` (a session, or an unknown outcome
/// when `created` is false): the batch row it carried, if any, now points at the record.
/// In the caller's transaction, before the intent is deleted (whose foreign key would
/// otherwise only clear the row's intent).
pub(super) fn carry_batch_tag(
    c: &mut impl GenericClient,
    intent_id: i64,
    record_id: i64,
    created: bool,
) -> Result<(), postgres::Error> {
    c.execute(
        "UPDATE batch_rows SET intent_id = NULL, record_id = $1, outcome = $2, error = NULL, \
         updated_at = $3 WHERE intent_id = $4",
        &[
            &record_id,
            &if created { CREATED } else { UNKNOWN },
            &to_ms(Utc::now()),
            &intent_id,
        ],
    )
    .map(drop)
}
