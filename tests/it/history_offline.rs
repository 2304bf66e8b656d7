//! The shared history's server down: generates go on, their records wait in the local
//! file, and they are written to the server when it is back (by the next connection, and
//! by `history sync`). Each test stops and starts a server of its own.

use std::time::{Duration, Instant};

use chrono::Utc;
use veriff_tui::history::{Location, NewIntent, NewRecord, PgUrl, Query, Store, StoreError};
use veriff_tui::veriff::{CreatedSession, SessionInput};

use crate::support::SandboxEnv;
use crate::support::pg::{self, PrivateServer};

fn input(first: &str) -> SessionInput {
    SessionInput {
        first_name: first.into(),
        last_name: "Offline".into(),
        lang: "en".into(),
        selfid: true,
        callback: "https://example.com/cb".into(),
        vendor_data: String::new(),
        extra: Default::default(),
    }
}

fn session(id: &str) -> CreatedSession {
    let now = Utc::now();
    CreatedSession {
        id: id.into(),
        url: format!("https://alchemy.veriff.com/v/{id}"),
        host: Some("https://alchemy.veriff.com".into()),
        session_token: None,
        vendor_data: None,
        status: Some("created".into()),
        created_at: now,
        expires_at: now + chrono::Duration::days(7),
    }
}

/// A generate as `ops::generate` writes it: the intent, then the record of the answer.
fn generate(store: &Store, first: &str, session_id: &str, stop_between: Option<&PrivateServer>) {
    let input = input(first);
    let intent = NewIntent {
        profile: "default",
        base_url: "https://stationapi.veriff.com",
        sandbox: false,
        input: &input,
    };
    let id = store.record_intent(&intent, Utc::now()).unwrap();
    if let Some(server) = stop_between {
        server.0.stop();
    }
    let session = session(session_id);
    let record = store
        .complete_intent(
            id,
            &NewRecord {
                profile: "default",
                base_url: "https://stationapi.veriff.com",
                sandbox: false,
                input: &input,
                session: &session,
            },
        )
        .unwrap();
    assert!(record.is_waiting(), "{record:?}");
    assert_eq!(store.get(record.id).unwrap().as_ref(), Some(&record));
}

fn open(url: &str, file: &std::path::Path) -> Store {
    Store::open_at(&Location::Postgres {
        url: PgUrl::parse(url).unwrap(),
        operator: Some("Olga".into()),
        outbox: Some(file.to_path_buf()),
    })
    .unwrap()
}

