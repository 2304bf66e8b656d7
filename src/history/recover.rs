//! Copying every record that can still be read out of a damaged history into a new one
//! (`history --move-aside`).
//!
//! The damaged file is only read, row by row in id order. Where SQLite fails on a row, or
//! a row's values are not a record, the reading jumps ahead in growing steps (1, 2, 4, …
//! ids) until a record reads again, then tries each id it jumped over on its own: the rows
//! of a wrecked page are lost, the pages around it are not. Every step moves forward, so a
//! file wrecked anywhere (even into rowids of 2^62) is read to its end in bounded time.

use super::open::{file_uri, has_wal};
use super::write::index_words;
use super::*;

/// What a recovery got.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Records copied into the new history.
    pub recovered: u64,
    /// How many records the damaged file held, by its own tally (kept by triggers beside
    /// the records), when that could be read.
    pub expected: Option<u64>,
    /// Rows SQLite failed on, or whose values were not a record.
    pub unreadable: u64,
    /// Requests that were on their way to Veriff when the file was damaged: now records
    /// whose outcome is unknown (counted in `recovered` too).
    pub unanswered: u64,
}

impl Recovery {
    /// How many records were lost: by the damaged file's tally when it could be read, else
    /// the rows that failed.
    pub fn lost(&self) -> u64 {
        self.expected.map_or(self.unreadable, |n| {
            n.saturating_sub(self.recovered - self.unanswered)
        })
    }
}

/// Rows read (and written to the new history) per step.
const BATCH: i64 = 500;
/// At most this many ids, skipped over damage, are tried one by one: damage that spans
/// more (a wrecked interior page over a whole subtree) loses the rest of that stretch
/// rather than trying every id up to 2^63.
const LOOKUP_CAP: i64 = 1 << 18;

/// The columns of `sessions` kept but not shown, copied after those of `COLUMNS` (which
/// `row_to_record` reads by position).
const KEPT: &str = "decided_at, search_extra";

/// Every column copied, by name, in the order read and written.
fn copied() -> Vec<&'static str> {
    COLUMNS
        .split(',')
        .chain(KEPT.split(','))
        .map(str::trim)
        .collect()
}

/// What is read for `names` from `table` of the damaged file: each column by name, or a
/// stand-in for one its (older) schema does not have, so a history of any version is read.
/// `None` when the table's columns cannot be read (its schema is wrecked).
fn select_list(source: &Connection, table: &str, names: &[&str]) -> Option<String> {
    let has: Vec<String> = source
        .prepare(&format!("PRAGMA table_info({table})"))
        .and_then(|mut st| st.query_map([], |r| r.get::<_, String>(1))?.collect())
        .ok()?;
    if has.is_empty() {
        return None;
    }
    let list: Vec<String> = names
        .iter()
        .map(|&name| match name {
            _ if has.iter().any(|h| h == name) => name.to_string(),
            // Added by schema 5 with '' as their default; anything else is NULL (and a
            // record without it does not read).
            "extra" | "search_extra" => format!("'' AS {name}"),
            _ => format!("NULL AS {name}"),
        })
        .collect();
    Some(list.join(", "))
}

