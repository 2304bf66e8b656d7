//! Faults end to end: the real binary against a misbehaving sandbox on loopback, a broken
//! history file, and a process killed mid-request. Each failure must end in one or two plain
//! lines on stderr, the right exit code, nothing on stdout, nothing in history, and the next
//! normal run must work.

use crate::support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{BIN, DEADLINE};
use veriff_tui::ops::generate::PAUSE_AFTER_URL_ENV as PAUSE_ENV;
use veriff_tui::sandbox::Fault;

const EXIT_LOCAL: i32 = 1;
const EXIT_USAGE: i32 = 2;
const EXIT_API: i32 = 3;
const EXIT_NETWORK: i32 = 4;

/// A sandbox, and a config file with a 1 s timeout (and no secrets: those come from the
/// environment).
struct Env(support::SandboxEnv);

impl std::ops::Deref for Env {
    type Target = support::SandboxEnv;
    fn deref(&self) -> &support::SandboxEnv {
        &self.0
    }
}

impl Env {
    fn new() -> Env {
        Env(support::SandboxEnv::with_config(
            "[request]\ntimeout_secs = 1\n",
        ))
    }

    fn generate(&self) -> (i32, String, String) {
        self.run(&["generate", "--first-name", "John", "--last-name", "Smith"])
    }

    fn history_rows(&self) -> Vec<serde_json::Value> {
        let (code, out, err) = self.run(&["history", "--json", "-n", "0"]);
        assert_eq!(code, 0, "history --json failed: {err}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
    }

    /// The app still works: one more generate writes exactly one more record.
    fn assert_recovers(&self, before: usize) {
        self.sandbox.set_fault(None);
        let (code, out, err) = self.generate();
        assert_eq!(code, 0, "the next generate failed: {err}");
        assert_eq!(out.lines().count(), 1, "{out}");
        assert!(out.starts_with(self.sandbox.base_url()), "{out}");
        assert_eq!(self.history_rows().len(), before + 1);
    }
}

/// One or two plain lines on stderr (`error:` and `  hint:`), no panic, no control
/// characters, nothing on stdout, and every `needle` named (case-insensitive).
fn assert_clean_failure(
    got: &(i32, String, String),
    code: i32,
    needles: &[&str],
) -> (String, Option<String>) {
    let (c, out, err) = got;
    assert_eq!(*c, code, "exit code; stderr: {err}");
    assert!(out.is_empty(), "stdout must be empty, was: {out:?}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        !err.chars().any(|ch| ch.is_control() && ch != '\n'),
        "control characters on stderr: {err:?}"
    );
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        (1..=2).contains(&lines.len()),
        "one or two lines on stderr, got: {err}"
    );
    let message = lines[0]
        .strip_prefix("error: ")
        .unwrap_or_else(|| panic!("no error: prefix: {err}"))
        .to_string();
    let hint = lines.get(1).map(|h| {
        h.strip_prefix("  hint: ")
            .unwrap_or_else(|| panic!("second line is not a hint: {err}"))
            .to_string()
    });
    let lower = err.to_lowercase();
    for n in needles {
        assert!(lower.contains(&n.to_lowercase()), "{n:?} not in: {err}");
    }
    (message, hint)
}

/// A faulty create: clean failure, and the next generate works. A fault that proves no
/// session was created leaves nothing in the history; any other leaves one record saying
/// the outcome is unknown, and its words say so, never "not created".
fn fault_case(fault: Fault, code: i32, needles: &[&str]) -> (String, Option<String>) {
    let refused = matches!(fault, Fault::TooMany429);
    let env = Env::new();
    env.sandbox.set_fault(Some(fault));
    let got = env.generate();
    let said = assert_clean_failure(&got, code, needles);
    assert!(said.1.is_some(), "a fault needs a hint: {}", got.2);
    let rows = env.history_rows();
    if refused {
        assert_eq!(rows.len(), 0, "nothing may be stored: {rows:?}");
        assert!(
            said.0.starts_with("the session was not created"),
            "{}",
            said.0
        );
    } else {
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0]["status"], "unknown");
        assert_eq!(rows[0]["first_name"], "John");
        assert!(said.0.starts_with("outcome unknown"), "{}", said.0);
        let hint = said.1.as_deref().unwrap_or_default();
        assert!(hint.contains("Customer Portal"), "{hint}");
        assert!(!said.0.contains("not created"), "{}", said.0);
    }
    env.assert_recovers(rows.len());
    said
}

