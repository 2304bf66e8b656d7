//! Loading: where the files are, reading the config file, the environment on top, and
//! which profile is active.

use super::*;

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
        ENV_HISTORY_URL,
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
    let mut file = read_config_file(&paths.config_file)?;
    if let Some(url) = env(ENV_HISTORY_URL).filter(|u| !u.trim().is_empty()) {
        file.config.history.url = Some(url);
    }
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
pub(super) fn resolve_paths_from(
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
pub(super) struct FileContents {
    config: Config,
    found: bool,
    warning: Option<String>,
    secrets: Vec<String>,
}

pub(super) fn read_config_file(path: &Path) -> Result<FileContents, ConfigError> {
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
    // A command or the keyring keeps the secret out of the file: no warning for those.
    let holds_secret = config.profiles.values().any(|p| {
        p.api_key.is_in_file() || p.shared_secret.is_in_file() || !p.webhook_secrets.is_empty()
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
pub(super) fn readable_by_others_warning(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    (mode & 0o044 != 0).then(|| {
        let p = shown_path(path);
        format!("{p} is readable by other users and holds secrets: run chmod 600 {p}")
    })
}

#[cfg(not(unix))]
pub(super) fn readable_by_others_warning(_path: &Path) -> Option<String> {
    None
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

pub(super) fn secrets_of(config: &Config, env: &EnvValues) -> Vec<String> {
    let mut out: Vec<String> = config
        .profiles
        .values()
        .flat_map(|p| {
            [p.api_key.written(), p.shared_secret.written()]
                .into_iter()
                .flatten()
                .map(str::to_string)
                .chain(p.webhook_secrets.iter().cloned())
        })
        .collect();
    // A password written in the shared history's URL.
    if let Some(password) = config
        .history
        .url
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .and_then(|u| u.password().map(str::to_string))
    {
        out.push(password);
    }
    out.extend(env.api_key.iter().cloned());
    out.extend(env.shared_secret.iter().cloned());
    out.retain(|s| !s.is_empty());
    out
}

pub(super) fn choose_profile(
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

pub(super) fn unknown_profile(
    name: &str,
    from: &str,
    config: &Config,
    config_file: &Path,
) -> ConfigError {
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

pub(super) fn known_profiles_text(config: &Config) -> String {
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
