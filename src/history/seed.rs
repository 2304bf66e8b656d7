//! Realistic fake history for benchmarks and manual tries (`veriff-tui dev-seed-history`).
//!
//! Deterministic for a given seed, count and end time: the same fixture can be cached and
//! rebuilt. Rows go in as real inserts do (the same triggers keep the trigram index and
//! status counts in step; the short-substring words are added alongside), in creation
//! order (searches list by insertion order), in large transactions.

use std::borrow::Cow;
use std::path::Path;

use chrono::{DateTime, Datelike, Utc};
use rusqlite::{Transaction, TransactionBehavior, params};

use super::{DAY_MS, Record, Store, StoreError};
use crate::veriff::SessionStatus;

/// A Veriff-shaped link of exactly `len` characters: the host, then a token in the
/// base64url alphabet (what a JWT is made of), varied so no pattern helps the encoder.
pub fn veriff_link(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
    let mut url = String::from("https://alchemy.veriff.com/v/");
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    while url.len() < len {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        url.push(char::from(
            ALPHABET[(seed % ALPHABET.len() as u64) as usize],
        ));
    }
    url
}

/// How a fake history is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedOptions {
    /// Number of records to add.
    pub count: u64,
    /// Same seed, same records.
    pub seed: u64,
    /// The newest record is made on this day (at or before this time); the oldest about
    /// two years earlier.
    pub end: DateTime<Utc>,
}

/// What a fill did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    pub inserted: u64,
    pub elapsed: std::time::Duration,
}

/// Days of history the records are spread over.
pub const SPAN_DAYS: i64 = 730;
/// Rows per transaction: large enough that commits cost nothing, small enough that the
/// write lock is not held for long and an interrupted fill keeps most of its work.
const BATCH: u64 = 50_000;

/// Opens (or creates) the history at `path` and adds `count` fake records, the newest made
/// now.
pub fn fill(path: &Path, count: u64, seed: u64) -> Result<SeedReport, StoreError> {
    fill_at(&super::Location::File(path.to_path_buf()), count, seed)
}

/// Like [`fill`], for the history where `location` says: a file, or the shared history on
/// PostgreSQL (`dev-seed-history` with `[history] url`).
pub fn fill_at(
    location: &super::Location,
    count: u64,
    seed: u64,
) -> Result<SeedReport, StoreError> {
    let store = Store::open_at(location)?;
    fill_store(
        &store,
        &SeedOptions {
            count,
            seed,
            end: Utc::now(),
        },
    )
}

/// Adds `records` as they are (every field but `id`: the store gives them the next ids, in
/// order) through the path the fake records take: same triggers, same word index as an
/// insert, in large transactions. For fixtures of known rows in tests.
pub fn insert_records(store: &Store, records: &[Record]) -> Result<u64, StoreError> {
    store
        .conn
        .execute_batch(
            "DROP TABLE IF EXISTS temp.seed_rows; \
             CREATE TEMP TABLE seed_rows AS SELECT * FROM main.sessions WHERE 0;",
        )
        .map_err(|e| store.err(e))?;
    let mut inserted = 0;
    for chunk in records.chunks(BATCH as usize) {
        let mut batch: Vec<Row> = chunk.iter().map(Row::of).collect();
        inserted += flush(store, &mut batch, None)?;
    }
    store
        .conn
        .execute_batch("DROP TABLE temp.seed_rows")
        .map_err(|e| store.err(e))?;
    Ok(inserted)
}

