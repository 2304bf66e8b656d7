//! TLS to the server with rustls (no OpenSSL), as the URL's `sslmode` and `sslrootcert`
//! ask (`url::Tls`):
//!
//! - `require`, `verify-full`: the certificate checked whole, signed by an authority this
//!   machine trusts (the OS's trust store, through the verifier the HTTP client uses) or
//!   by one in the `sslrootcert` file, and issued for the host connected to.
//! - `verify-ca`: signed so, whatever host it names.
//! - `prefer` (the default) and `allow`: TLS when the server offers it, its certificate not
//!   checked, as libpq does; `disable`: never TLS.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::url::{SslMode, Tls};

/// The connector handed to the driver; it is used only when the URL asks for TLS (or
/// prefers it and the server offers it).
pub(super) fn connector(tls: &Tls) -> Result<MakeRustlsConnect, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier: Arc<dyn ServerCertVerifier> = match tls.mode {
        SslMode::Disable | SslMode::Prefer => Arc::new(Unchecked(provider.clone())),
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
            let checked: Arc<dyn ServerCertVerifier> = match &tls.root_cert {
                Some(path) => {
                    WebPkiServerVerifier::builder_with_provider(roots(path)?, provider.clone())
                        .build()
                        .map_err(|e| format!("TLS cannot be set up: {e}"))?
                }
                None => Arc::new(
                    rustls_platform_verifier::Verifier::new(provider.clone())
                        .map_err(|e| format!("TLS cannot be set up: {e}"))?,
                ),
            };
            if tls.mode == SslMode::VerifyCa {
                Arc::new(AnyHost(checked))
            } else {
                checked
            }
        }
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS cannot be set up: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// The authorities of the `sslrootcert` file.
fn roots(path: &std::path::Path) -> Result<Arc<rustls::RootCertStore>, String> {
    let shown = crate::text::sanitize(&path.display().to_string());
    let pem = std::fs::read(path).map_err(|e| {
        format!("sslrootcert={shown} cannot be read ({e}): name the PEM file of the certificate authority that signed the server's certificate")
    })?;
    let mut store = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| format!("sslrootcert={shown} is not a PEM file ({e})"))?;
        store.add(cert).map_err(|e| {
            format!("sslrootcert={shown} holds a certificate that cannot be used ({e})")
        })?;
    }
    if store.is_empty() {
        return Err(format!(
            "sslrootcert={shown} holds no certificate (a PEM file has -----BEGIN CERTIFICATE----- blocks)"
        ));
    }
    Ok(Arc::new(store))
}

/// What a failed handshake's certificate error means for the operator, when it is one.
pub(super) fn certificate_problem(e: &postgres::Error, host: &str) -> Option<String> {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let tls = s.downcast_ref::<rustls::Error>().or_else(|| {
            s.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        if let Some(rustls::Error::InvalidCertificate(why)) = tls {
            return Some(match why {
                CertificateError::UnknownIssuer | CertificateError::BadSignature => format!(
                    "the server's TLS certificate is not signed by an authority this machine trusts: if your team signs it with its own authority, add sslrootcert=/path/to/that-ca.pem to the URL (or add the authority to the OS's trust store) ({why:?})"
                ),
                CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. } => format!(
                    "the server's TLS certificate is not issued for {host}: connect by the name it was issued for, or use sslmode=verify-ca to check only who signed it"
                ),
                CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                    "the server's TLS certificate has expired: its administrator has to renew it"
                        .into()
                }
                other => format!(
                    "the server's TLS certificate was refused ({other:?}): check sslmode and sslrootcert in the URL"
                ),
            });
        }
        source = s.source();
    }
    None
}

/// Accepts any certificate (`prefer`, `allow`): the connection is encrypted, not
/// authenticated. The handshake's own signatures are still checked.
#[derive(Debug)]
struct Unchecked(Arc<CryptoProvider>);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: a certificate checked as the inner verifier checks it, except for the host
/// it names (checked last, so every other fault is still found).
#[derive(Debug)]
struct AnyHost(Arc<dyn ServerCertVerifier>);

impl ServerCertVerifier for AnyHost {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}
