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
    /// A name that must be unique (an agency, a team in its agency, a user
    /// name) is taken. The name is not repeated.
    #[error("{what} with this name already exists")]
    Duplicate { what: &'static str },
    /// An account, agency, team or token that an operation names does not exist.
    #[error("no such {what}")]
    NoSuch { what: &'static str },
    #[error("could not serialise the record: {0}")]
    Serialise(#[from] serde_json::Error),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}