/// Adds fake records to an open store: a file, or the shared history on PostgreSQL,
/// which gets the same records from the same seed (see `pg::seed`).
pub fn fill_store(store: &Store, opts: &SeedOptions) -> Result<SeedReport, StoreError> {
    let started = std::time::Instant::now();
    if let Some(pg) = store.pg() {
        let inserted = pg.fill(opts)?;
        return Ok(SeedReport {
            inserted,
            elapsed: started.elapsed(),
        });
    }
    let conn = &store.conn;
    // A bigger page cache while loading: the unique session-id index takes random inserts.
    conn.pragma_update(None, "cache_size", -262_144)
        .map_err(|e| store.err(e))?;
    // Rows are staged in a private temporary table and moved with one INSERT ... SELECT a
    // batch: a statement per row that fires triggers keeps a statement journal of every
    // page it touches, which made row-by-row inserts three times slower.
    conn.execute_batch(
        "DROP TABLE IF EXISTS temp.seed_rows; \
         CREATE TEMP TABLE seed_rows AS SELECT * FROM main.sessions WHERE 0;",
    )
    .map_err(|e| store.err(e))?;
    let mut inserted = 0u64;
    let mut batch = Vec::with_capacity(BATCH as usize);
    each_row(opts, |row| {
        batch.push(row);
        if batch.len() as u64 == BATCH {
            inserted += flush(store, &mut batch, Some(opts.seed))?;
        }
        Ok(())
    })?;
    inserted += flush(store, &mut batch, Some(opts.seed))?;
    conn.execute_batch("DROP TABLE temp.seed_rows")
        .map_err(|e| store.err(e))?;
    conn.pragma_update(None, "cache_size", -super::PAGE_CACHE_KIB)
        .map_err(|e| store.err(e))?;
    // Fresh statistics let the planner weigh the indexes as it would on an aged file.
    conn.execute_batch("PRAGMA optimize")
        .map_err(|e| store.err(e))?;
    Ok(SeedReport {
        inserted,
        elapsed: started.elapsed(),
    })
}

/// The fake records of `opts`, oldest first, one at a time to `f` (which stops them with
/// an error): both stores are filled from here, so one seed makes the same records in each.
pub(super) fn each_row<E>(
    opts: &SeedOptions,
    mut f: impl FnMut(Row) -> Result<(), E>,
) -> Result<(), E> {
    let mut fake = Generator::new(opts.seed);
    let end_ms = opts.end.timestamp_millis();
    let per_day = spread(opts.count, opts.end);
    let first_day = end_ms.div_euclid(DAY_MS) - SPAN_DAYS + 1;
    let mut times = Vec::new();
    for (d, &n) in per_day.iter().enumerate() {
        let day_start = (first_day + d as i64) * DAY_MS;
        let day_end = (day_start + DAY_MS).min(end_ms + 1);
        times.clear();
        for _ in 0..n {
            times.push(fake.time_in(day_start, day_end));
        }
        times.sort_unstable();
        for &t in &times {
            f(fake.row(t, end_ms))?;
        }
    }
    Ok(())
}

/// Writes a batch in one transaction: staged, moved into `sessions` (the triggers keep the
/// trigram index and the status counts), then the short-substring words.
/// `seed`: the fake records' seed, named if their session ids are there already.
fn flush(store: &Store, batch: &mut Vec<Row>, seed: Option<u64>) -> Result<u64, StoreError> {
    if batch.is_empty() {
        return Ok(0);
    }
    let tx = Transaction::new_unchecked(&store.conn, TransactionBehavior::Immediate)
        .map_err(|e| store.err(e))?;
    let first: i64 = tx
        .query_row(
            "SELECT COALESCE(MAX(id), 0) + 1 FROM main.sessions",
            [],
            |r| r.get(0),
        )
        .map_err(|e| store.err(e))?;
    for row in batch.iter() {
        stage_row(&tx, row).map_err(|e| store.err(e))?;
    }
    tx.execute(
        &format!(
            "INSERT INTO main.sessions ({INSERTED}) SELECT {INSERTED} FROM temp.seed_rows ORDER BY rowid"
        ),
        [],
    )
    .map_err(|e| {
        if e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation) {
            StoreError::Sqlite(match seed {
                Some(seed) => format!(
                    "seed {seed} was already used on {}: its records are there; pick another seed",
                    store.path()
                ),
                None => format!("{}: a session id is there already", store.path()),
            })
        } else {
            store.err(e)
        }
    })?;
    let n = batch.len() as i64;
    // The rows of one statement take the ids after the largest, in order.
    if tx.last_insert_rowid() != first + n - 1 {
        return Err(StoreError::Sqlite(format!(
            "{}: the fake records did not get consecutive ids; nothing was added",
            store.path()
        )));
    }
    for (i, r) in batch.iter().enumerate() {
        super::write::index_words(
            &tx,
            first + i as i64,
            [
                &r.first_name,
                &r.last_name,
                &r.session_id,
                &r.vendor_data,
                "",
            ],
        )
        .map_err(|e| store.err(e))?;
    }
    tx.execute("DELETE FROM temp.seed_rows", [])
        .map_err(|e| store.err(e))?;
    tx.commit().map_err(|e| store.err(e))?;
    batch.clear();
    Ok(n as u64)
}

