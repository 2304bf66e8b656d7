//! Hostile data, secrets and broken configuration, through the real binary: no escape
//! sequence from the network, the history or the config reaches the terminal; no secret
//! reaches a file, a message or the screen; every config mistake is named.

use crate::support;

use std::path::{Path, PathBuf};

use support::run_cli;
use veriff_tui::history::{NewRecord, Store};
use veriff_tui::veriff::{
    Client, CreateSessionRequest, Decision, Endpoint, LegacyFields, SessionInput, SessionStatus,
};

const OSC52: &str = "\x1b]52;c;SGVsbG8=\x07";
const CLEAR: &str = "\x1b[2J";

/// A fake API key and shared secret no other text holds, so any sighting is a leak.
const FAKE_KEY: &str = "5ec7e7ca-fe00-4bad-b00b-5ec2e7a11ce5";
const FAKE_SECRET: &str = "shh-TOPSECRET-c0ffee-4711";

struct Env(support::SandboxEnv);

impl std::ops::Deref for Env {
    type Target = support::SandboxEnv;
    fn deref(&self) -> &support::SandboxEnv {
        &self.0
    }
}

impl Env {
    fn new() -> Env {
        Env(support::SandboxEnv::new())
    }

    /// Writes a config file with `mode` and returns its path.
    fn config(&self, name: &str, text: &str, mode: u32) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let p = self.path(name);
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p
    }

    /// Only the data dir and the config file given (no VERIFF_* credentials).
    fn run_cfg(&self, cfg: &Path, args: &[&str], extra: &[(&str, &str)]) -> (i32, String, String) {
        let data = self.data_dir().display().to_string();
        let cfg = cfg.display().to_string();
        let mut env = vec![
            ("VERIFF_TUI_DATA_DIR", data.as_str()),
            ("VERIFF_TUI_CONFIG", cfg.as_str()),
        ];
        env.extend_from_slice(extra);
        run_cli(args, &env)
    }

    /// A script printing `value`, and the argv that runs it as a TOML list (`sh FILE`:
    /// read, never executed itself, so no "text file busy" from another test's fork).
    fn printing(&self, name: &str, value: &str) -> String {
        self.script(name, &format!("printf '%s\\n' '{value}'"))
    }

    /// A script of `body`, and the argv that runs it as a TOML list.
    fn script(&self, name: &str, body: &str) -> String {
        let p = self.path(name);
        std::fs::write(&p, format!("{body}\n")).unwrap();
        format!("[\"sh\", '{}']", p.display())
    }

    /// A profile pointing at the sandbox with its real credentials.
    fn sandbox_profile(&self, name: &str) -> String {
        format!(
            "[profiles.{name}]\nbase_url = \"{}\"\napi_key = \"{}\"\nshared_secret = \"{}\"\n",
            self.sandbox.base_url(),
            self.sandbox.api_key(),
            self.sandbox.shared_secret()
        )
    }
}

fn has_terminal_control(s: &str) -> bool {
    s.chars().any(|c| c.is_control() && c != '\n')
}

