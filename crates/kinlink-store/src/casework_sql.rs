//! [`CaseworkStore`] on the SQL backends, written once like `sql.rs` and
//! `match_sql.rs` (the bounds below are that file's).
//!
//! An update is one statement of compare-and-swap on the case file's
//! version, then the history row, the alerts and the audit entry, in one
//! write transaction: a stale update changes nothing, and a write whose
//! audit entry cannot be appended is rolled back.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kinlink_audit::EventKind;
use kinlink_core::{RecordId, RecordKind};
use sqlx::{ColumnIndex, Encode, Executor, IntoArguments, Row, Type};
use uuid::Uuid;

use crate::audit::write_event;
use crate::casework::{
    CaseCommand, CaseFileEvent, CaseFileWithCase, CaseworkStore, NewAlert, StoredAlert, StoredCaseFile,
};
use crate::sql::{Dialect, SqlStore, SqlValue, now};
use crate::{Actor, Store, StoreError};

const FILE_COLUMNS: &str = "case_id, version, body, created_at, created_by, updated_at, updated_by";

/// The wrapped data key of the case the row belongs to, beside the row.
const CASE_KEY: &str = "(SELECT k.wrapped FROM record_keys k WHERE k.record_id = case_id) AS data_key";

/// What a sealed text of a case file is, bound into its associated data.
#[derive(Clone, Copy)]
enum Sealing {
    /// The case file's body, at its version.
    Body,
    /// The command that made a version, in the history.
    Command,
}

impl Sealing {
    /// Case-file texts are sealed with their case's own data key, so that
    /// erasing the case (destroying that key) shreds its case file and
    /// history as well. The associated data is not the case id itself but
    /// the id with a per-kind mask, so that a sealed case-file body cannot be
    /// passed off as the case's body, or as a command, at the same version.
    fn associated_id(self, case_id: RecordId) -> Uuid {
        let mask: u128 = match self {
            Sealing::Body => 0x6361_7365_5f66_696c_655f_626f_6479_0001,
            Sealing::Command => 0x6361_7365_5f66_696c_655f_636d_6473_0002,
        };
        Uuid::from_u128(case_id.as_uuid().as_u128() ^ mask)
    }
}

/// Every case file with its child case, read through [`Store::list`] (so
/// that the case's body is opened as every record read opens it), in case
/// id order. For statistics and caseload counting.
pub async fn case_files_with_cases(store: &dyn Store) -> Result<Vec<CaseFileWithCase>, StoreError> {
    const PAGE: u32 = 1_000;
    let mut cases = HashMap::new();
    let mut after = None;
    loop {
        let page = store.list(RecordKind::ChildCase, after, PAGE).await?;
        after = page.last().map(|r| r.meta.id);
        let done = page.len() < PAGE as usize;
        cases.extend(page.into_iter().map(|r| (r.meta.id, r)));
        if done {
            break;
        }
    }
    let files = store.case_files().await?;
    files
        .into_iter()
        .map(|file| {
            let case = cases.remove(&file.case_id).ok_or_else(|| StoreError::Corrupt {
                id: file.case_id.to_string(),
                reason: "a case file without its case".into(),
            })?;
            Ok(CaseFileWithCase { file, case })
        })
        .collect()
}

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
    /// Seal a case-file text with the case's data key (created with the
    /// case, or now for a case written before encryption).
    async fn seal_text(
        &self,
        conn: &mut DB::Connection,
        sealing: Sealing,
        case_id: RecordId,
        version: i64,
        plain: &str,
    ) -> Result<String, StoreError> {
        let key = Self::data_key(&self.codec, conn, *case_id.as_uuid()).await?;
        self.codec
            .seal(key.as_ref(), sealing.associated_id(case_id), version, plain)
    }

    /// The inverse of [`SqlStore::seal_text`], with the case's wrapped key as
    /// read beside the row ([`CASE_KEY`]). A text written before encryption is
    /// returned as it is, as record bodies are.
    fn open_text(
        &self,
        wrapped: Option<&str>,
        sealing: Sealing,
        case_id: RecordId,
        version: i64,
        stored: String,
    ) -> Result<String, StoreError> {
        if !crate::codec::is_sealed(&stored) {
            return Ok(stored);
        }
        let key = wrapped
            .map(|w| self.codec.unwrap_key(*case_id.as_uuid(), w))
            .transpose()?;
        self.codec
            .open(key.as_ref(), sealing.associated_id(case_id), version, stored)
            .map_err(|err| match err {
                // Name the case, not the masked id.
                StoreError::Erased { .. } => StoreError::Erased {
                    id: case_id.to_string(),
                },
                StoreError::Undecryptable { what, .. } => StoreError::Undecryptable {
                    id: case_id.to_string(),
                    what,
                },
                other => other,
            })
    }

    fn case_file_from_row(&self, row: &DB::Row) -> Result<StoredCaseFile, StoreError> {
        let case_id = DB::id_from_db(row.try_get("case_id")?)?;
        let version = row.try_get("version")?;
        let wrapped: Option<String> = row.try_get("data_key")?;
        Ok(StoredCaseFile {
            case_id,
            version,
            body: self.open_text(
                wrapped.as_deref(),
                Sealing::Body,
                case_id,
                version,
                row.try_get("body")?,
            )?,
            created_at: row.try_get("created_at")?,
            created_by: row.try_get("created_by")?,
            updated_at: row.try_get("updated_at")?,
            updated_by: row.try_get("updated_by")?,
        })
    }

    async fn fetch_case_file(
        &self,
        conn: &mut DB::Connection,
        case_id: RecordId,
    ) -> Result<Option<StoredCaseFile>, StoreError> {
        sqlx::query(&format!(
            "SELECT {FILE_COLUMNS}, {CASE_KEY} FROM case_files WHERE case_id = $1"
        ))
        .bind(DB::id_to_db(case_id))
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(|row| self.case_file_from_row(row))
        .transpose()
    }
}

