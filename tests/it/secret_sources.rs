//! Secrets at rest, through the real binary against the sandbox on loopback: a profile's
//! API key and shared secret from a command (`api_key_cmd`), from the OS keyring
//! (`{ keyring = true }`, `config set-secret`), from the file or the environment; each
//! failure said plainly, and no secret in any output or log.

use crate::support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use support::SandboxEnv;

/// A secret no other text holds: any sighting in an output is a leak.
const PRINTED: &str = "printed-SECRET-9f8e7d6c5b4a";

struct Env(SandboxEnv);

impl Env {
    fn new() -> Env {
        Env(SandboxEnv::new())
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.path(name)
    }

    fn key(&self) -> String {
        self.0.sandbox.api_key().to_string()
    }

    fn secret(&self) -> String {
        self.0.sandbox.shared_secret().to_string()
    }

    /// Writes a shell script and returns the argv that runs it, as a TOML list. Run by
    /// `sh FILE`: the script file is only read, never executed itself, so no "text file
    /// busy" can come from another test's fork while it is written.
    fn script(&self, name: &str, body: &str) -> String {
        let path = self.path(name);
        std::fs::write(&path, format!("{body}\n")).unwrap();
        format!("[\"sh\", '{}']", path.display())
    }

    /// A script that appends a line to `COUNTER` at each run, then prints `value`.
    fn counted(&self, name: &str, value: &str) -> String {
        let counter = self.path(&format!("{name}.runs"));
        self.script(
            name,
            &format!(
                "echo run >> '{}'\nprintf '%s\\n' '{value}'",
                counter.display()
            ),
        )
    }

    /// How many times the script `name` of [`Env::counted`] ran.
    fn runs(&self, name: &str) -> usize {
        std::fs::read_to_string(self.path(&format!("{name}.runs")))
            .map(|t| t.lines().count())
            .unwrap_or(0)
    }

    /// The config file, private as it should be.
    fn config(&self, text: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let p = self.path("config.toml");
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        p
    }

    /// `[profiles.NAME]` at the sandbox with `rest` as its secret lines.
    fn profile(&self, name: &str, rest: &str) -> String {
        format!(
            "[profiles.{name}]\nbase_url = \"{}\"\n{rest}\n",
            self.0.sandbox.base_url()
        )
    }

    fn vars(&self, cfg: &Path) -> Vec<(String, String)> {
        vec![
            (
                "VERIFF_TUI_DATA_DIR".into(),
                self.0.data_dir().display().to_string(),
            ),
            ("VERIFF_TUI_CONFIG".into(), cfg.display().to_string()),
            ("VERIFF_TUI_LOG".into(), "trace".into()),
        ]
    }

    /// Runs the binary with only the data dir, the config file, a trace-level log and
    /// `extra` in its environment (and PATH and HOME).
    fn run(&self, cfg: &Path, args: &[&str], extra: &[(&str, &str)]) -> (i32, String, String) {
        let vars = self.vars(cfg);
        let mut env: Vec<(&str, &str)> =
            vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        env.extend_from_slice(extra);
        support::run_cli(args, &env)
    }

    /// [`Env::run`] with `input` on the binary's stdin.
    fn run_with_input(
        &self,
        cfg: &Path,
        args: &[&str],
        extra: &[(&str, &str)],
        input: &str,
    ) -> (i32, String, String) {
        let mut cmd = Command::new(support::BIN);
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env(
                "HOME",
                std::env::var("HOME").unwrap_or_else(|_| "/tmp".into()),
            )
            .envs(self.vars(cfg))
            .envs(extra.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("run veriff-tui");
        let mut stdin = child.stdin.take().expect("its stdin");
        // It may exit without reading: a closed pipe is no failure of the test.
        let _ = stdin.write_all(input.as_bytes());
        drop(stdin);
        let out = child.wait_with_output().expect("its output");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.0.log_file()).unwrap_or_default()
    }
}

fn masked(secret: &str) -> String {
    format!("••••{}", &secret[secret.len() - 4..])
}

