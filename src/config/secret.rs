//! A profile's secrets (`api_key`, `shared_secret`): where each comes from, and its value.
//!
//! One source per secret: written in the file, a command (`api_key_cmd`), the OS keyring
//! (`{ keyring = true }`), or the environment (`VERIFF_API_KEY`, which overrides the
//! others for the active profile). A command or the keyring is asked only when the value
//! is needed, and at most once per process: the answer, a secret or an error, is kept and
//! shared by every copy of the settings.

use std::sync::{Arc, OnceLock};

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};

use super::keyring::{self, KeyringError};
use super::secret_command;
use super::*;

/// Which of a profile's two secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretField {
    ApiKey,
    SharedSecret,
}

impl SecretField {
    /// The key in a `[profiles.NAME]` table.
    pub fn key(self) -> &'static str {
        match self {
            Self::ApiKey => "api_key",
            Self::SharedSecret => "shared_secret",
        }
    }

    /// The key naming its command.
    pub fn cmd_key(self) -> &'static str {
        match self {
            Self::ApiKey => "api_key_cmd",
            Self::SharedSecret => "shared_secret_cmd",
        }
    }

    /// The environment variable that overrides it.
    pub fn env_var(self) -> &'static str {
        match self {
            Self::ApiKey => ENV_API_KEY,
            Self::SharedSecret => ENV_SHARED_SECRET,
        }
    }

    /// The flag of `config set-secret` that chooses it.
    pub fn flag(self) -> &'static str {
        match self {
            Self::ApiKey => "--api-key",
            Self::SharedSecret => "--shared-secret",
        }
    }

    /// Why `value` cannot be this secret: blank, or an API key that is no UUID. Never
    /// repeats the value beyond its masked tail.
    pub fn check(self, value: &str) -> Result<(), String> {
        if value.trim().is_empty() {
            return Err("holds only spaces".into());
        }
        match self {
            Self::ApiKey => check_uuid(value),
            Self::SharedSecret => Ok(()),
        }
    }

    /// In words: "API key".
    pub fn words(self) -> &'static str {
        match self {
            Self::ApiKey => "API key",
            Self::SharedSecret => "shared secret",
        }
    }
}

/// One secret of a profile. Compared by its source alone.
#[derive(Clone, Default)]
pub struct Secret {
    source: Source,
    /// A command's or the keyring's answer once asked: shared by clones, so that copies of
    /// the settings (a profile switch, a record's own profile) never ask twice.
    fetched: Arc<OnceLock<Result<String, String>>>,
}

#[derive(Clone, Default, PartialEq, Eq)]
enum Source {
    #[default]
    Unset,
    /// Written in the config file.
    File(String),
    /// From an environment variable.
    Environment { var: &'static str, value: String },
    /// The in-process sandbox's own.
    Sandbox(String),
    /// Printed by a command (program and arguments).
    Command(Vec<String>),
    /// Kept in the OS keyring.
    Keyring,
}

/// Where the secret is asked for: the profile and the file, for the error messages.
pub struct Place<'a> {
    pub profile: &'a str,
    pub field: SecretField,
    pub config_file: &'a Path,
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for Secret {}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.source {
            Source::Unset => write!(f, "(not set)"),
            Source::File(v) => write!(f, "{} (from file)", mask(v)),
            Source::Environment { var, value } => write!(f, "{} (from {var})", mask(value)),
            Source::Sandbox(v) => write!(f, "{} (sandbox)", mask(v)),
            Source::Command(argv) => write!(
                f,
                "(from command: {})",
                argv.first().map_or("", String::as_str)
            ),
            Source::Keyring => write!(f, "(from keyring)"),
        }
    }
}

/// `"…".into()`: a secret written in the file (as tests and the sandbox build them).
impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret::file(value)
    }
}

impl Secret {
    fn of(source: Source) -> Self {
        Secret {
            source,
            fetched: Arc::default(),
        }
    }

    /// A value written in the config file; an empty one is no secret.
    pub fn file(value: &str) -> Self {
        if value.is_empty() {
            Secret::default()
        } else {
            Secret::of(Source::File(value.into()))
        }
    }

    pub fn environment(var: &'static str, value: &str) -> Self {
        Secret::of(Source::Environment {
            var,
            value: value.into(),
        })
    }

    pub fn sandbox(value: &str) -> Self {
        Secret::of(Source::Sandbox(value.into()))
    }

    pub fn command(argv: Vec<String>) -> Self {
        Secret::of(Source::Command(argv))
    }

    pub fn keyring() -> Self {
        Secret::of(Source::Keyring)
    }

    /// True when some source is configured (a value that may still fail to come).
    pub fn is_set(&self) -> bool {
        self.source != Source::Unset
    }

    /// True for a value written in the config file.
    pub fn is_in_file(&self) -> bool {
        matches!(self.source, Source::File(_))
    }

