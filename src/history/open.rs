//! Opening a history: recognising the file as ours before anything is written, creating
//! it atomically, migrating its schema; and moving an unusable file aside.

use super::write::index_words;
use super::*;

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
        // Requests whose process was killed before their answer: now shown as what they
        // are. Best effort (another process may hold the lock); the next open tries again.
        if let Err(e) = self.give_up_orphaned_intents() {
            tracing::warn!("unanswered requests could not be recorded yet: {e}");
        }
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
