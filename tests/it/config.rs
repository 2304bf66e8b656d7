//! Configuration loading against real files in a temp dir, with an injected environment.

use std::collections::HashMap;
use std::fs;
use std::path::PathBuf;

use tempfile::TempDir;
use veriff_tui::config::{self, ConfigError, Overrides, ProfileSource, Settings};

const KEY_A: &str = "1f0e7a52-8c4d-4e0b-9a3f-2b6c8d9e0a11";
const KEY_B: &str = "2a1b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
const KEY_ENV: &str = "3b2c1d0e-9f8a-4b7c-8d6e-5f4a3b2c1d0e";
const SECRET_A: &str = "shh-very-private-secret-a";
const SECRET_ENV: &str = "shh-env-secret-value";

struct Fixture {
    dir: TempDir,
    overrides: Overrides,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let overrides = Overrides {
            config_file: Some(dir.path().join("config.toml")),
            data_dir: Some(dir.path().join("data")),
            profile: None,
        };
        Self { dir, overrides }
    }

    fn with_file(text: &str) -> Self {
        let f = Self::new();
        f.write(text, 0o600);
        f
    }

    fn path(&self) -> PathBuf {
        self.overrides.config_file.clone().unwrap()
    }

    fn write(&self, text: &str, mode: u32) {
        fs::write(self.path(), text).unwrap();
        set_mode(&self.path(), mode);
    }

    fn load(&self, env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        config::load_with_env(&self.overrides, &move |k| env.get(k).cloned())
    }

    fn err(&self, env: &[(&str, &str)]) -> String {
        match self.load(env) {
            Ok(s) => panic!("expected an error, got {s:?}"),
            Err(e) => e.to_string(),
        }
    }
}

#[cfg(unix)]
fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(not(unix))]
fn set_mode(_path: &std::path::Path, _mode: u32) {}

fn two_profiles() -> String {
    format!(
        r#"
[profiles.test]
base_url = "https://stationapi.veriff.com"
api_key = "{KEY_A}"
shared_secret = "{SECRET_A}"

[profiles.live]
base_url = "https://live.example.com/v1/"
api_key = "{KEY_B}"
live = true
"#
    )
}

fn assert_no_secret(text: &str) {
    for s in [KEY_A, KEY_B, KEY_ENV, SECRET_A, SECRET_ENV] {
        assert!(!text.contains(s), "a secret leaked into: {text}");
    }
}

#[test]
fn no_file_at_all_gives_defaults_and_no_profile() {
    let f = Fixture::new();
    let s = f.load(&[]).unwrap();
    assert!(!s.config_file_found);
    assert_eq!(s.config, config::Config::default());
    assert_eq!(s.config.form.lang, "en");
    assert!(s.config.form.selfid);
    assert_eq!(s.config.request.timeout_secs, 30);
    assert!(s.profile.is_none());
    assert_eq!(s.profile_name, "default");
    assert!(s.warnings.is_empty());
    let err = s.endpoint().unwrap_err().to_string();
    assert!(
        err.contains("--sandbox") && err.contains("VERIFF_API_KEY"),
        "{err}"
    );
    assert_eq!(
        s.paths.history_db,
        f.dir.path().join("data/history.sqlite3")
    );
    assert_eq!(s.paths.log_file, f.dir.path().join("data/veriff-tui.log"));
    assert_eq!(s.paths.export_dir, f.dir.path().join("data/exports"));
}

#[test]
fn empty_file_gives_defaults() {
    let f = Fixture::with_file("");
    let s = f.load(&[]).unwrap();
    assert!(s.config_file_found);
    assert_eq!(s.config, config::Config::default());
    let f = Fixture::with_file("# only a comment\n\n");
    assert_eq!(f.load(&[]).unwrap().config, config::Config::default());
}

#[test]
fn malformed_toml_names_file_line_and_column() {
    let f = Fixture::with_file("[form]\nlang = \"en\"\nselfid = = true\n");
    let err = f.err(&[]);
    assert!(err.contains(&f.path().display().to_string()), "{err}");
    assert!(err.contains("line 3, column 10"), "{err}");
    assert!(err.contains("form.selfid"), "{err}");

    let f = Fixture::with_file("[form\nlang = \"en\"\n");
    let err = f.err(&[]);
    assert!(err.contains("line 1, column 6"), "{err}");
}

