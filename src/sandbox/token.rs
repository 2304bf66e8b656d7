//! The sandbox's sessionToken: a real HS256 JWT signed with the sandbox secret, so clients
//! decode exactly what Veriff's tokens hold.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

use crate::veriff::sign;
use crate::veriff::token::SESSION_LIFETIME_DAYS;

use super::SANDBOX_SHARED_SECRET;

/// Stands in for Veriff's vendor integration id (`vid`): one sandbox, one integration.
pub(crate) const SANDBOX_INTEGRATION_ID: &str = "5a4db0c5-0000-4000-8000-5a4db0c5a4db";

/// `header.payload.signature`, each part base64url without padding.
pub(crate) fn session_token(session_id: &str, iat: i64) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = json!({
        "session_id": session_id,
        "iat": iat,
        "exp": iat + SESSION_LIFETIME_DAYS * 24 * 60 * 60,
        "vid": SANDBOX_INTEGRATION_ID,
    });
    let payload = URL_SAFE_NO_PAD.encode(payload.to_string());
    let signing_input = format!("{header}.{payload}");
    let sig_hex = sign::signature(SANDBOX_SHARED_SECRET, signing_input.as_bytes());
    // sign::signature gives hex of a 32-byte MAC, so decoding it back cannot fail.
    let sig = hex::decode(sig_hex).unwrap_or_default();
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_decodes_with_the_client_decoder() {
        let t = session_token("abc", 1_700_000_000);
        let claims = crate::veriff::token::decode_claims(&t).unwrap();
        assert_eq!(claims.session_id.as_deref(), Some("abc"));
        assert_eq!(claims.exp, Some(1_700_000_000 + 7 * 86_400));
        assert_eq!(t.split('.').count(), 3);
        assert!(!t.contains('='));
    }
}