/// Waits (a few seconds at most) until `f` holds.
fn until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn links_made_while_the_server_is_down_wait_locally_and_reach_it_when_it_is_back() {
    let server = PrivateServer::start();
    let url = server.database("offline");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("history.sqlite3");
    let store = open(&url, &file);
    // Up: nothing touches the local file.
    assert!(!file.exists());
    server.0.stop();
    generate(&store, "Anna", "0ff1ce00-0000-4000-8000-000000000001", None);
    generate(
        &store,
        "Boris",
        "0ff1ce00-0000-4000-8000-000000000002",
        None,
    );
    assert_eq!(store.waiting_count().unwrap().records, 2);
    // Lists say the server cannot be reached: they never pass the local file off as it.
    // What reads the server (the list, the Dashboard) says how many links wait here.
    let err = store.count(&Query::default()).unwrap_err();
    assert!(matches!(err, StoreError::Unreachable { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("2 links made meanwhile wait in the local file"),
        "{err}"
    );
    // A list that asks for them gets them instead, searched, with their number.
    let page = store
        .first_page_counted(
            &Query {
                search: Some("bor".into()),
                limit: 10,
                or_waiting: true,
                ..Query::default()
            },
            150,
        )
        .unwrap();
    let names: Vec<&str> = page.rows.iter().map(|r| r.first_name.as_str()).collect();
    assert_eq!(names, ["Boris"]);
    assert!(page.rows[0].is_waiting());
    assert_eq!(page.total, Some(1));

    server.0.start_again().unwrap();
    // The next call that reaches the server writes them first.
    until("the waiting links on the server", || {
        store.count(&Query::default()).is_ok_and(|n| n == 2)
    });
    assert_eq!(store.waiting_count().unwrap().records, 0);
    let names = server.0.psql(
        "offline",
        "SELECT string_agg(first_name || ' ' || operator, ',' ORDER BY first_name) FROM sessions",
    );
    assert_eq!(names, "Anna Olga,Boris Olga");
    // The local file keeps its copy, as a local history does.
    let local = Store::open(&file).unwrap();
    assert_eq!(local.count(&Query::default()).unwrap(), 2);
}

#[test]
fn links_that_waited_are_written_under_the_operators_name_by_the_next_run() {
    let server = PrivateServer::start();
    let url = server.database("next_run");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("history.sqlite3");
    let store = open(&url, &file);
    server.0.stop();
    generate(&store, "Anna", "0ff1ce00-0000-4000-8000-000000000011", None);
    drop(store);
    server.0.start_again().unwrap();
    // The next run's first connection writes what waits: under the configured name, not
    // the OS user's.
    let store = open(&url, &file);
    assert_eq!(store.waiting_count().unwrap().records, 0);
    assert_eq!(
        server.0.psql(
            "next_run",
            "SELECT first_name || ' ' || operator FROM sessions"
        ),
        "Anna Olga"
    );
}

#[test]
fn a_server_gone_between_request_and_answer_gets_the_record_and_loses_its_intent() {
    let server = PrivateServer::start();
    let url = server.database("midway");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("history.sqlite3");
    let store = open(&url, &file);
    // The intent reaches the server; the answer comes after it went away.
    generate(
        &store,
        "Carla",
        "0ff1ce00-0000-4000-8000-000000000003",
        Some(&server),
    );
    server.0.start_again().unwrap();
    assert_eq!(server.0.psql("midway", "SELECT count(*) FROM intents"), "1");
    // A store opened now (another process of this machine, say) writes it, and removes
    // the intent it completes: no record of unknown outcome is left for it.
    drop(store);
    let again = open(&url, &file);
    assert_eq!(again.count(&Query::default()).unwrap(), 1);
    assert_eq!(server.0.psql("midway", "SELECT count(*) FROM intents"), "0");
    assert_eq!(
        server
            .0
            .psql("midway", "SELECT first_name || ':' || status FROM sessions"),
        "Carla:created"
    );
    assert_eq!(again.waiting_count().unwrap().records, 0);
}

#[test]
fn the_cli_generates_with_the_server_down_and_history_sync_writes_it_when_back() {
    let server = PrivateServer::start();
    let url = server.database("cli");
    let env = SandboxEnv::new();
    let shared = [("VERIFF_TUI_HISTORY_URL", url.as_str())];
    server.0.stop();

    // Down from the start: the link is made, printed and kept locally, and that is said.
    let (code, out, err) = env.run_with(&["generate", "--first-name", "Dana"], &shared);
    assert_eq!(code, 0, "stderr: {err}");
    assert!(out.trim().starts_with("http"), "{out}");
    assert!(
        err.contains("cannot be reached: the link is kept in") && err.contains("history sync"),
        "{err}"
    );
    // `history` says the server cannot be reached; sync says what waits, and fails.
    let (code, _, err) = env.run_with(&["history"], &shared);
    assert_ne!(code, 0);
    assert!(err.contains("cannot be reached"), "{err}");
    let (code, _, err) = env.run_with(&["history", "sync"], &shared);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("1 link waits in"), "{err}");
    assert!(!err.contains(pg::PASSWORD));
    // A batch's rows are the server's: it stops before sending, and says to run it again.
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("people.csv");
    std::fs::write(&csv, "first_name,last_name\nAnna,One\nBoris,Two\n").unwrap();
    let (code, out, err) = env.run_with(&["generate", "--batch", csv.to_str().unwrap()], &shared);
    assert_ne!(code, 0, "{out}");
    assert!(
        err.contains("nothing was sent")
            && err.contains("run it again once the server is back")
            && !err.contains("Links generated meanwhile are kept"),
        "{err}"
    );

    server.0.start_again().unwrap();
    let (code, out, err) = env.run_with(&["history", "sync"], &shared);
    assert_eq!(code, 0, "stderr: {err}");
    assert!(out.contains("wrote 1 link that waited in"), "{out}");
    let (code, out, err) = env.run_with(&["history"], &shared);
    assert_eq!(code, 0, "stderr: {err}");
    assert!(out.contains("Dana"), "{out}");
    let (code, out, _) = env.run_with(&["history", "sync"], &shared);
    assert_eq!(code, 0);
    assert!(out.contains("nothing waited in"), "{out}");
    assert_eq!(server.0.psql("cli", "SELECT count(*) FROM sessions"), "1");
}

#[test]
fn history_sync_without_a_shared_history_says_there_is_nothing_to_sync() {
    let env = SandboxEnv::new();
    let (code, _, err) = env.run(&["history", "sync"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("this run has none"), "{err}");
}

/// The real binary in a pseudo-terminal, its shared history's server down from the start:
/// Ctrl+S makes the link and says it is kept locally; once the server is back the list
/// shows it, and says so, without a key press.
#[test]
fn the_tui_generates_with_the_server_down_and_lists_the_link_once_it_is_back() {
    let server = PrivateServer::start();
    let url = server.database("tui");
    server.0.stop();
    let env = SandboxEnv::new();
    let mut vars = env.vars();
    vars.push(("VERIFF_TUI_HISTORY_URL", url.clone()));
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let tui = crate::support::Tui::spawn(&[], &vars, 100, 30);
    tui.wait_for("Generate general session");
    // Latin and CJK only: see tui_live on the test terminal and Indic scripts.
    tui.send("王");
    tui.send("\t");
    tui.send("Offline");
    tui.send("\x13"); // Ctrl+S
    tui.wait_for("kept locally until the shared history is back");
    tui.send("\x1b2"); // Alt+2: Generated tokens
    // Listed from the local file meanwhile, and said so.
    tui.wait_until("the waiting link listed", |s| {
        s.contains("waiting to be shared")
            && s.lines()
                .any(|l| l.contains("王 Offline") && l.contains("created"))
    });

    server.0.start_again().unwrap();
    tui.wait_until("the note", |s| {
        s.contains("the shared history is back: 1 link made meanwhile is on it now")
    });
    let screen = tui.wait_until("the list from the server", |s| {
        !s.contains("waiting to be shared") && s.contains("王 Offline")
    });
    assert!(!screen.contains("unavailable"), "{screen}");
    assert_eq!(
        server
            .0
            .psql("tui", "SELECT first_name || ' ' || last_name FROM sessions"),
        "王 Offline"
    );
}

/// A generate killed after showing its link, while the server is down: its request waits in
/// the local file, and reaches the server as a record of unknown outcome, never lost.
#[test]
fn a_generate_killed_while_the_server_is_down_reaches_it_as_of_unknown_outcome() {
    use std::io::BufRead;
    let server = PrivateServer::start();
    let url = server.database("killed");
    server.0.stop();
    let env = SandboxEnv::new();
    let mut child = std::process::Command::new(crate::support::BIN)
        .args(["generate", "--first-name", "Kill", "--last-name", "Nine"])
        .env_clear()
        .envs(env.vars())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("VERIFF_TUI_HISTORY_URL", &url)
        .env(veriff_tui::ops::generate::PAUSE_AFTER_URL_ENV, "60000")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The URL is printed (the link is made), then the process waits before completing its
    // record: killed there.
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("http"), "{line}");
    child.kill().unwrap();
    child.wait().unwrap();

    server.0.start_again().unwrap();
    let shared = [("VERIFF_TUI_HISTORY_URL", url.as_str())];
    let (code, out, err) = env.run_with(&["history", "sync"], &shared);
    assert_eq!(code, 0, "stderr: {err}");
    assert!(out.contains("wrote 1 link"), "{out}");
    assert_eq!(
        server.0.psql(
            "killed",
            "SELECT first_name || ':' || status || ':' || check_error FROM sessions"
        ),
        "Kill:unknown:the program sending this request ended before an answer came"
    );
}

/// `listen` heard of a session (a decision webhook, on the server's side) before the link
/// made while the server could not be reached got there: the link completes that record,
/// which keeps its decision.
#[test]
fn a_waiting_link_completes_the_record_a_webhook_made_meanwhile() {
    use veriff_tui::history::{Elsewhere, WebhookWrite};
    use veriff_tui::veriff::{Decision, SessionStatus};
    let server = PrivateServer::start();
    let url = server.database("webhooked");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("history.sqlite3");
    let store = open(&url, &file);
    let sid = "0ff1ce00-0000-4000-8000-000000000009";
    server.0.stop();
    generate(&store, "Emil", sid, None);
    server.0.start_again().unwrap();

    // The receiver's store (another process) writes the decision first.
    let receiver = Store::open_url(&url).unwrap();
    let decision = Decision {
        status: SessionStatus::Approved,
        code: Some(9001),
        reason: None,
        reason_code: None,
        decision_time: Some("2026-11-30T10:00:00.000Z".into()),
        vendor_data: None,
    };
    receiver
        .record_webhook(
            &WebhookWrite {
                body_sha256: "ab01",
                session_id: sid,
                kind: "decision",
                attempt_id: Some("att-1"),
                decision: &decision,
                received_at: Utc::now(),
                elsewhere: Elsewhere {
                    profile: "default",
                    base_url: "https://stationapi.veriff.com",
                    sandbox: false,
                    first_name: "",
                    last_name: "",
                    vendor_data: "",
                },
            },
            |_| true,
        )
        .unwrap();
    let before = receiver.find_by_session_id(sid).unwrap().unwrap();
    assert!(before.made_elsewhere, "{before:?}");

    // The store found the server down a moment ago: it tries again after a few seconds.
    let mut report = None;
    until("the sync", || {
        report = store.sync_outbox().ok();
        report.is_some()
    });
    let report = report.unwrap();
    assert_eq!(report.written, 1, "{report:?}");
    let r = receiver.find_by_session_id(sid).unwrap().unwrap();
    assert!(!r.made_elsewhere, "{r:?}");
    assert_eq!(r.first_name, "Emil");
    assert_eq!(r.url, format!("https://alchemy.veriff.com/v/{sid}"));
    assert_eq!(
        (r.status.as_str(), r.decision_code),
        ("approved", Some(9001))
    );
    assert_eq!(r.operator, "Olga");
    assert_eq!(receiver.count(&Query::default()).unwrap(), 1);
}
