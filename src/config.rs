//! Configuration: profiles (one per Veriff integration), form defaults, request switches,
//! UI settings; where files live; environment overrides; validation.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::veriff::{Endpoint, LegacyFields};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClipboardMode {
    #[default]
    Auto,
    Native,
    Osc52,
    Off,
}

/// The whole config file. Unknown keys are errors (a typo must not be silently ignored).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub default_profile: Option<String>,
    pub form: FormDefaults,
    pub request: RequestSettings,
    pub ui: UiSettings,
    pub profiles: BTreeMap<String, Profile>,
    /// Key bindings of the TUI: action name to key(s), replacing that action's defaults.
    pub keys: crate::keymap::KeysConfig,
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
}

/// One Veriff integration.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub base_url: String,
    #[serde(default)]
    pub api_key: String,
    #[serde(default)]
    pub shared_secret: Option<String>,
    #[serde(default)]
    pub integration_id: Option<String>,
    /// Default callback URL prefilled in the form.
    #[serde(default)]
    pub callback: Option<String>,
    /// A live (production) integration: marked LIVE in the UI.
    #[serde(default)]
    pub live: bool,
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile")
            .field("base_url", &self.base_url)
            .field("api_key", &mask(&self.api_key))
            .field("shared_secret", &self.shared_secret.as_deref().map(mask))
            .field("integration_id", &self.integration_id)
            .field("callback", &self.callback)
            .field("live", &self.live)
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

/// Loads settings from the real environment.
pub fn load(overrides: &Overrides) -> Result<Settings, ConfigError> {
    // A variable that is not UTF-8 would otherwise read as unset: silently another data
    // dir, or no key.
    for var in [
        ENV_CONFIG_FILE,
        ENV_DATA_DIR,
        ENV_PROFILE,
        ENV_API_KEY,
        ENV_SHARED_SECRET,
        ENV_BASE_URL,
    ] {
        if let Err(std::env::VarError::NotUnicode(_)) = std::env::var(var) {
            let instead = match var {
                ENV_CONFIG_FILE => " (or pass --config PATH)",
                ENV_DATA_DIR => " (or pass --data-dir PATH)",
                _ => "",
            };
            return Err(ConfigError::Invalid(format!(
                "the environment variable {var} is not UTF-8 text: fix or unset it{instead}"
            )));
        }
    }
    load_with_env(overrides, &|k| std::env::var(k).ok())
}

