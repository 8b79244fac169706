//! The audit log in the database: appending in the caller's transaction,
//! reading back, signing checkpoints, verifying.
//!
//! Every write of personal data (`insert`, `update`, `import`) appends its
//! entries in the same transaction as the write, so a record never changes
//! without its entry and a rolled-back write leaves none. Appends are
//! serialised so the chain never forks: SQLite's `BEGIN IMMEDIATE` already
//! holds the database's write lock; PostgreSQL takes
//! `LOCK TABLE audit_entries IN EXCLUSIVE MODE` (readers are not blocked),
//! at the end of the transaction so that the lock is held briefly.

use chrono::{DateTime, Utc};
use ed25519_dalek::Signature;
use kinlink_audit::{
    Actor as AuditActor, ActorName, Checkpoint, EntryHash, EventKind, Outcome, ReasonCode, RecordRef, Tamper,
    Verified,
};
use kinlink_core::{RecordId, RecordKind};
use kinlink_policy::{FieldGroups, Purpose, Via, resource_of};
use uuid::Uuid;

use crate::types::Actor;

// What the audit methods of [`Store`] take and return, for implementors
// that do not otherwise depend on these crates.
use crate::{Store, StoreError};
pub use ed25519_dalek::{SigningKey, VerifyingKey};
pub use kinlink_audit::{AuditEntry, AuditEvent};
pub use kinlink_policy::Resource;

/// A checkpoint as stored: with the id of the key that signed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCheckpoint {
    pub checkpoint: Checkpoint,
    /// [`kinlink_audit::key_id`] of the signing key.
    pub key_id: String,
}

/// Entries read per round trip when the whole log is read.
const PAGE: u32 = 10_000;

/// The entry a write of personal data appends. The store writes whole
/// bodies, so every field group is written.
pub(crate) fn write_event(
    kind: EventKind,
    record: RecordKind,
    id: RecordId,
    actor: &Actor,
    at: DateTime<Utc>,
) -> AuditEvent {
    AuditEvent {
        at,
        kind,
        actor: actor.audit_actor(),
        record: Some(RecordRef {
            resource: resource_of(record),
            id: *id.as_uuid(),
        }),
        field_groups: FieldGroups::ALL,
        purpose: actor.purpose(),
        outcome: Outcome::Success,
    }
}

/// The entry a change to a match proposal appends (proposed, refreshed,
/// withdrawn, reopened or reviewed). A proposal holds no field of either
/// record (scores, comparison levels and a status), so no field group.
pub(crate) fn match_event(
    kind: EventKind,
    id: crate::MatchId,
    actor: &Actor,
    at: DateTime<Utc>,
) -> AuditEvent {
    AuditEvent {
        at,
        kind,
        actor: actor.audit_actor(),
        record: Some(RecordRef {
            resource: Resource::MatchProposal,
            id: *id.as_uuid(),
        }),
        field_groups: FieldGroups::NONE,
        purpose: actor.purpose(),
        outcome: Outcome::Success,
    }
}

/// Why the log did not verify, or could not be read to verify it.
#[derive(Debug, thiserror::Error)]
pub enum AuditCheckError {
    /// The log was tampered with, here.
    #[error("{0}")]
    Tampered(#[from] Tamper),
    /// A row holds a value no entry can have: it was edited in the database.
    #[error(
        "entry {} was edited: its {column} holds a value no entry can have",
        sequence.map_or_else(|| "with an unreadable sequence number".to_owned(), |s| s.to_string())
    )]
    Unreadable {
        sequence: Option<i64>,
        column: &'static str,
    },
    /// A checkpoint row holds a value no checkpoint can have.
    #[error("the checkpoint at entry {} was edited: its {column} holds a value no checkpoint can have",
        sequence.map_or_else(|| "?".to_owned(), |s| s.to_string()))]
    UnreadableCheckpoint {
        sequence: Option<i64>,
        column: &'static str,
    },
    /// The database failed.
    #[error("could not read the audit log: {0}")]
    Store(StoreError),
}

impl From<StoreError> for AuditCheckError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::AuditUnreadable { sequence, column } => {
                AuditCheckError::Unreadable { sequence, column }
            }
            StoreError::CheckpointUnreadable { sequence, column } => {
                AuditCheckError::UnreadableCheckpoint { sequence, column }
            }
            StoreError::AuditTampered(tamper) => AuditCheckError::Tampered(tamper),
            e => AuditCheckError::Store(e),
        }
    }
}

/// Every entry, in sequence order, page by page.
pub async fn all_entries(store: &dyn Store) -> Result<Vec<AuditEntry>, StoreError> {
    let mut entries = Vec::new();
    let mut after = None;
    loop {
        let page = store.audit_entries(after, PAGE).await?;
        let full = page.len() == PAGE as usize;
        after = page.last().map(|e| e.sequence);
        entries.extend(page);
        if !full {
            return Ok(entries);
        }
    }
}

/// Read the whole log and its checkpoints and verify them with the
/// deployment's public key: every entry's hash, every link, every checkpoint.
pub async fn verify_audit(store: &dyn Store, key: &VerifyingKey) -> Result<Verified, AuditCheckError> {
    let entries = all_entries(store).await?;
    let checkpoints: Vec<Checkpoint> = store
        .audit_checkpoints()
        .await?
        .into_iter()
        .map(|c| c.checkpoint)
        .collect();
    Ok(kinlink_audit::verify(&entries, &checkpoints, key)?)
}

