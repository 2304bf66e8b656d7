//! The fake-history generator against a real SQLite file: the rows are consistent with
//! what the store maintains itself (search index, status counts) and look like real use.

use chrono::{Duration, TimeZone, Utc};
use veriff_tui::history::seed::{SPAN_DAYS, SeedOptions, fill_store};
use veriff_tui::history::{Query, Store};
use veriff_tui::veriff::SessionStatus;

fn seeded(count: u64, seed: u64) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("history.sqlite3")).unwrap();
    let end = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap();
    let report = fill_store(&store, &SeedOptions { count, seed, end }).unwrap();
    assert_eq!(report.inserted, count);
    (dir, store)
}

#[test]
fn fills_the_requested_count_with_consistent_counts_and_search_index() {
    let (_dir, store) = seeded(5_000, 1);
    let all = Query::default();
    assert_eq!(store.count(&all).unwrap(), 5_000);
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap();
    let counts = store.status_counts(None, now).unwrap();
    assert_eq!(counts.iter().map(|(_, n)| n).sum::<u64>(), 5_000);
    let approved = counts
        .iter()
        .find(|(s, _)| *s == SessionStatus::Approved)
        .unwrap()
        .1;
    assert!((2_000..3_500).contains(&approved), "approved {approved}");
    let expired = counts
        .iter()
        .find(|(s, _)| *s == SessionStatus::Expired)
        .unwrap()
        .1;
    assert!(expired > 500, "expired {expired}");

    // Every record is found through the search index by its session id and last name.
    let page = store
        .page(&Query {
            limit: 50,
            ..Query::default()
        })
        .unwrap();
    assert_eq!(page.len(), 50);
    for r in page.iter().step_by(7) {
        let hits = store
            .page(&Query {
                search: Some(r.session_id[..13].to_string()),
                limit: 10,
                ..Query::default()
            })
            .unwrap();
        assert!(hits.iter().any(|h| h.id == r.id), "{}", r.session_id);
    }
    // The newest first, within the two years before the end.
    assert!(page.windows(2).all(|w| w[0].created_at >= w[1].created_at));
    assert!(page[0].created_at <= now);
    let oldest = store
        .page_after(
            &Query {
                limit: 0,
                ..Query::default()
            },
            None,
        )
        .unwrap()
        .pop()
        .unwrap();
    assert!(oldest.created_at >= now - Duration::days(SPAN_DAYS + 1));

    // Decided records carry their decision.
    let decided = store.latest_decisions(None, 200).unwrap();
    assert_eq!(decided.len(), 200);
    assert!(decided.iter().all(|r| r.decision_code.is_some()));
    assert!(
        decided
            .iter()
            .filter(|r| r.status == SessionStatus::Declined)
            .all(|r| r.decision_reason.is_some())
    );
}

#[test]
fn names_come_from_several_scripts_and_profiles_vary() {
    let (_dir, store) = seeded(3_000, 2);
    let rows = store.page(&Query::default()).unwrap();
    let wide = rows
        .iter()
        .filter(|r| {
            r.last_name
                .chars()
                .any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c))
        })
        .count();
    let cyrillic = rows
        .iter()
        .filter(|r| {
            r.last_name
                .chars()
                .any(|c| ('\u{0400}'..='\u{04FF}').contains(&c))
        })
        .count();
    assert!(
        wide > 30 && cyrillic > 30,
        "wide {wide} cyrillic {cyrillic}"
    );
    let smiths = store
        .count(&Query {
            search: Some("smith".into()),
            ..Query::default()
        })
        .unwrap();
    assert!(smiths > 20, "smiths {smiths}");
    let mut profiles: Vec<&str> = rows.iter().map(|r| r.profile.as_str()).collect();
    profiles.sort_unstable();
    profiles.dedup();
    assert!(profiles.len() >= 3, "{profiles:?}");
    assert!(rows.iter().any(|r| r.sandbox));
    assert!(rows.iter().any(|r| r.vendor_data.starts_with("cust-")));
}

