//! `generate --batch`: the real binary against the sandbox over loopback. Invalid rows and
//! unknown columns stop a run before anything is sent; a server answering 429 and 500 still
//! ends with one session per row; a run killed in the middle and run again makes exactly
//! one session per valid row; two runs of one batch at once send each row once; the output
//! opened as CSV holds no formula. The tests of the history's part run on both stores: the
//! file in the data dir, and the shared history on the test PostgreSQL server.

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{BIN, SandboxEnv};
use veriff_tui::ops::generate::PAUSE_AFTER_URL_ENV;
use veriff_tui::sandbox::{Fault, Flaky};

const DEADLINE: Duration = Duration::from_secs(60);

/// Runs each named test (a fn taking the `&SandboxEnv` to run in) on both histories:
/// `NAME::sqlite`, the file in the data dir; `NAME::postgres`, a database of its own on the
/// test server (`support::pg`), where the run must not have made a local file at all.
macro_rules! on_both_histories {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name(&crate::support::SandboxEnv::new())
            }
            #[test]
            fn postgres() {
                let db = crate::support::pg::Database::new();
                let env = crate::support::SandboxEnv::new().on_shared_history(db.url());
                super::$name(&env);
                assert!(!env.history_db().exists(), "a local history was made");
            }
        }
    )*};
}

on_both_histories!(
    invalid_rows_are_listed_by_line_and_nothing_is_sent_unless_skipped,
    a_server_answering_429_and_500_ends_with_one_session_per_row,
    a_run_killed_in_the_middle_and_run_again_makes_one_session_per_valid_row,
    two_runs_of_one_batch_at_once_send_each_row_once,
);

fn wait_for(what: &str, cond: impl Fn() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// `n` people, each with a first name of its own (`Person001`…).
fn people(n: usize) -> String {
    let mut text = String::from("first_name,last_name,email\n");
    for i in 1..=n {
        text.push_str(&format!("Person{i:03},Tamm,p{i}@example.com\n"));
    }
    text
}

fn write(env: &SandboxEnv, name: &str, text: &str) -> String {
    let path = env.path(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// The output CSV's rows as maps from column name to cell.
fn read_csv(text: &str, delimiter: u8) -> Vec<HashMap<String, String>> {
    let mut r = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(String::from))
                .collect()
        })
        .collect()
}

/// First names of the sandbox's sessions, each with how many sessions it has.
fn sessions_by_name(env: &SandboxEnv) -> HashMap<String, usize> {
    let mut by = HashMap::new();
    for (_, _, name) in env.sandbox.sessions() {
        *by.entry(name.unwrap_or_default()).or_insert(0) += 1;
    }
    by
}

