//! The durable history of generated sessions ("Generated tokens"): SQLite in the data dir.
//!
//! Never holds an API key or a secret. Safe with several processes at once (WAL, busy
//! timeout). Queries page from the store; nothing loads every row.

mod fold;
mod grams;
mod rare;
mod schema;
#[cfg(feature = "dev-seed")]
pub mod seed;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{
    Connection, ErrorCode, OpenFlags, Transaction, TransactionBehavior, params, params_from_iter,
};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::veriff::{CreatedSession, Decision, SessionInput, SessionStatus};

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

/// A page of history: newest first, filtered by a substring of names, session id or
/// vendor data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pub search: Option<String>,
    pub profile: Option<String>,
    pub offset: u64,
    pub limit: u64,
}

impl Query {
    /// A search with at least one term (blank text filters nothing).
    pub fn has_search(&self) -> bool {
        self.search.as_deref().is_some_and(|s| !s.trim().is_empty())
    }
}

#[derive(Debug, Error)]
pub enum StoreError {
    /// The file exists but is not our database (or is corrupt); it was left untouched.
    #[error(
        "{path} is not a veriff-tui history database (or it is damaged); it was left untouched. Run `veriff-tui history --move-aside` to keep it under a new name and start a new history, or use --data-dir."
    )]
    NotOurs { path: String },
    /// The file is locked by another process for longer than we wait.
    #[error("the history database {path} is locked by another process; close it or try again")]
    Locked { path: String },
    #[error("history database error: {0}")]
    Sqlite(String),
    #[error("could not prepare {path}: {detail}")]
    Io { path: String, detail: String },
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
    decision_reason, decision_time, checked_at, check_error";

