//! `config set-secret`: stores the active profile's API key or shared secret in the OS
//! keyring. The secret is read from stdin (typed without echo on a terminal), never from
//! the command line, where the shell's history and `ps` would keep it.

use std::io::{IsTerminal, Read};
use std::sync::Arc;

use super::{EXIT_LOCAL, EXIT_USAGE, Failure, Outcome, SetSecretArgs, output};
use crate::config::keyring::{self, KeyringError};
use crate::config::{SecretField, Settings, mask};
use crate::text::sanitize;

/// More than any secret: piped input past this is refused, not stored.
const MAX_INPUT: u64 = 64 * 1024;

pub(super) fn run(settings: &Settings, args: &SetSecretArgs) -> Outcome {
    let field = if args.api_key {
        SecretField::ApiKey
    } else {
        SecretField::SharedSecret
    };
    let done = store(settings, field, &keyring::platform, &mut read_secret)?;
    output::line(&done.stored)?;
    if let Some(note) = done.note {
        output::note(&format!("note: {note}"));
    }
    Ok(())
}

/// What a stored secret leaves to say: the line for stdout, and a note when the profile
/// will not read it as configured.
#[derive(Debug)]
struct Done {
    stored: String,
    note: Option<String>,
}

/// Stores the secret that `read` gives for `field` of the active profile in the keyring
/// that `open` opens.
fn store(
    settings: &Settings,
    field: SecretField,
    open: &dyn Fn() -> Result<Arc<keyring_core::CredentialStore>, KeyringError>,
    read: &mut dyn FnMut(&str) -> Result<String, Failure>,
) -> Result<Done, Failure> {
    let name = &settings.profile_name;
    let shown = sanitize(name);
    let file = settings.paths.config_file.display().to_string();
    let Some(profile) = settings
        .config
        .profiles
        .get(name)
        .filter(|_| !settings.sandbox)
    else {
        return Err(Failure::new(
            EXIT_USAGE,
            format!("there is no profile \"{shown}\" in {} to store a secret for", sanitize(&file)),
        )
        .hint(format!(
            "Add [profiles.{shown}] to the config file with {} = {{ keyring = true }}, and choose it with --profile.",
            field.key()
        )));
    };
    let account = keyring::account(name, field);
    let set_secret = format!(
        "veriff-tui config set-secret --profile {shown} {}",
        field.flag()
    );
    let words = |e: &KeyringError| e.words(&account, &set_secret, field.env_var(), field.cmd_key());
    // The keyring first: nobody types a secret only to learn that it cannot be kept.
    let cannot_store = |e: KeyringError| {
        Failure::new(
            EXIT_LOCAL,
            format!(
                "cannot store the {} of profile \"{shown}\": {}.",
                field.words(),
                words(&e)
            ),
        )
    };
    let store = open().map_err(cannot_store)?;
    let prompt = format!(
        "{} of profile \"{shown}\" (typing is not shown): ",
        capitalised(field.words())
    );
    let secret = read(&prompt)?;
    let secret = secret.trim();
    if secret.is_empty() {
        return Err(Failure::new(
            EXIT_USAGE,
            format!("no {} was given: nothing was stored", field.words()),
        )
        .hint("Type or paste it at the prompt, or pipe it in: `pass show veriff/key | veriff-tui config set-secret …`."));
    }
    if secret.contains(['\n', '\r']) {
        return Err(Failure::new(
            EXIT_USAGE,
            format!(
                "the {} given has more than one line: nothing was stored",
                field.words()
            ),
        )
        .hint("Give the secret alone, on one line."));
    }
    if let Err(why) = field.check(secret) {
        return Err(Failure::new(
            EXIT_USAGE,
            format!("the {} given {why}: nothing was stored", field.words()),
        ));
    }
    keyring::set(&store, name, field, secret).map_err(cannot_store)?;
    tracing::info!(profile = %shown, field = field.key(), "secret stored in the keyring");
    let stored = format!(
        "stored the {} {} of profile \"{shown}\" in the OS keyring (service {}, account {})",
        field.words(),
        mask(secret),
        keyring::SERVICE,
        sanitize(&account)
    );
    let reads = match field {
        SecretField::ApiKey => &profile.api_key,
        SecretField::SharedSecret => &profile.shared_secret,
    };
    let note = if settings.origin.env_fields.contains(&field.key()) {
        Some(format!(
            "{} is set, and wins over the keyring while it is",
            field.env_var()
        ))
    } else if !reads.is_keyring() {
        Some(format!(
            "[profiles.{shown}] does not read it yet: write {} = {{ keyring = true }} there, in {} (and remove its other {} source)",
            field.key(),
            sanitize(&file),
            field.key()
        ))
    } else {
        None
    };
    Ok(Done { stored, note })
}

fn capitalised(words: &str) -> String {
    let mut c = words.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// The secret from a terminal, typed without echo; or the whole of piped stdin.
fn read_secret(prompt: &str) -> Result<String, Failure> {
    let cannot =
        |e: std::io::Error| Failure::new(EXIT_LOCAL, format!("cannot read the secret: {e}"));
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password(prompt).map_err(cannot);
    }
    read_piped(std::io::stdin().lock()).map_err(cannot)
}

