//! Batches (`generate --batch`): which rows of a batch have a session, so that a run
//! started again sends only the rest and never makes a session twice.
//!
//! A row is known by its identity (a hash the caller makes of its normalised values, the
//! batch name and the profile). Its state is written in the same transaction as the intent
//! of its request, before the request leaves; the intent hands the row over to the record
//! it becomes (`carry_batch_tag`, called from `write.rs`), whether a session or an unknown
//! outcome. Schema: `V9` in `schema.rs`. On the shared history each public method hands
//! over to `pg/batches.rs`, which keeps the same rows the same way (its schema V3).

use std::collections::HashMap;

use super::*;

/// The batch row a request belongs to (see [`Store::record_batch_intent`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchTag {
    pub batch_id: i64,
    /// The row's identity.
    pub row_key: String,
    /// Its line in the file (messages only).
    pub line: u64,
    /// Send it even when an earlier request's outcome is unknown (`--resend-unknown`).
    pub resend_unknown: bool,
}

/// What the history knows of a batch row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowState {
    /// Never sent, or sent and refused (no session): to be sent.
    New { last_error: Option<String> },
    /// Its request is on its way, sent by a process that still runs.
    InFlight,
    /// A session was made; its record (`None` when deleted by hand since).
    Created(Option<Box<Record>>),
    /// Sent without a usable answer: a session may exist.
    Unknown(Option<Box<Record>>),
}

/// A batch in the history, for a list to choose from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchSummary {
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// Rows with a session.
    pub created: u64,
    /// Rows whose outcome is unknown.
    pub unknown: u64,
}

/// `batch_rows.outcome` of a row with a session, and of one whose outcome is unknown.
pub(super) const CREATED: &str = "created";
pub(super) const UNKNOWN: &str = "unknown";

/// What a `batch_rows` row says: on its way while it names an intent, else its outcome.
pub(super) fn row_state(
    intent_id: Option<i64>,
    outcome: Option<&str>,
    error: Option<String>,
    record: Option<Box<Record>>,
) -> RowState {
    match (intent_id, outcome) {
        (Some(_), _) => RowState::InFlight,
        (None, Some(CREATED)) => RowState::Created(record),
        (None, Some(UNKNOWN)) => RowState::Unknown(record),
        (None, _) => RowState::New {
            last_error: error.map(|e| crate::text::sanitize(&e)),
        },
    }
}

/// Why a row whose `batch_rows` row says `prior` (its intent, its outcome; `None`: never
/// sent) must not be sent now; `None` when it may be.
pub(super) fn taken(
    prior: Option<(Option<i64>, Option<String>)>,
    resend_unknown: bool,
) -> Option<&'static str> {
    match prior {
        Some((Some(_), _)) => Some("is being sent by another run of this batch"),
        Some((None, Some(o))) if o == CREATED => Some("already has a session"),
        Some((None, Some(o))) if o == UNKNOWN && !resend_unknown => {
            Some("was sent before and its outcome is unknown")
        }
        _ => None,
    }
}

/// A batch of the list, from its row.
pub(super) fn summary(name: &str, created_ms: i64, created: i64, unknown: i64) -> BatchSummary {
    BatchSummary {
        name: crate::text::sanitize(name),
        created_at: from_ms(created_ms),
        created: created.max(0) as u64,
        unknown: unknown.max(0) as u64,
    }
}

