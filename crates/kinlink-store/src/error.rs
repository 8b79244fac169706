use kinlink_core::RecordKind;

/// Store failures. Messages name records by kind and id only, never by content.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no {} with this id", kind.as_str())]
    NotFound { kind: RecordKind },
    #[error("the record is at version {current}, not {expected}: reload it and apply the change again")]
    Conflict { expected: i64, current: i64 },
    #[error("external id appears more than once in the batch (item {index})")]
    DuplicateExternalId { index: usize },
    #[error("a stored record could not be read (record {id}): {reason}")]
    Corrupt { id: String, reason: String },
    #[error("could not serialise the record: {0}")]
    Serialise(#[from] serde_json::Error),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// An audit row holds a value no entry can have: edited in the database.
    #[error("audit entry {} holds a value no entry can have in its {column}", sequence.map_or_else(|| "?".to_owned(), |s| s.to_string()))]
    AuditUnreadable {
        sequence: Option<i64>,
        column: &'static str,
    },
    /// A checkpoint row holds a value no checkpoint can have.
    #[error("the audit checkpoint at entry {} holds a value no checkpoint can have in its {column}", sequence.map_or_else(|| "?".to_owned(), |s| s.to_string()))]
    CheckpointUnreadable {
        sequence: Option<i64>,
        column: &'static str,
    },
    /// The audit log does not verify; no checkpoint is signed over it.
    #[error("the audit log does not verify: {0}")]
    AuditTampered(#[from] kinlink_audit::Tamper),
    /// Entries restored from elsewhere do not continue this log's chain.
    #[error("the audit entries do not continue this log: expected entry {expected}, found {found}")]
    AuditDiscontinuous { expected: u64, found: u64 },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}
