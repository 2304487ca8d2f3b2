//! SCRAM-SHA-256, server side (RFC 5802 with RFC 7677's SHA-256), as
//! PostgreSQL speaks it: no channel binding (we have no TLS), gs2 header
//! `n,,` or `y,,`, the user name in the SCRAM message ignored (the startup
//! packet names the user).
//!
//! Only the verifier is kept: `SaltedPassword = PBKDF2-HMAC-SHA256(password,
//! salt, i)`, `StoredKey = SHA256(HMAC(SaltedPassword, "Client Key"))`,
//! `ServerKey = HMAC(SaltedPassword, "Server Key")`. A client proves it knows
//! the password by sending `ClientKey XOR HMAC(StoredKey, AuthMessage)`; we
//! recover ClientKey, hash it and compare with StoredKey in constant time.
//!
//! ```text
//! C: n,,n=,r=<cnonce>                          (client-first)
//! S: r=<cnonce><snonce>,s=<salt b64>,i=4096    (server-first)
//! C: c=biws,r=<cnonce><snonce>,p=<proof b64>   (client-final)
//! S: v=<server signature b64>                  (server-final)
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{Error, Result, SqlState};

/// PostgreSQL's default iteration count (`scram_iterations`).
pub const SCRAM_ITERATIONS: u32 = 4096;

/// The mechanism name in AuthenticationSASL.
pub const MECHANISM: &str = "SCRAM-SHA-256";

/// Salt length PostgreSQL uses for new verifiers.
const SALT_LEN: usize = 16;

/// What the server keeps instead of a password.
#[derive(Clone, PartialEq, Eq)]
pub struct ScramVerifier {
    /// Random salt.
    pub salt: Vec<u8>,
    /// PBKDF2 iterations.
    pub iterations: u32,
    /// SHA256(ClientKey).
    pub stored_key: [u8; 32],
    /// HMAC(SaltedPassword, "Server Key").
    pub server_key: [u8; 32],
}

impl std::fmt::Debug for ScramVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScramVerifier")
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .expect("invariant: HMAC accepts keys of any length");
    for p in parts {
        mac.update(p);
    }
    let mut out = [0; 32];
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}

fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0; 32];
    out.copy_from_slice(&Sha256::digest(data));
    out
}

/// PostgreSQL runs SASLprep over the password and falls back to the raw
/// bytes when that fails. For printable ASCII SASLprep is the identity; other
/// passwords are used as raw UTF-8 (NFKC normalization is not implemented,
/// so a non-ASCII password that normalization would change is not accepted
/// from clients that normalize it).
fn prepare(password: &str) -> &[u8] {
    password.as_bytes()
}

impl ScramVerifier {
    /// The verifier for `password` with a given salt and iteration count.
    pub fn new(password: &str, salt: &[u8], iterations: u32) -> ScramVerifier {
        let mut salted = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(prepare(password), salt, iterations, &mut salted);
        let client_key = hmac(&salted, &[b"Client Key"]);
        ScramVerifier {
            salt: salt.to_vec(),
            iterations,
            stored_key: sha256(&client_key),
            server_key: hmac(&salted, &[b"Server Key"]),
        }
    }

    /// A verifier for `password` with a fresh random salt.
    pub fn generate(password: &str) -> Result<ScramVerifier> {
        let mut salt = [0u8; SALT_LEN];
        super::random_bytes(&mut salt)?;
        Ok(ScramVerifier::new(password, &salt, SCRAM_ITERATIONS))
    }

    /// True if `password` produces this verifier (constant-time compare).
    pub fn matches_password(&self, password: &str) -> bool {
        let other = ScramVerifier::new(password, &self.salt, self.iterations);
        bool::from(
            other.stored_key.ct_eq(&self.stored_key) & other.server_key.ct_eq(&self.server_key),
        )
    }

    /// PostgreSQL's `pg_authid.rolpassword` form:
    /// `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, base64.
    pub fn to_pg_string(&self) -> String {
        format!(
            "{MECHANISM}${}:{}${}:{}",
            self.iterations,
            B64.encode(&self.salt),
            B64.encode(self.stored_key),
            B64.encode(self.server_key)
        )
    }

    /// Parses [`ScramVerifier::to_pg_string`]'s form.
    pub fn parse(s: &str) -> Option<ScramVerifier> {
        let rest = s.strip_prefix(MECHANISM)?.strip_prefix('$')?;
        let (head, keys) = rest.split_once('$')?;
        let (iter, salt) = head.split_once(':')?;
        let (stored, server) = keys.split_once(':')?;
        let iterations: u32 = iter.parse().ok().filter(|&i| i > 0)?;
        Some(ScramVerifier {
            salt: B64.decode(salt).ok()?,
            iterations,
            stored_key: B64.decode(stored).ok()?.try_into().ok()?,
            server_key: B64.decode(server).ok()?.try_into().ok()?,
        })
    }
}

