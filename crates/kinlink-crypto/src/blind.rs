//! Keyed blind indexes: equality lookups on encrypted values.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::keys::{MasterKey, label};

/// The key of the blind indexes, derived from the master key. A new master
/// key gives a new index key, so rotation must rebuild the indexes (a value's
/// index under a compromised key is exactly what rotation must retire).
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct BlindIndexKey {
    bytes: [u8; 32],
}

/// An index value: HMAC-SHA256 of a field name and a normalised value. Equal
/// values give equal indexes; without the key, nothing about the value can be
/// learnt or guessed by trying names.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlindIndex(pub [u8; 32]);

impl BlindIndexKey {
    /// The blind-index key of `master`.
    pub fn derive(master: &MasterKey) -> Self {
        Self {
            bytes: *master.derive(label::BLIND_INDEX),
        }
    }

    /// The index of `normalised_value` in `field`. Normalising (case, accents,
    /// transliteration) is the caller's: the index only says "equal". The
    /// field name is part of the input so that the same value in two fields
    /// gives two unrelated indexes.
    pub fn index(&self, field: &str, normalised_value: &str) -> BlindIndex {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.bytes).expect("HMAC accepts any key length");
        mac.update(&(field.len() as u64).to_be_bytes());
        mac.update(field.as_bytes());
        mac.update(normalised_value.as_bytes());
        BlindIndex(mac.finalize().into_bytes().into())
    }
}

impl fmt::Debug for BlindIndexKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BlindIndexKey(..)")
    }
}

impl fmt::Display for BlindIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for BlindIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlindIndex({self})")
    }
}
