//! The audit log's SQL, shared by both backends (see `audit.rs` for what it
//! guarantees and `sql.rs` for why the bounds are written out).

use chrono::{DateTime, Utc};
use ed25519_dalek::SigningKey;
use kinlink_audit::{AuditChain, AuditEntry, AuditEvent, Checkpoint, Tamper, key_id};
use kinlink_core::RecordId;
use kinlink_policy::Resource;
use sqlx::{ColumnIndex, Encode, Executor, IntoArguments, Row, Type};
use uuid::Uuid;

use crate::StoreError;
use crate::audit::{EntryColumns, StoredCheckpoint, checkpoint_from_columns, outcome_columns, unreadable};
use crate::batch::Batch;
use crate::sql::{Dialect, SqlStore, SqlValue, now};

const ENTRY_COLUMNS: &str = "sequence, at, kind, actor_user, actor_agency, actor_via, actor_name, \
     record_resource, record_id, field_groups, purpose, outcome, reason, previous_hash, hash";

/// Rows per multi-row INSERT: 15 parameters each stays far below the bound-parameter limits.
const INSERT_CHUNK: usize = 500;

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
    &'static str: ColumnIndex<DB::Row>,
{
    fn uuid_column(row: &DB::Row, sequence: i64, column: &'static str) -> Result<Option<Uuid>, StoreError> {
        let value: Option<DB::Id> = row
            .try_get(column)
            .map_err(|_| unreadable(Some(sequence), column))?;
        value
            .map(|id| {
                DB::id_from_db(id)
                    .map(|id| *id.as_uuid())
                    .map_err(|_| unreadable(Some(sequence), column))
            })
            .transpose()
    }

    fn entry_from_row(row: &DB::Row) -> Result<AuditEntry, StoreError> {
        let sequence: i64 = row
            .try_get("sequence")
            .map_err(|_| unreadable(None, "sequence"))?;
        let text = |column: &'static str| -> Result<String, StoreError> {
            row.try_get(column)
                .map_err(|_| unreadable(Some(sequence), column))
        };
        let optional = |column: &'static str| -> Result<Option<String>, StoreError> {
            row.try_get(column)
                .map_err(|_| unreadable(Some(sequence), column))
        };
        EntryColumns {
            sequence,
            at: row.try_get("at").map_err(|_| unreadable(Some(sequence), "at"))?,
            kind: text("kind")?,
            user: Self::uuid_column(row, sequence, "actor_user")?,
            agency: Self::uuid_column(row, sequence, "actor_agency")?,
            via: optional("actor_via")?,
            name: optional("actor_name")?,
            resource: optional("record_resource")?,
            record_id: Self::uuid_column(row, sequence, "record_id")?,
            field_groups: row
                .try_get("field_groups")
                .map_err(|_| unreadable(Some(sequence), "field_groups"))?,
            purpose: optional("purpose")?,
            outcome: text("outcome")?,
            reason: optional("reason")?,
            previous: text("previous_hash")?,
            hash: text("hash")?,
        }
        .into_entry()
    }

    fn checkpoint_from_row(row: &DB::Row) -> Result<StoredCheckpoint, StoreError> {
        let sequence: i64 = row
            .try_get("sequence")
            .map_err(|_| StoreError::CheckpointUnreadable {
                sequence: None,
                column: "sequence",
            })?;
        let bad = |column| StoreError::CheckpointUnreadable {
            sequence: Some(sequence),
            column,
        };
        let hash: String = row.try_get("hash").map_err(|_| bad("hash"))?;
        let at: DateTime<Utc> = row.try_get("at").map_err(|_| bad("at"))?;
        let signature: String = row.try_get("signature").map_err(|_| bad("signature"))?;
        let key_id: String = row.try_get("key_id").map_err(|_| bad("key_id"))?;
        checkpoint_from_columns(sequence, &hash, at, &signature, key_id)
    }

    /// Inside a write transaction: serialise appenders (PostgreSQL; SQLite's
    /// `BEGIN IMMEDIATE` already did) and read the head of the chain.
    async fn lock_audit_head(conn: &mut DB::Connection) -> Result<AuditChain, StoreError> {
        if let Some(lock) = DB::LOCK_AUDIT_CHAIN {
            sqlx::query(lock).execute(&mut *conn).await?;
        }
        let row = sqlx::query("SELECT sequence, hash FROM audit_entries ORDER BY sequence DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
        let Some(row) = row else {
            return Ok(AuditChain::new());
        };
        let sequence: i64 = row.try_get("sequence")?;
        let hash: String = row.try_get("hash")?;
        // The head must be readable to continue from it; an edited head is
        // refused rather than papered over (verify names it).
        let last = u64::try_from(sequence).map_err(|_| unreadable(Some(sequence), "sequence"))?;
        let hash = crate::audit::parse_hash(&hash).ok_or_else(|| unreadable(Some(sequence), "hash"))?;
        Ok(AuditChain::continuing(last, hash))
    }

    /// Chain `events` after the head and insert them, in the caller's transaction.
    pub(crate) async fn append_events(
        conn: &mut DB::Connection,
        events: Vec<AuditEvent>,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let mut chain = Self::lock_audit_head(conn).await?;
        let entries: Vec<AuditEntry> = events.into_iter().map(|e| chain.append(e)).collect();
        Self::insert_entries(conn, &entries).await?;
        Ok(entries)
    }

    async fn insert_entries(conn: &mut DB::Connection, entries: &[AuditEntry]) -> Result<(), StoreError> {
        for chunk in entries.chunks(INSERT_CHUNK) {
            let mut insert =
                Batch::<DB>::new(&format!("INSERT INTO audit_entries ({ENTRY_COLUMNS}) VALUES "));
            for entry in chunk {
                let sequence = i64::try_from(entry.sequence)
                    .map_err(|_| sqlx::Error::Protocol("sequence overflow".into()))?;
                let event = &entry.event;
                let (outcome, reason) = outcome_columns(&event.outcome);
                let id = |uuid: Option<Uuid>| uuid.map(|u| DB::id_to_db(RecordId::from_uuid(u)));
                insert.group(|row| {
                    row.bind(sequence)
                        .bind(event.at)
                        .bind(event.kind.as_str())
                        .bind(id(event.actor.user))
                        .bind(id(event.actor.agency))
                        .bind(event.actor.via.map(|v| v.as_str()))
                        .bind(event.actor.name.as_ref().map(|n| n.as_str()))
                        .bind(event.record.map(|r| r.resource.as_str()))
                        .bind(id(event.record.map(|r| r.id)))
                        .bind(i32::from(event.field_groups.bits()))
                        .bind(event.purpose.map(|p| p.as_str()))
                        .bind(outcome)
                        .bind(reason)
                        .bind(entry.previous.to_string())
                        .bind(entry.hash.to_string());
                });
            }
            let (sql, arguments) = insert.build()?;
            sqlx::query_with(&sql, arguments).execute(&mut *conn).await?;
        }
        Ok(())
    }

    async fn insert_checkpoint(
        conn: &mut DB::Connection,
        stored: &StoredCheckpoint,
    ) -> Result<(), StoreError> {
        let c = &stored.checkpoint;
        let sequence =
            i64::try_from(c.sequence).map_err(|_| sqlx::Error::Protocol("sequence overflow".into()))?;
        sqlx::query("INSERT INTO audit_checkpoints (sequence, hash, at, signature, key_id) VALUES ($1, $2, $3, $4, $5)")
            .bind(sequence)
            .bind(c.hash.to_string())
            .bind(c.at)
            .bind(hex::encode(c.signature.to_bytes()))
            .bind(stored.key_id.as_str())
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// The whole log and its checkpoints, read in the caller's transaction
    /// (`copy-db` verifies its copy before committing it).
    pub(crate) async fn read_audit_log(
        conn: &mut DB::Connection,
    ) -> Result<(Vec<AuditEntry>, Vec<StoredCheckpoint>), StoreError> {
        let entries = sqlx::query(&format!(
            "SELECT {ENTRY_COLUMNS} FROM audit_entries ORDER BY sequence"
        ))
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(Self::entry_from_row)
        .collect::<Result<Vec<_>, _>>()?;
        let checkpoints = sqlx::query(
            "SELECT sequence, hash, at, signature, key_id FROM audit_checkpoints ORDER BY sequence",
        )
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(Self::checkpoint_from_row)
        .collect::<Result<Vec<_>, _>>()?;
        Ok((entries, checkpoints))
    }

    pub(crate) async fn audit_append(&self, events: &[AuditEvent]) -> Result<Vec<AuditEntry>, StoreError> {
        let mut tx = self.begin_write().await?;
        let entries = Self::append_events(&mut tx, events.to_vec()).await?;
        tx.commit().await?;
        Ok(entries)
    }

    pub(crate) async fn audit_page(
        &self,
        after: Option<u64>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        // i64::MIN when from the start: rows edited to a negative sequence are read too.
        let after = after.map_or(i64::MIN, |a| i64::try_from(a).unwrap_or(i64::MAX));
        sqlx::query(&format!(
            "SELECT {ENTRY_COLUMNS} FROM audit_entries WHERE sequence > $1 ORDER BY sequence LIMIT $2"
        ))
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(Self::entry_from_row)
        .collect()
    }

    pub(crate) async fn audit_of_record(
        &self,
        resource: Resource,
        id: Uuid,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        sqlx::query(&format!(
            "SELECT {ENTRY_COLUMNS} FROM audit_entries WHERE record_id = $1 AND record_resource = $2 ORDER BY sequence"
        ))
        .bind(DB::id_to_db(RecordId::from_uuid(id)))
        .bind(resource.as_str())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(Self::entry_from_row)
        .collect()
    }

    pub(crate) async fn audit_count(&self) -> Result<u64, StoreError> {
        let row = sqlx::query("SELECT COALESCE(MAX(sequence) + 1, 0) AS n FROM audit_entries")
            .fetch_one(&self.pool)
            .await?;
        let n: i64 = row.try_get("n")?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    pub(crate) async fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>, StoreError> {
        sqlx::query("SELECT sequence, hash, at, signature, key_id FROM audit_checkpoints ORDER BY sequence")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(Self::checkpoint_from_row)
            .collect()
    }

    /// Sign the head, after verifying the log since the last checkpoint: a
    /// log edited since then is refused, never signed.
    pub(crate) async fn sign_checkpoint(
        &self,
        key: &SigningKey,
    ) -> Result<Option<StoredCheckpoint>, StoreError> {
        let public = key.verifying_key();
        let mut tx = self.begin_write().await?;
        let head = Self::lock_audit_head(&mut tx).await?;
        let Some(head_sequence) = head.next_sequence().checked_sub(1) else {
            return Ok(None);
        };
        let last = sqlx::query(
            "SELECT sequence, hash, at, signature, key_id FROM audit_checkpoints ORDER BY sequence DESC LIMIT 1",
        )
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(Self::checkpoint_from_row)
        .transpose()?;
        let from = last.as_ref().map_or(i64::MIN, |c| {
            i64::try_from(c.checkpoint.sequence).unwrap_or(i64::MAX)
        });
        let entries = sqlx::query(&format!(
            "SELECT {ENTRY_COLUMNS} FROM audit_entries WHERE sequence >= $1 ORDER BY sequence"
        ))
        .bind(from)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(Self::entry_from_row)
        .collect::<Result<Vec<_>, _>>()?;
        match &last {
            Some(last) => kinlink_audit::verify_since(&last.checkpoint, &entries, &public)?,
            None => kinlink_audit::verify(&entries, &[], &public)?,
        };
        if let Some(last) = last.filter(|c| c.checkpoint.sequence == head_sequence) {
            return Ok(Some(last));
        }
        let newest = entries
            .last()
            .filter(|e| e.sequence == head_sequence)
            .ok_or(Tamper::Truncated {
                sequence: head_sequence,
            })?;
        let stored = StoredCheckpoint {
            checkpoint: Checkpoint::sign(newest, now(), key),
            key_id: key_id(&public),
        };
        Self::insert_checkpoint(&mut tx, &stored).await?;
        tx.commit().await?;
        Ok(Some(stored))
    }

    /// Append entries and checkpoints read from another database, verbatim:
    /// only if each entry is intact and continues this log's chain.
    pub(crate) async fn restore(
        &self,
        entries: &[AuditEntry],
        checkpoints: &[StoredCheckpoint],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let mut chain = Self::lock_audit_head(&mut tx).await?;
        for entry in entries {
            if entry.compute_hash() != entry.hash {
                return Err(Tamper::Edited {
                    sequence: entry.sequence,
                }
                .into());
            }
            if entry.sequence != chain.next_sequence() || entry.previous != chain.last_hash() {
                return Err(StoreError::AuditDiscontinuous {
                    expected: chain.next_sequence(),
                    found: entry.sequence,
                });
            }
            chain = AuditChain::after(entry);
        }
        Self::insert_entries(&mut tx, entries).await?;
        for checkpoint in checkpoints {
            Self::insert_checkpoint(&mut tx, checkpoint).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
