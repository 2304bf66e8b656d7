//! The durable history of generated sessions ("Generated tokens"): SQLite in the data dir,
//! or a team's shared history on a PostgreSQL server (`[history] url`, see `pg`).
//!
//! Never holds an API key or a secret. Safe with several processes at once (WAL, busy
//! timeout). Queries page from the store; nothing loads every row.
//!
//! This file holds the types and the row mapping; `open` opens (read-only when the file
//! cannot be written) and migrates, `health` decides whether a file is damaged, `recover`
//! copies what can still be read out of a damaged one, `write` writes, `inspections` keeps
//! what `inspect` fetched, `query` reads pages and searches (`rare`, `grams`, `fold` serve
//! it), `stats` counts for the dashboard, `schema` is the SQL. `location` says which of the
//! two stores a run uses; on PostgreSQL each public method hands over to `pg` at its top.

mod batches;
mod changes;
mod fold;
mod grams;
mod health;
mod import;
mod inspections;
mod location;
mod open;
mod outbox;
pub mod pg;
mod query;
mod rare;
mod recover;
mod schema;
#[cfg(feature = "dev-seed")]
pub mod seed;
mod stats;
mod webhooks;
mod write;

pub use batches::{BatchSummary, BatchTag, RowState};
pub use changes::{Changed, Changes, Watch};
pub use health::{CHECK_AT_OPEN_MAX_BYTES, history_bytes};
pub use import::ImportReport;
pub use location::Location;
pub use open::move_aside;
pub use outbox::OutboxCount;
pub use pg::{PgUrl, SyncReport};
pub use query::IdMatch;
pub use recover::{Recovery, recover};
pub use webhooks::{Elsewhere, WebhookOutcome, WebhookWrite};

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{
    Connection, ErrorCode, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params,
    params_from_iter,
};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::veriff::{CreatedSession, Decision, Extras, SessionInput, SessionStatus};

/// One generated session as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Local row id.
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub profile: String,
    pub base_url: String,
    /// Made against a sandbox, not a real Veriff integration.
    pub sandbox: bool,
    pub first_name: String,
    pub last_name: String,
    pub lang: String,
    pub selfid: bool,
    pub callback: String,
    pub vendor_data: String,
    pub session_id: String,
    pub url: String,
    pub host: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub status: SessionStatus,
    pub decision_code: Option<i64>,
    pub decision_reason: Option<String>,
    pub decision_time: Option<String>,
    pub checked_at: Option<DateTime<Utc>>,
    /// Last error met while refreshing the decision, shown on the row.
    pub check_error: Option<String>,
    /// The session fields beyond the names, as sent.
    #[serde(default, skip_serializing_if = "Extras::is_empty")]
    pub extra: Extras,
    /// Not made here: first heard of in a webhook (`listen`) for a session this history
    /// did not have, kept so that nothing Veriff said is dropped. It has no link.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub made_elsewhere: bool,
    /// Who made it, and on which machine: kept by the shared history (PostgreSQL), where a
    /// team's records meet; empty in a local file, whose records are all its owner's.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub operator: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub machine: String,
}

/// What is written when a session has been created.
#[derive(Debug, Clone)]
pub struct NewRecord<'a> {
    pub profile: &'a str,
    pub base_url: &'a str,
    pub sandbox: bool,
    pub input: &'a SessionInput,
    pub session: &'a CreatedSession,
}

/// What is written before a session is requested (see [`Store::record_intent`]).
#[derive(Debug, Clone)]
pub struct NewIntent<'a> {
    pub profile: &'a str,
    pub base_url: &'a str,
    pub sandbox: bool,
    pub input: &'a SessionInput,
}

/// The start of the placeholder session id of a record whose outcome is unknown.
pub const INTENT_PREFIX: &str = "unanswered-";

/// A page of records, and what is known of how many match in all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    pub rows: Vec<Record>,
    /// How many match, when finding the page told it at no extra cost: the page is
    /// shorter than asked for (the list ends there), or the search read every match to
    /// find the newest (the shared history asking its indexes for a rare term).
    pub total: Option<u64>,
    /// `(cap, n)`: the matches counted up to `cap` with the page (n < cap: all of them),
    /// when that was asked for ([`Store::first_page_counted`]) and `total` is unknown.
    pub counted: Option<(u64, u64)>,
}

