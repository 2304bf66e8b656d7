//! A history damaged inside (junk written over a page of a valid file): every command of
//! the real binary calls it damaged, sends nothing, and `history --move-aside` agrees, keeps
//! the file as it was and copies every readable record into a new history.

use crate::support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::Utc;
use veriff_tui::history::{CHECK_AT_OPEN_MAX_BYTES, NewIntent, NewRecord, Query, Store};
use veriff_tui::veriff::inspect::{Inspection, Part};
use veriff_tui::veriff::{CreatedSession, ExtraField, SessionInput, SessionStatus};

const EXIT_LOCAL: i32 = 1;

/// `n` records made by the real binary against the sandbox: `Ann01 Smith` … with vendor
/// data `v01` … and an email `ann01@example.com` … (an extra field, searchable).
fn history_of(env: &support::SandboxEnv, n: usize) {
    for i in 1..=n {
        let (code, _, err) = env.run(&[
            "generate",
            "--first-name",
            &format!("Ann{i:02}"),
            "--last-name",
            "Smith",
            "--vendor-data",
            &format!("v{i:02}"),
            "--email",
            &format!("ann{i:02}@example.com"),
        ]);
        assert_eq!(code, 0, "generate {i}: {err}");
    }
}

fn rows(env: &support::SandboxEnv) -> Vec<serde_json::Value> {
    let (code, out, err) = env.run(&["history", "--json", "-n", "0"]);
    assert_eq!(code, 0, "history --json: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// A leaf page of the `sessions` table, and the session ids of the records on it.
struct Leaf {
    page: i64,
    session_ids: BTreeSet<String>,
}

/// The leaves of `sessions`, in key order, each with the session ids it holds (read before
/// anything is wrecked; every page in the main file, none in a -wal).
fn leaves(db: &Path) -> Vec<Leaf> {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    let mut st = conn
        .prepare(
            "SELECT pageno, ncell FROM dbstat WHERE name = 'sessions' AND pagetype = 'leaf' \
             ORDER BY path",
        )
        .unwrap();
    let pages: Vec<(i64, usize)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut st = conn
        .prepare("SELECT session_id FROM sessions ORDER BY id")
        .unwrap();
    let mut ids = st
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap);
    pages
        .into_iter()
        .map(|(page, ncell)| Leaf {
            page,
            session_ids: ids.by_ref().take(ncell).collect(),
        })
        .collect()
}

/// Junk (0xA5) over every cell of page `page`: its header and cell pointers stay, so the
/// file still opens and the page is found; none of its records can be read.
fn wreck_cells(db: &Path, page: i64) {
    let mut bytes = std::fs::read(db).unwrap();
    let size = u16::from_be_bytes([bytes[16], bytes[17]]) as usize;
    let start = (page as usize - 1) * size;
    let ncell = u16::from_be_bytes([bytes[start + 3], bytes[start + 4]]) as usize;
    let cells = start + 8 + 2 * ncell;
    bytes[cells..start + size].fill(0xA5);
    std::fs::write(db, &bytes).unwrap();
}

/// The moved-aside file next to `db`.
fn kept_file(db: &Path) -> PathBuf {
    db.parent()
        .unwrap()
        .read_dir()
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let name = p.to_string_lossy();
            name.contains(".unusable-") && !name.ends_with("-wal") && !name.ends_with("-shm")
        })
        .expect("the damaged file kept under a new name")
}

fn session_ids(rows: &[serde_json::Value]) -> BTreeSet<String> {
    rows.iter()
        .map(|r| r["session_id"].as_str().unwrap().to_string())
        .collect()
}