#[async_trait]
impl<DB> CaseworkStore for SqlStore<DB>
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
    async fn create_case_file(
        &self,
        case_id: RecordId,
        body: &str,
        actor: &Actor,
    ) -> Result<StoredCaseFile, StoreError> {
        let at = now();
        let mut tx = self.begin_write().await?;
        let case = sqlx::query(&format!(
            "SELECT version FROM records WHERE id = $1 AND kind = $2{}",
            DB::FOR_UPDATE
        ))
        .bind(DB::id_to_db(case_id))
        .bind(RecordKind::ChildCase.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        if case.is_none() {
            return Err(StoreError::NotFound {
                kind: RecordKind::ChildCase,
            });
        }
        if let Some(existing) = self.fetch_case_file(&mut tx, case_id).await? {
            return Ok(existing);
        }
        let sealed = self.seal_text(&mut tx, Sealing::Body, case_id, 1, body).await?;
        sqlx::query(
            "INSERT INTO case_files (case_id, version, body, created_at, created_by, updated_at, updated_by) \
             VALUES ($1, 1, $2, $3, $4, $3, $4)",
        )
        .bind(DB::id_to_db(case_id))
        .bind(sealed)
        .bind(at)
        .bind(actor.as_str())
        .execute(&mut *tx)
        .await?;
        Self::append_events(
            &mut tx,
            vec![write_event(
                EventKind::Create,
                RecordKind::ChildCase,
                case_id,
                actor,
                at,
            )],
        )
        .await?;
        let stored = self
            .fetch_case_file(&mut tx, case_id)
            .await?
            .ok_or(StoreError::NotFound {
                kind: RecordKind::ChildCase,
            })?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn get_case_file(&self, case_id: RecordId) -> Result<Option<StoredCaseFile>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        self.fetch_case_file(&mut conn, case_id).await
    }

    async fn update_case_file(
        &self,
        case_id: RecordId,
        expected_version: i64,
        body: &str,
        command: CaseCommand<'_>,
        alerts: &[NewAlert],
        actor: &Actor,
    ) -> Result<StoredCaseFile, StoreError> {
        let at = now();
        let mut tx = self.begin_write().await?;
        let next = expected_version.saturating_add(1);
        let sealed = self
            .seal_text(&mut tx, Sealing::Body, case_id, next, body)
            .await?;
        let updated = sqlx::query(
            "UPDATE case_files SET version = version + 1, body = $1, updated_at = $2, updated_by = $3 \
             WHERE case_id = $4 AND version = $5 RETURNING version",
        )
        .bind(sealed)
        .bind(at)
        .bind(actor.as_str())
        .bind(DB::id_to_db(case_id))
        .bind(expected_version)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(updated) = updated else {
            let current = sqlx::query("SELECT version FROM case_files WHERE case_id = $1")
                .bind(DB::id_to_db(case_id))
                .fetch_optional(&mut *tx)
                .await?;
            return Err(match current {
                Some(row) => StoreError::Conflict {
                    expected: expected_version,
                    current: row.try_get("version")?,
                },
                None => StoreError::NotFound {
                    kind: RecordKind::ChildCase,
                },
            });
        };
        let version: i64 = updated.try_get("version")?;
        let sealed_command = self
            .seal_text(&mut tx, Sealing::Command, case_id, version, command.body)
            .await?;
        sqlx::query(
            "INSERT INTO case_file_events (case_id, version, command_kind, command, actor, purpose, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(DB::id_to_db(case_id))
        .bind(version)
        .bind(command.kind)
        .bind(sealed_command)
        .bind(actor.as_str())
        .bind(actor.purpose().map(|p| p.as_str()))
        .bind(at)
        .execute(&mut *tx)
        .await?;
        for alert in alerts {
            sqlx::query(
                "INSERT INTO case_alerts (id, case_id, version, recipient, kind, notice, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(DB::uuid_to_db(Uuid::now_v7()))
            .bind(DB::id_to_db(case_id))
            .bind(version)
            .bind(alert.recipient.as_str())
            .bind(alert.kind.as_str())
            .bind(alert.notice.as_str())
            .bind(at)
            .execute(&mut *tx)
            .await?;
        }
        Self::append_events(
            &mut tx,
            vec![write_event(
                EventKind::Update,
                RecordKind::ChildCase,
                case_id,
                actor,
                at,
            )],
        )
        .await?;
        let stored = self
            .fetch_case_file(&mut tx, case_id)
            .await?
            .ok_or(StoreError::NotFound {
                kind: RecordKind::ChildCase,
            })?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn case_file_history(&self, case_id: RecordId) -> Result<Vec<CaseFileEvent>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT version, command_kind, command, actor, purpose, at, {CASE_KEY} FROM case_file_events \
                 WHERE case_id = $1 ORDER BY version"
        ))
        .bind(DB::id_to_db(case_id))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let version = row.try_get("version")?;
                let wrapped: Option<String> = row.try_get("data_key")?;
                Ok(CaseFileEvent {
                    version,
                    command_kind: row.try_get("command_kind")?,
                    command: self.open_text(
                        wrapped.as_deref(),
                        Sealing::Command,
                        case_id,
                        version,
                        row.try_get("command")?,
                    )?,
                    actor: row.try_get("actor")?,
                    purpose: row.try_get("purpose")?,
                    at: row.try_get("at")?,
                })
            })
            .collect()
    }

    async fn case_files(&self) -> Result<Vec<StoredCaseFile>, StoreError> {
        sqlx::query(&format!(
            "SELECT {FILE_COLUMNS}, {CASE_KEY} FROM case_files ORDER BY case_id"
        ))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| self.case_file_from_row(row))
        .collect()
    }

    async fn alerts_for(&self, recipient: &str) -> Result<Vec<StoredAlert>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, case_id, version, recipient, kind, notice, created_at FROM case_alerts \
             WHERE recipient = $1 ORDER BY created_at, id",
        )
        .bind(recipient)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredAlert {
                    id: DB::uuid_from_db(row.try_get("id")?)?,
                    case_id: DB::id_from_db(row.try_get("case_id")?)?,
                    version: row.try_get("version")?,
                    recipient: row.try_get("recipient")?,
                    kind: row.try_get("kind")?,
                    notice: row.try_get("notice")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }
}