/// A page of history: newest first, filtered by a substring of names, session id or
/// vendor data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pub search: Option<String>,
    pub profile: Option<String>,
    /// Only the records of this batch (`generate --batch`, by its name).
    pub batch: Option<String>,
    /// Only the records this operator made (`history --mine`, the TUI's mine/everyone's).
    /// In the shared history those written under this run's operator name; a local file's
    /// records are all its owner's, so there it changes nothing. Part of each query rather
    /// than a setting of the store: the TUI's list, its export and a request still running
    /// from before a toggle each read what they asked for.
    pub mine: bool,
    pub offset: u64,
    pub limit: u64,
    /// While the shared history cannot be reached, the links made here meanwhile (they
    /// wait in the local file, see `outbox`) instead of the error: for a list that says
    /// what it shows ([`Record::is_waiting`]). A local history ignores it.
    pub or_waiting: bool,
}

impl Query {
    /// A search with at least one term (blank text filters nothing).
    pub fn has_search(&self) -> bool {
        self.search.as_deref().is_some_and(|s| !s.trim().is_empty())
    }
}

#[derive(Debug, Error)]
pub enum StoreError {
    /// The file exists but is not our database; it was left untouched.
    #[error(
        "{path} is not a veriff-tui history database (or it is damaged); it was left untouched. Run `veriff-tui history --move-aside` to keep it under a new name and start a new history, or use --data-dir."
    )]
    NotOurs { path: String },
    /// Our database, which SQLite finds damaged (see `health`); it was left untouched.
    #[error(
        "{path} is damaged ({detail}); it was left untouched. Run `veriff-tui history --move-aside` to keep it under a new name and start a new history holding every record that can still be read, or use --data-dir."
    )]
    Damaged { path: String, detail: String },
    /// The file or its directory cannot be written (permissions, a read-only mount): it
    /// was opened for reading only, and this needed to write.
    #[error(
        "the history {path} is read-only (it or its directory cannot be written by you, or it is on a read-only mount): it can be listed, searched and exported, not changed"
    )]
    ReadOnly { path: String },
    /// The file is locked by another process for longer than we wait.
    #[error("the history database {path} is locked by another process; close it or try again")]
    Locked { path: String },
    #[error("history database error: {0}")]
    Sqlite(String),
    /// The shared history's server cannot be reached (down, a wrong address, the network).
    /// `meanwhile`: what happens to the links generated until it is back, when that is
    /// worth saying (see `pg::MEANWHILE`), else empty.
    #[error(
        "the shared history at {url} cannot be reached ({detail}); check that the server runs and that [history] url in the config (or VERIFF_TUI_HISTORY_URL) is right{meanwhile}"
    )]
    Unreachable {
        url: String,
        detail: String,
        meanwhile: String,
    },
    /// The shared history's server answered with an error (`detail` says which and what to do).
    #[error("the shared history at {url}: {detail}")]
    Shared { url: String, detail: String },
    /// The server runs a PostgreSQL older than the shared history supports.
    #[error(
        "the shared history at {url} runs PostgreSQL {version}; it needs {minimum} or newer: upgrade the server, or leave [history] url out to keep the history in the local file"
    )]
    ServerTooOld {
        url: String,
        version: String,
        minimum: String,
    },
    /// The history's schema was made by a newer veriff-tui; it was left untouched.
    #[error(
        "{place} was written by a newer veriff-tui (schema {version}, this one knows {known}); it was left untouched: upgrade veriff-tui"
    )]
    SchemaTooNew {
        place: String,
        version: i64,
        known: i64,
    },
    /// What the PostgreSQL store does not do (a SQLite file's own tools).
    #[error(
        "{0} is for a history in a local file; the shared history on PostgreSQL has no need of it"
    )]
    SqliteOnly(&'static str),
    #[error("could not prepare {path}: {detail}")]
    Io { path: String, detail: String },
    /// A search too big to run (SQLite limits the size of a query): said, not run.
    #[error(
        "a search holds at most {MAX_SEARCH_TERMS} words of at most {MAX_SEARCH_CHARS} characters in all; this one has {terms} words, {chars} characters: search for fewer"
    )]
    SearchTooLarge { terms: usize, chars: usize },
}

