//! Storage for kinlink records.
//!
//! [`Store`] is the one interface the server and the CLI use; it deals in raw
//! JSON bodies so that it stays object-safe (`Arc<dyn Store>`) and so that
//! later layers (encryption at rest) wrap bodies in one place. [`Records`]
//! gives the typed view: it only writes [`Validated`](kinlink_core::Validated) records, which is how
//! the "nothing unchecked is stored" invariant is enforced by types.
//!
//! Two backends implement it: [`SqliteStore`] (the embedded default, one
//! file) and [`PgStore`] (PostgreSQL). They are one implementation,
//! [`SqlStore`], generic over the sqlx database: the queries are the same
//! text on both (except an import's many-row statements, built with each
//! backend's placeholders), and what differs (id column type, how a write
//! transaction begins, statistics after an import) is the small [`Dialect`]
//! trait; connecting and the migrations (`migrations/sqlite`,
//! `migrations/postgres`, kept in step) are per backend. `sql.rs` says why
//! the split is where it is. The contract suite (`tests/store.rs`) runs every
//! test against both.
//!
//! SQL is plain (no ORM): sqlx with runtime-checked queries, so the build
//! needs no database and the SQL stays visible and reviewable.

mod accounts;
mod accounts_sql;
pub mod audit;
mod audit_sql;
mod batch;
mod casework;
mod casework_sql;
pub mod codec;
mod consent;
mod consent_sql;
pub mod copy;
mod error;
mod keys_sql;
mod listen;
mod match_sql;
mod matches;
mod postgres;
mod records;
mod sql;
mod sqlite;
mod types;

pub use accounts::{
    AccountStore, AgencyRecord, NewUser, SessionRecord, StoredTotp, TeamRecord, TokenRecord, UserRecord,
};
pub use casework::{
    CaseCommand, CaseFileEvent, CaseFileWithCase, CaseworkStore, NewAlert, StoredAlert, StoredCaseFile,
};
pub use casework_sql::case_files_with_cases;
pub use codec::BodyCodec;
pub use consent::{
    ConsentGiver, ConsentPurpose, ConsentRecord, ConsentStore, Decider, Ground, NewConsent, NewLegalBasis,
    allows,
};
pub use error::StoreError;
pub use keys_sql::{Erasure, Rotation, valid_rule_name};
pub use listen::ChangeListener;
pub use matches::{
    ChangeCursor, MatchId, MatchLabel, MatchReview, MatchStatus, MatchStore, ProposalOutcome, ProposedMatch,
    RecordChange, RecordWrite, ReviewDecision, StoredMatch,
};
pub use postgres::{PgOptions, PgStore};
pub use records::{ImportItem, ImportOutcome, Records};
pub use sql::{Dialect, SqlStore, SqlValue};
pub use sqlite::{DATABASE_FILE, SqliteOptions, SqliteStore};
pub use types::{Actor, Ownership, RawRecord, RawRevision, RecordMeta, Revision, StoredRecord, Visibility};

pub use audit::StoredCheckpoint;

use async_trait::async_trait;
use ed25519_dalek::SigningKey;
use kinlink_audit::{AuditEntry, AuditEvent};
use kinlink_core::{RecordId, RecordKind, RecordNumber};
use kinlink_policy::Resource;
use uuid::Uuid;