/// A malformed client message: 08P01, as PostgreSQL reports it.
fn malformed(detail: &str) -> Error {
    Error::sql(SqlState::PROTOCOL_VIOLATION, "malformed SCRAM message").with_detail(detail)
}

/// How the exchange ended after the client's final message.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The proof was right: send this server-final message, then AuthenticationOk.
    Success(String),
    /// The proof was wrong: the password is not the user's.
    WrongPassword,
}

/// One SCRAM exchange on the server. Call [`ScramServer::client_first`] then
/// [`ScramServer::client_final`].
#[derive(Debug)]
pub struct ScramServer<'a> {
    verifier: &'a ScramVerifier,
    /// Set by `client_first`: (gs2 header, client-first-message-bare,
    /// server-first-message, full nonce).
    first: Option<(String, String, String, String)>,
}

impl<'a> ScramServer<'a> {
    /// Starts an exchange against `verifier`.
    pub fn new(verifier: &'a ScramVerifier) -> ScramServer<'a> {
        ScramServer {
            verifier,
            first: None,
        }
    }

    /// A fresh server nonce: 18 random bytes, base64 (as PostgreSQL).
    pub fn random_nonce() -> Result<String> {
        let mut raw = [0u8; 18];
        super::random_bytes(&mut raw)?;
        Ok(B64.encode(raw))
    }

    /// Handles client-first-message; returns server-first-message.
    pub fn client_first(&mut self, msg: &[u8], server_nonce: &str) -> Result<String> {
        let msg = std::str::from_utf8(msg).map_err(|_| malformed("Message is not valid UTF-8."))?;
        let (gs2, bare) = split_gs2(msg)?;
        let client_nonce = parse_first_bare(bare)?;
        let nonce = format!("{client_nonce}{server_nonce}");
        let server_first = format!(
            "r={nonce},s={},i={}",
            B64.encode(&self.verifier.salt),
            self.verifier.iterations
        );
        self.first = Some((
            gs2.to_string(),
            bare.to_string(),
            server_first.clone(),
            nonce,
        ));
        Ok(server_first)
    }

    /// Handles client-final-message: checks channel binding, nonce and proof.
    pub fn client_final(&mut self, msg: &[u8]) -> Result<Outcome> {
        let Some((gs2, bare, server_first, nonce)) = self.first.take() else {
            return Err(malformed("Unexpected client-final-message."));
        };
        let msg = std::str::from_utf8(msg).map_err(|_| malformed("Message is not valid UTF-8."))?;
        let (without_proof, proof) = msg
            .rsplit_once(",p=")
            .ok_or_else(|| malformed("Proof not found at the end of the message."))?;
        let mut attrs = without_proof.split(',');
        let cbind = attr(attrs.next(), 'c')?;
        if cbind != B64.encode(gs2.as_bytes()) {
            return Err(malformed(
                "Unexpected SCRAM channel-binding attribute in client-final-message.",
            ));
        }
        if attr(attrs.next(), 'r')? != nonce {
            return Err(malformed("Nonce does not match."));
        }
        let proof: [u8; 32] = B64
            .decode(proof)
            .ok()
            .and_then(|p| p.try_into().ok())
            .ok_or_else(|| malformed("Malformed proof in client-final-message."))?;
        let auth_message = format!("{bare},{server_first},{without_proof}");
        let v = self.verifier;
        let signature = hmac(&v.stored_key, &[auth_message.as_bytes()]);
        let mut client_key = [0u8; 32];
        for i in 0..32 {
            client_key[i] = proof[i] ^ signature[i];
        }
        if !bool::from(sha256(&client_key).ct_eq(&v.stored_key)) {
            return Ok(Outcome::WrongPassword);
        }
        let server_sig = hmac(&v.server_key, &[auth_message.as_bytes()]);
        Ok(Outcome::Success(format!("v={}", B64.encode(server_sig))))
    }
}

/// Splits `gs2-header` (`n,,` or `y,,`) from client-first-message-bare.
fn split_gs2(msg: &str) -> Result<(&str, &str)> {
    match msg.as_bytes().first() {
        Some(b'n') | Some(b'y') => {}
        Some(b'p') => {
            return Err(malformed(
                "The client selected SCRAM-SHA-256 without channel binding, but the SCRAM message includes channel binding data.",
            ));
        }
        _ => return Err(malformed("Unexpected channel-binding flag.")),
    }
    let rest = msg
        .get(1..)
        .and_then(|r| r.strip_prefix(','))
        .ok_or_else(|| malformed("Comma expected after the channel-binding flag."))?;
    if rest.starts_with("a=") {
        return Err(Error::sql(
            SqlState::FEATURE_NOT_SUPPORTED,
            "client uses authorization identity, but it is not supported",
        ));
    }
    let bare = rest
        .strip_prefix(',')
        .ok_or_else(|| malformed("Unexpected attribute in client-first-message."))?;
    Ok((&msg[..msg.len() - bare.len()], bare))
}

/// Parses `n=<user>,r=<nonce>[,ext...]` and returns the client nonce.
fn parse_first_bare(bare: &str) -> Result<&str> {
    if bare.starts_with("m=") {
        return Err(Error::sql(
            SqlState::FEATURE_NOT_SUPPORTED,
            "client requires an unsupported SCRAM extension",
        ));
    }
    let mut attrs = bare.split(',');
    attr(attrs.next(), 'n')?;
    let nonce = attr(attrs.next(), 'r')?;
    if nonce.is_empty() || !nonce.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(malformed("Unexpected character in client nonce."));
    }
    Ok(nonce)
}