pub struct Store {
    conn: rusqlite::Connection,
    path: String,
    /// Trigram frequencies that steer searches (see `rare`), kept across keystrokes.
    trigrams: RefCell<rare::Stats>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating when missing) the database at `path`, migrating its schema.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with_timeout(path, DEFAULT_BUSY_TIMEOUT)
    }

    /// Like [`Store::open`], waiting at most `busy_timeout` for another process's lock.
    ///
    /// A file that exists and is not ours (or is damaged) is never written: it is
    /// recognised from its first 100 bytes before SQLite opens it.
    pub fn open_with_timeout(path: &Path, busy_timeout: Duration) -> Result<Self, StoreError> {
        let shown = crate::text::sanitize(&path.display().to_string());
        let io_err = |detail: String| StoreError::Io {
            path: shown.clone(),
            detail,
        };
        let existed = check_existing(path, &shown)?;
        if !existed {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                crate::config::create_private_dir(dir).map_err(|e| {
                    io_err(format!(
                        "cannot create the directory {}: {e}",
                        dir.display()
                    ))
                })?;
            }
            publish_new(path, &shown)
                .map_err(|e| io_err(format!("cannot create the file: {e}")))?;
        } else {
            tighten_mode(path);
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| map_err_for(&shown, e))?;
        let store = Self {
            conn,
            path: shown,
            trigrams: RefCell::default(),
        };
        store.configure(busy_timeout)?;
        Ok(store)
    }

    fn configure(&self, busy_timeout: Duration) -> Result<(), StoreError> {
        let c = &self.conn;
        c.busy_timeout(busy_timeout).map_err(|e| self.err(e))?;
        c.pragma_update(None, "foreign_keys", true)
            .map_err(|e| self.err(e))?;
        // The schema goes in before WAL is switched on, so the header (with our
        // application_id) reaches the main file at once: another process opening it at the
        // same moment already recognises it as ours.
        self.migrate()?;
        let mode: String = c
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .map_err(|e| self.err(e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Sqlite(format!(
                "{} cannot use write-ahead logging (journal mode stayed {mode}); put the data dir on a local disk (--data-dir)",
                self.path
            )));
        }
        c.pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| self.err(e))?;
        // A search with a profile reads each candidate row for its profile: a match count
        // of 1000 is 1600 rows on as many pages. SQLite's default 2 MB cache kept too few
        // of them from one keystroke to the next (the next one reads mostly the same rows);
        // 8 MB halves a keystroke at 1M. It fills only as rows are read.
        c.pragma_update(None, "cache_size", -PAGE_CACHE_KIB)
            .map_err(|e| self.err(e))?;
        rare::register(c).map_err(|e| self.err(e))?;
        Ok(())
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let too_new = |version: i64| {
            StoreError::Sqlite(format!(
                "{} was written by a newer veriff-tui (schema {version}, this one knows {}); it was left untouched: upgrade veriff-tui, or use --data-dir for a separate history",
                self.path,
                schema::latest()
            ))
        };
        let version = self.user_version()?;
        if version == schema::latest() {
            return self.check_tables();
        }
        if version > schema::latest() {
            return Err(too_new(version));
        }
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        // Another process may have migrated while we waited for the lock.
        let version = self.user_version()?;
        if version == schema::latest() {
            return self.check_tables();
        }
        if version > schema::latest() {
            return Err(too_new(version));
        }
        if version == 0 {
            let app_id: i32 = self
                .conn
                .pragma_query_value(None, "application_id", |r| r.get(0))
                .map_err(|e| self.err(e))?;
            let objects: i64 = self
                .conn
                .query_row("SELECT COUNT(*) FROM sqlite_master", [], |r| r.get(0))
                .map_err(|e| self.err(e))?;
            if (app_id != 0 && app_id != schema::APPLICATION_ID) || objects > 0 {
                return Err(self.not_ours());
            }
            self.conn
                .pragma_update(None, "application_id", schema::APPLICATION_ID)
                .map_err(|e| self.err(e))?;
        }
        for m in schema::MIGRATIONS.iter().skip(version as usize) {
            tx.execute_batch(m).map_err(|e| self.err(e))?;
        }
        if version < 2 {
            backfill_words(&tx).map_err(|e| self.err(e))?;
        }
        self.conn
            .pragma_update(None, "user_version", schema::latest())
            .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(())
    }

    fn user_version(&self) -> Result<i64, StoreError> {
        self.conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// Our version number on a file without our tables: someone else's file.
    fn check_tables(&self) -> Result<(), StoreError> {
        let n: i64 = self
            .conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('sessions', 'sessions_fts', 'sessions_grams', 'status_counts')",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        if n == 4 { Ok(()) } else { Err(self.not_ours()) }
    }

    /// The database file, as shown in messages.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// A handle that stops the query running on this store from another thread (a search
    /// superseded by the next keystroke); the interrupted call returns an error.
    pub fn interrupt_handle(&self) -> rusqlite::InterruptHandle {
        self.conn.get_interrupt_handle()
    }

    pub fn insert(&self, new: &NewRecord<'_>) -> Result<Record, StoreError> {
        let s = new.session;
        let i = new.input;
        let created_at = to_ms(s.created_at);
        let expires_at = to_ms(s.expires_at);
        let status = initial_status(s);
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        let inserted = tx.execute(
            "INSERT INTO sessions (created_at, profile, base_url, sandbox, first_name, last_name, \
             lang, selfid, callback, vendor_data, session_id, url, host, expires_at, status) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            params![
                created_at,
                new.profile,
                new.base_url,
                new.sandbox,
                i.first_name,
                i.last_name,
                i.lang,
                i.selfid,
                i.callback,
                i.vendor_data,
                s.id,
                s.url,
                s.host,
                expires_at,
                status.as_str(),
            ],
        );
        if let Err(e) = inserted {
            if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) {
                return Err(StoreError::Sqlite(format!(
                    "session {} is already in the history",
                    crate::text::sanitize(&s.id)
                )));
            }
            return Err(self.err(e));
        }
        let id = tx.last_insert_rowid();
        index_words(
            &tx,
            id,
            [&i.first_name, &i.last_name, &s.id, &i.vendor_data],
        )
        .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(Record::from_new(id, new))
    }

    /// Newest first (by creation time; a search by insertion order, which is the same
    /// unless rows were imported out of order). `limit` 0 means no limit. Search terms
    /// (split at white space) must each occur in a name, the session id or the vendor data,
    /// ignoring case. Terms of 3+ characters use the trigram index; a search of only
    /// shorter terms the index of 1-2 character substrings; a short term beside a long one
    /// filters the rows the trigram index yields (ASCII-only case folding there).
    pub fn page(&self, query: &Query) -> Result<Vec<Record>, StoreError> {
        self.page_where(query, None, Some(query.offset), false)
    }

    /// The page after `cursor` (the last record of the previous page; `None` for the first
    /// page); `query.offset` is ignored. Stays fast however deep the page.
    pub fn page_after(
        &self,
        query: &Query,
        cursor: Option<Cursor>,
    ) -> Result<Vec<Record>, StoreError> {
        self.page_where(query, cursor, None, false)
    }

    /// The oldest `query.limit` records matching (`query.offset` ignored), newest first:
    /// the end of the list, read from its end instead of walking past every record
    /// before it as an offset does (a list's End on a search of 600k matches).
    pub fn last_page(&self, query: &Query) -> Result<Vec<Record>, StoreError> {
        let mut rows = self.page_where(query, None, None, true)?;
        rows.reverse();
        Ok(rows)
    }

    fn page_where(
        &self,
        query: &Query,
        cursor: Option<Cursor>,
        offset: Option<u64>,
        oldest_first: bool,
    ) -> Result<Vec<Record>, StoreError> {
        let mut f = self.filter(query)?;
        if let Some(c) = cursor {
            if let Some(idx) = f.index {
                // On the index's own rowid, so the search starts there instead of
                // skipping every newer match.
                f.clauses.push(format!("{idx}.rowid < ?"));
                f.params.push(Value::Integer(c.id));
            } else {
                f.clauses.push("(s.created_at, s.id) < (?, ?)".into());
                f.params.push(Value::Integer(c.created_at_ms));
                f.params.push(Value::Integer(c.id));
            }
        }
        // A search walks its index backwards from the newest row and stops at the limit,
        // however common the term; sorting the matches by created_at instead would sort
        // every match first. Rows are inserted as they are generated, so the id order is
        // the creation order.
        let dir = if oldest_first { "ASC" } else { "DESC" };
        let order = match f.index {
            Some(idx) => format!("{idx}.rowid {dir}"),
            None => format!("s.created_at {dir}, s.id {dir}"),
        };
        let sql = format!(
            "SELECT {} FROM {} {} ORDER BY {order} LIMIT ? OFFSET ?",
            qualified_columns(),
            f.tables_sql(),
            f.where_sql()
        );
        f.params.push(Value::Integer(sql_limit(query.limit)));
        f.params.push(Value::Integer(
            offset.map_or(0, |o| i64::try_from(o).unwrap_or(i64::MAX)),
        ));
        self.records(&sql, f.params)
    }

    /// What one keystroke in a filter box needs: the first page (`query.limit` rows,
    /// `query.offset` ignored) and the match count up to `cap` (as [`Store::count_up_to`]).
    /// A page that is not full already is the whole answer, so its count costs nothing:
    /// a rare term is searched once, not twice.
    pub fn first_page_and_count(
        &self,
        query: &Query,
        cap: u64,
    ) -> Result<(Vec<Record>, u64), StoreError> {
        let page = self.page_after(query, None)?;
        let len = page.len() as u64;
        if query.limit > 0 && len < query.limit {
            let n = if cap > 0 { len.min(cap) } else { len };
            return Ok((page, n));
        }
        let n = self.count_up_to(query, cap)?;
        Ok((page, n))
    }

    /// How many records match the query. Without a search it is the tally the triggers
    /// keep per profile, so a million records count as fast as ten.
    pub fn count(&self, query: &Query) -> Result<u64, StoreError> {
        if !query.has_search() {
            return self.tally(query.profile.as_deref());
        }
        let f = self.filter(query)?;
        let sql = format!(
            "SELECT COUNT(*) FROM {} {}",
            f.count_tables_sql(),
            f.where_sql()
        );
        self.count_sql(&sql, f.params)
    }

    /// Like [`Store::count`] but stops at `cap` (`cap` means "cap or more"): cheap for a
    /// match count shown while typing, however common the term.
    pub fn count_up_to(&self, query: &Query, cap: u64) -> Result<u64, StoreError> {
        if !query.has_search() {
            let n = self.tally(query.profile.as_deref())?;
            return Ok(if cap > 0 { n.min(cap) } else { n });
        }
        let mut f = self.filter(query)?;
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM {} {} LIMIT ?)",
            f.count_tables_sql(),
            f.where_sql()
        );
        f.params.push(Value::Integer(sql_limit(cap)));
        self.count_sql(&sql, f.params)
    }

    /// Records of a profile (or of all), from `status_counts`.
    fn tally(&self, profile: Option<&str>) -> Result<u64, StoreError> {
        match profile {
            Some(p) => self.count_sql(
                "SELECT COALESCE(SUM(n), 0) FROM status_counts WHERE profile = ?",
                vec![Value::Text(p.to_string())],
            ),
            None => self.count_sql("SELECT COALESCE(SUM(n), 0) FROM status_counts", Vec::new()),
        }
    }

    /// Runs `f` unless `wanted()` is false, and stops it as soon as `wanted()` turns false
    /// (checked every few thousand SQLite steps): a search made stale by newer typing gives
    /// the store back at once instead of finishing. `Ok(None)` when it was not wanted.
    pub fn while_wanted<T>(
        &self,
        wanted: impl Fn() -> bool + Send + Clone + 'static,
        f: impl FnOnce(&Store) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        if !wanted() {
            return Ok(None);
        }
        let check = wanted.clone();
        self.conn
            .progress_handler(PROGRESS_STEPS, Some(move || !check()));
        let result = f(self);
        self.conn.progress_handler(0, None::<fn() -> bool>);
        match result {
            // Interrupted (or failed on the way) after it stopped mattering: nobody reads it.
            Err(_) if !wanted() => Ok(None),
            r => r.map(Some),
        }
    }

    /// The query's filter: a search of long terms runs by their rarest trigrams when that
    /// is faster than the phrase query (see `rare`).
    fn filter(&self, query: &Query) -> Result<Filter, StoreError> {
        let (long, short): (Vec<&str>, Vec<&str>) = search_terms(query)
            .into_iter()
            .partition(|t| t.chars().count() >= TRIGRAM);
        let plan = if long.is_empty() {
            None
        } else {
            // Every candidate row is read anyway for a profile or a 1-2 character term.
            let rows_read = query.profile.is_some() || !short.is_empty();
            let mut stats = self.trigrams.borrow_mut();
            rare::plan(&self.conn, &mut stats, &long, rows_read).map_err(|e| self.err(e))?
        };
        Ok(Filter::from_query(query, plan))
    }

    fn count_sql(&self, sql: &str, params: Vec<Value>) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .prepare_cached(sql)
            .and_then(|mut st| st.query_row(params_from_iter(params), |r| r.get(0)))
            .map_err(|e| self.err(e))?;
        Ok(n.max(0) as u64)
    }

    pub fn get(&self, id: i64) -> Result<Option<Record>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM sessions WHERE id = ?");
        Ok(self.records(&sql, vec![Value::Integer(id)])?.pop())
    }

    /// The record of a session id; a unique prefix of at least 4 characters also finds it.
    pub fn find_by_session_id(&self, session_id: &str) -> Result<Option<Record>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM sessions WHERE session_id = ?");
        if let Some(r) = self
            .records(&sql, vec![Value::Text(session_id.to_string())])?
            .pop()
        {
            return Ok(Some(r));
        }
        if session_id.chars().count() < 4 {
            return Ok(None);
        }
        // A range on the unique index: every id starting with the prefix sorts between it
        // and the prefix followed by the largest character.
        let sql = format!(
            "SELECT {COLUMNS} FROM sessions WHERE session_id >= ? AND session_id < ? LIMIT 2"
        );
        let mut found = self.records(
            &sql,
            vec![
                Value::Text(session_id.to_string()),
                Value::Text(format!("{session_id}{}", char::MAX)),
            ],
        )?;
        Ok(if found.len() == 1 { found.pop() } else { None })
    }

    /// Stores a fetched decision (`None`: no decision yet, only `checked_at` moves).
    /// A session that is not in the history is left alone.
    pub fn record_decision(
        &self,
        session_id: &str,
        decision: Option<&Decision>,
        checked_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let checked = to_ms(checked_at);
        let result = match decision {
            None => self.conn.execute(
                "UPDATE sessions SET checked_at = ?1, check_error = NULL WHERE session_id = ?2",
                params![checked, session_id],
            ),
            Some(d) => {
                let decided = !matches!(
                    d.status,
                    SessionStatus::Created | SessionStatus::Started | SessionStatus::Submitted
                );
                let decided_at = decided.then(|| {
                    d.decision_time
                        .as_deref()
                        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                        .map_or(checked, |t| to_ms(t.with_timezone(&Utc)))
                });
                self.conn.execute(
                    "UPDATE sessions SET status = ?1, decision_code = ?2, decision_reason = ?3, \
                     decision_time = ?4, decided_at = ?5, checked_at = ?6, check_error = NULL \
                     WHERE session_id = ?7",
                    params![
                        d.status.as_str(),
                        d.code,
                        d.reason,
                        d.decision_time,
                        decided_at,
                        checked,
                        session_id
                    ],
                )
            }
        };
        result.map(|_| ()).map_err(|e| self.err(e))
    }

    /// Notes a failed refresh on the record, so the row can show it.
    pub fn record_check_error(&self, session_id: &str, error: &str) -> Result<(), StoreError> {
        let error: String = error.chars().take(MAX_CHECK_ERROR_CHARS).collect();
        self.conn
            .execute(
                "UPDATE sessions SET check_error = ?1 WHERE session_id = ?2",
                params![error, session_id],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Deletes the local record (never the session at Veriff). True when a row went.
    pub fn delete(&self, id: i64) -> Result<bool, StoreError> {
        self.conn
            .execute("DELETE FROM sessions WHERE id = ?", [id])
            .map(|n| n > 0)
            .map_err(|e| self.err(e))
    }

    /// Records whose decision may still change (not final, not past expiry), oldest first.
    pub fn pending(&self, profile: Option<&str>, limit: u64) -> Result<Vec<Record>, StoreError> {
        let mut params = vec![Value::Integer(to_ms(Utc::now()))];
        let mut sql = format!(
            "SELECT {COLUMNS} FROM sessions INDEXED BY sessions_pending \
             WHERE expires_at > ? AND status NOT IN ({})",
            final_statuses_sql()
        );
        if let Some(p) = profile {
            sql.push_str(" AND profile = ?");
            params.push(Value::Text(p.to_string()));
        }
        sql.push_str(" ORDER BY created_at, id LIMIT ?");
        params.push(Value::Integer(sql_limit(limit)));
        self.records(&sql, params)
    }

    /// Count per status for the dashboard; sessions past expiry without a final decision
    /// count as expired. Every known status is listed (zeros included, in
    /// `SessionStatus::ALL` order), then unknown ones that occur.
    pub fn status_counts(
        &self,
        profile: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<(SessionStatus, u64)>, StoreError> {
        let profile_sql = if profile.is_some() {
            " AND profile = ?"
        } else {
            ""
        };
        let mut totals_params = Vec::new();
        let mut live_params = vec![Value::Integer(to_ms(now))];
        if let Some(p) = profile {
            totals_params.push(Value::Text(p.to_string()));
            live_params.push(Value::Text(p.to_string()));
        }
        let totals = self.status_rows(
            &format!(
                "SELECT status, SUM(n) FROM status_counts WHERE 1 = 1{profile_sql} GROUP BY status"
            ),
            totals_params,
        )?;
        // Only sessions that have not expired yet: a small range of the expiry index.
        let live = self.status_rows(
            &format!(
                "SELECT status, COUNT(*) FROM sessions INDEXED BY sessions_pending \
                 WHERE expires_at > ? AND status NOT IN ({}){profile_sql} GROUP BY status",
                final_statuses_sql()
            ),
            live_params,
        )?;
        let mut counts: BTreeMap<SessionStatus, u64> = BTreeMap::new();
        let mut expired = 0u64;
        for (status, total) in totals {
            if status.is_final() {
                *counts.entry(status).or_default() += total;
            } else {
                let alive = live
                    .iter()
                    .find(|(s, _)| *s == status)
                    .map_or(0, |(_, n)| *n)
                    .min(total);
                expired += total - alive;
                *counts.entry(status).or_default() += alive;
            }
        }
        *counts.entry(SessionStatus::Expired).or_default() += expired;
        let mut out: Vec<(SessionStatus, u64)> = SessionStatus::ALL
            .iter()
            .map(|s| (s.clone(), counts.remove(s).unwrap_or(0)))
            .collect();
        out.extend(counts.into_iter().filter(|(_, n)| *n > 0));
        Ok(out)
    }

    fn status_rows(
        &self,
        sql: &str,
        params: Vec<Value>,
    ) -> Result<Vec<(SessionStatus, u64)>, StoreError> {
        let run = || -> rusqlite::Result<Vec<(SessionStatus, u64)>> {
            let mut st = self.conn.prepare_cached(sql)?;
            let rows = st.query_map(params_from_iter(params), |r| {
                let s: String = r.get(0)?;
                let n: i64 = r.get(1)?;
                Ok((SessionStatus::parse(&s), n.max(0) as u64))
            })?;
            rows.collect()
        };
        run().map_err(|e| self.err(e))
    }

    /// Links generated per UTC day over the last `days` days, oldest first.
    pub fn per_day(
        &self,
        profile: Option<&str>,
        days: u32,
        now: DateTime<Utc>,
    ) -> Result<Vec<(chrono::NaiveDate, u64)>, StoreError> {
        if days == 0 {
            return Ok(Vec::new());
        }
        let today = now.timestamp_millis().div_euclid(DAY_MS);
        let first = today - i64::from(days) + 1;
        let mut params = vec![
            Value::Integer(first * DAY_MS),
            Value::Integer((today + 1) * DAY_MS),
        ];
        // One range count per day on the creation index: counting in index order needs no
        // sort, where GROUP BY created_at / 86400000 sorted every row of the month.
        let profile_sql = if let Some(p) = profile {
            params.push(Value::Text(p.to_string()));
            " AND profile = ?3"
        } else {
            ""
        };
        let sql = format!(
            "WITH RECURSIVE days(d) AS (SELECT ?1 / 86400000 UNION ALL SELECT d + 1 FROM days \
             WHERE d + 1 < ?2 / 86400000) \
             SELECT d, (SELECT COUNT(*) FROM sessions WHERE created_at >= d * 86400000 \
             AND created_at < (d + 1) * 86400000{profile_sql}) FROM days"
        );
        let run = || -> rusqlite::Result<BTreeMap<i64, u64>> {
            let mut st = self.conn.prepare_cached(&sql)?;
            let rows = st.query_map(params_from_iter(params), |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?.max(0) as u64))
            })?;
            rows.collect()
        };
        let by_day = run().map_err(|e| self.err(e))?;
        Ok((first..=today)
            .filter_map(|d| {
                let date = DateTime::from_timestamp_millis(d * DAY_MS)?.date_naive();
                Some((date, by_day.get(&d).copied().unwrap_or(0)))
            })
            .collect())
    }

    /// Latest decided sessions, newest decision first.
    pub fn latest_decisions(
        &self,
        profile: Option<&str>,
        limit: u64,
    ) -> Result<Vec<Record>, StoreError> {
        let mut params = Vec::new();
        let mut sql = format!("SELECT {COLUMNS} FROM sessions WHERE decided_at IS NOT NULL");
        if let Some(p) = profile {
            sql.push_str(" AND profile = ?");
            params.push(Value::Text(p.to_string()));
        }
        sql.push_str(" ORDER BY decided_at DESC, id DESC LIMIT ?");
        params.push(Value::Integer(sql_limit(limit)));
        self.records(&sql, params)
    }

    /// The query plan SQLite picks for a statement (for tests that keep queries on their
    /// indexes).
    #[doc(hidden)]
    pub fn explain(&self, sql: &str) -> Result<String, StoreError> {
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

/// Adds a record's short-substring words (see `grams`), in the caller's transaction.
fn index_words(conn: &Connection, id: i64, fields: [&str; 4]) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT INTO sessions_grams (rowid, words) VALUES (?, ?)")?
        .execute(params![id, grams::words(&fields)])?;
    Ok(())
}

