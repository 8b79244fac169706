//! Case files: each child case's case management (`kinlink_casework::CaseFile`),
//! stored as a JSON body beside its case, with the commands that made it.
//!
//! [`CaseworkStore`] is the third part of what a backend does (every
//! [`Store`](crate::Store) is one). The rules it keeps whoever calls it:
//!
//! - one case file per child case (`case_id` is the case's record id);
//! - an update names the version it was based on; a stale one is
//!   [`StoreError::Conflict`], never a silent overwrite;
//! - every update appends the command that made it to the case file's
//!   history (who, when, for which purpose) and an entry to the audit log,
//!   and stores the alerts it raised, all in the write's own transaction;
//!   nothing in the history or the alerts is ever changed or deleted.
//!
//! The store does not read the bodies: checking a command against the case
//! is `kinlink_casework`'s work, done by the caller before it writes.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kinlink_core::RecordId;
use uuid::Uuid;

use crate::{Actor, RawRecord, StoreError};

/// A case file as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredCaseFile {
    pub case_id: RecordId,
    /// Compare-and-swap version: an update names it.
    pub version: i64,
    /// The case file as JSON.
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

/// Shows ids and versions only: the body holds personal data.
impl std::fmt::Debug for StoredCaseFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredCaseFile")
            .field("case_id", &self.case_id)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// A case file with the child case it belongs to (for statistics and
/// caseload counting).
#[derive(Clone, Debug)]
pub struct CaseFileWithCase {
    pub file: StoredCaseFile,
    pub case: RawRecord,
}

/// The command that an update applies, for the case file's history.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CaseCommand<'a> {
    /// The command's name (`submit_bia`): no value.
    pub kind: &'a str,
    /// The command as applied, as JSON.
    pub body: &'a str,
}

/// One command in a case file's history.
#[derive(Clone, PartialEq, Eq)]
pub struct CaseFileEvent {
    /// The case file's version after the command.
    pub version: i64,
    pub command_kind: String,
    /// The command as applied, as JSON.
    pub command: String,
    pub actor: String,
    /// The purpose the actor declared (its stable name).
    pub purpose: Option<String>,
    pub at: DateTime<Utc>,
}

impl std::fmt::Debug for CaseFileEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaseFileEvent")
            .field("version", &self.version)
            .field("command_kind", &self.command_kind)
            .finish_non_exhaustive()
    }
}

/// An alert raised by an update, for one person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAlert {
    /// Who it is for (username).
    pub recipient: String,
    /// `detention_alert`, `approval_requested`, `complaint_routed`.
    pub kind: String,
    /// The notice as JSON: ids, kinds and flags, never a personal value.
    pub notice: String,
}

/// An alert as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAlert {
    pub id: Uuid,
    pub case_id: RecordId,
    /// The case file's version that raised it.
    pub version: i64,
    pub recipient: String,
    pub kind: String,
    pub notice: String,
    pub created_at: DateTime<Utc>,
}

/// Storage of case files, their history and their alerts.
#[async_trait]
pub trait CaseworkStore: Send + Sync + 'static {
    /// Store the first version of a case's file, unless it has one (then the
    /// stored one is returned unchanged). [`StoreError::NotFound`] if there
    /// is no such case.
    async fn create_case_file(
        &self,
        case_id: RecordId,
        body: &str,
        actor: &Actor,
    ) -> Result<StoredCaseFile, StoreError>;

    async fn get_case_file(&self, case_id: RecordId) -> Result<Option<StoredCaseFile>, StoreError>;

    /// Replace a case file's body if it is still at `expected_version`,
    /// append `command` to its history and store `alerts`, in one
    /// transaction with its audit entry. A stale version is
    /// [`StoreError::Conflict`]; no case file is [`StoreError::NotFound`].
    async fn update_case_file(
        &self,
        case_id: RecordId,
        expected_version: i64,
        body: &str,
        command: CaseCommand<'_>,
        alerts: &[NewAlert],
        actor: &Actor,
    ) -> Result<StoredCaseFile, StoreError>;

    /// Every command applied to a case file, oldest first.
    async fn case_file_history(&self, case_id: RecordId) -> Result<Vec<CaseFileEvent>, StoreError>;

    /// Every case file, in case id order (with their cases:
    /// [`case_files_with_cases`](crate::case_files_with_cases)).
    async fn case_files(&self) -> Result<Vec<StoredCaseFile>, StoreError>;

    /// The alerts for `recipient`, oldest first.
    async fn alerts_for(&self, recipient: &str) -> Result<Vec<StoredAlert>, StoreError>;
}
