//! The embedded default: one SQLite file in the data directory.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Datelike, Utc};
use kinlink_core::{RecordId, RecordKind, RecordNumber};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, SqliteConnection, SqlitePool};
use uuid::Uuid;

use crate::records::{ImportItem, ImportOutcome};
use crate::types::{Actor, RawRecord, RawRevision, RecordMeta};
use crate::{Store, StoreError};

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// File name of the database inside the data directory.
pub const DATABASE_FILE: &str = "kinlink.sqlite";

/// External ids looked up per statement.
const LOOKUP_CHUNK: usize = 500;
/// Rows per multi-row INSERT: 10 parameters each stays far below SQLite's
/// limit of 32,766 bound parameters.
const INSERT_CHUNK: usize = 500;

const META_COLUMNS: &str = "id, number, version, created_at, created_by, updated_at, updated_by, external_id";

#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Open (creating if needed) the database in `data_dir` and run migrations.
    pub async fn open(data_dir: &Path) -> Result<Self, StoreError> {
        Self::open_file(&data_dir.join(DATABASE_FILE)).await
    }

    pub async fn open_file(path: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            // WAL lets readers (the server, an export) run beside one writer (an import).
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            // A CLI import and the server may write at once: wait rather than fail.
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        MIGRATIONS.run(&pool).await?;
        Ok(Self { pool })
    }

    /// Writes take the database lock at BEGIN: a deferred transaction that reads
    /// first and then writes could fail with SQLITE_BUSY instead of waiting.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'_, sqlx::Sqlite>, StoreError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

fn meta_from_row(row: &SqliteRow) -> Result<RecordMeta, StoreError> {
    let id: String = row.try_get("id")?;
    let corrupt = |reason: &str| StoreError::Corrupt {
        id: id.clone(),
        reason: reason.to_owned(),
    };
    let uuid = Uuid::parse_str(&id).map_err(|_| corrupt("id is not a UUID"))?;
    let number: String = row.try_get("number")?;
    Ok(RecordMeta {
        id: RecordId::from_uuid(uuid),
        number: RecordNumber::from_str(&number).map_err(|_| corrupt("malformed record number"))?,
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
        created_by: row.try_get("created_by")?,
        updated_at: row.try_get("updated_at")?,
        updated_by: row.try_get("updated_by")?,
        external_id: row.try_get("external_id")?,
    })
}

fn record_from_row(row: &SqliteRow) -> Result<RawRecord, StoreError> {
    Ok(RawRecord {
        meta: meta_from_row(row)?,
        body: row.try_get("body")?,
    })
}

/// Reserve `count` consecutive numbers for `kind` in `year`; returns the first.
async fn reserve_numbers(
    conn: &mut SqliteConnection,
    kind: RecordKind,
    year: i32,
    count: u64,
) -> Result<u64, StoreError> {
    let count = i64::try_from(count).map_err(|_| sqlx::Error::Protocol("batch too large".into()))?;
    let last: i64 = sqlx::query_scalar(
        "INSERT INTO number_sequences (kind, year, last) VALUES (?1, ?2, ?3) \
         ON CONFLICT (kind, year) DO UPDATE SET last = last + ?3 RETURNING last",
    )
    .bind(kind.as_str())
    .bind(year)
    .bind(count)
    .fetch_one(&mut *conn)
    .await?;
    Ok(u64::try_from(last - count + 1).unwrap_or(1))
}

