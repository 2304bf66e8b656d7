//! Checks of values that parse but cannot work (a key that is no UUID, a URL that is not
//! http(s)), each naming the key and the fix.

use super::*;

pub(super) fn validate_config(config: &Config, path: &Path) -> Result<(), ConfigError> {
    let file = shown_path(path);
    let err = |msg: String| Err(ConfigError::Invalid(format!("{file}: {msg}")));
    if let Some(url) = &config.history.url
        && let Err(why) = crate::history::PgUrl::parse(url)
    {
        return Err(ConfigError::Invalid(format!(
            "[history] url in {file} (or {ENV_HISTORY_URL}): {why}"
        )));
    }
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
        // A key from a command or the keyring is checked the same way once fetched.
        if let Some(key) = p.api_key.written()
            && let Err(why) = check_uuid(key)
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
        let today = chrono::Utc::now().date_naive();
        if let Some((field, why)) = p.defaults.normalised().validate(today).into_iter().next() {
            return err(format!("profiles.{name}.defaults.{} {why}.", field.key()));
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
    if let Some(url) = config.sandbox.webhook_url.as_deref()
        && let Err(why) = crate::sandbox::parse_webhook_url(url)
    {
        return err(format!("sandbox.webhook_url: {why}."));
    }
    if !crate::veriff::is_valid_lang(&config.form.lang) {
        return err(format!(
            "form.lang \"{}\" is not a language code: use two letters, optionally with a region (en, de, pt-BR).",
            crate::text::sanitize(&config.form.lang)
        ));
    }
    Ok(())
}

pub(super) fn validate_env(env: &EnvValues) -> Result<(), ConfigError> {
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
pub(super) fn check_uuid(key: &str) -> Result<(), String> {
    if key.len() == 36 && uuid::Uuid::try_parse(key).is_ok() {
        return Ok(());
    }
    Err(format!(
        "({}) is not a UUID: an API key looks like xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
        mask(key)
    ))
}

/// That `url` is http(s) with a host and no user name or password, by the URL parser (a
/// hand split takes `http://127.0.0.1:80@evil.example/` for a loopback URL); the client
/// normalises a base URL further.
pub(crate) fn check_http_url(url: &str) -> Result<(), String> {
    if url.is_empty() {
        return Err("is empty".into());
    }
    if url
        .chars()
        .any(|c| c.is_whitespace() || crate::text::is_unsafe(c))
    {
        return Err("contains spaces, control or invisible characters".into());
    }
    // The parser forgives `https:///host` and `http:\\host`; a config value should already
    // be the plain form people read.
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    if rest.is_none_or(|r| r.starts_with('/') || r.contains('\\')) {
        return Err("is not an http:// or https:// URL".into());
    }
    let parsed = url::Url::parse(url).map_err(|e| match e {
        url::ParseError::EmptyHost => "has no host name".to_string(),
        e => format!("is not a valid URL ({e})"),
    })?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("must not contain a user name or password (user@host)".into());
    }
    match parsed.host_str() {
        Some(h) if !h.is_empty() => Ok(()),
        _ => Err("has no host name".into()),
    }
}
