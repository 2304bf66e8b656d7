//! The history on a PostgreSQL server: a team's shared "Generated tokens" list.
//!
//! [`Store`](super::Store) stays the one type callers use; opened on a `postgres://` URL it
//! holds a [`PgStore`] and each of its public methods hands over to the same-named method
//! here. This file holds the connection and how it is used safely from anywhere, the error
//! mapping and the row mapping; `url` parses and redacts the address, `tls` is the rustls
//! connector, `schema` the migrations, `open` connects and migrates, `write`, `query`,
//! `stats`, `webhooks` and `batches` mirror the SQLite files of the same names (`search`
//! chooses how a search runs; `outbox` keeps what cannot reach the server in the local
//! file); `import` copies whole records in (`history import`); `seed` writes the fake
//! history (feature dev-seed).
//!
//! The driver is the synchronous `postgres` crate, which runs a small tokio runtime of its
//! own for each call and so panics when called on a thread inside another runtime's
//! context. The store is called from blocking tasks, from the CLI's current-thread runtime
//! (`ops::on_store` runs it in place there) and from plain threads; [`PgStore::run`] checks
//! where it is and, inside a runtime, runs the call on a scoped thread of its own, so no
//! caller has to know.

mod batches;
mod changes;
mod import;
mod open;
mod outbox;
mod query;
mod schema;
mod search;
#[cfg(feature = "dev-seed")]
mod seed;
mod stats;
mod tls;
pub mod url;
mod webhooks;
mod write;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::{Record, StoreError};

pub use outbox::SyncReport;
pub use url::PgUrl;

/// The history on a PostgreSQL server (see the module doc).
pub(crate) struct PgStore {
    /// `None` only while dropping (the client is closed off any runtime's thread).
    client: RefCell<Option<postgres::Client>>,
    /// How to connect again when the connection was lost (a server restarted).
    connector: Connector,
    url: PgUrl,
    /// Who this process writes records as, and from which machine (the records say so).
    operator: String,
    machine: String,
    /// How far connections are set up (see `connect`).
    setup: Cell<Setup>,
    /// Connecting failed last time: calls meanwhile fail at once (see `open_connection`).
    down: RefCell<Option<Down>>,
    /// The local file where what cannot reach the server waits (`None`: a failure to
    /// reach it is the caller's).
    outbox: Option<outbox::Outbox>,
    /// Records the outbox wrote to the server since [`PgStore::take_sent`] last asked.
    sent: Cell<u64>,
    /// What the outbox wrote since this store was opened (`history sync` reports it).
    synced: Cell<outbox::SyncReport>,
    /// The newest records, which steer how searches run (`search`).
    sample: RefCell<search::Sample>,
    /// The reading statements prepared on this connection, by their text (see
    /// [`PgStore::query`]).
    statements: RefCell<HashMap<String, postgres::Statement>>,
}

/// Statements kept prepared at most: the texts differ in the number of terms and keys and
/// the scope, a few dozen in use; past this many they are all let go and prepared again.
const MOST_STATEMENTS: usize = 200;

/// How far the store's connections are set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setup {
    /// The server is not checked nor the schema migrated: nothing connected yet, or that
    /// failed (a server too old, a schema too new), and the next call tries again.
    Unchecked,
    /// A new connection is being set up: the server checked and the schema migrated (the
    /// first time), then what waits in the outbox written. Those calls come back through
    /// `connect` and use the connection as it is.
    Busy { checked: bool },
    /// Checked and migrated: a new connection (the old one was lost) only writes what
    /// waits.
    Checked,
}

/// After a failed connection, how long calls fail at once before one tries again: a
/// server that is down is not asked four times a second, and one whose address does not
/// answer does not hold every call for the connect timeout. Doubled after each failure
/// that took [`SLOW_CONNECT`] or more, up to [`RETRY_AFTER_MOST`].
const RETRY_AFTER: Duration = Duration::from_secs(3);
const RETRY_AFTER_MOST: Duration = Duration::from_secs(30);
const SLOW_CONNECT: Duration = Duration::from_secs(1);

/// A server found unreachable: since when, why, and how long to wait before trying again.
struct Down {
    since: Instant,
    detail: String,
    wait: Duration,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("url", &self.url).finish()
    }
}

impl PgStore {
    /// The URL without its password, as messages show it.
    pub(crate) fn shown(&self) -> &str {
        self.url.shown()
    }

