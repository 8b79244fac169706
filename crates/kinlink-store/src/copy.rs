//! Copying a whole deployment from one database to another, on either
//! backend (`kinlink copy-db`): every row of every table, with ids, numbers,
//! revisions and number sequences as they are, then checked.
//!
//! The copy is driven by one list, [`TABLES`]: each table with its columns,
//! their types and its primary key, in an order that respects foreign keys.
//! Everything else (reading in keyset pages, multi-row inserts, the digest,
//! the checks) works from that list, so a table that a later migration adds
//! (match proposals, accounts, audit entries) is copied and verified
//! by adding one entry. A check that only makes sense for one table, such as
//! an audit chain's links, belongs in [`verify`] beside the version counts.
//!
//! The source is read in one snapshot (a repeatable-read transaction on
//! PostgreSQL, a read transaction on SQLite), so the copy is consistent even
//! if a server still writes to it; writes after the snapshot are not copied.
//! The target is written in one transaction and checked before it commits:
//! row counts per table, each record's version against its number of
//! revisions, and a SHA-256 digest over every value of every row, in key
//! order, read back from the target. A copy that does not match leaves the
//! target as it was. Bodies are copied as stored: an encrypted body stays
//! encrypted, and the digest covers what is stored.
//!
//! The audit log is copied like any table (rows verbatim, in the same target
//! transaction and digest) and then verified in the target before commit:
//! every entry's hash, every link, and each checkpoint against the entry it
//! covers, with the signatures too when the deployment's key is given. A
//! source whose log does not verify is not copied. The log is append-only
//! (triggers refuse `DELETE`), so `--replace` refuses a target that holds
//! one rather than disabling the triggers: copy into a new database instead.

use std::fmt::Write as _;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ed25519_dalek::VerifyingKey;
use kinlink_audit::{AuditEntry, Tamper, Verified};
use kinlink_core::RecordId;
use sha2::{Digest, Sha256};
use sqlx::{ColumnIndex, Encode, Executor, IntoArguments, Postgres, Row, Sqlite, Transaction, Type};

use crate::StoreError;
use crate::audit::StoredCheckpoint;
use crate::batch::Batch;
use crate::sql::{Dialect, SqlStore, SqlValue};

/// How a column is read, written and digested.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    /// A record id, or any UUID stored like one (text on SQLite, uuid on PostgreSQL).
    Id,
    Text,
    /// A record id that may be NULL.
    OptionalId,
    /// Text that may be NULL.
    OptionalText,
    BigInt,
    Int,
    Timestamp,
    /// A timestamp that may be NULL.
    OptionalTimestamp,
    Double,
    Bool,
    /// A big integer that may be NULL.
    OptionalBigInt,
    /// Bytes that may be NULL (BLOB on SQLite, BYTEA on PostgreSQL).
    OptionalBytes,
}

#[derive(Clone, Copy, Debug)]
pub struct Column {
    pub name: &'static str,
    pub ty: ColumnType,
}

const fn column(name: &'static str, ty: ColumnType) -> Column {
    Column { name, ty }
}

/// How a table's rows are treated besides being copied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableKind {
    /// The deployment's data: the target must not hold any (or `--replace`).
    Data,
    /// One row that the migration creates (a counter, a position): the
    /// target's is replaced by the source's, and it does not make the target
    /// "not empty".
    Singleton,
    /// The audit log: rows are never deleted (the triggers refuse it), so a
    /// target holding any is refused even with `--replace`.
    AppendOnly,
}

/// A table that `copy-db` moves.
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    /// Every column; the first `key` of them are the primary key.
    pub columns: &'static [Column],
    pub key: usize,
    pub kind: TableKind,
}

impl Table {
    fn key_columns(&self) -> &'static [Column] {
        &self.columns[..self.key]
    }
}

use ColumnType::{
    BigInt, Bool, Double, Id, Int, OptionalBigInt, OptionalBytes, OptionalId, OptionalText,
    OptionalTimestamp, Text, Timestamp,
};