#[test]
fn toml_syntax_errors_are_said_in_plain_words() {
    for (text, place, words) in [
        (
            "[profiles.live]\nbase_url = \"https://x\napi_key = \"\"\n",
            "line 2",
            "a string is not closed (missing \"): end it with \" on the same line",
        ),
        (
            "[profiles.live]\nbase_url = 'https://x\n",
            "line 2",
            "a string is not closed (missing '): end it with ' on the same line",
        ),
        (
            "[form]\nlang = \"\"\"en\n",
            "line 3",
            "a multi-line string is not closed: end it with \"\"\"",
        ),
        (
            "[profiles.live\nbase_url = \"x\"\n",
            "line 1",
            "a [table] header is not closed (missing ]): end it with ]",
        ),
        (
            "[profiles.live]\nbase_url = https://x\n",
            "line 2, column 12, key profiles.live.base_url",
            "text must be in quotes",
        ),
        (
            "[form]\nlang = \"en\" de\n",
            "line 2",
            "one key = value per line",
        ),
        (
            "[form]\nlang = \"en\"\nlang = \"de\"\n",
            "line 3",
            "given twice",
        ),
        (
            "[form]\nlang = \"C:\\q\"\n",
            "line 2",
            "write \\\\ for one backslash",
        ),
        (
            "[ui]\nclipboard = [\"a\"\n",
            "line 2",
            "a list is not closed (missing ])",
        ),
    ] {
        let f = Fixture::with_file(text);
        let err = f.err(&[]);
        assert!(err.contains(place), "{text:?}: {err}");
        assert!(err.contains(words), "{text:?}: {err}");
        assert!(!err.contains("expected"), "parser words left: {err}");
    }
}

#[test]
fn garbage_file_is_named() {
    let f = Fixture::new();
    fs::write(f.path(), [0xff, 0xfe, 0x00, 0x41, 0x0a]).unwrap();
    let err = f.err(&[]);
    assert!(err.contains(&f.path().display().to_string()), "{err}");
    assert!(err.contains("not UTF-8"), "{err}");

    let f = Fixture::with_file("\u{1b}[2J this is not toml at all !!!\n");
    let err = f.err(&[]);
    assert!(err.contains("line 1, column"), "{err}");
    assert!(
        !err.contains('\u{1b}'),
        "control characters must not reach the terminal"
    );
}

#[test]
fn unknown_key_is_named_with_its_place() {
    let f = Fixture::with_file("[ui]\nmouse = true\nmosue = false\n");
    let err = f.err(&[]);
    assert!(err.contains("line 3, column 1"), "{err}");
    assert!(err.contains("ui.mosue"), "{err}");
    assert!(err.contains("unknown key \"mosue\""), "{err}");
    assert!(
        err.contains("clipboard"),
        "the allowed keys are listed: {err}"
    );

    let f = Fixture::with_file("colour = \"red\"\n");
    assert!(f.err(&[]).contains("unknown key \"colour\""));

    let f = Fixture::with_file(&format!(
        "[profiles.test]\nbase_url = \"https://x.io\"\napi_key = \"{KEY_A}\"\napikey = \"{KEY_A}\"\n"
    ));
    let err = f.err(&[]);
    assert!(
        err.contains("line 4") && err.contains("profiles.test.apikey"),
        "{err}"
    );
    assert_no_secret(&err);
}

