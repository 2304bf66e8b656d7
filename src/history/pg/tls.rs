//! TLS to the server (`sslmode=require` in the URL) with rustls, checking the server's
//! certificate against the OS's trust store as the HTTP client does (the same verifier
//! crate), so no OpenSSL is needed.

use std::sync::Arc;

use tokio_postgres_rustls::MakeRustlsConnect;

/// The connector handed to the driver; it is used only when the URL asks for TLS (or
/// prefers it and the server offers it).
pub(super) fn connector() -> Result<MakeRustlsConnect, String> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_platform_verifier())
        .map_err(|e| format!("TLS cannot be set up: {e}"))?
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}