/// What a backend must do. Every write is atomic: it fully happens or not at all.
/// Every store also keeps match proposals and the change feed ([`MatchStore`]),
/// case files ([`CaseworkStore`]), and consents and legal bases ([`ConsentStore`]).
#[async_trait]
pub trait Store: MatchStore + CaseworkStore + ConsentStore + Send + Sync + 'static {
    /// Insert a new record at version 1, minting its id and number.
    async fn insert(
        &self,
        kind: RecordKind,
        body: &str,
        actor: &Actor,
        external_id: Option<&str>,
    ) -> Result<RecordMeta, StoreError>;

    /// Replace the body of a record if it is still at `expected_version`.
    /// A stale version is [`StoreError::Conflict`], never a silent overwrite.
    async fn update(
        &self,
        kind: RecordKind,
        id: RecordId,
        expected_version: i64,
        body: &str,
        actor: &Actor,
    ) -> Result<RecordMeta, StoreError>;

    async fn get(&self, kind: RecordKind, id: RecordId) -> Result<Option<RawRecord>, StoreError>;

    async fn get_by_number(
        &self,
        kind: RecordKind,
        number: &RecordNumber,
    ) -> Result<Option<RawRecord>, StoreError>;

    /// Records of a kind in creation order, after `after` (keyset pagination).
    async fn list(
        &self,
        kind: RecordKind,
        after: Option<RecordId>,
        limit: u32,
    ) -> Result<Vec<RawRecord>, StoreError>;

    /// [`Store::list`] limited to the records `visibility` reaches (`None`:
    /// every record), filtered in the query so that a page is full.
    async fn list_visible(
        &self,
        kind: RecordKind,
        after: Option<RecordId>,
        limit: u32,
        visibility: Option<&Visibility>,
    ) -> Result<Vec<RawRecord>, StoreError>;

    async fn count(&self, kind: RecordKind) -> Result<u64, StoreError>;

    /// Every version of a record, oldest first; empty if there is no such record.
    async fn history(&self, kind: RecordKind, id: RecordId) -> Result<Vec<RawRevision>, StoreError>;

    /// Insert or update many records keyed by external id, in one transaction:
    /// a record whose body is unchanged is left alone, a changed one gets a
    /// new version. Either all items are written or none. Each record
    /// created or changed gets its own audit entry. `progress` is told
    /// how many items have been dealt with so far (for progress bars).
    async fn import(
        &self,
        kind: RecordKind,
        items: &[ImportItem],
        actor: &Actor,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<ImportOutcome, StoreError>;

    /// Erase a record by destroying its data key (crypto-shredding): its
    /// body and every revision can no longer be read, and reads answer
    /// [`StoreError::Erased`]. `rule` names why (a retention rule, or a
    /// code such as `dpo_request`: lower-case letters, digits, `_`). The
    /// erasure is audited in the same transaction; what was erased is not.
    async fn erase(
        &self,
        kind: RecordKind,
        id: RecordId,
        actor: &Actor,
        rule: &str,
    ) -> Result<(), StoreError>;

    /// Whether the database answers (for readiness probes).
    async fn ping(&self) -> Result<(), StoreError>;

    // The audit log. `insert`, `update` and `import` append their own entries
    // (one per record written, actor and purpose from the `Actor`) in the
    // same transaction as the write. What the store cannot see (reads,
    // refusals, sign-ins, exports, permission changes) the caller appends.

    /// Append events (reads, refusals, security events) to the chain, in
    /// one transaction; returns them as chained.
    async fn append_audit(&self, events: &[AuditEvent]) -> Result<Vec<AuditEntry>, StoreError>;

    /// Every entry about one record, oldest first: who accessed it, when,
    /// for which purpose, with which outcome.
    async fn audit_for_record(&self, resource: Resource, id: Uuid) -> Result<Vec<AuditEntry>, StoreError>;

    /// Entries in sequence order after `after` (from the start if `None`),
    /// at most `limit`: for verifying and for copying the log elsewhere.
    async fn audit_entries(&self, after: Option<u64>, limit: u32) -> Result<Vec<AuditEntry>, StoreError>;

    /// The number of entries (the next sequence number).
    async fn audit_len(&self) -> Result<u64, StoreError>;

    /// Every signed checkpoint, in sequence order.
    async fn audit_checkpoints(&self) -> Result<Vec<StoredCheckpoint>, StoreError>;

    /// Sign a checkpoint at the newest entry with the deployment's key,
    /// after verifying the log since the last checkpoint (a log that does
    /// not verify is [`StoreError::AuditTampered`], and nothing is signed).
    /// The newest checkpoint if it already covers the head; `None` for an empty log.
    async fn checkpoint(&self, key: &SigningKey) -> Result<Option<StoredCheckpoint>, StoreError>;

    /// Append entries and checkpoints copied from another database verbatim
    /// (`kinlink copy-db`): refused unless every entry is intact and they
    /// continue this log's chain.
    async fn restore_audit(
        &self,
        entries: &[AuditEntry],
        checkpoints: &[StoredCheckpoint],
    ) -> Result<(), StoreError>;
}
