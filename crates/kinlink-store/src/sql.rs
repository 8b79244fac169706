//! The store, written once for every SQL backend.
//!
//! SQLite and PostgreSQL need the same behaviour (numbers, compare-and-swap
//! versions, history, all-or-nothing imports), and their SQL differs less than
//! one might expect: sqlx accepts `$1` placeholders on SQLite too, both have
//! `RETURNING` and `ON CONFLICT ... DO UPDATE`, and `DateTime<Utc>` maps to
//! each one's timestamp type. So there is one implementation, [`SqlStore`],
//! generic over the sqlx database, and the few real differences live in the
//! small [`Dialect`] trait: how an id is stored (text on SQLite, a native
//! `uuid` on PostgreSQL), how a write transaction starts (`BEGIN IMMEDIATE`
//! on SQLite), and whether a large import ends by refreshing the planner's
//! statistics (PostgreSQL). An import's statements with thousands of
//! parameters are built by `batch.rs`, with each backend's own placeholders.
//! What cannot be generic stays in the backend's own module: connecting,
//! connection settings and the embedded migrations (`migrations/sqlite`,
//! `migrations/postgres`: same tables, columns and indexes).
//!
//! Two stores written out in full would have been easier to read one at a
//! time, but they would drift: each fix or new query would have to be made
//! twice, and the contract suite would be the only thing noticing. The price
//! of one store is a block of trait bounds ("this database can encode a
//! string", and so on). Rust does not carry such bounds from a trait's
//! declaration to its users, so they are written out twice below, on the two
//! impl blocks, rather than on every helper.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Datelike, SubsecRound, Utc};
use ed25519_dalek::SigningKey;
use kinlink_audit::{AuditEntry, AuditEvent, EventKind};
use kinlink_core::{RecordId, RecordKind, RecordNumber};
use kinlink_policy::Resource;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Pool, Row, Type};
use uuid::Uuid;

use crate::audit::{StoredCheckpoint, write_event};
use crate::batch::Batch;
use crate::codec::BodyCodec;
use crate::records::{ImportItem, ImportOutcome};
use crate::types::{Actor, Ownership, RawRecord, RawRevision, RecordMeta, Visibility};
use crate::{Store, StoreError};

/// External ids looked up per statement.
const LOOKUP_CHUNK: usize = 500;
/// An import that creates or updates at least this many records refreshes
/// the planner's statistics ([`Dialect::ANALYZE_AFTER_IMPORT`]).
const ANALYZE_AFTER_ROWS: u64 = 1_000;
/// Rows per multi-row INSERT: 14 parameters each stays far below the limits
/// on bound parameters (SQLite 32,766; PostgreSQL 65,535).
const INSERT_CHUNK: usize = 500;

const META_COLUMNS: &str = "id, number, version, created_at, created_by, updated_at, updated_by, external_id, \
                            owner_user, owner_agency, owner_team";

/// The body as stored and the record's wrapped data key (NULL: plaintext, or
/// erased), for [`BodyCodec::open_stored`]. Every query that reads a record's
/// body selects these two.
pub(crate) const BODY_COLUMNS: &str =
    "body, (SELECT k.wrapped FROM record_keys k WHERE k.record_id = records.id) AS data_key";

/// Leaves erased records out of listings and the change feed.
pub(crate) const NOT_ERASED: &str = "NOT EXISTS (SELECT 1 FROM erasures e WHERE e.record_id = records.id)";

mod sealed {
    pub trait Sealed {}
    impl Sealed for sqlx::Sqlite {}
    impl Sealed for sqlx::Postgres {}
}

/// What differs between the SQL backends. Implemented for [`sqlx::Sqlite`]
/// and [`sqlx::Postgres`] only.
pub trait Dialect: Database + sealed::Sealed {
    /// A record id as the database stores it.
    type Id: for<'q> Encode<'q, Self> + for<'r> Decode<'r, Self> + Type<Self> + Send + Sync + 'static;
    /// The backend's name, for people ("SQLite", "PostgreSQL").
    const LABEL: &'static str;
    /// The statement that starts a transaction that will write.
    const BEGIN_WRITE: &'static str;
    /// Run after an import that wrote many records, if the backend needs it
    /// to plan the next lookups well.
    const ANALYZE_AFTER_IMPORT: Option<&'static str>;
    /// Run in a write transaction before the audit chain's head is read, if
    /// [`Dialect::BEGIN_WRITE`] does not already keep other writers out: the
    /// chain must never fork.
    const LOCK_AUDIT_CHAIN: Option<&'static str>;
    /// Appended to a `SELECT` that locks the rows it reads until the
    /// transaction ends (empty where a write transaction locks the whole
    /// database anyway).
    const FOR_UPDATE: &'static str;
    /// Run in every write transaction after it takes its change number, to
    /// tell other processes at commit that the feed moved on (see [`crate::listen`]).
    const NOTIFY_CHANGE: Option<&'static str>;
    fn id_to_db(id: RecordId) -> Self::Id;
    /// A listener for [`Dialect::NOTIFY_CHANGE`], where there is one.
    fn change_listener(_pool: &Pool<Self>) -> Option<crate::ChangeListener> {
        None
    }
    fn id_from_db(id: Self::Id) -> Result<RecordId, StoreError>;

