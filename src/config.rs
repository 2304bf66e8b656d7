//! Configuration: profiles (one per Veriff integration), form defaults, request switches,
//! UI settings; where files live; environment overrides; validation.

use std::collections::BTreeMap;
use std::path::PathBuf;
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
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("{0}")]
    Invalid(String),
}

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
    load_with_env(overrides, &|k| std::env::var(k).ok())
}

/// Loads settings; `env` looks up environment variables (injectable for tests).
pub fn load_with_env(
    overrides: &Overrides,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Settings, ConfigError> {
    let _ = (overrides, env);
    Err(ConfigError::Invalid("not implemented yet".into()))
}

impl Settings {
    /// The connection for the active profile, or a plain-words error saying what is missing.
    pub fn endpoint(&self) -> Result<Endpoint, ConfigError> {
        let p = self.profile.as_ref().ok_or_else(|| {
            ConfigError::Invalid(format!(
                "no Veriff profile is configured: add [profiles.{}] to {} (see config.example.toml), set VERIFF_API_KEY and VERIFF_BASE_URL, or run with --sandbox",
                self.profile_name,
                self.paths.config_file.display()
            ))
        })?;
        Ok(Endpoint {
            base_url: p.base_url.clone(),
            api_key: p.api_key.clone(),
            shared_secret: p.shared_secret.clone().filter(|s| !s.is_empty()),
            integration_id: p.integration_id.clone().filter(|s| !s.is_empty()),
            timeout: Duration::from_secs(self.config.request.timeout_secs.max(1)),
        })
    }

    pub fn legacy_fields(&self) -> LegacyFields {
        LegacyFields {
            lang: self.config.request.send_lang,
            features: self.config.request.send_features,
            timestamp: self.config.request.send_timestamp,
        }
    }

    /// Names of the configured profiles, sorted (the sandbox one included when active).
    pub fn profile_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.config.profiles.keys().cloned().collect();
        if self.sandbox && !names.iter().any(|n| n == "sandbox") {
            names.insert(0, "sandbox".into());
        }
        names
    }

    /// Makes another configured profile the active one (environment overrides still apply).
    pub fn switch_profile(&mut self, name: &str) -> Result<(), ConfigError> {
        let _ = name;
        Err(ConfigError::Invalid("not implemented yet".into()))
    }

    /// Points the active profile at an in-process sandbox.
    pub fn use_sandbox(&mut self, base_url: &str, api_key: &str, shared_secret: &str) {
        self.profile_name = "sandbox".into();
        self.sandbox = true;
        self.profile = Some(Profile {
            base_url: base_url.into(),
            api_key: api_key.into(),
            shared_secret: Some(shared_secret.into()),
            integration_id: None,
            callback: None,
            live: false,
        });
    }
}

// Temporary until the config implementation lands.
impl Settings {
    pub fn paths_text(&self) -> String {
        format!("{:?}", self.paths)
    }

    pub fn describe(&self) -> String {
        format!("{:?}", self.profile)
    }
}
