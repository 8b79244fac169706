//! The embedded default: one SQLite file in the data directory. The queries
//! are shared with PostgreSQL in [`crate::sql`]; this is how to open the file
//! and what SQLite does differently.

use std::path::Path;
use std::time::Duration;

use kinlink_core::RecordId;
use sqlx::Sqlite;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use uuid::Uuid;

use crate::StoreError;
use crate::sql::{Dialect, SqlStore};

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// File name of the database inside the data directory.
pub const DATABASE_FILE: &str = "kinlink.sqlite";

/// The store on an SQLite file.
pub type SqliteStore = SqlStore<Sqlite>;

/// How [`SqliteStore::open_with`] uses the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqliteOptions {
    /// Connections the pool opens at most. SQLite has one writer at a time
    /// whatever this is; more connections let more reads run beside it.
    pub max_connections: u32,
    /// Longest a write waits for another writer (a CLI import beside the
    /// server) to finish before failing with "database is locked".
    pub busy_timeout: Duration,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self {
            max_connections: 8,
            busy_timeout: Duration::from_secs(30),
        }
    }
}

impl Dialect for Sqlite {
    /// SQLite has no uuid type: ids are lower-case hyphenated text, which
    /// sorts like the UUID's bytes.
    type Id = String;
    const LABEL: &'static str = "SQLite";
    /// Writes take the database lock at BEGIN: a deferred transaction that
    /// reads first and then writes could fail with SQLITE_BUSY instead of waiting.
    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";

    /// SQLite plans the lookups by external id on its index without statistics.
    const ANALYZE_AFTER_IMPORT: Option<&'static str> = None;

    /// `BEGIN IMMEDIATE` already holds the one write lock of the file.
    const LOCK_AUDIT_CHAIN: Option<&'static str> = None;

    /// `BEGIN IMMEDIATE` has locked the database for writing already.
    const FOR_UPDATE: &'static str = "";

    /// No notifications: other processes on the file see writes when they poll.
    const NOTIFY_CHANGE: Option<&'static str> = None;

    fn id_to_db(id: RecordId) -> String {
        id.to_string()
    }

    fn id_from_db(id: String) -> Result<RecordId, StoreError> {
        match Uuid::parse_str(&id) {
            Ok(uuid) => Ok(RecordId::from_uuid(uuid)),
            Err(_) => Err(StoreError::Corrupt {
                id,
                reason: "id is not a UUID".to_owned(),
            }),
        }
    }
}

impl SqlStore<Sqlite> {
    /// Open (creating if needed) the database in `data_dir` and run migrations.
    pub async fn open(data_dir: &Path) -> Result<Self, StoreError> {
        Self::open_file(&data_dir.join(DATABASE_FILE)).await
    }

    /// [`SqliteStore::open`] with the default options, on the file at `path`.
    pub async fn open_file(path: &Path) -> Result<Self, StoreError> {
        Self::open_with(path, &SqliteOptions::default()).await
    }

    /// Open (creating if needed) the database file at `path` and run migrations.
    pub async fn open_with(path: &Path, sqlite: &SqliteOptions) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            // WAL lets readers (the server, an export) run beside one writer (an import).
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            // A CLI import and the server may write at once: wait rather than fail.
            .busy_timeout(sqlite.busy_timeout);
        let pool = SqlitePoolOptions::new()
            .max_connections(sqlite.max_connections)
            .connect_with(options)
            .await?;
        MIGRATIONS.run(&pool).await?;
        let codec = Self::initial_codec(&pool).await?;
        Ok(Self { pool, codec })
    }
}
