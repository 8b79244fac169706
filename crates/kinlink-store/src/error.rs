use kinlink_core::RecordKind;

/// Store failures. Messages name records by kind and id only, never by content.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no {} with this id", kind.as_str())]
    NotFound { kind: RecordKind },
    #[error("no match with this id")]
    MatchNotFound,
    #[error("the record is at version {current}, not {expected}: reload it and apply the change again")]
    Conflict { expected: i64, current: i64 },
    #[error("external id appears more than once in the batch (item {index})")]
    DuplicateExternalId { index: usize },
    #[error("case {index} of the proposals appears more than once")]
    DuplicateProposal { index: usize },
    #[error("a stored record could not be read (record {id}): {reason}")]
    Corrupt { id: String, reason: String },
    #[error("could not serialise the record: {0}")]
    Serialise(#[from] serde_json::Error),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}