/// Every table of a deployment, parents before children. A migration that
/// adds a table adds it here too: until it does, copy-db refuses every
/// database (it will not copy part of one), and the copy-db CLI test fails.
pub const TABLES: &[Table] = &[
    Table {
        name: "records",
        columns: &[
            column("id", Id),
            column("kind", Text),
            column("number", Text),
            column("external_id", OptionalText),
            column("version", BigInt),
            column("created_at", Timestamp),
            column("created_by", Text),
            column("updated_at", Timestamp),
            column("updated_by", Text),
            column("body", Text),
            column("change_seq", BigInt),
            // 0003: who the record belongs to.
            column("owner_user", OptionalId),
            column("owner_agency", OptionalId),
            column("owner_team", OptionalId),
        ],
        key: 1,
        kind: TableKind::Data,
    },
    Table {
        name: "record_revisions",
        columns: &[
            column("record_id", Id),
            column("version", BigInt),
            column("changed_at", Timestamp),
            column("changed_by", Text),
            column("body", Text),
        ],
        key: 2,
        kind: TableKind::Data,
    },
    Table {
        name: "number_sequences",
        columns: &[column("kind", Text), column("year", Int), column("last", BigInt)],
        key: 2,
        kind: TableKind::Data,
    },
    Table {
        name: "change_counter",
        columns: &[column("id", Int), column("last", BigInt)],
        key: 1,
        kind: TableKind::Singleton,
    },
    Table {
        name: "matcher_position",
        columns: &[column("id", Int), column("position", BigInt)],
        key: 1,
        kind: TableKind::Singleton,
    },
    Table {
        name: "match_proposals",
        columns: &[
            column("id", Id),
            column("request_id", Id),
            column("case_id", Id),
            column("sought_child", Int),
            column("request_version", BigInt),
            column("case_version", BigInt),
            column("score", Double),
            column("label", Text),
            column("sibling", Bool),
            column("explanation", Text),
            column("proposed", Bool),
            column("status", Text),
            column("version", BigInt),
            column("reviewed_by", OptionalText),
            column("reviewed_at", OptionalTimestamp),
            column("reason", OptionalText),
            column("created_at", Timestamp),
            column("updated_at", Timestamp),
        ],
        key: 1,
        kind: TableKind::Data,
    },
    Table {
        name: "match_reviews",
        columns: &[
            column("match_id", Id),
            column("version", BigInt),
            column("status", Text),
            column("reason", OptionalText),
            column("changed_by", Text),
            column("changed_at", Timestamp),
        ],
        key: 2,
        kind: TableKind::Data,
    },
    // 0003: accounts. Secrets are copied as stored: hashes, and TOTP secrets
    // sealed under the deployment's master key (which stays outside both databases).
    Table {
        name: "agencies",
        columns: &[
            column("id", Id),
            column("name", Text),
            column("kind", Text),
            column("immigration_enforcement", Bool),
            column("created_at", Timestamp),
        ],
        key: 1,
        kind: TableKind::Data,
    },
    Table {
        name: "teams",
        columns: &[
            column("id", Id),
            column("agency_id", Id),
            column("name", Text),
            column("created_at", Timestamp),
        ],
        key: 1,
        kind: TableKind::Data,
    },
    Table {
        name: "users",
        columns: &[
            column("id", Id),
            column("username", Text),
            column("agency_id", Id),
            column("password_hash", Text),
            column("totp_wrapped_key", OptionalBytes),
            column("totp_sealed_secret", OptionalBytes),
            column("totp_confirmed", Bool),
            column("totp_last_step", OptionalBigInt),
            column("disabled", Bool),
            column("failed_sign_ins", BigInt),
            column("locked_until", OptionalTimestamp),
            column("created_at", Timestamp),
            column("updated_at", Timestamp),
        ],
        key: 1,
        kind: TableKind::Data,
    },
    Table {
        name: "user_teams",
        columns: &[column("user_id", Id), column("team_id", Id)],
        key: 2,
        kind: TableKind::Data,
    },
    Table {
        name: "user_roles",
        columns: &[column("user_id", Id), column("role", Text)],
        key: 2,
        kind: TableKind::Data,
    },
    Table {
        name: "sessions",
        columns: &[
            column("hash", Text),
            column("user_id", Id),
            column("created_at", Timestamp),
            column("last_seen_at", Timestamp),
            column("expires_at", Timestamp),
            column("totp_pending", Bool),
        ],
        key: 1,
        kind: TableKind::Data,
    },
    Table {
        name: "api_tokens",
        columns: &[
            column("prefix", Text),
            column("secret_hash", Text),
            column("user_id", Id),
            column("name", Text),
            column("scopes", Text),
            column("created_at", Timestamp),
            column("expires_at", OptionalTimestamp),
            column("revoked_at", OptionalTimestamp),
        ],
        key: 1,
        kind: TableKind::Data,
    },
    // 0005: case files, the commands that made them, and the alerts they raised.
    Table {
        name: "case_files",
        columns: &[
            column("case_id", Id),
            column("version", BigInt),
            column("body", Text),
            column("created_at", Timestamp),
            column("created_by", Text),
            column("updated_at", Timestamp),
            column("updated_by", Text),
        ],
        key: 1,
        kind: TableKind::Data,
    },
    Table {
        name: "case_file_events",
        columns: &[
            column("case_id", Id),
            column("version", BigInt),
            column("command_kind", Text),
            column("command", Text),
            column("actor", Text),
            column("purpose", OptionalText),
            column("at", Timestamp),
        ],
        key: 2,
        kind: TableKind::Data,
    },
    Table {
        name: "case_alerts",
        columns: &[
            column("id", Id),
            column("case_id", Id),
            column("version", BigInt),
            column("recipient", Text),
            column("kind", Text),
            column("notice", Text),
            column("created_at", Timestamp),
        ],
        key: 1,
        kind: TableKind::Data,
    },
    // 0007: consents and legal bases of records.
    Table {
        name: "consents",
        columns: &[
            column("id", Id),
            column("record_id", Id),
            column("record_kind", Text),
            column("purpose", Text),
            column("basis", Text),
            column("given_by", OptionalText),
            column("language", OptionalText),
            column("interpreter", OptionalText),
            column("reason", OptionalText),
            column("decided_by", OptionalText),
            column("approved_by", OptionalText),
            column("given_at", Timestamp),
            column("recorded_by", Text),
            column("recorded_at", Timestamp),
            column("withdrawn_at", OptionalTimestamp),
            column("withdrawn_by", OptionalText),
        ],
        key: 1,
        kind: TableKind::Data,
    },
    Table {
        name: "audit_entries",
        columns: &[
            column("sequence", BigInt),
            column("at", Timestamp),
            column("kind", Text),
            column("actor_user", OptionalId),
            column("actor_agency", OptionalId),
            column("actor_via", OptionalText),
            column("actor_name", OptionalText),
            column("record_resource", OptionalText),
            column("record_id", OptionalId),
            column("field_groups", Int),
            column("purpose", OptionalText),
            column("outcome", Text),
            column("reason", OptionalText),
            column("previous_hash", Text),
            column("hash", Text),
        ],
        key: 1,
        kind: TableKind::AppendOnly,
    },
    Table {
        name: "audit_checkpoints",
        columns: &[
            column("sequence", BigInt),
            column("hash", Text),
            column("at", Timestamp),
            column("signature", Text),
            column("key_id", Text),
        ],
        key: 1,
        kind: TableKind::AppendOnly,
    },
    // 0006: encryption at rest. Wrapped data keys are copied as stored: the
    // target needs the same master key (and the copy stays unreadable without it).
    Table {
        name: "record_keys",
        columns: &[
            column("record_id", Id),
            column("key_id", Text),
            column("wrapped", Text),
        ],
        key: 1,
        kind: TableKind::Data,
    },
    Table {
        name: "key_check",
        columns: &[
            column("id", Int),
            column("key_id", Text),
            column("changed_at", Timestamp),
        ],
        key: 1,
        kind: TableKind::Singleton,
    },
    Table {
        name: "erasures",
        columns: &[
            column("record_id", Id),
            column("erased_at", Timestamp),
            column("erased_by", Text),
            column("rule", Text),
        ],
        key: 1,
        kind: TableKind::Data,
    },
];

