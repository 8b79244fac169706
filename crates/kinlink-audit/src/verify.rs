//! Verifying the log: every entry, every link, every checkpoint.

use std::collections::{HashMap, HashSet};

use ed25519_dalek::VerifyingKey;

use crate::chain::Checkpoint;
use crate::entry::{AuditEntry, EntryHash};

/// Where and how the log was tampered with. Each names the sequence number
/// where the problem shows; the first problem found is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Tamper {
    /// The entry's content does not match its hash: it was edited.
    #[error("entry {sequence} was edited: its content does not match its hash")]
    Edited {
        /// The edited entry.
        sequence: u64,
    },
    /// The entry does not link to the one before: the one before was edited
    /// (and its hash recomputed), or this one was put in its place.
    #[error("entry {sequence} does not link to entry {}: an entry was edited or replaced", .sequence.saturating_sub(1))]
    BrokenLink {
        /// The entry whose link is broken.
        sequence: u64,
    },
    /// Entries are missing: deleted.
    #[error("entries {first} to {last} are missing: deleted")]
    Deleted {
        /// First missing sequence number.
        first: u64,
        /// Last missing sequence number.
        last: u64,
    },
    /// The entry is out of place: entries were reordered.
    #[error("entry {sequence} is out of order: entries were reordered")]
    Reordered {
        /// The entry found out of place.
        sequence: u64,
    },
    /// A second entry claims a sequence number already used: inserted.
    #[error("a second entry claims sequence number {sequence}: an entry was inserted")]
    Inserted {
        /// The duplicated sequence number.
        sequence: u64,
    },
    /// A checkpoint's signature is not the deployment key's: forged or altered.
    #[error("the checkpoint at entry {sequence} is not signed by the deployment key")]
    ForgedCheckpoint {
        /// The checkpoint's sequence number.
        sequence: u64,
    },
    /// The entry a checkpoint covers has another hash: the log was rewritten
    /// at or before this entry (and the chain recomputed after it).
    #[error("the log was rewritten at or before entry {sequence}: it does not match its signed checkpoint")]
    Rewritten {
        /// The checkpoint's sequence number.
        sequence: u64,
    },
    /// A checkpoint covers an entry that is not there: the end of the log was deleted.
    #[error("entry {sequence}, covered by a signed checkpoint, is missing: the end of the log was deleted")]
    Truncated {
        /// The checkpoint's sequence number.
        sequence: u64,
    },
}

/// What a successful verification covered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verified {
    /// Entries checked.
    pub entries: u64,
    /// Checkpoints checked.
    pub checkpoints: usize,
    /// Entries after the last checkpoint: protected by the chain alone, so a
    /// deletion of the end of the log since then would not be seen.
    pub unsealed: u64,
}

/// Verify `entries`, in the order they were read (ascending sequence), and
/// `checkpoints` against the deployment's key.
pub fn verify(
    entries: &[AuditEntry],
    checkpoints: &[Checkpoint],
    key: &VerifyingKey,
) -> Result<Verified, Tamper> {
    verify_with(entries, checkpoints, Some(key))
}

/// [`verify`] without the deployment's key: every entry, every link, and
/// that each checkpoint matches the entry it covers, but not who signed the
/// checkpoints. For a copy of the log checked where the key is not at hand
/// (`copy-db`); `kinlink audit verify` checks the signatures.
pub fn verify_unsigned(entries: &[AuditEntry], checkpoints: &[Checkpoint]) -> Result<Verified, Tamper> {
    verify_with(entries, checkpoints, None)
}

fn verify_with(
    entries: &[AuditEntry],
    checkpoints: &[Checkpoint],
    key: Option<&VerifyingKey>,
) -> Result<Verified, Tamper> {
    verify_chain(entries)?;
    let hashes: HashMap<u64, EntryHash> = entries.iter().map(|e| (e.sequence, e.hash)).collect();
    for checkpoint in checkpoints {
        if key.is_some_and(|key| !checkpoint.signature_is_valid(key)) {
            return Err(Tamper::ForgedCheckpoint {
                sequence: checkpoint.sequence,
            });
        }
        match hashes.get(&checkpoint.sequence) {
            None => {
                return Err(Tamper::Truncated {
                    sequence: checkpoint.sequence,
                });
            }
            Some(hash) if *hash != checkpoint.hash => {
                return Err(Tamper::Rewritten {
                    sequence: checkpoint.sequence,
                });
            }
            Some(_) => {}
        }
    }
    let count = entries.len() as u64;
    let sealed = checkpoints.iter().map(|c| c.sequence + 1).max().unwrap_or(0);
    Ok(Verified {
        entries: count,
        checkpoints: checkpoints.len(),
        unsealed: count.saturating_sub(sealed),
    })
}

/// Verify the part of the log from a trusted `checkpoint` on: `entries`
/// start at the checkpoint's entry (ascending sequence). What comes before is
/// covered by the checkpoint's signature. Used before signing the next
/// checkpoint, so that a log edited since the last one is never signed.
pub fn verify_since(
    checkpoint: &Checkpoint,
    entries: &[AuditEntry],
    key: &VerifyingKey,
) -> Result<Verified, Tamper> {
    let sequence = checkpoint.sequence;
    if !checkpoint.signature_is_valid(key) {
        return Err(Tamper::ForgedCheckpoint { sequence });
    }
    let Some(first) = entries.first().filter(|e| e.sequence == sequence) else {
        return Err(Tamper::Truncated { sequence });
    };
    if first.compute_hash() != first.hash {
        return Err(Tamper::Edited { sequence });
    }
    if first.hash != checkpoint.hash {
        return Err(Tamper::Rewritten { sequence });
    }
    verify_chain_from(&entries[1..], sequence + 1, first.hash)?;
    let count = entries.len() as u64;
    Ok(Verified {
        entries: count,
        checkpoints: 1,
        unsealed: count - 1,
    })
}

fn verify_chain(entries: &[AuditEntry]) -> Result<(), Tamper> {
    verify_chain_from(entries, 0, EntryHash::GENESIS)
}

/// The chain links from the entry `expected` on, whose predecessor's hash is `previous_hash`.
fn verify_chain_from(entries: &[AuditEntry], expected: u64, previous_hash: EntryHash) -> Result<(), Tamper> {
    let all_sequences: HashSet<u64> = entries.iter().map(|e| e.sequence).collect();
    let mut seen = HashSet::new();
    let mut expected = expected;
    let mut previous_hash = previous_hash;
    for entry in entries {
        if entry.compute_hash() != entry.hash {
            return Err(Tamper::Edited {
                sequence: entry.sequence,
            });
        }
        if seen.contains(&entry.sequence) {
            return Err(Tamper::Inserted {
                sequence: entry.sequence,
            });
        }
        if entry.sequence < expected {
            // Not seen, yet below the expected one: it was skipped earlier.
            return Err(Tamper::Reordered {
                sequence: entry.sequence,
            });
        }
        if entry.sequence > expected {
            return Err(if all_sequences.contains(&expected) {
                Tamper::Reordered { sequence: expected }
            } else {
                let last = (expected..entry.sequence)
                    .take_while(|s| !all_sequences.contains(s))
                    .last()
                    .unwrap_or(expected);
                Tamper::Deleted {
                    first: expected,
                    last,
                }
            });
        }
        if entry.previous != previous_hash {
            return Err(Tamper::BrokenLink {
                sequence: entry.sequence,
            });
        }
        seen.insert(entry.sequence);
        previous_hash = entry.hash;
        expected = entry.sequence + 1;
    }
    Ok(())
}