#[test]
fn wrong_type_in_each_section_is_named() {
    let cases = [
        (
            "default_profile = 3\n",
            "line 1, column 19",
            "default_profile",
        ),
        ("[form]\nlang = 3\n", "line 2, column 8", "form.lang"),
        (
            "[form]\nselfid = \"yes\"\n",
            "line 2, column 10",
            "form.selfid",
        ),
        (
            "[request]\ntimeout_secs = \"30\"\n",
            "line 2, column 16",
            "request.timeout_secs",
        ),
        (
            "[request]\nsend_lang = 1\n",
            "line 2, column 13",
            "request.send_lang",
        ),
        (
            "[ui]\nclipboard = \"clipper\"\n",
            "line 2, column 13",
            "ui.clipboard",
        ),
        (
            "[ui]\nrefresh_interval_secs = \"x\"\n",
            "line 2, column 25",
            "ui.refresh_interval_secs",
        ),
        (
            "[profiles.t]\nbase_url = \"https://x.io\"\nlive = \"yes\"\n",
            "line 3, column 8",
            "profiles.t.live",
        ),
        ("[profiles]\nt = 3\n", "line 2, column 5", "profiles.t"),
        ("form = 3\n", "line 1, column 8", "form"),
    ];
    for (text, place, key) in cases {
        let f = Fixture::with_file(text);
        let err = f.err(&[]);
        assert!(err.contains(place), "{text:?}: {err}");
        assert!(err.contains(&format!("key {key}:")), "{text:?}: {err}");
        assert!(
            err.contains("expected") || err.contains("allowed"),
            "{text:?}: {err}"
        );
    }
}

#[test]
fn a_secret_in_the_wrong_place_is_not_repeated() {
    // A secret typed into a boolean key, and a value that breaks the parser.
    let f = Fixture::with_file(&format!(
        "[profiles.t]\nbase_url = \"https://x.io\"\nshared_secret = \"{SECRET_A}\"\nlive = \"{SECRET_A}\"\n"
    ));
    let err = f.err(&[]);
    assert!(err.contains("profiles.t.live"), "{err}");
    assert_no_secret(&err);
    let f = Fixture::with_file(&format!("[profiles.t]\napi_key = {SECRET_A}\n"));
    assert_no_secret(&f.err(&[]));
}

#[test]
fn missing_base_url_is_named() {
    let f = Fixture::with_file(&format!("[profiles.test]\napi_key = \"{KEY_A}\"\n"));
    let err = f.err(&[]);
    assert!(
        err.contains("profiles.test") && err.contains("\"base_url\" is missing"),
        "{err}"
    );
    assert_no_secret(&err);
}

#[test]
fn api_key_that_is_not_a_uuid_names_the_profile() {
    let bad = "not-a-uuid-but-a-long-secretish-value";
    let f = Fixture::with_file(&format!(
        "[profiles.mine]\nbase_url = \"https://x.io\"\napi_key = \"{bad}\"\n"
    ));
    let err = f.err(&[]);
    assert!(err.contains("profiles.mine.api_key"), "{err}");
    assert!(err.contains("not a UUID"), "{err}");
    assert!(
        !err.contains(bad),
        "the key itself must not be shown: {err}"
    );
    assert!(
        err.contains("••••alue"),
        "the masked tail helps find it: {err}"
    );
}

#[test]
fn base_url_that_is_not_http_is_named() {
    for (url, why) in [
        ("ftp://stationapi.veriff.com", "not an http"),
        ("stationapi.veriff.com", "not an http"),
        ("https://", "no host"),
        ("", "empty"),
    ] {
        let f = Fixture::with_file(&format!(
            "[profiles.p]\nbase_url = \"{url}\"\napi_key = \"{KEY_A}\"\n"
        ));
        let err = f.err(&[]);
        assert!(err.contains("profiles.p.base_url"), "{url}: {err}");
        assert!(err.contains(why), "{url}: {err}");
        assert_no_secret(&err);
    }
}

#[test]
fn other_values_are_validated() {
    let cases = [
        ("[request]\ntimeout_secs = 0\n", "request.timeout_secs"),
        (
            "[ui]\nrefresh_interval_secs = 5\n",
            "ui.refresh_interval_secs",
        ),
        ("[form]\nlang = \"english\"\n", "form.lang"),
        ("[form]\nlang = \"en_US\"\n", "form.lang"),
        ("default_profile = \"nope\"\n", "default_profile"),
    ];
    for (text, key) in cases {
        let err = Fixture::with_file(text).err(&[]);
        assert!(err.contains(key), "{text:?}: {err}");
    }
    let ok = "[form]\nlang = \"PT-br\"\n[ui]\nrefresh_interval_secs = 30\n";
    let s = Fixture::with_file(ok).load(&[]).unwrap();
    assert_eq!(s.config.ui.refresh_interval_secs, Some(30));
}

