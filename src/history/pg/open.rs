//! Connecting to the shared history: the driver's configuration with the password found
//! where libpq looks, TLS when the URL asks, the server's version checked, the schema
//! migrated once however many operators start at the same moment.

use std::path::Path;
use std::time::Duration;

use super::*;

/// How long connecting may take before the server counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

impl PgStore {
    /// Connects to the shared history at `url`, checking the server and migrating. With
    /// an `outbox` (the local file), a server that cannot be reached is not an error: the
    /// store works from the outbox and connects when the server is back. `operator`: who
    /// the records this process writes name as their maker (config `[history] operator`;
    /// the OS user by default), known before connecting: the first connection writes
    /// what waits in the outbox under it.
    pub(crate) fn open(
        url: &PgUrl,
        outbox: Option<&Path>,
        operator: Option<&str>,
    ) -> Result<PgStore, StoreError> {
        let shared = |detail: String| StoreError::Shared {
            url: url.shown().to_string(),
            detail,
        };
        let mut config = url.config().map_err(shared)?;
        config.connect_timeout(CONNECT_TIMEOUT);
        config.application_name("veriff-tui");
        // Both cost more than a keystroke's query takes: parallel workers start slower (a
        // page walked in 3 ms took 55 with them), and JIT compiles any plan the planner
        // costs above 100k (an index search whose rechecks call `short_grams`: 7 ms run, 69
        // with the compiling). Nothing here reads enough to gain from either. A search's
        // statement is prepared once per connection (`PgStore::query`) and planned anew
        // for each term: a plan made once for any term would not know whether it is rare.
        // Set at startup, beside any options the URL gives: no round trip of its own.
        let settings =
            "-c max_parallel_workers_per_gather=0 -c jit=off -c plan_cache_mode=force_custom_plan";
        let options = match config.get_options() {
            Some(given) if !given.trim().is_empty() => format!("{given} {settings}"),
            _ => settings.to_string(),
        };
        config.options(&options);
        let tls = tls::connector(url.tls()).map_err(shared)?;
        let store = PgStore {
            client: RefCell::new(None),
            connector: Connector { config, tls },
            url: url.clone(),
            operator: operator.map_or_else(os_user, crate::text::sanitize),
            machine: machine_name(),
            setup: Cell::new(Setup::Unchecked),
            down: RefCell::new(None),
            statements: RefCell::new(HashMap::new()),
            outbox: outbox.map(outbox::Outbox::new),
            sent: Cell::new(0),
            synced: Cell::new(outbox::SyncReport::default()),
            sample: RefCell::default(),
        };
        match store.connect() {
            Ok(()) => Ok(store),
            Err(StoreError::Unreachable { detail, .. }) if store.outbox.is_some() => {
                tracing::warn!(url = %url, "the shared history cannot be reached ({detail}); links wait in the local file until it is back");
                Ok(store)
            }
            Err(e) => Err(e),
        }
    }

    /// Done on every new connection: what waits in the outbox is written (the server is
    /// back), then this machine's requests whose process was killed before their answer
    /// are recorded as of unknown outcome. Best effort, as in SQLite: the next connection
    /// tries again.
    pub(super) fn after_connect(&self) {
        if let Err(e) = self.send_waiting() {
            tracing::warn!("links waiting in the local file could not be written yet: {e}");
        }
        if let Err(e) = self.give_up_orphaned_intents() {
            tracing::warn!("unanswered requests could not be recorded yet: {e}");
        }
    }

    /// The server is one this supports: [`schema::MIN_SERVER_VERSION`] or newer.
    pub(super) fn check_server(&self) -> Result<(), StoreError> {
        let (num, text) = self.run(|c| {
            let row = c.query_one(
                "SELECT current_setting('server_version_num')::int, current_setting('server_version')",
                &[],
            )?;
            Ok((row.try_get::<_, i32>(0)?, row.try_get::<_, String>(1)?))
        })?;
        if num < schema::MIN_SERVER_VERSION {
            return Err(StoreError::ServerTooOld {
                url: self.url.shown().to_string(),
                version: crate::text::sanitize(&text),
                minimum: format!("{}", schema::MIN_SERVER_VERSION / 10_000),
            });
        }
        Ok(())
    }

    /// The number of migrations applied; 0 for a database without our tables.
    fn schema_version(c: &mut impl postgres::GenericClient) -> Result<i32, postgres::Error> {
        // Asked of pg_tables by a plain query, whose snapshot is taken afresh: after
        // waiting for the migration lock it sees the table another process just made
        // (to_regclass reads a catalog cache that may not have caught up yet).
        let exists: bool = c
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables \
                 WHERE schemaname = current_schema() AND tablename = 'schema_version')",
                &[],
            )?
            .try_get(0)?;
        if !exists {
            return Ok(0);
        }
        let row = c.query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])?;
        row.try_get(0)
    }

    fn too_new(&self, version: i32) -> StoreError {
        StoreError::SchemaTooNew {
            place: format!("the shared history at {}", self.url.shown()),
            version: i64::from(version),
            known: i64::from(schema::latest()),
        }
    }

    /// Applies the migrations this database lacks, in one transaction under an advisory
    /// lock: a second process starting at the same moment waits, then finds them applied.
    pub(super) fn migrate(&self) -> Result<(), StoreError> {
        let version = self.run(Self::schema_version)?;
        if version == schema::latest() {
            return Ok(());
        }
        if version > schema::latest() {
            return Err(self.too_new(version));
        }
        let outcome = self.run(|c| {
            let mut tx = c.transaction()?;
            tx.execute(
                "SELECT pg_advisory_xact_lock($1)",
                &[&schema::MIGRATION_LOCK],
            )?;
            let version = Self::schema_version(&mut tx)?;
            if version >= schema::latest() {
                return Ok(Ok(version));
            }
            if version == 0 {
                // Apart from the rest, so that its failure says what it is.
                if let Err(e) = tx.batch_execute("CREATE EXTENSION IF NOT EXISTS pg_trgm") {
                    return Ok(Err(e));
                }
                tx.batch_execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")?;
            }
            for m in schema::MIGRATIONS.iter().skip(version as usize) {
                tx.batch_execute(m)?;
            }
            tx.execute("DELETE FROM schema_version", &[])?;
            tx.execute(
                "INSERT INTO schema_version (version) VALUES ($1)",
                &[&schema::latest()],
            )?;
            tx.commit()?;
            Ok(Ok(schema::latest()))
        })?;
        match outcome {
            Ok(v) if v > schema::latest() => Err(self.too_new(v)),
            Ok(_) => Ok(()),
            Err(e) => Err(StoreError::Shared {
                url: self.url.shown().to_string(),
                detail: format!(
                    "the pg_trgm extension (the index of substring search) cannot be created in this database ({}): have its owner or a superuser run `CREATE EXTENSION pg_trgm;` in it once (Debian and Ubuntu ship it in postgresql-contrib on PostgreSQL before 15)",
                    crate::text::sanitize(
                        &e.as_db_error()
                            .map_or_else(|| e.to_string(), |d| d.message().to_string())
                    )
                ),
            }),
        }
    }
}
