//! Network faults in the TUI: each gives its own plain-words error, the typed form stays,
//! nothing reaches the history, and the next Generate works.

use crate::support;

use std::time::Duration;

use support::{SandboxEnv, Tui};
use veriff_tui::sandbox::Fault;

#[test]
fn every_fault_is_explained_and_the_form_survives() {
    let env = SandboxEnv::with_config("[request]\ntimeout_secs = 1\n");
    let vars = env.vars();
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut tui = Tui::spawn(&[], &vars, 120, 40);
    tui.wait_for("Generate URL");
    tui.type_text("Zoë");
    tui.send("\t");
    tui.type_text("李小龍");

    let faults: [(Fault, &str); 7] = [
        (Fault::Status500, "HTTP 500"),
        (Fault::Html502, "502 Bad Gateway"),
        (Fault::TooMany429, "HTTP 429"),
        (Fault::TruncatedJson, "cut off"),
        (Fault::Huge, "larger than 1 MiB"),
        (Fault::UrlWithEscape, "control or escape characters"),
        (Fault::Delay(Duration::from_secs(3)), "timed out"),
    ];
    for (fault, words) in faults {
        env.sandbox.set_fault(Some(fault));
        tui.send("\x13"); // Ctrl+S
        let screen = tui.wait_for(words);
        assert!(
            screen.contains("Zoë") && screen.contains("李小龍"),
            "{screen}"
        );
        // Only a refusal proves there is no session.
        let verdict = if words == "HTTP 429" {
            "not created"
        } else {
            "Outcome unknown"
        };
        assert!(screen.contains(verdict), "{words}: {screen}");
        assert!(!screen.contains("Session created"), "{screen}");
    }
    env.sandbox.set_fault(None);
    tui.send("\x13");
    tui.wait_for("Session created");
    tui.send("\x03");
    assert_eq!(tui.wait_exit(), 0);

    let (code, out, err) = env.run(&["history", "--json"]);
    assert_eq!(code, 0, "{err}");
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = rows.as_array().unwrap();
    // One session; each fault but the refused 429 left a record of its unknown outcome.
    let created: Vec<_> = rows.iter().filter(|r| r["status"] != "unknown").collect();
    assert_eq!(created.len(), 1, "{out}");
    assert_eq!(created[0]["first_name"], "Zoë");
    assert_eq!(rows.len(), 7, "{out}");
}

#[test]
fn secrets_never_reach_the_screen_or_the_log() {
    const KEY: &str = "5ec7e7ca-fe00-4bad-b00b-5ec2e7a11ce5";
    const SECRET: &str = "shh-TOPSECRET-c0ffee-4711";
    let env = SandboxEnv::new();
    let vars = env.vars();
    let mut vars: Vec<(&str, &str)> = vars
        .iter()
        .filter(|(k, _)| !k.starts_with("VERIFF_API_KEY") && !k.starts_with("VERIFF_SHARED"))
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    vars.extend([
        ("VERIFF_API_KEY", KEY),
        ("VERIFF_SHARED_SECRET", SECRET),
        ("VERIFF_TUI_LOG", "trace"),
    ]);
    let mut tui = Tui::spawn(&[], &vars, 120, 40);
    tui.wait_for("Generate URL");
    tui.type_text("John");
    tui.send("\x13");
    tui.wait_for("1803");
    tui.send("\x1b2"); // Alt+2, then help
    tui.send("?");
    tui.wait_for("Help");
    tui.send("\x03");
    tui.wait_exit();
    let raw = String::from_utf8_lossy(&tui.raw()).into_owned();
    for s in [KEY, SECRET, &KEY[KEY.len() - 12..], &SECRET[..12]] {
        assert!(!raw.contains(s), "{s} reached the terminal");
    }
    let log = std::fs::read_to_string(env.log_file()).unwrap();
    assert!(
        log.contains("1803"),
        "the log should record the failure: {log}"
    );
    support::assert_traced(&log);
    for entry in std::fs::read_dir(env.data_dir()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(KEY) && !text.contains(SECRET));
    }
}

#[test]
fn typing_during_a_slow_request_changes_nothing_of_what_is_sent_or_kept() {
    let env = SandboxEnv::new();
    let vars = env.vars();
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut tui = Tui::spawn(&[], &vars, 120, 40);
    tui.wait_for("Generate URL");
    tui.type_text("Ann");
    tui.send("\t");
    tui.type_text("Lee");
    env.sandbox
        .set_fault(Some(Fault::Delay(Duration::from_millis(1500))));
    env.sandbox.reset_counters();
    tui.send("\x13"); // Ctrl+S
    tui.wait_for("creating the session");
    // While it runs: the operator edits both names.
    tui.type_text("-Marie");
    tui.send("\x1b[Z"); // Shift+Tab, back to the first name
    tui.type_text("ette");
    let screen = tui.wait_for("Annette");
    assert!(screen.contains("Lee-Marie"), "{screen}");
    tui.wait_for("Session created");
    tui.send("\x03");
    assert_eq!(tui.wait_exit(), 0);
    assert_eq!(env.sandbox.create_requests(), 1);

    let (code, out, err) = env.run(&["history", "--json"]);
    assert_eq!(code, 0, "{err}");
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{out}");
    // What Veriff received, not what the form held when the answer came.
    assert_eq!(rows[0]["first_name"], "Ann");
    assert_eq!(rows[0]["last_name"], "Lee");
    let (id, _, first) = env.sandbox.sessions().pop().unwrap();
    assert_eq!(rows[0]["session_id"], id.as_str());
    assert_eq!(first.as_deref(), Some("Ann"));
}

#[test]
fn a_locked_history_sends_nothing_until_the_operator_agrees_to_an_unkept_link() {
    let env = SandboxEnv::new();
    // A history that exists, then is held by another program for longer than the wait.
    let (code, _, err) = env.run(&["generate", "--first-name", "First"]);
    assert_eq!(code, 0, "{err}");
    let holder = rusqlite::Connection::open(env.history_db()).unwrap();
    holder
        .execute_batch("BEGIN EXCLUSIVE; UPDATE sessions SET first_name = first_name;")
        .unwrap();
    env.sandbox.reset_counters();

    let vars = env.vars();
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut tui = Tui::spawn(&[], &vars, 100, 30);
    tui.wait_for("Generate URL");
    tui.type_text("Ann");
    tui.send("\x13"); // Ctrl+S
    let screen = tui.wait_for("Nothing was sent");
    assert!(screen.contains("is locked"), "{screen}");
    assert!(screen.contains("Press y"), "{screen}");
    assert_eq!(env.sandbox.create_requests(), 0, "nothing reached Veriff");
    tui.send("y");
    let screen = tui.wait_for("Session created");
    assert!(screen.contains(env.sandbox.base_url()), "{screen}");
    assert_eq!(env.sandbox.create_requests(), 1);
    tui.send("\x03");
    assert_eq!(tui.wait_exit(), 0);

    holder.execute_batch("ROLLBACK;").unwrap();
    let (code, out, err) = env.run(&["history", "--json"]);
    assert_eq!(code, 0, "{err}");
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        rows.as_array().unwrap().len(),
        1,
        "the unkept link is not kept: {out}"
    );
}