#[test]
fn unknown_profile_lists_the_known_ones() {
    let f = Fixture::with_file(&two_profiles());
    let mut f2 = Fixture::with_file(&two_profiles());
    f2.overrides.profile = Some("staging".into());
    let err = f2.err(&[]);
    assert!(
        err.contains("\"staging\"") && err.contains("--profile"),
        "{err}"
    );
    assert!(err.contains("live, test"), "{err}");

    let err = f.err(&[("VERIFF_PROFILE", "prod")]);
    assert!(
        err.contains("\"prod\"") && err.contains("VERIFF_PROFILE"),
        "{err}"
    );
    assert!(err.contains("live, test"), "{err}");

    let f3 = Fixture::with_file(&format!("default_profile = \"prod\"\n{}", two_profiles()));
    let err = f3.err(&[]);
    assert!(
        err.contains("default_profile") && err.contains("live, test"),
        "{err}"
    );
    assert_no_secret(&err);

    let mut f4 = Fixture::new();
    f4.overrides.profile = Some("x".into());
    assert!(f4.err(&[]).contains("no profiles are configured"));
}

#[test]
fn profile_precedence() {
    let text = format!("default_profile = \"live\"\n{}", two_profiles());
    let mut f = Fixture::with_file(&text);
    let s = f.load(&[]).unwrap();
    assert_eq!(s.profile_name, "live");
    assert_eq!(s.origin.profile_source, ProfileSource::DefaultProfile);
    assert!(s.profile.as_ref().unwrap().live);

    let s = f.load(&[("VERIFF_PROFILE", "test")]).unwrap();
    assert_eq!(s.profile_name, "test");
    assert_eq!(s.origin.profile_source, ProfileSource::Environment);

    f.overrides.profile = Some("live".into());
    let s = f.load(&[("VERIFF_PROFILE", "test")]).unwrap();
    assert_eq!(s.profile_name, "live", "the flag wins over the environment");
    assert_eq!(s.origin.profile_source, ProfileSource::CommandLine);

    // Empty environment values count as unset.
    f.overrides.profile = None;
    let s = f.load(&[("VERIFF_PROFILE", "")]).unwrap();
    assert_eq!(s.profile_name, "live");

    // One profile and no default: that one.
    let one = Fixture::with_file(&format!(
        "[profiles.only]\nbase_url = \"https://x.io\"\napi_key = \"{KEY_A}\"\n"
    ));
    let s = one.load(&[]).unwrap();
    assert_eq!(s.profile_name, "only");
    assert_eq!(s.origin.profile_source, ProfileSource::OnlyProfile);

    // Several and no default: the one named "default", or none.
    let s = Fixture::with_file(&two_profiles()).load(&[]).unwrap();
    assert_eq!(s.profile_name, "default");
    assert!(s.profile.is_none());
}

#[test]
fn environment_overrides_apply_on_top_of_the_profile() {
    let f = Fixture::with_file(&two_profiles());
    let s = f
        .load(&[
            ("VERIFF_PROFILE", "test"),
            ("VERIFF_API_KEY", KEY_ENV),
            ("VERIFF_SHARED_SECRET", SECRET_ENV),
        ])
        .unwrap();
    let p = s.profile.as_ref().unwrap();
    assert_eq!(p.api_key.known(), Some(KEY_ENV));
    assert_eq!(p.shared_secret.known(), Some(SECRET_ENV));
    assert_eq!(p.base_url, "https://stationapi.veriff.com");
    let e = s.endpoint().unwrap();
    assert_eq!(e.api_key, KEY_ENV);
    assert_eq!(e.shared_secret.as_deref(), Some(SECRET_ENV));

    let s = f
        .load(&[
            ("VERIFF_PROFILE", "test"),
            ("VERIFF_BASE_URL", "http://127.0.0.1:9999"),
            ("VERIFF_API_KEY", ""),
        ])
        .unwrap();
    let p = s.profile.as_ref().unwrap();
    assert_eq!(p.base_url, "http://127.0.0.1:9999");
    assert_eq!(
        p.api_key.known(),
        Some(KEY_A),
        "an empty VERIFF_API_KEY is ignored"
    );
}