/// The most words a search may hold, and its longest text: far above what a person types,
/// well below where SQLite refuses the query it becomes.
pub const MAX_SEARCH_TERMS: usize = 16;
pub const MAX_SEARCH_CHARS: usize = 500;

/// How far the matches of a search are counted while it is typed ("1000+ records"): as far
/// as each store counts within a keystroke's time at a million records. SQLite counts its
/// trigram lists without reading a row; PostgreSQL reads an index entry or a row for each
/// record it counts (benches/README.md). Scrolling near the number counts further.
pub const FIRST_COUNT_CAP: u64 = 1000;
pub const FIRST_COUNT_CAP_SHARED: u64 = 150;

/// The first count cap of a file's history, or of the shared one (`shared`).
pub fn first_count_cap(shared: bool) -> u64 {
    if shared {
        FIRST_COUNT_CAP_SHARED
    } else {
        FIRST_COUNT_CAP
    }
}

/// `n` matches as a count up to `cap` says them (`cap` 0: all).
fn up_to(n: u64, cap: u64) -> u64 {
    if cap > 0 { n.min(cap) } else { n }
}

/// Where the next page starts when paging by key (`Store::page_after`): the last record of
/// the previous page. Unlike an offset, it stays right while rows are added. (A search pages
/// by `id` alone, the order it lists in.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created_at_ms: i64,
    pub id: i64,
}

/// How long a write waits for another process holding the database before giving up.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_millis(5000);

/// Searches shorter than this (in characters) cannot use the trigram index.
const TRIGRAM: usize = 3;
/// Check errors are shown on one row; longer ones are cut.
const MAX_CHECK_ERROR_CHARS: usize = 500;
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";
const DAY_MS: i64 = 86_400_000;
/// SQLite steps between checks of whether a running search is still wanted (a few
/// thousand steps take well under a millisecond).
const PROGRESS_STEPS: std::os::raw::c_int = 4000;
/// SQLite's page cache per store, in KiB (its default is 2000; the seed generator sets
/// a bigger one while loading and puts this one back).
const PAGE_CACHE_KIB: i64 = 8192;

const COLUMNS: &str = "id, created_at, profile, base_url, sandbox, first_name, last_name, lang, \
    selfid, callback, vendor_data, session_id, url, host, expires_at, status, decision_code, \
    decision_reason, decision_time, checked_at, check_error, extra, made_elsewhere";

pub struct Store {
    /// The SQLite database. On PostgreSQL an empty in-memory one that holds nothing: the
    /// SQLite code keeps using `conn` as it is, and every public method hands over to `pg`
    /// first (a method not yet carried over fails on its missing tables, touching nothing).
    conn: rusqlite::Connection,
    /// The shared history on PostgreSQL, when the run uses one.
    pg: Option<pg::PgStore>,
    path: String,
    /// Opened for reading only (see `open`): every write is refused before SQLite is asked.
    read_only: bool,
    /// Trigram frequencies that steer searches (see `rare`), kept across keystrokes.
    trigrams: RefCell<rare::Stats>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path()).finish()
    }
}

impl Store {
    /// The database file, or the shared history's URL without its password, as shown in
    /// messages.
    pub fn path(&self) -> &str {
        match &self.pg {
            Some(pg) => pg.shown(),
            None => &self.path,
        }
    }

    /// The TLS version the shared history's connection runs over, as the server reports
    /// it; `None` when the connection is not encrypted, or the history is a local file.
    pub fn encryption(&self) -> Result<Option<String>, StoreError> {
        match self.pg() {
            Some(pg) => pg.encryption(),
            None => Ok(None),
        }
    }

    /// True when this is the shared history on PostgreSQL.
    pub fn is_shared(&self) -> bool {
        self.pg.is_some()
    }

    /// How far a search's matches are counted while it is typed (see [`FIRST_COUNT_CAP`]).
    pub fn first_count_cap(&self) -> u64 {
        first_count_cap(self.is_shared())
    }

    /// The PostgreSQL store, when this is one.
    fn pg(&self) -> Option<&pg::PgStore> {
        self.pg.as_ref()
    }