#[test]
fn slower_than_the_timeout() {
    let start = Instant::now();
    let (message, hint) = fault_case(
        Fault::Delay(Duration::from_secs(30)),
        EXIT_NETWORK,
        &["timed out after 1 s"],
    );
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "the 1 s timeout did not hold"
    );
    let hint = hint.unwrap();
    assert!(hint.contains("timeout_secs"), "{message} / {hint}");
    // The request may have reached Veriff: a blind retry could duplicate the session.
    assert!(hint.contains("may"), "{hint}");
}

#[test]
fn server_error_500() {
    let (_, hint) = fault_case(Fault::Status500, EXIT_API, &["HTTP 500"]);
    assert!(hint.unwrap().contains("try again"));
}

#[test]
fn bad_gateway_with_html() {
    let (message, hint) = fault_case(Fault::Html502, EXIT_API, &["HTTP 502", "not JSON"]);
    // The page's title says more than its first tag.
    assert!(message.contains("502 Bad Gateway"), "{message}");
    assert!(!message.contains('<'), "{message}");
    assert!(hint.unwrap().contains("proxy"));
}

#[test]
fn too_many_requests() {
    let (_, hint) = fault_case(Fault::TooMany429, EXIT_API, &["HTTP 429"]);
    assert!(hint.unwrap().contains("wait"));
}

#[test]
fn truncated_json() {
    let (_, hint) = fault_case(Fault::TruncatedJson, EXIT_API, &["cut off"]);
    assert!(hint.unwrap().contains("may exist"));
}

#[test]
fn connection_reset_mid_body() {
    let (_, hint) = fault_case(
        Fault::ResetMidBody,
        EXIT_NETWORK,
        &["127.0.0.1", "before the whole answer"],
    );
    assert!(hint.unwrap().contains("may exist"));
}

#[test]
fn body_over_one_mib() {
    let (_, hint) = fault_case(Fault::Huge, EXIT_API, &["1 MiB"]);
    assert!(hint.unwrap().contains("base_url"));
}

#[test]
fn success_without_url() {
    let (_, hint) = fault_case(Fault::MissingUrl, EXIT_API, &["no session URL"]);
    assert!(hint.unwrap().contains("may exist"));
}

#[test]
fn url_with_escape_sequences() {
    let (message, hint) = fault_case(Fault::UrlWithEscape, EXIT_API, &["escape"]);
    // Shown inert: the printable rest of the sequence is visible, the ESC and BEL are not.
    assert!(message.contains("]52;c;"), "{message}");
    assert!(hint.unwrap().contains("Do not open"));
}

#[test]
fn url_that_is_not_http() {
    fault_case(
        Fault::NonHttpUrl,
        EXIT_API,
        &["not an http(s) link", "javascript:"],
    );
}

#[test]
fn an_id_that_is_no_uuid_is_never_stored_as_one() {
    fault_case(Fault::FormulaId, EXIT_API, &["not a session id"]);
}

#[test]
fn a_status_or_host_out_of_shape_is_dropped_and_the_link_kept() {
    let env = Env::new();
    env.sandbox.set_fault(Some(Fault::OddFields));
    let (code, out, err) = env.generate();
    assert_eq!(code, 0, "the link itself was good: {err}");
    assert!(out.starts_with(env.sandbox.base_url()), "{out}");
    let rows = env.history_rows();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["status"], "created", "{rows:?}");
    assert_eq!(rows[0]["host"], "", "{rows:?}");
    let (code, csv, err) = env.run(&["history", "--csv", "-n", "0"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        !csv.contains("calc") && !csv.contains("javascript"),
        "{csv}"
    );
}