impl Store {
    /// The id of the batch `name`, made now when `create` and it is new; `None` when it is
    /// not there and not made.
    pub fn batch_id(&self, name: &str, create: bool) -> Result<Option<i64>, StoreError> {
        if let Some(pg) = self.pg() {
            return pg.batch_id(name, create);
        }
        if create {
            self.writable()?;
            self.conn
                .execute(
                    "INSERT INTO batches (name, created_at) VALUES (?1, ?2) \
                     ON CONFLICT (name) DO NOTHING",
                    params![name, to_ms(Utc::now())],
                )
                .map_err(|e| self.err(e))?;
        }
        self.conn
            .query_row("SELECT id FROM batches WHERE name = ?", [name], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The state of every row of `batch_id` among `keys` (rows the history has not seen are
    /// left out: they are new).
    pub fn batch_states(
        &self,
        batch_id: i64,
        keys: &[String],
    ) -> Result<HashMap<String, RowState>, StoreError> {
        if let Some(pg) = self.pg() {
            return pg.batch_states(batch_id, keys);
        }
        let mut out = HashMap::new();
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT intent_id, record_id, outcome, error FROM batch_rows \
                 WHERE batch_id = ? AND row_key = ?",
            )
            .map_err(|e| self.err(e))?;
        for key in keys {
            let row = st
                .query_row(params![batch_id, key], |r| {
                    Ok((
                        r.get::<_, Option<i64>>(0)?,
                        r.get::<_, Option<i64>>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                    ))
                })
                .optional()
                .map_err(|e| self.err(e))?;
            let Some((intent, record, outcome, error)) = row else {
                continue;
            };
            let record = match record {
                Some(id) => self.get(id)?.map(Box::new),
                None => None,
            };
            out.insert(
                key.clone(),
                row_state(intent, outcome.as_deref(), error, record),
            );
        }
        Ok(out)
    }

    /// Like [`Store::record_intent`], for a row of a batch: in one transaction, refuses a
    /// row that has a session, one on its way from another run, and one whose outcome is
    /// unknown (unless `tag.resend_unknown`), then records the intent and ties the row to
    /// it. Two runs of the same batch at once thus never send a row twice.
    pub fn record_batch_intent(
        &self,
        new: &NewIntent<'_>,
        tag: &BatchTag,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        if let Some(pg) = self.pg() {
            return pg.record_batch_intent(new, tag, now);
        }
        self.writable()?;
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        let prior: Option<(Option<i64>, Option<String>)> = tx
            .query_row(
                "SELECT intent_id, outcome FROM batch_rows WHERE batch_id = ? AND row_key = ?",
                params![tag.batch_id, tag.row_key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        if let Some(why) = taken(prior, tag.resend_unknown) {
            return Err(StoreError::Sqlite(format!(
                "line {} {why}; it was not sent again",
                tag.line
            )));
        }
        let id = self.record_intent(new, now)?;
        tx.execute(
            "INSERT INTO batch_rows (batch_id, row_key, line, intent_id, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (batch_id, row_key) DO UPDATE SET line = ?3, intent_id = ?4, \
             updated_at = ?5",
            params![
                tag.batch_id,
                tag.row_key,
                i64::try_from(tag.line).unwrap_or(i64::MAX),
                id,
                to_ms(now)
            ],
        )
        .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(id)
    }

    /// Notes why a row's request made no session (a refusal): shown on the next run.
    pub fn batch_row_failed(
        &self,
        batch_id: i64,
        row_key: &str,
        error: &str,
    ) -> Result<(), StoreError> {
        if let Some(pg) = self.pg() {
            return pg.batch_row_failed(batch_id, row_key, error);
        }
        self.writable()?;
        let error: String = error.chars().take(MAX_CHECK_ERROR_CHARS).collect();
        self.conn
            .execute(
                "UPDATE batch_rows SET error = ?1, updated_at = ?2 \
                 WHERE batch_id = ?3 AND row_key = ?4 AND outcome IS NULL",
                params![error, to_ms(Utc::now()), batch_id, row_key],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Before a row is sent again after the server answered its request with a 5xx: the
    /// record of that attempt (outcome unknown) goes, and the row is free to be sent. The
    /// retry's own intent is recorded before it leaves, as every request's is.
    pub fn batch_row_retry(&self, batch_id: i64, row_key: &str) -> Result<(), StoreError> {
        if let Some(pg) = self.pg() {
            return pg.batch_row_retry(batch_id, row_key);
        }
        self.writable()?;
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        tx.execute(
            "DELETE FROM sessions WHERE status = ?1 AND id = (SELECT record_id FROM batch_rows \
             WHERE batch_id = ?2 AND row_key = ?3 AND outcome = ?1)",
            params![UNKNOWN, batch_id, row_key],
        )
        .map_err(|e| self.err(e))?;
        tx.execute(
            "UPDATE batch_rows SET outcome = NULL, record_id = NULL \
             WHERE batch_id = ?2 AND row_key = ?3 AND outcome = ?1",
            params![UNKNOWN, batch_id, row_key],
        )
        .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))
    }

    /// Every batch, newest first, with how many rows have a session and how many an
    /// unknown outcome.
    pub fn batches(&self) -> Result<Vec<BatchSummary>, StoreError> {
        if let Some(pg) = self.pg() {
            return pg.batches();
        }
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT b.name, b.created_at, \
                 COALESCE(SUM(r.outcome = 'created'), 0), COALESCE(SUM(r.outcome = 'unknown'), 0) \
                 FROM batches b LEFT JOIN batch_rows r ON r.batch_id = b.id \
                 GROUP BY b.id ORDER BY b.created_at DESC, b.id DESC",
            )
            .map_err(|e| self.err(e))?;
        st.query_map([], |r| {
            Ok(summary(
                &r.get::<_, String>(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
            ))
        })
        .and_then(|rows| rows.collect())
        .map_err(|e| self.err(e))
    }
}

/// The intent `intent_id` became the record `record_id` (a session, or an unknown outcome
/// when `created` is false): the batch row it carried, if any, now points at the record.
/// In the caller's transaction, before the intent is deleted.
pub(super) fn carry_batch_tag(
    conn: &Connection,
    intent_id: i64,
    record_id: i64,
    created: bool,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE batch_rows SET intent_id = NULL, record_id = ?1, outcome = ?2, error = NULL, \
         updated_at = ?3 WHERE intent_id = ?4",
    )?
    .execute(params![
        record_id,
        if created { CREATED } else { UNKNOWN },
        to_ms(Utc::now()),
        intent_id
    ])
    .map(drop)
}