fn history_of(env: &SandboxEnv, batch: &str) -> Vec<serde_json::Value> {
    let (code, out, err) = env.run(&["history", "--batch", batch, "-n", "0", "--json"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str::<Vec<serde_json::Value>>(&out).unwrap()
}

fn invalid_rows_are_listed_by_line_and_nothing_is_sent_unless_skipped(env: &SandboxEnv) {
    let file = write(
        env,
        "people.csv",
        "first_name,last_name,email,date_of_birth\n\
         Anna,Tamm,anna@example.com,1980-01-08\n\
         Jaan,Kask,not-an-address,\n\
         \n\
         Mari,Mets,,1990-02-30\n\
         Anna,Tamm,anna@example.com,1980-01-08\n\
         Toomas,Saar,,\n",
    );
    let (code, out, err) = env.run(&["generate", "--batch", &file]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(out, "");
    assert!(
        err.contains("line 3: email must be an email address"),
        "{err}"
    );
    assert!(
        err.contains("line 5: date_of_birth must be a real date"),
        "{err}"
    );
    assert!(err.contains("line 6: the same values as line 2"), "{err}");
    assert!(err.contains("3 of 5 rows are invalid"), "{err}");
    assert!(err.contains("--skip-invalid"), "{err}");
    assert_eq!(env.sandbox.create_requests(), 0, "a request left");

    let (code, out, err) = env.run(&["generate", "--batch", &file, "--skip-invalid"]);
    assert_eq!(code, 0, "{err}");
    let rows = read_csv(&out, b',');
    let statuses: Vec<&str> = rows.iter().map(|r| r["status"].as_str()).collect();
    assert_eq!(
        statuses,
        ["created", "invalid", "invalid", "invalid", "created"]
    );
    assert!(rows[1]["error"].contains("email"), "{:?}", rows[1]);
    assert_eq!(env.sandbox.session_count(), 2);
    for r in rows.iter().filter(|r| r["status"] == "created") {
        assert_eq!(
            env.sandbox.session_status(&r["session_id"]),
            Some("created"),
            "{r:?}"
        );
    }
    let kept = history_of(env, "people.csv");
    assert_eq!(kept.len(), 2, "{kept:?}");
    let mut names: Vec<&str> = kept
        .iter()
        .map(|r| r["first_name"].as_str().unwrap_or_default())
        .collect();
    names.sort();
    assert_eq!(names, ["Anna", "Toomas"], "{kept:?}");
    // A name the history has no batch of: said, with the ones it has.
    let (code, _, err) = env.run(&["history", "--batch", "nobody.csv"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no batch is named \"nobody.csv\""), "{err}");
    assert!(
        err.contains("Batches in this history, newest first: people.csv"),
        "{err}"
    );
}

#[test]
fn an_unknown_column_is_named_and_nothing_is_sent() {
    let env = SandboxEnv::new();
    let file = write(
        &env,
        "people.csv",
        "first_name,Last Name,shoe_size,e-mail\nAnna,Tamm,38,anna@example.com\n",
    );
    let (code, _, err) = env.run(&["generate", "--batch", &file, "--skip-invalid"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unknown column \"shoe_size\""), "{err}");
    assert!(err.contains("nothing was sent"), "{err}");
    assert_eq!(env.sandbox.create_requests(), 0);
    // Nothing was recorded either: the history was not even opened for the batch.
    let (code, out, _) = env.run(&["history", "--json"]);
    assert_eq!(code, 0);
    assert_eq!(out.trim(), "[]");
}

#[test]
fn a_bom_and_semicolons_are_read_and_kept_and_no_output_cell_is_a_formula() {
    let env = SandboxEnv::new();
    let file = write(
        &env,
        "klienten.csv",
        "\u{feff}First Name;LAST-NAME;Vendor Data;address\n\
         =SUM(A1);Tamm;+372 555;\"Narva mnt 5; Tallinn\"\n\
         @Anna;-Kask;-1;\n",
    );
    let out_path = env.path("links.csv");
    let out_arg = out_path.display().to_string();
    let (code, stdout, err) = env.run(&["generate", "--batch", &file, "--out", &out_arg]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(stdout, "", "--out takes the rows");
    let bytes = std::fs::read(&out_path).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "the BOM is kept");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    assert!(
        text.starts_with("First Name;LAST-NAME;Vendor Data;address;session_id;url;status;error"),
        "{text}"
    );
    let rows = read_csv(text, b';');
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert_eq!(row["status"], "created", "{row:?}");
        for cell in row.values() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a formula cell: {cell:?} in {row:?}"
            );
        }
    }
    assert_eq!(rows[0]["First Name"], "'=SUM(A1)");
    assert_eq!(rows[0]["address"], "Narva mnt 5; Tallinn");
    // What was sent is the value itself, not the defused cell.
    let names = sessions_by_name(&env);
    assert_eq!(names.get("=SUM(A1)"), Some(&1), "{names:?}");
    assert_eq!(names.get("@Anna"), Some(&1), "{names:?}");
}