    /// True when the keyring is its source.
    pub fn is_keyring(&self) -> bool {
        self.source == Source::Keyring
    }

    /// The value when it is known without asking anything: written in the file, the
    /// environment or the sandbox, or already fetched.
    pub fn known(&self) -> Option<&str> {
        match &self.source {
            Source::File(v) | Source::Sandbox(v) | Source::Environment { value: v, .. } => Some(v),
            Source::Command(_) | Source::Keyring => {
                self.fetched.get().and_then(|r| r.as_deref().ok())
            }
            Source::Unset => None,
        }
    }

    /// The value written where the settings were read (file, environment, sandbox): what
    /// error messages about the config must never repeat.
    pub fn written(&self) -> Option<&str> {
        match &self.source {
            Source::File(v) | Source::Sandbox(v) | Source::Environment { value: v, .. } => Some(v),
            _ => None,
        }
    }

    /// Where it comes from, for `config check`: "file", "environment VERIFF_API_KEY",
    /// "command: pass", "keyring". `None` when not set.
    pub fn origin(&self) -> Option<String> {
        Some(match &self.source {
            Source::Unset => return None,
            Source::File(_) => "file".into(),
            Source::Environment { var, .. } => format!("environment {var}"),
            Source::Sandbox(_) => "the built-in sandbox".into(),
            Source::Command(argv) => format!(
                "command: {}",
                crate::text::sanitize(argv.first().map_or("", String::as_str))
            ),
            Source::Keyring => "keyring".into(),
        })
    }

    /// The value: `None` when not set; asks the command or the keyring the first time.
    pub fn value(&self, place: &Place) -> Result<Option<String>, ConfigError> {
        self.value_with(place, &keyring::platform, secret_command::TIMEOUT)
    }

    /// [`Self::value`] with the keyring and the command's time limit given (tests).
    pub(super) fn value_with(
        &self,
        place: &Place,
        store: &dyn Fn() -> Result<Arc<keyring_core::CredentialStore>, KeyringError>,
        timeout: std::time::Duration,
    ) -> Result<Option<String>, ConfigError> {
        let fetched = match &self.source {
            Source::Unset => return Ok(None),
            Source::File(v) | Source::Sandbox(v) | Source::Environment { value: v, .. } => {
                return Ok(Some(v.clone()));
            }
            Source::Command(argv) => self
                .fetched
                .get_or_init(|| from_command(argv, place, timeout)),
            Source::Keyring => self.fetched.get_or_init(|| from_keyring(place, store)),
        };
        fetched.clone().map(Some).map_err(ConfigError::Invalid)
    }
}

/// The words every fetch error starts with: `the profile "live" takes its API key from`.
fn takes(place: &Place) -> String {
    format!(
        "the profile \"{}\" takes its {} from",
        crate::text::sanitize(place.profile),
        place.field.words()
    )
}

fn from_command(
    argv: &[String],
    place: &Place,
    timeout: std::time::Duration,
) -> Result<String, String> {
    let profile = crate::text::sanitize(place.profile);
    let field = place.field.key();
    // The program's name only: its arguments may name a vault path, and its output is the
    // secret.
    let program = crate::text::sanitize(argv.first().map_or("", String::as_str));
    let failed = |what: String| {
        tracing::warn!(%profile, field, %program, "the secret command gave no secret");
        format!(
            "{} the command \"{program}\" ({}), which {what}. Run it yourself to see what it needs, fix {} under [profiles.{profile}] in {}, or set {} instead.",
            takes(place),
            place.field.cmd_key(),
            place.field.cmd_key(),
            shown_path(place.config_file),
            place.field.env_var(),
        )
    };
    tracing::debug!(%profile, field, %program, "running the secret command");
    let started = std::time::Instant::now();
    let ran = secret_command::run(argv, timeout);
    // How long an unlock took, or how soon a command failed: what tells them apart.
    tracing::trace!(%profile, field, %program, elapsed_ms = started.elapsed().as_millis(), ok = ran.is_ok(), "the secret command ended");
    let secret = ran.map_err(|why| failed(why.words(timeout)))?;
    place.field.check(&secret).map_err(|why| {
        failed(format!(
            "printed something that is no {}: {why}",
            place.field.words()
        ))
    })?;
    tracing::debug!(%profile, field, %program, "the secret command gave the secret");
    Ok(secret)
}