#[test]
fn the_same_seed_gives_the_same_history_and_another_seed_adds_to_it() {
    let (_a, one) = seeded(500, 9);
    let (_b, two) = seeded(500, 9);
    let ids = |s: &Store| -> Vec<String> {
        s.page(&Query::default())
            .unwrap()
            .into_iter()
            .map(|r| r.session_id)
            .collect()
    };
    assert_eq!(ids(&one), ids(&two));

    let end = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap();
    fill_store(
        &one,
        &SeedOptions {
            count: 300,
            seed: 10,
            end,
        },
    )
    .unwrap();
    assert_eq!(one.count(&Query::default()).unwrap(), 800);
    // The same seed again would repeat session ids: refused, nothing half-written.
    let again = fill_store(
        &one,
        &SeedOptions {
            count: 300,
            seed: 10,
            end,
        },
    );
    let err = again.unwrap_err().to_string();
    assert!(err.contains("seed 10 was already used"), "{err}");
    assert_eq!(one.count(&Query::default()).unwrap(), 800);
}

#[test]
fn a_count_without_search_is_the_kept_tally_of_each_profile() {
    let (_dir, store) = seeded(3_000, 11);
    let rows_of = |profile: Option<&str>| {
        let q = Query {
            profile: profile.map(str::to_string),
            ..Query::default()
        };
        store.page(&q).unwrap().len() as u64
    };
    // Deletions move the tally like the rows.
    let doomed = store
        .page(&Query {
            limit: 25,
            ..Query::default()
        })
        .unwrap();
    for r in &doomed {
        assert!(store.delete(r.id).unwrap());
    }
    let mut profiles: Vec<String> = store
        .page(&Query::default())
        .unwrap()
        .into_iter()
        .map(|r| r.profile)
        .collect();
    profiles.sort();
    profiles.dedup();
    assert!(profiles.len() >= 2, "{profiles:?}");
    for p in profiles.iter().map(String::as_str).map(Some).chain([None]) {
        let q = Query {
            profile: p.map(str::to_string),
            search: Some("  ".into()),
            ..Query::default()
        };
        let rows = rows_of(p);
        assert_eq!(store.count(&q).unwrap(), rows, "{p:?}");
        assert_eq!(store.count_up_to(&q, 0).unwrap(), rows, "{p:?}");
        assert_eq!(store.count_up_to(&q, 10).unwrap(), 10.min(rows), "{p:?}");
    }
    assert_eq!(rows_of(None), 3_000 - 25);
}

#[test]
fn a_search_stops_as_soon_as_it_is_no_longer_wanted() {
    let (_dir, store) = seeded(3_000, 12);
    let everything = Query {
        search: Some("e".into()),
        ..Query::default()
    };
    let expected = store.count(&everything).unwrap();
    assert!(expected > 100, "{expected}");

    let q = everything.clone();
    let wanted = store.while_wanted(|| true, move |s| s.count(&q)).unwrap();
    assert_eq!(wanted, Some(expected));

    // Wanted when it starts, stale a moment later (newer typing): it stops, no answer.
    let asked = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let calls = asked.clone();
    let stale_soon = move || calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0;
    let q = everything.clone();
    assert_eq!(
        store
            .while_wanted(stale_soon, move |s| s.count(&q))
            .unwrap(),
        None
    );
    assert!(
        asked.load(std::sync::atomic::Ordering::SeqCst) >= 2,
        "checked while running"
    );

    // Not wanted at all: not run.
    let ran = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = ran.clone();
    let none = store
        .while_wanted(
            || false,
            move |_| {
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
                Ok(1)
            },
        )
        .unwrap();
    assert_eq!(none, None);
    assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));

    // The store is fine afterwards: the next query runs whole.
    assert_eq!(store.count(&everything).unwrap(), expected);
}