/// Copies every readable record of the damaged history at `damaged` into `into`, keeping
/// their ids (so the order and the search indexes are as they were), with what `inspect`
/// fetched of them and the requests that were on their way; `progress` is told how many
/// were copied so far, and how many the damaged file held by its tally. The damaged file
/// is opened read-only and never changed; a history of any schema version is read. An
/// error is a failure to write the new history; what cannot be read is counted.
pub fn recover(
    damaged: &Path,
    into: &Store,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<Recovery, StoreError> {
    into.writable()?;
    let mut got = Recovery::default();
    let source = match open_source(damaged) {
        Ok(conn) => conn,
        Err(e) => {
            tracing::warn!("nothing could be read from the damaged history: {e}");
            return Ok(got);
        }
    };
    got.expected = source
        .query_row("SELECT COALESCE(SUM(n), 0) FROM status_counts", [], |r| {
            r.get::<_, i64>(0)
        })
        .ok()
        .and_then(|n| u64::try_from(n).ok());
    let names = copied();
    let Some(select) = select_list(&source, "sessions", &names) else {
        tracing::warn!("the damaged history's records cannot be found: its schema is wrecked");
        return Ok(got);
    };
    let source = Source {
        conn: source,
        select,
        columns: names.len(),
    };
    let mut copier = Copier {
        into,
        insert: format!(
            "INSERT INTO sessions ({}) VALUES ({})",
            names.join(", "),
            vec!["?"; names.len()].join(", ")
        ),
        words: [
            "first_name",
            "last_name",
            "session_id",
            "vendor_data",
            "search_extra",
        ]
        .map(|w| names.iter().position(|n| *n == w).unwrap_or(usize::MAX)),
        pending: Vec::new(),
        renumbered: Vec::new(),
        got: &mut got,
        progress,
    };
    // Ids start at 1; one below that is only there if something else wrote the file.
    let mut cursor = source
        .conn
        .query_row("SELECT min(id) FROM sessions", [], |r| {
            r.get::<_, Option<i64>>(0)
        })
        .ok()
        .flatten()
        .map_or(0, |first| first.saturating_sub(1).min(0));
    loop {
        match scan_after(&source, cursor, &mut copier)? {
            Scan::Full(last) => cursor = last,
            Scan::End => break,
            Scan::Damaged(last) => match skip_damage(&source, last, &mut copier)? {
                Some(next) => cursor = next,
                None => break,
            },
        }
    }
    copier.flush()?;
    let renumbered = std::mem::take(&mut copier.renumbered);
    recover_inspections(&source.conn, into, &renumbered);
    recover_intents(&source.conn, into, &mut got);
    Ok(got)
}

/// The damaged file, read-only. Without a -wal every record is in the file, read as it is
/// (immutable: no -shm made beside it); with one, SQLite reads the WAL too, so records not
/// yet checkpointed are not lost.
fn open_source(path: &Path) -> rusqlite::Result<Connection> {
    let param = if has_wal(path) {
        "mode=ro"
    } else {
        "immutable=1"
    };
    let uri =
        file_uri(path, param).ok_or_else(|| rusqlite::Error::InvalidPath(path.to_path_buf()))?;
    let conn = Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // More checks of each cell as it is read: a wrecked cell is an error, not a row of
    // garbage that happens to parse.
    conn.pragma_update(None, "cell_size_check", true)?;
    Ok(conn)
}

/// The damaged file, and what is read of each record.
struct Source {
    conn: Connection,
    /// The columns of [`copied`], or their stand-ins.
    select: String,
    columns: usize,
}

/// How a scan ended.
enum Scan {
    /// A whole batch, ending at this id: more may follow.
    Full(i64),
    /// Every row after the cursor was read.
    End,
    /// Stopped at damage right after this id (the last handled).
    Damaged(i64),
}

/// Reads and copies up to [`BATCH`] records with ids after `cursor`, in id order.
fn scan_after(source: &Source, cursor: i64, copier: &mut Copier<'_>) -> Result<Scan, StoreError> {
    let sql = format!(
        "SELECT {} FROM sessions WHERE id > ?1 ORDER BY id LIMIT ?2",
        source.select
    );
    let mut last = cursor;
    let mut read = 0;
    let mut st = match source.conn.prepare_cached(&sql) {
        Ok(st) => st,
        // The table cannot even be found (its schema page is wrecked): nothing to read.
        Err(_) => return Ok(Scan::End),
    };
    let mut rows = match st.query(params![cursor, BATCH]) {
        Ok(rows) => rows,
        Err(_) => return Ok(Scan::Damaged(last)),
    };
    loop {
        match rows.next() {
            Ok(Some(row)) => match read_record(row, source.columns) {
                Some((id, values)) if id > last => {
                    copier.add(values)?;
                    last = id;
                    read += 1;
                }
                // Not a record, or out of order (a wrecked page read as one): damage.
                _ => return Ok(Scan::Damaged(last)),
            },
            Ok(None) if read == BATCH => return Ok(Scan::Full(last)),
            Ok(None) => return Ok(Scan::End),
            Err(_) => return Ok(Scan::Damaged(last)),
        }
    }
}

/// Past damage after `cursor`: probes ahead in doubling steps for the next record that
/// reads, tries each id jumped over on its own, and returns the id to go on after (`None`
/// when nothing readable follows).
fn skip_damage(
    source: &Source,
    cursor: i64,
    copier: &mut Copier<'_>,
) -> Result<Option<i64>, StoreError> {
    let mut step: i64 = 1;
    loop {
        let Some(probe) = cursor.checked_add(step) else {
            look_up_each(source, cursor, i64::MAX, copier)?;
            return Ok(None);
        };
        match first_from(source, probe) {
            Probe::Found(id, values) => {
                look_up_each(source, cursor, probe, copier)?;
                copier.add(values)?;
                return Ok(Some(id));
            }
            Probe::Nothing => {
                look_up_each(source, cursor, probe, copier)?;
                return Ok(None);
            }
            Probe::Damaged => step = step.saturating_mul(2),
        }
        if step == i64::MAX {
            look_up_each(source, cursor, i64::MAX, copier)?;
            return Ok(None);
        }
    }
}

enum Probe {
    Found(i64, Vec<Value>),
    Nothing,
    Damaged,
}

/// The first record with an id of at least `from`.
fn first_from(source: &Source, from: i64) -> Probe {
    let sql = format!(
        "SELECT {} FROM sessions WHERE id >= ?1 ORDER BY id LIMIT 1",
        source.select
    );
    let Ok(mut st) = source.conn.prepare_cached(&sql) else {
        return Probe::Damaged;
    };
    let Ok(mut rows) = st.query([from]) else {
        return Probe::Damaged;
    };
    match rows.next() {
        Ok(Some(row)) => match read_record(row, source.columns) {
            Some((id, values)) if id >= from => Probe::Found(id, values),
            _ => Probe::Damaged,
        },
        Ok(None) => Probe::Nothing,
        Err(_) => Probe::Damaged,
    }
}

/// Tries each id after `cursor` and before `until` (at most [`LOOKUP_CAP`] of them) on its
/// own: a row on a wrecked page fails; one beside it may not.
fn look_up_each(
    source: &Source,
    cursor: i64,
    until: i64,
    copier: &mut Copier<'_>,
) -> Result<(), StoreError> {
    let sql = format!("SELECT {} FROM sessions WHERE id = ?1", source.select);
    let Ok(mut st) = source.conn.prepare_cached(&sql) else {
        return Ok(());
    };
    let end = until.min(cursor.saturating_add(LOOKUP_CAP));
    let mut id = cursor;
    while id < end - 1 {
        id += 1;
        let found = st.query([id]).and_then(|mut rows| match rows.next()? {
            Some(row) => Ok(Some(read_record(row, source.columns))),
            None => Ok(None),
        });
        match found {
            Ok(Some(Some((_, values)))) => copier.add(values)?,
            Ok(Some(None)) | Err(_) => copier.got.unreadable += 1,
            Ok(None) => {}
        }
    }
    Ok(())
}

/// The row's id and raw values when it is a record this version can show (every column of
/// the right type); `None` for anything else.
fn read_record(row: &rusqlite::Row<'_>, columns: usize) -> Option<(i64, Vec<Value>)> {
    row_to_record(row).ok()?;
    let values: Vec<Value> = (0..columns)
        .map(|i| row.get::<_, Value>(i))
        .collect::<rusqlite::Result<_>>()
        .ok()?;
    match values.first() {
        Some(Value::Integer(id)) => Some((*id, values)),
        _ => None,
    }
}

/// Writes recovered records to the new history in transactions of [`BATCH`].
struct Copier<'a> {
    into: &'a Store,
    /// `INSERT INTO sessions (every copied column) VALUES (…)`.
    insert: String,
    /// Where the short-substring words are among the values (see `write::index_words`).
    words: [usize; 5],
    pending: Vec<Vec<Value>>,
    /// Ids of records the new history held already (written there meanwhile): those
    /// records were kept under new ids.
    renumbered: Vec<i64>,
    got: &'a mut Recovery,
    progress: &'a mut dyn FnMut(u64, Option<u64>),
}