#[test]
fn a_url_of_900_kb_is_not_stored_copied_or_printed() {
    let (message, _) = fault_case(Fault::HugeUrl, EXIT_API, &["more than a session link"]);
    assert!(message.len() < 1000, "{message}");
}

#[test]
fn body_that_is_not_utf8() {
    let (_, hint) = fault_case(Fault::NonUtf8, EXIT_API, &["not UTF-8"]);
    assert!(hint.unwrap().contains("may exist"));
}

#[test]
fn auth_failures_each_say_what_to_fix() {
    let env = Env::new();
    let wrong_key = "0badc0de-1111-4222-8333-444455556666";
    let wrong_secret = "not-the-sandbox-secret-4f2a";

    // 1803: a well-formed key Veriff does not know.
    let got = env.run_with(
        &["generate", "--first-name", "John"],
        &[("VERIFF_API_KEY", wrong_key)],
    );
    let (_, hint) = assert_clean_failure(&got, EXIT_API, &["401", "1803", "api_key"]);
    assert!(hint.is_some());
    assert!(!got.2.contains(wrong_key), "{}", got.2);

    // 1819: the body signed with another secret.
    let got = env.run_with(
        &["generate", "--first-name", "John"],
        &[("VERIFF_SHARED_SECRET", wrong_secret)],
    );
    assert_clean_failure(&got, EXIT_API, &["1819", "shared_secret"]);
    assert!(!got.2.contains(wrong_secret), "{}", got.2);

    // 1802 is caught before sending: a key that is not a UUID never leaves the machine.
    let got = env.run_with(
        &["generate", "--first-name", "John"],
        &[("VERIFF_API_KEY", "not-a-uuid-key-9876")],
    );
    assert_clean_failure(&got, EXIT_USAGE, &["VERIFF_API_KEY", "not a UUID"]);
    assert!(!got.2.contains("not-a-uuid-key"), "{}", got.2);

    // No key at all.
    let got = env.run_with(
        &["generate", "--first-name", "John"],
        &[("VERIFF_API_KEY", "")],
    );
    assert_clean_failure(&got, EXIT_USAGE, &["VERIFF_API_KEY"]);

    // A profile in the file with no api_key.
    let cfg = env.dir.path().join("nokey.toml");
    std::fs::write(
        &cfg,
        format!(
            "[profiles.test]\nbase_url = \"{}\"\n",
            env.sandbox.base_url()
        ),
    )
    .unwrap();
    let got = env.run_with(
        &["generate", "--first-name", "John"],
        &[
            ("VERIFF_API_KEY", ""),
            ("VERIFF_BASE_URL", ""),
            ("VERIFF_SHARED_SECRET", ""),
            ("VERIFF_TUI_CONFIG", cfg.to_str().unwrap()),
        ],
    );
    assert_clean_failure(&got, EXIT_USAGE, &["no api_key", "nokey.toml"]);

    assert_eq!(env.sandbox.session_count(), 0);
    assert_eq!(env.history_rows().len(), 0);
    env.assert_recovers(0);
}

// ---------------------------------------------------------------------------------------
// A history file that cannot be used.

/// The files of the data dir, but the log (which every command may write).
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "veriff-tui.log")
        .collect();
    names.sort();
    names
}

/// Another application's SQLite database: valid, but not ours.
fn foreign_sqlite(path: &Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep me');")
        .unwrap();
}