    /// True when the history was opened for reading only: it can be listed, searched and
    /// exported, and every write fails with [`StoreError::ReadOnly`].
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// The guard at the top of every write: a read-only history says so plainly, instead
    /// of SQLite's "attempt to write a readonly database" from deep inside a transaction.
    fn writable(&self) -> Result<(), StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly {
                path: self.path.clone(),
            });
        }
        Ok(())
    }

    /// A handle that stops the query running on this store from another thread (a search
    /// superseded by the next keystroke); the interrupted call returns an error.
    pub fn interrupt_handle(&self) -> rusqlite::InterruptHandle {
        self.conn.get_interrupt_handle()
    }

    /// The query plan SQLite picks for a statement (for tests that keep queries on their
    /// indexes).
    #[doc(hidden)]
    pub fn explain(&self, sql: &str) -> Result<String, StoreError> {
        if self.pg.is_some() {
            return Err(StoreError::SqliteOnly("EXPLAIN QUERY PLAN"));
        }
        let run = || -> rusqlite::Result<Vec<String>> {
            let mut st = self.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
            let n = st.parameter_count();
            let params = vec![Value::Null; n];
            let rows = st.query_map(params_from_iter(params), |r| r.get::<_, String>(3))?;
            rows.collect()
        };
        run().map(|v| v.join("\n")).map_err(|e| self.err(e))
    }

    fn records(&self, sql: &str, params: Vec<Value>) -> Result<Vec<Record>, StoreError> {
        let run = || -> rusqlite::Result<Vec<Record>> {
            let mut st = self.conn.prepare_cached(sql)?;
            let rows = st.query_map(params_from_iter(params), row_to_record)?;
            rows.collect()
        };
        run().map_err(|e| self.err(e))
    }

    fn err(&self, e: rusqlite::Error) -> StoreError {
        map_err_for(&self.path, e)
    }

    fn not_ours(&self) -> StoreError {
        StoreError::NotOurs {
            path: self.path.clone(),
        }
    }
}

impl Record {
    /// The record `new` is stored as, with row id `id` (times at the store's millisecond
    /// precision). Also what `generate --json` prints when the history cannot be written.
    pub fn from_new(id: i64, new: &NewRecord<'_>) -> Record {
        let s = new.session;
        let i = new.input;
        Record {
            id,
            created_at: from_ms(to_ms(s.created_at)),
            profile: new.profile.to_string(),
            base_url: new.base_url.to_string(),
            sandbox: new.sandbox,
            first_name: i.first_name.clone(),
            last_name: i.last_name.clone(),
            lang: i.lang.clone(),
            selfid: i.selfid,
            callback: i.callback.clone(),
            vendor_data: i.vendor_data.clone(),
            session_id: s.id.clone(),
            url: s.url.clone(),
            host: s.host.clone(),
            expires_at: from_ms(to_ms(s.expires_at)),
            status: initial_status(s),
            decision_code: None,
            decision_reason: None,
            decision_time: None,
            checked_at: None,
            check_error: None,
            extra: i.extra.clone(),
            made_elsewhere: false,
            operator: String::new(),
            machine: String::new(),
        }
    }

    /// The key for [`Store::page_after`] to continue after this record.
    pub fn cursor(&self) -> Cursor {
        Cursor {
            created_at_ms: to_ms(self.created_at),
            id: self.id,
        }
    }
}