impl Copier<'_> {
    fn add(&mut self, values: Vec<Value>) -> Result<(), StoreError> {
        self.pending.push(values);
        if self.pending.len() >= BATCH as usize {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StoreError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let store = self.into;
        let tx = Transaction::new_unchecked(&store.conn, TransactionBehavior::Immediate)
            .map_err(|e| store.err(e))?;
        for values in self.pending.drain(..) {
            let text = |i: usize| match values.get(i) {
                Some(Value::Text(s)) => s.clone(),
                _ => String::new(),
            };
            let words = self.words.map(text);
            let mut inserted = tx
                .prepare_cached(&self.insert)
                .and_then(|mut st| st.execute(params_from_iter(values.iter())));
            // The new history already holds this id (another veriff-tui wrote to it in the
            // meantime): the record is kept under a new id.
            if let Err(e) = &inserted
                && e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation)
            {
                inserted = tx.prepare_cached(&self.insert).and_then(|mut st| {
                    st.execute(params_from_iter(
                        std::iter::once(&Value::Null).chain(values.iter().skip(1)),
                    ))
                });
                if inserted.is_ok()
                    && let Some(Value::Integer(old)) = values.first()
                {
                    self.renumbered.push(*old);
                }
            }
            match inserted {
                Ok(_) => {
                    let id = tx.last_insert_rowid();
                    let [a, b, c, d, e] = &words;
                    index_words(&tx, id, [a, b, c, d, e]).map_err(|e| store.err(e))?;
                    self.got.recovered += 1;
                }
                // A session id twice: the damaged file's second copy is not a record.
                Err(e) if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) => {
                    self.got.unreadable += 1;
                }
                Err(e) => return Err(store.err(e)),
            }
        }
        tx.commit().map_err(|e| store.err(e))?;
        (self.progress)(self.got.recovered, self.got.expected);
        Ok(())
    }
}