async fn insert_record(
    conn: &mut SqliteConnection,
    kind: RecordKind,
    number: RecordNumber,
    body: &str,
    actor: &Actor,
    external_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<RecordMeta, StoreError> {
    let id = RecordId::from_uuid(Uuid::now_v7());
    let id_text = id.to_string();
    sqlx::query(
        "INSERT INTO records (id, kind, number, external_id, version, created_at, created_by, updated_at, updated_by, body) \
         VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?5, ?6, ?7)",
    )
    .bind(&id_text)
    .bind(kind.as_str())
    .bind(number.to_string())
    .bind(external_id)
    .bind(now)
    .bind(actor.as_str())
    .bind(body)
    .execute(&mut *conn)
    .await?;
    insert_revision(conn, &id_text, 1, now, actor, body).await?;
    Ok(RecordMeta {
        id,
        number,
        version: 1,
        created_at: now,
        created_by: actor.as_str().to_owned(),
        updated_at: now,
        updated_by: actor.as_str().to_owned(),
        external_id: external_id.map(str::to_owned),
    })
}

async fn insert_revision(
    conn: &mut SqliteConnection,
    id: &str,
    version: i64,
    now: DateTime<Utc>,
    actor: &Actor,
    body: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO record_revisions (record_id, version, changed_at, changed_by, body) VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .bind(id)
    .bind(version)
    .bind(now)
    .bind(actor.as_str())
    .bind(body)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Compare-and-swap on the version; reports NotFound or Conflict on failure.
async fn update_record(
    conn: &mut SqliteConnection,
    kind: RecordKind,
    id: RecordId,
    expected_version: i64,
    body: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<RecordMeta, StoreError> {
    let id_text = id.to_string();
    let row = sqlx::query(&format!(
        "UPDATE records SET body = ?1, version = version + 1, updated_at = ?2, updated_by = ?3 \
         WHERE id = ?4 AND kind = ?5 AND version = ?6 RETURNING {META_COLUMNS}"
    ))
    .bind(body)
    .bind(now)
    .bind(actor.as_str())
    .bind(&id_text)
    .bind(kind.as_str())
    .bind(expected_version)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        let current: Option<i64> =
            sqlx::query_scalar("SELECT version FROM records WHERE id = ?1 AND kind = ?2")
                .bind(&id_text)
                .bind(kind.as_str())
                .fetch_optional(&mut *conn)
                .await?;
        return Err(match current {
            None => StoreError::NotFound { kind },
            Some(current) => StoreError::Conflict {
                expected: expected_version,
                current,
            },
        });
    };
    let meta = meta_from_row(&row)?;
    insert_revision(conn, &id_text, meta.version, now, actor, body).await?;
    Ok(meta)
}

/// What an import needs to know of a record that already exists.
struct Existing {
    id: RecordId,
    version: i64,
    body: String,
}

async fn existing_by_external_id(
    conn: &mut SqliteConnection,
    kind: RecordKind,
    items: &[ImportItem],
) -> Result<HashMap<String, Existing>, StoreError> {
    let mut query = QueryBuilder::new("SELECT id, external_id, version, body FROM records WHERE kind = ");
    query.push_bind(kind.as_str()).push(" AND external_id IN (");
    let mut ids = query.separated(", ");
    for item in items {
        ids.push_bind(&item.external_id);
    }
    query.push(")");
    let rows = query.build().fetch_all(&mut *conn).await?;
    let mut found = HashMap::with_capacity(rows.len());
    for row in &rows {
        let id: String = row.try_get("id")?;
        let uuid = Uuid::parse_str(&id).map_err(|_| StoreError::Corrupt {
            id: id.clone(),
            reason: "id is not a UUID".into(),
        })?;
        found.insert(
            row.try_get("external_id")?,
            Existing {
                id: RecordId::from_uuid(uuid),
                version: row.try_get("version")?,
                body: row.try_get("body")?,
            },
        );
    }
    Ok(found)
}

#[async_trait]
impl Store for SqliteStore {
    async fn insert(
        &self,
        kind: RecordKind,
        body: &str,
        actor: &Actor,
        external_id: Option<&str>,
    ) -> Result<RecordMeta, StoreError> {
        let now = Utc::now();
        let mut tx = self.begin_write().await?;
        let sequence = reserve_numbers(&mut tx, kind, now.year(), 1).await?;
        let number = RecordNumber::new(kind, now.year(), sequence);
        let meta = insert_record(&mut tx, kind, number, body, actor, external_id, now).await?;
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
        let mut tx = self.begin_write().await?;
        let meta = update_record(&mut tx, kind, id, expected_version, body, actor, Utc::now()).await?;
        tx.commit().await?;
        Ok(meta)
    }

    async fn get(&self, kind: RecordKind, id: RecordId) -> Result<Option<RawRecord>, StoreError> {
        sqlx::query(&format!(
            "SELECT {META_COLUMNS}, body FROM records WHERE id = ?1 AND kind = ?2"
        ))
        .bind(id.to_string())
        .bind(kind.as_str())
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(record_from_row)
        .transpose()
    }

    async fn get_by_number(
        &self,
        kind: RecordKind,
        number: &RecordNumber,
    ) -> Result<Option<RawRecord>, StoreError> {
        sqlx::query(&format!(
            "SELECT {META_COLUMNS}, body FROM records WHERE number = ?1 AND kind = ?2"
        ))
        .bind(number.to_string())
        .bind(kind.as_str())
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(record_from_row)
        .transpose()
    }

    async fn list(
        &self,
        kind: RecordKind,
        after: Option<RecordId>,
        limit: u32,
    ) -> Result<Vec<RawRecord>, StoreError> {
        // Hyphenated lower-case UUIDv7 text sorts in creation order.
        sqlx::query(&format!(
            "SELECT {META_COLUMNS}, body FROM records WHERE kind = ?1 AND id > ?2 ORDER BY id LIMIT ?3"
        ))
        .bind(kind.as_str())
        .bind(after.map(|a| a.to_string()).unwrap_or_default())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(record_from_row)
        .collect()
    }

    async fn count(&self, kind: RecordKind) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM records WHERE kind = ?1")
            .bind(kind.as_str())
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn history(&self, kind: RecordKind, id: RecordId) -> Result<Vec<RawRevision>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.version, r.changed_at, r.changed_by, r.body FROM record_revisions r \
             JOIN records c ON c.id = r.record_id \
             WHERE r.record_id = ?1 AND c.kind = ?2 ORDER BY r.version",
        )
        .bind(id.to_string())
        .bind(kind.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(RawRevision {
                    version: row.try_get("version")?,
                    changed_at: row.try_get("changed_at")?,
                    changed_by: row.try_get("changed_by")?,
                    body: row.try_get("body")?,
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
        let now = Utc::now();
        let mut outcome = ImportOutcome::default();
        let mut tx = self.begin_write().await?;
        let mut new_items = Vec::new();
        // Look existing records up a chunk at a time rather than row by row:
        // each statement is a round trip to SQLite's worker thread.
        for chunk in items.chunks(LOOKUP_CHUNK) {
            let existing = existing_by_external_id(&mut tx, kind, chunk).await?;
            for item in chunk {
                match existing.get(&item.external_id) {
                    None => new_items.push(item),
                    Some(current) if current.body == item.body => outcome.unchanged += 1,
                    Some(current) => {
                        update_record(&mut tx, kind, current.id, current.version, &item.body, actor, now)
                            .await?;
                        outcome.updated += 1;
                    }
                }
            }
            progress(outcome.updated + outcome.unchanged);
        }
        if !new_items.is_empty() {
            let first = reserve_numbers(&mut tx, kind, now.year(), new_items.len() as u64).await?;
            for (chunk_index, chunk) in new_items.chunks(INSERT_CHUNK).enumerate() {
                let rows: Vec<(String, String, &ImportItem)> = chunk
                    .iter()
                    .zip(0u64..)
                    .map(|(item, offset)| {
                        let sequence = first + (chunk_index * INSERT_CHUNK) as u64 + offset;
                        let number = RecordNumber::new(kind, now.year(), sequence);
                        (Uuid::now_v7().to_string(), number.to_string(), *item)
                    })
                    .collect();
                let mut insert = QueryBuilder::new(
                    "INSERT INTO records (id, kind, number, external_id, version, created_at, created_by, updated_at, updated_by, body) ",
                );
                insert.push_values(&rows, |mut b, (id, number, item)| {
                    b.push_bind(id)
                        .push_bind(kind.as_str())
                        .push_bind(number)
                        .push_bind(&item.external_id)
                        .push_bind(1i64)
                        .push_bind(now)
                        .push_bind(actor.as_str())
                        .push_bind(now)
                        .push_bind(actor.as_str())
                        .push_bind(&item.body);
                });
                insert.build().execute(&mut *tx).await?;
                let mut revisions = QueryBuilder::new(
                    "INSERT INTO record_revisions (record_id, version, changed_at, changed_by, body) ",
                );
                revisions.push_values(&rows, |mut b, (id, _, item)| {
                    b.push_bind(id)
                        .push_bind(1i64)
                        .push_bind(now)
                        .push_bind(actor.as_str())
                        .push_bind(&item.body);
                });
                revisions.build().execute(&mut *tx).await?;
                outcome.created += rows.len() as u64;
                progress(outcome.created + outcome.updated + outcome.unchanged);
            }
        }
        tx.commit().await?;
        Ok(outcome)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}