fn a_server_answering_429_and_500_ends_with_one_session_per_row(env: &SandboxEnv) {
    // Every 12th request 429, every 11th 500: both come within the 12 rows' first
    // requests, and a row refused on all its 6 tries stays out of reach (about 1 run in
    // 4,000). Every 4th and 3rd refused half the requests, and with 4 in flight a row ran
    // out of tries now and then.
    let flaky = Flaky::new(12, 11, 1);
    env.sandbox.set_fault(Some(Fault::Flaky(flaky.clone())));
    let file = write(env, "people.csv", &people(12));
    let started = Instant::now();
    let (code, out, err) = env.run(&["generate", "--batch", &file, "--jobs", "4", "--json"]);
    let took = started.elapsed();
    assert_eq!(code, 0, "{err}");
    let (too_many, failed) = flaky.refused();
    assert!(
        too_many >= 1 && failed >= 1,
        "429s {too_many}, 500s {failed}"
    );
    // Retry-After: 1 was honoured: the run waited at least that long.
    assert!(took >= Duration::from_secs(1), "{took:?}");
    assert!(err.contains("retries after 429/5xx"), "{err}");

    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 12, "one object per row: {out}");
    assert!(lines.iter().all(|l| l["status"] == "created"), "{out}");
    let names = sessions_by_name(env);
    assert_eq!(names.len(), 12, "{names:?}");
    assert!(names.values().all(|n| *n == 1), "{names:?}");
    // The history holds the 12 sessions of the batch and no record of the failed tries.
    let kept = history_of(env, "people.csv");
    assert_eq!(kept.len(), 12);
    assert!(kept.iter().all(|r| r["status"] == "created"), "{kept:?}");
    let (_, all, _) = env.run(&["history", "-n", "0", "--json"]);
    let all: Vec<serde_json::Value> = serde_json::from_str(&all).unwrap();
    assert_eq!(all.len(), 12, "{all:?}");
}