    /// Runs `f` on the connection ([`PgStore::call`]), connecting first when there is
    /// none (the first time, or after the connection was lost).
    fn run<T: Send>(
        &self,
        f: impl FnOnce(&mut postgres::Client) -> Result<T, postgres::Error> + Send,
    ) -> Result<T, StoreError> {
        self.connect()?;
        self.call(f)
    }

    /// Connects when there is no live connection, at most once every [`RETRY_AFTER`]
    /// while the server cannot be reached. The first connection checks the server and
    /// migrates; every new one writes what waits in the outbox (the server is back).
    fn connect(&self) -> Result<(), StoreError> {
        let connected = {
            let mut guard = self.client.borrow_mut();
            if guard.as_ref().is_some_and(postgres::Client::is_closed) {
                let lost = guard.take();
                off_runtime(move || drop(lost));
                tracing::info!(url = %self.url, "the shared history's connection was lost; connecting again");
            }
            guard.is_some()
        };
        let setup = self.setup.get();
        if connected && setup != Setup::Unchecked {
            return Ok(());
        }
        if !connected {
            self.open_connection()?;
        }
        let checked = match setup {
            Setup::Unchecked => false,
            Setup::Busy { checked } => checked,
            Setup::Checked => true,
        };
        self.setup.set(Setup::Busy { checked });
        let prepared = if checked {
            Ok(())
        } else {
            self.check_server().and_then(|()| self.migrate())
        };
        if prepared.is_ok() {
            self.setup.set(Setup::Busy { checked: true });
            self.after_connect();
        }
        self.setup.set(if prepared.is_ok() || checked {
            Setup::Checked
        } else {
            Setup::Unchecked
        });
        prepared
    }

    /// Makes the connection, unless the server was found unreachable a moment ago: then
    /// that is said again at once, the wait before the next try doubling up to
    /// [`RETRY_AFTER_MOST`].
    fn open_connection(&self) -> Result<(), StoreError> {
        if let Some(down) = self.down.borrow().as_ref()
            && down.since.elapsed() < down.wait
        {
            return Err(StoreError::Unreachable {
                url: self.url.shown().to_string(),
                detail: down.detail.clone(),
                meanwhile: self.meanwhile(),
            });
        }
        let connector = &self.connector;
        let started = Instant::now();
        let client = off_runtime(|| connector.connect())
            .ok_or_else(|| self.shared("connecting failed unexpectedly".into()))?
            .map_err(|e| self.err(e));
        match client {
            Ok(c) => {
                // Statements are the old connection's.
                self.statements.borrow_mut().clear();
                *self.client.borrow_mut() = Some(c);
                if self.down.borrow_mut().take().is_some() {
                    tracing::info!(url = %self.url, "the shared history can be reached again");
                }
                Ok(())
            }
            Err(e) => {
                if let StoreError::Unreachable { detail, .. } = &e {
                    let mut down = self.down.borrow_mut();
                    // A refusal costs nothing to ask again; an address that does not
                    // answer holds the caller for the connect timeout each time.
                    let slow = started.elapsed() >= SLOW_CONNECT;
                    let wait = match down.as_ref() {
                        Some(d) if slow => (d.wait * 2).min(RETRY_AFTER_MOST),
                        _ => RETRY_AFTER,
                    };
                    *down = Some(Down {
                        since: Instant::now(),
                        detail: detail.clone(),
                        wait,
                    });
                }
                Err(e)
            }
        }
    }

    /// Runs `f` on the connection made by [`PgStore::connect`], on a scoped thread of its
    /// own when this thread is inside a tokio runtime (where the driver's own runtime would
    /// panic), else right here.
    ///
    /// The call that finds the connection lost (the server restarted or went away) is not
    /// repeated: a write may have been committed before the connection went, and only its
    /// caller knows whether doing it again is right; it fails with
    /// [`StoreError::Unreachable`], and the next call connects again.
    fn call<T: Send>(
        &self,
        f: impl FnOnce(&mut postgres::Client) -> Result<T, postgres::Error> + Send,
    ) -> Result<T, StoreError> {
        let mut guard = self.client.borrow_mut();
        let Some(client) = guard.as_mut() else {
            return Err(StoreError::Unreachable {
                url: self.url.shown().to_string(),
                detail: "not connected".into(),
                meanwhile: self.meanwhile(),
            });
        };
        match off_runtime(move || f(client)) {
            Some(Ok(v)) => Ok(v),
            Some(Err(e)) => {
                if e.is_closed() || has_io_source(&e) {
                    // Lost: the next call connects again.
                    let lost = guard.take();
                    off_runtime(move || drop(lost));
                }
                Err(self.err(e))
            }
            None => Err(self.shared("the database call failed unexpectedly".into())),
        }
    }

