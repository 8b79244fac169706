//! Errors. None carries key material or plaintext.

use std::path::PathBuf;

use crate::keys::KeyId;

/// A cryptographic operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The operating system's random number generator failed.
    #[error("the system random number generator failed")]
    Random,
    /// Decryption failed: wrong key, wrong record, or altered ciphertext.
    /// (An AEAD cannot tell these apart, by design.)
    #[error("decryption failed: wrong key or record, or the ciphertext was altered")]
    Decryption,
    /// Encryption failed (only for absurdly long input).
    #[error("encryption failed")]
    Encryption,
    /// A wrapped key names a master key that is not in the key ring.
    #[error("no master key with id {0} is loaded")]
    UnknownKeyId(KeyId),
    /// Stored bytes are not in the expected format.
    #[error("malformed {0}")]
    Malformed(&'static str),
}

/// A key file could not be created or loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// Reading or writing failed.
    #[error("key file {path}: {source}")]
    Io {
        /// The key file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// Refusing to overwrite an existing key: that would lose every record.
    #[error("key file {0} already exists; refusing to overwrite a key")]
    Exists(PathBuf),
    /// Group or others may read or write the file.
    #[error("key file {path} has mode {mode:o}; it must be readable by its owner only (chmod 600)")]
    TooOpen {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// Not a regular file.
    #[error("key file {0} is not a regular file")]
    NotAFile(PathBuf),
    /// The file does not hold a key of the expected kind.
    #[error("key file {path} does not hold a {expected}")]
    WrongContent {
        /// The key file.
        path: PathBuf,
        /// The kind of key expected.
        expected: &'static str,
    },
    /// A key given as text (e.g. in an environment variable) is not base64 of 32 bytes.
    #[error("the key is not the base64 encoding of 32 bytes")]
    BadEncoding,
    /// Generating the key failed.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}