fn a_run_killed_in_the_middle_and_run_again_makes_one_session_per_valid_row(env: &SandboxEnv) {
    let file = write(env, "people.csv", &people(8));
    // One request at a time, each pausing after its link is handed over: the kill lands
    // between a session's creation and its record, the hardest place.
    let mut child = Command::new(BIN);
    child
        .args(["generate", "--batch", &file, "--jobs", "1", "--json"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", env.dir.path())
        .env(PAUSE_AFTER_URL_ENV, "1500")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in env.vars() {
        child.env(k, v);
    }
    let mut child = child.spawn().unwrap();
    wait_for("3 sessions", || env.sandbox.session_count() >= 3);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let made = env.sandbox.session_count();
    assert!((3..8).contains(&made), "{made}");

    let (code, out, err) = env.run(&["generate", "--batch", &file]);
    let rows = read_csv(&out, b',');
    let count = |s: &str| rows.iter().filter(|r| r["status"] == s).count();
    // The row whose record was not completed is reported, not sent again.
    assert_eq!(count("unknown"), 1, "{out}\n{err}");
    assert_eq!(count("existing"), made - 1, "{out}");
    assert_eq!(count("created"), 8 - made, "{out}");
    assert!(
        err.contains(&format!(
            "{} skipped: they have a session from an earlier run",
            made - 1
        )),
        "{err}"
    );
    assert!(err.contains("outcome unknown"), "{err}");
    assert_eq!(code, 4, "only an unknown outcome is left: {err}");

    let names = sessions_by_name(env);
    assert_eq!(env.sandbox.session_count(), 8, "{names:?}");
    assert!(names.values().all(|n| *n == 1), "{names:?}");

    // A third run sends nothing.
    let before = env.sandbox.create_requests();
    let (_, _, err) = env.run(&["generate", "--batch", &file]);
    assert_eq!(env.sandbox.create_requests(), before, "{err}");
}

/// Two operators (or two terminals) start the same batch at the same moment: every row
/// gets one session, made by one of the runs; the other reports it as `existing` or `busy`.
fn two_runs_of_one_batch_at_once_send_each_row_once(env: &SandboxEnv) {
    let file = write(env, "people.csv", &people(10));
    // Each request pauses after its link is handed over, so the runs overlap and meet on
    // rows that the other has on its way.
    let spawn = || {
        let mut child = Command::new(BIN);
        child
            .args(["generate", "--batch", &file, "--jobs", "3", "--json"])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", env.dir.path())
            .env(PAUSE_AFTER_URL_ENV, "200")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env.vars() {
            child.env(k, v);
        }
        child.spawn().unwrap()
    };
    let runs = [spawn(), spawn()];
    let mut created_by_line: HashMap<u64, usize> = HashMap::new();
    for run in runs {
        let out = run.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        // 0, or 3 when a row was being sent by the other run.
        assert!(
            matches!(out.status.code(), Some(0 | 3)),
            "{:?}: {stderr}",
            out.status
        );
        for line in stdout.lines() {
            let row: serde_json::Value = serde_json::from_str(line).unwrap();
            let status = row["status"].as_str().unwrap_or_default();
            assert!(
                ["created", "existing", "busy"].contains(&status),
                "{row}\n{stderr}"
            );
            if status == "created" {
                *created_by_line
                    .entry(row["line"].as_u64().unwrap_or_default())
                    .or_default() += 1;
            }
        }
    }
    assert_eq!(created_by_line.len(), 10, "{created_by_line:?}");
    assert!(
        created_by_line.values().all(|n| *n == 1),
        "{created_by_line:?}"
    );
    let names = sessions_by_name(env);
    assert_eq!(names.len(), 10, "{names:?}");
    assert!(names.values().all(|n| *n == 1), "{names:?}");
    assert_eq!(history_of(env, "people.csv").len(), 10);
}

#[test]
fn ctrl_c_stops_sending_waits_for_the_request_in_flight_and_says_how_to_go_on() {
    let env = SandboxEnv::new();
    let file = write(&env, "people.csv", &people(6));
    let mut child = Command::new(BIN);
    child
        .args(["generate", "--batch", &file, "--jobs", "1", "--json"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", env.dir.path())
        .env(PAUSE_AFTER_URL_ENV, "1500")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env.vars() {
        child.env(k, v);
    }
    let child = child.spawn().unwrap();
    wait_for("2 sessions", || env.sandbox.session_count() >= 2);
    let pid = child.id() as i32;
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("Stopped"), "{err}");
    assert!(
        err.contains(&format!(
            "veriff-tui generate --batch {file} --jobs 1 --json"
        )),
        "{err}"
    );
    // The request in flight was waited for: its record is complete, not unknown.
    assert_eq!(env.sandbox.session_count(), 2);
    let kept = history_of(&env, "people.csv");
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert!(kept.iter().all(|r| r["status"] == "created"), "{kept:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let not_sent = stdout
        .lines()
        .filter(|l| l.contains("\"not_sent\""))
        .count();
    assert_eq!(not_sent, 4, "{stdout}");
}

/// The TUI's Batch dialog, driven through `update` as the terminal would (no terminal): the
/// path typed, the rows checked by the same `ops::batch::plan` the runtime runs, the
/// problems on screen before the question, and the list filtered to the batch.
mod tui {
    use std::sync::Arc;

    use crate::support::tui_state::*;
    use ratatui::crossterm::event::KeyCode;
    use veriff_tui::keymap::Context;
    use veriff_tui::ops::batch::Summary;
    use veriff_tui::tui::app::{Effect, Screen, context, update};
    use veriff_tui::tui::list::Load;
    use veriff_tui::tui::message::Msg;

    #[test]
    fn b_checks_the_file_shows_its_problems_then_sends_and_filters_the_list() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("people.csv");
        std::fs::write(
            &path,
            "first_name,last_name,email\nAnna,Tamm,anna@example.com\nJaan,Kask,nope\nMari,Mets,\n",
        )
        .unwrap();
        let mut s = state(100, 30);
        update(&mut s, alt('2'));
        assert_eq!(s.screen, Screen::Tokens);
        update(&mut s, key(KeyCode::Char('b')));
        assert_eq!(context(&s), Context::BatchPath);
        assert!(screen_text(&render(&s)).contains("Batch"));
        // Typing: `q` is text here, not quit.
        type_text(&mut s, &path.display().to_string());
        assert!(!s.quit);
        let effects = update(&mut s, key(KeyCode::Enter));
        let (seq, checked_path, settings) = match effects.as_slice() {
            [
                Effect::BatchCheck {
                    seq,
                    path,
                    settings,
                },
            ] => (*seq, path.clone(), settings.clone()),
            other => panic!("{other:?}"),
        };
        assert_eq!(checked_path, path);
        let plan = veriff_tui::ops::batch::plan(&settings, &checked_path, None)
            .map(Arc::new)
            .map_err(|e| e.to_string());
        update(&mut s, Msg::BatchChecked { seq, result: plan });
        assert_eq!(context(&s), Context::Confirm);
        let screen = screen_text(&render(&s));
        assert!(screen.contains("3 rows, 2 valid, 1 invalid"), "{screen}");
        assert!(
            screen.contains("line 3: email must be an email address"),
            "{screen}"
        );
        assert!(screen.contains("send the 2 valid rows"), "{screen}");

        let effects = update(&mut s, key(KeyCode::Char('y')));
        let run = effects
            .iter()
            .find_map(|e| match e {
                Effect::BatchRun { run, plan } => {
                    assert_eq!(plan.valid(), 2);
                    Some(*run)
                }
                _ => None,
            })
            .expect("the batch is sent");
        assert!(
            effects.iter().any(|e| matches!(
                e,
                Effect::List(Load::Page { query, .. }) if query.batch.as_deref() == Some("people.csv")
            )),
            "the list asks for the batch's records: {effects:?}"
        );
        assert!(screen_text(&render(&s)).contains("batch people.csv"));
        // Esc stops sending while it runs.
        let effects = update(&mut s, key(KeyCode::Esc));
        assert!(
            effects
                .iter()
                .any(|e| matches!(e, Effect::Stop { run: r } if *r == run)),
            "{effects:?}"
        );
        update(
            &mut s,
            Msg::BatchDone {
                run,
                result: Ok(Summary {
                    created: 2,
                    invalid: 1,
                    ..Summary::default()
                }),
            },
        );
        let status = s.status.clone().map(|st| st.text).unwrap_or_default();
        assert!(status.contains("people.csv: 2 created"), "{status}");
        // Esc then shows every record again.
        update(&mut s, key(KeyCode::Esc));
        assert_eq!(s.tokens.batch, None);
    }

    #[test]
    fn a_file_that_cannot_be_used_is_said_in_the_dialog_and_nothing_is_sent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("odd.csv");
        std::fs::write(&path, "first_name,shoe_size\nAnna,38\n").unwrap();
        let mut s = state(100, 30);
        update(&mut s, alt('2'));
        update(&mut s, key(KeyCode::Char('b')));
        type_text(&mut s, &path.display().to_string());
        let effects = update(&mut s, key(KeyCode::Enter));
        let Some(Effect::BatchCheck { seq, settings, .. }) = effects.first() else {
            panic!("{effects:?}");
        };
        let result = veriff_tui::ops::batch::plan(settings, &path, None)
            .map(Arc::new)
            .map_err(|e| e.to_string());
        update(&mut s, Msg::BatchChecked { seq: *seq, result });
        assert_eq!(context(&s), Context::BatchPath, "back to the path");
        let screen = screen_text(&render(&s));
        assert!(screen.contains("shoe_size"), "{screen}");
        let effects = update(&mut s, key(KeyCode::Esc));
        assert!(effects.is_empty());
        assert!(s.batch.is_none());
    }
}

/// The history's side of "never twice": a row's identity is refused while its request is on
/// its way, once it has a session, and while its outcome is unknown (unless asked); the
/// record it becomes is the batch's, whichever way the intent ends.
mod store {
    use chrono::Utc;
    use veriff_tui::history::{BatchTag, NewIntent, NewRecord, Query, Record, RowState, Store};
    use veriff_tui::veriff::{CreatedSession, SessionInput};

    crate::history::on_both_stores!(
        a_row_is_sent_once_and_its_record_is_the_batchs,
        runs_racing_for_one_row_send_it_once,
        the_batch_filter_lists_its_records_beside_the_words_searched,
    );

    fn input() -> SessionInput {
        named("Anna")
    }

    fn named(first_name: &str) -> SessionInput {
        SessionInput {
            first_name: first_name.into(),
            last_name: "Tamm".into(),
            lang: "en".into(),
            selfid: true,
            callback: String::new(),
            vendor_data: String::new(),
            extra: Default::default(),
        }
    }

    fn intent(input: &SessionInput) -> NewIntent<'_> {
        NewIntent {
            profile: "test",
            base_url: "https://example.com",
            sandbox: false,
            input,
        }
    }

    fn session() -> CreatedSession {
        let id = uuid::Uuid::new_v4().to_string();
        CreatedSession {
            url: format!("https://alchemy.veriff.com/v/{id}"),
            id,
            host: None,
            session_token: None,
            vendor_data: None,
            status: Some("created".into()),
            created_at: Utc::now(),
            expires_at: Utc::now() + chrono::Duration::days(7),
        }
    }

    fn batch_query() -> Query {
        Query {
            batch: Some("people.csv".into()),
            ..Query::default()
        }
    }

    fn a_row_is_sent_once_and_its_record_is_the_batchs(store: &Store) {
        let batch_id = store.batch_id("people.csv", true).unwrap().unwrap();
        assert_eq!(store.batch_id("people.csv", true).unwrap(), Some(batch_id));
        assert_eq!(store.batch_id("other.csv", false).unwrap(), None);
        let mut tag = BatchTag {
            batch_id,
            row_key: "k1".into(),
            line: 2,
            resend_unknown: false,
        };
        let input = input();
        let first = store
            .record_batch_intent(&intent(&input), &tag, Utc::now())
            .unwrap();
        // On its way: a second run is refused.
        let err = store
            .record_batch_intent(&intent(&input), &tag, Utc::now())
            .unwrap_err();
        assert!(
            err.to_string().contains("being sent by another run"),
            "{err}"
        );
        let states = store.batch_states(batch_id, &["k1".into()]).unwrap();
        assert_eq!(states.get("k1"), Some(&RowState::InFlight));

        // The answer: the record is the batch's, and the row is done.
        let s = session();
        let record = store
            .complete_intent(
                first,
                &NewRecord {
                    profile: "test",
                    base_url: "https://example.com",
                    sandbox: false,
                    input: &input,
                    session: &s,
                },
            )
            .unwrap();
        let listed = store.page(&batch_query()).unwrap();
        assert_eq!(listed.iter().map(|r| r.id).collect::<Vec<_>>(), [record.id]);
        assert_eq!(store.count(&batch_query()).unwrap(), 1);
        let err = store
            .record_batch_intent(&intent(&input), &tag, Utc::now())
            .unwrap_err();
        assert!(err.to_string().contains("already has a session"), "{err}");
        // Deleted by hand, the row still has had its session.
        assert!(store.delete(record.id).unwrap());
        let states = store.batch_states(batch_id, &["k1".into()]).unwrap();
        assert_eq!(states.get("k1"), Some(&RowState::Created(None)));

        // Another row whose request got no answer: unknown, refused unless asked.
        tag.row_key = "k2".into();
        let second = store
            .record_batch_intent(&intent(&input), &tag, Utc::now())
            .unwrap();
        let unknown = store.give_up_intent(second, "timed out").unwrap().unwrap();
        let states = store.batch_states(batch_id, &["k2".into()]).unwrap();
        assert!(
            matches!(states.get("k2"), Some(RowState::Unknown(Some(r))) if r.id == unknown.id),
            "{states:?}"
        );
        assert!(
            store
                .record_batch_intent(&intent(&input), &tag, Utc::now())
                .is_err()
        );
        tag.resend_unknown = true;
        let third = store
            .record_batch_intent(&intent(&input), &tag, Utc::now())
            .unwrap();
        // That one refused by the server: the earlier unknown outcome still stands.
        store.forget_intent(third).unwrap();
        store.batch_row_failed(batch_id, "k2", "HTTP 400").unwrap();
        let states = store.batch_states(batch_id, &["k2".into()]).unwrap();
        assert!(
            matches!(states.get("k2"), Some(RowState::Unknown(Some(_)))),
            "{states:?}"
        );
        // A row never answered with a session: refused, free to be sent, its error kept.
        tag.row_key = "k3".into();
        let fourth = store
            .record_batch_intent(&intent(&input), &tag, Utc::now())
            .unwrap();
        store.forget_intent(fourth).unwrap();
        store.batch_row_failed(batch_id, "k3", "HTTP 400").unwrap();
        let states = store.batch_states(batch_id, &["k3".into()]).unwrap();
        assert_eq!(
            states.get("k3"),
            Some(&RowState::New {
                last_error: Some("HTTP 400".into())
            })
        );
        assert!(
            store
                .record_batch_intent(&intent(&input), &tag, Utc::now())
                .is_ok()
        );
        let summary = store.batches().unwrap();
        assert_eq!(summary.len(), 1);
        assert_eq!(summary[0].name, "people.csv");
    }

    fn tag(batch_id: i64, row_key: &str) -> BatchTag {
        BatchTag {
            batch_id,
            row_key: row_key.into(),
            line: 2,
            resend_unknown: false,
        }
    }

    /// Runs (each its own connection) ask for the same row at the same moment, a row new to
    /// the history and one sent before and refused (there already, free to be sent): one
    /// records its intent, every other is told another run is sending it.
    fn runs_racing_for_one_row_send_it_once(store: &Store) {
        let batch_id = store.batch_id("people.csv", true).unwrap().unwrap();
        let input = input();
        let refused = store
            .record_batch_intent(&intent(&input), &tag(batch_id, "sent-before"), Utc::now())
            .unwrap();
        store.forget_intent(refused).unwrap();
        for key in ["new", "sent-before"] {
            race_for(store, batch_id, key);
        }
    }

    fn race_for(store: &Store, batch_id: i64, key: &str) {
        const RUNS: usize = 4;
        let stores: Vec<Store> = (0..RUNS).map(|_| crate::history::reopen(store)).collect();
        let start = std::sync::Barrier::new(RUNS);
        let results: Vec<Result<i64, String>> = std::thread::scope(|s| {
            let runs: Vec<_> = stores
                .into_iter()
                .map(|run| {
                    let start = &start;
                    s.spawn(move || {
                        let input = input();
                        start.wait();
                        run.record_batch_intent(&intent(&input), &tag(batch_id, key), Utc::now())
                            .map_err(|e| e.to_string())
                    })
                })
                .collect();
            runs.into_iter().map(|r| r.join().unwrap()).collect()
        });
        let sent: Vec<i64> = results.iter().filter_map(|r| r.clone().ok()).collect();
        assert_eq!(sent.len(), 1, "{key}: {results:?}");
        for refused in results.iter().filter_map(|r| r.as_ref().err()) {
            assert!(
                refused.contains("line 2 is being sent by another run of this batch"),
                "{key}: {refused}"
            );
        }
        let states = store.batch_states(batch_id, &[key.into()]).unwrap();
        assert_eq!(states.get(key), Some(&RowState::InFlight), "{key}");
    }

    /// `history --batch NAME`, and `batch:NAME` in the TUI's filter beside words to search
    /// for: only the batch's records, counted as such (not the whole history's tally).
    fn the_batch_filter_lists_its_records_beside_the_words_searched(store: &Store) {
        let batch_id = store.batch_id("people.csv", true).unwrap().unwrap();
        let make = |first_name: &str, row_key: Option<&str>| -> Record {
            let input = named(first_name);
            let id = match row_key {
                Some(k) => {
                    store.record_batch_intent(&intent(&input), &tag(batch_id, k), Utc::now())
                }
                None => store.record_intent(&intent(&input), Utc::now()),
            }
            .unwrap();
            let s = session();
            store
                .complete_intent(
                    id,
                    &NewRecord {
                        profile: "test",
                        base_url: "https://example.com",
                        sandbox: false,
                        input: &input,
                        session: &s,
                    },
                )
                .unwrap()
        };
        let anna = make("Anna", Some("k1"));
        let boris = make("Boris", Some("k2"));
        let outside = make("Anna", None);
        let query = |batch: &str, search: Option<&str>| Query {
            batch: Some(batch.into()),
            search: search.map(String::from),
            profile: Some("test".into()),
            offset: 0,
            limit: 50,
            ..Default::default()
        };
        let ids = |records: Vec<Record>| records.iter().map(|r| r.id).collect::<Vec<_>>();

        let all = query("people.csv", None);
        assert_eq!(ids(store.page(&all).unwrap()), [boris.id, anna.id]);
        assert_eq!(store.count(&all).unwrap(), 2);
        assert_eq!(store.count_up_to(&all, 10).unwrap(), 2);
        let annas = query("people.csv", Some("anna"));
        assert_eq!(ids(store.page(&annas).unwrap()), [anna.id]);
        assert_eq!(store.count(&annas).unwrap(), 1);
        let (page, n) = store.first_page_and_count(&annas, 10).unwrap();
        assert_eq!((ids(page), n), (vec![anna.id], 1));
        // Without the batch the search finds both Annas: the filter did the narrowing.
        let everyone = Query {
            batch: None,
            ..annas.clone()
        };
        assert_eq!(ids(store.page(&everyone).unwrap()), [outside.id, anna.id]);
        let none = query("other.csv", None);
        assert!(store.page(&none).unwrap().is_empty());
        assert_eq!(store.count(&none).unwrap(), 0);
    }
}
