//! Envelope encryption: records sealed with their data key, data keys wrapped
//! with the master key. XChaCha20-Poly1305 throughout: its 192-bit nonce can
//! be drawn at random for every message without a collision worry.

use std::fmt;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::error::CryptoError;
use crate::keys::{DataKey, KeyId, Keyring, MasterKey, label};
use crate::random_bytes;

const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const SEALED_VERSION: u8 = 1;
const WRAPPED_VERSION: u8 = 1;

/// Associated data: a domain label, the record id and a caller's context,
/// length-prefixed so that no two different triples encode alike.
fn associated_data(domain: &[u8], record_id: &Uuid, context: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(domain.len() + 16 + 8 + context.len());
    aad.extend_from_slice(domain);
    aad.extend_from_slice(record_id.as_bytes());
    aad.extend_from_slice(&(context.len() as u64).to_be_bytes());
    aad.extend_from_slice(context);
    aad
}

fn encrypt(key: &[u8; 32], aad: &[u8], plaintext: &[u8]) -> Result<([u8; NONCE_LEN], Vec<u8>), CryptoError> {
    let nonce: [u8; NONCE_LEN] = random_bytes()?;
    let cipher = XChaCha20Poly1305::new(key.into());
    let ciphertext = cipher
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext, aad })
        .map_err(|_| CryptoError::Encryption)?;
    Ok((nonce, ciphertext))
}

fn decrypt(
    key: &[u8; 32],
    aad: &[u8],
    nonce: &[u8; NONCE_LEN],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let cipher = XChaCha20Poly1305::new(key.into());
    cipher
        .decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad })
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::Decryption)
}

/// A record's body (or one field) sealed with its data key.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    nonce: [u8; NONCE_LEN],
    ciphertext: Vec<u8>,
}

impl Sealed {
    /// Storage form: version byte, nonce, ciphertext with its tag.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + NONCE_LEN + self.ciphertext.len());
        out.push(SEALED_VERSION);
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(&self.ciphertext);
        out
    }

    /// Parse the storage form.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        match bytes.split_first() {
            Some((&SEALED_VERSION, rest)) if rest.len() >= NONCE_LEN + TAG_LEN => {
                let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
                let mut n = [0; NONCE_LEN];
                n.copy_from_slice(nonce);
                Ok(Sealed {
                    nonce: n,
                    ciphertext: ciphertext.to_vec(),
                })
            }
            _ => Err(CryptoError::Malformed("sealed record")),
        }
    }
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sealed({} bytes)", self.ciphertext.len())
    }
}

const RECORD_DOMAIN: &[u8] = b"kinlink record v1\0";
const WRAP_DOMAIN: &[u8] = b"kinlink wrapped key v1\0";

impl DataKey {
    /// Seal `plaintext` for record `record_id`. `context` says which part of
    /// the record it is (e.g. `b"body"`, `b"revision:3"`), so that sealed
    /// parts cannot be swapped between records or places unnoticed.
    pub fn seal(&self, record_id: &Uuid, context: &[u8], plaintext: &[u8]) -> Result<Sealed, CryptoError> {
        let aad = associated_data(RECORD_DOMAIN, record_id, context);
        let (nonce, ciphertext) = encrypt(&self.bytes, &aad, plaintext)?;
        Ok(Sealed { nonce, ciphertext })
    }

    /// Open what [`DataKey::seal`] sealed with the same record id and context.
    pub fn open(
        &self,
        record_id: &Uuid,
        context: &[u8],
        sealed: &Sealed,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let aad = associated_data(RECORD_DOMAIN, record_id, context);
        decrypt(&self.bytes, &aad, &sealed.nonce, &sealed.ciphertext)
    }
}

/// A data key wrapped (encrypted) with a master key, bound to its record, and
/// stamped with the master key's id. Stored beside the record; deleting it
/// erases the record.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedKey {
    key_id: KeyId,
    nonce: [u8; NONCE_LEN],
    ciphertext: Vec<u8>,
}