/// The words of every record stored before schema V2.
fn backfill_words(conn: &Connection) -> rusqlite::Result<()> {
    let mut st = conn.prepare(
        "SELECT id, first_name, last_name, session_id, vendor_data FROM sessions ORDER BY id",
    )?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let fields: [String; 4] = [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?];
        index_words(
            conn,
            r.get(0)?,
            [&fields[0], &fields[1], &fields[2], &fields[3]],
        )?;
    }
    Ok(())
}

/// Moves a history file that cannot be used (not ours, damaged) out of the way, with its
/// `-wal` and `-shm` companions, so a new history can start; nothing is deleted or
/// changed. Returns the new name of the database file.
pub fn move_aside(path: &Path) -> Result<std::path::PathBuf, StoreError> {
    let stamp = Utc::now().format("%Y%m%dT%H%M%SZ");
    // rename() replaces an existing file: a second move in the same second must not
    // overwrite the first one's file (or its -wal/-shm).
    let free = |t: &std::path::PathBuf| {
        ["", "-wal", "-shm"].iter().all(|suffix| {
            let mut p = t.as_os_str().to_owned();
            p.push(suffix);
            std::fs::symlink_metadata(p).is_err()
        })
    };
    let target = (1..1000)
        .map(|n| {
            let mut t = path.as_os_str().to_owned();
            match n {
                1 => t.push(format!(".unusable-{stamp}")),
                n => t.push(format!(".unusable-{stamp}-{n}")),
            }
            std::path::PathBuf::from(t)
        })
        .find(free)
        .ok_or_else(|| StoreError::Io {
            path: crate::text::sanitize(&path.display().to_string()),
            detail: "cannot move it aside: too many files already moved aside next to it".into(),
        })?;
    let io_err = |e: std::io::Error| StoreError::Io {
        path: crate::text::sanitize(&path.display().to_string()),
        detail: format!("cannot move it aside: {e}"),
    };
    std::fs::rename(path, &target).map_err(io_err)?;
    for suffix in ["-wal", "-shm"] {
        let mut from = path.as_os_str().to_owned();
        from.push(suffix);
        let mut to = target.as_os_str().to_owned();
        to.push(suffix);
        match std::fs::rename(&from, &to) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(e)),
        }
    }
    Ok(target)
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