#[test]
fn environment_alone_synthesises_a_profile() {
    let f = Fixture::new();
    let s = f
        .load(&[
            ("VERIFF_API_KEY", KEY_ENV),
            ("VERIFF_BASE_URL", "https://stationapi.veriff.com"),
        ])
        .unwrap();
    let p = s.profile.as_ref().unwrap();
    assert_eq!(p.api_key.known(), Some(KEY_ENV));
    assert_eq!(p.shared_secret.known(), None);
    assert!(!p.live);
    assert!(s.endpoint().is_ok());

    // A key without a URL is not enough: no profile, and a warning saying what to add.
    let s = f.load(&[("VERIFF_API_KEY", KEY_ENV)]).unwrap();
    assert!(s.profile.is_none());
    assert!(
        s.warnings.iter().any(|w| w.contains("VERIFF_BASE_URL")),
        "{:?}",
        s.warnings
    );
    assert_no_secret(&s.warnings.join("\n"));
}

#[test]
fn odd_environment_values_are_named_as_such() {
    let f = Fixture::with_file(&two_profiles());
    let err = f.err(&[
        ("VERIFF_PROFILE", "test"),
        ("VERIFF_API_KEY", "my secret key value"),
    ]);
    assert!(
        err.contains("VERIFF_API_KEY") && err.contains("environment"),
        "{err}"
    );
    assert!(!err.contains("my secret key value"), "{err}");
    let err = f.err(&[("VERIFF_BASE_URL", "stationapi.veriff.com")]);
    assert!(
        err.contains("VERIFF_BASE_URL") && err.contains("environment"),
        "{err}"
    );
    let err = f.err(&[("VERIFF_BASE_URL", "https://x.io/\u{1b}[2J")]);
    assert!(
        err.contains("VERIFF_BASE_URL") && !err.contains('\u{1b}'),
        "{err}"
    );
}

#[test]
fn flags_win_over_environment_for_paths() {
    let f = Fixture::new();
    let env_dir = f.dir.path().join("from-env");
    let env = |k: &str| match k {
        "VERIFF_TUI_DATA_DIR" => Some(env_dir.display().to_string()),
        "VERIFF_TUI_CONFIG" => Some("/nonexistent/env.toml".to_string()),
        _ => None,
    };
    let s = config::load_with_env(&f.overrides, &env).unwrap();
    assert_eq!(s.paths.data_dir, f.dir.path().join("data"));
    assert_eq!(s.paths.config_file, f.path());

    let none = Overrides::default();
    let p = config::resolve_paths(&none, &env).unwrap();
    assert_eq!(p.data_dir, env_dir);
    assert_eq!(p.history_db, env_dir.join("history.sqlite3"));
    assert_eq!(p.config_file, PathBuf::from("/nonexistent/env.toml"));
}

#[cfg(unix)]
#[test]
fn readable_secret_file_gets_a_warning() {
    let f = Fixture::new();
    f.write(&two_profiles(), 0o644);
    let s = f.load(&[]).unwrap();
    let p = f.path().display().to_string();
    let expected = format!("{p} is readable by other users and holds secrets: run chmod 600 {p}");
    assert_eq!(s.warnings, vec![expected]);
    // Once, on stderr with every command's warnings: `config check` does not repeat it.
    assert!(!s.describe().contains("readable by other users"));

    f.write(&two_profiles(), 0o600);
    assert!(f.load(&[]).unwrap().warnings.is_empty());

    f.write(&two_profiles(), 0o640);
    assert_eq!(
        f.load(&[]).unwrap().warnings.len(),
        1,
        "group-readable counts too"
    );

    // No secret in the file: nothing to warn about.
    f.write("[form]\nlang = \"de\"\n", 0o644);
    assert!(f.load(&[]).unwrap().warnings.is_empty());
    // Secrets kept elsewhere, a command or the keyring, leave none in the file either.
    f.write(
        "[profiles.live]\nbase_url = \"https://x.io\"\napi_key_cmd = [\"pass\", \"show\", \"k\"]\nshared_secret = { keyring = true }\n",
        0o644,
    );
    assert!(f.load(&[]).unwrap().warnings.is_empty());
}