/// Loads settings; `env` looks up environment variables (injectable for tests).
pub fn load_with_env(
    overrides: &Overrides,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Settings, ConfigError> {
    let paths = resolve_paths(overrides, env)?;
    let env_values = EnvValues::capture(env);
    let file = read_config_file(&paths.config_file)?;
    let secrets = file.secrets.clone();
    let mut settings = resolve(
        file.config,
        paths,
        file.found,
        env_values,
        overrides.profile.as_deref(),
    )
    .map_err(|e| scrub(e, &secrets))?;
    if let Some(w) = file.warning {
        settings.warnings.insert(0, w);
    }
    Ok(settings)
}

/// Every path, from the flags, the environment and the platform's directories; needs no
/// config file (so `config path` works even when the file is broken).
pub fn resolve_paths(
    overrides: &Overrides,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Paths, ConfigError> {
    let dirs = directories::ProjectDirs::from("", "", APP_NAME)
        .map(|d| (d.config_dir().to_path_buf(), d.data_dir().to_path_buf()));
    resolve_paths_from(overrides, env, dirs)
}

/// `platform_dirs`: the platform's (config dir, data dir) for the app; `None` when the
/// home directory is unknown.
fn resolve_paths_from(
    overrides: &Overrides,
    env: &dyn Fn(&str) -> Option<String>,
    platform_dirs: Option<(PathBuf, PathBuf)>,
) -> Result<Paths, ConfigError> {
    let from_env = |k: &str| env(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    let no_home = |what: &str, flag: &str, var: &str| {
        ConfigError::Invalid(format!(
            "cannot find your home directory (is HOME set?), so there is no default {what}: pass {flag} PATH or set {var}"
        ))
    };
    let config_file = match overrides
        .config_file
        .clone()
        .or_else(|| from_env(ENV_CONFIG_FILE))
    {
        Some(p) => p,
        None => match &platform_dirs {
            Some((config_dir, _)) => config_dir.join(CONFIG_FILE),
            None => return Err(no_home("config file", "--config", ENV_CONFIG_FILE)),
        },
    };
    let data_dir = match overrides
        .data_dir
        .clone()
        .or_else(|| from_env(ENV_DATA_DIR))
    {
        Some(p) => p,
        None => match &platform_dirs {
            Some((_, data_dir)) => data_dir.clone(),
            None => return Err(no_home("data directory", "--data-dir", ENV_DATA_DIR)),
        },
    };
    Ok(Paths::new(config_file, data_dir))
}

/// The file as read: its config, whether it exists, a permission warning, and the secret
/// values seen in its text (so no error message can repeat them).
struct FileContents {
    config: Config,
    found: bool,
    warning: Option<String>,
    secrets: Vec<String>,
}

fn read_config_file(path: &Path) -> Result<FileContents, ConfigError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(FileContents {
                config: Config::default(),
                found: false,
                warning: None,
                secrets: Vec::new(),
            });
        }
        Err(e) => {
            return Err(ConfigError::Invalid(format!(
                "cannot read the config file {}: {e}. Check that it is a readable file, or point --config at another one.",
                shown_path(path)
            )));
        }
    };
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let valid = String::from_utf8_lossy(&e.as_bytes()[..offset]).into_owned();
            let (line, column) = line_col(&valid, offset);
            return Err(ConfigError::Invalid(format!(
                "{}, line {line}, column {column}: the file is not UTF-8 text. Save it as UTF-8 (TOML requires it).",
                shown_path(path)
            )));
        }
    };
    let secrets = secret_values_in(&text);
    let config = parse_config_text(&text, path).map_err(|e| scrub(e, &secrets))?;
    let holds_secret = config.profiles.values().any(|p| {
        !p.api_key.is_empty() || p.shared_secret.as_deref().is_some_and(|s| !s.is_empty())
    });
    let warning = if holds_secret {
        readable_by_others_warning(path)
    } else {
        None
    };
    Ok(FileContents {
        config,
        found: true,
        warning,
        secrets,
    })
}

#[cfg(unix)]
fn readable_by_others_warning(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    (mode & 0o044 != 0).then(|| {
        let p = shown_path(path);
        format!("{p} is readable by other users and holds secrets: run chmod 600 {p}")
    })
}

#[cfg(not(unix))]
fn readable_by_others_warning(_path: &Path) -> Option<String> {
    None
}

/// Parses the text of a config file; errors name `path`, the line, the column and the key.
pub fn parse_config_text(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let secrets = || secret_values_in(text);
    let config = toml::from_str::<Config>(text).map_err(|e| {
        let what = plain_toml_message(e.message());
        scrub(located_error(text, path, e.span(), &what), &secrets())
    })?;
    // `[keys]`: an unknown action, a bad key name or a clash, at its place in the file.
    if let Err(e) = crate::keymap::KeyMap::from_config(&config.keys) {
        return Err(scrub(
            located_error(text, path, e.span, &e.message),
            &secrets(),
        ));
    }
    Ok(config)
}