/// One value of a row, whatever the backend.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Id(RecordId),
    Text(String),
    Null,
    BigInt(i64),
    Int(i32),
    Timestamp(DateTime<Utc>),
    Double(f64),
    Bool(bool),
    Bytes(Vec<u8>),
}

type Rows = Vec<Vec<Value>>;

/// Rows read or written per statement.
const PAGE: u32 = 2_000;
/// Bound parameters per insert statement, below SQLite's limit (32,766).
const MAX_PARAMETERS: usize = 30_000;

/// A database `copy-db` can read from and write to.
#[async_trait]
pub trait CopyEnd: Send + Sync {
    /// The backend's name, for people.
    fn label(&self) -> &'static str;
    /// A read-only transaction on one consistent snapshot.
    async fn snapshot(&self) -> Result<Box<dyn CopyTx>, StoreError>;
    /// A transaction that will write.
    async fn writer(&self) -> Result<Box<dyn CopyTx>, StoreError>;
}

/// A transaction of [`CopyEnd`]: what the copy does with a table.
#[async_trait]
pub trait CopyTx: Send {
    async fn count(&mut self, table: &Table) -> Result<u64, StoreError>;
    /// Up to `limit` rows in key order, after the key `after`.
    async fn page(&mut self, table: &Table, after: Option<&[Value]>, limit: u32) -> Result<Rows, StoreError>;
    async fn insert(&mut self, table: &Table, rows: &[Vec<Value>]) -> Result<(), StoreError>;
    async fn delete_all(&mut self, table: &Table) -> Result<(), StoreError>;
    /// The names of the database's tables (besides the migrations' own).
    async fn table_names(&mut self) -> Result<Vec<String>, StoreError>;
    /// The names of a table's columns.
    async fn column_names(&mut self, table: &Table) -> Result<Vec<String>, StoreError>;
    /// Each record's id, version and number of revisions, by id.
    async fn version_counts(&mut self) -> Result<Vec<(RecordId, i64, i64)>, StoreError>;
    /// The whole audit log, entries in sequence order, and its checkpoints.
    async fn audit_log(&mut self) -> Result<(Vec<AuditEntry>, Vec<StoredCheckpoint>), StoreError>;
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// Why a copy did not happen. The target is unchanged in every case.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(
        "the target database is not empty ({table} has {rows} rows): \
         copy into an empty database, or pass --replace to delete what it holds first"
    )]
    TargetNotEmpty { table: &'static str, rows: u64 },
    #[error(
        "the {side} database has a table copy-db does not know ({table}): \
         refusing to copy part of a deployment"
    )]
    UnknownTable { side: &'static str, table: String },
    #[error(
        "the {side} database has a column copy-db does not know ({table}.{column}): \
         refusing to copy part of a deployment"
    )]
    UnknownColumn {
        side: &'static str,
        table: &'static str,
        column: String,
    },
    #[error(
        "the target database holds an audit log ({rows} rows in {table}), which is append-only and \
         cannot be deleted: --replace only works on a target without one; copy into a new, empty database"
    )]
    TargetHasAuditLog { table: &'static str, rows: u64 },
    #[error("the copy does not match the source ({0}); nothing was written")]
    Mismatch(String),
    #[error(
        "the audit log does not verify after copying ({0}); nothing was written \
         (`kinlink audit verify` on the source shows the same)"
    )]
    AuditLog(Tamper),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What was copied and how it was checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyReport {
    /// Rows per table, in [`TABLES`] order.
    pub tables: Vec<(&'static str, u64)>,
    /// Records whose revision count was checked.
    pub records: u64,
    /// SHA-256 over every row of every table, hex.
    pub digest: String,
    /// The audit log as verified in the target before commit.
    pub audit: Verified,
    /// Whether the checkpoints' signatures were checked (a key was given).
    pub signatures_checked: bool,
}

/// Copy every table of `from` into `to`. `to` must be empty unless
/// `replace`, which first deletes what it holds (in the same transaction),
/// and never holds an audit log (see the module's documentation). The copied
/// audit log is verified before commit, its checkpoints' signatures too with
/// `audit_key` (the deployment's public key).
/// `progress` is told the table and the rows copied so far.
pub async fn copy_database(
    from: &dyn CopyEnd,
    to: &dyn CopyEnd,
    replace: bool,
    audit_key: Option<&VerifyingKey>,
    progress: &(dyn Fn(&'static str, u64) + Send + Sync),
) -> Result<CopyReport, CopyError> {
    let mut source = from.snapshot().await?;
    let mut target = to.writer().await?;
    for (side, tx) in [("source", &mut source), ("target", &mut target)] {
        for table in tx.table_names().await? {
            if !TABLES.iter().any(|t| t.name == table) {
                return Err(CopyError::UnknownTable { side, table });
            }
        }
        // A column a later migration added but this list forgot would be
        // dropped silently: refuse it like an unknown table.
        for table in TABLES {
            for column in tx.column_names(table).await? {
                if !table.columns.iter().any(|c| c.name == column) {
                    return Err(CopyError::UnknownColumn {
                        side,
                        table: table.name,
                        column,
                    });
                }
            }
        }
    }
    for table in TABLES {
        let rows = target.count(table).await?;
        match table.kind {
            _ if rows == 0 => {}
            TableKind::Singleton => {}
            TableKind::AppendOnly if replace => {
                return Err(CopyError::TargetHasAuditLog {
                    table: table.name,
                    rows,
                });
            }
            TableKind::Data | TableKind::AppendOnly if !replace => {
                return Err(CopyError::TargetNotEmpty {
                    table: table.name,
                    rows,
                });
            }
            TableKind::Data | TableKind::AppendOnly => {}
        }
    }
    // The append-only tables are empty here: they are never deleted from.
    for table in TABLES.iter().rev() {
        let delete = match table.kind {
            TableKind::Data => replace,
            TableKind::Singleton => true,
            TableKind::AppendOnly => false,
        };
        if delete {
            target.delete_all(table).await?;
        }
    }
    let mut digest = Sha256::new();
    let mut tables = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        let mut copied = 0;
        let mut after: Option<Vec<Value>> = None;
        loop {
            let rows = source.page(table, after.as_deref(), PAGE).await?;
            let Some(last) = rows.last() else { break };
            after = Some(last[..table.key].to_vec());
            for row in &rows {
                digest_row(&mut digest, table, row);
            }
            target.insert(table, &rows).await?;
            copied += rows.len() as u64;
            progress(table.name, copied);
        }
        tables.push((table.name, copied));
    }
    let versions = source.version_counts().await?;
    let digest = hex(&digest.finalize());
    verify(&mut *target, &tables, &versions, &digest).await?;
    let audit = verify_audit_log(&mut *target, audit_key).await?;
    target.commit().await?;
    Ok(CopyReport {
        tables,
        records: versions.len() as u64,
        digest,
        audit,
        signatures_checked: audit_key.is_some(),
    })
}

/// The audit log as the target now holds it (before commit), read through
/// the same parsing as `kinlink audit verify`, chain and checkpoints checked.
async fn verify_audit_log(
    target: &mut dyn CopyTx,
    key: Option<&VerifyingKey>,
) -> Result<Verified, CopyError> {
    let (entries, checkpoints) = target.audit_log().await?;
    let checkpoints: Vec<_> = checkpoints.into_iter().map(|c| c.checkpoint).collect();
    match key {
        Some(key) => kinlink_audit::verify(&entries, &checkpoints, key),
        None => kinlink_audit::verify_unsigned(&entries, &checkpoints),
    }
    .map_err(CopyError::AuditLog)
}

/// Read the copy back, in its own transaction before it commits, and
/// compare it with what was read from the source.
async fn verify(
    target: &mut dyn CopyTx,
    tables: &[(&'static str, u64)],
    versions: &[(RecordId, i64, i64)],
    source_digest: &str,
) -> Result<(), CopyError> {
    let mut digest = Sha256::new();
    for (table, &(_, expected)) in TABLES.iter().zip(tables) {
        let count = target.count(table).await?;
        if count != expected {
            return Err(CopyError::Mismatch(format!(
                "{} has {count} rows, the source {expected}",
                table.name
            )));
        }
        let mut after: Option<Vec<Value>> = None;
        loop {
            let rows = target.page(table, after.as_deref(), PAGE).await?;
            let Some(last) = rows.last() else { break };
            after = Some(last[..table.key].to_vec());
            for row in &rows {
                digest_row(&mut digest, table, row);
            }
        }
    }
    let copied_versions = target.version_counts().await?;
    if copied_versions.len() != versions.len() {
        return Err(CopyError::Mismatch("a different number of records".to_owned()));
    }
    for (copied, source) in copied_versions.iter().zip(versions) {
        if copied != source {
            // Ids and version numbers are not personal data.
            return Err(CopyError::Mismatch(format!(
                "record {} has version {} with {} revisions, the source version {} with {}",
                copied.0, copied.1, copied.2, source.1, source.2
            )));
        }
    }
    if hex(&digest.finalize()) != source_digest {
        return Err(CopyError::Mismatch("the content digest differs".to_owned()));
    }
    Ok(())
}

/// Feed one row to the digest, unambiguously: the table, then each value
/// with a tag and, for text, its length.
fn digest_row(digest: &mut Sha256, table: &Table, row: &[Value]) {
    digest.update(table.name.as_bytes());
    digest.update([0]);
    for value in row {
        match value {
            Value::Id(id) => {
                digest.update([1]);
                digest.update(id.as_uuid().as_bytes());
            }
            Value::Text(text) => {
                digest.update([2]);
                digest.update((text.len() as u64).to_le_bytes());
                digest.update(text.as_bytes());
            }
            Value::Null => digest.update([3]),
            Value::BigInt(n) => {
                digest.update([4]);
                digest.update(n.to_le_bytes());
            }
            Value::Int(n) => {
                digest.update([5]);
                digest.update(n.to_le_bytes());
            }
            Value::Timestamp(t) => {
                digest.update([6]);
                digest.update(t.timestamp_micros().to_le_bytes());
            }
            Value::Double(x) => {
                digest.update([7]);
                digest.update(x.to_bits().to_le_bytes());
            }
            Value::Bool(b) => {
                digest.update([8, u8::from(*b)]);
            }
            Value::Bytes(bytes) => {
                digest.update([9]);
                digest.update((bytes.len() as u64).to_le_bytes());
                digest.update(bytes);
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// What copying needs to know of a backend beyond [`Dialect`].
pub trait CopyDialect: Dialect {
    /// Starts a read-only transaction that sees one snapshot throughout.
    const BEGIN_SNAPSHOT: &'static str;
    /// Makes text compare byte by byte, so that both backends page (and
    /// digest) rows in the same order whatever the database's collation.
    const BINARY: &'static str;
    /// The names of the tables, as `name`, less the migrations' own.
    const TABLE_NAMES: &'static str;
    /// The names of the columns of the table named by the parameter, as `name`.
    const COLUMN_NAMES: &'static str;
}

impl CopyDialect for Sqlite {
    // A read transaction keeps the snapshot of its first read (WAL mode).
    const BEGIN_SNAPSHOT: &'static str = "BEGIN";
    const BINARY: &'static str = "";
    const TABLE_NAMES: &'static str = "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite%' AND name <> '_sqlx_migrations'";
    const COLUMN_NAMES: &'static str = "SELECT name FROM pragma_table_info($1)";
}

impl CopyDialect for Postgres {
    const BEGIN_SNAPSHOT: &'static str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
    const BINARY: &'static str = " COLLATE \"C\"";
    const TABLE_NAMES: &'static str = "SELECT table_name::text AS name FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> '_sqlx_migrations'";
    const COLUMN_NAMES: &'static str = "SELECT column_name::text AS name FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = $1";
}

/// A transaction of an [`SqlStore`].
struct SqlTx<DB: CopyDialect> {
    tx: Transaction<'static, DB>,
}

#[async_trait]
impl<DB> CopyEnd for SqlStore<DB>
where
    DB: CopyDialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
    for<'q> Option<DB::Id>: Encode<'q, DB>,
    for<'q> Option<DateTime<Utc>>: Encode<'q, DB>,
    for<'q> Option<i64>: Encode<'q, DB>,
    for<'q> Option<Vec<u8>>: Encode<'q, DB>,
    String: SqlValue<DB>,
    i64: SqlValue<DB>,
    i32: SqlValue<DB>,
    f64: SqlValue<DB>,
    bool: SqlValue<DB>,
    Vec<u8>: SqlValue<DB>,
    DateTime<Utc>: SqlValue<DB>,
    &'static str: ColumnIndex<DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    fn label(&self) -> &'static str {
        DB::LABEL
    }

    async fn snapshot(&self) -> Result<Box<dyn CopyTx>, StoreError> {
        let tx = self.pool.begin_with(DB::BEGIN_SNAPSHOT).await?;
        Ok(Box::new(SqlTx { tx }))
    }

    async fn writer(&self) -> Result<Box<dyn CopyTx>, StoreError> {
        let tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        Ok(Box::new(SqlTx { tx }))
    }
}

fn column_list(columns: &[Column]) -> String {
    columns.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
}

#[async_trait]
impl<DB> CopyTx for SqlTx<DB>
where
    DB: CopyDialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
    for<'q> Option<DB::Id>: Encode<'q, DB>,
    for<'q> Option<DateTime<Utc>>: Encode<'q, DB>,
    for<'q> Option<i64>: Encode<'q, DB>,
    for<'q> Option<Vec<u8>>: Encode<'q, DB>,
    String: SqlValue<DB>,
    i64: SqlValue<DB>,
    i32: SqlValue<DB>,
    f64: SqlValue<DB>,
    bool: SqlValue<DB>,
    Vec<u8>: SqlValue<DB>,
    DateTime<Utc>: SqlValue<DB>,
    &'static str: ColumnIndex<DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    async fn count(&mut self, table: &Table) -> Result<u64, StoreError> {
        let row = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {}", table.name))
            .fetch_one(&mut *self.tx)
            .await?;
        let n: i64 = row.try_get("n")?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn page(&mut self, table: &Table, after: Option<&[Value]>, limit: u32) -> Result<Rows, StoreError> {
        let key: Vec<String> = table
            .key_columns()
            .iter()
            .map(|c| match c.ty {
                Text | OptionalText => format!("{}{}", c.name, DB::BINARY),
                _ => c.name.to_owned(),
            })
            .collect();
        let mut query = Batch::<DB>::new(&format!(
            "SELECT {} FROM {}",
            column_list(table.columns),
            table.name
        ));
        if let Some(after) = after {
            query.push(&format!(" WHERE ({}) > ", key.join(", ")));
            query.group(|values| {
                for (value, column) in after.iter().zip(table.key_columns()) {
                    bind_value::<DB>(values, value, column.ty);
                }
            });
        }
        query.push(&format!(" ORDER BY {} LIMIT {limit}", key.join(", ")));
        let (sql, arguments) = query.build()?;
        let rows = sqlx::query_with(&sql, arguments).fetch_all(&mut *self.tx).await?;
        rows.iter()
            .map(|row| {
                table
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, column)| read_value::<DB>(row, i, column.ty))
                    .collect()
            })
            .collect()
    }

    async fn insert(&mut self, table: &Table, rows: &[Vec<Value>]) -> Result<(), StoreError> {
        let per_statement = (MAX_PARAMETERS / table.columns.len()).max(1);
        for chunk in rows.chunks(per_statement) {
            let mut insert = Batch::<DB>::new(&format!(
                "INSERT INTO {} ({}) VALUES ",
                table.name,
                column_list(table.columns)
            ));
            for row in chunk {
                insert.group(|values| {
                    for (value, column) in row.iter().zip(table.columns) {
                        bind_value::<DB>(values, value, column.ty);
                    }
                });
            }
            let (sql, arguments) = insert.build()?;
            sqlx::query_with(&sql, arguments).execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    async fn delete_all(&mut self, table: &Table) -> Result<(), StoreError> {
        sqlx::query(&format!("DELETE FROM {}", table.name))
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn table_names(&mut self) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(DB::TABLE_NAMES).fetch_all(&mut *self.tx).await?;
        rows.iter().map(|row| Ok(row.try_get("name")?)).collect()
    }

    async fn column_names(&mut self, table: &Table) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(DB::COLUMN_NAMES)
            .bind(table.name)
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter().map(|row| Ok(row.try_get("name")?)).collect()
    }

    async fn version_counts(&mut self) -> Result<Vec<(RecordId, i64, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.id, r.version, COUNT(v.version) AS revisions FROM records r \
             LEFT JOIN record_revisions v ON v.record_id = r.id GROUP BY r.id, r.version ORDER BY r.id",
        )
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    DB::id_from_db(row.try_get("id")?)?,
                    row.try_get("version")?,
                    row.try_get("revisions")?,
                ))
            })
            .collect()
    }

    async fn audit_log(&mut self) -> Result<(Vec<AuditEntry>, Vec<StoredCheckpoint>), StoreError> {
        SqlStore::<DB>::read_audit_log(&mut self.tx).await
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }
}