/// `ours`: the file is veriff-tui's, damaged: moving it aside also starts a new history
/// with whatever could still be read from it (nothing, here).
fn unusable_history_case(ours: bool, make: impl Fn(&Path)) {
    let env = Env::new();
    std::fs::create_dir_all(env.data_dir()).unwrap();
    let db = env.history_db();
    make(&db);
    let original = std::fs::read(&db).unwrap();
    let files = files_in(&env.data_dir());
    let shown = db.display().to_string();

    let got = env.run(&["history"]);
    let (_, hint) = assert_clean_failure(&got, EXIT_LOCAL, &[&shown, "left untouched"]);
    assert!(
        hint.is_some_and(|h| h.contains("veriff-tui history --move-aside")),
        "{}",
        got.2
    );

    // Nothing is sent while the link could not be kept.
    let got = env.generate();
    let (message, hint) = assert_clean_failure(&got, EXIT_LOCAL, &[&shown, "nothing was sent"]);
    assert!(message.starts_with("nothing was sent"), "{message}");
    let hint = hint.unwrap_or_default();
    assert!(
        hint.contains("--move-aside") && hint.contains("--no-history"),
        "{hint}"
    );
    assert_eq!(env.sandbox.session_count(), 0);
    // Asked for, a link that is not kept; --json keeps its shape.
    let (code, out, err) = env.run(&["generate", "--first-name", "Ann", "--json", "--no-history"]);
    assert_eq!(code, 0, "{err}");
    let row: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(row["first_name"], "Ann");
    assert!(
        row["url"]
            .as_str()
            .unwrap()
            .starts_with(env.sandbox.base_url())
    );
    assert_eq!(row["status"], "created");
    assert_eq!(env.sandbox.session_count(), 1);
    let (code, _, err) = env.run(&["decision", "--pending"]);
    assert_eq!(code, EXIT_LOCAL, "{err}");
    assert!(
        err.contains(&shown) && err.contains("--move-aside"),
        "{err}"
    );

    assert_eq!(
        std::fs::read(&db).unwrap(),
        original,
        "the file was changed"
    );
    assert_eq!(
        files_in(&env.data_dir()),
        files,
        "files appeared or vanished"
    );

    // The way to continue: move it aside (kept, byte for byte), then start afresh.
    let (code, out, err) = env.run(&["history", "--move-aside"]);
    assert_eq!(code, 0, "{err}");
    let moved = env
        .data_dir()
        .read_dir()
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains(".unusable-"))
        .expect("the file kept under a new name");
    assert!(out.contains(&moved.display().to_string()), "{out}");
    assert_eq!(std::fs::read(&moved).unwrap(), original);
    if ours {
        assert!(out.contains("recovered 0 records"), "{out}");
        assert_eq!(env.history_rows().len(), 0);
    } else {
        assert!(!out.contains("recovered"), "{out}");
        assert!(!db.exists());
    }
    env.assert_recovers(0);

    // Nothing more to move now: the history is usable and stays put.
    let (code, out, err) = env.run(&["history", "--move-aside"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("nothing"), "{out}");
    assert_eq!(env.history_rows().len(), 1);
}

#[test]
fn history_file_of_garbage() {
    unusable_history_case(false, |p| {
        std::fs::write(p, b"not a database\n\x00\xff garbage").unwrap()
    });
}

#[test]
fn history_file_corrupt_after_the_header() {
    unusable_history_case(false, |p| {
        let mut bytes = b"SQLite format 3\0".to_vec();
        bytes.extend(std::iter::repeat_n(0xA5u8, 4096));
        std::fs::write(p, bytes).unwrap()
    });
}

#[test]
fn history_path_holds_another_apps_database() {
    unusable_history_case(false, foreign_sqlite);
}

#[test]
fn history_file_of_ours_damaged_inside() {
    unusable_history_case(true, |p| {
        drop(veriff_tui::history::Store::open(p).unwrap());
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
        }
        // Keep the header (ours, by its application id); wreck every page after it.
        let mut bytes = std::fs::read(p).unwrap();
        assert!(bytes.len() > 200);
        bytes[100..].iter_mut().for_each(|b| *b = 0xA5);
        std::fs::write(p, bytes).unwrap();
    });
}

