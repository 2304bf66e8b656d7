//! Links made while the shared history cannot be reached: each generate goes on, its
//! intent and record wait in the local file (`history::outbox`), and they are written to
//! the server when it is back: on the next connection any store of this machine makes
//! (the open TUI tries every few seconds), and by `history sync`.
//!
//! Records waiting in the local file carry their local row id negated, so no id of the
//! file is taken for one of the server's: [`PgStore::get`] and [`PgStore::delete`] find
//! them there, and the intent ids a generate holds say which store finishes them.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::query::Params;
use super::*;
use crate::history::{Cursor, NewIntent, NewRecord, OutboxCount, Page, Query, Store, to_ms};

/// Outbox rows written to the server per transaction.
const BATCH: u64 = 500;

/// The local file, opened when first needed and kept open.
pub(crate) struct Outbox {
    path: PathBuf,
    store: RefCell<Option<Box<Store>>>,
    /// When [`PgStore::send_if_due`] last looked.
    looked: Cell<Option<Instant>>,
}

/// How often a watching store looks whether something waits in the outbox while the
/// server can be reached (written by another process of this machine that could not reach
/// it, say): one count on the local file.
const LOOK_EVERY: Duration = Duration::from_secs(5);

impl Outbox {
    pub(super) fn new(path: &Path) -> Outbox {
        Outbox {
            path: path.to_path_buf(),
            store: RefCell::new(None),
            looked: Cell::new(None),
        }
    }

    /// Runs `f` on the file, `None` when there is none yet (nothing ever waited): only a
    /// write to the outbox makes it.
    fn existing<T>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        if self.store.borrow().is_none() && std::fs::symlink_metadata(&self.path).is_err() {
            return Ok(None);
        }
        self.with(f).map(Some)
    }

    fn with<T>(&self, f: impl FnOnce(&Store) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut guard = self.store.borrow_mut();
        if guard.is_none() {
            *guard = Some(Box::new(Store::open(&self.path)?));
        }
        match guard.as_ref() {
            Some(store) => f(store),
            None => Err(StoreError::Sqlite("the local file is not open".into())),
        }
    }
}

/// What the outbox wrote to the server (`history sync`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Records written to the shared history.
    pub written: u64,
    /// Records it had already (written by an earlier sync cut short).
    pub already_there: u64,
    /// What still waits: requests whose process is still running.
    pub left: OutboxCount,
}

impl PgStore {
    fn outbox(&self) -> Option<&Outbox> {
        self.outbox.as_ref()
    }

    /// Runs `write` on the local file because the server could not be reached (`why`).
    fn to_outbox<T>(
        &self,
        why: StoreError,
        write: impl FnOnce(&Store) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let Some(outbox) = self.outbox() else {
            return Err(why);
        };
        // Said without "links are kept in the local file": this is where that failed.
        let why = match why {
            StoreError::Unreachable { url, detail, .. } => StoreError::Unreachable {
                url,
                detail,
                meanwhile: String::new(),
            },
            e => e,
        };
        outbox.with(write).map_err(|local| {
            StoreError::Shared {
                url: self.url.shown().to_string(),
                detail: format!(
                    "{why}; and the local file that keeps links until it is back cannot be written either: {local}"
                ),
            }
        })
    }

    /// The local file's record as this store shows it: its id negated, made here.
    fn waiting_record(&self, mut record: Record) -> Record {
        record.id = -record.id;
        record.operator = self.operator.clone();
        record.machine = self.machine.clone();
        record
    }