fn assert_inert(what: &str, out: &str) {
    assert!(
        !has_terminal_control(out),
        "{what}: control characters reach the terminal: {out:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Hostile data.

#[test]
fn hostile_names_and_vendor_data_are_inert_in_every_history_format() {
    let env = Env::new();
    let cfg = env.config("c.toml", &env.sandbox_profile("test"), 0o600);
    let first = format!("Eve{OSC52}");
    let last = format!("Mallory{CLEAR}");
    let vendor = format!("ref-{OSC52}-{CLEAR}-end");
    // Written the way another tool (or an older version without form checks) could: sent
    // through the sandbox, stored as given.
    let input = SessionInput {
        first_name: first.clone(),
        last_name: last.clone(),
        lang: "en".into(),
        selfid: true,
        callback: String::new(),
        vendor_data: vendor.clone(),
        extra: Default::default(),
    };
    let endpoint = Endpoint {
        base_url: env.sandbox.base_url().into(),
        api_key: env.sandbox.api_key().into(),
        shared_secret: Some(env.sandbox.shared_secret().into()),
        integration_id: None,
        timeout: std::time::Duration::from_secs(10),
    };
    let session = env
        .rt
        .block_on(async {
            let client = Client::new(&endpoint)?;
            let req = CreateSessionRequest::from_input(
                &input,
                LegacyFields::default(),
                chrono::Utc::now(),
            );
            client.create_session(&req).await
        })
        .unwrap();
    let store = Store::open(&env.data_dir().join("history.sqlite3")).unwrap();
    store
        .insert(&NewRecord {
            profile: "test",
            base_url: env.sandbox.base_url(),
            sandbox: true,
            input: &input,
            session: &session,
        })
        .unwrap();
    let decision = Decision {
        status: SessionStatus::Declined,
        code: Some(9102),
        reason: Some(format!("bad{OSC52}{CLEAR}")),
        decision_time: Some(format!("2026{CLEAR}")),
        ..Default::default()
    };
    store
        .record_decision(&session.id, Some(&decision), chrono::Utc::now())
        .unwrap();
    drop(store);

    for args in [
        &["history"][..],
        &["history", "--csv"],
        &["history", "--json"],
        &["history", "--search", "Mallory"],
        &["history", "--search", "\x1b[2J"],
    ] {
        let (code, out, err) = env.run_cfg(&cfg, args, &[]);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert_inert(&format!("{args:?} stdout"), &out);
        assert_inert(&format!("{args:?} stderr"), &err);
        assert!(!out.contains("\\u001b"), "escaped ESC kept: {out}");
    }
    // Inert, yet visible: the printable rest stays, so the operator sees something is odd.
    let (_, out, _) = env.run_cfg(&cfg, &["history", "--json"], &[]);
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rows[0]["first_name"], "Eve]52;c;SGVsbG8=");
    assert_eq!(rows[0]["last_name"], "Mallory[2J");
    assert_eq!(rows[0]["vendor_data"], "ref-]52;c;SGVsbG8=-[2J-end");
    assert_eq!(rows[0]["decision_reason"], "bad]52;c;SGVsbG8=[2J");

    let (code, out, err) = env.run_cfg(&cfg, &["decision", &session.id], &[]);
    assert_eq!(code, 0, "{err}");
    assert_inert("decision", &out);
}

#[test]
fn control_characters_typed_on_the_command_line_are_refused_inertly() {
    let env = Env::new();
    let cfg = env.config("c.toml", &env.sandbox_profile("test"), 0o600);
    for (flag, value) in [
        ("--first-name", format!("Eve{OSC52}")),
        ("--last-name", CLEAR.to_string()),
        ("--vendor-data", format!("x{OSC52}")),
        ("--callback", format!("https://example.com/{CLEAR}")),
    ] {
        let (code, out, err) =
            env.run_cfg(&cfg, &["generate", "--first-name", "A", flag, &value], &[]);
        assert_eq!(code, 2, "{flag}: {err}");
        assert!(out.is_empty());
        assert!(err.contains(flag), "{err}");
        assert_inert(flag, &err);
    }
    assert_eq!(env.sandbox.session_count(), 0);
}

#[test]
fn bidi_and_invisible_names_and_userinfo_callbacks_are_refused_before_sending() {
    let env = Env::new();
    let cfg = env.config("c.toml", &env.sandbox_profile("test"), 0o600);
    for (flag, value) in [
        ("--first-name", "exe\u{202E}txt.exe"),
        ("--last-name", "Sm\u{200B}ith"),
        ("--vendor-data", "\u{2066}order\u{2069}"),
        // The host is evil.example: the loopback before `@` is a user name.
        ("--callback", "http://127.0.0.1:80@evil.example/steal"),
        ("--callback", "http://[::1]:1@evil.example/"),
        ("--callback", "https://user:pass@example.com/done"),
    ] {
        let (code, out, err) =
            env.run_cfg(&cfg, &["generate", "--first-name", "A", flag, value], &[]);
        assert_eq!(code, 2, "{flag} {value:?}: {err}");
        assert!(out.is_empty(), "{out}");
        assert!(err.contains(flag), "{err}");
    }
    assert_eq!(env.sandbox.session_count(), 0, "nothing reached the API");
    // A loopback callback is still fine on a loopback sandbox.
    let (code, _, err) = env.run_cfg(
        &cfg,
        &[
            "generate",
            "--first-name",
            "A",
            "--callback",
            "http://127.0.0.1:9/done",
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
}

#[test]
fn config_values_with_control_characters_never_reach_the_terminal() {
    let env = Env::new();
    let evil = r#"evil\u001b]52;c;SGVsbG8=\u0007x\u001b[2J"#;
    let text = format!(
        "default_profile = \"{evil}\"\n{}callback = \"https://example.com/cb\"\n",
        env.sandbox_profile(&format!("\"{evil}\""))
    );
    let cfg = env.config("evil.toml", &text, 0o600);
    for args in [
        &["config", "check"][..],
        &["config", "path"],
        &["generate", "--first-name", "Ann"],
        &["history", "--csv"],
        &["history", "--json"],
        &["generate", "--profile", "nope", "--first-name", "Ann"],
        &["generate", "--profile", "x\x1b[2J", "--first-name", "Ann"],
    ] {
        let (_, out, err) = env.run_cfg(&cfg, args, &[]);
        assert_inert(&format!("{args:?} stdout"), &out);
        assert_inert(&format!("{args:?} stderr"), &err);
    }
    // The hostile name was really used: the session was made and stored under it.
    let (_, csv, _) = env.run_cfg(&cfg, &["history", "--csv"], &[]);
    assert!(csv.contains(",evil]52;c;SGVsbG8=x[2J,"), "{csv}");
    let (code, _, err) = env.run_cfg(&cfg, &["generate", "--profile", "nope"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("evil]52;c;SGVsbG8=x[2J"), "{err}");

    // Values that fail validation are named, inertly.
    for (text, needle) in [
        (
            format!(
                "{}callback = \"https://example.com/{CLEAR_TOML}\"\n",
                env.sandbox_profile("t")
            ),
            "profiles.t.callback",
        ),
        (
            "[profiles.t]\nbase_url = \"http://x\\u001b]52;c;SGk=\\u0007\"\n".to_string(),
            "profiles.t.base_url",
        ),
        ("[form]\nlang = \"e\\u001b[2J\"\n".to_string(), "form.lang"),
    ] {
        let cfg = env.config("bad.toml", &text, 0o600);
        let (code, out, err) = env.run_cfg(&cfg, &["config", "check"], &[]);
        assert_eq!(code, 2, "{err}");
        assert!(out.is_empty());
        assert!(err.contains(needle), "{err}");
        assert_inert(needle, &err);
    }
    let (code, _, err) = env.run_cfg(
        &env.path("none.toml"),
        &["config", "check"],
        &[("VERIFF_BASE_URL", "https://x\x1b[2J.example")],
    );
    assert_eq!(code, 2);
    assert!(err.contains("VERIFF_BASE_URL"), "{err}");
    assert_inert("VERIFF_BASE_URL", &err);
}

const CLEAR_TOML: &str = "\\u001b[2J";

// ---------------------------------------------------------------------------------------
// Secrets.

fn all_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            all_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn contains_bytes(hay: &[u8], needle: &str) -> bool {
    support::contains(hay, needle.as_bytes())
}

/// The secret, or a long piece of it, in any case.
fn leaks(text: &str, secret: &str) -> bool {
    let lower = text.to_lowercase();
    let s = secret.to_lowercase();
    lower.contains(&s) || lower.contains(&s[..12]) || lower.contains(&s[s.len() - 12..])
}

#[test]
fn secrets_stay_out_of_files_history_and_output() {
    let env = Env::new();
    let cfg = env.config("c.toml", &env.sandbox_profile("test"), 0o600);
    secrets_stay_out(&env, &cfg);
}

#[test]
fn secrets_from_commands_stay_out_of_files_history_and_output() {
    let env = Env::new();
    let text = format!(
        "[profiles.test]\nbase_url = \"{}\"\napi_key_cmd = {}\nshared_secret_cmd = {}\n",
        env.sandbox.base_url(),
        env.printing("key.sh", env.sandbox.api_key()),
        env.printing("secret.sh", env.sandbox.shared_secret()),
    );
    let cfg = env.config("c.toml", &text, 0o600);
    secrets_stay_out(&env, &cfg);
}

/// Every command that works, at trace level, with `cfg`'s profile "test" (the sandbox's
/// key and secret, however it gets them): neither is in any output, file or row.
fn secrets_stay_out(env: &Env, cfg: &Path) {
    let key = env.sandbox.api_key().to_string();
    let secret = env.sandbox.shared_secret().to_string();
    let cfg = cfg.to_path_buf();
    // The app's own level variable (RUST_LOG is not read).
    let trace = [("VERIFF_TUI_LOG", "trace")];

    // Everything that works, with every log level on.
    let (code, out, err) = env.run_cfg(
        &cfg,
        &["generate", "--first-name", "Approve", "--json"],
        &trace,
    );
    assert_eq!(code, 0, "{err}");
    let id = serde_json::from_str::<serde_json::Value>(&out).unwrap()["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut outputs = vec![out, err];
    for args in [
        &["decision", id.as_str()][..],
        &["decision", "--pending"],
        &["history"],
        &["history", "--csv"],
        &["history", "--json"],
        &["config", "path"],
    ] {
        let (code, out, err) = env.run_cfg(&cfg, args, &trace);
        assert_eq!(code, 0, "{args:?}: {err}");
        outputs.extend([out, err]);
    }
    let (_, check, _) = env.run_cfg(&cfg, &["config", "check"], &[]);
    assert!(
        check.contains(&format!("••••{}", &key[key.len() - 4..])),
        "{check}"
    );
    assert!(
        check.contains(&format!("••••{}", &secret[secret.len() - 4..])),
        "{check}"
    );
    outputs.push(check);
    for o in &outputs {
        assert!(!leaks(o, &key) && !leaks(o, &secret), "a secret in: {o}");
    }

    // Every file we wrote, raw bytes (the SQLite file, its WAL, the log at trace level).
    let log = std::fs::read_to_string(env.log_file()).expect("the commands' log");
    support::assert_traced(&log);
    let mut files = Vec::new();
    all_files(&env.data_dir(), &mut files);
    assert!(files.iter().any(|f| f.ends_with("history.sqlite3")));
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        for s in [&key, &secret] {
            assert!(!contains_bytes(&bytes, s), "{s} in {}", f.display());
            assert!(
                !contains_bytes(&bytes, &s.to_uppercase()),
                "{s} in {}",
                f.display()
            );
        }
    }
    // And every column of every row, as SQLite gives it back.
    let conn = rusqlite::Connection::open(env.data_dir().join("history.sqlite3")).unwrap();
    let mut stmt = conn.prepare("SELECT * FROM sessions").unwrap();
    let n = stmt.column_count();
    let mut rows = stmt.query([]).unwrap();
    let mut seen = 0;
    while let Some(row) = rows.next().unwrap() {
        seen += 1;
        for i in 0..n {
            let v: rusqlite::types::Value = row.get(i).unwrap();
            let text = format!("{v:?}");
            assert!(
                !leaks(&text, &key) && !leaks(&text, &secret),
                "column {i}: {text}"
            );
        }
    }
    assert_eq!(seen, 1);
}

#[test]
fn secrets_stay_out_of_every_failure_message() {
    let env = Env::new();
    let base = env.sandbox.base_url().to_string();
    let profile = |key: &str, secret: &str| {
        format!(
            "[profiles.test]\nbase_url = \"{base}\"\napi_key = \"{key}\"\nshared_secret = \"{secret}\"\n"
        )
    };
    let cases: Vec<(String, Vec<&str>)> = vec![
        // 1803: an unknown key.
        (
            profile(FAKE_KEY, FAKE_SECRET),
            vec!["generate", "--first-name", "A"],
        ),
        (
            profile(FAKE_KEY, FAKE_SECRET),
            vec!["decision", "f04bdb47-d3be-4b28-b028-a652feb060b5"],
        ),
        (
            profile(FAKE_KEY, FAKE_SECRET),
            vec!["decision", "--pending"],
        ),
        // 1819: the sandbox's key with a wrong secret.
        (
            profile(env.sandbox.api_key(), FAKE_SECRET),
            vec!["generate", "--first-name", "A"],
        ),
        // Config errors around secrets: a key that is not a UUID, a broken line, a wrong type.
        (profile(FAKE_SECRET, FAKE_SECRET), vec!["config", "check"]),
        (
            format!(
                "[profiles.test]\napi_key = \"{FAKE_KEY}\" junk\nshared_secret = \"{FAKE_SECRET}\"\n"
            ),
            vec!["config", "check"],
        ),
        (
            format!(
                "[profiles.test]\napi_key = \"{FAKE_KEY}\"\nshared_secret = [\"{FAKE_SECRET}\"]\nbase_url = \"{base}\"\n"
            ),
            vec!["generate", "--first-name", "A"],
        ),
        (
            format!("[profiles.test]\napi_key = {FAKE_SECRET}\n"),
            vec!["config", "check"],
        ),
        // From commands: a key the API refuses (1803), a key that is not a UUID, and
        // commands that fail after printing a secret, or saying one on stderr.
        (
            format!(
                "[profiles.test]\nbase_url = \"{base}\"\napi_key_cmd = {}\nshared_secret_cmd = {}\n",
                env.printing("fake-key.sh", FAKE_KEY),
                env.printing("fake-secret.sh", FAKE_SECRET),
            ),
            vec!["generate", "--first-name", "A"],
        ),
        (
            format!(
                "[profiles.test]\nbase_url = \"{base}\"\napi_key_cmd = {}\n",
                env.printing("not-a-key.sh", FAKE_SECRET),
            ),
            vec!["config", "check"],
        ),
        (
            format!(
                "[profiles.test]\nbase_url = \"{base}\"\napi_key = \"{FAKE_KEY}\"\nshared_secret_cmd = {}\n",
                env.script(
                    "fails.sh",
                    &format!("echo '{FAKE_SECRET}'\necho 'cannot use {FAKE_SECRET}' >&2\nexit 1"),
                ),
            ),
            vec!["generate", "--first-name", "A"],
        ),
        (
            format!(
                "[profiles.test]\nbase_url = \"{base}\"\nshared_secret = \"{FAKE_SECRET}\"\napi_key_cmd = {}\n",
                env.script(
                    "tells.sh",
                    &format!("echo 'the other one is {FAKE_SECRET}' >&2\nexit 1"),
                ),
            ),
            vec!["config", "check"],
        ),
        // Nothing listens: a network error.
        (
            "[profiles.test]\nbase_url = \"http://127.0.0.1:9\"\n".to_string()
                + &format!("api_key = \"{FAKE_KEY}\"\nshared_secret = \"{FAKE_SECRET}\"\n"),
            vec!["generate", "--first-name", "A"],
        ),
    ];
    for (text, args) in &cases {
        let cfg = env.config("secret.toml", text, 0o600);
        let (code, out, err) = env.run_cfg(&cfg, args, &[("VERIFF_TUI_LOG", "trace")]);
        // With no pending session, --pending has nothing to fail on.
        if args[1] != "--pending" {
            assert_ne!(code, 0, "{args:?} should fail: {out}");
        }
        for s in [FAKE_KEY, FAKE_SECRET] {
            assert!(
                !leaks(&out, s) && !leaks(&err, s),
                "{args:?} with\n{text}\nleaks: {out}{err}"
            );
        }
    }
    // The same secrets from the environment.
    let none = env.path("none.toml");
    for (k, v) in [
        ("VERIFF_API_KEY", FAKE_SECRET),
        ("VERIFF_API_KEY", FAKE_KEY),
    ] {
        let (code, out, err) = env.run_cfg(
            &none,
            &["generate", "--first-name", "A"],
            &[
                (k, v),
                ("VERIFF_BASE_URL", &base),
                ("VERIFF_SHARED_SECRET", FAKE_SECRET),
                ("VERIFF_TUI_LOG", "trace"),
            ],
        );
        assert_ne!(code, 0);
        for s in [FAKE_KEY, FAKE_SECRET] {
            assert!(!leaks(&out, s) && !leaks(&err, s), "leaks: {out}{err}");
        }
    }
    let (code, out, err) = env.run_cfg(
        &none,
        &["config", "check"],
        &[
            ("VERIFF_API_KEY", FAKE_KEY),
            ("VERIFF_BASE_URL", &base),
            ("VERIFF_SHARED_SECRET", FAKE_SECRET),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("••••1ce5") && out.contains("••••4711"),
        "{out}"
    );
    assert!(!leaks(&out, FAKE_KEY) && !leaks(&out, FAKE_SECRET), "{out}");
    assert_eq!(env.sandbox.session_count(), 0);
    // What the failing commands logged, at trace level.
    let log = std::fs::read_to_string(env.log_file()).expect("the commands' log");
    support::assert_traced(&log);
    for s in [FAKE_KEY, FAKE_SECRET] {
        assert!(!leaks(&log, s), "{s} in the log:\n{log}");
    }
}

#[test]
fn files_and_directories_we_create_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let cfg = env.config("c.toml", &env.sandbox_profile("test"), 0o600);
    // Missing parents are created too: none of them may be open to others.
    let data = env.path("a/b/data");
    let data_s = data.display().to_string();
    let cfg_s = cfg.display().to_string();
    let vars = [
        ("VERIFF_TUI_DATA_DIR", data_s.as_str()),
        ("VERIFF_TUI_CONFIG", cfg_s.as_str()),
    ];
    let (code, _, err) = run_cli(&["generate", "--first-name", "Ann"], &vars);
    assert_eq!(code, 0, "{err}");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    for d in [env.path("a"), env.path("a/b"), data.clone()] {
        assert_eq!(mode(&d), 0o700, "{}", d.display());
    }
    let mut files = Vec::new();
    all_files(&data, &mut files);
    assert!(
        files.iter().any(|f| f.ends_with("veriff-tui.log")),
        "{files:?}"
    );
    for f in &files {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
}

#[test]
fn without_a_data_dir_the_log_is_dropped_and_never_shown() {
    let env = Env::new();
    // A file where a parent of the data dir should be: the log cannot be opened.
    std::fs::write(env.path("blocker"), b"").unwrap();
    let data = env.path("blocker/data").display().to_string();
    let cfg = env.path("none.toml").display().to_string();
    let vars = [
        ("VERIFF_TUI_DATA_DIR", data.as_str()),
        ("VERIFF_TUI_CONFIG", cfg.as_str()),
        ("VERIFF_TUI_LOG", "trace"),
    ];
    let (code, out, err) = run_cli(&["config", "path"], &vars);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("log file:"), "{out}");
    // A command that logs at every level (the request, the connection): whatever it makes
    // of the missing history, it does not panic, and no log line lands in its output.
    let (code, out, err) = run_cli(&["--sandbox", "generate", "--first-name", "Ann"], &vars);
    assert_ne!(code, 101, "a panic: {err}");
    for text in [&out, &err] {
        for level in ["TRACE", "DEBUG", " INFO "] {
            assert!(!text.contains(level), "a log line in the output: {text}");
        }
    }
}

#[test]
fn a_config_readable_by_others_with_a_secret_warns_on_every_command() {
    let env = Env::new();
    let cfg = env.config("c.toml", &env.sandbox_profile("test"), 0o644);
    let commands: [&[&str]; 6] = [
        &["generate", "--first-name", "Ann"],
        &["history"],
        &["decision", "--pending"],
        &["config", "check"],
        &["config", "path"],
        &["history", "--move-aside"],
    ];
    let shown = cfg.display().to_string();
    for mode in [0o644, 0o640, 0o604] {
        env.config("c.toml", &env.sandbox_profile("test"), mode);
        for args in commands {
            let (code, _, err) = env.run_cfg(&cfg, args, &[]);
            assert_eq!(code, 0, "{args:?}: {err}");
            assert!(
                err.contains("warning: ")
                    && err.contains(&shown)
                    && err.contains("readable by other users")
                    && err.contains("chmod 600"),
                "{mode:o} {args:?}: {err}"
            );
        }
    }
    env.config("c.toml", &env.sandbox_profile("test"), 0o600);
    for args in commands {
        let (_, _, err) = env.run_cfg(&cfg, args, &[]);
        assert!(!err.contains("readable by other users"), "{args:?}: {err}");
    }
    // No secret in it, nothing to warn about.
    let plain = env.config("plain.toml", "[request]\ntimeout_secs = 5\n", 0o644);
    let (_, _, err) = env.run_cfg(&plain, &["history"], &[]);
    assert!(!err.contains("readable"), "{err}");
}

#[test]
fn environment_values_that_are_not_utf8_are_named() {
    use std::os::unix::ffi::OsStrExt;
    let env = Env::new();
    let bad = std::ffi::OsStr::from_bytes(b"/tmp/\xff\xfe");
    for var in ["VERIFF_TUI_DATA_DIR", "VERIFF_API_KEY", "VERIFF_BASE_URL"] {
        let out = std::process::Command::new(support::BIN)
            .args(["history"])
            .env_clear()
            .env("VERIFF_TUI_CONFIG", env.path("none.toml"))
            .env("VERIFF_TUI_DATA_DIR", env.data_dir())
            .env(var, bad)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{var}: {err}");
        assert!(err.contains(var) && err.contains("not UTF-8"), "{err}");
    }
}

// ---------------------------------------------------------------------------------------
// Configuration mistakes, through the binary: exit 2 and the file, line and column, or the
// variable, named.

#[test]
fn config_files_that_cannot_be_used_are_named_with_line_and_column() {
    let env = Env::new();
    let cases: &[(&str, &[&str])] = &[
        ("\u{0}\u{1}garbage ===\n", &["line 1", "column"]),
        ("just some words\n", &["line 1", "column"]),
        ("[form]\nlang = \"en\"\n[form]\n", &["line 3", "column"]),
        (
            "default_profile = 3\n",
            &["line 1", "default_profile", "text in quotes"],
        ),
        ("[form]\nlang = 1\n", &["line 2", "form.lang"]),
        (
            "[form]\nselfid = \"yes\"\n",
            &["line 2", "form.selfid", "true or false"],
        ),
        (
            "[request]\ntimeout_secs = \"30\"\n",
            &["line 2", "request.timeout_secs", "whole number"],
        ),
        (
            "[request]\ntimeout_secs = -1\n",
            &["line 2", "request.timeout_secs"],
        ),
        (
            "[request]\nsend_lang = 1\n",
            &["line 2", "request.send_lang", "true or false"],
        ),
        (
            "[request]\nsend_features = \"no\"\n",
            &["line 2", "request.send_features"],
        ),
        (
            "[request]\nsend_timestamp = 0\n",
            &["line 2", "request.send_timestamp"],
        ),
        (
            "[ui]\nclipboard = 5\n",
            &["line 2", "ui.clipboard", "wrong type", "in quotes"],
        ),
        (
            "[ui]\nclipboard = \"sometimes\"\n",
            &["line 2", "ui.clipboard", "osc52"],
        ),
        ("[ui]\nmouse = \"no\"\n", &["line 2", "ui.mouse"]),
        (
            "[ui]\nrefresh_interval_secs = true\n",
            &["line 2", "ui.refresh_interval_secs"],
        ),
        (
            "[profiles.t]\nbase_url = 1\n",
            &["line 2", "profiles.t.base_url"],
        ),
        (
            "[profiles.t]\nbase_url = \"https://x\"\napi_key = 5\n",
            &["line 3", "profiles.t.api_key"],
        ),
        (
            "[profiles.t]\nbase_url = \"https://x\"\nlive = \"yes\"\n",
            &["line 3", "profiles.t.live"],
        ),
        (
            "[profiles.t]\nbase_url = \"https://x\"\ncallback = []\n",
            &["line 3", "profiles.t.callback"],
        ),
        (
            "[profiles.t]\nbase_url = \"https://x\"\napi_kee = \"x\"\n",
            &["line 3", "api_kee", "api_key"],
        ),
        (
            "[profiles.t]\napi_key = \"5ec7e7ca-fe00-4bad-b00b-5ec2e7a11ce5\"\n",
            &["base_url", "missing"],
        ),
        ("form = 1\n", &["line 1", "form"]),
        ("profiles = 3\n", &["line 1", "profiles"]),
        ("[colours]\nx = 1\n", &["line 1", "colours"]),
    ];
    for (i, (text, needles)) in cases.iter().enumerate() {
        let cfg = env.config(&format!("bad{i}.toml"), text, 0o600);
        let (code, out, err) = env.run_cfg(&cfg, &["generate", "--first-name", "A"], &[]);
        assert_eq!(code, 2, "{text:?}: {err}");
        assert!(out.is_empty());
        assert!(!err.contains("panicked"));
        assert!(err.contains(&format!("bad{i}.toml")), "{text:?}: {err}");
        for n in *needles {
            assert!(err.contains(n), "{text:?}: {n:?} not in {err}");
        }
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

#[test]
fn empty_config_and_missing_profiles_are_explained() {
    let env = Env::new();
    let empty = env.config("empty.toml", "", 0o600);
    // The settings are shown, and the check fails: nothing could be sent.
    let (code, out, err) = env.run_cfg(&empty, &["config", "check"], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(out.contains("not configured"), "{out}");
    assert!(
        err.contains("no Veriff profile") && err.contains("--sandbox"),
        "{err}"
    );
    let (code, _, err) = env.run_cfg(&empty, &["generate", "--first-name", "A"], &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no Veriff profile") && err.contains("--sandbox"),
        "{err}"
    );

    let two = format!(
        "{}{}",
        env.sandbox_profile("one"),
        env.sandbox_profile("two")
    );
    let cfg = env.config("two.toml", &two, 0o600);
    let (code, _, err) = env.run_cfg(
        &cfg,
        &["generate", "--profile", "three", "--first-name", "A"],
        &[],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("\"three\"") && err.contains("--profile") && err.contains("one, two"),
        "{err}"
    );
    let dflt = env.config(
        "d.toml",
        &format!("default_profile = \"zero\"\n{two}"),
        0o600,
    );
    let (code, _, err) = env.run_cfg(&dflt, &["history"], &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("default_profile") && err.contains("\"zero\"") && err.contains("d.toml"),
        "{err}"
    );
}

#[test]
fn odd_environment_values_are_named() {
    let env = Env::new();
    let none = env.path("none.toml");
    let base = env.sandbox.base_url().to_string();
    let key = env.sandbox.api_key().to_string();
    type Vars<'a> = Vec<(&'a str, &'a str)>;
    let cases: Vec<(Vars, &[&str])> = vec![
        (
            vec![("VERIFF_API_KEY", "   "), ("VERIFF_BASE_URL", &base)],
            &["VERIFF_API_KEY", "not a UUID"],
        ),
        (
            vec![("VERIFF_API_KEY", "not-a-uuid"), ("VERIFF_BASE_URL", &base)],
            &["VERIFF_API_KEY", "not a UUID"],
        ),
        (
            vec![
                ("VERIFF_API_KEY", &key),
                ("VERIFF_BASE_URL", "ftp://example.com"),
            ],
            &["VERIFF_BASE_URL", "ftp://example.com", "http"],
        ),
        (
            vec![("VERIFF_API_KEY", &key), ("VERIFF_BASE_URL", "  ")],
            &["VERIFF_BASE_URL"],
        ),
        (
            vec![("VERIFF_API_KEY", &key), ("VERIFF_BASE_URL", "https://")],
            &["VERIFF_BASE_URL", "host"],
        ),
        (
            vec![
                ("VERIFF_API_KEY", &key),
                ("VERIFF_BASE_URL", &base),
                ("VERIFF_PROFILE", "nothing"),
            ],
            &[
                "VERIFF_PROFILE",
                "\"nothing\"",
                "no profiles are configured. Add [profiles.nothing] to",
            ],
        ),
        (
            vec![("VERIFF_API_KEY", ""), ("VERIFF_BASE_URL", &base)],
            &["VERIFF_API_KEY"],
        ),
        (
            vec![("VERIFF_API_KEY", &key), ("VERIFF_BASE_URL", "")],
            &["VERIFF_BASE_URL"],
        ),
    ];
    let cases = cases.into_iter().chain([(
        vec![
            ("VERIFF_API_KEY", key.as_str()),
            ("VERIFF_BASE_URL", base.as_str()),
            ("VERIFF_SHARED_SECRET", "   "),
        ],
        &["VERIFF_SHARED_SECRET", "only spaces"][..],
    )]);
    for (vars, needles) in cases {
        let (code, out, err) = env.run_cfg(&none, &["generate", "--first-name", "A"], &vars);
        assert_eq!(code, 2, "{vars:?}: {err}");
        assert!(out.is_empty());
        for n in needles {
            assert!(err.contains(n), "{vars:?}: {n:?} not in {err}");
        }
    }
    assert_eq!(env.sandbox.session_count(), 0);
}

#[test]
fn a_search_too_big_for_sqlite_is_refused_in_words_not_sql() {
    let env = Env::new();
    let (code, _, err) = env.run(&["generate", "--first-name", "Ann"]);
    assert_eq!(code, 0, "{err}");
    let many: Vec<String> = (0..300).map(|i| format!("w{i}x")).collect();
    let long = "x".repeat(5000);
    for search in [many.join(" "), long] {
        let (code, out, err) = env.run(&["history", "--search", &search]);
        assert_eq!(code, 2, "{err}");
        assert!(out.is_empty(), "{out}");
        assert!(err.contains("a search holds at most 16 words"), "{err}");
        let lower = err.to_lowercase();
        for sql in [
            "sqlite",
            "expression tree",
            "too many arguments",
            "veriff_has_terms",
        ] {
            assert!(!lower.contains(sql), "raw SQL error: {err}");
        }
    }
    // Sixteen words are still a search.
    let sixteen: Vec<String> = (0..16).map(|i| format!("w{i}")).collect();
    let (code, _, err) = env.run(&["history", "--search", &sixteen.join(" ")]);
    assert_eq!(code, 0, "{err}");
}