    /// The rows of `sql`, a reading statement prepared once on this connection: preparing
    /// a search's statement for each keystroke (a round trip, the server parsing it and
    /// describing its 26 columns) was 0.7 of the 8.8 ms of `anna smith` at 1M records.
    /// Still planned for each run (`plan_cache_mode`).
    fn query(&self, sql: &str, params: &query::Params) -> Result<Vec<postgres::Row>, StoreError> {
        let known = self.statements.borrow().get(sql).cloned();
        let fresh = known.is_none();
        let (rows, statement) = self.run(|c| {
            let statement = match known {
                Some(s) => s,
                None => c.prepare(sql)?,
            };
            Ok((c.query(&statement, &params.refs())?, statement))
        })?;
        if fresh {
            let mut statements = self.statements.borrow_mut();
            if statements.len() >= MOST_STATEMENTS {
                statements.clear();
            }
            statements.insert(sql.to_string(), statement);
        }
        Ok(rows)
    }

    /// Said after "cannot be reached" when links wait in the local file meanwhile: what
    /// becomes of them, and how many wait now (the Dashboard and the list show no count of
    /// their own while the server is away).
    fn meanwhile(&self) -> String {
        if self.outbox.is_none() {
            return String::new();
        }
        let waiting = self
            .waiting_count()
            .map(|n| n.records + n.in_flight)
            .unwrap_or(0);
        match waiting {
            0 => ". Links generated meanwhile are kept in the local file and written to it when it is back".into(),
            1 => ". 1 link made meanwhile waits in the local file until it is back".into(),
            n => format!(". {n} links made meanwhile wait in the local file until it is back"),
        }
    }

    /// The TLS version the connection runs over, `None` when it is not encrypted: as the
    /// server sees it.
    pub(crate) fn encryption(&self) -> Result<Option<String>, StoreError> {
        self.run(|c| {
            c.query_opt(
                "SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl",
                &[],
            )?
            .map(|r| r.try_get(0))
            .transpose()
        })
    }

    fn shared(&self, detail: String) -> StoreError {
        StoreError::Shared {
            url: self.url.shown().to_string(),
            detail,
        }
    }

    fn err(&self, e: postgres::Error) -> StoreError {
        match map_err(&self.url, e) {
            StoreError::Unreachable { url, detail, .. } => StoreError::Unreachable {
                url,
                detail,
                meanwhile: self.meanwhile(),
            },
            e => e,
        }
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // Closing talks to the server through the driver's runtime: off any runtime's
        // thread, as every call.
        if let Some(client) = self.client.get_mut().take() {
            off_runtime(move || drop(client));
        }
    }
}

/// Runs `f` here, or on a scoped thread of its own when this thread is inside a tokio
/// runtime, where the driver's own `block_on` would panic. `None` if `f` panicked.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> Option<T> {
    if tokio::runtime::Handle::try_current().is_err() {
        return Some(f());
    }
    std::thread::scope(|s| s.spawn(f).join()).ok()
}

/// The driver's configuration (password included) and the TLS connector: what connecting,
/// and connecting again, takes.
struct Connector {
    config: postgres::Config,
    tls: tokio_postgres_rustls::MakeRustlsConnect,
}

impl Connector {
    fn connect(&self) -> Result<postgres::Client, postgres::Error> {
        self.config.connect(self.tls.clone())
    }
}