fn from_keyring(
    place: &Place,
    store: &dyn Fn() -> Result<Arc<keyring_core::CredentialStore>, KeyringError>,
) -> Result<String, String> {
    let profile = crate::text::sanitize(place.profile);
    let field = place.field.key();
    let set_secret = format!(
        "veriff-tui config set-secret --profile {profile} {}",
        place.field.flag()
    );
    let failed = |what: String| {
        tracing::warn!(%profile, field, "the keyring gave no secret");
        format!("{} the OS keyring, and {what}.", takes(place))
    };
    tracing::debug!(%profile, field, "reading the secret from the keyring");
    let started = std::time::Instant::now();
    let got = store().and_then(|s| keyring::get(&s, place.profile, place.field));
    tracing::trace!(%profile, field, elapsed_ms = started.elapsed().as_millis(), ok = got.is_ok(), "the keyring answered");
    let secret = got.map_err(|e| {
        failed(e.words(
            &keyring::account(&profile, place.field),
            &set_secret,
            place.field.env_var(),
            place.field.cmd_key(),
        ))
    })?;
    place.field.check(&secret).map_err(|why| {
        failed(format!(
            "the entry there is no {}: {why}. Store the right one with `{set_secret}`",
            place.field.words()
        ))
    })?;
    tracing::debug!(%profile, field, "the keyring gave the secret");
    Ok(secret)
}

/// `api_key = "…"` or `api_key = { keyring = true }`, as the file writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum SecretValue {
    Inline(String),
    Keyring,
}