/// The case: a small history with junk over one page in its middle. Before, `history`
/// said "damaged … run --move-aside", `--move-aside` said "nothing to move: the history opens
/// fine", and `generate` went on writing into it. Now all three agree it is damaged; nothing
/// is sent; `--move-aside` keeps the file and brings back every record not on that page.
#[test]
fn junk_inside_a_history_is_damage_everywhere_and_move_aside_recovers_the_rest() {
    let env = support::SandboxEnv::new();
    history_of(&env, 30);
    let db = env.history_db();
    let before = rows(&env);
    assert_eq!(before.len(), 30);
    let leaves = leaves(&db);
    assert!(
        leaves.len() >= 3,
        "want a leaf in the middle: {}",
        leaves.len()
    );
    let wrecked = &leaves[1];
    wreck_cells(&db, wrecked.page);
    let damaged = std::fs::read(&db).unwrap();
    assert!(
        damaged.len() as u64 <= CHECK_AT_OPEN_MAX_BYTES,
        "small enough to be checked at open"
    );
    let shown = db.display().to_string();

    // Listing and searching: damaged, and how to go on.
    for args in [
        &["history"][..],
        &["history", "--search", "Ann"],
        &["history", "--csv"],
    ] {
        let (code, out, err) = env.run(args);
        assert_eq!(code, EXIT_LOCAL, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert!(
            err.contains(&shown) && err.contains("is damaged") && err.contains("--move-aside"),
            "{args:?}: {err}"
        );
    }
    // generate: nothing sent, said why.
    env.sandbox.reset_counters();
    let (code, out, err) = env.run(&["generate", "--first-name", "Bea"]);
    assert_eq!(code, EXIT_LOCAL, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.starts_with("error: nothing was sent") && err.contains("is damaged"),
        "{err}"
    );
    assert!(err.contains("--move-aside"), "{err}");
    assert_eq!(env.sandbox.create_requests(), 0, "nothing may reach Veriff");
    assert_eq!(std::fs::read(&db).unwrap(), damaged, "the file was changed");

    // --move-aside agrees, keeps it as it was, and recovers the others.
    let (code, out, err) = env.run(&["history", "--move-aside"]);
    assert_eq!(code, 0, "{err}");
    let kept = kept_file(&db);
    let lost = wrecked.session_ids.len();
    assert!(lost >= 2, "{lost}");
    assert!(
        out.contains(&format!(
            "recovered {} of about 30 records into a new history at {shown}; {lost} could not be read; the damaged file is kept at {}",
            30 - lost,
            kept.display()
        )),
        "{out}"
    );
    assert_eq!(std::fs::read(&kept).unwrap(), damaged, "kept byte for byte");

    // Exactly the records that were not on the wrecked page, every field as it was.
    let after = rows(&env);
    let expected: Vec<&serde_json::Value> = before
        .iter()
        .filter(|r| {
            !wrecked
                .session_ids
                .contains(r["session_id"].as_str().unwrap())
        })
        .collect();
    assert_eq!(after.iter().collect::<Vec<_>>(), expected);
    // Found again by the search indexes of the new history.
    let survivor = expected[expected.len() / 2]["first_name"].as_str().unwrap();
    let (code, out, err) = env.run(&["history", "--search", survivor]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(out.contains(survivor), "{out}");
    let (code, out, _) = env.run(&["history", "--search", "v0"]);
    assert_eq!(code, 0);
    assert!(out.lines().count() > 1, "{out}");
    // The extra fields came along, and their place in the search index.
    let email = format!("{}@example", survivor.to_lowercase());
    let (code, out, err) = env.run(&["history", "--search", &email]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 2, "{email}: {out}");
    assert!(out.contains(survivor), "{out}");

    // The new history is in use, and there is nothing more to move.
    let (code, _, err) = env.run(&["generate", "--first-name", "Cy"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(rows(&env).len(), 31 - lost);
    let (code, out, err) = env.run(&["history", "--move-aside"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("nothing to move"), "{out}");
}

/// A history too big to be checked at every open: damage is found where a read meets it
/// (the newest records, the first page `history` shows), and `--move-aside`, which checks
/// the whole file, agrees and recovers the rest.
#[test]
fn damage_in_a_big_history_is_found_where_it_is_read_and_move_aside_agrees() {
    let env = support::SandboxEnv::new();
    let db = env.history_db();
    veriff_tui::history::seed::fill(&db, 1500, 7).unwrap();
    let before = rows(&env);
    let leaves = leaves(&db);
    assert!(
        std::fs::metadata(&db).unwrap().len() > CHECK_AT_OPEN_MAX_BYTES,
        "the history must be bigger than what is checked at open"
    );
    // The newest records: the first rows `history` reads.
    let wrecked = leaves.last().unwrap();
    wreck_cells(&db, wrecked.page);
    let damaged = std::fs::read(&db).unwrap();

    let (code, _, err) = env.run(&["history"]);
    assert_eq!(code, EXIT_LOCAL, "{err}");
    assert!(
        err.contains("is damaged") && err.contains("--move-aside"),
        "{err}"
    );

    let (code, out, err) = env.run(&["history", "--move-aside"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("checking"),
        "the whole-file check is announced: {err}"
    );
    let lost = wrecked.session_ids.len();
    assert!(
        out.contains(&format!(
            "recovered {} of about 1,500 records",
            thousands(1500 - lost)
        )) && out.contains(&format!("{lost} could not be read")),
        "{out}"
    );
    assert_eq!(std::fs::read(kept_file(&db)).unwrap(), damaged);
    let after = rows(&env);
    assert_eq!(
        session_ids(&after),
        &session_ids(&before) - &wrecked.session_ids
    );
}

fn thousands(n: usize) -> String {
    veriff_tui::ops::progress::thousands(n as u64)
}

/// A history whose file opens but is not damaged is never moved: `--move-aside` checks it
/// whole and says so.
#[test]
fn a_sound_history_is_not_moved_aside() {
    let env = support::SandboxEnv::new();
    history_of(&env, 2);
    let (code, out, err) = env.run(&["history", "--move-aside"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("nothing to move") && out.contains("finds no damage"),
        "{out}"
    );
    assert_eq!(rows(&env).len(), 2);
}

/// `--no-recover`: moved aside all the same, the new history starts empty.
#[test]
fn no_recover_starts_an_empty_history_and_keeps_the_damaged_one() {
    let env = support::SandboxEnv::new();
    history_of(&env, 20);
    let db = env.history_db();
    let leaves = leaves(&db);
    wreck_cells(&db, leaves[0].page);
    let damaged = std::fs::read(&db).unwrap();
    let (code, out, err) = env.run(&["history", "--move-aside", "--no-recover"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("--no-recover") && !out.contains("recovered"),
        "{out}"
    );
    assert_eq!(std::fs::read(kept_file(&db)).unwrap(), damaged);
    assert_eq!(rows(&env).len(), 0);
}

/// Recovery reads past any damage in bounded time: a wrecked interior page (a whole subtree
/// unreachable) and junk read as rowids near 2^62 lose only the rows they hold.
#[test]
fn recovery_reads_past_a_wrecked_subtree_in_bounded_time() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.sqlite3");
    veriff_tui::history::seed::fill(&db, 6000, 11).unwrap();
    let leaves = leaves(&db);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let interior: Vec<(i64, String)> = conn
        .prepare(
            "SELECT pageno, path FROM dbstat WHERE name = 'sessions' AND pagetype = 'internal' \
             AND path != '/' ORDER BY path",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let leaf_paths: Vec<String> = conn
        .prepare(
            "SELECT path FROM dbstat WHERE name = 'sessions' AND pagetype = 'leaf' ORDER BY path",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    drop(conn);
    assert!(!interior.is_empty(), "want an interior page below the root");
    // The first subtree below the root, and (elsewhere) one leaf wrecked into junk rowids.
    let (subtree_page, subtree_path) = &interior[0];
    let under: BTreeSet<String> = leaves
        .iter()
        .zip(&leaf_paths)
        .filter(|(_, path)| path.starts_with(subtree_path.as_str()))
        .flat_map(|(leaf, _)| leaf.session_ids.iter().cloned())
        .collect();
    let far_leaf = leaves
        .iter()
        .zip(&leaf_paths)
        .rev()
        .find(|(_, path)| !path.starts_with(subtree_path.as_str()))
        .map(|(leaf, _)| leaf)
        .unwrap();
    let all: BTreeSet<String> = leaves
        .iter()
        .flat_map(|l| l.session_ids.iter().cloned())
        .collect();
    assert_eq!(all.len(), 6000);
    let mut bytes = std::fs::read(&db).unwrap();
    let size = u16::from_be_bytes([bytes[16], bytes[17]]) as usize;
    let at = (*subtree_page as usize - 1) * size;
    bytes[at..at + size].fill(0xA5);
    std::fs::write(&db, &bytes).unwrap();
    wreck_cells(&db, far_leaf.page);

    let new = dir.path().join("new.sqlite3");
    let store = Store::open(&new).unwrap();
    let started = std::time::Instant::now();
    let got = veriff_tui::history::recover(&db, &store, &mut |_, _| {}).unwrap();
    let took = started.elapsed();
    assert!(took < std::time::Duration::from_secs(60), "took {took:?}");
    let lost: BTreeSet<String> = &under | &far_leaf.session_ids;
    assert_eq!(got.expected, Some(6000));
    assert_eq!(got.recovered, (6000 - lost.len()) as u64, "{got:?}");
    let conn = rusqlite::Connection::open(&new).unwrap();
    let recovered: BTreeSet<String> = conn
        .prepare("SELECT session_id FROM sessions")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(recovered, &all - &lost);
}

/// Everything a record carries comes back with it: its extra fields, what `inspect` fetched
/// of it; and a request that was on its way when the file was damaged comes back as a
/// record of unknown outcome.
#[test]
fn recovery_keeps_extras_inspections_and_requests_on_their_way() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.sqlite3");
    veriff_tui::history::seed::fill(&db, 120, 5).unwrap();
    let store = Store::open(&db).unwrap();
    let mut input = SessionInput {
        first_name: "Zoe".into(),
        last_name: "Extra".into(),
        lang: "en".into(),
        ..SessionInput::default()
    };
    input.extra.set(ExtraField::Email, "zoe@example.com");
    input.extra.set(ExtraField::IdNumber, "38001085718");
    let now = Utc::now();
    let session = CreatedSession {
        id: "0d6f3c1e-0000-4000-8000-00000000abcd".into(),
        url: "https://alchemy.veriff.com/v/zoe".into(),
        host: None,
        session_token: None,
        vendor_data: None,
        status: Some("created".into()),
        created_at: now,
        expires_at: now + chrono::Duration::days(7),
    };
    let zoe = store
        .insert(&NewRecord {
            profile: "test",
            base_url: "https://stationapi.veriff.com",
            sandbox: false,
            input: &input,
            session: &session,
        })
        .unwrap();
    fn failed<T>() -> Part<T> {
        Part::Error("not fetched".to_string())
    }
    let inspection = Inspection {
        session_id: session.id.clone(),
        fetched_at: now,
        decision: failed(),
        person: failed(),
        attempts: failed(),
        media: failed(),
        watchlist_screening: failed(),
    };
    store.save_inspection(zoe.id, &inspection).unwrap();
    store
        .record_intent(
            &NewIntent {
                profile: "test",
                base_url: "https://stationapi.veriff.com",
                sandbox: false,
                input: &SessionInput {
                    first_name: "Otto".into(),
                    ..SessionInput::default()
                },
            },
            now,
        )
        .unwrap();
    let all = Query {
        limit: 0,
        ..Query::default()
    };
    let before = store.page(&all).unwrap();
    drop(store);
    let leaves = leaves(&db);
    let wrecked = &leaves[1];
    assert!(!wrecked.session_ids.contains(&session.id));
    wreck_cells(&db, wrecked.page);

    let new = Store::open(&dir.path().join("new.sqlite3")).unwrap();
    let got = veriff_tui::history::recover(&db, &new, &mut |_, _| {}).unwrap();
    assert_eq!(got.unanswered, 1, "{got:?}");
    assert_eq!(got.expected, Some(121));
    let after = new.page(&all).unwrap();
    let kept: Vec<_> = before
        .iter()
        .filter(|r| !wrecked.session_ids.contains(&r.session_id))
        .collect();
    let (unknown, copied): (Vec<_>, Vec<_>) = after
        .iter()
        .partition(|r| r.status == SessionStatus::Unknown);
    assert_eq!(copied, kept, "every field as it was");
    assert_eq!(unknown.len(), 1);
    assert_eq!(unknown[0].first_name, "Otto");
    let zoe_after = copied.iter().find(|r| r.first_name == "Zoe").unwrap();
    assert_eq!(zoe_after.extra.get(ExtraField::IdNumber), "38001085718");
    assert_eq!(new.inspection(zoe.id).unwrap(), Some(inspection));
    let found = new
        .page(&Query {
            search: Some("zoe@example".into()),
            limit: 10,
            ..Query::default()
        })
        .unwrap();
    assert_eq!(found.len(), 1);
}