    pub(crate) fn record_intent(
        &self,
        new: &NewIntent<'_>,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        match self.record_intent_on_server(new, now) {
            Err(e) if waits(&e) => self.to_outbox(e, |s| s.queue_intent(new, now).map(|id| -id)),
            done => done,
        }
    }

    pub(crate) fn complete_intent(
        &self,
        id: i64,
        new: &NewRecord<'_>,
    ) -> Result<Record, StoreError> {
        if id < 0 {
            let r = self.local(|s| s.complete_intent(-id, new))?;
            return Ok(self.waiting_record(r));
        }
        match self.complete_intent_on_server(id, new) {
            // The request went out and its answer came while the server went away: the
            // record waits, and completes the server's intent when it is written.
            Err(e) if waits(&e) => {
                let r = self.to_outbox(e, |s| s.queue_record(new, Some(id)))?;
                Ok(self.waiting_record(r))
            }
            done => done,
        }
    }

    pub(crate) fn forget_intent(&self, id: i64) -> Result<(), StoreError> {
        if id < 0 {
            return self.local(|s| s.forget_intent(-id));
        }
        match self.forget_intent_on_server(id) {
            Err(e) if waits(&e) => self.to_outbox(e, |s| s.queue_forget(id)),
            done => done,
        }
    }

    pub(crate) fn give_up_intent(&self, id: i64, why: &str) -> Result<Option<Record>, StoreError> {
        if id < 0 {
            let r = self.local(|s| s.give_up_intent(-id, why))?;
            return Ok(r.map(|r| self.waiting_record(r)));
        }
        // Cannot be reached: the intent stays on the server, and once this process has
        // ended this machine's next connection records it as of unknown outcome.
        self.give_up_intent_on_server(id, why)
    }

    pub(super) fn get_waiting(&self, id: i64) -> Result<Option<Record>, StoreError> {
        let r = self.local(|s| s.get(-id))?;
        Ok(r.map(|r| self.waiting_record(r)))
    }

    pub(super) fn delete_waiting(&self, id: i64) -> Result<bool, StoreError> {
        self.local(|s| s.delete(-id))
    }

    /// The local file, for what lives there (a negative id).
    fn local<T>(&self, f: impl FnOnce(&Store) -> Result<T, StoreError>) -> Result<T, StoreError> {
        match self.outbox() {
            Some(outbox) => outbox.with(f),
            None => {
                Err(self
                    .shared("a record of the local file was asked of a store without one".into()))
            }
        }
    }

    /// The server's intents the outbox will complete or forget (none when it cannot be
    /// read: then nothing is held back, as before there was an outbox).
    pub(super) fn remote_intents_waiting(&self) -> Vec<i64> {
        self.outbox()
            .and_then(|o| o.existing(Store::remote_intents_waiting).ok().flatten())
            .unwrap_or_default()
    }

    /// How much waits in the local file.
    pub(crate) fn waiting_count(&self) -> Result<OutboxCount, StoreError> {
        match self.outbox() {
            Some(o) => Ok(o.existing(Store::outbox_count)?.unwrap_or_default()),
            None => Ok(OutboxCount::default()),
        }
    }

    /// Writes what waits in the outbox to the server, a batch per transaction; each batch
    /// is taken out of the outbox once the server has committed it (a batch cut short is
    /// written again, and what the server has already is skipped).
    pub(super) fn send_waiting(&self) -> Result<SyncReport, StoreError> {
        let mut report = SyncReport::default();
        let Some(outbox) = self.outbox() else {
            return Ok(report);
        };
        loop {
            let Some(batch) = outbox.existing(|s| s.waiting(BATCH))? else {
                return Ok(report);
            };
            if batch.is_empty() {
                break;
            }
            let (operator, machine) = (self.operator.as_str(), self.machine.as_str());
            let rows = &batch;
            let written = self.call(move |c| {
                let mut tx = c.transaction()?;
                let mut written = 0;
                for w in rows {
                    let mut id = None;
                    if let Some(r) = &w.record {
                        id = import::insert_whole(&mut tx, r, operator, machine)?;
                        if id.is_none() {
                            id = link_made_elsewhere(&mut tx, r, operator, machine)?;
                        }
                        written += u64::from(id.is_some());
                    }
                    if let Some(intent) = w.remote_intent {
                        // A batch's row sent before the server went away now has its
                        // session: never sent again.
                        if let (Some(id), Some(r)) = (id, &w.record) {
                            batches::carry_batch_tag(&mut tx, intent, id, r.has_link())?;
                        }
                        tx.execute("DELETE FROM intents WHERE id = $1", &[&intent])?;
                    }
                }
                tx.commit()?;
                Ok(written)
            })?;
            let records = batch.iter().filter(|w| w.record.is_some()).count() as u64;
            report.written += written;
            report.already_there += records - written;
            let ids: Vec<i64> = batch.iter().map(|w| w.outbox_id).collect();
            outbox.with(|s| s.sent(&ids))?;
        }
        if report.written > 0 {
            tracing::info!(
                written = report.written,
                "links that waited in the local file were written to the shared history"
            );
        }
        self.sent.set(self.sent.get() + report.written);
        let mut total = self.synced.get();
        total.written += report.written;
        total.already_there += report.already_there;
        self.synced.set(total);
        report.left = outbox.with(Store::outbox_count)?;
        Ok(report)
    }

    /// Writes what waits now (connecting first: the server may be back); reports all this
    /// store wrote from the outbox, connecting included.
    pub(crate) fn sync(&self) -> Result<SyncReport, StoreError> {
        self.connect()?;
        let last = self.send_waiting()?;
        Ok(SyncReport {
            left: last.left,
            ..self.synced.get()
        })
    }

    /// Every [`LOOK_EVERY`], writes what waits (a watching store calls this on each look).
    pub(crate) fn send_if_due(&self) {
        let Some(outbox) = self.outbox() else { return };
        if outbox
            .looked
            .get()
            .is_some_and(|t| t.elapsed() < LOOK_EVERY)
        {
            return;
        }
        outbox.looked.set(Some(Instant::now()));
        let ready = outbox
            .existing(Store::outbox_count)
            .is_ok_and(|c| c.is_some_and(|c| c.ready > 0));
        if ready && let Err(e) = self.send_waiting() {
            tracing::warn!("links waiting in the local file could not be written yet: {e}");
        }
    }

    /// How many waiting records were written to the server since the last ask.
    pub(crate) fn take_sent(&self) -> u64 {
        self.sent.replace(0)
    }
}