/// `FILE, line L, column C, key K: what. Fix the file…`, the place as far as known.
fn located_error(
    text: &str,
    path: &Path,
    span: Option<std::ops::Range<usize>>,
    what: &str,
) -> ConfigError {
    let mut out = shown_path(path);
    if let Some(span) = span {
        let (line, column) = line_col(text, span.start);
        out.push_str(&format!(", line {line}, column {column}"));
        if let Some(key) = key_at(text, span.start) {
            out.push_str(&format!(", key {key}"));
        }
    }
    out.push_str(&format!(
        ": {what}. Fix the file (config.example.toml documents every key) or point --config at another one."
    ));
    ConfigError::Invalid(out)
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// The dotted key an error at `offset` is about, read from the text: the table header in
/// force plus the key left of `=` on that line. `None` when the line does not look like a
/// key (inside a multi-line value, say).
fn key_at(text: &str, offset: usize) -> Option<String> {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line = text[line_start..line_end].trim();
    let looks_like_key = |k: &str| {
        !k.is_empty()
            && k.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '"' | '\'' | ' '))
    };
    let header = |l: &str| -> Option<String> {
        let l = l.trim();
        let inner = l.strip_prefix("[[").and_then(|r| r.split("]]").next());
        let inner = inner.or_else(|| l.strip_prefix('[').and_then(|r| r.split(']').next()))?;
        let inner = inner.trim();
        looks_like_key(inner).then(|| tidy_key(inner))
    };
    if line.starts_with('[') {
        return header(line);
    }
    let table = text[..line_start]
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('['))
        .and_then(header);
    let (left, _) = line.split_once('=')?;
    let left = left.trim();
    if !looks_like_key(left) {
        return None;
    }
    let key = tidy_key(left);
    Some(match table {
        Some(t) => format!("{t}.{key}"),
        None => key,
    })
}

fn tidy_key(k: &str) -> String {
    k.split('.')
        .map(|part| part.trim().trim_matches(|c| c == '"' || c == '\''))
        .collect::<Vec<_>>()
        .join(".")
}

/// Rewrites serde/toml wording into plain words, and drops the offending value itself
/// (it may be a secret typed into the wrong key).
fn plain_toml_message(msg: &str) -> String {
    let msg = msg.trim();
    let strip = |s: &str| s.replace('`', "\"");
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        let (name, rest) = rest.split_once('`').unwrap_or((rest, ""));
        let allowed = rest
            .trim_start_matches(',')
            .trim()
            .strip_prefix("expected one of ")
            .or_else(|| {
                rest.trim_start_matches(',')
                    .trim()
                    .strip_prefix("expected ")
            })
            .map(|a| a.replace('`', ""));
        return match allowed {
            Some(a) => format!("unknown key \"{name}\" (the keys allowed here are: {a})"),
            None => format!("unknown key \"{name}\" (no keys are allowed here)"),
        };
    }
    // An enum given something that is not a word (toml's own wording).
    if msg.starts_with("wanted string or table") || msg.starts_with("wanted string or inline table")
    {
        return "wrong type: expected one of the words documented for this key, in quotes".into();
    }
    if let Some(rest) = msg.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or(rest);
        return format!("the required key \"{name}\" is missing");
    }
    if let Some(rest) = msg.strip_prefix("unknown variant `") {
        let allowed = rest
            .split_once("expected one of ")
            .map(|(_, a)| a.replace('`', ""))
            .or_else(|| {
                rest.split_once("expected ")
                    .map(|(_, a)| a.replace('`', ""))
            });
        return match allowed {
            Some(a) => format!("unknown value; the values allowed are: {a}"),
            None => "unknown value".into(),
        };
    }
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = msg.strip_prefix(prefix) {
            let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
            let found = found.split_whitespace().next().unwrap_or("");
            let found = match found {
                "string" => "text",
                "integer" => "a number",
                "floating" => "a decimal number",
                "boolean" => "true or false",
                "map" => "a table",
                "sequence" => "a list",
                "" => "something else",
                other => other,
            };
            let expected = plain_expected(expected);
            return if prefix == "invalid value: " {
                format!("wrong value: expected {expected}")
            } else {
                format!("wrong type: expected {expected}, found {found}")
            };
        }
    }
    strip(msg)
}

fn plain_expected(e: &str) -> String {
    let e = e.trim();
    match e {
        "a boolean" | "bool" => "true or false".into(),
        "u64" | "u32" | "usize" | "u16" | "u8" => "a whole number (0 or more)".into(),
        "i64" | "i32" => "a whole number".into(),
        "a string" | "string" => "text in quotes".into(),
        "a map" | "map" => "a table".into(),
        "a sequence" => "a list".into(),
        _ if e.starts_with("struct ") => "a table".into(),
        _ if e.starts_with("enum ") => "one of the documented words".into(),
        _ if e.is_empty() => "another type".into(),
        _ => e.replace('`', "\""),
    }
}

