//! Configuration: profiles (one per Veriff integration), form defaults, request switches,
//! UI settings; where files live; environment overrides; validation.
//!
//! This file holds the model (what a config file may say) and the paths; `load` reads it
//! and applies the environment, `parse` turns TOML errors into plain words, `validate`
//! checks values, `settings` is the resolved configuration of one run, `secret` is where a
//! profile's secrets come from (the file, the environment, a command run by
//! `secret_command`, the OS keyring through `keyring`).

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::veriff::{Endpoint, LegacyFields};

pub mod keyring;
mod load;
mod parse;
mod secret;
mod secret_command;
mod settings;
mod validate;

use load::*;
pub use load::{load, load_with_env, resolve, resolve_paths};
pub use parse::parse_config_text;
use parse::*;
pub use secret::{Place, Secret, SecretField};
pub(crate) use validate::check_http_url;
use validate::*;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClipboardMode {
    #[default]
    Auto,
    Native,
    Osc52,
    Off,
}

/// How the TUI measures text (README, Troubleshooting): as the terminal is found to, per
/// code point (`wcwidth`: tmux, xterm, VTE), or per grapheme cluster (mode 2027).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TextWidth {
    #[default]
    Auto,
    Codepoint,
    Grapheme,
}

/// The whole config file. Unknown keys are errors (a typo must not be silently ignored).
/// Read, never written back: nothing serialises a config (and with it, its secrets).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub default_profile: Option<String>,
    pub form: FormDefaults,
    pub request: RequestSettings,
    pub ui: UiSettings,
    pub profiles: BTreeMap<String, Profile>,
    /// Key bindings of the TUI: action name to key(s), replacing that action's defaults.
    pub keys: crate::keymap::KeysConfig,
    /// Where the history is kept: `[history]`.
    pub history: HistoryConfig,
    /// `veriff-tui sandbox`.
    pub sandbox: SandboxSettings,
}

/// `[history]`: without `url` the history is the SQLite file in the data dir; with it, a
/// team's shared history on that PostgreSQL server (`VERIFF_TUI_HISTORY_URL` wins).
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HistoryConfig {
    /// `postgres://user@host/db?sslmode=require`; a password in it is never shown.
    pub url: Option<String>,
    /// The name the records made here are written under (default: the OS user).
    pub operator: Option<String>,
}

impl std::fmt::Debug for HistoryConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HistoryConfig")
            .field(
                "url",
                &self.url.as_deref().map(crate::history::pg::url::redact),
            )
            .field("operator", &self.operator)
            .finish()
    }
}

/// `[sandbox]`: what `veriff-tui sandbox` runs with when its flags do not say.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SandboxSettings {
    /// Where it sends its webhooks (`--webhook-url`); none are sent without it.
    pub webhook_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FormDefaults {
    pub lang: String,
    pub selfid: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RequestSettings {
    pub send_lang: bool,
    pub send_features: bool,
    pub send_timestamp: bool,
    pub timeout_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiSettings {
    pub clipboard: ClipboardMode,
    pub mouse: bool,
    /// Auto-refresh of pending decisions while the TUI is open; off when `None`; at least 30.
    pub refresh_interval_secs: Option<u64>,
    pub text_width: TextWidth,
}

/// One Veriff integration. Its secrets each come from one source (see [`Secret`]).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "ProfileFile")]
pub struct Profile {
    pub base_url: String,
    pub api_key: Secret,
    pub shared_secret: Secret,
    pub integration_id: Option<String>,
    /// Default callback URL prefilled in the form.
    pub callback: Option<String>,
    /// A live (production) integration: marked LIVE in the UI.
    pub live: bool,
    /// Secrets `listen` also accepts on this integration's webhooks, besides
    /// `shared_secret`: while Veriff's shared secret is being rotated, webhooks may be
    /// signed with the old one or the new one.
    pub webhook_secrets: Vec<String>,
    /// `[profiles.NAME.defaults]`: the session fields beyond the names this integration
    /// fills in when the operator leaves them empty (`document_country = "EE"`).
    pub defaults: crate::veriff::Extras,
}

/// A `[profiles.NAME]` table as written: each secret has two keys, its value (or
/// `{ keyring = true }`) and its command, of which at most one may be given.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    base_url: String,
    #[serde(default)]
    api_key: Option<secret::SecretValue>,
    #[serde(default)]
    api_key_cmd: Option<secret::SecretCommand>,
    #[serde(default)]
    shared_secret: Option<secret::SecretValue>,
    #[serde(default)]
    shared_secret_cmd: Option<secret::SecretCommand>,
    #[serde(default)]
    integration_id: Option<String>,
    #[serde(default)]
    callback: Option<String>,
    #[serde(default)]
    live: bool,
    #[serde(default)]
    webhook_secrets: Vec<String>,
    #[serde(default)]
    defaults: ProfileDefaults,
}

/// `[profiles.NAME.defaults]` as written: the keys of `veriff::Extras`, consents a list.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ProfileDefaults {
    #[serde(default)]
    end_user_id: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    date_of_birth: String,
    #[serde(default)]
    gender: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    document_number: String,
    #[serde(default)]
    document_type: String,
    #[serde(default)]
    document_country: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    consents: Vec<String>,
}

