//! Appending to the chain, and signed checkpoints.

use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::entry::{AuditEntry, AuditEvent, EntryHash, checkpoint_message, hash_entry};

/// The head of the log: the next sequence number and the last hash. The store
/// keeps one (or rebuilds it from the last entry with [`AuditChain::after`])
/// and appends under the same lock or transaction as the entry's insert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditChain {
    next_sequence: u64,
    last_hash: EntryHash,
}

impl Default for AuditChain {
    fn default() -> Self {
        Self::new()
    }
}

impl AuditChain {
    /// An empty log.
    pub const fn new() -> Self {
        Self {
            next_sequence: 0,
            last_hash: EntryHash::GENESIS,
        }
    }

    /// The chain continuing after `last`, the newest stored entry.
    pub fn after(last: &AuditEntry) -> Self {
        Self {
            next_sequence: last.sequence + 1,
            last_hash: last.hash,
        }
    }

    /// The chain continuing after the newest stored entry, known by its
    /// sequence number and hash (a store reads only these two columns).
    pub fn continuing(last_sequence: u64, last_hash: EntryHash) -> Self {
        Self {
            next_sequence: last_sequence + 1,
            last_hash,
        }
    }

    /// The hash the next entry will link to.
    pub fn last_hash(&self) -> EntryHash {
        self.last_hash
    }

    /// The sequence number the next entry will get.
    pub fn next_sequence(&self) -> u64 {
        self.next_sequence
    }

    /// Chain `event` after the last entry. Its time is cut to the microsecond,
    /// the precision the canonical encoding keeps.
    pub fn append(&mut self, mut event: AuditEvent) -> AuditEntry {
        if let Some(at) = DateTime::from_timestamp_micros(event.at.timestamp_micros()) {
            event.at = at;
        }
        let sequence = self.next_sequence;
        let previous = self.last_hash;
        let hash = hash_entry(sequence, previous, &event);
        self.next_sequence += 1;
        self.last_hash = hash;
        AuditEntry {
            sequence,
            previous,
            event,
            hash,
        }
    }
}

/// A signed statement "the log up to `sequence` ends in `hash`". Made
/// periodically with the deployment's Ed25519 key, which lives outside the
/// database: whoever can write the database can recompute a whole hash chain,
/// but cannot sign a checkpoint for the rewritten one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The last entry covered.
    pub sequence: u64,
    /// That entry's hash.
    pub hash: EntryHash,
    /// When the checkpoint was made.
    pub at: DateTime<Utc>,
    /// Ed25519 signature over the canonical encoding of the three fields above.
    #[serde(with = "signature_hex")]
    pub signature: Signature,
}

impl Checkpoint {
    /// Sign a checkpoint at `entry` (normally the newest).
    pub fn sign(entry: &AuditEntry, at: DateTime<Utc>, key: &SigningKey) -> Checkpoint {
        let at = DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at);
        let signature = key.sign(&checkpoint_message(entry.sequence, entry.hash, at));
        Checkpoint {
            sequence: entry.sequence,
            hash: entry.hash,
            at,
            signature,
        }
    }

    /// Whether `key` signed exactly this checkpoint.
    pub fn signature_is_valid(&self, key: &VerifyingKey) -> bool {
        key.verify(
            &checkpoint_message(self.sequence, self.hash, self.at),
            &self.signature,
        )
        .is_ok()
    }
}

/// A short id of a deployment signing key: the first 8 bytes of the SHA-256
/// of its public key, in hex. Stored beside each checkpoint so that, after a
/// key is replaced, it is clear which key signed which checkpoint.
pub fn key_id(key: &VerifyingKey) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(key.as_bytes());
    hex::encode(&digest[..8])
}

mod signature_hex {
    use ed25519_dalek::Signature;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(signature: &Signature, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(signature.to_bytes()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Signature, D::Error> {
        let text = String::deserialize(deserializer)?;
        let mut bytes = [0; 64];
        hex::decode_to_slice(text, &mut bytes).map_err(serde::de::Error::custom)?;
        Ok(Signature::from_bytes(&bytes))
    }
}