/// Values assigned to `api_key` or `shared_secret` anywhere in a text, even one that does
/// not parse: no message built from the text may repeat them.
fn secret_values_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some((left, right)) = line.split_once('=') else {
            continue;
        };
        let left = left.trim().trim_matches(|c| c == '"' || c == '\'');
        if !(left.ends_with("api_key") || left.ends_with("shared_secret")) {
            continue;
        }
        let right = right.trim();
        let value = match right.chars().next() {
            Some(q @ ('"' | '\'')) => right[1..].split(q).next().unwrap_or(""),
            _ => right.split('#').next().unwrap_or("").trim(),
        };
        if value.chars().count() >= 4 {
            out.push(value.to_string());
        }
    }
    out
}

fn scrub(e: ConfigError, secrets: &[String]) -> ConfigError {
    let ConfigError::Invalid(mut msg) = e;
    for s in secrets {
        if s.chars().count() >= 4 && msg.contains(s.as_str()) {
            msg = msg.replace(s.as_str(), &mask(s));
        }
    }
    ConfigError::Invalid(crate::text::sanitize(&msg))
}

/// Builds the settings from a config already read: validates it, chooses the profile and
/// applies the environment overrides. `profile_override` is `--profile`.
pub fn resolve(
    config: Config,
    paths: Paths,
    config_file_found: bool,
    env: EnvValues,
    profile_override: Option<&str>,
) -> Result<Settings, ConfigError> {
    let secrets = secrets_of(&config, &env);
    validate_config(&config, &paths.config_file).map_err(|e| scrub(e, &secrets))?;
    validate_env(&env).map_err(|e| scrub(e, &secrets))?;
    let (name, source) = choose_profile(&config, &env, profile_override, &paths.config_file)
        .map_err(|e| scrub(e, &secrets))?;
    let mut settings = Settings {
        config,
        paths,
        config_file_found,
        profile_name: String::new(),
        profile: None,
        sandbox: false,
        warnings: Vec::new(),
        origin: Origin {
            env,
            profile_source: source,
            env_fields: Vec::new(),
            sandbox_profile: None,
        },
    };
    settings.activate(name, source);
    if settings.profile.is_none()
        && (settings.origin.env.api_key.is_some() || settings.origin.env.shared_secret.is_some())
        && settings.origin.env.base_url.is_none()
    {
        settings.warnings.push(format!(
            "{ENV_API_KEY} or {ENV_SHARED_SECRET} is set but there is no profile \"{}\" and no {ENV_BASE_URL}: set {ENV_BASE_URL} too (e.g. https://stationapi.veriff.com), or add the profile to {}",
            crate::text::sanitize(&settings.profile_name),
            shown_path(&settings.paths.config_file)
        ));
    }
    Ok(settings)
}

fn secrets_of(config: &Config, env: &EnvValues) -> Vec<String> {
    let mut out: Vec<String> = config
        .profiles
        .values()
        .flat_map(|p| [Some(p.api_key.clone()), p.shared_secret.clone()])
        .flatten()
        .collect();
    out.extend(env.api_key.iter().cloned());
    out.extend(env.shared_secret.iter().cloned());
    out.retain(|s| !s.is_empty());
    out
}

fn choose_profile(
    config: &Config,
    env: &EnvValues,
    profile_override: Option<&str>,
    config_file: &Path,
) -> Result<(String, ProfileSource), ConfigError> {
    let chosen = profile_override
        .filter(|p| !p.is_empty())
        .map(|p| (p.to_string(), ProfileSource::CommandLine))
        .or_else(|| env.profile.clone().map(|p| (p, ProfileSource::Environment)))
        .or_else(|| {
            config
                .default_profile
                .clone()
                .filter(|p| !p.is_empty())
                .map(|p| (p, ProfileSource::DefaultProfile))
        });
    if let Some((name, source)) = chosen {
        if !config.profiles.contains_key(&name) {
            let from = match source {
                ProfileSource::CommandLine => "given with --profile".to_string(),
                ProfileSource::Environment => {
                    format!("given by the environment variable {ENV_PROFILE}")
                }
                _ => format!("named by default_profile in {}", shown_path(config_file)),
            };
            return Err(unknown_profile(&name, &from, config, config_file));
        }
        return Ok((name, source));
    }
    if config.profiles.len() == 1
        && let Some(only) = config.profiles.keys().next()
    {
        return Ok((only.clone(), ProfileSource::OnlyProfile));
    }
    Ok((FALLBACK_PROFILE.to_string(), ProfileSource::Fallback))
}

