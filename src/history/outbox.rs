//! The shared history's outbox, in the local file (schema 10): with `[history] url` set,
//! what cannot reach the server (it is down, or went away in the middle of a generate)
//! waits here and is written to the server when it is back (`pg::outbox` sends it).
//!
//! A row is a request on its way (`intent_id`), then the record it became (`record_id`);
//! the file's own rules carry it from one to the other (`carry`, and the orphan sweep of
//! `open`, which turns a killed process's intent into a record of unknown outcome that
//! waits like any other). The records stay in the file after they are sent: it is the
//! operator's own copy, as a local history is.

use std::collections::HashMap;

use super::*;

/// A row of the outbox ready to be written to the shared history.
#[derive(Debug, Clone)]
pub(crate) struct Waiting {
    pub outbox_id: i64,
    /// The record to write, as the local file has it now (a decision may have been
    /// recorded meanwhile). `None`: the row only forgets the server's intent.
    pub record: Option<Record>,
    /// The intent on the server this record completes (or forgets): sent before the
    /// server went away, removed there in the same transaction that writes the record.
    pub remote_intent: Option<i64>,
}

/// How much waits in the outbox.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCount {
    /// Records ready to be written.
    pub records: u64,
    /// Rows ready to be sent: the records, and intents the server is to forget.
    pub ready: u64,
    /// Requests still on their way (their process is running): written once answered.
    pub in_flight: u64,
}

impl Store {
    /// Records an intent, as [`Store::record_intent`] does, that waits for the shared
    /// history; returns its id in this file.
    pub(crate) fn queue_intent(
        &self,
        new: &NewIntent<'_>,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        self.writable()?;
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        let id = write::insert_intent(&tx, new, now).map_err(|e| self.err(e))?;
        tx.execute(
            "INSERT INTO outbox (intent_id, queued_at) VALUES (?1, ?2)",
            params![id, to_ms(now)],
        )
        .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(id)
    }

    /// Stores the record of a session whose intent went to the server (`remote_intent`)
    /// before it went away: it waits here, and completes that intent when it is sent.
    pub(crate) fn queue_record(
        &self,
        new: &NewRecord<'_>,
        remote_intent: Option<i64>,
    ) -> Result<Record, StoreError> {
        self.writable()?;
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        let id = self.insert_in(&tx, new)?;
        tx.execute(
            "INSERT INTO outbox (record_id, remote_intent, queued_at) VALUES (?1, ?2, ?3)",
            params![id, remote_intent, to_ms(Utc::now())],
        )
        .map_err(|e| self.err(e))?;
        self.index_and_commit(tx, id, new)
    }