impl WrappedKey {
    /// The id of the master key that wrapped it.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// Storage form: version byte, key id, nonce, wrapped key with its tag.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + 8 + NONCE_LEN + self.ciphertext.len());
        out.push(WRAPPED_VERSION);
        out.extend_from_slice(&self.key_id.0);
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(&self.ciphertext);
        out
    }

    /// Parse the storage form.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        const LEN: usize = 1 + 8 + NONCE_LEN + 32 + TAG_LEN;
        if bytes.len() != LEN || bytes[0] != WRAPPED_VERSION {
            return Err(CryptoError::Malformed("wrapped key"));
        }
        let mut key_id = [0; 8];
        key_id.copy_from_slice(&bytes[1..9]);
        let mut nonce = [0; NONCE_LEN];
        nonce.copy_from_slice(&bytes[9..9 + NONCE_LEN]);
        Ok(WrappedKey {
            key_id: KeyId(key_id),
            nonce,
            ciphertext: bytes[9 + NONCE_LEN..].to_vec(),
        })
    }
}

impl fmt::Debug for WrappedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WrappedKey")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl MasterKey {
    fn wrap_aad(key_id: KeyId, record_id: &Uuid) -> Vec<u8> {
        associated_data(WRAP_DOMAIN, record_id, &key_id.0)
    }

    /// Wrap `data_key` for record `record_id`.
    pub fn wrap(&self, data_key: &DataKey, record_id: &Uuid) -> Result<WrappedKey, CryptoError> {
        let key_id = self.id();
        let wrapping_key = self.derive(label::WRAP);
        let (nonce, ciphertext) =
            encrypt(&wrapping_key, &Self::wrap_aad(key_id, record_id), &data_key.bytes)?;
        Ok(WrappedKey {
            key_id,
            nonce,
            ciphertext,
        })
    }

    /// Unwrap a data key wrapped by this master key for `record_id`.
    pub fn unwrap(&self, wrapped: &WrappedKey, record_id: &Uuid) -> Result<DataKey, CryptoError> {
        if wrapped.key_id != self.id() {
            return Err(CryptoError::UnknownKeyId(wrapped.key_id));
        }
        let wrapping_key = self.derive(label::WRAP);
        let aad = Self::wrap_aad(wrapped.key_id, record_id);
        let plain = decrypt(&wrapping_key, &aad, &wrapped.nonce, &wrapped.ciphertext)?;
        let bytes: [u8; 32] = plain
            .as_slice()
            .try_into()
            .map_err(|_| CryptoError::Malformed("data key"))?;
        Ok(DataKey { bytes })
    }
}

impl Keyring {
    /// Unwrap with whichever loaded master key made the wrap.
    pub fn unwrap(&self, wrapped: &WrappedKey, record_id: &Uuid) -> Result<DataKey, CryptoError> {
        self.get(wrapped.key_id)
            .ok_or(CryptoError::UnknownKeyId(wrapped.key_id))?
            .unwrap(wrapped, record_id)
    }

    /// Wrap a new data key with the current master key.
    pub fn wrap(&self, data_key: &DataKey, record_id: &Uuid) -> Result<WrappedKey, CryptoError> {
        self.current().wrap(data_key, record_id)
    }

    /// Whether a wrap was made with another key than the current one.
    pub fn needs_rewrap(&self, wrapped: &WrappedKey) -> bool {
        wrapped.key_id != self.current().id()
    }

    /// Re-wrap with the current master key (key rotation). The record's data
    /// key, and so its ciphertext, do not change.
    pub fn rewrap(&self, wrapped: &WrappedKey, record_id: &Uuid) -> Result<WrappedKey, CryptoError> {
        let data_key = self.unwrap(wrapped, record_id)?;
        self.wrap(&data_key, record_id)
    }
}