fn unknown_profile(name: &str, from: &str, config: &Config, config_file: &Path) -> ConfigError {
    let known = known_profiles_text(config);
    let choose = if config.profiles.is_empty() {
        ""
    } else {
        " or choose one of those"
    };
    ConfigError::Invalid(format!(
        "there is no profile \"{}\" ({from}); {known}. Add [profiles.{}] to {}{choose}.",
        crate::text::sanitize(name),
        crate::text::sanitize(name),
        shown_path(config_file)
    ))
}

fn known_profiles_text(config: &Config) -> String {
    if config.profiles.is_empty() {
        "no profiles are configured".into()
    } else {
        let names: Vec<String> = config
            .profiles
            .keys()
            .map(|n| crate::text::sanitize(n))
            .collect();
        format!("the profiles configured are: {}", names.join(", "))
    }
}

fn validate_config(config: &Config, path: &Path) -> Result<(), ConfigError> {
    let file = shown_path(path);
    let err = |msg: String| Err(ConfigError::Invalid(format!("{file}: {msg}")));
    if let Some(d) = config.default_profile.as_deref()
        && !d.is_empty()
        && !config.profiles.contains_key(d)
    {
        return err(format!(
            "default_profile names \"{}\", which is not a profile; {}.",
            crate::text::sanitize(d),
            known_profiles_text(config)
        ));
    }
    for (name, p) in &config.profiles {
        let name = crate::text::sanitize(name);
        if !p.api_key.is_empty()
            && let Err(why) = check_uuid(&p.api_key)
        {
            return err(format!(
                "profiles.{name}.api_key {why}. Copy the API key from your integration's page in the Veriff Customer Portal."
            ));
        }
        if let Err(why) = check_http_url(&p.base_url) {
            return err(format!(
                "profiles.{name}.base_url \"{}\" {why} (for example https://stationapi.veriff.com).",
                crate::text::sanitize(&p.base_url)
            ));
        }
        if let Some(cb) = p.callback.as_deref().filter(|c| !c.is_empty())
            && let Err(why) = check_http_url(cb)
        {
            return err(format!(
                "profiles.{name}.callback \"{}\" {why}.",
                crate::text::sanitize(cb)
            ));
        }
    }
    if config.request.timeout_secs < 1 {
        return err("request.timeout_secs must be at least 1 (seconds).".into());
    }
    if let Some(r) = config.ui.refresh_interval_secs
        && r < MIN_REFRESH_SECS
    {
        return err(format!(
            "ui.refresh_interval_secs is {r}; it must be at least {MIN_REFRESH_SECS} (seconds), or left out to turn auto-refresh off."
        ));
    }
    if let Err(e) = crate::keymap::KeyMap::from_config(&config.keys) {
        return err(format!("keys: {}.", e.message));
    }
    if !crate::veriff::is_valid_lang(&config.form.lang) {
        return err(format!(
            "form.lang \"{}\" is not a language code: use two letters, optionally with a region (en, de, pt-BR).",
            crate::text::sanitize(&config.form.lang)
        ));
    }
    Ok(())
}

fn validate_env(env: &EnvValues) -> Result<(), ConfigError> {
    // The client would drop a blank secret and send unsigned requests without a word.
    if env
        .shared_secret
        .as_deref()
        .is_some_and(|s| s.trim().is_empty())
    {
        return Err(ConfigError::Invalid(format!(
            "the environment variable {ENV_SHARED_SECRET} holds only spaces: set it to the integration's shared secret key, or unset it"
        )));
    }
    if let Some(k) = &env.api_key
        && let Err(why) = check_uuid(k)
    {
        return Err(ConfigError::Invalid(format!(
            "the API key from the environment variable {ENV_API_KEY} {why}. Fix or unset {ENV_API_KEY}."
        )));
    }
    if let Some(u) = &env.base_url
        && let Err(why) = check_http_url(u)
    {
        return Err(ConfigError::Invalid(format!(
            "the base URL \"{}\" from the environment variable {ENV_BASE_URL} {why} (for example https://stationapi.veriff.com). Fix or unset {ENV_BASE_URL}.",
            crate::text::sanitize(u)
        )));
    }
    Ok(())
}

