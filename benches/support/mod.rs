//! Shared by the bench binaries: cached history fixtures (a SQLite file, or a PostgreSQL
//! cluster kept between runs), robust statistics and the summary lines `scripts/bench.sh`
//! collects.
#![allow(dead_code)] // Each bench binary uses a different part.

/// The tests' private PostgreSQL server (initdb in a dir of its own, a free port, run as
/// the `postgres` user under root), which the PostgreSQL fixtures run on.
#[path = "../../tests/it/support/pg.rs"]
pub mod pg;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use veriff_tui::history::seed::{SeedOptions, fill_store};
use veriff_tui::history::{Query, Store};

/// True under `cargo bench` (which passes `--bench`). `cargo test --all-targets` runs
/// bench binaries too, without it: they must not build a million-record fixture there.
pub fn as_benchmark() -> bool {
    if std::env::args().any(|a| a == "--bench") {
        return true;
    }
    eprintln!("not started by `cargo bench` (or scripts/bench.sh): nothing to measure");
    false
}

/// The binary measured: `VERIFF_TUI_BIN`, else the one cargo built beside this benchmark.
/// A missing one ends the run at once, saying how to get it.
pub fn binary() -> PathBuf {
    let bin = std::env::var_os("VERIFF_TUI_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_veriff-tui")));
    if !bin.exists() {
        eprintln!(
            "{} is missing: run `cargo build --release` (or set VERIFF_TUI_BIN)",
            bin.display()
        );
        std::process::exit(2);
    }
    bin
}

/// Bump when the generator's output changes, so cached fixtures are rebuilt.
const FIXTURE_VERSION: u32 = 1;
pub const SEED: u64 = 42;

/// The end of the fake history: fixed, so a cached fixture stays valid (the dashboard is
/// asked "as of" this time).
pub fn fixture_end() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 17, 0, 0)
        .single()
        .unwrap_or_default()
}

pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target")))
}