/// Another process holding the write lock for long: generate waits, then sends nothing and
/// says why; the file keeps everything it had.
#[test]
fn history_locked_for_long() {
    let env = Env::new();
    assert_eq!(env.generate().0, 0);
    let conn = rusqlite::Connection::open(env.history_db()).unwrap();
    conn.execute_batch("BEGIN EXCLUSIVE; UPDATE sessions SET first_name = first_name;")
        .unwrap();

    // generate waits for the lock, then sends nothing: the link could not be kept.
    let got = env.generate();
    let (message, hint) = assert_clean_failure(&got, EXIT_LOCAL, &["locked by another process"]);
    assert!(message.starts_with("nothing was sent"), "{message}");
    assert!(
        message.contains(&env.history_db().display().to_string()),
        "{message}"
    );
    assert!(hint.unwrap_or_default().contains("--no-history"));
    assert_eq!(
        env.sandbox.session_count(),
        1,
        "only the first run's session"
    );
    // A locked file is not unusable: it is not moved aside.
    let (code, _, err) = env.run(&["history", "--move-aside"]);
    assert_eq!(code, 0, "{err}");
    assert!(env.history_db().exists());

    conn.execute_batch("ROLLBACK;").unwrap();
    assert_eq!(env.history_rows().len(), 1);
    env.assert_recovers(1);
}

/// Two moves within one second keep both files: nothing moved aside is ever overwritten.
#[test]
fn moving_aside_twice_keeps_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.sqlite3");
    std::fs::write(&db, b"first").unwrap();
    std::fs::write(format!("{}-wal", db.display()), b"first wal").unwrap();
    let a = veriff_tui::history::move_aside(&db).unwrap();
    std::fs::write(&db, b"second").unwrap();
    let b = veriff_tui::history::move_aside(&db).unwrap();
    assert_ne!(a, b);
    assert_eq!(std::fs::read(&a).unwrap(), b"first");
    assert_eq!(
        std::fs::read(format!("{}-wal", a.display())).unwrap(),
        b"first wal"
    );
    assert_eq!(std::fs::read(&b).unwrap(), b"second");
    assert!(!db.exists());
}