/// Why `key` is not a Veriff API key (a hyphenated UUID); never repeats the key beyond
/// its masked tail.
fn check_uuid(key: &str) -> Result<(), String> {
    if key.len() == 36 && uuid::Uuid::try_parse(key).is_ok() {
        return Ok(());
    }
    Err(format!(
        "({}) is not a UUID: an API key looks like xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
        mask(key)
    ))
}

/// A simple check that `url` is http(s) with a host; the client normalises it further.
fn check_http_url(url: &str) -> Result<(), String> {
    if url.is_empty() {
        return Err("is empty".into());
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("contains spaces or control characters".into());
    }
    let lower = url.to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &url[8..]
    } else if lower.starts_with("http://") {
        &url[7..]
    } else {
        return Err("is not an http:// or https:// URL".into());
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let host = if host_port.starts_with('[') {
        host_port
            .split(']')
            .next()
            .map(|h| h.trim_start_matches('['))
    } else {
        host_port.split(':').next()
    };
    match host {
        Some(h) if !h.is_empty() => Ok(()),
        _ => Err("has no host name".into()),
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

impl Settings {
    /// The connection for the active profile, or a plain-words error saying what is missing.
    pub fn endpoint(&self) -> Result<Endpoint, ConfigError> {
        let p = self.profile.as_ref().ok_or_else(|| {
            ConfigError::Invalid(format!(
                "no Veriff profile is configured: add [profiles.{}] to {} (see config.example.toml), set VERIFF_API_KEY and VERIFF_BASE_URL, or run with --sandbox",
                crate::text::sanitize(&self.profile_name),
                shown_path(&self.paths.config_file)
            ))
        })?;
        if p.api_key.is_empty() {
            return Err(ConfigError::Invalid(format!(
                "the profile \"{}\" has no api_key: set it in {} or set {ENV_API_KEY}",
                crate::text::sanitize(&self.profile_name),
                shown_path(&self.paths.config_file)
            )));
        }
        Ok(Endpoint {
            base_url: p.base_url.clone(),
            api_key: p.api_key.clone(),
            shared_secret: p.shared_secret.clone().filter(|s| !s.is_empty()),
            integration_id: p.integration_id.clone().filter(|s| !s.is_empty()),
            timeout: Duration::from_secs(self.config.request.timeout_secs.max(1)),
        })
    }

    /// True when the active profile talks to a sandbox: the in-process one (`--sandbox`)
    /// or a `veriff-tui sandbox` found by its fixed API key. Its records are marked so.
    pub fn is_sandbox(&self) -> bool {
        self.sandbox
            || self
                .profile
                .as_ref()
                .is_some_and(|p| p.api_key == crate::sandbox::SANDBOX_API_KEY)
    }

    /// http:// callbacks are fine only for a sandbox on this machine (Veriff refuses them).
    pub fn allows_http_callback(&self) -> bool {
        self.is_sandbox()
            && self
                .profile
                .as_ref()
                .is_some_and(|p| crate::veriff::allows_http_callback(&p.base_url))
    }

    /// The connection of the profile `name` (a record's own), whatever profile is active.
    /// A profile that is no longer configured is an error that says so.
    pub fn endpoint_of(&self, name: &str) -> Result<Endpoint, ConfigError> {
        if name == self.profile_name {
            return self.endpoint();
        }
        let mut other = self.clone();
        other.switch_profile(name).map_err(|_| {
            ConfigError::Invalid(format!(
                "the profile \"{}\" this record was made under is no longer configured in {}; nothing was changed. Add it back to ask about this record.",
                crate::text::sanitize(name),
                shown_path(&self.paths.config_file)
            ))
        })?;
        other.endpoint()
    }

    pub fn legacy_fields(&self) -> LegacyFields {
        LegacyFields {
            lang: self.config.request.send_lang,
            features: self.config.request.send_features,
            timestamp: self.config.request.send_timestamp,
        }
    }

    /// Names of the configured profiles, sorted (the sandbox one first when there is one).
    pub fn profile_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.config.profiles.keys().cloned().collect();
        let has_sandbox = self.sandbox || self.origin.sandbox_profile.is_some();
        if has_sandbox && !names.iter().any(|n| n == SANDBOX_PROFILE) {
            names.insert(0, SANDBOX_PROFILE.into());
        }
        names
    }

    /// Makes another configured profile the active one (environment overrides still apply).
    pub fn switch_profile(&mut self, name: &str) -> Result<(), ConfigError> {
        if name == SANDBOX_PROFILE
            && !self.config.profiles.contains_key(name)
            && let Some(p) = self.origin.sandbox_profile.clone()
        {
            self.profile_name = name.into();
            self.profile = Some(p);
            self.sandbox = true;
            self.origin.profile_source = ProfileSource::Sandbox;
            self.origin.env_fields.clear();
            return Ok(());
        }
        if !self.config.profiles.contains_key(name) {
            let mut known = self.profile_names();
            known.iter_mut().for_each(|n| *n = crate::text::sanitize(n));
            let known = if known.is_empty() {
                "no profiles are configured".to_string()
            } else {
                format!("the profiles configured are: {}", known.join(", "))
            };
            return Err(ConfigError::Invalid(format!(
                "there is no profile \"{}\"; {known}. Add [profiles.{}] to {}.",
                crate::text::sanitize(name),
                crate::text::sanitize(name),
                shown_path(&self.paths.config_file)
            )));
        }
        self.activate(name.to_string(), ProfileSource::CommandLine);
        Ok(())
    }

    /// Sets the active profile by name (which the caller has checked) and applies the
    /// captured environment on top of it.
    fn activate(&mut self, name: String, source: ProfileSource) {
        let env = &self.origin.env;
        let mut fields = Vec::new();
        let profile = match self.config.profiles.get(&name).cloned() {
            Some(mut p) => {
                if let Some(k) = &env.api_key {
                    p.api_key = k.clone();
                    fields.push("api_key");
                }
                if let Some(s) = &env.shared_secret {
                    p.shared_secret = Some(s.clone());
                    fields.push("shared_secret");
                }
                if let Some(u) = &env.base_url {
                    p.base_url = u.clone();
                    fields.push("base_url");
                }
                Some(p)
            }
            None => match (&env.api_key, &env.base_url) {
                (Some(k), Some(u)) => {
                    fields.extend(["api_key", "base_url"]);
                    if env.shared_secret.is_some() {
                        fields.push("shared_secret");
                    }
                    Some(Profile {
                        base_url: u.clone(),
                        api_key: k.clone(),
                        shared_secret: env.shared_secret.clone(),
                        integration_id: None,
                        callback: None,
                        live: false,
                    })
                }
                _ => None,
            },
        };
        self.profile_name = name;
        self.profile = profile;
        self.sandbox = false;
        self.origin.profile_source = source;
        self.origin.env_fields = fields;
    }

    /// Points the active profile at an in-process sandbox.
    pub fn use_sandbox(&mut self, base_url: &str, api_key: &str, shared_secret: &str) {
        let profile = Profile {
            base_url: base_url.into(),
            api_key: api_key.into(),
            shared_secret: Some(shared_secret.into()),
            integration_id: None,
            callback: None,
            live: false,
        };
        self.profile_name = SANDBOX_PROFILE.into();
        self.sandbox = true;
        self.origin.sandbox_profile = Some(profile.clone());
        self.origin.profile_source = ProfileSource::Sandbox;
        self.origin.env_fields.clear();
        self.profile = Some(profile);
    }

    /// Creates the data directory (mode 0700) when it is missing.
    pub fn ensure_data_dir(&self) -> io::Result<()> {
        create_private_dir(&self.paths.data_dir)
    }

    /// The text of `veriff-tui config path`.
    pub fn paths_text(&self) -> String {
        let mut t = self.paths.text();
        if !self.config_file_found {
            t = t.replacen('\n', " (not found: using defaults)\n", 1);
        }
        t
    }

    /// The text of `veriff-tui config check`: every resolved setting, secrets masked.
    pub fn describe(&self) -> String {
        use std::fmt::Write;
        let s = crate::text::sanitize;
        let mut o = String::new();
        let _ = writeln!(o, "{}", self.paths_text().trim_end());
        let _ = writeln!(o);
        let from_env = |field: &str| {
            if self.origin.env_fields.contains(&field) {
                let var = match field {
                    "api_key" => ENV_API_KEY,
                    "shared_secret" => ENV_SHARED_SECRET,
                    _ => ENV_BASE_URL,
                };
                format!("  (from {var})")
            } else {
                String::new()
            }
        };
        let _ = writeln!(
            o,
            "active profile: {} ({})",
            s(&self.profile_name),
            self.origin.profile_source.words()
        );
        match &self.profile {
            Some(p) => {
                let opt = |v: &Option<String>| match v.as_deref() {
                    Some(x) if !x.is_empty() => s(x),
                    _ => "(not set)".into(),
                };
                let _ = writeln!(
                    o,
                    "  base_url       = {}{}",
                    s(&p.base_url),
                    from_env("base_url")
                );
                let _ = writeln!(
                    o,
                    "  api_key        = {}{}",
                    mask(&p.api_key),
                    from_env("api_key")
                );
                let _ = writeln!(
                    o,
                    "  shared_secret  = {}{}",
                    mask(p.shared_secret.as_deref().unwrap_or("")),
                    from_env("shared_secret")
                );
                let _ = writeln!(o, "  integration_id = {}", opt(&p.integration_id));
                let _ = writeln!(o, "  callback       = {}", opt(&p.callback));
                let _ = writeln!(o, "  live           = {}", p.live);
            }
            None => {
                let _ = writeln!(
                    o,
                    "  (not configured: add [profiles.{}] to the config file, set {ENV_API_KEY} and {ENV_BASE_URL}, or use --sandbox)",
                    s(&self.profile_name)
                );
            }
        }
        let names = self.profile_names();
        let _ = writeln!(
            o,
            "profiles: {}",
            if names.is_empty() {
                "(none)".to_string()
            } else {
                names.iter().map(|n| s(n)).collect::<Vec<_>>().join(", ")
            }
        );
        let _ = writeln!(
            o,
            "default_profile = {}",
            self.config
                .default_profile
                .as_deref()
                .map_or_else(|| "(not set)".to_string(), s)
        );
        let c = &self.config;
        let _ = writeln!(o);
        let _ = writeln!(o, "[form]");
        let _ = writeln!(o, "  lang   = {}", s(&c.form.lang));
        let _ = writeln!(o, "  selfid = {}", c.form.selfid);
        let _ = writeln!(o, "[request]");
        let _ = writeln!(o, "  send_lang      = {}", c.request.send_lang);
        let _ = writeln!(o, "  send_features  = {}", c.request.send_features);
        let _ = writeln!(o, "  send_timestamp = {}", c.request.send_timestamp);
        let _ = writeln!(o, "  timeout_secs   = {}", c.request.timeout_secs);
        let _ = writeln!(o, "[ui]");
        let clipboard = match c.ui.clipboard {
            ClipboardMode::Auto => "auto",
            ClipboardMode::Native => "native",
            ClipboardMode::Osc52 => "osc52",
            ClipboardMode::Off => "off",
        };
        let _ = writeln!(o, "  clipboard             = {clipboard}");
        let _ = writeln!(o, "  mouse                 = {}", c.ui.mouse);
        let _ = writeln!(
            o,
            "  refresh_interval_secs = {}",
            c.ui.refresh_interval_secs
                .map_or_else(|| "(off)".to_string(), |r| r.to_string())
        );
        let keys = c.keys.lines();
        if !keys.is_empty() {
            let _ = writeln!(o, "[keys]");
            for line in keys {
                let _ = writeln!(o, "  {}", s(&line));
            }
        }
        if !self.warnings.is_empty() {
            let _ = writeln!(o);
            for w in &self.warnings {
                let _ = writeln!(o, "warning: {}", s(w));
            }
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_config_parses_and_validates() {
        let text = include_str!("../config.example.toml");
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
