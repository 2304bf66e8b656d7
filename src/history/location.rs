//! Where a run keeps its history: the SQLite file in the data dir (the default), or a
//! team's shared history on a PostgreSQL server (`[history] url` in the config, or
//! `VERIFF_TUI_HISTORY_URL`).

use std::cell::RefCell;
use std::path::PathBuf;

use super::{Store, StoreError, pg};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The SQLite file.
    File(PathBuf),
    /// The shared history, the operator name its records are written under (`None`: the
    /// OS user), and the local file where links wait while the server cannot be reached
    /// (`None`: a server that cannot be reached fails every write).
    Postgres {
        url: pg::PgUrl,
        operator: Option<String>,
        outbox: Option<PathBuf>,
    },
}

impl Location {
    /// The shared history on PostgreSQL, not a file.
    pub fn is_shared(&self) -> bool {
        matches!(self, Location::Postgres { .. })
    }
}

impl std::fmt::Display for Location {
    /// As messages show it: the path, or the URL without its password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::File(p) => f.write_str(&crate::text::sanitize(&p.display().to_string())),
            Location::Postgres { url, .. } => f.write_str(url.shown()),
        }
    }
}

impl Store {
    /// Opens the history where `location` says: [`Store::open`] for a file,
    /// [`Store::open_url`] for a server.
    pub fn open_at(location: &Location) -> Result<Store, StoreError> {
        match location {
            Location::File(path) => Store::open(path),
            Location::Postgres {
                url,
                operator,
                outbox,
            } => Store::open_pg(url, outbox.as_deref(), operator.as_deref()),
        }
    }

    /// Opens the shared history at `url` (a `postgres://` URL), migrating its schema.
    pub fn open_url(url: &str) -> Result<Store, StoreError> {
        let url = pg::PgUrl::parse(url).map_err(|detail| StoreError::Shared {
            url: pg::url::redact(url),
            detail,
        })?;
        Store::open_pg(&url, None, None)
    }

    fn open_pg(
        url: &pg::PgUrl,
        outbox: Option<&std::path::Path>,
        operator: Option<&str>,
    ) -> Result<Store, StoreError> {
        let pg = pg::PgStore::open(url, outbox, operator)?;
        // Never used for data (see `Store::conn`): an empty database in memory.
        let conn = rusqlite::Connection::open_in_memory()
            .map_err(|e| StoreError::Sqlite(format!("an in-memory database: {e}")))?;
        Ok(Store {
            conn,
            pg: Some(pg),
            path: url.shown().to_string(),
            read_only: false,
            trigrams: RefCell::default(),
        })
    }
}