    /// Any UUID (an agency, a user), stored like a record id.
    fn uuid_to_db(id: Uuid) -> Self::Id {
        Self::id_to_db(RecordId::from_uuid(id))
    }
    fn uuid_from_db(id: Self::Id) -> Result<Uuid, StoreError> {
        Self::id_from_db(id).map(|id| *id.as_uuid())
    }
}

/// Encoded as a parameter and decoded from a column by the database `DB`.
pub trait SqlValue<DB: Database>: for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB> + Type<DB> {}
impl<DB: Database, T> SqlValue<DB> for T where T: for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB> + Type<DB> {}

/// A [`Store`] on an SQL database; see [`crate::SqliteStore`] and [`crate::PgStore`].
pub struct SqlStore<DB: Dialect> {
    pub(crate) pool: Pool<DB>,
    /// Seals and opens every record body (`codec.rs`).
    pub(crate) codec: BodyCodec,
}

impl<DB: Dialect> Clone for SqlStore<DB> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            codec: self.codec.clone(),
        }
    }
}

impl<DB: Dialect> std::fmt::Debug for SqlStore<DB> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore")
            .field("backend", &DB::LABEL)
            .field("codec", &self.codec)
            .finish_non_exhaustive()
    }
}

impl<DB: Dialect> SqlStore<DB> {
    /// The backend's name, for people ("SQLite", "PostgreSQL").
    pub fn backend(&self) -> &'static str {
        DB::LABEL
    }
}

/// The clock of every write. PostgreSQL keeps microseconds: truncating on
/// every backend means a record reads back exactly as the write returned it.
pub(crate) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// What an import needs to know of a record that already exists.
struct Existing {
    id: RecordId,
    version: i64,
    body: String,
}

