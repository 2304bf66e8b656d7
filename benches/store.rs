//! The history store at scale, SQLite's file and the shared history on PostgreSQL (a
//! private server on this machine, `support::pg_fixture`): one filter keystroke (first
//! page + capped count) at 100k and 1M records (in the fixture's main profile, as the TUI
//! asks, and over all profiles), the dashboard queries and keyset paging at 1M.
//!
//! Criterion gives the medians; a second pass over many runs gives p50/p99, which
//! criterion does not report. `VERIFF_BENCH_SIZES=10000,100000` picks other sizes;
//! `VERIFF_BENCH_STORES=postgres` one store (default `sqlite,postgres`);
//! `VERIFF_BENCH_NO_CRITERION=1` runs only the percentile pass; `VERIFF_BENCH_ONLY=smith`
//! only the keystrokes whose name or text contains that (and skips the rest).

#[path = "support/mod.rs"]
mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use veriff_tui::history::{Query, Store};

/// Rows the history table shows at once; the count the TUI shows while typing ("1000+
/// matches") is the store's own cap (`Store::first_count_cap`).
const PAGE: u64 = 100;
const KEYSTROKE_TARGET: Duration = Duration::from_millis(16);
const DASHBOARD_TARGET: Duration = Duration::from_millis(50);

fn search(text: &str) -> Query {
    Query {
        search: Some(text.to_string()),
        limit: PAGE,
        ..Query::default()
    }
}

/// What one keystroke in the filter box costs the store: the first page, newest first,
/// and a capped match count (the count skipped when the page is not full). `profile` as
/// the TUI passes it (`None`: every profile, as the CLI's `history` lists).
fn keystroke(store: &Store, text: &str, profile: Option<&str>) -> (usize, u64) {
    let query = Query {
        profile: profile.map(str::to_string),
        ..search(text)
    };
    let (page, n) = store
        .first_page_and_count(&query, store.first_count_cap())
        .expect("page and count");
    (page.len(), n)
}

/// The first page alone: what the list waits for to draw its rows (the count follows).
fn rows_alone(store: &Store, text: &str, profile: Option<&str>) -> usize {
    let query = Query {
        profile: profile.map(str::to_string),
        ..search(text)
    };
    store.page_after(&query, None).expect("page").len()
}

/// The dashboard's three queries, as its screen asks them for `profile` (`None`: every
/// profile, as the CLI's `stats` does).
fn dashboard(store: &Store, profile: Option<&str>) -> usize {
    let now = support::fixture_end();
    let counts = store.status_counts(profile, now).expect("status counts");
    let days = store.per_day(profile, 30, now).expect("per day");
    let latest = store
        .latest_decisions(profile, 10)
        .expect("latest decisions");
    counts.len() + days.len() + latest.len()
}

/// A fixture of one store: the file, or the server holding the database.
enum Fixture {
    File(std::path::PathBuf),
    Server {
        _server: support::pg::KeptServer,
        url: String,
    },
}

impl Fixture {
    fn of(store: &str, n: u64) -> Fixture {
        match store {
            "postgres" => {
                let (server, url) = support::pg_fixture(n);
                Fixture::Server {
                    _server: server,
                    url,
                }
            }
            _ => Fixture::File(support::fixture(n)),
        }
    }

    /// A store on it, as a run of the app opens one.
    fn open(&self) -> Store {
        match self {
            Fixture::File(path) => Store::open(path).expect("open the fixture"),
            Fixture::Server { url, .. } => {
                Store::open_url(url).expect("open the PostgreSQL fixture")
            }
        }
    }
}

/// The stores measured: `VERIFF_BENCH_STORES`, else both.
fn stores() -> Vec<&'static str> {
    let asked = std::env::var("VERIFF_BENCH_STORES").unwrap_or_default();
    ["sqlite", "postgres"]
        .into_iter()
        .filter(|s| asked.trim().is_empty() || asked.split(',').any(|a| a.trim() == *s))
        .collect()
}