/// The FROM and WHERE clauses of a history query and their parameters. `sessions` is `s`;
/// a search is driven by an index walked newest first: the trigram index `sessions_fts`,
/// or for terms of 1-2 characters alone the short-substring index `sessions_grams`.
struct Filter {
    index: Option<&'static str>,
    clauses: Vec<String>,
    params: Vec<Value>,
}

fn search_terms(query: &Query) -> Vec<&str> {
    query
        .search
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .collect()
}

impl Filter {
    fn from_query(query: &Query, plan: Option<rare::Plan>) -> Self {
        let mut f = Self {
            index: None,
            clauses: Vec::new(),
            params: Vec::new(),
        };
        let (long, short): (Vec<&str>, Vec<&str>) = search_terms(query)
            .into_iter()
            .partition(|t| t.chars().count() >= TRIGRAM);
        let mut checked = Vec::new();
        if let Some(plan) = plan {
            // Candidates by a few trigrams, checked for the whole terms below.
            f.index = Some("sessions_fts");
            f.clauses.push("sessions_fts MATCH ?".into());
            f.params.push(Value::Text(plan.matches));
            checked = plan.terms;
        } else if !long.is_empty() {
            // Each term a quoted phrase: its trigrams in a row, i.e. a substring; the
            // phrases are ANDed. NULs go: the tokenizer skips them, but the query parser
            // would end the string there.
            let phrase: Vec<String> = long
                .iter()
                .map(|t| format!("\"{}\"", t.replace('\0', "").replace('"', "\"\"")))
                .collect();
            f.index = Some("sessions_fts");
            f.clauses.push("sessions_fts MATCH ?".into());
            f.params.push(Value::Text(phrase.join(" ")));
        } else if !short.is_empty() {
            let words: Vec<String> = short.iter().map(|t| grams::term(t)).collect();
            f.index = Some("sessions_grams");
            f.clauses.push("sessions_grams MATCH ?".into());
            f.params.push(Value::Text(words.join(" ")));
        }
        if let Some(p) = &query.profile {
            f.clauses.push("s.profile = ?".into());
            f.params.push(Value::Text(p.clone()));
        }
        if !long.is_empty() {
            // Beside a long term, a short one only filters the few rows the trigram
            // index yields.
            for t in short {
                let pattern = format!("%{}%", escape_like(t));
                f.clauses.push(
                    "(s.first_name LIKE ? ESCAPE '\\' OR s.last_name LIKE ? ESCAPE '\\' \
                     OR s.session_id LIKE ? ESCAPE '\\' OR s.vendor_data LIKE ? ESCAPE '\\')"
                        .into(),
                );
                for _ in 0..4 {
                    f.params.push(Value::Text(pattern.clone()));
                }
            }
        }
        if !checked.is_empty() {
            // After the profile check, which is cheaper and drops the other profiles.
            let marks = vec!["?"; checked.len()].join(", ");
            f.clauses.push(format!(
                "{}(s.first_name, s.last_name, s.session_id, s.vendor_data, {marks})",
                rare::FUNCTION
            ));
            f.params.extend(checked.into_iter().map(Value::Text));
        }
        f
    }

