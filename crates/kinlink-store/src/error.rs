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
    /// The database is encrypted and the store was opened without its master key.
    #[error(
        "this database is encrypted and no master key is loaded: record bodies cannot be read or written"
    )]
    Locked,
    /// The record was erased: its data key is destroyed (HTTP 410).
    #[error("record {id} was erased")]
    Erased { id: String },
    /// A sealed value does not open with its key.
    #[error("record {id}: its {what} does not decrypt")]
    Undecryptable { id: String, what: &'static str },
    /// A cryptographic operation failed (never with key material or plaintext).
    #[error("encryption at rest: {0}")]
    Crypto(&'static str),
    /// The master key loaded is not the one the database's data keys are wrapped with.
    #[error(
        "the master key loaded (key id {loaded}) is not the one this database is encrypted with (key id {stored}): \
         check the key file or KINLINK_MASTER_KEY; after `kinlink keys rotate`, restart the servers; \
         a rotation interrupted after its commit leaves the new key in master.key.new"
    )]
    WrongMasterKey { stored: String, loaded: String },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Whether the database could not be reached or is shutting down, as
    /// opposed to refusing this request: worth retrying later (HTTP 503).
    /// A statement cancelled by `statement_timeout` counts too: the
    /// database is overloaded or stuck, not the request wrong.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(e) => match e {
                sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::WorkerCrashed => true,
                // SQLSTATE classes 08 (connection exception) and 53
                // (insufficient resources), admin shutdown, crash shutdown,
                // cannot connect now (57P01-57P03), and statement timeout (57014).
                sqlx::Error::Database(db) => db.code().is_some_and(|code| {
                    code.starts_with("08")
                        || code.starts_with("53")
                        || code.starts_with("57P")
                        || code == "57014"
                }),
                _ => false,
            },
            _ => false,
        }
    }
}