// The bounds of this block and of `impl Store` below are the same.
impl<DB> SqlStore<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
    for<'q> Option<DB::Id>: Encode<'q, DB>,
    String: SqlValue<DB>,
    i64: SqlValue<DB>,
    i32: SqlValue<DB>,
    DateTime<Utc>: SqlValue<DB>,
    Option<DB::Id>: SqlValue<DB>,
    &'static str: ColumnIndex<DB::Row>,
{
    /// The schema version: the last migration applied.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let row =
            sqlx::query("SELECT COALESCE(MAX(version), 0) AS version FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.pool)
                .await?;
        Ok(row.try_get("version")?)
    }

    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'_, DB>, StoreError> {
        Ok(self.pool.begin_with(DB::BEGIN_WRITE).await?)
    }

    /// The change number of a write transaction, stamped on every record it
    /// writes. Taking it locks the counter until the transaction ends, so
    /// numbers become visible in order (see `migrations/*/0002_matches.sql`).
    /// Take it before locking any record row: every writer locks in that order.
    pub(crate) async fn next_change(conn: &mut DB::Connection) -> Result<i64, StoreError> {
        let row = sqlx::query("UPDATE change_counter SET last = last + 1 WHERE id = 1 RETURNING last")
            .fetch_one(&mut *conn)
            .await?;
        if let Some(notify) = DB::NOTIFY_CHANGE {
            sqlx::query(notify).execute(&mut *conn).await?;
        }
        Ok(row.try_get("last")?)
    }

    pub(crate) fn meta_from_row(row: &DB::Row) -> Result<RecordMeta, StoreError> {
        let id = DB::id_from_db(row.try_get("id")?)?;
        let number: String = row.try_get("number")?;
        Ok(RecordMeta {
            id,
            number: RecordNumber::from_str(&number).map_err(|_| StoreError::Corrupt {
                id: id.to_string(),
                reason: "malformed record number".to_owned(),
            })?,
            version: row.try_get("version")?,
            created_at: row.try_get("created_at")?,
            created_by: row.try_get("created_by")?,
            updated_at: row.try_get("updated_at")?,
            updated_by: row.try_get("updated_by")?,
            external_id: row.try_get("external_id")?,
            owner: Self::owner_from_row(row)?,
        })
    }

    fn owner_from_row(row: &DB::Row) -> Result<Option<Ownership>, StoreError> {
        let user: Option<DB::Id> = row.try_get("owner_user")?;
        let agency: Option<DB::Id> = row.try_get("owner_agency")?;
        let team: Option<DB::Id> = row.try_get("owner_team")?;
        Ok(match (user, agency) {
            (Some(user), Some(agency)) => Some(Ownership {
                user: DB::uuid_from_db(user)?,
                agency: DB::uuid_from_db(agency)?,
                team: team.map(DB::uuid_from_db).transpose()?,
            }),
            _ => None,
        })
    }

    /// A record from a row of `{META_COLUMNS}, {BODY_COLUMNS}`, its body opened.
    fn record_from_row(&self, row: &DB::Row) -> Result<RawRecord, StoreError> {
        let meta = Self::meta_from_row(row)?;
        let wrapped: Option<String> = row.try_get("data_key")?;
        let body = self.codec.open_stored(
            wrapped.as_deref(),
            *meta.id.as_uuid(),
            meta.version,
            row.try_get("body")?,
        )?;
        Ok(RawRecord { meta, body })
    }

    /// The data key of `owner` (a record id, or the id of another sealed
    /// row such as a case file), created and stored wrapped if it has none
    /// yet. `None` when the store does not encrypt. An erased owner's key
    /// is never created again: that is [`StoreError::Erased`].
    pub async fn data_key(
        codec: &BodyCodec,
        conn: &mut DB::Connection,
        owner: Uuid,
    ) -> Result<Option<kinlink_crypto::DataKey>, StoreError> {
        if !codec.is_encrypting() {
            // Locked or plaintext: `seal` refuses or passes through.
            return codec.new_key(owner).map(|_| None);
        }
        let row = sqlx::query("SELECT wrapped FROM record_keys WHERE record_id = $1")
            .bind(DB::uuid_to_db(owner))
            .fetch_optional(&mut *conn)
            .await?;
        if let Some(row) = row {
            let wrapped: String = row.try_get("wrapped")?;
            return codec.unwrap_key(owner, &wrapped).map(Some);
        }
        let erased = sqlx::query("SELECT 1 AS erased FROM erasures WHERE record_id = $1")
            .bind(DB::uuid_to_db(owner))
            .fetch_optional(&mut *conn)
            .await?;
        if erased.is_some() {
            return Err(StoreError::Erased {
                id: owner.to_string(),
            });
        }
        Self::check_current_key(codec, conn).await?;
        let Some((key, key_id, wrapped)) = codec.new_key(owner)? else {
            return Ok(None);
        };
        sqlx::query("INSERT INTO record_keys (record_id, key_id, wrapped) VALUES ($1, $2, $3)")
            .bind(DB::uuid_to_db(owner))
            .bind(key_id)
            .bind(wrapped)
            .execute(&mut *conn)
            .await?;
        Ok(Some(key))
    }

    /// Before wrapping a new data key: the database must still be on this
    /// store's master key. A server left running through `kinlink keys
    /// rotate` would otherwise wrap new keys with the retired one. The row
    /// is locked to the commit (PostgreSQL), so a rotation waits for this
    /// write, or this write sees the rotation.
    pub(crate) async fn check_current_key(
        codec: &BodyCodec,
        conn: &mut DB::Connection,
    ) -> Result<(), StoreError> {
        let Some(current) = codec.current_key_id() else {
            return Ok(());
        };
        let row = sqlx::query(&format!(
            "SELECT key_id FROM key_check WHERE id = 1{}",
            DB::FOR_UPDATE
        ))
        .fetch_optional(&mut *conn)
        .await?;
        match row {
            Some(row) => {
                let stored: String = row.try_get("key_id")?;
                if stored == current.to_string() {
                    Ok(())
                } else {
                    Err(StoreError::WrongMasterKey {
                        stored,
                        loaded: current.to_string(),
                    })
                }
            }
            None => Err(StoreError::Crypto(
                "the database has no key check: open it with the master key",
            )),
        }
    }

    /// The storage form of version `version` of `owner`'s body: sealed with
    /// its data key (created if needed) when the store encrypts. For sealed
    /// rows outside `records` (a case file); records are sealed by the store.
    pub async fn seal_body(
        &self,
        conn: &mut DB::Connection,
        owner: Uuid,
        version: i64,
        plaintext: &str,
    ) -> Result<String, StoreError> {
        let key = Self::data_key(&self.codec, conn, owner).await?;
        self.codec.seal(key.as_ref(), owner, version, plaintext)
    }

    /// The plaintext of a stored body that [`SqlStore::seal_body`] made.
    pub async fn open_body(
        &self,
        conn: &mut DB::Connection,
        owner: Uuid,
        version: i64,
        stored: String,
    ) -> Result<String, StoreError> {
        if !crate::codec::is_sealed(&stored) {
            return Ok(stored);
        }
        let row = sqlx::query("SELECT wrapped FROM record_keys WHERE record_id = $1")
            .bind(DB::uuid_to_db(owner))
            .fetch_optional(&mut *conn)
            .await?;
        let wrapped: Option<String> = row.map(|r| r.try_get("wrapped")).transpose()?;
        self.codec.open_stored(wrapped.as_deref(), owner, version, stored)
    }

    /// The codec every body goes through.
    pub fn codec(&self) -> &BodyCodec {
        &self.codec
    }

    /// Reserve `count` consecutive numbers for `kind` in `year`; returns the first.
    async fn reserve_numbers(
        conn: &mut DB::Connection,
        kind: RecordKind,
        year: i32,
        count: u64,
    ) -> Result<u64, StoreError> {
        let count = i64::try_from(count).map_err(|_| sqlx::Error::Protocol("batch too large".into()))?;
        // One statement, so concurrent writers each get their own range.
        let row = sqlx::query(
            "INSERT INTO number_sequences (kind, year, last) VALUES ($1, $2, $3) \
             ON CONFLICT (kind, year) DO UPDATE SET last = number_sequences.last + $3 RETURNING last",
        )
        .bind(kind.as_str())
        .bind(year)
        .bind(count)
        .fetch_one(&mut *conn)
        .await?;
        let last: i64 = row.try_get("last")?;
        Ok(u64::try_from(last - count + 1).unwrap_or(1))
    }

    #[allow(clippy::too_many_arguments)] // one write's facts, each needed
    async fn insert_record(
        codec: &BodyCodec,
        conn: &mut DB::Connection,
        kind: RecordKind,
        number: RecordNumber,
        body: &str,
        actor: &Actor,
        external_id: Option<&str>,
        now: DateTime<Utc>,
        change: i64,
    ) -> Result<RecordMeta, StoreError> {
        let id = RecordId::from_uuid(Uuid::now_v7());
        let key = Self::data_key(codec, conn, *id.as_uuid()).await?;
        let sealed = codec.seal(key.as_ref(), *id.as_uuid(), 1, body)?;
        let body = sealed.as_str();
        sqlx::query(
            "INSERT INTO records (id, kind, number, external_id, version, created_at, created_by, updated_at, updated_by, body, \
             change_seq, owner_user, owner_agency, owner_team) \
             VALUES ($1, $2, $3, $4, 1, $5, $6, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(DB::id_to_db(id))
        .bind(kind.as_str())
        .bind(number.to_string())
        .bind(external_id)
        .bind(now)
        .bind(actor.as_str())
        .bind(body)
        .bind(change)
        .bind(actor.owner().map(|o| DB::uuid_to_db(o.user)))
        .bind(actor.owner().map(|o| DB::uuid_to_db(o.agency)))
        .bind(actor.owner().and_then(|o| o.team).map(DB::uuid_to_db))
        .execute(&mut *conn)
        .await?;
        Self::insert_revision(conn, id, 1, now, actor, body).await?;
        Ok(RecordMeta {
            id,
            number,
            version: 1,
            created_at: now,
            created_by: actor.as_str().to_owned(),
            updated_at: now,
            updated_by: actor.as_str().to_owned(),
            external_id: external_id.map(str::to_owned),
            owner: actor.owner().copied(),
        })
    }

    async fn insert_revision(
        conn: &mut DB::Connection,
        id: RecordId,
        version: i64,
        now: DateTime<Utc>,
        actor: &Actor,
        body: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO record_revisions (record_id, version, changed_at, changed_by, body) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(DB::id_to_db(id))
        .bind(version)
        .bind(now)
        .bind(actor.as_str())
        .bind(body)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Compare-and-swap on the version; reports NotFound or Conflict on failure.
    #[allow(clippy::too_many_arguments)] // one write's facts, each needed
    pub(crate) async fn update_record(
        codec: &BodyCodec,
        conn: &mut DB::Connection,
        kind: RecordKind,
        id: RecordId,
        expected_version: i64,
        body: &str,
        actor: &Actor,
        now: DateTime<Utc>,
        change: i64,
    ) -> Result<RecordMeta, StoreError> {
        let exists = sqlx::query("SELECT 1 AS found FROM records WHERE id = $1 AND kind = $2")
            .bind(DB::id_to_db(id))
            .bind(kind.as_str())
            .fetch_optional(&mut *conn)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound { kind });
        }
        // Sealed for the version the update makes; if the compare-and-swap
        // fails, the transaction (and a key created here) is rolled back.
        let key = Self::data_key(codec, conn, *id.as_uuid()).await?;
        let sealed = codec.seal(key.as_ref(), *id.as_uuid(), expected_version + 1, body)?;
        let body = sealed.as_str();
        let row = sqlx::query(&format!(
            "UPDATE records SET body = $1, version = version + 1, updated_at = $2, updated_by = $3, change_seq = $7 \
             WHERE id = $4 AND kind = $5 AND version = $6 RETURNING {META_COLUMNS}"
        ))
        .bind(body)
        .bind(now)
        .bind(actor.as_str())
        .bind(DB::id_to_db(id))
        .bind(kind.as_str())
        .bind(expected_version)
        .bind(change)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(row) = row else {
            let current = sqlx::query("SELECT version FROM records WHERE id = $1 AND kind = $2")
                .bind(DB::id_to_db(id))
                .bind(kind.as_str())
                .fetch_optional(&mut *conn)
                .await?;
            return Err(match current {
                None => StoreError::NotFound { kind },
                Some(row) => StoreError::Conflict {
                    expected: expected_version,
                    current: row.try_get("version")?,
                },
            });
        };
        let meta = Self::meta_from_row(&row)?;
        Self::insert_revision(conn, id, meta.version, now, actor, body).await?;
        Ok(meta)
    }

    async fn existing_by_external_id(
        codec: &BodyCodec,
        conn: &mut DB::Connection,
        kind: RecordKind,
        items: &[ImportItem],
    ) -> Result<HashMap<String, Existing>, StoreError> {
        let mut lookup = Batch::<DB>::new(&format!(
            "SELECT id, external_id, version, {BODY_COLUMNS} FROM records WHERE {NOT_ERASED} AND kind = "
        ));
        lookup
            .bind(kind.as_str())
            .push(" AND external_id IN ")
            .group(|ids| {
                for item in items {
                    ids.bind(item.external_id.as_str());
                }
            });
        let (sql, arguments) = lookup.build()?;
        let rows = sqlx::query_with(&sql, arguments).fetch_all(&mut *conn).await?;
        let mut found = HashMap::with_capacity(rows.len());
        for row in &rows {
            let id = DB::id_from_db(row.try_get("id")?)?;
            let version = row.try_get("version")?;
            let wrapped: Option<String> = row.try_get("data_key")?;
            found.insert(
                row.try_get("external_id")?,
                Existing {
                    id,
                    version,
                    body: codec.open_stored(
                        wrapped.as_deref(),
                        *id.as_uuid(),
                        version,
                        row.try_get("body")?,
                    )?,
                },
            );
        }
        Ok(found)
    }

    /// Insert new records numbered from `first` on, a chunk of rows per
    /// statement rather than a statement per row. `progress` is told how
    /// many rows are inserted so far.
    #[allow(clippy::too_many_arguments)] // one write's facts, each needed
    async fn insert_new(
        codec: &BodyCodec,
        conn: &mut DB::Connection,
        kind: RecordKind,
        items: &[&ImportItem],
        first: u64,
        actor: &Actor,
        now: DateTime<Utc>,
        change: i64,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<Vec<RecordId>, StoreError> {
        let mut inserted = 0;
        let mut ids = Vec::with_capacity(items.len());
        Self::check_current_key(codec, conn).await?;
        for chunk in items.chunks(INSERT_CHUNK) {
            // Each new record gets its own data key, stored wrapped.
            let mut keys = Batch::<DB>::new("INSERT INTO record_keys (record_id, key_id, wrapped) VALUES ");
            let mut rows: Vec<(DB::Id, String, &ImportItem, String)> = Vec::with_capacity(chunk.len());
            for (item, sequence) in chunk.iter().zip(first + inserted..) {
                let id = RecordId::from_uuid(Uuid::now_v7());
                ids.push(id);
                let number = RecordNumber::new(kind, now.year(), sequence);
                let key = codec.new_key(*id.as_uuid())?;
                let body = codec.seal(key.as_ref().map(|k| &k.0), *id.as_uuid(), 1, &item.body)?;
                if let Some((_, key_id, wrapped)) = key {
                    keys.group(|row| {
                        row.bind(DB::id_to_db(id)).bind(key_id).bind(wrapped);
                    });
                }
                rows.push((DB::id_to_db(id), number.to_string(), *item, body));
            }
            let mut insert = Batch::<DB>::new(
                "INSERT INTO records (id, kind, number, external_id, version, created_at, created_by, updated_at, updated_by, body, \
                 change_seq, owner_user, owner_agency, owner_team) VALUES ",
            );
            let mut revisions = Batch::<DB>::new(
                "INSERT INTO record_revisions (record_id, version, changed_at, changed_by, body) VALUES ",
            );
            for (id, number, item, body) in &rows {
                insert.group(|row| {
                    row.bind(id)
                        .bind(kind.as_str())
                        .bind(number.as_str())
                        .bind(item.external_id.as_str())
                        .bind(1i64)
                        .bind(now)
                        .bind(actor.as_str())
                        .bind(now)
                        .bind(actor.as_str())
                        .bind(body.as_str())
                        .bind(change)
                        .bind(actor.owner().map(|o| DB::uuid_to_db(o.user)))
                        .bind(actor.owner().map(|o| DB::uuid_to_db(o.agency)))
                        .bind(actor.owner().and_then(|o| o.team).map(DB::uuid_to_db));
                });
                revisions.group(|row| {
                    row.bind(id)
                        .bind(1i64)
                        .bind(now)
                        .bind(actor.as_str())
                        .bind(body.as_str());
                });
            }
            if codec.is_encrypting() {
                let (sql, arguments) = keys.build()?;
                sqlx::query_with(&sql, arguments).execute(&mut *conn).await?;
            }
            let (sql, arguments) = insert.build()?;
            sqlx::query_with(&sql, arguments).execute(&mut *conn).await?;
            let (sql, arguments) = revisions.build()?;
            sqlx::query_with(&sql, arguments).execute(&mut *conn).await?;
            inserted += rows.len() as u64;
            progress(inserted);
        }
        Ok(ids)
    }
}

