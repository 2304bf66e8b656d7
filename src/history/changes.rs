//! What other processes changed in the history since a reader last looked: the open TUI
//! asks a few times a second, so that a decision `listen` stored (or a second TUI, or a CLI
//! `decision`) shows without a key press.
//!
//! Cheap when nothing changes: SQLite's `data_version` moves only when another connection
//! commits, so an idle look is one pragma. When it moved, the `changes` log (schema 8, kept
//! by triggers) names the records written since, read by key: the cost follows what changed,
//! never the size of the history.

use std::collections::HashMap;

use rusqlite::OptionalExtension;

use super::{Record, Store, StoreError};

/// The most records one look reports; more than that reads as "reload everything".
const MOST: usize = 500;

/// Where a reader is in the history's changes (from [`Store::watch`]).
#[derive(Debug, Clone)]
pub struct Watch {
    data_version: i64,
    seq: i64,
    /// False for a history without the log (an older file opened read-only): nothing to
    /// watch, so every look is empty.
    logged: bool,
}

/// One record another process wrote, as it is now.
#[derive(Debug, Clone, PartialEq)]
pub struct Changed {
    pub record: Record,
    /// Its status before the first of the writes since the last look; `None`: it is new.
    /// Equal to the record's status when only other fields changed (a check's time).
    pub status_before: Option<String>,
}

impl Changed {
    /// A new record, or one whose status moved: worth a word to the operator.
    pub fn status_moved(&self) -> bool {
        self.status_before.as_deref() != Some(self.record.status.as_str())
    }
}

/// What other processes changed since the last look.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// The records as they are now, in the order they last changed.
    pub records: Vec<Changed>,
    /// Records deleted (their ids).
    pub deleted: Vec<i64>,
    /// More changed than one look reports (or than the log keeps): whoever shows records
    /// reloads them, without a word for each.
    pub overflow: bool,
    /// Links that waited in the local file (the shared history could not be reached)
    /// and were just written to it.
    pub sent_from_outbox: u64,
}

impl Store {
    /// Starts watching from now: changes made before are not reported.
    pub fn watch(&self) -> Result<Watch, StoreError> {
        if let Some(pg) = self.pg() {
            return Ok(Watch {
                data_version: 0,
                seq: pg.last_change()?,
                logged: true,
            });
        }
        let logged = self
            .conn
            .query_row(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'changes'",
                [],
                |_| Ok(()),
            )
            .optional()
            .map_err(|e| self.err(e))?
            .is_some();
        let mut watch = Watch {
            data_version: self.data_version()?,
            seq: 0,
            logged,
        };
        if logged {
            watch.seq = self.last_change()?;
        }
        Ok(watch)
    }

    /// What other connections changed since the last look at `watch` (`None`: nothing).
    /// This connection's own writes are not reported: whoever made them knows.
    pub fn changes_after(&self, watch: &mut Watch) -> Result<Option<Changes>, StoreError> {
        if !watch.logged {
            return Ok(None);
        }
        if let Some(pg) = self.pg() {
            // No data_version here: the newest entry's number says whether anything came,
            // and the entries name their writer, so this connection's own are left out.
            let last = pg.last_change()?;
            pg.send_if_due();
            pg.sample_if_due();
            let sent = pg.take_sent();
            let mut changes = if last == watch.seq {
                None
            } else {
                let (oldest, rows) = pg.change_rows(watch.seq, MOST as i64 + 1)?;
                self.gather(watch, oldest, rows, last)?
            };
            // Written by this very connection, so not in the log's rows: whoever shows
            // records reloads them.
            if sent > 0 {
                let c = changes.get_or_insert_with(Changes::default);
                c.sent_from_outbox = sent;
                c.overflow = true;
            }
            return Ok(changes);
        }
        let version = self.data_version()?;
        if version == watch.data_version {
            // Only this connection wrote, if anything: step over its entries.
            watch.seq = self.last_change()?;
            return Ok(None);
        }
        watch.data_version = version;
        let oldest: Option<i64> = self
            .conn
            .query_row("SELECT min(seq) FROM changes", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT seq, record_id, status_before FROM changes WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([watch.seq, MOST as i64 + 1], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| self.err(e))?;
        let last = self.last_change()?;
        self.gather(watch, oldest, rows, last)
    }

    /// The records named by `rows` (the entries after `watch`, up to one more than a look
    /// reports), as they are now; `last` is where the watch stands afterwards when they
    /// are too many to name. (On PostgreSQL an entry may commit after a later-numbered one
    /// was read: its record is then not named, and shows with the next reload.)
    fn gather(
        &self,
        watch: &mut Watch,
        oldest: Option<i64>,
        rows: Vec<(i64, i64, Option<String>)>,
        last: i64,
    ) -> Result<Option<Changes>, StoreError> {
        let Some(&(newest, _, _)) = rows.last() else {
            watch.seq = last;
            return Ok(None);
        };
        // Entries between the last look and the oldest kept were pruned unseen.
        let gap = oldest.is_some_and(|o| o > watch.seq + 1);
        if gap || rows.len() > MOST {
            watch.seq = last.max(newest);
            return Ok(Some(Changes {
                overflow: true,
                ..Changes::default()
            }));
        }
        watch.seq = last.max(newest);
        // Each record once, where it last changed, with its status before the first write.
        let mut order: Vec<i64> = Vec::with_capacity(rows.len());
        let mut before: HashMap<i64, Option<String>> = HashMap::with_capacity(rows.len());
        for (_, id, status_before) in rows {
            before.entry(id).or_insert(status_before);
            order.retain(|o| *o != id);
            order.push(id);
        }
        let mut changes = Changes::default();
        for id in order {
            match self.get(id)? {
                Some(record) => changes.records.push(Changed {
                    record,
                    status_before: before.remove(&id).flatten(),
                }),
                None => changes.deleted.push(id),
            }
        }
        Ok(Some(changes))
    }

    fn data_version(&self) -> Result<i64, StoreError> {
        self.conn
            .pragma_query_value(None, "data_version", |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    fn last_change(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("SELECT coalesce(max(seq), 0) FROM changes", [], |r| {
                r.get(0)
            })
            .map_err(|e| self.err(e))
    }
}