impl From<ProfileDefaults> for crate::veriff::Extras {
    fn from(d: ProfileDefaults) -> Self {
        crate::veriff::Extras {
            end_user_id: d.end_user_id,
            id_number: d.id_number,
            date_of_birth: d.date_of_birth,
            gender: d.gender,
            email: d.email,
            phone: d.phone,
            document_number: d.document_number,
            document_type: d.document_type,
            document_country: d.document_country,
            address: d.address,
            consents: d.consents,
        }
    }
}

impl TryFrom<ProfileFile> for Profile {
    type Error = String;

    fn try_from(f: ProfileFile) -> Result<Self, String> {
        Ok(Profile {
            base_url: f.base_url,
            api_key: secret::from_keys(SecretField::ApiKey, f.api_key, f.api_key_cmd)?,
            shared_secret: secret::from_keys(
                SecretField::SharedSecret,
                f.shared_secret,
                f.shared_secret_cmd,
            )?,
            integration_id: f.integration_id,
            callback: f.callback,
            live: f.live,
            webhook_secrets: f.webhook_secrets,
            defaults: f.defaults.into(),
        })
    }
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key)
            .field("shared_secret", &self.shared_secret)
            .field("integration_id", &self.integration_id)
            .field("callback", &self.callback)
            .field("live", &self.live)
            .field(
                "webhook_secrets",
                &self
                    .webhook_secrets
                    .iter()
                    .map(|s| mask(s))
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Default for FormDefaults {
    fn default() -> Self {
        Self {
            lang: "en".into(),
            selfid: true,
        }
    }
}

impl Default for RequestSettings {
    fn default() -> Self {
        Self {
            send_lang: true,
            send_features: true,
            send_timestamp: true,
            timeout_secs: 30,
        }
    }
}

impl Default for UiSettings {
    fn default() -> Self {
        Self {
            clipboard: ClipboardMode::Auto,
            mouse: false,
            refresh_interval_secs: None,
            text_width: TextWidth::Auto,
        }
    }
}

/// Every path the app uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub config_file: PathBuf,
    pub data_dir: PathBuf,
    pub history_db: PathBuf,
    pub log_file: PathBuf,
    /// Where CSV/JSON exports are written.
    pub export_dir: PathBuf,
}

impl Paths {
    /// The paths derived from a config file and a data dir.
    pub fn new(config_file: PathBuf, data_dir: PathBuf) -> Self {
        Self {
            history_db: data_dir.join(HISTORY_FILE),
            log_file: data_dir.join(LOG_FILE),
            export_dir: data_dir.join(EXPORT_DIR),
            config_file,
            data_dir,
        }
    }

    /// The text of `veriff-tui config path`: one `name: path` line per path.
    pub fn text(&self) -> String {
        format!(
            "config file: {}\ndata dir:    {}\nhistory:     {}\nlog file:    {}\nexports:     {}\n",
            shown_path(&self.config_file),
            shown_path(&self.data_dir),
            shown_path(&self.history_db),
            shown_path(&self.log_file),
            shown_path(&self.export_dir),
        )
    }
}

/// What the command line says (flags win over environment, environment over the file).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub profile: Option<String>,
}

/// The configuration as resolved for this run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub config: Config,
    pub paths: Paths,
    /// Whether the config file exists (running without one is fine).
    pub config_file_found: bool,
    /// Name of the active profile.
    pub profile_name: String,
    /// The active profile, with environment overrides applied; `None` when nothing is
    /// configured at all (the UI then says how to configure one or use `--sandbox`).
    pub profile: Option<Profile>,
    /// True when the active profile is an in-process sandbox.
    pub sandbox: bool,
    /// Non-fatal findings to show the user (e.g. a secret in a world-readable file).
    pub warnings: Vec<String>,
    /// How the active profile was chosen, and what a later profile switch needs to resolve
    /// it the same way (the environment as captured at load).
    pub origin: Origin,
}