/// The value of attribute `name` (`name=value`).
fn attr(part: Option<&str>, name: char) -> Result<&str> {
    part.and_then(|p| p.strip_prefix(name))
        .and_then(|p| p.strip_prefix('='))
        .ok_or_else(|| malformed(&format!("Expected attribute \"{name}\".")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677 section 3.
    fn rfc_verifier() -> ScramVerifier {
        let salt = B64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        ScramVerifier::new("pencil", &salt, 4096)
    }

    const RFC_FINAL: &str = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";

    #[test]
    fn rfc7677_vector() {
        let v = rfc_verifier();
        let mut s = ScramServer::new(&v);
        let first = s
            .client_first(
                b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
                "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
            )
            .unwrap();
        assert_eq!(
            first,
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
        );
        assert_eq!(
            s.client_final(RFC_FINAL.as_bytes()).unwrap(),
            Outcome::Success("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=".into())
        );
    }

    #[test]
    fn wrong_password_and_tampering() {
        let salt = B64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let v = ScramVerifier::new("pencil2", &salt, 4096);
        let mut s = ScramServer::new(&v);
        s.client_first(
            b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
            "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
        )
        .unwrap();
        assert_eq!(
            s.client_final(RFC_FINAL.as_bytes()).unwrap(),
            Outcome::WrongPassword
        );

        let v = rfc_verifier();
        let mut s = ScramServer::new(&v);
        s.client_first(b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO", "other")
            .unwrap();
        let e = s.client_final(RFC_FINAL.as_bytes()).unwrap_err();
        assert_eq!(
            e.as_sql().unwrap().detail.as_deref(),
            Some("Nonce does not match.")
        );
    }

    #[test]
    fn malformed_messages_are_errors() {
        let v = rfc_verifier();
        for first in [
            &b""[..],
            b"x,,n=,r=abc",
            b"p=tls-unique,,n=,r=abc",
            b"n,a=bob,n=,r=abc",
            b"n,,r=abc",
            b"n,,n=,r=",
            b"n,,n=,r=a b",
            b"n,,m=x,n=,r=abc",
            b"\xff",
        ] {
            let e = ScramServer::new(&v).client_first(first, "s").unwrap_err();
            assert!(
                ["08P01", "0A000"].contains(&e.sqlstate().code()),
                "{first:?}: {e}"
            );
        }
        let mut s = ScramServer::new(&v);
        s.client_first(b"y,,n=,r=abc", "def").unwrap();
        // `y,,` must come back as c=eSws, not biws.
        let e = s.client_final(b"c=biws,r=abcdef,p=AAAA").unwrap_err();
        assert_eq!(e.sqlstate().code(), "08P01");
        let mut s = ScramServer::new(&v);
        s.client_first(b"n,,n=,r=abc", "def").unwrap();
        assert!(s.client_final(b"c=biws,r=abcdef,p=!!").is_err());
        assert!(
            s.client_final(b"c=biws,r=abcdef,p=AAAA").is_err(),
            "second final"
        );
    }

    #[test]
    fn verifier_round_trips_and_checks_passwords() {
        let v = ScramVerifier::generate("secret").unwrap();
        assert_eq!(v.salt.len(), SALT_LEN);
        let s = v.to_pg_string();
        assert!(s.starts_with("SCRAM-SHA-256$4096:"));
        assert_eq!(ScramVerifier::parse(&s), Some(v.clone()));
        assert!(v.matches_password("secret"));
        assert!(!v.matches_password("Secret"));
        assert_eq!(ScramVerifier::parse("SCRAM-SHA-256$0:AA==$AA==:AA=="), None);
        assert_eq!(ScramVerifier::parse("garbage"), None);
    }
}