/// The columns a staged row fills.
const INSERTED: &str = "created_at, profile, base_url, sandbox, first_name, last_name, lang, \
    selfid, callback, vendor_data, session_id, url, host, expires_at, status, decision_code, \
    decision_reason, decision_time, decided_at, checked_at, check_error";

/// Records per day: growing over the two years, fewer at weekends; sums to `count`.
fn spread(count: u64, end: DateTime<Utc>) -> Vec<u64> {
    let end_day = end.timestamp_millis().div_euclid(DAY_MS);
    let weights: Vec<f64> = (0..SPAN_DAYS)
        .map(|d| {
            let day = end_day - SPAN_DAYS + 1 + d;
            let weekday = DateTime::from_timestamp_millis(day * DAY_MS)
                .map_or(0, |t| t.weekday().num_days_from_monday());
            let growth = 0.4 + d as f64 / SPAN_DAYS as f64;
            if weekday >= 5 { growth * 0.3 } else { growth }
        })
        .collect();
    let total: f64 = weights.iter().sum();
    let mut out: Vec<u64> = weights
        .iter()
        .map(|w| (count as f64 * w / total).floor() as u64)
        .collect();
    let mut missing = count - out.iter().sum::<u64>();
    // The remainder goes to the newest days.
    for n in out.iter_mut().rev() {
        if missing == 0 {
            break;
        }
        *n += 1;
        missing -= 1;
    }
    out
}

/// One row as staged: the generator's texts are constants, a given record's are its own.
pub(super) struct Row {
    pub(super) created_at: i64,
    pub(super) profile: Cow<'static, str>,
    pub(super) base_url: Cow<'static, str>,
    pub(super) sandbox: bool,
    pub(super) first_name: String,
    pub(super) last_name: String,
    pub(super) lang: Cow<'static, str>,
    pub(super) selfid: bool,
    pub(super) callback: Cow<'static, str>,
    pub(super) vendor_data: String,
    pub(super) session_id: String,
    pub(super) url: String,
    pub(super) host: Option<Cow<'static, str>>,
    pub(super) expires_at: i64,
    pub(super) status: Cow<'static, str>,
    pub(super) decision_code: Option<i64>,
    pub(super) decision_reason: Option<Cow<'static, str>>,
    pub(super) decision_time: Option<String>,
    pub(super) decided_at: Option<i64>,
    pub(super) checked_at: Option<i64>,
    pub(super) check_error: Option<String>,
}

