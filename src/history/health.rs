//! Whether a history is damaged, decided one way everywhere: by SQLite itself.
//!
//! A file is damaged when SQLite's `PRAGMA quick_check` finds a problem in it, or when a
//! statement fails with `SQLITE_CORRUPT` or `SQLITE_NOTADB` (SQLite tripping on a page it
//! read: the same pages the check reads, found one at a time). Both become
//! [`StoreError::Damaged`], which every path shows the same way and which
//! `history --move-aside` acts on.
//!
//! The check reads every page, so it is run where that is cheap: whenever a small history
//! is opened (below [`CHECK_AT_OPEN_MAX_BYTES`]), and by `history --move-aside`, asked for
//! by name, whatever the size. A big history is not checked at every start (at a million
//! records the check reads a gigabyte: 25-38 s on a loaded 2-core machine); damage there is
//! found where a read meets it, and `--move-aside`'s full check finds whatever a read can.

use super::*;

/// Histories up to this size (the file and its `-wal`, about 900 records) are checked every
/// time they are opened. The check costs about 15-20 ms per MiB (release build: 1,000
/// records, 1.1 MB, 19-27 ms on this 2-core machine at load 9; 100,000 records, 105 MB,
/// 1.5 s; a million, 1 GB, about 15 s), so this adds a few ms to a start; a bigger one
/// would be checked at the cost of its start-up.
pub const CHECK_AT_OPEN_MAX_BYTES: u64 = 1 << 20;

/// How many problems the check reports before it stops: the first says what is wrong,
/// and a badly wrecked file would otherwise list thousands.
const PROBLEMS_LISTED: u32 = 3;

/// What SQLite finds wrong with the database on `conn` (its first problem), or `None` when
/// it is sound. A check that cannot even start because SQLite finds the file malformed is a
/// finding too; any other failure (locked, I/O) is an error.
pub(super) fn diagnose(conn: &Connection) -> rusqlite::Result<Option<String>> {
    // quick_check: every b-tree page, every record's format, the FTS5 indexes; not whether
    // each index holds exactly its table's rows (integrity_check, half again as slow), a
    // mismatch a read does not trip on.
    let found: rusqlite::Result<Vec<String>> = conn
        .prepare(&format!("PRAGMA quick_check({PROBLEMS_LISTED})"))
        .and_then(|mut st| st.query_map([], |r| r.get::<_, String>(0))?.collect());
    match found {
        Ok(lines) if lines.len() == 1 && lines[0] == "ok" => Ok(None),
        Ok(lines) => Ok(Some(first_problem(&lines.join("\n")))),
        Err(e) if is_damage(&e) => Ok(Some(first_problem(&e.to_string()))),
        Err(e) => Err(e),
    }
}

/// SQLite's own word that the file is malformed.
pub(super) fn is_damage(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase)
    )
}

/// The first problem named, on one line short enough for an error message (the log and the
/// check keep the rest); not the check's "*** in database main ***" heading.
fn first_problem(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("***"))
        .unwrap_or("SQLite found the file malformed");
    let cut: String = line.chars().take(160).collect();
    if cut.len() < line.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

/// Whether the history at `path` is small enough to be checked every time it is opened.
pub(super) fn check_at_open(path: &Path) -> bool {
    history_bytes(path) <= CHECK_AT_OPEN_MAX_BYTES
}

/// The size of the history at `path`: the file and its -wal.
pub fn history_bytes(path: &Path) -> u64 {
    let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
    size(path).saturating_add(size(&super::open::companion(path, "-wal")))
}

impl Store {
    /// Runs SQLite's check over the whole file: [`StoreError::Damaged`] when it finds a
    /// problem. Reads every page: cheap for a small history, seconds for a million records.
    pub fn check_integrity(&self) -> Result<(), StoreError> {
        if self.pg.is_some() {
            return Err(StoreError::SqliteOnly("SQLite's integrity check"));
        }
        match diagnose(&self.conn) {
            Ok(None) => Ok(()),
            Ok(Some(problem)) => {
                tracing::warn!(path = %self.path, "the history is damaged: {problem}");
                Err(StoreError::Damaged {
                    path: self.path.clone(),
                    detail: format!("SQLite's check found: {problem}"),
                })
            }
            Err(e) => Err(self.err(e)),
        }
    }
}