    /// Remembers to remove the server's intent `remote_intent` (its request created
    /// nothing) when the server is back.
    pub(crate) fn queue_forget(&self, remote_intent: i64) -> Result<(), StoreError> {
        self.writable()?;
        self.conn
            .execute(
                "INSERT INTO outbox (remote_intent, queued_at) VALUES (?1, ?2)",
                params![remote_intent, to_ms(Utc::now())],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Up to `limit` rows ready to be sent, oldest first.
    pub(crate) fn waiting(&self, limit: u64) -> Result<Vec<Waiting>, StoreError> {
        let rows: Vec<(i64, Option<i64>, Option<i64>)> = {
            let mut st = self
                .conn
                .prepare_cached(
                    "SELECT id, record_id, remote_intent FROM outbox WHERE intent_id IS NULL \
                     ORDER BY id LIMIT ?",
                )
                .map_err(|e| self.err(e))?;
            st.query_map([sql_limit(limit)], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .and_then(|rows| rows.collect())
            .map_err(|e| self.err(e))?
        };
        // Their records in one read, not one each. The outbox rows came first, and a
        // record leaves the file only with its outbox row (a trigger): each one is there.
        let ids: Vec<i64> = rows.iter().filter_map(|(_, r, _)| *r).collect();
        let mut records: HashMap<i64, Record> = if ids.is_empty() {
            HashMap::new()
        } else {
            let marks = vec!["?"; ids.len()].join(", ");
            self.records(
                &format!("SELECT {COLUMNS} FROM sessions WHERE id IN ({marks})"),
                ids.iter().map(|&id| Value::Integer(id)).collect(),
            )?
            .into_iter()
            .map(|r| (r.id, r))
            .collect()
        };
        rows.into_iter()
            .map(|(outbox_id, record_id, remote_intent)| {
                let record = match record_id {
                    Some(id) => Some(records.remove(&id).ok_or_else(|| {
                        StoreError::Sqlite(format!(
                            "waiting record {id} is gone from {}",
                            self.path
                        ))
                    })?),
                    None => None,
                };
                Ok(Waiting {
                    outbox_id,
                    record,
                    remote_intent,
                })
            })
            .collect()
    }

    /// The records waiting, newest first (at most `limit`).
    pub(crate) fn waiting_records(&self, limit: u64) -> Result<Vec<Record>, StoreError> {
        self.records(
            &format!(
                "SELECT {COLUMNS} FROM sessions WHERE id IN \
                 (SELECT record_id FROM outbox WHERE record_id IS NOT NULL) \
                 ORDER BY created_at DESC, id DESC LIMIT ?"
            ),
            vec![Value::Integer(sql_limit(limit))],
        )
    }

    /// The rows `ids` reached the shared history: they wait no more.
    pub(crate) fn sent(&self, ids: &[i64]) -> Result<(), StoreError> {
        self.writable()?;
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        for id in ids {
            tx.execute("DELETE FROM outbox WHERE id = ?", [id])
                .map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))
    }

    /// How much waits for the shared history.
    pub(crate) fn outbox_count(&self) -> Result<OutboxCount, StoreError> {
        self.conn
            .query_row(
                "SELECT count(*) FILTER (WHERE record_id IS NOT NULL), \
                 count(*) FILTER (WHERE intent_id IS NULL), \
                 count(*) FILTER (WHERE intent_id IS NOT NULL) FROM outbox",
                [],
                |r| {
                    let n = |i| r.get::<_, i64>(i).map(|n| n.max(0) as u64);
                    Ok(OutboxCount {
                        records: n(0)?,
                        ready: n(1)?,
                        in_flight: n(2)?,
                    })
                },
            )
            .map_err(|e| self.err(e))
    }

    /// The server's intents that rows here will complete or forget: the server's sweep of
    /// orphaned intents leaves them to the outbox.
    pub(crate) fn remote_intents_waiting(&self) -> Result<Vec<i64>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached("SELECT remote_intent FROM outbox WHERE remote_intent IS NOT NULL")
            .map_err(|e| self.err(e))?;
        st.query_map([], |r| r.get(0))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.err(e))
    }
}

impl Store {
    /// Writes what waits in the local file to the shared history now (`history sync`).
    /// Done by itself too, whenever the server is reached again.
    pub fn sync_outbox(&self) -> Result<pg::SyncReport, StoreError> {
        match self.pg() {
            Some(pg) => pg.sync(),
            None => Err(StoreError::Sqlite(
                "history sync writes links that waited in the local file to the shared history, and this run has none: set [history] url in the config (or VERIFF_TUI_HISTORY_URL)".into(),
            )),
        }
    }

    /// What waits in the local file for the shared history (nothing for a local history).
    pub fn waiting_count(&self) -> Result<OutboxCount, StoreError> {
        match self.pg() {
            Some(pg) => pg.waiting_count(),
            None => Ok(OutboxCount::default()),
        }
    }
}

impl Record {
    /// Made while the shared history could not be reached: it waits in the local file
    /// (its id there, negated) and is written to the server when it is back.
    pub fn is_waiting(&self) -> bool {
        self.id < 0
    }
}

/// The intent `intent_id` became the record `record_id` (answered, or given up): its
/// outbox row, if any, now waits with the record. In the caller's transaction.
pub(super) fn carry(conn: &Connection, intent_id: i64, record_id: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE outbox SET intent_id = NULL, record_id = ?1 WHERE intent_id = ?2")?
        .execute(params![record_id, intent_id])
        .map(drop)
}