/// The most waiting records a list shows while the server cannot be reached.
const MOST_SHOWN: u64 = 10_000;

/// The rows a page of `query` holds at most (a limit of 0: all).
fn page_len(query: &Query) -> usize {
    match query.limit {
        0 => usize::MAX,
        n => usize::try_from(n).unwrap_or(usize::MAX),
    }
}

impl PgStore {
    /// The records waiting in the local file that `query` matches, as the server would
    /// list them (newest first, after `cursor`, from `offset`), for a list shown while the
    /// server cannot be reached. `None` when nothing waits: then the list says the server
    /// cannot be reached, and shows nothing.
    pub(crate) fn waiting_page(
        &self,
        query: &Query,
        cursor: Option<Cursor>,
        offset: Option<u64>,
        oldest_first: bool,
    ) -> Option<Vec<Record>> {
        let mut rows = self.waiting_matching(query)?;
        if let Some(c) = cursor {
            rows.retain(|r| (to_ms(r.created_at), r.id) < (c.created_at_ms, c.id));
        }
        if oldest_first {
            rows.reverse();
        }
        let skip = usize::try_from(offset.unwrap_or(0)).unwrap_or(usize::MAX);
        Some(rows.into_iter().skip(skip).take(page_len(query)).collect())
    }

    /// The first page of the waiting records `query` matches, with how many match: one
    /// read of the local file for a new search's rows and its count.
    pub(crate) fn waiting_first_page(&self, query: &Query) -> Option<Page> {
        let rows = self.waiting_matching(query)?;
        let total = rows.len() as u64;
        Some(Page {
            rows: rows.into_iter().take(page_len(query)).collect(),
            total: Some(total),
            counted: None,
        })
    }

    /// `result`, or, when it failed because the server cannot be reached and the query
    /// asks for it ([`Query::or_waiting`]), what `waiting` finds in the local file.
    pub(crate) fn or_waiting<T>(
        &self,
        query: &Query,
        result: Result<T, StoreError>,
        waiting: impl FnOnce(&Self) -> Option<T>,
    ) -> Result<T, StoreError> {
        match result {
            Err(e) if query.or_waiting && waits(&e) => waiting(self).ok_or(e),
            done => done,
        }
    }

    /// How many waiting records `query` matches (as [`PgStore::waiting_page`]).
    pub(crate) fn waiting_matches(&self, query: &Query, cap: u64) -> Option<u64> {
        let n = self.waiting_matching(query)?.len() as u64;
        Some(crate::history::up_to(n, cap))
    }

    fn waiting_matching(&self, query: &Query) -> Option<Vec<Record>> {
        // A batch's rows are the shared history's; none of them waits here.
        if query.batch.is_some() {
            return None;
        }
        let all = self
            .outbox()?
            .existing(|s| s.waiting_records(MOST_SHOWN))
            .ok()
            .flatten()
            .filter(|rows| !rows.is_empty())?;
        let terms: Vec<String> = query
            .search
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        Some(
            all.into_iter()
                .filter(|r| query.profile.as_ref().is_none_or(|p| *p == r.profile))
                .filter(|r| {
                    let text = [
                        r.first_name.as_str(),
                        &r.last_name,
                        &r.session_id,
                        &r.vendor_data,
                        &r.extra.search_text(),
                    ]
                    .join("\n")
                    .to_lowercase();
                    terms.iter().all(|t| text.contains(t.as_str()))
                })
                .map(|r| self.waiting_record(r))
                .collect(),
        )
    }
}

/// The session is on the server already as a record made elsewhere (`listen` heard of it
/// before this link reached the server): that record gets the link and what was sent,
/// and keeps its status and decision, which are newer. `None` when the server's record is
/// not one made elsewhere (an earlier sync wrote it).
fn link_made_elsewhere(
    c: &mut impl postgres::GenericClient,
    r: &Record,
    operator: &str,
    machine: &str,
) -> Result<Option<i64>, postgres::Error> {
    let mut params = Params::default();
    let set: Vec<String> = import::link_columns(r, operator, machine, &mut params)
        .into_iter()
        .map(|(name, mark)| format!("{name} = {mark}"))
        .collect();
    let sql = format!(
        "UPDATE sessions SET {}, made_elsewhere = false WHERE session_id = {} AND made_elsewhere \
         RETURNING id",
        set.join(", "),
        params.add(r.session_id.clone())
    );
    let row = c.query_opt(&sql, &params.refs())?;
    row.map(|row| row.try_get(0)).transpose()
}

/// A failure a write survives by waiting in the local file: the server cannot be reached.
fn waits(e: &StoreError) -> bool {
    matches!(e, StoreError::Unreachable { .. })
}