#[test]
fn secrets_from_commands_make_a_session_and_each_command_runs_once_per_process() {
    let env = Env::new();
    let key = env.counted("key.sh", &env.key());
    let secret = env.counted("secret.sh", &env.secret());
    // Another profile whose command would fail: never run, as it is never used.
    let other = env.counted("other.sh", "");
    let cfg = env.config(&format!(
        "default_profile = \"live\"\n{}{}",
        env.profile(
            "live",
            &format!("api_key_cmd = {key}\nshared_secret_cmd = {secret}")
        ),
        env.profile("other", &format!("api_key_cmd = {other}")),
    ));
    // Commands that need no secret run none.
    for args in [&["history"][..], &["config", "path"]] {
        let (code, _, err) = env.run(&cfg, args, &[]);
        assert_eq!(code, 0, "{args:?}: {err}");
    }
    assert_eq!((env.runs("key.sh"), env.runs("secret.sh")), (0, 0));

    let (code, out, err) = env.run(&cfg, &["generate", "--first-name", "Ann"], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("http://127.0.0.1:"), "{out}");
    assert_eq!((env.runs("key.sh"), env.runs("secret.sh")), (1, 1));
    let (code, _, err) = env.run(&cfg, &["generate", "--first-name", "Bob"], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!((env.runs("key.sh"), env.runs("secret.sh")), (2, 2));
    let (code, _, err) = env.run(&cfg, &["decision", "--pending"], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!((env.runs("key.sh"), env.runs("secret.sh")), (3, 3));
    // `config check` needs the secrets twice, to show them and to check that the profile
    // can send: still one run each.
    let (code, _, err) = env.run(&cfg, &["config", "check"], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!((env.runs("key.sh"), env.runs("secret.sh")), (4, 4));
    assert_eq!(env.runs("other.sh"), 0);
    assert_eq!(env.0.sandbox.session_count(), 2);
    // The sandbox checked the signature: the shared secret from the command was used.
    let log = env.log();
    support::assert_traced(&log);
    for s in [env.key(), env.secret()] {
        assert!(!log.contains(&s), "{s} in the log:\n{log}");
    }
}

#[test]
fn a_wrong_secret_from_a_command_is_used_as_given() {
    // The proof that the command's output, not something else, signs the request: the
    // sandbox refuses a signature made with another secret.
    let env = Env::new();
    let key = env.counted("key.sh", &env.key());
    let secret = env.counted("secret.sh", "not-the-sandbox-secret");
    let cfg = env.config(&env.profile(
        "live",
        &format!("api_key_cmd = {key}\nshared_secret_cmd = {secret}"),
    ));
    let (code, _, err) = env.run(&cfg, &["generate", "--first-name", "Ann"], &[]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("1819") || err.contains("signature"), "{err}");
    assert_eq!(env.0.sandbox.session_count(), 0);
}

#[test]
fn a_secret_commands_environment_holds_none_of_our_variables_and_it_gets_no_input() {
    let env = Env::new();
    let env_dump = env.path("env.txt");
    let stdin_seen = env.path("stdin.txt");
    let key = env.script(
        "key.sh",
        &format!(
            "env > '{}'\nif read -r line; then echo \"read: $line\" > '{}'; else echo eof > '{}'; fi\nprintf '%s\\n' '{}'",
            env_dump.display(),
            stdin_seen.display(),
            stdin_seen.display(),
            env.key()
        ),
    );
    let cfg = env.config(&env.profile("live", &format!("api_key_cmd = {key}")));
    let secret = env.secret();
    // The shared secret from our environment, which the command must not see; and typing
    // on our stdin, which it must not read.
    let (code, out, err) = env.run_with_input(
        &cfg,
        &["generate", "--first-name", "Ann"],
        &[
            ("VERIFF_SHARED_SECRET", &secret),
            ("VERIFF_PROFILE", "live"),
        ],
        "typed-by-the-operator\n",
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("http://"), "{out}");
    let dump = std::fs::read_to_string(&env_dump).expect("the command ran");
    assert!(!dump.contains("VERIFF_"), "{dump}");
    assert!(!dump.contains(&secret), "{dump}");
    assert!(
        dump.lines().any(|l| l.starts_with("PATH="))
            && dump.lines().any(|l| l.starts_with("HOME=")),
        "what `pass` and the like need is kept: {dump}"
    );
    assert_eq!(std::fs::read_to_string(&stdin_seen).unwrap(), "eof\n");
}

#[test]
fn a_command_that_gives_no_secret_is_a_clear_config_error() {
    let env = Env::new();
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        (
            "api_key_cmd",
            env.script(
                "fails.sh",
                &format!(
                    "printf '%s\\n' '{PRINTED}'\necho 'pass: veriff/live-key is not in the password store ({PRINTED})' >&2\nexit 1"
                ),
            ),
            vec!["command \"sh\"", "failed (exit status 1)", "is not in the password store"],
        ),
        (
            "api_key_cmd",
            env.script("empty.sh", "exit 0"),
            vec!["command \"sh\"", "printed nothing"],
        ),
        (
            "shared_secret_cmd",
            env.script("blank.sh", "printf '  \\n\\t\\n'"),
            vec!["printed nothing"],
        ),
        (
            "shared_secret_cmd",
            env.script("stderr.sh", "echo 'gpg: decryption failed: No secret key' >&2"),
            vec!["printed nothing, saying: gpg: decryption failed: No secret key"],
        ),
        (
            "api_key_cmd",
            "[\"veriff-tui-no-such-program\", \"show\", \"veriff/live-key\"]".to_string(),
            vec![
                "command \"veriff-tui-no-such-program\"",
                "no such program was found",
            ],
        ),
        (
            "api_key_cmd",
            env.script("notkey.sh", &format!("printf '%s\\n' '{PRINTED}'")),
            vec!["command \"sh\"", "printed something that is no API key", "not a UUID"],
        ),
    ];
    for (key, argv, words) in cases {
        let other = if key == "api_key_cmd" {
            format!("shared_secret = \"{}\"", env.secret())
        } else {
            format!("api_key = \"{}\"", env.key())
        };
        let cfg = env.config(&env.profile("live", &format!("{key} = {argv}\n{other}")));
        let (field, var) = if key == "api_key_cmd" {
            ("API key", "VERIFF_API_KEY")
        } else {
            ("shared secret", "VERIFF_SHARED_SECRET")
        };
        let (code, out, err) = env.run(&cfg, &["generate", "--first-name", "Ann"], &[]);
        assert_eq!(code, 2, "{argv}: {err}");
        assert!(out.is_empty(), "{out}");
        assert!(
            err.starts_with(&format!(
                "error: the profile \"live\" takes its {field} from the command"
            )),
            "{argv}: {err}"
        );
        assert!(err.contains(&format!("({key})")), "{err}");
        for w in words {
            assert!(err.contains(w), "{argv}: {w:?} not in {err}");
        }
        assert!(
            err.contains("Run it yourself")
                && err.contains(&cfg.display().to_string())
                && err.contains(var),
            "what to do next: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(!err.contains(PRINTED) && !out.contains(PRINTED), "{err}");
        // `config check` shows the settings, then the same error.
        let (code, out, err) = env.run(&cfg, &["config", "check"], &[]);
        assert_eq!(code, 2, "{err}");
        assert!(
            out.contains("(not available: see the error below)  (from command: "),
            "{out}"
        );
        assert!(err.contains("takes its"), "{err}");
        assert!(
            !err.contains(PRINTED) && !out.contains(PRINTED),
            "{out}{err}"
        );
    }
    assert_eq!(env.0.sandbox.session_count(), 0);
    let log = env.log();
    support::assert_traced(&log);
    assert!(!log.contains(PRINTED), "in the log:\n{log}");
    assert!(log.contains("the secret command gave no secret"), "{log}");
}

#[test]
fn two_sources_for_one_secret_are_refused_at_the_second() {
    let env = Env::new();
    let key = env.key();
    for (lines, place, what) in [
        (
            format!("api_key = \"{key}\"\napi_key_cmd = [\"pass\", \"show\", \"k\"]"),
            "line 4, column 15, key profiles.live.api_key_cmd",
            "the API key is given twice, by api_key and by api_key_cmd",
        ),
        (
            "shared_secret_cmd = [\"pass\"]\nshared_secret = { keyring = true }".to_string(),
            "line 4, column 17, key profiles.live.shared_secret",
            "the shared secret is given twice",
        ),
        (
            "api_key_cmd = \"pass show veriff/live-key\"".to_string(),
            "line 3, column 15, key profiles.live.api_key_cmd",
            "a command is a list of its program and arguments",
        ),
        (
            "api_key_cmd = []".to_string(),
            "line 3, column 15, key profiles.live.api_key_cmd",
            "the command is empty",
        ),
        (
            "shared_secret = { keyring = false }".to_string(),
            "line 3, column 17, key profiles.live.shared_secret",
            "write { keyring = true }",
        ),
        (
            "shared_secret = { keychain = true }".to_string(),
            "line 3, column 17, key profiles.live.shared_secret",
            "unknown key \"keychain\"",
        ),
    ] {
        let cfg = env.config(&env.profile("live", &lines));
        let (code, out, err) = env.run(&cfg, &["generate", "--first-name", "Ann"], &[]);
        assert_eq!(code, 2, "{lines}: {err}");
        assert!(out.is_empty());
        assert!(err.contains(&cfg.display().to_string()), "{err}");
        assert!(err.contains(place), "{lines}: {place:?} not in {err}");
        assert!(err.contains(what), "{lines}: {what:?} not in {err}");
        assert!(!err.contains(&key), "{err}");
    }
    assert_eq!(env.0.sandbox.session_count(), 0);
}

#[test]
fn config_check_says_where_each_secret_came_from() {
    let env = Env::new();
    let key = env.counted("key.sh", &env.key());
    let cfg = env.config(&env.profile(
        "live",
        &format!("api_key_cmd = {key}\nshared_secret = \"{}\"", env.secret()),
    ));
    let (code, out, err) = env.run(&cfg, &["config", "check"], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!(
            "  api_key        = {}  (from command: sh)\n",
            masked(&env.key())
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "  shared_secret  = {}  (from file)\n",
            masked(&env.secret())
        )),
        "{out}"
    );
    assert_eq!(env.runs("key.sh"), 1);
    // The environment wins, and the command it replaces is not run.
    let other_key = "3b2c1d0e-9f8a-4b7c-8d6e-5f4a3b2c1d0e";
    let (code, out, err) = env.run(
        &cfg,
        &["config", "check"],
        &[
            ("VERIFF_API_KEY", other_key),
            ("VERIFF_SHARED_SECRET", PRINTED),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!(
            "  api_key        = {}  (from environment VERIFF_API_KEY)\n",
            masked(other_key)
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "  shared_secret  = {}  (from environment VERIFF_SHARED_SECRET)\n",
            masked(PRINTED)
        )),
        "{out}"
    );
    assert_eq!(
        env.runs("key.sh"),
        1,
        "the command was run although overridden"
    );
    for s in [
        env.key(),
        env.secret(),
        other_key.to_string(),
        PRINTED.to_string(),
    ] {
        assert!(
            !out.contains(&s) && !err.contains(&s),
            "{s} shown:\n{out}{err}"
        );
    }
}

/// The environment of a machine with no keyring service: a session bus address where no
/// bus listens (on a desktop, the tests must not reach the real keyring either).
#[cfg(all(unix, not(target_os = "macos")))]
fn no_keyring(env: &Env) -> [(&'static str, String); 2] {
    [
        (
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}", env.path("no-bus").display()),
        ),
        (
            "XDG_RUNTIME_DIR",
            env.path("no-runtime").display().to_string(),
        ),
    ]
}

#[cfg(all(unix, not(target_os = "macos")))]
#[test]
fn the_keyring_on_a_machine_without_one_is_a_clear_error() {
    let env = Env::new();
    let cfg = env.config(&env.profile(
        "live",
        &format!(
            "api_key = \"{}\"\nshared_secret = {{ keyring = true }}",
            env.key()
        ),
    ));
    let vars = no_keyring(&env);
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (code, out, err) = env.run(&cfg, &["generate", "--first-name", "Ann"], &vars);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(
        err.starts_with(
            "error: the profile \"live\" takes its shared secret from the OS keyring, and no keyring service is reachable here"
        ),
        "{err}"
    );
    assert!(
        err.contains("shared_secret_cmd") && err.contains("VERIFF_SHARED_SECRET"),
        "what to use instead: {err}"
    );
    assert_eq!(env.0.sandbox.session_count(), 0);
    let (code, out, err) = env.run(&cfg, &["config", "check"], &vars);
    assert_eq!(code, 2, "{err}");
    assert!(
        out.contains("  shared_secret  = (not available: see the error below)  (from keyring)"),
        "{out}"
    );
    // A command that needs no secret never touches the keyring.
    let (code, _, err) = env.run(&cfg, &["history"], &vars);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("keyring"), "{err}");

    // Storing one: refused before the secret is read, and the secret piped in is not
    // repeated.
    let (code, out, err) = env.run_with_input(
        &cfg,
        &[
            "config",
            "set-secret",
            "--profile",
            "live",
            "--shared-secret",
        ],
        &vars,
        &format!("{PRINTED}\n"),
    );
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("cannot store the shared secret of profile \"live\": no keyring service is reachable here"),
        "{err}"
    );
    assert!(!err.contains(PRINTED), "{err}");
    let log = env.log();
    support::assert_traced(&log);
    assert!(!log.contains(PRINTED), "{log}");
}