#[test]
fn move_aside_with_no_history_file_says_so() {
    let env = Env::new();
    let (code, out, err) = env.run(&["history", "--move-aside"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("nothing"), "{out}");
}

// ---------------------------------------------------------------------------------------
// SIGKILL in the middle of work.

fn wait_for(what: &str, cond: impl Fn() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn spawn(env: &Env, args: &[&str]) -> std::process::Child {
    command(env, args, &[])
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

/// Like [`spawn`], with stdout captured and `extra` variables.
fn spawn_piped(env: &Env, args: &[&str], extra: &[(&str, &str)]) -> std::process::Child {
    command(env, args, extra)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The binary with the env's variables and `extra`, its stdin and stderr closed.
fn command(env: &Env, args: &[&str], extra: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", env.dir.path())
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env.vars() {
        cmd.env(k, v);
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd
}

fn assert_integrity(db: &Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
}

/// How a killed `generate` ended, as its stdout and the history tell.
#[derive(Debug, Default)]
struct Tally {
    /// Printed and stored.
    complete: usize,
    /// Printed, killed before the record was completed: kept as "outcome unknown".
    printed_only: usize,
    /// Sent, killed before an answer: kept as "outcome unknown", nothing printed.
    unknown: usize,
    /// Killed before the request left.
    not_sent: usize,
}

#[test]
fn killed_at_random_moments_generate_never_loses_a_created_session() {
    let env = Env::new();
    // One run measures the span the kills are spread over.
    let start = Instant::now();
    assert_eq!(env.generate().0, 0);
    let span = start.elapsed();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("kill moments from seed {seed}");
    let mut rng = seed;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    // Half the runs hold 300 ms between printing the URL and completing the record, so
    // kills land in that window too (it is microseconds otherwise).
    const PAUSE_MS: u64 = 300;
    let mut printed = Vec::new();
    for round in 0..60u64 {
        let name = format!("Kill{round}");
        let pause = round % 2 == 1;
        let window = span.as_micros() as u64 * 3 / 2 + if pause { PAUSE_MS * 1000 } else { 0 };
        let mut child = spawn_piped(
            &env,
            &["generate", "--first-name", &name],
            if pause {
                &[(PAUSE_ENV, "300")][..]
            } else {
                &[]
            },
        );
        // The kill moment is the point of the test: a random instant of the run.
        std::thread::sleep(Duration::from_micros(next() % window.max(1)));
        let _ = child.kill(); // SIGKILL (an error: it had finished already)
        let out = child.wait_with_output().unwrap();
        printed.push((name, String::from_utf8_lossy(&out.stdout).to_string()));
    }

    assert_integrity(&env.history_db());
    let rows = env.history_rows();
    let mut tally = Tally::default();
    for (id, token, first_name) in env.sandbox.sessions() {
        let Some(name) = first_name.filter(|n| n.starts_with("Kill")) else {
            continue;
        };
        let shown = printed
            .iter()
            .any(|(n, out)| *n == name && out.contains(&token));
        let stored = rows.iter().any(|r| r["session_id"] == id.as_str());
        let unknown = rows
            .iter()
            .any(|r| r["first_name"] == name.as_str() && r["status"] == "unknown");
        assert!(
            shown || stored || unknown,
            "session {id} of {name} was created, yet neither printed nor in the history (seed {seed})"
        );
        match (shown, stored) {
            (true, true) => tally.complete += 1,
            (true, false) => tally.printed_only += 1,
            (false, _) => tally.unknown += 1,
        }
    }
    // A record is never left claiming a session that was never created, and every run
    // that reached the server is accounted for.
    for r in &rows {
        if r["status"] != "unknown" {
            let id = r["session_id"].as_str().unwrap();
            assert!(
                env.sandbox.session_status(id).is_some(),
                "{id} stored but unknown to the server"
            );
        }
    }
    tally.not_sent = 60 - (tally.complete + tally.printed_only + tally.unknown);
    eprintln!("{tally:?}");
    assert!(
        tally.printed_only >= 1,
        "no kill landed between the URL and the record: the test did not reach that window ({tally:?})"
    );
    env.assert_recovers(rows.len());
}

#[test]
fn sigkill_while_recording_decisions_keeps_the_database_sound() {
    let env = Env::new();
    for _ in 0..4 {
        assert_eq!(env.generate().0, 0);
    }
    // The store is open and being written while decisions come in one by one.
    let ids: Vec<String> = env
        .history_rows()
        .iter()
        .map(|r| r["session_id"].as_str().unwrap().to_string())
        .collect();
    for id in &ids[..2] {
        assert!(
            env.sandbox
                .decide(id, veriff_tui::sandbox::Outcome::Approved)
        );
    }
    env.sandbox
        .set_decision_delay(Some(Duration::from_secs(10)));
    env.sandbox.reset_counters();
    let mut child = spawn(&env, &["decision", "--pending"]);
    wait_for("decision requests in flight", || {
        env.sandbox.decision_requests() >= 2
    });
    child.kill().unwrap();
    child.wait().unwrap();
    env.sandbox.set_decision_delay(None);

    assert_integrity(&env.history_db());
    assert_eq!(env.history_rows().len(), 4);
    let (code, _, err) = env.run(&["decision", "--pending"]);
    assert_eq!(code, 0, "{err}");
    let approved = env
        .history_rows()
        .iter()
        .filter(|r| r["status"] == "approved")
        .count();
    assert_eq!(approved, 2);
    env.assert_recovers(4);
}
