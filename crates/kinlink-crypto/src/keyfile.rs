//! Key files: the master key, the deployment's Ed25519 signing key and its
//! X25519 encryption key, each 32 bytes in a small text file:
//!
//! ```text
//! kinlink master key v1
//! <base64 of the 32 bytes>
//! ```
//!
//! Files are created new (never overwritten: losing the master key loses every
//! record) with mode 0600, and refused on load when group or others have any
//! permission. The header says which key a file holds, so that a signing key
//! is never loaded as the master key.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::SigningKey;
use x25519_dalek::StaticSecret;
use zeroize::Zeroizing;

use crate::error::KeyFileError;
use crate::keys::MasterKey;
use crate::random_bytes;

/// The kinds of key file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// The master key.
    Master,
    /// The deployment's Ed25519 signing key (audit checkpoints, federation).
    Signing,
    /// The deployment's X25519 static secret (federation).
    Encryption,
}

impl KeyKind {
    const fn header(self) -> &'static str {
        match self {
            KeyKind::Master => "kinlink master key v1",
            KeyKind::Signing => "kinlink ed25519 signing key v1",
            KeyKind::Encryption => "kinlink x25519 encryption key v1",
        }
    }

    const fn name(self) -> &'static str {
        match self {
            KeyKind::Master => "master key",
            KeyKind::Signing => "Ed25519 signing key",
            KeyKind::Encryption => "X25519 encryption key",
        }
    }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> KeyFileError + '_ {
    move |source| KeyFileError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Decode a key given as base64 text (an environment variable's value).
pub fn decode_key(text: &str) -> Result<Zeroizing<[u8; 32]>, KeyFileError> {
    let decoded = Zeroizing::new(
        STANDARD
            .decode(text.trim())
            .map_err(|_| KeyFileError::BadEncoding)?,
    );
    let mut key = Zeroizing::new([0u8; 32]);
    if decoded.len() != 32 {
        return Err(KeyFileError::BadEncoding);
    }
    key.copy_from_slice(&decoded);
    Ok(key)
}

/// Write `key` to a new file at `path` with mode 0600.
pub fn write_key_file(path: &Path, kind: KeyKind, key: &[u8; 32]) -> Result<(), KeyFileError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            KeyFileError::Exists(path.to_owned())
        } else {
            io_error(path)(e)
        }
    })?;
    let text = Zeroizing::new(format!("{}\n{}\n", kind.header(), STANDARD.encode(key)));
    file.write_all(text.as_bytes()).map_err(io_error(path))?;
    file.sync_all().map_err(io_error(path))
}

/// Read the key of `kind` from `path`, refusing a file others may access.
pub fn read_key_file(path: &Path, kind: KeyKind) -> Result<Zeroizing<[u8; 32]>, KeyFileError> {
    let file = File::open(path).map_err(io_error(path))?;
    // Check the opened file, not the path, so the file checked is the file read.
    let metadata = file.metadata().map_err(io_error(path))?;
    if !metadata.is_file() {
        return Err(KeyFileError::NotAFile(path.to_owned()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyFileError::TooOpen {
                path: path.to_owned(),
                mode,
            });
        }
    }
    let mut text = Zeroizing::new(String::new());
    // A key file is two short lines; read a little more than that at most.
    file.take(1024)
        .read_to_string(&mut text)
        .map_err(io_error(path))?;
    let wrong = || KeyFileError::WrongContent {
        path: path.to_owned(),
        expected: kind.name(),
    };
    let mut lines = text.lines();
    if lines.next() != Some(kind.header()) {
        return Err(wrong());
    }
    let key = decode_key(lines.next().ok_or_else(wrong)?).map_err(|_| wrong())?;
    if lines.any(|l| !l.trim().is_empty()) {
        return Err(wrong());
    }
    Ok(key)
}

impl MasterKey {
    /// Generate a master key and write it to a new key file.
    pub fn create_file(path: &Path) -> Result<MasterKey, KeyFileError> {
        let key = MasterKey::generate()?;
        write_key_file(path, KeyKind::Master, key.bytes())?;
        Ok(key)
    }

    /// Load the master key from its key file.
    pub fn load_file(path: &Path) -> Result<MasterKey, KeyFileError> {
        Ok(MasterKey::from_bytes(*read_key_file(path, KeyKind::Master)?))
    }

    /// The master key from base64 text, as given in an environment variable
    /// (`KINLINK_MASTER_KEY`) when no key file is used.
    pub fn from_base64(text: &str) -> Result<MasterKey, KeyFileError> {
        Ok(MasterKey::from_bytes(*decode_key(text)?))
    }

    /// The key as base64 text, to move it into an environment variable or a
    /// secret store. Handle the result as the key itself.
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(self.bytes()))
    }
}

/// Generate the deployment's Ed25519 signing key and write it to a new key file.
pub fn create_signing_key_file(path: &Path) -> Result<SigningKey, KeyFileError> {
    let seed = Zeroizing::new(random_bytes::<32>()?);
    write_key_file(path, KeyKind::Signing, &seed)?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Load the deployment's Ed25519 signing key.
pub fn load_signing_key_file(path: &Path) -> Result<SigningKey, KeyFileError> {
    let seed = read_key_file(path, KeyKind::Signing)?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Generate the deployment's X25519 static secret and write it to a new key file.
pub fn create_encryption_key_file(path: &Path) -> Result<StaticSecret, KeyFileError> {
    let secret = Zeroizing::new(random_bytes::<32>()?);
    write_key_file(path, KeyKind::Encryption, &secret)?;
    Ok(StaticSecret::from(*secret))
}

/// Load the deployment's X25519 static secret.
pub fn load_encryption_key_file(path: &Path) -> Result<StaticSecret, KeyFileError> {
    Ok(StaticSecret::from(*read_key_file(path, KeyKind::Encryption)?))
}
