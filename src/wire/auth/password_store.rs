//! The login credentials, kept in `<data>/auth` as verifiers only.
//!
//! File format (text, mode 0600, replaced atomically):
//!
//! ```text
//! # DriftDB login verifiers (never the password itself)
//! <user> SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey> md5<hex>
//! ```
//!
//! Where the password comes from, in order: the `DRIFTDB_PASSWORD`
//! environment variable (its verifiers are stored, replacing any older ones);
//! the stored verifiers; else a random password, logged once and stored as
//! verifiers. After a restart without the variable the stored verifiers are
//! used and no new password is made.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::log_info;

use super::md5;
use super::scram::ScramVerifier;

/// The environment variable holding the password.
pub const PASSWORD_ENV: &str = "DRIFTDB_PASSWORD";

/// The file name under the data directory.
pub const AUTH_FILE: &str = "auth";

const HEADER: &str = "# DriftDB login verifiers (never the password itself)\n";

/// One user's verifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Login role name.
    pub user: String,
    /// For SCRAM-SHA-256.
    pub scram: ScramVerifier,
    /// For MD5: `md5` + hex(md5(password || user)).
    pub md5: String,
}

impl Credentials {
    /// Verifiers for `user` with `password` (fresh salt).
    pub fn from_password(user: &str, password: &str) -> Result<Credentials> {
        Ok(Credentials {
            user: user.to_string(),
            scram: ScramVerifier::generate(password)?,
            md5: md5::stored_hash(password, user),
        })
    }

    /// True if `password` is this user's password.
    pub fn matches_password(&self, password: &str) -> bool {
        self.scram.matches_password(password)
    }

    fn to_line(&self) -> String {
        format!("{} {} {}\n", self.user, self.scram.to_pg_string(), self.md5)
    }

    fn parse_line(line: &str) -> Option<Credentials> {
        let mut parts = line.split(' ');
        let (user, scram, md5) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || user.is_empty() || !md5::is_stored_hash(md5) {
            return None;
        }
        Some(Credentials {
            user: user.to_string(),
            scram: ScramVerifier::parse(scram)?,
            md5: md5.to_string(),
        })
    }
}

/// The credentials for `user` in `data_dir`, set up as the module docs say.
/// `env_password` is the value of [`PASSWORD_ENV`], if set.
pub fn load_or_init(
    data_dir: &Path,
    user: &str,
    env_password: Option<&str>,
) -> Result<Credentials> {
    let path = data_dir.join(AUTH_FILE);
    let stored = read(&path, user)?;
    match (env_password, stored) {
        (Some(pw), Some(c)) if c.matches_password(pw) => {
            log_info!("authentication: using the password from {PASSWORD_ENV}");
            Ok(c)
        }
        (Some(pw), _) => {
            let c = Credentials::from_password(user, pw)?;
            write(&path, &c)?;
            log_info!("authentication: stored verifiers for the password from {PASSWORD_ENV}");
            Ok(c)
        }
        (None, Some(c)) => {
            log_info!(
                "authentication: using the stored verifiers in {}",
                path.display()
            );
            Ok(c)
        }
        (None, None) => {
            let pw = generate_password()?;
            let c = Credentials::from_password(user, &pw)?;
            write(&path, &c)?;
            log_info!(
                "authentication: generated password for user \"{user}\": {pw} (shown once; set {PASSWORD_ENV} to choose one)"
            );
            Ok(c)
        }
    }
}

/// Reads the stored credentials of `user`; `None` if the file is missing.
fn read(path: &Path, user: &str) -> Result<Option<Credentials>> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::Io(format!(
                "could not read \"{}\": {e}",
                path.display()
            )));
        }
    };
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let c = Credentials::parse_line(line).ok_or_else(|| {
            Error::corrupted(
                path.display().to_string(),
                i as u64 + 1,
                "malformed credentials line",
            )
        })?;
        if c.user == user {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

/// Replaces the file atomically: temporary file (0600), fsync, rename,
/// fsync of the directory.
fn write(path: &Path, c: &Credentials) -> Result<()> {
    let tmp: PathBuf = path.with_extension("tmp");
    let io = |what: &str, e: std::io::Error| {
        Error::Io(format!("could not {what} \"{}\": {e}", tmp.display()))
    };
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| io("create", e))?;
    f.write_all(HEADER.as_bytes())
        .and_then(|_| f.write_all(c.to_line().as_bytes()))
        .and_then(|_| f.sync_all())
        .map_err(|e| io("write", e))?;
    drop(f);
    fs::rename(&tmp, path).map_err(|e| io("rename", e))?;
    if let Some(dir) = path.parent() {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::Io(format!("could not fsync \"{}\": {e}", dir.display())))?;
    }
    Ok(())
}

/// A random 20-character alphanumeric password (about 119 bits).
fn generate_password() -> Result<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(20);
    let mut buf = [0u8; 64];
    while out.len() < 20 {
        super::random_bytes(&mut buf)?;
        // Rejection sampling keeps every character equally likely.
        for &b in buf.iter().filter(|&&b| b < 248) {
            if out.len() < 20 {
                out.push(ALPHABET[(b % 62) as usize] as char);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn env_password_is_stored_as_verifiers_only() {
        let dir = tempfile::tempdir().unwrap();
        let c = load_or_init(dir.path(), "driftdb", Some("hunter2")).unwrap();
        assert!(c.matches_password("hunter2"));
        let path = dir.path().join(AUTH_FILE);
        let text = fs::read_to_string(&path).unwrap();
        assert!(!text.contains("hunter2"), "plaintext stored: {text}");
        assert!(text.contains("SCRAM-SHA-256$4096:"));
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert!(!dir.path().join("auth.tmp").exists());

        // Restart without the variable: the stored verifiers are used.
        let again = load_or_init(dir.path(), "driftdb", None).unwrap();
        assert_eq!(again, c);
        // Same variable again: nothing rewritten (same salt).
        assert_eq!(
            load_or_init(dir.path(), "driftdb", Some("hunter2")).unwrap(),
            c
        );
        // A new password replaces the verifiers.
        let changed = load_or_init(dir.path(), "driftdb", Some("other")).unwrap();
        assert!(changed.matches_password("other"));
        assert!(!changed.matches_password("hunter2"));
    }

    #[test]
    fn generated_password_is_kept_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_init(dir.path(), "driftdb", None).unwrap();
        let second = load_or_init(dir.path(), "driftdb", None).unwrap();
        assert_eq!(first, second);
        let pw = generate_password().unwrap();
        assert_eq!(pw.len(), 20);
        assert!(pw.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(pw, generate_password().unwrap());
    }

    #[test]
    fn corrupt_file_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(AUTH_FILE), "driftdb garbage\n").unwrap();
        let e = load_or_init(dir.path(), "driftdb", None).unwrap_err();
        assert_eq!(e.sqlstate().code(), "XX001");
    }
}