#[test]
fn set_secret_takes_no_secret_on_the_command_line() {
    let env = Env::new();
    let cfg = env.config(&env.profile("live", "shared_secret = { keyring = true }"));
    for args in [
        &["config", "set-secret", "--shared-secret", PRINTED][..],
        &[
            "config",
            "set-secret",
            "--shared-secret",
            "--value",
            PRINTED,
        ],
        // One of the two secrets must be named, and only one.
        &["config", "set-secret"],
        &["config", "set-secret", "--api-key", "--shared-secret"],
    ] {
        let (code, out, _) = env.run(&cfg, args, &[]);
        assert_eq!(code, 2, "{args:?}");
        assert!(out.is_empty(), "{out}");
    }
}

#[test]
fn the_tui_fetches_the_secrets_before_it_starts_and_only_then() {
    let env = Env::new();
    let key = env.counted("key.sh", &env.key());
    let secret = env.counted("secret.sh", &env.secret());
    let cfg = env.config(&env.profile(
        "live",
        &format!("api_key_cmd = {key}\nshared_secret_cmd = {secret}"),
    ));
    let vars = env.vars(&cfg);
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut tui = support::Tui::spawn(&[], &vars, 100, 30);
    tui.wait_for("Generate general session");
    // Run before the first screen, while the terminal was still the shell's.
    assert_eq!((env.runs("key.sh"), env.runs("secret.sh")), (1, 1));
    tui.type_text("Ann");
    tui.wait_for("Ann");
    tui.send("\x13"); // Ctrl+S
    tui.wait_for("Session created");
    assert_eq!((env.runs("key.sh"), env.runs("secret.sh")), (1, 1));
    tui.send("\x03");
    assert_eq!(tui.wait_exit(), 0);
    assert_eq!(env.0.sandbox.session_count(), 1);

    // A command that fails: the TUI starts and says so at once.
    let failing = env.script("fails.sh", "echo 'the vault is sealed' >&2\nexit 1");
    let cfg = env.config(&env.profile("live", &format!("api_key_cmd = {failing}")));
    let vars = env.vars(&cfg);
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut tui = support::Tui::spawn(&[], &vars, 200, 30);
    tui.wait_for("the profile \"live\" takes its API key from the command \"sh\"");
    tui.send("\x03");
    assert_eq!(tui.wait_exit(), 0);
}