/// `last_page` is the end of the list `page` gives by offset, for every kind of query.
#[test]
fn the_last_page_read_from_the_end_is_the_page_at_the_end() {
    let (_dir, store) = seeded(3_000, 5);
    let profile = store
        .page(&Query {
            limit: 1,
            ..Query::default()
        })
        .unwrap()[0]
        .profile
        .clone();
    let searches = [
        None,
        Some("smith"),
        Some("an"),
        Some("a smith"),
        Some("cust-"),
    ];
    for search in searches {
        for profile in [None, Some(profile.clone())] {
            let query = Query {
                search: search.map(str::to_string),
                profile,
                ..Query::default()
            };
            let total = store.count(&query).unwrap();
            assert!(total > 10, "{query:?} matches {total}");
            for k in [1, 7, 150, total, total + 5] {
                let last = store
                    .last_page(&Query {
                        limit: k,
                        ..query.clone()
                    })
                    .unwrap();
                let by_offset = store
                    .page(&Query {
                        offset: total.saturating_sub(k),
                        limit: k,
                        ..query.clone()
                    })
                    .unwrap();
                assert_eq!(last.len() as u64, k.min(total), "{query:?} k {k}");
                let ids = |rows: &[veriff_tui::history::Record]| -> Vec<i64> {
                    rows.iter().map(|r| r.id).collect()
                };
                assert_eq!(ids(&last), ids(&by_offset), "{query:?} k {k}");
            }
        }
    }
}

/// The command README's Performance section names to fill a history for manual tries
/// (hidden, in builds with the `dev-seed` feature, as the tests' binary is).
#[test]
fn the_dev_seed_history_command_fills_the_history_it_is_pointed_at() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("big");
    let data_s = data.display().to_string();
    let vars = [("VERIFF_TUI_CONFIG", "/nonexistent/veriff-tui.toml")];
    let args = ["--data-dir", &data_s, "dev-seed-history", "--count", "300"];
    let (code, out, err) = crate::support::run_cli(&[&args[..], &["--seed", "42"]].concat(), &vars);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("added 300 fake records to "), "{out}");
    assert!(out.contains("(seed 42)"), "{out}");
    let store = Store::open(&data.join("history.sqlite3")).unwrap();
    assert_eq!(store.count(&Query::default()).unwrap(), 300);
    // The same seed again would repeat its session ids: refused, nothing added.
    let (code, _, err) = crate::support::run_cli(&[&args[..], &["--seed", "42"]].concat(), &vars);
    assert_ne!(code, 0);
    assert!(err.contains("seed 42 was already used"), "{err}");
    assert_eq!(store.count(&Query::default()).unwrap(), 300);
}

/// `insert_records`, the fixtures' way in: every field comes back as given (the store
/// numbers the rows in order), and the search index and tallies know them.
#[test]
fn records_inserted_as_given_come_back_as_given() {
    use crate::support::tui_state::record;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("history.sqlite3")).unwrap();
    let mut given: Vec<_> = (0..7).rev().map(record).collect();
    given[2].decision_code = Some(9102);
    given[2].decision_reason = Some("Suspected document tampering".into());
    given[2].check_error = Some("timed out".into());
    given[3].host = Some("https://alchemy.veriff.com".into());
    let n = veriff_tui::history::seed::insert_records(&store, &given).unwrap();
    assert_eq!(n, 7);
    let all = store.page(&Query::default()).unwrap();
    // Newest first: the last given first, numbered 7.
    let mut back = all.clone();
    back.reverse();
    for (i, (b, g)) in back.iter().zip(&given).enumerate() {
        assert_eq!(b.id, i as i64 + 1);
        assert_eq!(
            veriff_tui::history::Record {
                id: g.id,
                ..b.clone()
            },
            *g
        );
    }
    let q = Query {
        search: Some("lovelace".into()),
        ..Query::default()
    };
    assert_eq!(store.count(&q).unwrap(), 1, "record 3");
    assert_eq!(store.count_up_to(&Query::default(), 0).unwrap(), 7);
}
