//! PostgreSQL's MD5 password method, kept as a fallback for old clients.
//!
//! The server keeps `"md5" + hex(md5(password || user))`. It sends a random
//! 4-byte salt (AuthenticationMD5Password); the client answers
//! `"md5" + hex(md5(hex(md5(password || user)) || salt))`, which the server
//! recomputes from the stored hash alone and compares in constant time.

use md5::{Digest, Md5};
use subtle::ConstantTimeEq;

fn md5_hex(parts: &[&[u8]]) -> String {
    let mut h = Md5::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The stored form: `md5` followed by 32 hex digits.
pub fn stored_hash(password: &str, user: &str) -> String {
    format!("md5{}", md5_hex(&[password.as_bytes(), user.as_bytes()]))
}

/// True if `stored` has the form [`stored_hash`] produces.
pub fn is_stored_hash(stored: &str) -> bool {
    stored.len() == 35
        && stored.starts_with("md5")
        && stored[3..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// What a client holding the password answers to `salt`.
pub fn client_response(stored: &str, salt: [u8; 4]) -> String {
    let inner = stored.strip_prefix("md5").unwrap_or(stored);
    format!("md5{}", md5_hex(&[inner.as_bytes(), &salt]))
}

/// Checks a client's PasswordMessage (without its terminating NUL).
pub fn verify(stored: &str, salt: [u8; 4], response: &[u8]) -> bool {
    let expected = client_response(stored, salt);
    bool::from(expected.as_bytes().ct_eq(response))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_postgres_hash() {
        // SELECT 'md5' || md5('secret' || 'driftdb') in PostgreSQL.
        let h = stored_hash("secret", "driftdb");
        assert_eq!(h, format!("md5{}", md5_hex(&[b"secretdriftdb"])));
        assert!(is_stored_hash(&h));
        assert!(!is_stored_hash("md5xyz"));
        // md5("") is the well-known d41d8cd98f00b204e9800998ecf8427e.
        assert_eq!(md5_hex(&[b""]), "d41d8cd98f00b204e9800998ecf8427e");
    }

    #[test]
    fn verifies_salted_response() {
        let h = stored_hash("secret", "driftdb");
        let salt = [1, 2, 3, 4];
        let good = client_response(&h, salt);
        assert!(verify(&h, salt, good.as_bytes()));
        assert!(!verify(&h, [1, 2, 3, 5], good.as_bytes()));
        assert!(!verify(&h, salt, b"md5"));
        let other = client_response(&stored_hash("Secret", "driftdb"), salt);
        assert!(!verify(&h, salt, other.as_bytes()));
    }
}
