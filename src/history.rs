//! The durable history of generated sessions ("Generated tokens"): SQLite in the data dir.
//!
//! Never holds an API key or a secret. Safe with several processes at once (WAL, busy
//! timeout). Queries page from the store; nothing loads every row.

use std::path::Path;

use chrono::{DateTime, Utc};
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

#[derive(Debug, Error)]
pub enum StoreError {
    /// The file exists but is not our database (or is corrupt); it was left untouched.
    #[error(
        "{path} is not a veriff-tui history database (or it is damaged); it was left untouched. Move it away or use --data-dir to start a new history."
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

pub struct Store {
    conn: rusqlite::Connection,
}

impl Store {
    /// Opens (creating when missing) the database at `path`, migrating its schema.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let _ = path;
        Err(StoreError::Sqlite("not implemented yet".into()))
    }

    pub fn insert(&self, new: &NewRecord<'_>) -> Result<Record, StoreError> {
        let _ = (new, &self.conn);
        Err(StoreError::Sqlite("not implemented yet".into()))
    }

    pub fn page(&self, query: &Query) -> Result<Vec<Record>, StoreError> {
        let _ = query;
        Err(StoreError::Sqlite("not implemented yet".into()))
    }

    pub fn count(&self, query: &Query) -> Result<u64, StoreError> {
        let _ = query;
        Err(StoreError::Sqlite("not implemented yet".into()))
    }

    pub fn get(&self, id: i64) -> Result<Option<Record>, StoreError> {
        let _ = id;
        Err(StoreError::Sqlite("not implemented yet".into()))
    }

    pub fn find_by_session_id(&self, session_id: &str) -> Result<Option<Record>, StoreError> {
        let _ = session_id;
        Err(StoreError::Sqlite("not implemented yet".into()))
    }

    /// Stores a fetched decision (`None`: no decision yet, only `checked_at` moves).
    pub fn record_decision(
        &self,
        session_id: &str,
        decision: Option<&Decision>,
        checked_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _ = (session_id, decision, checked_at);
        Err(StoreError::Sqlite("not implemented yet".into()))
    }

    /// Notes a failed refresh on the record, so the row can show it.
    pub fn record_check_error(&self, session_id: &str, error: &str) -> Result<(), StoreError> {
        let _ = (session_id, error);
        Err(StoreError::Sqlite("not implemented yet".into()))
    }

    /// Deletes the local record (never the session at Veriff). True when a row went.
    pub fn delete(&self, id: i64) -> Result<bool, StoreError> {
        let _ = id;
        Err(StoreError::Sqlite("not implemented yet".into()))
    }

    /// Records whose decision may still change (not final, not past expiry), oldest first.
    pub fn pending(&self, profile: Option<&str>, limit: u64) -> Result<Vec<Record>, StoreError> {
        let _ = (profile, limit);
        Err(StoreError::Sqlite("not implemented yet".into()))
    }

    /// Count per status for the dashboard; sessions past expiry without a final decision
    /// count as expired.
    pub fn status_counts(
        &self,
        profile: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<(SessionStatus, u64)>, StoreError> {
        let _ = (profile, now);
        Err(StoreError::Sqlite("not implemented yet".into()))
    }

    /// Links generated per UTC day over the last `days` days, oldest first.
    pub fn per_day(
        &self,
        profile: Option<&str>,
        days: u32,
        now: DateTime<Utc>,
    ) -> Result<Vec<(chrono::NaiveDate, u64)>, StoreError> {
        let _ = (profile, days, now);
        Err(StoreError::Sqlite("not implemented yet".into()))
    }

    /// Latest decided sessions, newest decision first.
    pub fn latest_decisions(
        &self,
        profile: Option<&str>,
        limit: u64,
    ) -> Result<Vec<Record>, StoreError> {
        let _ = (profile, limit);
        Err(StoreError::Sqlite("not implemented yet".into()))
    }
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