    fn tables_sql(&self) -> String {
        match self.index {
            Some(idx) => format!("{idx} JOIN sessions s ON s.id = {idx}.rowid"),
            None => "sessions s".into(),
        }
    }

    /// For counting: a search alone needs no row of `sessions` (each index holds exactly
    /// the stored rows), so it counts index entries without looking each row up.
    fn count_tables_sql(&self) -> String {
        match self.index {
            Some(idx) if self.clauses.len() == 1 => idx.to_string(),
            _ => self.tables_sql(),
        }
    }

    fn where_sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
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

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn final_statuses_sql() -> String {
    SessionStatus::ALL
        .iter()
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

fn row_to_record(row: &rusqlite::Row<'_>) -> rusqlite::Result<Record> {
    let status: String = row.get(15)?;
    let checked_at = match row.get::<_, Option<i64>>(19)? {
        Some(_) => Some(time_col(row, 19)?),
        None => None,
    };
    Ok(Record {
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
    })
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
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => StoreError::NotOurs {
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
        Some(ErrorCode::ReadOnly | ErrorCode::PermissionDenied | ErrorCode::CannotOpen) => {
            StoreError::Io {
                path: path.to_string(),
                detail: format!("{e}; check that the file and its directory are writable by you"),
            }
        }
        _ => StoreError::Sqlite(format!("{path}: {e}")),
    }
}

/// Whether `path` holds a database to open (true) or is to be created (false: missing or
/// empty). Anything else that is not our SQLite file is refused here, from its header
/// alone, before SQLite could write to it.
fn check_existing(path: &Path, shown: &str) -> Result<bool, StoreError> {
    let not_ours = || StoreError::NotOurs {
        path: shown.to_string(),
    };
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => {
            return Err(StoreError::Io {
                path: shown.to_string(),
                detail: format!("cannot read it: {e}"),
            });
        }
    };
    let meta = file.metadata().map_err(|e| StoreError::Io {
        path: shown.to_string(),
        detail: format!("cannot read it: {e}"),
    })?;
    if meta.is_dir() {
        return Err(StoreError::Io {
            path: shown.to_string(),
            detail: "it is a directory, not a file; pass another --data-dir".into(),
        });
    }
    if meta.len() == 0 {
        return Ok(false);
    }
    let mut header = [0u8; 100];
    if file.read_exact(&mut header).is_err() {
        return Err(not_ours());
    }
    if &header[..16] != SQLITE_MAGIC {
        return Err(not_ours());
    }
    let app_id = i32::from_be_bytes([header[68], header[69], header[70], header[71]]);
    if app_id != schema::APPLICATION_ID {
        return Err(not_ours());
    }
    Ok(true)
}

/// Creates a new history at `path` as one atomic step: the schema is written to a private
/// temporary file which is then linked into place. Another process opening `path` at the
/// same moment sees either no file or a complete one of ours, never a half-written header
/// (which it would have to refuse as "not ours"). Losing the race to another creator is fine:
/// its file is used.
fn publish_new(path: &Path, shown: &str) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "history".into());
    let tmp = path.with_file_name(format!(".{name}.new-{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    create_private_file(&tmp)?;
    let built = Connection::open_with_flags(
        &tmp,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(std::io::Error::other)
    .and_then(|conn| {
        let store = Store {
            conn,
            path: shown.to_string(),
            trigrams: RefCell::default(),
        };
        store.migrate().map_err(std::io::Error::other)
    });
    let linked = built.and_then(|()| match std::fs::hard_link(&tmp, path) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    });
    let _ = std::fs::remove_file(&tmp);
    linked
}

fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    drop(options.open(path)?);
    tighten_mode(path);
    Ok(())
}

/// Our own files are for the owner only, whatever the umask said.
fn tighten_mode(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            // Best effort: a file we cannot chmod still works, and is not ours to fail on.
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

impl Record {
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