#[test]
fn switch_profile_keeps_the_environment_and_names_the_known_ones() {
    let f = Fixture::with_file(&format!("default_profile = \"test\"\n{}", two_profiles()));
    let mut s = f.load(&[("VERIFF_SHARED_SECRET", SECRET_ENV)]).unwrap();
    assert_eq!(s.profile_name, "test");
    s.switch_profile("live").unwrap();
    assert_eq!(s.profile_name, "live");
    let p = s.profile.as_ref().unwrap();
    assert!(p.live);
    assert_eq!(p.api_key.known(), Some(KEY_B));
    assert_eq!(
        p.shared_secret.known(),
        Some(SECRET_ENV),
        "env still applies"
    );

    let err = s.switch_profile("nope").unwrap_err().to_string();
    assert!(
        err.contains("\"nope\"") && err.contains("live, test"),
        "{err}"
    );
    assert_eq!(s.profile_name, "live", "a failed switch changes nothing");

    // The sandbox can be left and come back to.
    s.use_sandbox(
        "http://127.0.0.1:1",
        "00000000-5a4d-4b0c-8000-5a4db0c5a4db",
        "x-secret",
    );
    assert!(s.sandbox);
    assert_eq!(s.profile_names(), ["sandbox", "live", "test"]);
    s.switch_profile("test").unwrap();
    assert!(!s.sandbox);
    assert_eq!(s.profile.as_ref().unwrap().api_key.known(), Some(KEY_A));
    s.switch_profile("sandbox").unwrap();
    assert!(s.sandbox);
    assert_eq!(s.profile.as_ref().unwrap().base_url, "http://127.0.0.1:1");
}

#[test]
fn describe_shows_everything_but_secrets() {
    let f = Fixture::with_file(&format!(
        "default_profile = \"test\"\n[form]\nlang = \"de\"\n[ui]\nrefresh_interval_secs = 45\n{}",
        two_profiles()
    ));
    let s = f
        .load(&[
            ("VERIFF_API_KEY", KEY_ENV),
            ("VERIFF_SHARED_SECRET", SECRET_ENV),
        ])
        .unwrap();
    let d = s.describe();
    assert_no_secret(&d);
    assert!(d.contains("active profile: test"), "{d}");
    assert!(d.contains("https://stationapi.veriff.com"), "{d}");
    assert!(
        d.contains(&config::mask(KEY_ENV)) && d.contains("(from environment VERIFF_API_KEY)"),
        "{d}"
    );
    assert!(d.contains(&config::mask(SECRET_ENV)), "{d}");
    assert!(d.contains("profiles: live, test"), "{d}");
    assert!(d.contains("lang   = de"), "{d}");
    assert!(d.contains("refresh_interval_secs = 45"), "{d}");
    assert!(d.contains("timeout_secs   = 30"), "{d}");
    for p in [
        &s.paths.config_file,
        &s.paths.history_db,
        &s.paths.log_file,
        &s.paths.export_dir,
    ] {
        assert!(d.contains(&p.display().to_string()), "{d}");
        assert!(s.paths_text().contains(&p.display().to_string()));
    }
    assert_no_secret(&format!("{s:?}"));
}

#[test]
fn secrets_never_reach_an_error() {
    // Every error path with the secrets present in the file and the environment.
    let base = two_profiles();
    let env = [
        ("VERIFF_API_KEY", KEY_ENV),
        ("VERIFF_SHARED_SECRET", SECRET_ENV),
    ];
    let broken = [
        format!("{base}\n[ui]\nmouse = \"{SECRET_A}\"\n"),
        format!("{base}\n[oops\n"),
        format!("{base}\nextra = \"{SECRET_ENV}\"\n"),
        format!("default_profile = \"nope\"\n{base}"),
        format!("{base}\n[request]\ntimeout_secs = 0\n"),
    ];
    for text in broken {
        let err = Fixture::with_file(&text).err(&env);
        assert_no_secret(&err);
    }
    let mut f = Fixture::with_file(&base);
    f.overrides.profile = Some("missing".into());
    assert_no_secret(&f.err(&env));
}

#[cfg(unix)]
#[test]
fn data_dir_is_created_private() {
    use std::os::unix::fs::PermissionsExt;
    let f = Fixture::new();
    let s = f.load(&[]).unwrap();
    s.ensure_data_dir().unwrap();
    let mode = fs::metadata(&s.paths.data_dir)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700);
    s.ensure_data_dir().unwrap();
}