/// A session bus and a Secret Service (gnome-keyring) of the test's own, unlocked, in its
/// temp dir: the real keyring path (D-Bus, the service's encrypted session) without the
/// user's keyring. Needs dbus-daemon, dbus-send and gnome-keyring-daemon (`apt-get install
/// dbus gnome-keyring`; .ci/run does). Both daemons are stopped when it is dropped.
#[cfg(target_os = "linux")]
struct PrivateKeyring {
    bus: std::process::Child,
    keyring: std::process::Child,
    vars: Vec<(&'static str, String)>,
}

#[cfg(target_os = "linux")]
impl PrivateKeyring {
    fn start(dir: &Path) -> PrivateKeyring {
        use std::io::BufRead;
        let runtime = dir.join("keyring-runtime");
        std::fs::create_dir_all(&runtime).unwrap();
        let missing = |what: &str| {
            format!(
                "{what} is needed for the OS keyring test and was not found: install dbus and gnome-keyring (apt-get install dbus gnome-keyring; .ci/run does)"
            )
        };
        let mut bus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .arg(format!("--address=unix:path={}", dir.join("bus").display()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|_| panic!("{}", missing("dbus-daemon")));
        // Printed once it listens.
        let mut address = String::new();
        std::io::BufReader::new(bus.stdout.take().expect("its stdout"))
            .read_line(&mut address)
            .expect("the bus address");
        let vars = vec![
            ("DBUS_SESSION_BUS_ADDRESS", address.trim().to_string()),
            ("XDG_RUNTIME_DIR", runtime.display().to_string()),
        ];
        let mut keyring = Command::new("gnome-keyring-daemon")
            .args(["--unlock", "--foreground", "--components=secrets"])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", dir)
            .env("XDG_DATA_HOME", dir.join("keyring-data"))
            .envs(vars.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|_| panic!("{}", missing("gnome-keyring-daemon")));
        // The password of its new login keyring, which --unlock reads to the end.
        let mut stdin = keyring.stdin.take().expect("its stdin");
        stdin.write_all(b"test-keyring-password").unwrap();
        drop(stdin);
        let this = PrivateKeyring { bus, keyring, vars };
        // Ready once it owns the Secret Service's name on the bus.
        let start = std::time::Instant::now();
        loop {
            let owned = Command::new("dbus-send")
                .args([
                    "--session",
                    "--print-reply",
                    "--dest=org.freedesktop.DBus",
                    "/",
                    "org.freedesktop.DBus.NameHasOwner",
                    "string:org.freedesktop.secrets",
                ])
                .envs(this.vars.iter().map(|(k, v)| (*k, v.as_str())))
                .output()
                .unwrap_or_else(|_| panic!("{}", missing("dbus-send")));
            if String::from_utf8_lossy(&owned.stdout).contains("boolean true") {
                return this;
            }
            assert!(
                start.elapsed() < support::DEADLINE,
                "gnome-keyring-daemon did not take org.freedesktop.secrets"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    fn vars(&self) -> Vec<(&str, &str)> {
        self.vars.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }
}

#[cfg(target_os = "linux")]
impl Drop for PrivateKeyring {
    fn drop(&mut self) {
        for child in [&mut self.keyring, &mut self.bus] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[cfg(target_os = "linux")]
#[test]
fn the_keyring_keeps_what_set_secret_stores_and_the_profile_reads_it() {
    let env = Env::new();
    let keyring = PrivateKeyring::start(env.0.dir.path());
    let vars = keyring.vars();
    let cfg = env.config(&env.profile(
        "live",
        "api_key = { keyring = true }\nshared_secret = { keyring = true }",
    ));
    let (code, _, err) = env.run(&cfg, &["generate", "--first-name", "Ann"], &vars);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("the keyring holds no entry for it (service veriff-tui, account live/api_key). Store it with `veriff-tui config set-secret --profile live --api-key`"),
        "{err}"
    );

    let (key, secret) = (env.key(), env.secret());
    // The API key piped in.
    let (code, out, err) = env.run_with_input(
        &cfg,
        &["config", "set-secret", "--profile", "live", "--api-key"],
        &vars,
        &format!("{key}\n"),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        format!(
            "stored the API key {} of profile \"live\" in the OS keyring (service veriff-tui, account live/api_key)\n",
            masked(&key)
        )
    );
    assert!(err.is_empty(), "the profile reads it: no note. {err}");
    // The shared secret typed on a terminal: asked for, and not shown as it is typed.
    let mut all = env.vars(&cfg);
    all.extend(keyring.vars.iter().map(|(k, v)| (k.to_string(), v.clone())));
    let all: Vec<(&str, &str)> = all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut tty = support::Tui::spawn(
        &[
            "config",
            "set-secret",
            "--profile",
            "live",
            "--shared-secret",
        ],
        &all,
        120,
        10,
    );
    tty.wait_for("Shared secret of profile \"live\" (typing is not shown): ");
    // The prompt is written just before echo is switched off: a person types after that,
    // and so does the test.
    tty.wait_until("echo off", |_| {
        tty.stty().split_whitespace().any(|flag| flag == "-echo")
    });
    tty.type_text(&secret);
    tty.send("\r");
    assert_eq!(tty.wait_exit(), 0, "{}", tty.screen());
    let screen = tty.screen();
    assert!(
        screen.contains(&format!(
            "stored the shared secret {} of profile \"live\" in the OS keyring (service veriff-tui, account live/shared_secret)",
            masked(&secret)
        )),
        "{screen}"
    );
    assert!(
        !support::contains(&tty.raw(), secret.as_bytes()),
        "echoed: {screen}"
    );
    let (code, out, err) = env.run(&cfg, &["config", "check"], &vars);
    assert_eq!(code, 0, "{err}");
    for (field, value) in [("api_key       ", &key), ("shared_secret ", &secret)] {
        assert!(
            out.contains(&format!("  {field} = {}  (from keyring)\n", masked(value))),
            "{out}"
        );
    }
    // The sandbox checks the signature: the stored shared secret made it.
    let (code, url, err) = env.run(&cfg, &["generate", "--first-name", "Ann"], &vars);
    assert_eq!(code, 0, "{err}");
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert_eq!(env.0.sandbox.session_count(), 1);
    let log = env.log();
    support::assert_traced(&log);
    for s in [&key, &secret] {
        assert!(!log.contains(s.as_str()), "{s} in the log:\n{log}");
    }
}
