//! kinlink's tamper-evident audit log. Pure: the store keeps the entries,
//! this crate says what they hold, chains them and checks them.
//!
//! - [`AuditEvent`]: who, when, what, which record, which field groups, which
//!   purpose, which outcome. Never a personal value: records are referred to
//!   by id, reasons are [`ReasonCode`]s that cannot hold free text.
//! - [`AuditChain::append`] turns an event into an [`AuditEntry`] with a
//!   sequence number and a SHA-256 hash over a canonical encoding of the
//!   entry and the previous entry's hash.
//! - [`Checkpoint::sign`]: periodically, the deployment's Ed25519 key signs
//!   the latest sequence number and hash, so that a rewrite of the whole chain
//!   by someone with database access is detected.
//! - [`verify`] finds an edited, deleted, inserted or reordered entry, a
//!   rewritten chain, a deleted end and a forged checkpoint, and says where.

mod chain;
mod entry;
mod verify;

pub use chain::{AuditChain, Checkpoint, key_id};
pub use entry::{
    Actor, ActorName, AuditEntry, AuditEvent, EntryHash, EventKind, InvalidActorName, InvalidReasonCode,
    Outcome, ReasonCode, RecordRef,
};
pub use verify::{Tamper, Verified, verify, verify_since, verify_unsigned};
