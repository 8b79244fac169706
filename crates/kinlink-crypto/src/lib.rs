//! kinlink's keys and encryption at rest.
//!
//! The key hierarchy:
//!
//! ```text
//! master key (32 random bytes; key file 0600 or KINLINK_MASTER_KEY; never in the database)
//!  ├─ HKDF "wrap"        → wrapping key ── wraps ──► data key of each record (stored wrapped, beside it)
//!  │                                                  └─ XChaCha20-Poly1305 seals the record's body,
//!  │                                                     associated data = record id (+ context)
//!  ├─ HKDF "blind index" → blind-index key: HMAC-SHA256 of normalised values for equality lookups
//!  └─ HKDF "key id"      → the key id stamped on every wrap, so old wraps are told apart after rotation
//! ```
//!
//! Erasing a record destroys its wrapped data key (crypto-shredding): the
//! ciphertext left in the database and in backups can no longer be read.
//! The deployment's Ed25519 signing key (audit checkpoints, federation) and
//! X25519 encryption key (federation) live in key files of their own.
//!
//! Every secret type zeroizes its memory when dropped and prints no secret in
//! `Debug`. Only [`keyfile`] touches the file system.

mod blind;
mod envelope;
mod error;
pub mod keyfile;
mod keys;

pub use blind::{BlindIndex, BlindIndexKey};
pub use envelope::{Sealed, WrappedKey};
pub use error::{CryptoError, KeyFileError};
pub use keys::{DataKey, KeyId, Keyring, MasterKey};

/// Fill an array from the operating system's random number generator.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|_| CryptoError::Random)?;
    Ok(bytes)
}