/// Requests that were on their way when the file was damaged become records whose outcome
/// is unknown, as they would have at the next start: a session may exist for each.
fn recover_intents(source: &Connection, into: &Store, got: &mut Recovery) {
    const NAMES: [&str; 11] = [
        "created_at",
        "profile",
        "base_url",
        "sandbox",
        "first_name",
        "last_name",
        "lang",
        "selfid",
        "callback",
        "vendor_data",
        "extra",
    ];
    // An older schema has no intents; a wrecked table loses only requests still open.
    let Some(select) = select_list(source, "intents", &NAMES) else {
        return;
    };
    let read = source
        .prepare(&format!("SELECT {select} FROM intents ORDER BY id"))
        .and_then(|mut st| {
            st.query_map([], |r| {
                (0..NAMES.len())
                    .map(|i| r.get::<_, Value>(i))
                    .collect::<rusqlite::Result<Vec<Value>>>()
            })?
            .collect::<rusqlite::Result<Vec<Vec<Value>>>>()
        });
    let Ok(intents) = read else {
        return;
    };
    for values in intents {
        let id = into
            .conn
            .execute(
                &format!(
                    "INSERT INTO intents (pid, {}) VALUES (0, {})",
                    NAMES.join(", "),
                    vec!["?"; NAMES.len()].join(", ")
                ),
                params_from_iter(values.iter()),
            )
            .map(|_| into.conn.last_insert_rowid());
        let given_up = id.map_err(|e| into.err(e)).and_then(|id| {
            into.give_up_intent(
                id,
                "the request was on its way when the history was damaged: its outcome is unknown",
            )
        });
        match given_up {
            Ok(Some(_)) => {
                got.recovered += 1;
                got.unanswered += 1;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!("an unanswered request could not be recovered: {e}"),
        }
    }
}

/// What `inspect` fetched of the recovered records (schema 6), best effort: it can be
/// fetched again. Not for a record kept under a new id (`renumbered`), whose old id may
/// now be another record's.
fn recover_inspections(source: &Connection, into: &Store, renumbered: &[i64]) {
    let read = source
        .prepare("SELECT record_id, fetched_at, json FROM inspections ORDER BY record_id")
        .and_then(|mut st| {
            st.query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()
        });
    let Ok(inspections) = read else {
        return;
    };
    for (record_id, fetched_at, json) in inspections {
        if renumbered.contains(&record_id) {
            continue;
        }
        if let Err(e) = into.conn.execute(
            "INSERT OR IGNORE INTO inspections (record_id, fetched_at, json) \
             SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM sessions WHERE id = ?1)",
            params![record_id, fetched_at, json],
        ) {
            tracing::warn!(record_id, "an inspection could not be recovered: {e}");
        }
    }
}