/// Bind `value`, a value of a column of type `ty` (a NULL is bound with
/// the column's type: PostgreSQL refuses a text NULL for a uuid column).
fn bind_value<'q, DB>(values: &mut crate::batch::Group<'_, 'q, DB>, value: &'q Value, ty: ColumnType)
where
    DB: CopyDialect,
    for<'a> &'a str: Encode<'a, DB> + Type<DB>,
    for<'a> Option<&'a str>: Encode<'a, DB>,
    for<'a> Option<DB::Id>: Encode<'a, DB>,
    for<'a> Option<DateTime<Utc>>: Encode<'a, DB>,
    for<'a> Option<i64>: Encode<'a, DB>,
    for<'a> Option<Vec<u8>>: Encode<'a, DB>,
    i64: SqlValue<DB>,
    i32: SqlValue<DB>,
    f64: SqlValue<DB>,
    bool: SqlValue<DB>,
    Vec<u8>: SqlValue<DB>,
    DateTime<Utc>: SqlValue<DB>,
{
    match value {
        Value::Id(id) => values.bind(DB::id_to_db(*id)),
        Value::Text(text) => values.bind(text.as_str()),
        Value::Null => match ty {
            OptionalId => values.bind(None::<DB::Id>),
            OptionalTimestamp => values.bind(None::<DateTime<Utc>>),
            OptionalBigInt => values.bind(None::<i64>),
            OptionalBytes => values.bind(None::<Vec<u8>>),
            _ => values.bind(None::<&str>),
        },
        Value::BigInt(n) => values.bind(*n),
        Value::Int(n) => values.bind(*n),
        Value::Timestamp(t) => values.bind(*t),
        Value::Double(x) => values.bind(*x),
        Value::Bool(b) => values.bind(*b),
        Value::Bytes(bytes) => values.bind(bytes.clone()),
    };
}

