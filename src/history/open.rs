//! Opening a history: recognising the file as ours before anything is written, creating
//! it atomically, refusing it when damaged (see `health`), migrating its schema, or
//! opening it for reading only when it cannot be written; and moving an unusable file
//! aside.

use super::health::check_at_open;
use super::write::index_words;
use super::*;

impl Store {
    /// Opens (creating when missing) the database at `path`, migrating its schema.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with_timeout(path, DEFAULT_BUSY_TIMEOUT)
    }

    /// Like [`Store::open`], waiting at most `busy_timeout` for another process's lock.
    ///
    /// A file that exists and is not ours is never written: it is recognised from its first
    /// 100 bytes before SQLite opens it. A small one is checked whole before anything is
    /// written to it (see `health`): a damaged file is refused, never written into. One that
    /// cannot be written (its permissions, its directory's, a read-only mount) is opened
    /// for reading only ([`Store::is_read_only`]).
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
        match Self::open_writable(path, &shown, busy_timeout)? {
            Some(store) => Ok(store),
            None => Self::open_read_only(path, &shown, busy_timeout),
        }
    }

    /// The history opened for writing; `None` when SQLite cannot write it (then it is to
    /// be opened for reading only).
    fn open_writable(
        path: &Path,
        shown: &str,
        busy_timeout: Duration,
    ) -> Result<Option<Self>, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| map_err_for(shown, e))?;
        conn.busy_timeout(busy_timeout)
            .map_err(|e| map_err_for(shown, e))?;
        // A file SQLite could only open for reading (its permissions, a read-only mount).
        if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(true) {
            return Ok(None);
        }
        // The first read opens the -wal and -shm, creating them when missing: where the
        // directory cannot be written, that is where it fails ("unable to open database
        // file"), before anything was written.
        match conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0)) {
            Err(e)
                if matches!(
                    e.sqlite_error_code(),
                    Some(ErrorCode::CannotOpen | ErrorCode::ReadOnly | ErrorCode::PermissionDenied)
                ) =>
            {
                return Ok(None);
            }
            Err(e) if !health::is_damage(&e) => return Err(map_err_for(shown, e)),
            // Damage is said by the check below, in its own words.
            Err(_) | Ok(_) => {}
        }
        let store = Self {
            conn,
            path: shown.to_string(),
            read_only: false,
            pg: None,
            trigrams: RefCell::default(),
        };
        store.configure(path)?;
        Ok(Some(store))
    }

    /// The history opened for reading only: listing, searching and exporting work; every
    /// write is refused ([`StoreError::ReadOnly`]). Nothing is created or changed: not the
    /// schema, not the journal mode, not the unanswered requests (the next writable open
    /// records those).
    fn open_read_only(
        path: &Path,
        shown: &str,
        busy_timeout: Duration,
    ) -> Result<Self, StoreError> {
        // In WAL mode even a reader needs a -shm beside the file that it can write, which a
        // read-only directory cannot hold ("unable to open database file"; with a -shm it
        // cannot write, SQLITE_READONLY_CANTINIT), and where the directory can hold one,
        // SQLite would leave a -wal and -shm as read-only as the file, in the way once it is
        // writable again. With neither a -wal nor a -shm, no program has it open and every
        // record is in the file itself: SQLite is told to read it as it is (immutable: no
        // side files, no locks). Otherwise the -shm is there to be used, and the -wal is read
        // too.
        let no_shm = |e: &rusqlite::Error| {
            matches!(
                e.sqlite_error_code(),
                Some(ErrorCode::CannotOpen | ErrorCode::ReadOnly)
            )
        };
        let quiet = !has_wal(path) && !companion(path, "-shm").exists();
        let connect = |immutable| connect_read_only(path, shown, immutable, busy_timeout);
        let conn = match connect(quiet) {
            Ok(conn) => conn,
            Err(e) if no_shm(&e) && !has_wal(path) => {
                connect(true).map_err(|e| map_err_for(shown, e))?
            }
            Err(e) if no_shm(&e) => {
                return Err(StoreError::Io {
                    path: shown.to_string(),
                    detail: "it cannot be written, and its -wal file holds changes not yet in it, which SQLite cannot read without writing a -shm file beside it; copy the directory somewhere writable and use --data-dir, or open it once where it can be written".into(),
                });
            }
            Err(e) => return Err(map_err_for(shown, e)),
        };
        tracing::info!(path = %shown, "the history cannot be written: opened for reading only");
        let store = Self {
            conn,
            path: shown.to_string(),
            read_only: true,
            pg: None,
            trigrams: RefCell::default(),
        };
        let c = &store.conn;
        if check_at_open(path) {
            store.check_integrity()?;
        }
        let version = store.user_version()?;
        if version > schema::latest() {
            return Err(store.too_new(version));
        }
        if version < schema::latest() {
            return Err(StoreError::Sqlite(format!(
                "{shown} was written by an older veriff-tui (schema {version}, this one has {}) and must be upgraded once, which needs writing to it; it was left untouched: make it writable (or copy it somewhere writable and use --data-dir) and run veriff-tui once",
                schema::latest()
            )));
        }
        store.check_tables()?;
        c.pragma_update(None, "cache_size", -PAGE_CACHE_KIB)
            .map_err(|e| store.err(e))?;
        rare::register(c).map_err(|e| store.err(e))?;
        Ok(store)
    }

    /// Everything a writable history needs on each open (the busy timeout is set already).
    fn configure(&self, path: &Path) -> Result<(), StoreError> {
        let c = &self.conn;
        c.pragma_update(None, "foreign_keys", true)
            .map_err(|e| self.err(e))?;
        // Before anything is written: a damaged file is not written into (a write into a
        // broken b-tree can spread the damage), and is refused the same way by every
        // command and the TUI.
        if check_at_open(path) {
            self.check_integrity()?;
        }
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
        // Requests whose process was killed before their answer: now shown as what they
        // are. Best effort (another process may hold the lock); the next open tries again.
        if let Err(e) = self.give_up_orphaned_intents() {
            tracing::warn!("unanswered requests could not be recorded yet: {e}");
        }
        Ok(())
    }

    fn too_new(&self, version: i64) -> StoreError {
        StoreError::Sqlite(format!(
            "{} was written by a newer veriff-tui (schema {version}, this one knows {}); it was left untouched: upgrade veriff-tui, or use --data-dir for a separate history",
            self.path,
            schema::latest()
        ))
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let too_new = |version: i64| self.too_new(version);
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
        if (1..5).contains(&version) {
            self.say_if_reindexing_takes_long();
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

    /// Schema 5 makes the trigram index anew: seconds per 100,000 records, so a big
    /// history says why the app is slow to start this once.
    fn say_if_reindexing_takes_long(&self) {
        let rows: i64 = self
            .conn
            .query_row("SELECT COALESCE(MAX(id), 0) FROM sessions", [], |r| {
                r.get(0)
            })
            .unwrap_or(0);
        if rows >= 100_000 {
            use std::io::IsTerminal;
            tracing::info!(rows, "rebuilding the search index for schema 5");
            if std::io::stderr().is_terminal() {
                eprintln!(
                    "veriff-tui: updating the search index of {} (about {rows} records; once, up to a minute)…",
                    self.path
                );
            }
        }
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
    // One process may open a new history twice at once (the TUI and its receiver of the
    // sandbox's webhooks): each builds its own file, and the first link wins.
    static BUILDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let build = BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_file_name(format!(".{name}.new-{}-{build}", std::process::id()));
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
            read_only: false,
            pg: None,
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

/// Our own files are for the owner only, whatever the umask said. Only the group's and
/// others' bits are taken away: a history its owner made read-only stays read-only.
fn tighten_mode(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode();
            if mode & 0o077 != 0 {
                // Best effort: a file we cannot chmod still works, and is not ours to fail on.
                let _ =
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// A read-only connection to the history at `path`, its first read done (which is where
/// a missing -shm shows). `immutable`: read the file as it is, with no -shm and no locks;
/// only right when no -wal holds changes not yet in the file, and nothing writes it.
fn connect_read_only(
    path: &Path,
    shown: &str,
    immutable: bool,
    busy_timeout: Duration,
) -> rusqlite::Result<Connection> {
    let param = if immutable { "immutable=1" } else { "mode=ro" };
    let uri = file_uri(path, param)
        .ok_or_else(|| rusqlite::Error::InvalidPath(std::path::PathBuf::from(shown)))?;
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(uri, flags)?;
    conn.busy_timeout(busy_timeout)?;
    conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))?;
    Ok(conn)
}

/// `file:///…?param` for SQLite: the path made absolute and percent-encoded (a `?`, `#`
/// or `%` in a directory name must not end the path or start the parameters).
pub(super) fn file_uri(path: &Path, param: &str) -> Option<String> {
    let absolute = std::path::absolute(path).ok()?;
    let url = url::Url::from_file_path(absolute).ok()?;
    Some(format!("{url}?{param}"))
}

/// Whether a `-wal` beside `path` holds anything (changes that may not be in the file yet).
pub(super) fn has_wal(path: &Path) -> bool {
    std::fs::metadata(companion(path, "-wal")).is_ok_and(|m| m.len() > 0)
}

/// `path` with `suffix` (`-wal`, `-shm`) added to its name, as SQLite names its side files.
pub(super) fn companion(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    std::path::PathBuf::from(p)
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
            [&fields[0], &fields[1], &fields[2], &fields[3], ""],
        )?;
    }
    Ok(())
}
