//! `X-HMAC-SIGNATURE`: lowercase hex of HMAC-SHA256(shared secret, message).

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Lowercase hex HMAC-SHA256 of `message` under `secret`.
pub fn signature(secret: &str, message: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match HmacSha256::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// Checks a received signature in constant time; hex case does not matter.
pub fn verify(secret: &str, message: &[u8], signature_hex: &str) -> bool {
    let Ok(given) = hex::decode(signature_hex.trim()) else {
        return false;
    };
    let Ok(mut mac) = HmacSha256::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(message);
    mac.verify_slice(&given).is_ok()
}

/// True when `s` looks like a SHA-256 hex digest (Veriff answers 1812 otherwise).
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTOR_SECRET: &str = "abcdef12-abcd-abcd-abcd-abcdef012345";
    const VECTOR_BODY: &str = r#"{"verification":{"callback":"https://veriff.com","person":{"firstName":"John","lastName":"Smith"},"document":{"type":"PASSPORT","country":"EE"},"vendorData":"unique id of a user","timestamp":"2016-05-19T08:30:25.597Z"}}"#;
    const VECTOR_SIG: &str = "6af6d95822e19e9cc707aec55395d8d363ba2c7bc4625bc04ebeca0c7bf8cd67";

    #[test]
    fn public_test_vector() {
        assert_eq!(signature(VECTOR_SECRET, VECTOR_BODY.as_bytes()), VECTOR_SIG);
    }

    #[test]
    fn verify_is_case_insensitive_and_rejects_others() {
        assert!(verify(VECTOR_SECRET, VECTOR_BODY.as_bytes(), VECTOR_SIG));
        assert!(verify(
            VECTOR_SECRET,
            VECTOR_BODY.as_bytes(),
            &VECTOR_SIG.to_uppercase()
        ));
        assert!(!verify(VECTOR_SECRET, b"other", VECTOR_SIG));
        assert!(!verify(VECTOR_SECRET, VECTOR_BODY.as_bytes(), "zz"));
        assert!(is_sha256_hex(VECTOR_SIG));
        assert!(!is_sha256_hex("abc"));
    }
}
