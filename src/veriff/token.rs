//! The `sessionToken` is an HS256 JWT. Its payload is read (never verified: we do not hold
//! Veriff's key) for `session_id`, `iat` and `exp`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

/// How long Veriff keeps a session URL valid.
pub const SESSION_LIFETIME_DAYS: i64 = 7;

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct TokenClaims {
    pub session_id: Option<String>,
    pub iat: Option<i64>,
    pub exp: Option<i64>,
}

/// Decodes the payload of a JWT without verifying it. `None` for anything malformed.
pub fn decode_claims(token: &str) -> Option<TokenClaims> {
    let payload = token.split('.').nth(1)?;
    // Some encoders pad; base64url without padding is the JWT rule.
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Expiry to show a user: the token's `exp` when present, else created + 7 days.
///
/// An `exp` no Veriff session has (not after its creation, or more than
/// [`MAX_LIFETIME_DAYS`] later: `exp=0`, `exp=8e12`) is not believed: the session is given
/// the documented 7 days instead, rather than an expiry of now or of the year 255479.
pub fn expiry(token: Option<&str>, created_at: DateTime<Utc>) -> DateTime<Utc> {
    let latest = created_at + Duration::days(MAX_LIFETIME_DAYS);
    token
        .and_then(decode_claims)
        .and_then(|c| c.exp)
        .and_then(|exp| DateTime::from_timestamp(exp, 0))
        .filter(|t| *t > created_at && *t <= latest)
        .unwrap_or(created_at + Duration::days(SESSION_LIFETIME_DAYS))
}

/// The longest a session link is taken to live (Veriff's default is 7 days; integrations
/// may set it longer, up to weeks).
pub const MAX_LIFETIME_DAYS: i64 = 90;

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        format!(
            "{}.{}.sig",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    #[test]
    fn an_expiry_no_session_has_is_not_believed() {
        let created = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let week = created + Duration::days(SESSION_LIFETIME_DAYS);
        for exp in ["0", "1700000000", "8000000000000", "-5"] {
            let t = jwt(&format!(r#"{{"session_id":"abc","exp":{exp}}}"#));
            assert_eq!(expiry(Some(&t), created), week, "exp={exp}");
        }
        let t = jwt(r#"{"session_id":"abc","exp":1700600000}"#);
        assert_eq!(expiry(Some(&t), created).timestamp(), 1_700_600_000);
    }

    #[test]
    fn reads_exp_and_falls_back_to_seven_days() {
        let created = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let t = jwt(r#"{"session_id":"abc","iat":1700000000,"exp":1700600000}"#);
        assert_eq!(
            decode_claims(&t).unwrap().session_id.as_deref(),
            Some("abc")
        );
        assert_eq!(expiry(Some(&t), created).timestamp(), 1_700_600_000);
        let old = jwt(r#"{"session_id":"abc","iat":1700000000}"#);
        assert_eq!(expiry(Some(&old), created), created + Duration::days(7));
        assert_eq!(
            expiry(Some("garbage"), created),
            created + Duration::days(7)
        );
        assert_eq!(expiry(None, created), created + Duration::days(7));
    }
}
