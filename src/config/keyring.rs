//! The OS keyring: the Secret Service (GNOME Keyring, KWallet) on Linux and the BSDs,
//! the Keychain on macOS, the Credential Manager on Windows. A profile's secret is kept
//! there under the service `veriff-tui` and the account `PROFILE/api_key` or
//! `PROFILE/shared_secret`.
//!
//! keyring-core with one store per platform, as the keyring crate (4.x) tells applications
//! to link it; on Linux the store speaks D-Bus in pure Rust (zbus), so no libdbus is
//! needed to build or run. The store is opened at the first use, once per process: a
//! profile that does not use the keyring never touches D-Bus.

use std::sync::{Arc, OnceLock};

use keyring_core::{CredentialStore, Entry, Error};

use super::SecretField;

/// The service name every entry of ours is stored under.
pub const SERVICE: &str = "veriff-tui";

/// The account name of a profile's secret: `live/api_key`.
pub fn account(profile: &str, field: SecretField) -> String {
    format!("{profile}/{}", field.key())
}

/// Why the keyring gave nothing, in words that end a sentence about the profile's secret
/// and say what to do. No variant holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyringError {
    /// No keyring service could be reached (a headless server: no D-Bus session, or no
    /// Secret Service on it).
    Unavailable(String),
    /// The keyring holds no such entry.
    Missing,
    /// The keyring is locked, or its owner refused access.
    Refused(String),
    /// Anything else the platform said.
    Failed(String),
}

impl KeyringError {
    fn from_core(e: Error) -> Self {
        let said = |e: &dyn std::fmt::Display| crate::text::sanitize(&e.to_string());
        match e {
            Error::NoEntry => KeyringError::Missing,
            Error::NoStorageAccess(inner) => KeyringError::Refused(said(&inner)),
            // Never the entries themselves, nor the bytes of a badly encoded secret.
            Error::Ambiguous(entries) => KeyringError::Failed(format!(
                "it holds {} entries for this account, where one was expected: delete the others with your keyring's own tool",
                entries.len()
            )),
            Error::BadEncoding(_) => {
                KeyringError::Failed("the entry found is not UTF-8 text".into())
            }
            Error::BadDataFormat(_, _) => {
                KeyringError::Failed("the entry found is not in the expected form".into())
            }
            other => KeyringError::Failed(said(&other)),
        }
    }

    /// The sentence's end: what happened and what to do next. `set_secret`: the command
    /// that stores the missing entry.
    pub fn words(&self, account: &str, set_secret: &str, env_var: &str, cmd_key: &str) -> String {
        match self {
            KeyringError::Unavailable(why) => format!(
                "no keyring service is reachable here ({why}); a server without a desktop session usually has none. Take the secret from a command ({cmd_key}) or from the environment ({env_var}) instead"
            ),
            KeyringError::Missing => format!(
                "the keyring holds no entry for it (service {SERVICE}, account {account}). Store it with `{set_secret}`"
            ),
            KeyringError::Refused(why) => format!(
                "the keyring refused access ({why}). Unlock it (log in to the desktop session, or open your keyring's own tool) and try again"
            ),
            KeyringError::Failed(why) => {
                format!("the keyring failed (service {SERVICE}, account {account}): {why}")
            }
        }
    }
}

/// The platform's keyring, opened at the first call; the same answer afterwards.
pub fn platform() -> Result<Arc<CredentialStore>, KeyringError> {
    static STORE: OnceLock<Result<Arc<CredentialStore>, KeyringError>> = OnceLock::new();
    STORE.get_or_init(open_platform_store).clone()
}

fn open_platform_store() -> Result<Arc<CredentialStore>, KeyringError> {
    let unavailable = |e: Error| KeyringError::Unavailable(crate::text::sanitize(&e.to_string()));
    #[cfg(target_os = "macos")]
    {
        let store: Arc<CredentialStore> =
            apple_native_keyring_store::keychain::Store::new().map_err(unavailable)?;
        Ok(store)
    }
    #[cfg(target_os = "windows")]
    {
        let store: Arc<CredentialStore> =
            windows_native_keyring_store::Store::new().map_err(unavailable)?;
        Ok(store)
    }
    #[cfg(all(
        unix,
        not(any(target_os = "macos", target_os = "ios", target_os = "android"))
    ))]
    {
        let store: Arc<CredentialStore> =
            zbus_secret_service_keyring_store::Store::new().map_err(unavailable)?;
        Ok(store)
    }
    #[cfg(not(any(
        target_os = "macos",
        target_os = "windows",
        all(
            unix,
            not(any(target_os = "macos", target_os = "ios", target_os = "android"))
        )
    )))]
    {
        let _ = unavailable;
        Err(KeyringError::Unavailable(
            "this platform has no keyring veriff-tui can use".into(),
        ))
    }
}