/// The environment variables that override the config file, as captured at load.
/// Empty values are dropped at capture, as if unset.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct EnvValues {
    pub profile: Option<String>,
    pub api_key: Option<String>,
    pub shared_secret: Option<String>,
    pub base_url: Option<String>,
}

impl std::fmt::Debug for EnvValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvValues")
            .field("profile", &self.profile)
            .field("api_key", &self.api_key.as_deref().map(mask))
            .field("shared_secret", &self.shared_secret.as_deref().map(mask))
            .field("base_url", &self.base_url)
            .finish()
    }
}

impl EnvValues {
    /// Reads `VERIFF_PROFILE`, `VERIFF_API_KEY`, `VERIFF_SHARED_SECRET`, `VERIFF_BASE_URL`.
    pub fn capture(env: &dyn Fn(&str) -> Option<String>) -> Self {
        let get = |k: &str| env(k).filter(|v| !v.is_empty());
        Self {
            profile: get(ENV_PROFILE),
            api_key: get(ENV_API_KEY),
            shared_secret: get(ENV_SHARED_SECRET),
            base_url: get(ENV_BASE_URL),
        }
    }
}

/// Where the active profile's name came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProfileSource {
    /// `--profile`, or a profile switch in the UI.
    CommandLine,
    /// `VERIFF_PROFILE`.
    Environment,
    /// `default_profile` in the file.
    DefaultProfile,
    /// The file has exactly one profile.
    OnlyProfile,
    /// Nothing chose one: the name `default`.
    #[default]
    Fallback,
    /// An in-process sandbox (`--sandbox`).
    Sandbox,
}

impl ProfileSource {
    fn words(self) -> &'static str {
        match self {
            Self::CommandLine => "chosen with --profile",
            Self::Environment => "from VERIFF_PROFILE",
            Self::DefaultProfile => "default_profile in the config file",
            Self::OnlyProfile => "the only profile in the config file",
            Self::Fallback => "no profile chosen: using the name \"default\"",
            Self::Sandbox => "the built-in sandbox",
        }
    }
}

/// How the active profile was resolved.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// The environment overrides as captured at load; they apply again after a switch.
    pub env: EnvValues,
    pub profile_source: ProfileSource,
    /// Fields of the active profile that an environment variable set (`api_key`, ...).
    pub env_fields: Vec<&'static str>,
    /// The profile given by `use_sandbox`, kept so a switch can come back to it.
    pub sandbox_profile: Option<Profile>,
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("{0}")]
    Invalid(String),
}

/// The profile name of the in-process sandbox (`--sandbox`), which exists while it runs.
pub const SANDBOX_PROFILE: &str = "sandbox";

pub const ENV_CONFIG_FILE: &str = "VERIFF_TUI_CONFIG";
pub const ENV_DATA_DIR: &str = "VERIFF_TUI_DATA_DIR";
pub const ENV_PROFILE: &str = "VERIFF_PROFILE";
pub const ENV_API_KEY: &str = "VERIFF_API_KEY";
pub const ENV_SHARED_SECRET: &str = "VERIFF_SHARED_SECRET";
pub const ENV_BASE_URL: &str = "VERIFF_BASE_URL";
/// The shared history's URL, over `[history] url`.
pub const ENV_HISTORY_URL: &str = "VERIFF_TUI_HISTORY_URL";

const APP_NAME: &str = "veriff-tui";
const CONFIG_FILE: &str = "config.toml";
const HISTORY_FILE: &str = "history.sqlite3";
const LOG_FILE: &str = "veriff-tui.log";
const EXPORT_DIR: &str = "exports";
const FALLBACK_PROFILE: &str = "default";
const MIN_REFRESH_SECS: u64 = 30;

/// Masks a secret for display: only the last 4 characters survive (`••••1a2b`).
pub fn mask(secret: &str) -> String {
    let n = secret.chars().count();
    if n == 0 {
        return "(not set)".into();
    }
    let tail: String = secret.chars().skip(n.saturating_sub(4)).collect();
    if n <= 4 {
        "••••".into()
    } else {
        format!("••••{tail}")
    }
}

fn shown_path(p: &Path) -> String {
    crate::text::sanitize(&p.display().to_string())
}