fn main() {
    if !support::as_benchmark() {
        return;
    }
    let sizes = support::sizes(&[100_000, 1_000_000]);
    let largest = sizes.iter().copied().max().unwrap_or(0);
    let use_criterion = std::env::var_os("VERIFF_BENCH_NO_CRITERION").is_none();
    let mut c = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    let mut report = Vec::new();

    for (kind, &n) in stores()
        .into_iter()
        .flat_map(|k| sizes.iter().map(move |n| (k, n)))
    {
        let fixture = Fixture::of(kind, n);
        let store = fixture.open();
        let size = format!("{kind} {}", support::label(n));
        let only = std::env::var("VERIFF_BENCH_ONLY").ok();
        let cases: Vec<(String, String)> = support::keystrokes(&store)
            .into_iter()
            .filter(|(name, text)| {
                only.as_deref()
                    .is_none_or(|o| name.contains(o) || text.contains(o))
            })
            .collect();

        // The TUI's keystroke (one profile) first, then the same searches over every
        // profile.
        let profile = support::profile();
        let scopes = [(Some(profile), profile), (None, "all")];
        if use_criterion {
            for (profile, scope) in scopes {
                let mut group = c.benchmark_group(format!("keystroke/{size}/{scope}"));
                for (name, text) in &cases {
                    group.bench_function(name.as_str(), |b| {
                        b.iter(|| black_box(keystroke(&store, black_box(text), profile)))
                    });
                }
                group.finish();
            }
        }

        let mut worst_p99 = Duration::ZERO;
        for (profile, scope) in scopes {
            for (name, text) in &cases {
                // The first keystroke on a store just opened, as the TUI has it when a
                // term is typed: connected and looked at once by its watch (which takes
                // the search's sample on PostgreSQL), nothing searched yet, nothing known
                // of the term's trigrams. The median of a few.
                let mut cold: Vec<Duration> = (0..5)
                    .map(|_| {
                        let fresh = fixture.open();
                        let mut watch = fresh.watch().expect("watch");
                        fresh.changes_after(&mut watch).expect("look");
                        let t = Instant::now();
                        black_box(keystroke(&fresh, text, profile));
                        t.elapsed()
                    })
                    .collect();
                cold.sort_unstable();
                let (rows, matches) = keystroke(&store, text, profile);
                let runs = support::sample(500, Duration::from_secs(8), || {
                    black_box(keystroke(&store, text, profile));
                });
                let p50 = support::percentile(&runs, 50.0);
                let p99 = support::percentile(&runs, 99.0);
                worst_p99 = worst_p99.max(p99);
                let alone = support::sample(500, Duration::from_secs(4), || {
                    black_box(rows_alone(&store, text, profile));
                });
                let cap = store.first_count_cap();
                let shown = if matches >= cap {
                    format!("{cap}+")
                } else {
                    matches.to_string()
                };
                report.push(format!(
                    "keystroke {size:>11} {scope:<10} {name:<18} {text:<16} rows {rows:>3}  matches {shown:>5}  p50 {:>10}  p99 {:>10}  ({} runs)  first on a new store {:>9}  rows alone p50 {:>9} p99 {:>9}",
                    support::ms(p50),
                    support::ms(p99),
                    runs.len(),
                    support::ms(cold[cold.len() / 2]),
                    support::ms(support::percentile(&alone, 50.0)),
                    support::ms(support::percentile(&alone, 99.0))
                ));
                support::summary(
                    &format!("filter keystroke p99, {size}, {scope}: {name} ({text:?})"),
                    &format!("p50 {} / p99 {}", support::ms(p50), support::ms(p99)),
                    "p99 < 16 ms",
                    Some(p99 < KEYSTROKE_TARGET),
                );
            }
        }
        report.push(format!(
            "keystroke {size:>11}  worst p99 {}",
            support::ms(worst_p99)
        ));

        if n == largest && only.is_none() {
            dashboard_and_paging(&mut c, use_criterion, &store, &size, &mut report);
        }
        if n == largest && only.as_deref().is_none_or(|o| o == "watch") {
            watching(&fixture, &store, &size, &mut report);
        }
    }

    if use_criterion {
        c.final_summary();
    }
    println!();
    for line in report {
        println!("{line}");
    }
}

/// What the open TUI's look at the history costs (`tui::watch`, four times a second): idle,
/// and after another connection (another process) wrote one record. The records written
/// here are deleted again, so the fixture stays as it was.
fn watching(fixture: &Fixture, store: &Store, size: &str, report: &mut Vec<String>) {
    use veriff_tui::history::NewRecord;
    use veriff_tui::veriff::{CreatedSession, SessionInput};
    let other = fixture.open();
    let mut watch = store.watch().expect("watch");
    let idle = support::sample(5000, Duration::from_secs(3), || {
        black_box(store.changes_after(&mut watch).expect("look"));
    });
    let input = SessionInput {
        first_name: "Watch".into(),
        last_name: "Bench".into(),
        lang: "en".into(),
        ..SessionInput::default()
    };
    let mut written = Vec::new();
    let mut one = Vec::new();
    for i in 0..200 {
        let now = chrono::Utc::now();
        let session = CreatedSession {
            id: format!("00000000-0000-4000-8000-bench{i:07}"),
            url: "https://alchemy.veriff.com/v/x".into(),
            host: None,
            session_token: None,
            vendor_data: None,
            status: Some("created".into()),
            created_at: now,
            expires_at: now + chrono::Duration::days(7),
        };
        let r = other
            .insert(&NewRecord {
                profile: support::profile(),
                base_url: "https://stationapi.veriff.com",
                sandbox: false,
                input: &input,
                session: &session,
            })
            .expect("write");
        written.push(r.id);
        let t = Instant::now();
        let seen = store.changes_after(&mut watch).expect("look");
        one.push(t.elapsed());
        assert_eq!(seen.map(|c| c.records.len()), Some(1));
    }
    for id in written {
        other.delete(id).expect("clean up");
    }
    one.sort_unstable();
    for (what, runs) in [("idle", &idle), ("one record changed", &one)] {
        report.push(format!(
            "watch {size:>11} {what:<20} p50 {:>10}  p99 {:>10}  ({} runs)",
            support::ms(support::percentile(runs, 50.0)),
            support::ms(support::percentile(runs, 99.0)),
            runs.len()
        ));
    }
}