fn entry(
    store: &Arc<CredentialStore>,
    profile: &str,
    field: SecretField,
) -> Result<Entry, KeyringError> {
    Entry::new_in_store(store, SERVICE, &account(profile, field)).map_err(KeyringError::from_core)
}

/// The secret stored for `field` of `profile`.
pub fn get(
    store: &Arc<CredentialStore>,
    profile: &str,
    field: SecretField,
) -> Result<String, KeyringError> {
    entry(store, profile, field)?
        .get_password()
        .map_err(KeyringError::from_core)
}

/// Stores `secret` for `field` of `profile`, replacing what was there.
pub fn set(
    store: &Arc<CredentialStore>,
    profile: &str,
    field: SecretField,
    secret: &str,
) -> Result<(), KeyringError> {
    entry(store, profile, field)?
        .set_password(secret)
        .map_err(KeyringError::from_core)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mock() -> Arc<CredentialStore> {
        keyring_core::mock::Store::new().expect("a mock store")
    }

    #[test]
    fn a_secret_set_is_read_back_under_its_own_account() {
        let store = mock();
        set(&store, "live", SecretField::SharedSecret, "s3cret").unwrap();
        assert_eq!(
            get(&store, "live", SecretField::SharedSecret).as_deref(),
            Ok("s3cret")
        );
        // Another field, another profile: their own entries, still empty.
        assert_eq!(
            get(&store, "live", SecretField::ApiKey),
            Err(KeyringError::Missing)
        );
        assert_eq!(
            get(&store, "test", SecretField::SharedSecret),
            Err(KeyringError::Missing)
        );
        set(&store, "live", SecretField::SharedSecret, "newer").unwrap();
        assert_eq!(
            get(&store, "live", SecretField::SharedSecret).as_deref(),
            Ok("newer")
        );
        assert_eq!(account("live", SecretField::ApiKey), "live/api_key");
    }

    #[test]
    fn what_the_platform_says_is_sorted_into_plain_cases() {
        let store = mock();
        let e = Entry::new_in_store(&store, SERVICE, "p/api_key").unwrap();
        let cred: &keyring_core::mock::Cred = e.as_any().downcast_ref().unwrap();
        cred.set_error(Error::NoStorageAccess("locked".into()));
        let got = get(&store, "p", SecretField::ApiKey);
        assert_eq!(got, Err(KeyringError::Refused("locked".into())));
        cred.set_error(Error::BadEncoding(b"raw-secret-bytes".to_vec()));
        let Err(got) = get(&store, "p", SecretField::ApiKey) else {
            panic!("an error was set");
        };
        let words = got.words("p/api_key", "x", "VERIFF_API_KEY", "api_key_cmd");
        assert!(!words.contains("raw-secret"), "{words}");
        assert!(words.contains("not UTF-8"), "{words}");
    }

    #[test]
    fn each_case_says_what_to_do() {
        let w = |e: KeyringError| {
            e.words(
                "live/shared_secret",
                "veriff-tui config set-secret --profile live --shared-secret",
                "VERIFF_SHARED_SECRET",
                "shared_secret_cmd",
            )
        };
        let none = w(KeyringError::Unavailable("no D-Bus".into()));
        assert!(
            none.contains("no keyring service")
                && none.contains("shared_secret_cmd")
                && none.contains("VERIFF_SHARED_SECRET"),
            "{none}"
        );
        let missing = w(KeyringError::Missing);
        assert!(
            missing.contains("account live/shared_secret")
                && missing.contains("veriff-tui config set-secret --profile live --shared-secret"),
            "{missing}"
        );
        assert!(w(KeyringError::Refused("locked".into())).contains("Unlock"));
    }
}