fn qualified_columns() -> String {
    COLUMNS
        .split(',')
        .map(|c| format!("s.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn final_statuses_sql() -> String {
    SessionStatus::ALL
        .iter()
        .chain([&SessionStatus::Unknown])
        .filter(|s| s.is_final())
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn sql_limit(limit: u64) -> i64 {
    if limit == 0 {
        -1
    } else {
        i64::try_from(limit).unwrap_or(i64::MAX)
    }
}

fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn time_col(row: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<DateTime<Utc>> {
    let ms: i64 = row.get(idx)?;
    DateTime::from_timestamp_millis(ms).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            idx,
            rusqlite::types::Type::Integer,
            format!("{ms} is not a time").into(),
        )
    })
}

/// The `extra` column: JSON of [`Extras`], '' when none.
fn extra_column(extra: &Extras) -> String {
    if extra.is_empty() {
        return String::new();
    }
    serde_json::to_string(extra).unwrap_or_default()
}

/// Read back leniently: a history file may have been written by anything, and a record is
/// worth more than its extra fields.
fn extra_from_column(text: &str) -> Extras {
    if text.is_empty() {
        return Extras::default();
    }
    let mut extra: Extras = serde_json::from_str(text).unwrap_or_default();
    for f in crate::veriff::ExtraField::ALL {
        let mut v = extra.get(f);
        crate::text::make_safe(&mut v);
        extra.set(f, &v);
    }
    extra
}

fn row_to_record(row: &rusqlite::Row<'_>) -> rusqlite::Result<Record> {
    let mut status: String = row.get(15)?;
    crate::text::make_safe(&mut status);
    let checked_at = match row.get::<_, Option<i64>>(19)? {
        Some(_) => Some(time_col(row, 19)?),
        None => None,
    };
    let mut record = Record {
        id: row.get(0)?,
        created_at: time_col(row, 1)?,
        profile: row.get(2)?,
        base_url: row.get(3)?,
        sandbox: row.get(4)?,
        first_name: row.get(5)?,
        last_name: row.get(6)?,
        lang: row.get(7)?,
        selfid: row.get(8)?,
        callback: row.get(9)?,
        vendor_data: row.get(10)?,
        session_id: row.get(11)?,
        url: row.get(12)?,
        host: row.get(13)?,
        expires_at: time_col(row, 14)?,
        status: SessionStatus::parse(&status),
        decision_code: row.get(16)?,
        decision_reason: row.get(17)?,
        decision_time: row.get(18)?,
        checked_at,
        check_error: row.get(20)?,
        extra: extra_from_column(&row.get::<_, String>(21)?),
        made_elsewhere: row.get(22)?,
        operator: String::new(),
        machine: String::new(),
    };
    make_record_safe(&mut record);
    Ok(record)
}

/// Made safe where it enters: a history file (or a shared server) may have been written
/// by anything.
fn make_record_safe(r: &mut Record) {
    for field in [
        &mut r.profile,
        &mut r.base_url,
        &mut r.first_name,
        &mut r.last_name,
        &mut r.lang,
        &mut r.callback,
        &mut r.vendor_data,
        &mut r.session_id,
        &mut r.url,
        &mut r.operator,
        &mut r.machine,
    ] {
        crate::text::make_safe(field);
    }
    for field in [
        &mut r.host,
        &mut r.decision_reason,
        &mut r.decision_time,
        &mut r.check_error,
    ]
    .into_iter()
    .flatten()
    {
        crate::text::make_safe(field);
    }
}

/// The status a new session is stored with: Veriff's, or the default when it gave none.
fn initial_status(s: &CreatedSession) -> SessionStatus {
    s.status
        .as_deref()
        .filter(|v| !v.trim().is_empty())
        .map(SessionStatus::parse)
        .unwrap_or_default()
}

fn map_err_for(path: &str, e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Locked {
            path: path.to_string(),
        },
        // The header was ours (checked before SQLite opened the file): SQLite tripping on a
        // page is damage, found where it is read (see `health`).
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => StoreError::Damaged {
            path: path.to_string(),
            detail: e.to_string(),
        },
        Some(ErrorCode::ReadOnly) => StoreError::ReadOnly {
            path: path.to_string(),
        },
        Some(ErrorCode::OperationInterrupted) => {
            StoreError::Sqlite("the query was interrupted".into())
        }
        Some(ErrorCode::DiskFull) => StoreError::Io {
            path: path.to_string(),
            detail: "the disk is full; free some space and try again (nothing stored was lost)"
                .into(),
        },
        Some(ErrorCode::PermissionDenied | ErrorCode::CannotOpen) => StoreError::Io {
            path: path.to_string(),
            detail: format!("{e}; check that the file and its directory are writable by you"),
        },
        _ => StoreError::Sqlite(format!("{path}: {e}")),
    }
}

impl Record {
    /// False for the record of a request whose outcome is unknown: its session id is a
    /// placeholder and it has no URL.
    pub fn has_link(&self) -> bool {
        self.status != SessionStatus::Unknown
    }

    /// The status to show: a session past its expiry without a final decision is expired,
    /// without asking the API.
    pub fn effective_status(&self, now: DateTime<Utc>) -> SessionStatus {
        if !self.status.is_final() && now >= self.expires_at {
            SessionStatus::Expired
        } else {
            self.status.clone()
        }
    }
}