#[test]
fn keys_rebind_actions_and_config_check_shows_them() {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use veriff_tui::keymap::{Action, Context, KeyMap};
    let f = Fixture::with_file(
        "[keys]\nrefresh = \"F5\"\ndown = [\"j\", \"Down\", \"Ctrl+n\"]\nQUIT = \"x\"\n",
    );
    // Action names are lowercase: QUIT is not one.
    let err = f.err(&[]);
    assert!(err.contains("line 4, column 1, key keys.QUIT"), "{err}");

    let f = Fixture::with_file(
        "[keys]\nrefresh = \"F5\"\ndown = [\"j\", \"Down\", \"Ctrl+n\"]\nhelp = \"f1\"\nscreen_generate = \"alt+1\"\n",
    );
    let settings = f.load(&[]).unwrap();
    let keys = KeyMap::from_config(&settings.config.keys).unwrap();
    let press = |code, mods| KeyEvent::new(code, mods);
    assert_eq!(
        keys.action(Context::List, &press(KeyCode::F(5), KeyModifiers::NONE)),
        Some(Action::Refresh)
    );
    assert_eq!(
        keys.action(
            Context::List,
            &press(KeyCode::Char('r'), KeyModifiers::NONE)
        ),
        None,
        "r no longer refreshes"
    );
    assert_eq!(
        keys.action(
            Context::List,
            &press(KeyCode::Char('n'), KeyModifiers::CONTROL)
        ),
        Some(Action::Down)
    );
    // F1 was the Generate screen's; the file gave that screen Alt+1 alone and F1 to help.
    assert_eq!(
        keys.action(Context::Field, &press(KeyCode::F(1), KeyModifiers::NONE)),
        Some(Action::Help)
    );
    let text = settings.describe();
    assert!(text.contains("[keys]\n  refresh = F5\n"), "{text}");
    assert!(text.contains("  down = j, Down, Ctrl+n\n"), "{text}");
}

#[test]
fn bad_keys_are_named_with_their_place() {
    for (text, place, what) in [
        (
            "[ui]\nmouse = true\n\n[keys]\nrefresh = \"F5\"\nrefesh = \"r\"\n",
            "line 6, column 1, key keys.refesh",
            "\"refesh\" is not an action",
        ),
        (
            "[keys]\ndown = [\"j\", \"Ctrl+Down\", \"Ctrl+Dwn\"]\n",
            "line 2, column 27, key keys.down",
            "\"Ctrl+Dwn\" is not a key for down: \"Dwn\" is not a key name",
        ),
        (
            "[keys]\nexport = \"Hyper+e\"\n",
            "line 2, column 10, key keys.export",
            "\"Hyper\" is not a modifier",
        ),
        (
            "[keys]\nexport = 5\n",
            "line 2, column 10, key keys.export",
            "wrong type",
        ),
        // Two actions with one key where both act: the list's delete is d.
        (
            "[keys]\nrefresh = \"d\"\n",
            "line 2, column 11, key keys.refresh",
            "d is bound to both refresh and delete in the Generated tokens list",
        ),
        // Both written: the later one is named.
        (
            "[keys]\nnext_field = \"Ctrl+N\"\ngenerate = [\"Ctrl+S\", \"ctrl+n\"]\n",
            "line 3, column 23, key keys.generate",
            "Ctrl+N is bound to both generate and next_field",
        ),
        (
            "[keys]\nprofile = \"Ctrl+C\"\n",
            "line 2, column 11, key keys.profile",
            "Ctrl+C always quits",
        ),
        (
            "[keys]\nforce_quit = \"Ctrl+Q\"\n",
            "line 2, column 1, key keys.force_quit",
            "cannot be rebound",
        ),
    ] {
        let f = Fixture::with_file(text);
        let err = f.err(&[]);
        assert!(err.contains(&f.path().display().to_string()), "{err}");
        assert!(err.contains(place), "{place}: {err}");
        assert!(err.contains(what), "{what}: {err}");
    }
    // The same key in places that never show together is fine: y answers a question and
    // copies a URL; F5 refreshes the list and fills in Approve on the form.
    let f = Fixture::with_file("[keys]\nrefresh = \"F5\"\nyes = [\"y\", \"Enter\"]\n");
    f.load(&[]).unwrap();
}
