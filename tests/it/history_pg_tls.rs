//! The shared history over TLS, against a server of its own with `ssl = on` and a
//! certificate signed by an authority made for the test: trusted when the URL names that
//! authority (`sslrootcert`), refused with what to do when nothing here trusts it, and
//! the modes that check less (`verify-ca`, `prefer`) or nothing (`disable`) as documented.
//! Whether a connection is encrypted is asked of the server (`pg_stat_ssl`).

use crate::support::SandboxEnv;
use crate::support::pg::PASSWORD;
use crate::support::pg_tls::TlsServer;
use veriff_tui::history::{Query, Store, StoreError};

fn ca_param(server: &TlsServer) -> String {
    format!("sslrootcert={}", server.ca.display())
}

#[test]
fn a_private_authority_named_by_sslrootcert_is_trusted_and_the_link_is_encrypted() {
    let server = TlsServer::start();
    let url = server.database(
        "tls_trusted",
        "127.0.0.1",
        &format!("sslmode=require&{}", ca_param(&server)),
    );
    let store = Store::open_url(&url).unwrap_or_else(|e| panic!("{e}"));
    let version = store.encryption().unwrap();
    assert!(
        version.as_deref().is_some_and(|v| v.starts_with("TLSv1.")),
        "{version:?}"
    );
    assert!(!store.path().contains(PASSWORD), "{}", store.path());
    for mode in ["verify-full", "verify-ca"] {
        let url = server.url(
            "tls_trusted",
            "127.0.0.1",
            &format!("sslmode={mode}&{}", ca_param(&server)),
        );
        let store = Store::open_url(&url).unwrap_or_else(|e| panic!("{mode}: {e}"));
        assert!(store.encryption().unwrap().is_some(), "{mode}");
    }

    // The binary, as an operator runs it: a link made and listed over the encrypted link.
    let env = SandboxEnv::new();
    let shared = [("VERIFF_TUI_HISTORY_URL", url.as_str())];
    let (code, _, err) = env.run_with(&["generate", "--first-name", "Overtls"], &shared);
    assert_eq!(code, 0, "stderr: {err}");
    let (code, out, err) = env.run_with(&["history"], &shared);
    assert_eq!(code, 0, "stderr: {err}");
    assert!(out.contains("Overtls"), "{out}");
    assert!(!out.contains(PASSWORD) && !err.contains(PASSWORD));
    assert_eq!(
        store
            .page(&Query::default())
            .unwrap()
            .iter()
            .map(|r| r.first_name.as_str())
            .collect::<Vec<_>>(),
        ["Overtls"]
    );
}

#[test]
fn a_certificate_nothing_here_trusts_is_refused_saying_what_to_do() {
    let server = TlsServer::start();
    let url = server.database("tls_untrusted", "127.0.0.1", "sslmode=require");
    let err = Store::open_url(&url).unwrap_err();
    assert!(matches!(err, StoreError::Shared { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("not signed by an authority this machine trusts")
            && text.contains("sslrootcert="),
        "{text}"
    );
    assert!(!text.contains(PASSWORD), "{text}");

    // The binary says the same, and sends nothing.
    let env = SandboxEnv::new();
    let (code, out, err) = env.run_with(
        &["generate", "--first-name", "Nottrusted"],
        &[("VERIFF_TUI_HISTORY_URL", url.as_str())],
    );
    assert_ne!(code, 0, "{out}");
    assert!(err.contains("sslrootcert="), "{err}");
    assert!(!err.contains(PASSWORD) && !out.contains(PASSWORD), "{err}");
    assert_eq!(
        server.server.0.psql(
            "tls_untrusted",
            "SELECT count(*) FROM pg_tables WHERE tablename = 'sessions'"
        ),
        "0"
    );
}

#[test]
fn verify_full_checks_the_host_verify_ca_only_the_signature() {
    let server = TlsServer::start();
    // The certificate is for 127.0.0.1; `localhost` is another name for the same server.
    server.server.database("tls_names");
    let url = |mode: &str| {
        server.url(
            "tls_names",
            "localhost",
            &format!("sslmode={mode}&{}", ca_param(&server)),
        )
    };
    let text = Store::open_url(&url("verify-full"))
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("not issued for localhost") && text.contains("sslmode=verify-ca"),
        "{text}"
    );
    let store = Store::open_url(&url("verify-ca")).unwrap_or_else(|e| panic!("{e}"));
    assert!(store.encryption().unwrap().is_some());
}

#[test]
fn prefer_encrypts_without_checking_and_disable_does_not_encrypt_as_libpq() {
    let server = TlsServer::start();
    let url = server.database("tls_prefer", "127.0.0.1", "sslmode=prefer");
    let store = Store::open_url(&url).unwrap_or_else(|e| panic!("{e}"));
    assert!(store.encryption().unwrap().is_some());
    // Without sslmode: libpq's default, prefer.
    let url = server.url("tls_prefer", "127.0.0.1", "application_name=x");
    assert!(
        Store::open_url(&url)
            .unwrap()
            .encryption()
            .unwrap()
            .is_some()
    );
    let url = server.url("tls_prefer", "127.0.0.1", "sslmode=disable");
    assert_eq!(Store::open_url(&url).unwrap().encryption().unwrap(), None);
}

#[test]
fn an_sslrootcert_that_cannot_be_read_says_which_file() {
    let server = TlsServer::start();
    let url = server.database(
        "tls_missing",
        "127.0.0.1",
        "sslmode=require&sslrootcert=/nonexistent/team-ca.pem",
    );
    let text = Store::open_url(&url).unwrap_err().to_string();
    assert!(
        text.contains("sslrootcert=/nonexistent/team-ca.pem cannot be read"),
        "{text}"
    );
    assert!(!text.contains(PASSWORD), "{text}");
}