impl Row {
    /// A record as it is, but its id (the store gives the next one); `decided_at` as
    /// [`Store::record_decision`] sets it for a final status.
    fn of(r: &Record) -> Row {
        let decided = !matches!(
            r.status,
            SessionStatus::Created | SessionStatus::Started | SessionStatus::Submitted
        );
        let decided_at = decided.then(|| {
            r.decision_time
                .as_deref()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.timestamp_millis())
                .or(r.checked_at.map(|t| t.timestamp_millis()))
                .unwrap_or(r.created_at.timestamp_millis())
        });
        Row {
            created_at: r.created_at.timestamp_millis(),
            profile: r.profile.clone().into(),
            base_url: r.base_url.clone().into(),
            sandbox: r.sandbox,
            first_name: r.first_name.clone(),
            last_name: r.last_name.clone(),
            lang: r.lang.clone().into(),
            selfid: r.selfid,
            callback: r.callback.clone().into(),
            vendor_data: r.vendor_data.clone(),
            session_id: r.session_id.clone(),
            url: r.url.clone(),
            host: r.host.clone().map(Cow::Owned),
            expires_at: r.expires_at.timestamp_millis(),
            status: r.status.as_str().to_string().into(),
            decision_code: r.decision_code,
            decision_reason: r.decision_reason.clone().map(Cow::Owned),
            decision_time: r.decision_time.clone(),
            decided_at,
            checked_at: r.checked_at.map(|t| t.timestamp_millis()),
            check_error: r.check_error.clone(),
        }
    }
}

fn stage_row(tx: &Transaction<'_>, r: &Row) -> rusqlite::Result<()> {
    let mut st = tx.prepare_cached(&format!(
        "INSERT INTO temp.seed_rows ({INSERTED}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, \
         ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)"
    ))?;
    st.execute(params![
        r.created_at,
        r.profile,
        r.base_url,
        r.sandbox,
        r.first_name,
        r.last_name,
        r.lang,
        r.selfid,
        r.callback,
        r.vendor_data,
        r.session_id,
        r.url,
        r.host,
        r.expires_at,
        r.status,
        r.decision_code,
        r.decision_reason,
        r.decision_time,
        r.decided_at,
        r.checked_at,
        r.check_error,
    ])?;
    Ok(())
}

/// SplitMix64: tiny, fast, and stable across versions (the fixture cache relies on it).
pub(super) struct Rng(pub(super) u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(super) fn below(&mut self, n: u64) -> u64 {
        // The modulo bias is irrelevant for fake data.
        self.next() % n.max(1)
    }

    fn percent(&mut self) -> u64 {
        self.below(100)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A weighted choice; weights need not sum to 100.
    pub(super) fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let total: u64 = items.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut x = self.below(total);
        for (item, w) in items {
            let w = u64::from(*w);
            if x < w {
                return item;
            }
            x -= w;
        }
        &items[items.len() - 1].0
    }
}

struct Script {
    firsts: &'static [&'static str],
    lasts: &'static [&'static str],
    langs: &'static [&'static str],
}

/// Latin names with the common ones first: `zipf` picks early entries more often, so
/// "Smith" is frequent and "Smithson" rare, as in a real list.
const LATIN: Script = Script {
    firsts: &[
        "John",
        "Mary",
        "James",
        "Anna",
        "Michael",
        "Maria",
        "David",
        "Laura",
        "Robert",
        "Sarah",
        "William",
        "Emma",
        "Thomas",
        "Olivia",
        "Daniel",
        "Sofia",
        "Jan",
        "Katrin",
        "Martin",
        "Julia",
        "Andreas",
        "Sandra",
        "Marek",
        "Agnieszka",
        "José",
        "Lucía",
        "Jürgen",
        "Søren",
        "Björn",
        "Zoë",
        "Chloé",
        "François",
        "Łukasz",
        "Małgorzata",
        "Mihkel",
        "Kadri",
        "Tõnu",
        "Siim",
        "Simone",
        "Samuel",
        "Smilla",
        "Amit",
        "Kaspar",
        "Liis",
        "Ülle",
        "Ørjan",
        "Nuno",
        "João",
        "Inés",
        "Raúl",
    ],
    lasts: &[
        "Smith",
        "Johnson",
        "Williams",
        "Brown",
        "Jones",
        "Garcia",
        "Miller",
        "Davis",
        "Müller",
        "Schmidt",
        "Tamm",
        "Saar",
        "Kask",
        "Nowak",
        "Kowalski",
        "Rodríguez",
        "Martínez",
        "Hernández",
        "López",
        "González",
        "Wilson",
        "Anderson",
        "Taylor",
        "Thomas",
        "Moore",
        "Jackson",
        "Martin",
        "Lee",
        "Pérez",
        "Thompson",
        "White",
        "Harris",
        "Sánchez",
        "Clark",
        "Lewis",
        "Robinson",
        "Walker",
        "Schneider",
        "Fischer",
        "Weber",
        "Meyer",
        "Wagner",
        "Becker",
        "Mägi",
        "Sepp",
        "Kukk",
        "Rebane",
        "Ilves",
        "Pärn",
        "Koppel",
        "Wiśniewski",
        "Wójcik",
        "Kamiński",
        "Lewandowski",
        "Dubois",
        "Lefèvre",
        "Rossi",
        "Russo",
        "Ferrari",
        "Esposito",
        "Jensen",
        "Nielsen",
        "Hansen",
        "Smits",
        "Smithers",
        "Smithson",
        "Goldsmith",
        "Smirnova",
        "Sminth",
        "Nguyen",
        "O'Brien",
        "van der Berg",
        "de la Cruz",
        "Østergaard",
        "Åberg",
        "Ñúñez",
    ],
    langs: &[
        "en", "en", "en", "de", "et", "pl", "es", "fr", "it", "da", "pt",
    ],
};

