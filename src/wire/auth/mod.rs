//! Authentication: the exchange between StartupMessage and AuthenticationOk.
//!
//! One login role with one password, checked by SCRAM-SHA-256 (the default,
//! what every modern client speaks) or MD5 (`--auth-method md5`, for old
//! clients). The server holds only verifiers ([`password_store`]). Every
//! failure is FATAL for the connection; a wrong password is 28P01
//! `password authentication failed for user "..."`, as in PostgreSQL.

pub mod md5;
pub mod password_store;
pub mod scram;

use std::io::{Read, Write};

use crate::error::{Error, Result, SqlState};

use super::codec::Io;
use super::messages::{self, Reader};
pub use password_store::Credentials;
use scram::{Outcome, ScramServer};

/// AuthenticationOk.
const AUTH_OK: i32 = 0;
/// AuthenticationMD5Password.
const AUTH_MD5: i32 = 5;
/// AuthenticationSASL.
const AUTH_SASL: i32 = 10;
/// AuthenticationSASLContinue.
const AUTH_SASL_CONTINUE: i32 = 11;
/// AuthenticationSASLFinal.
const AUTH_SASL_FINAL: i32 = 12;

/// The password method the server asks clients for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMethod {
    /// SCRAM-SHA-256 (default).
    #[default]
    Scram,
    /// MD5 with a random salt.
    Md5,
}

impl std::str::FromStr for AuthMethod {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "scram" | "scram-sha-256" => Ok(AuthMethod::Scram),
            "md5" => Ok(AuthMethod::Md5),
            _ => Err(format!(
                "unknown authentication method \"{s}\" (use scram or md5)"
            )),
        }
    }
}

/// Fills `buf` from the operating system's CSPRNG.
pub fn random_bytes(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|e| Error::Internal(format!("no random numbers: {e}")))
}

/// 28P01 for `user`.
pub fn password_failed(user: &str) -> Error {
    Error::sql(
        SqlState::INVALID_PASSWORD,
        format!("password authentication failed for user \"{user}\""),
    )
}

/// Runs the exchange and sends AuthenticationOk on success. `Ok(false)`
/// means the client hung up (psql does this to prompt for a password, then
/// reconnects); `Err` is to be sent as FATAL.
pub fn authenticate<S: Read + Write>(
    io: &mut Io<S>,
    method: AuthMethod,
    creds: &Credentials,
) -> Result<bool> {
    let done = match method {
        AuthMethod::Scram => scram_exchange(io, creds)?,
        AuthMethod::Md5 => md5_exchange(io, creds)?,
    };
    if done {
        messages::authentication(&mut io.out, AUTH_OK, &[]);
    }
    Ok(done)
}

/// Reads the client's next `p` message into an owned body; `None` on EOF.
fn read_password_message<S: Read + Write>(io: &mut Io<S>, what: &str) -> Result<Option<Vec<u8>>> {
    let Some(frame) = io.read_message()? else {
        return Ok(None);
    };
    if frame.tag != b'p' {
        return Err(Error::Protocol(format!(
            "expected {what} response, got message type {}",
            frame.tag
        )));
    }
    Ok(Some(io.inb.body(&frame).to_vec()))
}

fn scram_exchange<S: Read + Write>(io: &mut Io<S>, creds: &Credentials) -> Result<bool> {
    let mechs = format!("{}\0\0", scram::MECHANISM);
    messages::authentication(&mut io.out, AUTH_SASL, mechs.as_bytes());
    let Some(initial) = read_password_message(io, "SASL")? else {
        return Ok(false);
    };
    let mut r = Reader::new(&initial);
    if r.cstr()? != scram::MECHANISM {
        return Err(Error::Protocol(
            "client selected an invalid SASL authentication mechanism".into(),
        ));
    }
    let len = r.i32()?;
    let first = r
        .bytes(usize::try_from(len).map_err(|_| {
            Error::Protocol("malformed SCRAM message: no initial response".into())
        })?)?;
    r.end()?;
    let mut server = ScramServer::new(&creds.scram);
    let server_first = server.client_first(first, &ScramServer::random_nonce()?)?;
    messages::authentication(&mut io.out, AUTH_SASL_CONTINUE, server_first.as_bytes());
    let Some(fin) = read_password_message(io, "SASL")? else {
        return Ok(false);
    };
    match server.client_final(&fin)? {
        Outcome::Success(server_final) => {
            messages::authentication(&mut io.out, AUTH_SASL_FINAL, server_final.as_bytes());
            Ok(true)
        }
        Outcome::WrongPassword => Err(password_failed(&creds.user)),
    }
}

fn md5_exchange<S: Read + Write>(io: &mut Io<S>, creds: &Credentials) -> Result<bool> {
    let mut salt = [0u8; 4];
    random_bytes(&mut salt)?;
    messages::authentication(&mut io.out, AUTH_MD5, &salt);
    let Some(body) = read_password_message(io, "password")? else {
        return Ok(false);
    };
    let mut r = Reader::new(&body);
    let response = r.cstr()?;
    r.end()?;
    if md5::verify(&creds.md5, salt, response.as_bytes()) {
        Ok(true)
    } else {
        Err(password_failed(&creds.user))
    }
}