/// All of `input`, up to [`MAX_INPUT`]: more is refused rather than cut.
fn read_piped(input: impl Read) -> std::io::Result<String> {
    let mut bytes = Vec::new();
    input.take(MAX_INPUT + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_INPUT {
        return Err(std::io::Error::other(format!(
            "more than {} KiB was given, which is no secret",
            MAX_INPUT / 1024
        )));
    }
    String::from_utf8(bytes).map_err(|_| std::io::Error::other("what was given is not UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{EnvValues, Paths, parse_config_text, resolve};
    use std::path::Path;

    const KEY: &str = "1f0e7a52-8c4d-4e0b-9a3f-2b6c8d9e0a11";

    fn settings(text: &str, profile: Option<&str>) -> Settings {
        let config = parse_config_text(text, Path::new("c.toml")).unwrap();
        let paths = Paths::new("/cfg/c.toml".into(), "/data".into());
        resolve(config, paths, true, EnvValues::default(), profile).unwrap()
    }

    fn mock() -> Arc<keyring_core::CredentialStore> {
        keyring_core::mock::Store::new().unwrap()
    }

    const FILE: &str = "[profiles.live]\nbase_url = \"https://x.io\"\napi_key = { keyring = true }\nshared_secret_cmd = [\"pass\"]\n";

    #[test]
    fn the_secret_read_is_stored_under_the_profile_and_read_back() {
        let s = settings(FILE, Some("live"));
        let kr = mock();
        let done = store(&s, SecretField::ApiKey, &|| Ok(kr.clone()), &mut |prompt| {
            assert_eq!(
                prompt,
                "API key of profile \"live\" (typing is not shown): "
            );
            Ok(format!("  {KEY}\n"))
        })
        .unwrap();
        assert_eq!(
            keyring::get(&kr, "live", SecretField::ApiKey).as_deref(),
            Ok(KEY)
        );
        assert!(
            done.stored.contains("••••0a11") && !done.stored.contains(KEY),
            "{}",
            done.stored
        );
        assert!(
            done.stored.contains("account live/api_key"),
            "{}",
            done.stored
        );
        assert!(done.note.is_none(), "{:?}", done.note);
        // The profile reads its shared secret from a command: stored, with a note.
        let done = store(
            &s,
            SecretField::SharedSecret,
            &|| Ok(kr.clone()),
            &mut |_| Ok("s3cret-shared".into()),
        )
        .unwrap();
        let note = done.note.unwrap_or_default();
        assert!(
            note.contains("shared_secret = { keyring = true }"),
            "{note}"
        );
    }

    #[test]
    fn bad_input_is_refused_and_nothing_stored() {
        let s = settings(FILE, Some("live"));
        let kr = mock();
        for (input, words) in [
            ("  \n", "no API key was given"),
            ("a\nb\n", "more than one line"),
            ("not-a-uuid-secretish", "not a UUID"),
        ] {
            let f = store(&s, SecretField::ApiKey, &|| Ok(kr.clone()), &mut |_| {
                Ok(input.into())
            })
            .unwrap_err();
            assert_eq!(f.code, EXIT_USAGE);
            assert!(f.message.contains(words), "{input:?}: {}", f.message);
            assert!(!f.message.contains("secretish"), "{}", f.message);
        }
        assert_eq!(
            keyring::get(&kr, "live", SecretField::ApiKey),
            Err(KeyringError::Missing)
        );
    }

    #[test]
    fn no_keyring_is_said_before_anything_is_read() {
        let s = settings(FILE, Some("live"));
        let f = store(
            &s,
            SecretField::SharedSecret,
            &|| Err(KeyringError::Unavailable("no D-Bus session".into())),
            &mut |_| panic!("read although nothing can be stored"),
        )
        .unwrap_err();
        assert_eq!(f.code, EXIT_LOCAL);
        assert!(
            f.message.contains("no keyring service is reachable")
                && f.message.contains("shared_secret_cmd"),
            "{}",
            f.message
        );
    }

    #[test]
    fn a_profile_not_in_the_file_is_refused() {
        // No profile in the file, none chosen: the fallback name "default" is no profile.
        let s = settings("", None);
        let f = store(&s, SecretField::ApiKey, &|| Ok(mock()), &mut |_| {
            panic!("read for no profile")
        });
        let f = f.unwrap_err();
        assert_eq!(f.code, EXIT_USAGE);
        assert!(
            f.message.contains("no profile \"default\""),
            "{}",
            f.message
        );
    }

    #[test]
    fn piped_input_is_read_whole_within_a_limit() {
        assert_eq!(read_piped(&b"s3cret\n"[..]).unwrap(), "s3cret\n");
        let big = vec![b'a'; 64 * 1024 + 1];
        assert!(read_piped(&big[..]).is_err());
        assert!(read_piped(&b"\xff"[..]).is_err());
    }
}