fn read_value<DB>(row: &DB::Row, i: usize, ty: ColumnType) -> Result<Value, StoreError>
where
    DB: CopyDialect,
    String: SqlValue<DB>,
    i64: SqlValue<DB>,
    i32: SqlValue<DB>,
    f64: SqlValue<DB>,
    bool: SqlValue<DB>,
    Vec<u8>: SqlValue<DB>,
    DateTime<Utc>: SqlValue<DB>,
    usize: ColumnIndex<DB::Row>,
{
    Ok(match ty {
        Id => Value::Id(DB::id_from_db(row.try_get(i)?)?),
        Text => Value::Text(row.try_get(i)?),
        OptionalText => row
            .try_get::<Option<String>, _>(i)?
            .map_or(Value::Null, Value::Text),
        BigInt => Value::BigInt(row.try_get(i)?),
        Int => Value::Int(row.try_get(i)?),
        Timestamp => Value::Timestamp(row.try_get(i)?),
        OptionalId => row
            .try_get::<Option<DB::Id>, _>(i)?
            .map(DB::id_from_db)
            .transpose()?
            .map_or(Value::Null, Value::Id),
        OptionalTimestamp => row
            .try_get::<Option<DateTime<Utc>>, _>(i)?
            .map_or(Value::Null, Value::Timestamp),
        Double => Value::Double(row.try_get(i)?),
        Bool => Value::Bool(row.try_get(i)?),
        OptionalBigInt => row
            .try_get::<Option<i64>, _>(i)?
            .map_or(Value::Null, Value::BigInt),
        OptionalBytes => row
            .try_get::<Option<Vec<u8>>, _>(i)?
            .map_or(Value::Null, Value::Bytes),
    })
}
