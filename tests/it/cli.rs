//! The CLI end to end: the real binary against a real sandbox on loopback.

use crate::support;

use support::run_cli;

type Env = support::SandboxEnv;

#[test]
fn generate_then_history_then_decision() {
    let env = Env::new();
    let (code, out, err) = env.run(&[
        "generate",
        "--first-name",
        "Approve",
        "--last-name",
        "Smith",
        "--json",
    ]);
    assert_eq!(code, 0, "stderr: {err}");
    let record: serde_json::Value = serde_json::from_str(&out).unwrap();
    let url = record["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/v/", env.sandbox.base_url())),
        "{url}"
    );
    let id = record["session_id"].as_str().unwrap().to_string();
    assert_eq!(record["first_name"], "Approve");
    assert_eq!(record["sandbox"], true);

    let (code, out, _) = env.run(&["history"]);
    assert_eq!(code, 0);
    assert!(out.contains(&id), "{out}");
    assert!(out.contains("Approve Smith"), "{out}");

    let (code, out, err) = env.run(&["decision", &id]);
    assert_eq!(code, 0, "stderr: {err}");
    assert!(out.starts_with("approved (9001)"), "{out}");

    let (code, out, _) = env.run(&["history", "--json", "--search", "approve"]);
    assert_eq!(code, 0);
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rows[0]["status"], "approved");
}

#[test]
fn plain_generate_prints_only_the_url() {
    let env = Env::new();
    let (code, out, err) = env.run(&["generate", "--first-name", "John", "--last-name", "Smith"]);
    assert_eq!(code, 0, "stderr: {err}");
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.trim().starts_with("http://127.0.0.1:"), "{out}");
}

#[test]
fn invalid_callback_is_a_usage_error_and_sends_nothing() {
    let env = Env::new();
    let (code, out, err) = env.run(&[
        "generate",
        "--first-name",
        "John",
        "--callback",
        "ftp://example.com",
    ]);
    assert_eq!(code, 2, "stderr: {err}");
    assert!(out.is_empty());
    assert!(err.contains("--callback"), "{err}");
    let (_, out, _) = env.run(&["history", "--json"]);
    assert_eq!(out.trim(), "[]");
}

#[test]
fn api_errors_exit_3_and_say_what_to_do() {
    let env = Env::new();
    let (code, out, err) = env.run_with(
        &["generate", "--first-name", "John"],
        &[("VERIFF_API_KEY", "11111111-2222-4333-8444-555555555555")],
    );
    assert_eq!(code, 3, "stderr: {err}");
    assert!(out.is_empty());
    assert!(err.contains("1803"), "{err}");
    assert!(err.contains("hint:"), "{err}");
    assert!(
        !err.contains("11111111-2222-4333-8444-555555555555"),
        "{err}"
    );
}

#[test]
fn network_errors_exit_4() {
    let env = Env::new();
    let refusing = support::RefusingPort::new();
    let base = refusing.base_url();
    let (code, _, err) = env.run_with(
        &["generate", "--first-name", "John"],
        &[("VERIFF_BASE_URL", base.as_str())],
    );
    assert_eq!(code, 4, "stderr: {err}");
    assert!(err.to_lowercase().contains("refused"), "{err}");
}

#[test]
fn no_profile_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("none.toml").display().to_string();
    let data = dir.path().join("d").display().to_string();
    let (code, _, err) = run_cli(
        &["generate", "--first-name", "John"],
        &[("VERIFF_TUI_CONFIG", &cfg), ("VERIFF_TUI_DATA_DIR", &data)],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--sandbox"), "{err}");
}

#[test]
fn sandbox_flag_generates_without_any_setup() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("none.toml").display().to_string();
    let data = dir.path().join("d").display().to_string();
    let env = [
        ("VERIFF_TUI_CONFIG", cfg.as_str()),
        ("VERIFF_TUI_DATA_DIR", data.as_str()),
    ];
    let (code, out, err) = run_cli(&["--sandbox", "generate", "--first-name", "Ann"], &env);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("/v/"), "{out}");
    // The sandbox lived inside the command, and the link is dead now: said so, with the
    // way to links that keep working.
    assert!(
        err.contains("stops when this command ends")
            && err.contains("no longer opens")
            && err.contains("veriff-tui sandbox"),
        "{err}"
    );
    let host = out
        .trim()
        .strip_prefix("http://")
        .and_then(|r| r.split('/').next())
        .unwrap();
    assert!(
        std::net::TcpStream::connect(host).is_err(),
        "the link's sandbox still answers at {host}"
    );
    let (_, out, _) = run_cli(&["history", "--csv"], &env);
    let mut lines = out.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("created_at,profile,sandbox"), "{header}");
    // Who made it and where: columns in every export, empty for a local file's records.
    assert!(
        header.ends_with(",made_elsewhere,operator,machine"),
        "{header}"
    );
    let row = lines.next().unwrap();
    assert!(row.contains(",sandbox,true,Ann,"), "{out}");
    assert!(row.ends_with(",false,,"), "{row}");
    let (_, out, _) = run_cli(&["history", "--json"], &env);
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (&rows[0]["operator"], &rows[0]["machine"]),
        (&"".into(), &"".into())
    );
}