fn dashboard_and_paging(
    c: &mut Criterion,
    use_criterion: bool,
    store: &Store,
    size: &str,
    report: &mut Vec<String>,
) {
    let now = support::fixture_end();
    let all = store.count(&Query::default()).expect("count");
    // A cursor nine tenths of the way down: the oldest records.
    let deep = store
        .page(&Query {
            offset: all * 9 / 10,
            limit: 1,
            ..Query::default()
        })
        .expect("deep row")
        .pop()
        .map(|r| r.cursor());
    let first = Query {
        limit: PAGE,
        ..Query::default()
    };
    let smith = search("smith");
    let deep_smith = {
        let mut cursor = None;
        for _ in 0..50 {
            let page = store.page_after(&smith, cursor).expect("page");
            cursor = page.last().map(|r| r.cursor()).or(cursor);
        }
        cursor
    };

    type Case<'a> = (String, Box<dyn Fn() -> usize + 'a>, Duration);
    let mut cases: Vec<Case<'_>> = Vec::new();
    // As the Dashboard screen asks (the active profile), and over every profile.
    let main = support::profile();
    for (profile, scope) in [(Some(main), main), (None, "all")] {
        cases.extend([
            (
                format!("dashboard, {scope}: status_counts"),
                Box::new(move || store.status_counts(profile, now).expect("counts").len())
                    as Box<dyn Fn() -> usize>,
                DASHBOARD_TARGET,
            ),
            (
                format!("dashboard, {scope}: per_day(30)"),
                Box::new(move || store.per_day(profile, 30, now).expect("per day").len()),
                DASHBOARD_TARGET,
            ),
            (
                format!("dashboard, {scope}: latest_decisions(10)"),
                Box::new(move || store.latest_decisions(profile, 10).expect("latest").len()),
                DASHBOARD_TARGET,
            ),
            (
                format!("dashboard, {scope}: all three"),
                Box::new(move || dashboard(store, profile)),
                DASHBOARD_TARGET,
            ),
        ]);
    }
    cases.extend([
        (
            "paging: first page".to_string(),
            Box::new(|| store.page_after(&first, None).expect("page").len()),
            KEYSTROKE_TARGET,
        ),
        (
            "paging: deep keyset page (90%)".to_string(),
            Box::new(|| store.page_after(&first, deep).expect("page").len()),
            KEYSTROKE_TARGET,
        ),
        (
            "paging: \"smith\", page 51".to_string(),
            Box::new(|| store.page_after(&smith, deep_smith).expect("page").len()),
            KEYSTROKE_TARGET,
        ),
        (
            "paging: \"smith\", last page (End)".to_string(),
            Box::new(|| store.last_page(&smith).expect("page").len()),
            KEYSTROKE_TARGET,
        ),
    ] as [Case<'_>; 4]);

    if use_criterion {
        let mut group = c.benchmark_group(format!("store/{size}"));
        for (name, f, _) in &cases {
            group.bench_function(name.as_str(), |b| b.iter(|| black_box(f())));
        }
        group.finish();
    }
    for (name, f, target) in &cases {
        let runs = support::sample(300, Duration::from_secs(6), || {
            black_box(f());
        });
        let p50 = support::percentile(&runs, 50.0);
        let p99 = support::percentile(&runs, 99.0);
        report.push(format!(
            "{size:>11}  {name:<44} p50 {:>10}  p99 {:>10}  ({} runs)",
            support::ms(p50),
            support::ms(p99),
            runs.len()
        ));
        support::summary(
            &format!("{name}, {size}"),
            &format!("p50 {} / p99 {}", support::ms(p50), support::ms(p99)),
            &format!("< {} ms", target.as_millis()),
            Some(p99 < *target),
        );
    }
}