/// A history database of `count` fake records, built once and cached under
/// target/bench-fixtures (keyed by count, seed and generator version).
pub fn fixture(count: u64) -> PathBuf {
    let dir = target_dir().join("bench-fixtures");
    let path = dir.join(format!("history-v{FIXTURE_VERSION}-{count}-{SEED}.sqlite3"));
    if path.exists() {
        return path;
    }
    std::fs::create_dir_all(&dir).expect("create target/bench-fixtures");
    // Built under a temporary name and renamed when complete: an interrupted build never
    // leaves a short fixture behind.
    let tmp = dir.join(format!("building-{count}-{}.sqlite3", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    eprintln!("building a {count}-record history fixture (cached for later runs)...");
    let report = {
        let store = Store::open(&tmp).expect("open the fixture");
        let report = fill_store(
            &store,
            &SeedOptions {
                count,
                seed: SEED,
                end: fixture_end(),
            },
        )
        .expect("fill the fixture");
        // Fold the write-ahead log into the file, so the rename carries everything.
        drop(store);
        report
    };
    eprintln!(
        "built in {:.1} s ({:.0} records/s)",
        report.elapsed.as_secs_f64(),
        count as f64 / report.elapsed.as_secs_f64()
    );
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", tmp.display()));
    }
    std::fs::rename(&tmp, &path).expect("move the fixture into place");
    path
}

/// A history of `count` fake records on a private PostgreSQL server, the same records as
/// [`fixture`]'s file (same generator, same seed; each made by one of a few fake
/// operators). The cluster is built once and kept under target/bench-fixtures (keyed by
/// count, seed and generator version; delete it after installing another major version
/// of PostgreSQL, whose server refuses it); each run starts a server on it, stopped when
/// the returned value is dropped. `VERIFF_TEST_PG_BINDIR` picks the PostgreSQL, as for
/// the tests.
pub fn pg_fixture(count: u64) -> (pg::KeptServer, String) {
    const DB: &str = "bench";
    let dir = target_dir().join("bench-fixtures");
    let path = dir.join(format!("pg-v{FIXTURE_VERSION}-{count}-{SEED}"));
    if path.join("complete").exists() {
        let server = pg::KeptServer::start(&path).unwrap_or_else(|e| panic!("{e}"));
        // What an earlier run wrote and removed again (the watch benchmark) leaves pages
        // that index-only walks must read the table for, until vacuumed.
        server.0.psql(DB, "VACUUM sessions");
        let url = server.url(DB);
        return (server, url);
    }
    // Built under a temporary name and renamed when complete, as the file fixtures are.
    let building = dir.join(format!("building-pg-{count}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&building);
    eprintln!("building a {count}-record PostgreSQL history fixture (cached for later runs)...");
    {
        let server = pg::KeptServer::start(&building).unwrap_or_else(|e| panic!("{e}"));
        server.0.psql("postgres", &format!("CREATE DATABASE {DB}"));
        let store = Store::open_url(&server.url(DB)).expect("open the PostgreSQL fixture");
        let report = fill_store(
            &store,
            &SeedOptions {
                count,
                seed: SEED,
                end: fixture_end(),
            },
        )
        .expect("fill the PostgreSQL fixture");
        eprintln!(
            "built in {:.1} s ({:.0} records/s)",
            report.elapsed.as_secs_f64(),
            count as f64 / report.elapsed.as_secs_f64()
        );
    }
    std::fs::write(building.join("complete"), "").expect("mark the fixture complete");
    std::fs::rename(&building, &path).expect("move the fixture into place");
    let server = pg::KeptServer::start(&path).unwrap_or_else(|e| panic!("{e}"));
    let url = server.url(DB);
    (server, url)
}

/// The profile whose records the list shows, as the TUI filters by its active profile:
/// the fixture's main one, `production` (62 % of its records), unless
/// `VERIFF_BENCH_PROFILE` names another (`staging` 25 %, `sandbox` 8 %, `eu-test` 5 %).
pub fn profile() -> &'static str {
    static PROFILE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PROFILE.get_or_init(|| {
        std::env::var("VERIFF_BENCH_PROFILE")
            .ok()
            .filter(|p| !p.trim().is_empty())
            .unwrap_or_else(|| "production".into())
    })
}

/// Sizes to measure: `VERIFF_BENCH_SIZES=10000,100000` overrides the default.
pub fn sizes(default: &[u64]) -> Vec<u64> {
    match std::env::var("VERIFF_BENCH_SIZES") {
        Ok(v) if !v.trim().is_empty() => v
            .split(',')
            .filter_map(|s| s.trim().replace('_', "").parse().ok())
            .collect(),
        _ => default.to_vec(),
    }
}

pub fn label(count: u64) -> String {
    if count >= 1_000_000 && count.is_multiple_of(1_000_000) {
        format!("{}M", count / 1_000_000)
    } else if count >= 1_000 && count.is_multiple_of(1_000) {
        format!("{}k", count / 1_000)
    } else {
        count.to_string()
    }
}

/// Progressive keystrokes and the other searches an operator types, taken from the
/// fixture itself so they match what is there.
pub fn keystrokes(store: &Store) -> Vec<(String, String)> {
    let all = store.count(&Query::default()).unwrap_or(0);
    // An older record, so its id and vendor data are not on the first page anyway.
    let older = store
        .page(&Query {
            offset: all / 3,
            limit: 200,
            ..Query::default()
        })
        .unwrap_or_default();
    let session_prefix = older
        .first()
        .map(|r| r.session_id[..8].to_string())
        .unwrap_or_else(|| "00000000".into());
    let vendor = older
        .iter()
        .find(|r| r.vendor_data.starts_with("cust-"))
        .map(|r| r.vendor_data.clone())
        .unwrap_or_else(|| "cust-10007919".into());
    vec![
        ("s".into(), "s".into()),
        ("sm".into(), "sm".into()),
        ("smi".into(), "smi".into()),
        ("smit".into(), "smit".into()),
        ("smith".into(), "smith".into()),
        ("session-id prefix".into(), session_prefix),
        ("vendor-data id".into(), vendor),
        ("two words".into(), "anna smith".into()),
        ("no match".into(), "zqxjv".into()),
        ("no match, 2 chars".into(), "qz".into()),
        ("wide chars".into(), "佐藤".into()),
    ]
}

/// Runs `f` up to `runs` times (stopping early after `budget`), after a short warm-up, and
/// returns the sorted durations.
pub fn sample(runs: usize, budget: Duration, mut f: impl FnMut()) -> Vec<Duration> {
    for _ in 0..3 {
        f();
    }
    let started = Instant::now();
    let mut out = Vec::with_capacity(runs);
    while out.len() < runs && (out.len() < 20 || started.elapsed() < budget) {
        let t = Instant::now();
        f();
        out.push(t.elapsed());
    }
    out.sort_unstable();
    out
}

/// The `p`th percentile (0..=100) of sorted durations, nearest rank.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 1.0 {
        format!("{ms:.3} ms")
    } else if ms < 100.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

/// One line for the summary table `scripts/bench.sh` prints (tab-separated: what,
/// measured, target, verdict).
pub fn summary(what: &str, measured: &str, target: &str, ok: Option<bool>) {
    let verdict = match ok {
        Some(true) => "ok",
        Some(false) => "MISSED",
        None => "-",
    };
    println!("SUMMARY\t{what}\t{measured}\t{target}\t{verdict}");
}