#[test]
fn a_link_of_a_sandbox_that_keeps_running_gets_no_note() {
    let env = Env::new();
    let (code, out, err) = env.run(&["generate", "--first-name", "Ann"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("/v/"), "{out}");
    assert!(err.is_empty(), "{err}");
}

#[test]
fn a_profile_without_an_api_key_says_what_to_set() {
    let env = Env::new();
    let cfg = format!(
        "[profiles.live]\nbase_url = \"{}\"\n",
        env.sandbox.base_url()
    );
    std::fs::write(env.config_path(), cfg).unwrap();
    let no_key = [
        ("VERIFF_API_KEY", ""),
        ("VERIFF_BASE_URL", ""),
        ("VERIFF_SHARED_SECRET", ""),
    ];
    let (code, _, err) = env.run_with(&["generate", "--first-name", "Ann"], &no_key);
    assert_eq!(code, 2, "{err}");
    let path = env.config_path().display().to_string();
    for words in [
        "the profile \"live\" has no api_key",
        "set api_key (or api_key_cmd) under [profiles.live]",
        path.as_str(),
        "VERIFF_API_KEY",
        "--sandbox",
    ] {
        assert!(err.contains(words), "{words}: {err}");
    }
    assert_eq!(env.sandbox.create_requests(), 0);

    // `config check` shows the settings, and fails with the same words.
    let (code, out, check_err) = env.run_with(&["config", "check"], &no_key);
    assert_eq!(code, 2, "{check_err}");
    assert!(
        out.contains("api_key        = (not set: nothing can be sent without it)"),
        "{out}"
    );
    assert_eq!(check_err, err);

    // With the key it passes.
    let (code, _, err) = env.run_with(
        &["config", "check"],
        &[("VERIFF_BASE_URL", ""), ("VERIFF_SHARED_SECRET", "")],
    );
    assert_eq!(code, 0, "{err}");
}

#[cfg(unix)]
#[test]
fn config_check_says_a_warning_once() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let cfg = format!(
        "[profiles.test]\nbase_url = \"{}\"\napi_key = \"{}\"\n",
        env.sandbox.base_url(),
        env.sandbox.api_key()
    );
    std::fs::write(env.config_path(), cfg).unwrap();
    std::fs::set_permissions(env.config_path(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, out, err) = env.run_with(
        &["config", "check"],
        &[
            ("VERIFF_API_KEY", ""),
            ("VERIFF_BASE_URL", ""),
            ("VERIFF_SHARED_SECRET", ""),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(err.matches("readable by other users").count(), 1, "{err}");
    assert!(!out.contains("readable by other users"), "{out}");
}

#[test]
fn a_language_name_for_lang_is_explained() {
    let env = Env::new();
    let (code, out, err) = env.run(&["generate", "--first-name", "Ann", "--lang", "german"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    assert_eq!(
        err.trim(),
        "error: --lang german: use a two-letter ISO 639-1 code such as en, or en-GB (German is de)"
    );
    let (code, _, err) = env.run(&["generate", "--first-name", "Ann", "--lang", "xx-y"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--lang xx-y: use a two-letter"), "{err}");
    assert_eq!(env.sandbox.create_requests(), 0);
}

#[test]
fn decision_finds_a_record_by_any_prefix_and_says_when_none_or_several_match() {
    use veriff_tui::history::{NewRecord, Store};
    use veriff_tui::veriff::{CreatedSession, SessionInput};
    let env = Env::new();
    let (code, out, err) = env.run(&["generate", "--first-name", "Approve", "--json"]);
    assert_eq!(code, 0, "{err}");
    let record: serde_json::Value = serde_json::from_str(&out).unwrap();
    let id = record["session_id"].as_str().unwrap().to_string();

    // One character is enough while it is unique.
    let (code, out, err) = env.run(&["decision", &id[..1]]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("approved (9001)"), "{out}");

    // Two more records whose ids start like this one's.
    let store = Store::open(&env.history_db()).unwrap();
    let twins: Vec<String> = ["1", "2"]
        .iter()
        .map(|n| format!("{}g0000-0000-4000-8000-00000000000{n}", &id[..3]))
        .collect();
    for twin in &twins {
        let now = chrono::Utc::now();
        let session = CreatedSession {
            id: twin.clone(),
            url: format!("{}/v/{twin}", env.sandbox.base_url()),
            host: None,
            session_token: None,
            vendor_data: None,
            status: Some("created".into()),
            created_at: now,
            expires_at: now + chrono::Duration::days(7),
        };
        store
            .insert(&NewRecord {
                profile: "test",
                base_url: env.sandbox.base_url(),
                sandbox: true,
                input: &SessionInput::default(),
                session: &session,
            })
            .unwrap();
    }
    drop(store);
    env.sandbox.reset_counters();

    let prefix = &id[..3];
    let (code, out, err) = env.run(&["decision", prefix]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains(&format!("{prefix} matches 3 records: "))
            && err.contains(&id)
            && twins.iter().all(|t| err.contains(t.as_str()))
            && err.contains("more characters"),
        "{err}"
    );
    // Enough characters find the one.
    let (code, out, err) = env.run(&["decision", &id[..8]]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("approved (9001)"), "{out}");
    assert_eq!(env.sandbox.decision_requests(), 1);

    // A prefix of no record is said so here, never sent to Veriff as an id.
    let (code, _, err) = env.run(&["decision", "781"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("no record in the history has a session id starting with 781")
            && err.contains("veriff-tui history --search 781"),
        "{err}"
    );
    assert_eq!(env.sandbox.decision_requests(), 1);
}

#[test]
fn completions_and_version() {
    let (code, out, _) = run_cli(&["completions", "bash"], &[]);
    assert_eq!(code, 0);
    assert!(out.contains("veriff-tui"));
    let (code, out, _) = run_cli(&["--version"], &[]);
    assert_eq!(code, 0);
    assert!(out.starts_with("veriff-tui "));
}

#[test]
fn choosing_on_the_flow_page_decides_and_a_prefix_finds_the_session() {
    let env = Env::new();
    let (code, out, err) = env.run(&["generate", "--first-name", "John", "--json"]);
    assert_eq!(code, 0, "{err}");
    let record: serde_json::Value = serde_json::from_str(&out).unwrap();
    let url = record["url"].as_str().unwrap().to_string();
    let id = record["session_id"].as_str().unwrap().to_string();

    let (code, out, _) = env.run(&["decision", &id]);
    assert_eq!(code, 0);
    assert_eq!(out.trim(), "no decision yet");

    let page = env
        .rt
        .block_on(async {
            let http = reqwest::Client::new();
            let page = http.get(&url).send().await?.text().await?;
            http.post(format!("{url}/decide"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("decision=decline")
                .send()
                .await?;
            Ok::<_, reqwest::Error>(page)
        })
        .unwrap();
    assert!(page.contains("John"), "{page}");

    let (code, out, err) = env.run(&["decision", &id[..8]]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("declined (9102)"), "{out}");
    let (_, out, _) = env.run(&["history", "--json"]);
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rows[0]["status"], "declined");
    assert_eq!(rows[0]["decision_code"], 9102);
}

#[test]
fn unknown_session_is_explained() {
    let env = Env::new();
    let (code, _, err) = env.run(&["decision", "f04bdb47-d3be-4b28-b028-000000000000"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("check the id"), "{err}");
}

#[test]
fn csv_cells_cannot_become_spreadsheet_formulas() {
    let env = Env::new();
    let (code, _, err) = env.run(&[
        "generate",
        "--first-name",
        "=HYPERLINK(\"http://x\")",
        "--vendor-data",
        "@SUM(1)",
    ]);
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = env.run(&["history", "--csv"]);
    assert!(out.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{out}");
    assert!(out.contains(",'@SUM(1),"), "{out}");
    let (_, out, _) = env.run(&["history", "--json"]);
    assert!(
        out.contains("\"=HYPERLINK"),
        "JSON keeps the value as is: {out}"
    );
}

#[test]
fn sandbox_refuses_a_public_url_that_is_not_http() {
    let (code, _out, err) = run_cli(
        &["sandbox", "--port", "0", "--public-url", "ftp://x"],
        &[("VERIFF_TUI_CONFIG", "/nonexistent/veriff-tui.toml")],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not an http(s) URL"), "{err}");
}

#[test]
fn decision_pending_refreshes_every_open_session() {
    let env = Env::new();
    for name in ["Approve", "Decline", "John"] {
        let (code, _, err) = env.run(&["generate", "--first-name", name]);
        assert_eq!(code, 0, "{err}");
    }
    let (code, out, err) = env.run(&["decision", "--pending"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 3, "{out}");
    assert!(out.contains("approved (9001)"), "{out}");
    assert!(out.contains("declined (9102)"), "{out}");
    assert!(out.contains("no decision yet"), "{out}");
    // stderr is no terminal here: no progress bar, only the summary.
    assert_eq!(
        err,
        "3 pending checked: 2 decided, 1 without a decision yet, 0 failed\n"
    );
    // The decided ones are final now: only John is asked about again.
    let (code, out, _) = env.run(&["decision", "--pending"]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 1, "{out}");
}

/// `history` streams the store page by page: every record once, newest first, the limit
/// exact across page boundaries, and a reader that stops early is not an error.
#[test]
fn history_streams_every_record_and_honours_limits_across_pages() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.sqlite3");
    veriff_tui::history::seed::fill(&db, 1234, 7).unwrap();
    let vars = [
        ("VERIFF_TUI_DATA_DIR", dir.path().to_str().unwrap()),
        ("VERIFF_TUI_CONFIG", "/nonexistent/veriff-tui.toml"),
    ];
    let json = |args: &[&str]| -> Vec<serde_json::Value> {
        let (code, out, err) = run_cli(args, &vars);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<serde_json::Value>(&out)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    };

    let all = json(&["history", "-n", "0", "--json"]);
    assert_eq!(all.len(), 1234);
    let ids: std::collections::HashSet<&str> = all
        .iter()
        .map(|r| r["session_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 1234);
    let created: Vec<&str> = all
        .iter()
        .map(|r| r["created_at"].as_str().unwrap())
        .collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "newest first");
    for n in [1, 499, 500, 501, 1000, 1233] {
        let some = json(&["history", "-n", &n.to_string(), "--json"]);
        assert_eq!(some.len(), n);
        assert_eq!(some[..], all[..n]);
    }

    let (code, out, err) = run_cli(&["history", "-n", "0", "--csv"], &vars);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        csv::Reader::from_reader(out.as_bytes()).records().count(),
        1234
    );
    let (code, out, _) = run_cli(&["history", "-n", "0"], &vars);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 1235, "a header and a line per record");

    let (code, out, _) = run_cli(&["history", "--search", "zzqqxx"], &vars);
    assert_eq!(code, 0);
    assert_eq!(out.trim(), "No sessions match \"zzqqxx\".");
    let (code, out, _) = run_cli(&["history", "--search", "zzqqxx", "--json"], &vars);
    assert_eq!((code, out.trim()), (0, "[]"));

    // `| head -1`: the reader closes the pipe after one line; far more than a pipe's
    // buffer was still to come.
    let mut child = std::process::Command::new(support::BIN)
        .args(["history", "-n", "0"])
        .env_clear()
        .env(
            "HOME",
            std::env::var("HOME").unwrap_or_else(|_| "/tmp".into()),
        )
        .envs(vars)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut first,
    )
    .unwrap();
    assert!(first.starts_with("CREATED"), "{first}");
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs the binary with stdout to `stdout` (a pipe whose reader is gone, or /dev/full).
fn run_to(
    env: &Env,
    args: &[&str],
    stdout: std::process::Stdio,
    close_reader: bool,
) -> (i32, String) {
    let mut cmd = std::process::Command::new(support::BIN);
    cmd.args(args).env_clear();
    cmd.env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd.env("HOME", env.dir.path());
    for (k, v) in env.vars() {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdout(stdout)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    if close_reader {
        // The reader stops at once, as `| head -c1` does after its byte.
        drop(child.stdout.take());
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn history_json(env: &Env) -> Vec<serde_json::Value> {
    let (code, out, err) = env.run(&["history", "--json", "-n", "0"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn a_reader_that_stops_early_ends_commands_quietly_and_the_link_is_kept() {
    let env = Env::new();
    let piped = std::process::Stdio::piped;
    let (code, err) = run_to(&env, &["generate", "--first-name", "Pipe"], piped(), true);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("panick"), "{err}");
    let rows = history_json(&env);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["status"], "created", "the record is complete");
    for args in [
        &["completions", "bash"][..],
        &["history"],
        &["history", "--csv"],
        &["config", "path"],
        &["decision", "--pending"],
    ] {
        let (code, err) = run_to(&env, args, piped(), true);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(!err.contains("panick"), "{args:?}: {err}");
    }
}

#[test]
fn a_full_disk_on_stdout_says_so_and_the_link_is_kept() {
    let env = Env::new();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let (code, err) = run_to(
        &env,
        &["generate", "--first-name", "Full"],
        full.into(),
        false,
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("cannot write output"), "{err}");
    assert!(err.contains("veriff-tui history"), "{err}");
    assert!(!err.contains("panick"), "{err}");
    let rows = history_json(&env);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["first_name"], "Full");
    assert_eq!(rows[0]["status"], "created");
}

#[test]
fn an_unusable_history_sends_nothing_unless_no_history_is_asked_for() {
    let env = Env::new();
    std::fs::create_dir_all(env.data_dir()).unwrap();
    std::fs::write(
        env.history_db(),
        b"not a database at all, but somebody's notes",
    )
    .unwrap();
    let (code, out, err) = env.run(&["generate", "--first-name", "Ann"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("nothing was sent"), "{err}");
    assert!(err.contains("--move-aside"), "{err}");
    assert!(err.contains("--no-history"), "{err}");
    assert_eq!(env.sandbox.create_requests(), 0, "nothing may reach Veriff");

    let (code, out, err) = env.run(&["generate", "--first-name", "Ann", "--no-history"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with(env.sandbox.base_url()), "{out}");
    assert_eq!(env.sandbox.create_requests(), 1);
    let notes = std::fs::read(env.history_db()).unwrap();
    assert!(
        notes.starts_with(b"not a database"),
        "the file was left alone"
    );
}

#[test]
fn a_record_is_refreshed_through_the_profile_it_was_made_under() {
    let env = Env::new();
    let other = env
        .rt
        .block_on(veriff_tui::sandbox::Sandbox::start(Default::default()))
        .unwrap();
    let profile = |name: &str, sb: &veriff_tui::sandbox::Sandbox| {
        format!(
            "[profiles.{name}]\nbase_url = \"{}\"\napi_key = \"{}\"\nshared_secret = \"{}\"\n",
            sb.base_url(),
            sb.api_key(),
            sb.shared_secret()
        )
    };
    let both = format!("{}{}", profile("a", &env.sandbox), profile("b", &other));
    std::fs::write(env.config_path(), &both).unwrap();
    // The profiles come from the file alone.
    let no_env = [
        ("VERIFF_BASE_URL", ""),
        ("VERIFF_API_KEY", ""),
        ("VERIFF_SHARED_SECRET", ""),
    ];
    let (code, out, err) = env.run_with(
        &[
            "--profile",
            "a",
            "generate",
            "--first-name",
            "Approve",
            "--json",
        ],
        &no_env,
    );
    assert_eq!(code, 0, "{err}");
    let record: serde_json::Value = serde_json::from_str(&out).unwrap();
    let id = record["session_id"].as_str().unwrap().to_string();
    assert_eq!(record["profile"], "a");
    let (code, out, err) = env.run_with(
        &["--profile", "b", "generate", "--first-name", "Bea"],
        &no_env,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with(other.base_url()), "{out}");
    // The table lists every profile, and says whose each record is.
    let (code, out, _) = env.run_with(&["history"], &no_env);
    assert_eq!(code, 0);
    let row = |name: &str| {
        out.lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} not in {out}"))
            .split_whitespace()
            .nth(2)
            .map(str::to_string)
    };
    assert!(
        out.lines().next().unwrap_or_default().contains("PROFILE"),
        "{out}"
    );
    assert_eq!(row("Approve").as_deref(), Some("a"), "{out}");
    assert_eq!(row("Bea").as_deref(), Some("b"), "{out}");

    env.sandbox.reset_counters();
    let (code, out, err) = env.run_with(&["--profile", "b", "decision", &id], &no_env);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("approved"), "{out}");
    assert_eq!(env.sandbox.decision_requests(), 1, "asked a's API");
    assert_eq!(other.decision_requests(), 0, "never b's");

    // Profile a gone from the config: said so, nothing asked, nothing changed.
    std::fs::write(env.config_path(), profile("b", &other)).unwrap();
    let before = history_json(&env);
    let (code, _, err) = env.run_with(&["--profile", "b", "decision", &id], &no_env);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("\"a\""), "{err}");
    assert!(err.contains("no longer configured"), "{err}");
    assert_eq!(other.decision_requests(), 0);
    assert_eq!(history_json(&env), before);
}