/// Creates `path` (and missing parents) readable by the owner only (0700 on unix). An
/// existing directory is left as it is.
pub fn create_private_dir(path: &Path) -> io::Result<()> {
    if path.is_dir() {
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_config_parses_and_validates() {
        let text = include_str!("../../config.example.toml");
        let config = parse_config_text(text, Path::new("config.example.toml")).unwrap();
        assert!(config.profiles.contains_key("test"));
        assert_eq!(config.default_profile.as_deref(), Some("test"));
        validate_config(&config, Path::new("config.example.toml")).unwrap();
        // The commented sandbox profile must match the sandbox's real credentials.
        assert!(text.contains(&format!(
            "# api_key = \"{}\"",
            crate::sandbox::SANDBOX_API_KEY
        )));
        assert!(text.contains(&format!(
            "# shared_secret = \"{}\"",
            crate::sandbox::SANDBOX_SHARED_SECRET
        )));
        // The commented live profile, once uncommented, takes its secrets from a command
        // and the keyring, as its comments say.
        let live: String = text
            .lines()
            .skip_while(|l| *l != "# [profiles.live]")
            // To the blank line that ends the block.
            .map_while(|l| l.strip_prefix("# "))
            .filter(|l| {
                l.starts_with("[profiles.")
                    || l.split_once(" = ").is_some_and(|(k, _)| !k.contains(' '))
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let parsed = parse_config_text(&live, Path::new("live.toml")).unwrap();
        let p = &parsed.profiles["live"];
        assert_eq!(
            p.api_key.origin().as_deref(),
            Some("command: pass"),
            "{live}"
        );
        assert!(p.shared_secret.is_keyring(), "{live}");
        assert!(p.live);
        assert_eq!(parsed.profiles.len(), 1, "{live}");
        // ... and the port `veriff-tui sandbox` listens on by default.
        assert!(text.contains(&format!(
            "# base_url = \"http://127.0.0.1:{}\"",
            crate::cli::DEFAULT_SANDBOX_PORT
        )));
    }

    #[test]
    fn line_and_column_count_characters() {
        let text = "a = 1\nbé = \"x\"\n";
        assert_eq!(line_col(text, 0), (1, 1));
        let off = text.find('=').unwrap();
        assert_eq!(line_col(text, off), (1, 3));
        let off = text.find('"').unwrap();
        assert_eq!(line_col(text, off), (2, 6));
    }

    #[test]
    fn key_is_read_from_the_table_and_line() {
        let text = "[profiles.test]\nbase_url = 3\n\n[ui]\n\"mouse\" = 1\n";
        assert_eq!(
            key_at(text, text.find('3').unwrap()).as_deref(),
            Some("profiles.test.base_url")
        );
        assert_eq!(
            key_at(text, text.find('1').unwrap()).as_deref(),
            Some("ui.mouse")
        );
        assert_eq!(key_at(text, 3).as_deref(), Some("profiles.test"));
    }

    #[test]
    fn no_home_names_the_flags() {
        let env = |_: &str| None;
        let err = resolve_paths_from(&Overrides::default(), &env, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("--config"), "{err}");
        let only_config = Overrides {
            config_file: Some("/x/c.toml".into()),
            ..Default::default()
        };
        let err = resolve_paths_from(&only_config, &env, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("--data-dir"), "{err}");
        let both = Overrides {
            config_file: Some("/x/c.toml".into()),
            data_dir: Some("/d".into()),
            profile: None,
        };
        let p = resolve_paths_from(&both, &env, None).unwrap();
        assert_eq!(p.history_db, PathBuf::from("/d/history.sqlite3"));
    }

    #[test]
    fn scrub_masks_secrets_seen_in_the_text() {
        let text = "[profiles.a]\napi_key = \"abcdef-secret\" # note\nshared_secret='s3cr3t-x'\n";
        let secrets = secret_values_in(text);
        assert_eq!(secrets, ["abcdef-secret", "s3cr3t-x"]);
        let e = scrub(
            ConfigError::Invalid("bad abcdef-secret and s3cr3t-x\u{1b}".into()),
            &secrets,
        );
        assert_eq!(e.to_string(), "bad ••••cret and ••••3t-x");
    }

    #[test]
    fn urls_and_langs() {
        for ok in [
            "https://stationapi.veriff.com",
            "http://127.0.0.1:8080/v1/",
            "HTTPS://x.io",
            "http://[::1]:9/",
        ] {
            assert!(check_http_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ftp://x",
            "https://",
            "https:///v1",
            "stationapi.veriff.com",
            "http://:80",
            "https://a b",
            "http://127.0.0.1:80@evil.example/",
            "http://localhost:x@evil/",
            "http://[::1]:1@evil/",
            "https:\\\\x.io",
        ] {
            assert!(check_http_url(bad).is_err(), "{bad}");
        }
        for ok in ["en", "EN", "pt-BR", "zh-Hant", "de-at"] {
            assert!(crate::veriff::is_valid_lang(ok), "{ok}");
        }
        for bad in ["", "e", "eng", "en-", "en-B", "en-ABCDE", "e1", "en_US"] {
            assert!(!crate::veriff::is_valid_lang(bad), "{bad}");
        }
    }
}