impl<'de> Deserialize<'de> for SecretValue {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SecretValue;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("text in quotes, or { keyring = true }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SecretValue, E> {
                Ok(SecretValue::Inline(v.into()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SecretValue, A::Error> {
                let mut keyring = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key != "keyring" {
                        return Err(de::Error::custom(format!(
                            "unknown key \"{}\" (the only key allowed here is keyring, as in {{ keyring = true }})",
                            crate::text::sanitize(&key)
                        )));
                    }
                    keyring = Some(map.next_value::<bool>()?);
                }
                match keyring {
                    Some(true) => Ok(SecretValue::Keyring),
                    _ => Err(de::Error::custom(
                        "a secret's table says where it is kept: write { keyring = true } to read it from the OS keyring, or give the secret in quotes",
                    )),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// `api_key_cmd = ["pass", "show", "veriff/live-key"]`: a program and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SecretCommand(pub Vec<String>);

impl<'de> Deserialize<'de> for SecretCommand {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SecretCommand;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of the program and its arguments")
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<SecretCommand, E> {
                // "pass show x" split on spaces would be a guess at quoting: a list says it.
                Err(de::Error::custom(
                    "a command is a list of its program and arguments, like [\"pass\", \"show\", \"veriff/live-key\"]: it is run without a shell",
                ))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<SecretCommand, A::Error> {
                let mut argv = Vec::new();
                while let Some(word) = seq.next_element::<String>()? {
                    argv.push(word);
                }
                match argv.first() {
                    None => Err(de::Error::custom(
                        "the command is empty: give its program and arguments, like [\"pass\", \"show\", \"veriff/live-key\"]",
                    )),
                    Some(p) if p.trim().is_empty() => Err(de::Error::custom(
                        "the command's program (its first word) is empty",
                    )),
                    Some(_) => Ok(SecretCommand(argv)),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// The one source of a secret, from its two keys in the file (`api_key`, `api_key_cmd`).
pub(super) fn from_keys(
    field: SecretField,
    value: Option<SecretValue>,
    command: Option<SecretCommand>,
) -> Result<Secret, String> {
    match (value, command) {
        (Some(_), Some(_)) => Err(two_sources(field)),
        (Some(SecretValue::Inline(v)), None) => Ok(Secret::file(&v)),
        (Some(SecretValue::Keyring), None) => Ok(Secret::keyring()),
        (None, Some(SecretCommand(argv))) => Ok(Secret::command(argv)),
        (None, None) => Ok(Secret::default()),
    }
}

/// Why one secret cannot have two keys.
pub(super) fn two_sources(field: SecretField) -> String {
    format!(
        "the {} is given twice, by {} and by {}: keep one of them (a secret has one source)",
        field.words(),
        field.key(),
        field.cmd_key()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const KEY: &str = "1f0e7a52-8c4d-4e0b-9a3f-2b6c8d9e0a11";

    fn place(field: SecretField) -> Place<'static> {
        Place {
            profile: "live",
            field,
            config_file: Path::new("/cfg/config.toml"),
        }
    }

    fn mock() -> Arc<keyring_core::CredentialStore> {
        keyring_core::mock::Store::new().expect("a mock store")
    }

    #[test]
    fn a_keyring_secret_is_read_once_and_kept() {
        let store = mock();
        keyring::set(&store, "live", SecretField::ApiKey, KEY).unwrap();
        let asked = std::cell::Cell::new(0);
        let open = || {
            asked.set(asked.get() + 1);
            Ok(store.clone())
        };
        let s = Secret::keyring();
        assert_eq!(s.known(), None, "nothing asked before it is needed");
        let p = place(SecretField::ApiKey);
        let got = s.value_with(&p, &open, Duration::from_secs(5)).unwrap();
        assert_eq!(got.as_deref(), Some(KEY));
        // A copy of the settings shares the answer: the keyring is not asked again, even
        // after the entry changed there.
        keyring::set(&store, "live", SecretField::ApiKey, "changed").unwrap();
        let copy = s.clone();
        let again = copy.value_with(&p, &open, Duration::from_secs(5)).unwrap();
        assert_eq!(again.as_deref(), Some(KEY));
        assert_eq!(asked.get(), 1);
        assert_eq!(copy.known(), Some(KEY));
        assert_eq!(s.origin().as_deref(), Some("keyring"));
    }

    #[test]
    fn a_missing_keyring_entry_says_how_to_store_it() {
        let store = mock();
        let err = Secret::keyring()
            .value_with(
                &place(SecretField::SharedSecret),
                &|| Ok(store.clone()),
                Duration::from_secs(5),
            )
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("the profile \"live\" takes its shared secret from the OS keyring"),
            "{err}"
        );
        assert!(
            err.contains("veriff-tui config set-secret --profile live --shared-secret")
                && err.contains("account live/shared_secret"),
            "{err}"
        );
    }

    #[test]
    fn no_keyring_service_says_so_and_what_else_to_use() {
        let err = Secret::keyring()
            .value_with(
                &place(SecretField::ApiKey),
                &|| Err(KeyringError::Unavailable("no D-Bus session".into())),
                Duration::from_secs(5),
            )
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no keyring service is reachable here (no D-Bus session)")
                && err.contains("api_key_cmd")
                && err.contains("VERIFF_API_KEY"),
            "{err}"
        );
    }

    #[test]
    fn a_fetched_api_key_is_checked_like_a_written_one() {
        let store = mock();
        keyring::set(&store, "live", SecretField::ApiKey, "not-a-uuid-secretish").unwrap();
        let err = Secret::keyring()
            .value_with(
                &place(SecretField::ApiKey),
                &|| Ok(store.clone()),
                Duration::from_secs(5),
            )
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a UUID"), "{err}");
        assert!(!err.contains("not-a-uuid-secretish"), "{err}");
        keyring::set(&store, "live", SecretField::SharedSecret, "   ").unwrap();
        let err = Secret::keyring()
            .value_with(
                &place(SecretField::SharedSecret),
                &|| Ok(store.clone()),
                Duration::from_secs(5),
            )
            .unwrap_err()
            .to_string();
        assert!(err.contains("only spaces"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_command_that_fails_names_the_profile_and_program_and_what_to_do() {
        let argv = [
            "sh",
            "-c",
            "echo sekrit-stdout; echo 'no such entry' >&2; exit 1",
        ]
        .map(String::from)
        .to_vec();
        let s = Secret::command(argv);
        let err = s
            .value_with(
                &place(SecretField::ApiKey),
                &|| unreachable!(),
                Duration::from_secs(5),
            )
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("the profile \"live\" takes its API key from the command \"sh\" (api_key_cmd), which failed (exit status 1), saying: no such entry."),
            "{err}"
        );
        assert!(
            err.contains("/cfg/config.toml") && err.contains("VERIFF_API_KEY"),
            "{err}"
        );
        assert!(!err.contains("sekrit"), "{err}");
        assert_eq!(s.origin().as_deref(), Some("command: sh"));
        assert_eq!(s.known(), None);
    }

    #[test]
    fn written_values_need_no_asking() {
        let p = place(SecretField::SharedSecret);
        let never = || -> Result<_, KeyringError> { unreachable!() };
        let t = Duration::from_secs(1);
        assert_eq!(Secret::default().value_with(&p, &never, t).unwrap(), None);
        assert_eq!(Secret::file("").value_with(&p, &never, t).unwrap(), None);
        let env = Secret::environment(ENV_SHARED_SECRET, "from-env");
        assert_eq!(
            env.value_with(&p, &never, t).unwrap().as_deref(),
            Some("from-env")
        );
        assert_eq!(
            env.origin().as_deref(),
            Some("environment VERIFF_SHARED_SECRET")
        );
        assert_eq!(Secret::file("x1234").origin().as_deref(), Some("file"));
        assert_eq!(
            format!("{:?}", Secret::file("abcdef-secret")),
            "••••cret (from file)"
        );
    }

    #[test]
    fn two_keys_for_one_secret_are_refused() {
        let cmd = Some(SecretCommand(vec!["pass".into()]));
        let err = from_keys(SecretField::ApiKey, Some(SecretValue::Keyring), cmd.clone());
        assert_eq!(err, Err(two_sources(SecretField::ApiKey)));
        assert_eq!(
            from_keys(SecretField::ApiKey, None, cmd),
            Ok(Secret::command(vec!["pass".into()]))
        );
    }
}