/// A driver error in words that say what happened and what to do, never the password.
pub(super) fn map_err(url: &PgUrl, e: postgres::Error) -> StoreError {
    let shown = url.shown().to_string();
    if let Some(db) = e.as_db_error() {
        use postgres::error::SqlState;
        let code = db.code();
        let detail = if *code == SqlState::INVALID_PASSWORD
            || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
        {
            format!(
                "the server refused the user name or password ({}); check the user in the URL and the password in PGPASSWORD or ~/.pgpass",
                db.message()
            )
        } else if *code == SqlState::INVALID_CATALOG_NAME {
            format!(
                "{}; create it (createdb NAME, or CREATE DATABASE) or fix the URL",
                db.message()
            )
        } else if *code == SqlState::INSUFFICIENT_PRIVILEGE {
            format!(
                "{}; ask the database's owner to grant this user the right, or use the owner's account",
                db.message()
            )
        } else if *code == SqlState::UNDEFINED_OBJECT && db.message().contains("plan_cache_mode") {
            // Refused at startup, before the version could be asked: a server older than 12.
            return StoreError::ServerTooOld {
                url: shown,
                version: "11 or older".into(),
                minimum: format!("{}", schema::MIN_SERVER_VERSION / 10_000),
            };
        } else if *code == SqlState::ADMIN_SHUTDOWN
            || *code == SqlState::CRASH_SHUTDOWN
            || *code == SqlState::CANNOT_CONNECT_NOW
        {
            return StoreError::Unreachable {
                url: shown,
                detail: db.message().to_string(),
                meanwhile: String::new(),
            };
        } else {
            format!("{}: {}", db.severity(), db.message())
        };
        return StoreError::Shared {
            url: shown,
            detail: crate::text::sanitize(&detail),
        };
    }
    // Before the I/O errors below: a refused certificate is no unreachable server.
    if let Some(detail) = tls::certificate_problem(&e, &url.host()) {
        return StoreError::Shared {
            url: shown,
            detail: crate::text::sanitize(&detail),
        };
    }
    let text = crate::text::sanitize(&e.to_string());
    if text.contains("password missing") {
        return StoreError::Shared {
            url: shown,
            detail: "the server asks for a password and none was given: set PGPASSWORD or put it in ~/.pgpass (chmod 600), or in the URL".into(),
        };
    }
    if e.is_closed() || has_io_source(&e) {
        return StoreError::Unreachable {
            url: shown,
            detail: text,
            meanwhile: String::new(),
        };
    }
    StoreError::Shared {
        url: shown,
        detail: text,
    }
}

fn has_io_source(e: &postgres::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if s.is::<std::io::Error>() {
            return true;
        }
        source = s.source();
    }
    false
}

/// The OS user's name: libpq's default user, and the default operator name. From the
/// environment, else (a service, cron) the password database's entry of this process's
/// user.
pub(crate) fn os_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .or_else(passwd_name)
        .map(|n| crate::text::sanitize(&n))
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(target_os = "linux")]
fn passwd_name() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid().to_string();
    std::fs::read_to_string("/etc/passwd")
        .ok()?
        .lines()
        .find_map(|line| {
            let mut f = line.split(':');
            let name = f.next()?;
            (f.nth(1)? == uid).then(|| name.to_string())
        })
}

#[cfg(not(target_os = "linux"))]
fn passwd_name() -> Option<String> {
    None
}

/// This machine's name, as each record made here says.
pub(crate) fn machine_name() -> String {
    let name = gethostname::gethostname().to_string_lossy().into_owned();
    if name.is_empty() {
        "unknown".into()
    } else {
        crate::text::sanitize(&name)
    }
}

/// The columns of a record here: SQLite's, and who made it where.
fn columns() -> String {
    format!("{}, operator, machine", super::COLUMNS)
}

/// A `sessions` row (selected as [`columns`]) as a record, made safe as SQLite's are.
fn row_to_record(row: &postgres::Row) -> Result<Record, postgres::Error> {
    let status: String = row.try_get(15)?;
    let checked_at: Option<i64> = row.try_get(19)?;
    let mut record = Record {
        id: row.try_get(0)?,
        created_at: super::from_ms(row.try_get(1)?),
        profile: row.try_get(2)?,
        base_url: row.try_get(3)?,
        sandbox: row.try_get(4)?,
        first_name: row.try_get(5)?,
        last_name: row.try_get(6)?,
        lang: row.try_get(7)?,
        selfid: row.try_get(8)?,
        callback: row.try_get(9)?,
        vendor_data: row.try_get(10)?,
        session_id: row.try_get(11)?,
        url: row.try_get(12)?,
        host: row.try_get(13)?,
        expires_at: super::from_ms(row.try_get(14)?),
        status: crate::veriff::SessionStatus::parse(&crate::text::sanitize(&status)),
        decision_code: row.try_get(16)?,
        decision_reason: row.try_get(17)?,
        decision_time: row.try_get(18)?,
        checked_at: checked_at.map(super::from_ms),
        check_error: row.try_get(20)?,
        extra: super::extra_from_column(&row.try_get::<_, String>(21)?),
        made_elsewhere: row.try_get(22)?,
        operator: row.try_get(23)?,
        machine: row.try_get(24)?,
    };
    super::make_record_safe(&mut record);
    Ok(record)
}

/// LIMIT for PostgreSQL: 0 means none (NULL), as `sql_limit`'s -1 does for SQLite.
fn pg_limit(limit: u64) -> Option<i64> {
    (limit > 0).then(|| i64::try_from(limit).unwrap_or(i64::MAX))
}