#[async_trait]
impl<DB> Store for SqlStore<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
    for<'q> Option<DB::Id>: Encode<'q, DB>,
    String: SqlValue<DB>,
    i64: SqlValue<DB>,
    i32: SqlValue<DB>,
    // For the match half of the store (`match_sql.rs`).
    f64: SqlValue<DB>,
    bool: SqlValue<DB>,
    DateTime<Utc>: SqlValue<DB>,
    Option<DB::Id>: SqlValue<DB>,
    // For the consent half (`consent_sql.rs`).
    Option<String>: SqlValue<DB>,
    Option<DateTime<Utc>>: SqlValue<DB>,
    &'static str: ColumnIndex<DB::Row>,
{
    async fn insert(
        &self,
        kind: RecordKind,
        body: &str,
        actor: &Actor,
        external_id: Option<&str>,
    ) -> Result<RecordMeta, StoreError> {
        let now = now();
        let mut tx = self.begin_write().await?;
        let change = Self::next_change(&mut tx).await?;
        let sequence = Self::reserve_numbers(&mut tx, kind, now.year(), 1).await?;
        let number = RecordNumber::new(kind, now.year(), sequence);
        let meta = Self::insert_record(
            &self.codec,
            &mut tx,
            kind,
            number,
            body,
            actor,
            external_id,
            now,
            change,
        )
        .await?;
        let event = write_event(EventKind::Create, kind, meta.id, actor, now);
        Self::append_events(&mut tx, vec![event]).await?;
        tx.commit().await?;
        Ok(meta)
    }

    async fn update(
        &self,
        kind: RecordKind,
        id: RecordId,
        expected_version: i64,
        body: &str,
        actor: &Actor,
    ) -> Result<RecordMeta, StoreError> {
        let now = now();
        let mut tx = self.begin_write().await?;
        let change = Self::next_change(&mut tx).await?;
        let meta = Self::update_record(
            &self.codec,
            &mut tx,
            kind,
            id,
            expected_version,
            body,
            actor,
            now,
            change,
        )
        .await?;
        let event = write_event(EventKind::Update, kind, meta.id, actor, now);
        Self::append_events(&mut tx, vec![event]).await?;
        tx.commit().await?;
        Ok(meta)
    }

    async fn get(&self, kind: RecordKind, id: RecordId) -> Result<Option<RawRecord>, StoreError> {
        sqlx::query(&format!(
            "SELECT {META_COLUMNS}, {BODY_COLUMNS} FROM records WHERE id = $1 AND kind = $2"
        ))
        .bind(DB::id_to_db(id))
        .bind(kind.as_str())
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(|row| self.record_from_row(row))
        .transpose()
    }

    async fn get_by_number(
        &self,
        kind: RecordKind,
        number: &RecordNumber,
    ) -> Result<Option<RawRecord>, StoreError> {
        sqlx::query(&format!(
            "SELECT {META_COLUMNS}, {BODY_COLUMNS} FROM records WHERE number = $1 AND kind = $2"
        ))
        .bind(number.to_string())
        .bind(kind.as_str())
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(|row| self.record_from_row(row))
        .transpose()
    }

    async fn list(
        &self,
        kind: RecordKind,
        after: Option<RecordId>,
        limit: u32,
    ) -> Result<Vec<RawRecord>, StoreError> {
        // UUIDv7 ids sort in creation order both as lower-case hyphenated text
        // (SQLite) and as PostgreSQL's uuid (byte order); the nil UUID sorts first.
        let after = after.unwrap_or(RecordId::from_uuid(Uuid::nil()));
        sqlx::query(&format!(
            "SELECT {META_COLUMNS}, {BODY_COLUMNS} FROM records WHERE kind = $1 AND id > $2 AND {NOT_ERASED} \
             ORDER BY id LIMIT $3"
        ))
        .bind(kind.as_str())
        .bind(DB::id_to_db(after))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| self.record_from_row(row))
        .collect()
    }

    async fn list_visible(
        &self,
        kind: RecordKind,
        after: Option<RecordId>,
        limit: u32,
        visibility: Option<&Visibility>,
    ) -> Result<Vec<RawRecord>, StoreError> {
        let Some(visibility) = visibility else {
            return self.list(kind, after, limit).await;
        };
        let after = after.unwrap_or(RecordId::from_uuid(Uuid::nil()));
        // Numbered placeholders work on both backends; the team list is the
        // only variable part, and holds ids, never text from a request.
        let mut condition = String::from("owner_user = $3");
        let mut next = 4;
        if visibility.agency.is_some() {
            condition.push_str(&format!(" OR (owner_agency = ${next}"));
            next += 1;
            if let Some(teams) = &visibility.teams {
                let placeholders: Vec<String> = (0..teams.len()).map(|i| format!("${}", next + i)).collect();
                if placeholders.is_empty() {
                    condition.push_str(" AND FALSE");
                } else {
                    condition.push_str(&format!(" AND owner_team IN ({})", placeholders.join(", ")));
                }
                next += teams.len();
            }
            condition.push(')');
        }
        let sql = format!(
            "SELECT {META_COLUMNS}, {BODY_COLUMNS} FROM records WHERE kind = $1 AND id > $2 AND {NOT_ERASED} \
             AND ({condition}) \
             ORDER BY id LIMIT ${next}"
        );
        let mut query = sqlx::query(&sql)
            .bind(kind.as_str())
            .bind(DB::id_to_db(after))
            .bind(DB::uuid_to_db(visibility.owner));
        if let Some(agency) = visibility.agency {
            query = query.bind(DB::uuid_to_db(agency));
            for team in visibility.teams.iter().flatten() {
                query = query.bind(DB::uuid_to_db(*team));
            }
        }
        query
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| self.record_from_row(row))
            .collect()
    }

    async fn count(&self, kind: RecordKind) -> Result<u64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM records WHERE kind = $1")
            .bind(kind.as_str())
            .fetch_one(&self.pool)
            .await?;
        let n: i64 = row.try_get("n")?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn history(&self, kind: RecordKind, id: RecordId) -> Result<Vec<RawRevision>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.version, r.changed_at, r.changed_by, r.body, \
             (SELECT k.wrapped FROM record_keys k WHERE k.record_id = r.record_id) AS data_key \
             FROM record_revisions r JOIN records c ON c.id = r.record_id \
             WHERE r.record_id = $1 AND c.kind = $2 ORDER BY r.version",
        )
        .bind(DB::id_to_db(id))
        .bind(kind.as_str())
        .fetch_all(&self.pool)
        .await?;
        // One record, one data key: unwrapped once for every revision.
        let wrapped: Option<String> = match rows.first() {
            Some(row) => row.try_get("data_key")?,
            None => None,
        };
        let key = match wrapped {
            Some(wrapped) if self.codec.is_encrypting() => {
                Some(self.codec.unwrap_key(*id.as_uuid(), &wrapped)?)
            }
            _ => None,
        };
        rows.iter()
            .map(|row| {
                let version = row.try_get("version")?;
                Ok(RawRevision {
                    version,
                    changed_at: row.try_get("changed_at")?,
                    changed_by: row.try_get("changed_by")?,
                    body: self
                        .codec
                        .open(key.as_ref(), *id.as_uuid(), version, row.try_get("body")?)?,
                })
            })
            .collect()
    }

    async fn import(
        &self,
        kind: RecordKind,
        items: &[ImportItem],
        actor: &Actor,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<ImportOutcome, StoreError> {
        let mut seen = HashSet::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            if !seen.insert(item.external_id.as_str()) {
                return Err(StoreError::DuplicateExternalId { index });
            }
        }
        let now = now();
        let mut outcome = ImportOutcome::default();
        let mut tx = self.begin_write().await?;
        // One change number for the whole import: its records appear together.
        let change = Self::next_change(&mut tx).await?;
        let mut new_items = Vec::new();
        // One audit entry per record written; an unchanged record is not written.
        let mut events = Vec::new();
        // Look existing records up a chunk at a time rather than row by row:
        // each statement is a round trip (to SQLite's worker thread, or over
        // the network to PostgreSQL).
        for chunk in items.chunks(LOOKUP_CHUNK) {
            let existing = Self::existing_by_external_id(&self.codec, &mut tx, kind, chunk).await?;
            for item in chunk {
                match existing.get(&item.external_id) {
                    None => new_items.push(item),
                    Some(current) if current.body == item.body => outcome.unchanged += 1,
                    Some(current) => {
                        Self::update_record(
                            &self.codec,
                            &mut tx,
                            kind,
                            current.id,
                            current.version,
                            &item.body,
                            actor,
                            now,
                            change,
                        )
                        .await?;
                        events.push(write_event(EventKind::Update, kind, current.id, actor, now));
                        outcome.updated += 1;
                    }
                }
            }
            progress(outcome.updated + outcome.unchanged);
        }
        if !new_items.is_empty() {
            let first = Self::reserve_numbers(&mut tx, kind, now.year(), new_items.len() as u64).await?;
            let done_before = outcome.updated + outcome.unchanged;
            let progress = |inserted| progress(done_before + inserted);
            let ids = Self::insert_new(
                &self.codec,
                &mut tx,
                kind,
                &new_items,
                first,
                actor,
                now,
                change,
                &progress,
            )
            .await?;
            events.extend(
                ids.into_iter()
                    .map(|id| write_event(EventKind::Create, kind, id, actor, now)),
            );
            outcome.created = new_items.len() as u64;
        }
        Self::append_events(&mut tx, events).await?;
        tx.commit().await?;
        if let Some(analyze) = DB::ANALYZE_AFTER_IMPORT
            && outcome.created + outcome.updated >= ANALYZE_AFTER_ROWS
        {
            // The import is committed: a failure here only costs speed later.
            if let Err(e) = sqlx::query(analyze).execute(&self.pool).await {
                tracing::warn!(error = %e, "could not refresh the database statistics after an import");
            }
        }
        Ok(outcome)
    }

    async fn erase(
        &self,
        kind: RecordKind,
        id: RecordId,
        actor: &Actor,
        rule: &str,
    ) -> Result<(), StoreError> {
        self.erase_record(kind, id, actor, rule).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn append_audit(&self, events: &[AuditEvent]) -> Result<Vec<AuditEntry>, StoreError> {
        self.audit_append(events).await
    }

    async fn audit_for_record(&self, resource: Resource, id: Uuid) -> Result<Vec<AuditEntry>, StoreError> {
        self.audit_of_record(resource, id).await
    }

    async fn audit_entries(&self, after: Option<u64>, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        self.audit_page(after, limit).await
    }

    async fn audit_len(&self) -> Result<u64, StoreError> {
        self.audit_count().await
    }

    async fn audit_checkpoints(&self) -> Result<Vec<StoredCheckpoint>, StoreError> {
        self.checkpoints().await
    }

    async fn checkpoint(&self, key: &SigningKey) -> Result<Option<StoredCheckpoint>, StoreError> {
        self.sign_checkpoint(key).await
    }

    async fn restore_audit(
        &self,
        entries: &[AuditEntry],
        checkpoints: &[StoredCheckpoint],
    ) -> Result<(), StoreError> {
        self.restore(entries, checkpoints).await
    }
}