/// Sign a checkpoint if at least `every` entries were appended since the
/// last one (or there is none yet): what a server calls after its writes or
/// on a timer. `None` when none was due.
pub async fn checkpoint_if_due(
    store: &dyn Store,
    key: &SigningKey,
    every: u64,
) -> Result<Option<StoredCheckpoint>, StoreError> {
    let len = store.audit_len().await?;
    if len == 0 {
        return Ok(None);
    }
    let sealed = store
        .audit_checkpoints()
        .await?
        .iter()
        .map(|c| c.checkpoint.sequence + 1)
        .max()
        .unwrap_or(0);
    if sealed > 0 && len.saturating_sub(sealed) < every.max(1) {
        return Ok(None);
    }
    store.checkpoint(key).await
}

// Reading rows back. Every column is checked: a value no entry can have is
// an edit made in the database, reported with the entry's sequence number.

pub(crate) fn unreadable(sequence: Option<i64>, column: &'static str) -> StoreError {
    StoreError::AuditUnreadable { sequence, column }
}

pub(crate) fn parse_hash(text: &str) -> Option<EntryHash> {
    EntryHash::try_from(text.to_owned()).ok()
}

/// The decoded text columns of an entry row (the caller decodes the typed ones).
pub(crate) struct EntryColumns {
    pub sequence: i64,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub user: Option<Uuid>,
    pub agency: Option<Uuid>,
    pub via: Option<String>,
    pub name: Option<String>,
    pub resource: Option<String>,
    pub record_id: Option<Uuid>,
    pub field_groups: i32,
    pub purpose: Option<String>,
    pub outcome: String,
    pub reason: Option<String>,
    pub previous: String,
    pub hash: String,
}

impl EntryColumns {
    pub fn into_entry(self) -> Result<AuditEntry, StoreError> {
        let seq = Some(self.sequence);
        let bad = |column| unreadable(seq, column);
        let sequence = u64::try_from(self.sequence).map_err(|_| bad("sequence"))?;
        let kind = EventKind::from_name(&self.kind).ok_or_else(|| bad("kind"))?;
        let via = self
            .via
            .map(|v| match v.as_str() {
                "session" => Ok(Via::Session),
                "api_token" => Ok(Via::ApiToken),
                _ => Err(bad("actor_via")),
            })
            .transpose()?;
        let name = self
            .name
            .map(|n| ActorName::new(&n).map_err(|_| bad("actor_name")))
            .transpose()?;
        let record = match (self.resource, self.record_id) {
            (None, None) => None,
            (Some(resource), Some(id)) => Some(RecordRef {
                resource: Resource::from_name(&resource).ok_or_else(|| bad("record_resource"))?,
                id,
            }),
            (None, Some(_)) => return Err(bad("record_resource")),
            (Some(_), None) => return Err(bad("record_id")),
        };
        let bits = u8::try_from(self.field_groups).map_err(|_| bad("field_groups"))?;
        if bits & !FieldGroups::ALL.bits() != 0 {
            return Err(bad("field_groups"));
        }
        let purpose = self
            .purpose
            .map(|p| {
                Purpose::ALL
                    .into_iter()
                    .find(|known| known.as_str() == p)
                    .ok_or_else(|| bad("purpose"))
            })
            .transpose()?;
        let reason = |r: Option<String>| {
            r.and_then(|r| ReasonCode::new(&r).ok())
                .ok_or_else(|| bad("reason"))
        };
        let outcome = match (self.outcome.as_str(), self.reason) {
            ("success", None) => Outcome::Success,
            ("denied", r) => Outcome::Denied(reason(r)?),
            ("failed", r) => Outcome::Failed(reason(r)?),
            ("success", Some(_)) => return Err(bad("reason")),
            _ => return Err(bad("outcome")),
        };
        Ok(AuditEntry {
            sequence,
            previous: parse_hash(&self.previous).ok_or_else(|| bad("previous_hash"))?,
            event: AuditEvent {
                at: self.at,
                kind,
                actor: AuditActor {
                    user: self.user,
                    agency: self.agency,
                    via,
                    name,
                },
                record,
                field_groups: FieldGroups::from_bits(bits),
                purpose,
                outcome,
            },
            hash: parse_hash(&self.hash).ok_or_else(|| bad("hash"))?,
        })
    }
}

/// The stored columns of an outcome: its name and reason code.
pub(crate) fn outcome_columns(outcome: &Outcome) -> (&'static str, Option<&str>) {
    match outcome {
        Outcome::Success => ("success", None),
        Outcome::Denied(code) => ("denied", Some(code.as_str())),
        Outcome::Failed(code) => ("failed", Some(code.as_str())),
    }
}

pub(crate) fn checkpoint_from_columns(
    sequence: i64,
    hash: &str,
    at: DateTime<Utc>,
    signature: &str,
    key_id: String,
) -> Result<StoredCheckpoint, StoreError> {
    let bad = |column| StoreError::CheckpointUnreadable {
        sequence: Some(sequence),
        column,
    };
    let mut bytes = [0u8; 64];
    hex::decode_to_slice(signature, &mut bytes).map_err(|_| bad("signature"))?;
    Ok(StoredCheckpoint {
        checkpoint: Checkpoint {
            sequence: u64::try_from(sequence).map_err(|_| bad("sequence"))?,
            hash: parse_hash(hash).ok_or_else(|| bad("hash"))?,
            at,
            signature: Signature::from_bytes(&bytes),
        },
        key_id,
    })
}
