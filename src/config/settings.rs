//! The settings of a run: the active profile's endpoint, switching profiles, the sandbox,
//! and what `config path` and `config check` print.

use super::*;

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
        let name = crate::text::sanitize(&self.profile_name);
        if !p.api_key.is_set() {
            return Err(ConfigError::Invalid(format!(
                "the profile \"{name}\" has no api_key, so nothing can be sent: set api_key (or api_key_cmd) under [profiles.{name}] in {} (or the environment variable {ENV_API_KEY}), or run with --sandbox",
                shown_path(&self.paths.config_file)
            )));
        }
        let api_key = self
            .secret_value(&p.api_key, SecretField::ApiKey)?
            .unwrap_or_default();
        let shared_secret = self.secret_value(&p.shared_secret, SecretField::SharedSecret)?;
        Ok(Endpoint {
            base_url: p.base_url.clone(),
            api_key,
            shared_secret: shared_secret.filter(|s| !s.is_empty()),
            integration_id: p.integration_id.clone().filter(|s| !s.is_empty()),
            timeout: Duration::from_secs(self.config.request.timeout_secs.max(1)),
        })
    }

    /// Where the active profile's `field` is asked for, for its error messages.
    fn place(&self, field: SecretField) -> Place<'_> {
        Place {
            profile: &self.profile_name,
            field,
            config_file: &self.paths.config_file,
        }
    }

    /// The value of the active profile's `secret`, fetched if it must be. An error may
    /// quote the command's stderr, which could name another secret of ours: every secret
    /// the settings know is masked in it.
    fn secret_value(
        &self,
        secret: &Secret,
        field: SecretField,
    ) -> Result<Option<String>, ConfigError> {
        secret.value(&self.place(field)).map_err(|e| {
            let mut known = secrets_of(&self.config, &self.origin.env);
            if let Some(p) = &self.profile {
                known.extend(
                    [p.api_key.known(), p.shared_secret.known()]
                        .into_iter()
                        .flatten()
                        .map(str::to_string),
                );
            }
            scrub(e, &known)
        })
    }

    /// Fetches the active profile's secrets now (runs its commands, reads the keyring)
    /// instead of at the first request: the TUI does so before it takes the terminal, so
    /// that an unlock prompt meets a terminal in its normal state. A secret not set is no
    /// error here (the screens say what is missing).
    pub fn fetch_secrets(&self) -> Result<(), ConfigError> {
        let Some(p) = &self.profile else {
            return Ok(());
        };
        self.secret_value(&p.api_key, SecretField::ApiKey)?;
        self.secret_value(&p.shared_secret, SecretField::SharedSecret)?;
        Ok(())
    }

    /// True when the active profile talks to a sandbox: the in-process one (`--sandbox`)
    /// or a `veriff-tui sandbox` found by its fixed API key. Its records are marked so.
    pub fn is_sandbox(&self) -> bool {
        self.sandbox
            || self
                .profile
                .as_ref()
                // A key still to be fetched is not asked for here: `endpoint`, which every
                // request goes through first, fetches it.
                .is_some_and(|p| p.api_key.known() == Some(crate::sandbox::SANDBOX_API_KEY))
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
    pub(super) fn activate(&mut self, name: String, source: ProfileSource) {
        let env = &self.origin.env;
        let mut fields = Vec::new();
        let profile = match self.config.profiles.get(&name).cloned() {
            Some(mut p) => {
                // The environment wins over the file's source, whatever it is: the command
                // or the keyring it replaces is never asked.
                if let Some(k) = &env.api_key {
                    p.api_key = Secret::environment(ENV_API_KEY, k);
                    fields.push("api_key");
                }
                if let Some(s) = &env.shared_secret {
                    p.shared_secret = Secret::environment(ENV_SHARED_SECRET, s);
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
                        api_key: Secret::environment(ENV_API_KEY, k),
                        shared_secret: env
                            .shared_secret
                            .as_deref()
                            .map(|s| Secret::environment(ENV_SHARED_SECRET, s))
                            .unwrap_or_default(),
                        integration_id: None,
                        callback: None,
                        live: false,
                        webhook_secrets: Vec::new(),
                        defaults: Default::default(),
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
            api_key: Secret::sandbox(api_key),
            shared_secret: Secret::sandbox(shared_secret),
            integration_id: None,
            callback: None,
            live: false,
            webhook_secrets: Vec::new(),
            defaults: Default::default(),
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

    /// Where this run keeps its history: the shared one on PostgreSQL when `[history] url`
    /// (or `VERIFF_TUI_HISTORY_URL`) names one, else the SQLite file in the data dir.
    pub fn history_location(&self) -> crate::history::Location {
        let h = &self.config.history;
        match h.url.as_deref().map(crate::history::PgUrl::parse) {
            Some(Ok(url)) => crate::history::Location::Postgres {
                url,
                operator: h.operator.clone().filter(|o| !o.trim().is_empty()),
                outbox: Some(self.paths.history_db.clone()),
            },
            // Checked when the config was loaded: not reached.
            Some(Err(_)) | None => crate::history::Location::File(self.paths.history_db.clone()),
        }
    }

    /// The text of `veriff-tui config path`.
    pub fn paths_text(&self) -> String {
        let mut t = self.paths.text();
        if !self.config_file_found {
            t = t.replacen('\n', " (not found: using defaults)\n", 1);
        }
        t
    }

    /// The text of `veriff-tui config check`: every resolved setting, secrets masked. The
    /// warnings are not in it (they go to stderr, once).
    pub fn describe(&self) -> String {
        use std::fmt::Write;
        let s = crate::text::sanitize;
        let mut o = String::new();
        let _ = writeln!(o, "{}", self.paths_text().trim_end());
        let _ = match self.history_location() {
            crate::history::Location::Postgres { url, operator, .. } => writeln!(
                o,
                "history store: the shared history on PostgreSQL at {url}, as operator {} (the file above keeps links while it cannot be reached)",
                s(&operator.unwrap_or_else(crate::history::pg::os_user))
            ),
            crate::history::Location::File(_) => {
                writeln!(
                    o,
                    "history store: the SQLite file above (this machine only)"
                )
            }
        };
        let _ = writeln!(o);
        let base_url_from = if self.origin.env_fields.contains(&"base_url") {
            format!("  (from environment {ENV_BASE_URL})")
        } else {
            String::new()
        };
        // Each secret masked, with where it came from; fetched here if it must be (the
        // command's or the keyring's error then follows on stderr, from `endpoint`).
        let secret_line = |p: &Profile, field: SecretField| {
            let secret = match field {
                SecretField::ApiKey => &p.api_key,
                SecretField::SharedSecret => &p.shared_secret,
            };
            let shown = match self.secret_value(secret, field) {
                Ok(Some(v)) => mask(&v),
                Ok(None) if field == SecretField::ApiKey => {
                    "(not set: nothing can be sent without it)".to_string()
                }
                Ok(None) => mask(""),
                Err(_) => "(not available: see the error below)".to_string(),
            };
            let from = secret
                .origin()
                .map(|o| format!("  (from {o})"))
                .unwrap_or_default();
            format!("  {:<14} = {shown}{from}", field.key())
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
                let _ = writeln!(o, "  base_url       = {}{}", s(&p.base_url), base_url_from);
                let _ = writeln!(o, "{}", secret_line(p, SecretField::ApiKey));
                let _ = writeln!(o, "{}", secret_line(p, SecretField::SharedSecret));
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
        let text_width = match c.ui.text_width {
            crate::config::TextWidth::Auto => "auto",
            crate::config::TextWidth::Codepoint => "codepoint",
            crate::config::TextWidth::Grapheme => "grapheme",
        };
        let _ = writeln!(o, "  text_width            = {text_width}");
        if let Some(url) = &c.sandbox.webhook_url {
            // Without its query, which may carry a token.
            let shown = crate::sandbox::parse_webhook_url(url)
                .map(|u| crate::sandbox::shown_webhook_url(&u))
                .unwrap_or_else(|_| "(not a valid URL)".into());
            let _ = writeln!(o, "[sandbox]");
            let _ = writeln!(o, "  webhook_url = {shown}");
        }
        let keys = c.keys.lines();
        if !keys.is_empty() {
            let _ = writeln!(o, "[keys]");
            for line in keys {
                let _ = writeln!(o, "  {}", s(&line));
            }
        }
        // The warnings are not repeated here: like every command, `config check` has
        // already printed them on stderr.
        o
    }
}