const CYRILLIC: Script = Script {
    firsts: &[
        "Иван",
        "Мария",
        "Алексей",
        "Ольга",
        "Дмитрий",
        "Анна",
        "Сергей",
        "Елена",
        "Тарас",
        "Оксана",
    ],
    lasts: &[
        "Смирнов",
        "Иванова",
        "Кузнецов",
        "Попова",
        "Соколов",
        "Лебедева",
        "Шевченко",
        "Коваленко",
        "Бондаренко",
        "Ткаченко",
    ],
    langs: &["ru", "ru", "uk"],
};

const GREEK: Script = Script {
    firsts: &["Γιώργος", "Μαρία", "Νίκος", "Ελένη", "Κώστας"],
    lasts: &[
        "Παπαδόπουλος",
        "Παπαδοπούλου",
        "Οικονόμου",
        "Γεωργίου",
        "Νικολάου",
    ],
    langs: &["el"],
};

/// Wide characters: two terminal cells each.
const CHINESE: Script = Script {
    firsts: &["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "洋"],
    lasts: &["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"],
    langs: &["zh"],
};

const JAPANESE: Script = Script {
    firsts: &["花子", "太郎", "さくら", "健太", "美咲", "翔太", "ゆい"],
    lasts: &["佐藤", "鈴木", "高橋", "田中", "渡辺", "伊藤", "山本"],
    langs: &["ja"],
};

const KOREAN: Script = Script {
    firsts: &["민준", "서연", "지훈", "하은", "도윤"],
    lasts: &["김", "이", "박", "최", "정"],
    langs: &["ko"],
};

const ARABIC: Script = Script {
    firsts: &["محمد", "فاطمة", "أحمد", "مريم", "علي"],
    lasts: &["العلي", "حسن", "الخطيب", "منصور", "سعيد"],
    langs: &["ar"],
};

const DEVANAGARI: Script = Script {
    firsts: &["राहुल", "प्रिया", "अमित", "सुनीता"],
    lasts: &["शर्मा", "वर्मा", "गुप्ता", "सिंह"],
    langs: &["hi"],
};

const SCRIPTS: &[(&Script, u32)] = &[
    (&LATIN, 72),
    (&CYRILLIC, 8),
    (&CHINESE, 6),
    (&JAPANESE, 4),
    (&KOREAN, 3),
    (&ARABIC, 3),
    (&GREEK, 2),
    (&DEVANAGARI, 2),
];

/// (name, base URL, sandbox, weight)
const PROFILES: &[((&str, &str, bool), u32)] = &[
    (("production", "https://stationapi.veriff.com", false), 62),
    (("staging", "https://stationapi.veriff.com", false), 25),
    (("sandbox", "http://127.0.0.1:8780", true), 8),
    (("eu-test", "https://stationapi.veriff.com/v1", false), 5),
];

const CALLBACKS: &[&str] = &[
    "",
    "https://example.com/verified",
    "https://shop.example.org/kyc/done",
    "https://app.example.net/onboarding/return",
];

const DECLINE_REASONS: &[(i64, &str)] = &[
    (102, "Suspected document tampering"),
    (
        103,
        "Person showing the document does not appear to match document photo",
    ),
    (105, "Suspicious behaviour"),
    (106, "Known fraud"),
    (108, "Velocity/abuse duplicated user"),
];

const RESUBMIT_REASONS: &[(i64, &str)] = &[
    (201, "Video and/or photos missing"),
    (204, "Poor image quality"),
    (205, "Document damaged"),
    (206, "Document type not supported"),
    (207, "Document expired"),
];

/// Statuses of sessions that have not expired yet, and of older ones.
const LIVE_STATUSES: &[(&str, u32)] = &[
    ("created", 45),
    ("started", 12),
    ("submitted", 10),
    ("approved", 22),
    ("declined", 5),
    ("resubmission_requested", 4),
    ("review", 2),
];
const OLD_STATUSES: &[(&str, u32)] = &[
    ("approved", 58),
    ("declined", 9),
    ("resubmission_requested", 6),
    ("review", 1),
    ("expired", 8),
    ("abandoned", 6),
    // Never refreshed: shown as expired.
    ("created", 12),
];

const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

struct Generator {
    rng: Rng,
    customers: u64,
}

impl Generator {
    fn new(seed: u64) -> Self {
        Self {
            rng: Rng(seed ^ 0x5654_5549_0000_0000),
            customers: 0,
        }
    }

    /// A time in [from, to), mostly in European and American working hours.
    fn time_in(&mut self, from: i64, to: i64) -> i64 {
        let span = (to - from).max(1) as u64;
        for _ in 0..4 {
            let t = from + self.rng.below(span) as i64;
            let hour = t.rem_euclid(DAY_MS) / 3_600_000;
            if (7..21).contains(&hour) || self.rng.percent() < 25 {
                return t;
            }
        }
        from + self.rng.below(span) as i64
    }

    /// Index into a list, favouring its first entries (roughly Zipf-like).
    fn zipf(&mut self, len: usize) -> usize {
        let a = self.rng.below(len as u64);
        let b = self.rng.below(len as u64);
        a.min(b) as usize
    }

    fn uuid(&mut self) -> String {
        let a = self.rng.next();
        let b = self.rng.next();
        let a = (a & 0xFFFF_FFFF_FFFF_0FFF) | 0x4000;
        let b = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xFFFF,
            a & 0xFFFF,
            b >> 48,
            b & 0xFFFF_FFFF_FFFF
        )
    }

    fn token(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(*self.rng.pick(BASE64URL)))
            .collect()
    }

    fn vendor_data(&mut self, created_at: i64) -> String {
        match self.rng.percent() {
            0..35 => String::new(),
            35..75 => {
                // Returning customers: a new id now and then, otherwise an earlier one.
                if self.customers == 0 || self.rng.percent() < 60 {
                    self.customers += 1;
                }
                let id = 1 + self.rng.below(self.customers);
                format!("cust-{:08}", 10_000_000 + id * 7919 % 90_000_000)
            }
            75..90 => {
                let year = DateTime::from_timestamp_millis(created_at).map_or(2025, |t| t.year());
                format!("ORD-{year}-{:06}", self.rng.below(1_000_000))
            }
            90..96 => format!("acct:{}", &self.uuid()[..13]),
            _ => format!(
                "{{\"customer\":\"{}\",\"tier\":\"{}\"}}",
                self.rng.below(10_000_000),
                self.rng.pick(&["gold", "silver", "basic"])
            ),
        }
    }

    fn row(&mut self, created_at: i64, now_ms: i64) -> Row {
        let script = *self.rng.weighted(SCRIPTS);
        let first_name = script.firsts[self.zipf(script.firsts.len())].to_string();
        let mut last_name = script.lasts[self.zipf(script.lasts.len())].to_string();
        if self.rng.percent() < 3 && !std::ptr::eq(script, &CHINESE) {
            // Double-barrelled names.
            last_name.push('-');
            last_name.push_str(script.lasts[self.zipf(script.lasts.len())]);
        }
        let lang = *self.rng.pick(script.langs);
        let &(profile, base_url, sandbox) = self.rng.weighted(PROFILES);
        let session_id = self.uuid();
        let host = if sandbox {
            "http://127.0.0.1:8780"
        } else {
            "https://alchemy.veriff.com"
        };
        let url = format!(
            "{host}/v/eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{}.{}",
            self.token(140),
            self.token(43)
        );
        let expires_at = created_at + 7 * DAY_MS;
        let live = expires_at > now_ms;
        let status = if live {
            *self.rng.weighted(LIVE_STATUSES)
        } else {
            *self.rng.weighted(OLD_STATUSES)
        };
        let (decision_code, decision_reason) = match status {
            "approved" => (Some(9001), None),
            "declined" => {
                let (_, reason) = *self.rng.pick(DECLINE_REASONS);
                (Some(9102), Some(reason))
            }
            "resubmission_requested" => {
                let (_, reason) = *self.rng.pick(RESUBMIT_REASONS);
                (Some(9103), Some(reason))
            }
            "expired" | "abandoned" => (Some(9104), None),
            "review" => (Some(9121), None),
            _ => (None, None),
        };
        let decided_at = decision_code.map(|_| {
            // Minutes to a few days after creation, never in the future.
            let delay = 5 * 60_000 + self.rng.below(3 * DAY_MS as u64) as i64;
            (created_at + delay).min(now_ms)
        });
        let decision_time = decided_at
            .and_then(DateTime::from_timestamp_millis)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        let checked_at = decided_at.map(|t| (t + 60_000).min(now_ms));
        let callback = if sandbox {
            "http://127.0.0.1:9000/done"
        } else {
            *self.rng.pick(CALLBACKS)
        };
        Row {
            created_at,
            profile: profile.into(),
            base_url: base_url.into(),
            sandbox,
            first_name,
            last_name,
            lang: lang.into(),
            selfid: self.rng.percent() < 70,
            callback: callback.into(),
            vendor_data: self.vendor_data(created_at),
            session_id,
            url,
            host: Some(host.into()),
            expires_at,
            status: status.into(),
            decision_code,
            decision_reason: decision_reason.map(Cow::Borrowed),
            decision_time,
            decided_at,
            checked_at,
            check_error: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_sums_to_the_count_and_grows() {
        let end = DateTime::from_timestamp_millis(1_780_000_000_000).unwrap();
        for count in [0, 1, 999, 100_000] {
            let days = spread(count, end);
            assert_eq!(days.len() as i64, SPAN_DAYS);
            assert_eq!(days.iter().sum::<u64>(), count);
        }
        let days = spread(100_000, end);
        let first: u64 = days[..30].iter().sum();
        let last: u64 = days[days.len() - 30..].iter().sum();
        assert!(last > first * 2, "{first} {last}");
    }

    #[test]
    fn the_same_seed_makes_the_same_rows() {
        let a: Vec<String> = {
            let mut g = Generator::new(7);
            (0..50).map(|i| g.row(i * 1000, 0).session_id).collect()
        };
        let mut g = Generator::new(7);
        let b: Vec<String> = (0..50).map(|i| g.row(i * 1000, 0).session_id).collect();
        assert_eq!(a, b);
        let mut g = Generator::new(8);
        assert_ne!(g.row(0, 0).session_id, a[0]);
    }
}
