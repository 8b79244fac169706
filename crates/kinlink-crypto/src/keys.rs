//! The master key, the key ring and data keys.

use std::fmt;

use hkdf::Hkdf;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::CryptoError;
use crate::random_bytes;

/// Identifies a master key without revealing it: the first 8 bytes of an
/// HKDF output. Stamped on every wrapped data key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct KeyId(pub [u8; 8]);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

impl From<KeyId> for String {
    fn from(id: KeyId) -> String {
        id.to_string()
    }
}

impl TryFrom<String> for KeyId {
    type Error = CryptoError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        let mut bytes = [0; 8];
        hex::decode_to_slice(value, &mut bytes).map_err(|_| CryptoError::Malformed("key id"))?;
        Ok(KeyId(bytes))
    }
}

/// HKDF labels. Never change one: keys derived with it would change.
pub(crate) mod label {
    pub const KEY_ID: &[u8] = b"kinlink key id v1";
    pub const WRAP: &[u8] = b"kinlink data key wrapping v1";
    pub const BLIND_INDEX: &[u8] = b"kinlink blind index v1";
}

/// The deployment's master key: 32 random bytes kept outside the database.
/// It never encrypts data itself; keys derived from it wrap data keys and key
/// blind indexes.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct MasterKey {
    bytes: [u8; 32],
}

impl MasterKey {
    /// A new random master key.
    pub fn generate() -> Result<Self, CryptoError> {
        Ok(Self::from_bytes(random_bytes()?))
    }

    /// The key from its bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self { bytes }
    }

    /// The key's bytes (for writing the key file).
    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// A 32-byte key for one purpose, derived with HKDF-SHA256. `label` must
    /// be unique per purpose and never change (e.g. `b"kinlink csrf v1"`).
    pub fn derive(&self, label: &[u8]) -> Zeroizing<[u8; 32]> {
        let mut out = Zeroizing::new([0u8; 32]);
        Hkdf::<Sha256>::new(None, &self.bytes)
            .expand(label, out.as_mut())
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        out
    }

    /// This key's id.
    pub fn id(&self) -> KeyId {
        let derived = self.derive(label::KEY_ID);
        let mut id = [0; 8];
        id.copy_from_slice(&derived[..8]);
        KeyId(id)
    }
}

/// Shows the key id, never the key.
impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey")
            .field("id", &self.id())
            .finish_non_exhaustive()
    }
}

/// The master keys a deployment can unwrap with: the current one, which wraps
/// every new data key, and retired ones kept until every wrap made with them
/// has been re-wrapped (`kinlink keys rotate`).
#[derive(Debug)]
pub struct Keyring {
    current: MasterKey,
    retired: Vec<MasterKey>,
}

impl Keyring {
    /// A key ring with one key.
    pub fn new(current: MasterKey) -> Self {
        Self {
            current,
            retired: Vec::new(),
        }
    }

    /// A key ring that unwraps with `retired` keys too.
    pub fn with_retired(current: MasterKey, retired: Vec<MasterKey>) -> Self {
        Self { current, retired }
    }

    /// The key new wraps are made with.
    pub fn current(&self) -> &MasterKey {
        &self.current
    }

    /// The retired keys still loaded (to unwrap what they wrapped).
    pub fn retired(&self) -> &[MasterKey] {
        &self.retired
    }

    /// The loaded key with this id.
    pub fn get(&self, id: KeyId) -> Option<&MasterKey> {
        std::iter::once(&self.current)
            .chain(&self.retired)
            .find(|k| k.id() == id)
    }
}

/// A record's own key: 32 random bytes, stored only wrapped. Destroying the
/// wrapped copy erases the record (crypto-shredding).
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct DataKey {
    pub(crate) bytes: [u8; 32],
}

impl DataKey {
    /// A new random data key.
    pub fn generate() -> Result<Self, CryptoError> {
        Ok(Self {
            bytes: random_bytes()?,
        })
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(..)")
    }
}
