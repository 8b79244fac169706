//! [`ConsentStore`] on the SQL backends: the same queries on both, as for
//! records (migration `0007_consent.sql`).
//!
//! Recording or withdrawing a ground is one write transaction that takes a
//! change number, stamps it on the record (`records.change_seq`, the
//! version unchanged) so that the change feed carries the record again with
//! its new standing, writes the consent row and appends the audit entry. The
//! matcher of every server process therefore sees a withdrawal within its
//! poll interval, and the match endpoints, which ask [`ConsentStore::has_basis`]
//! before showing a pair, at once.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kinlink_audit::{AuditEvent, EventKind, Outcome, RecordRef};
use kinlink_core::{RecordId, RecordKind};
use kinlink_policy::{FieldGroups, resource_of};
use sqlx::{ColumnIndex, Encode, Executor, IntoArguments, Row, Type};
use uuid::Uuid;

use crate::consent::{
    ConsentGiver, ConsentPurpose, ConsentRecord, ConsentStore, Decider, Ground, NewConsent, NewLegalBasis,
};
use crate::sql::{Dialect, SqlStore, SqlValue, now};
use crate::{Actor, StoreError};

const COLUMNS: &str = "id, record_id, record_kind, purpose, basis, given_by, language, interpreter, reason, \
                       decided_by, approved_by, given_at, recorded_by, recorded_at, withdrawn_at, withdrawn_by";

/// The SQL condition "this record (`records` in the outer query) has a
/// tracing consent or legal basis that holds", for the change feed.
pub(crate) const MATCHABLE: &str = "EXISTS (SELECT 1 FROM consents c WHERE c.record_id = records.id \
                                    AND c.purpose = 'tracing' AND c.withdrawn_at IS NULL)";

fn corrupt(id: impl ToString, column: &str) -> StoreError {
    StoreError::Corrupt {
        id: id.to_string(),
        reason: format!("unknown value in the consent's {column}"),
    }
}

/// The entry a change of consent appends: about the record, no field group
/// (a consent holds roles, dates and codes, not the child's data).
fn consent_event(kind: RecordKind, id: RecordId, actor: &Actor, at: DateTime<Utc>) -> AuditEvent {
    AuditEvent {
        at,
        kind: EventKind::ConsentChange,
        actor: actor.audit_actor(),
        record: Some(RecordRef {
            resource: resource_of(kind),
            id: *id.as_uuid(),
        }),
        field_groups: FieldGroups::NONE,
        purpose: actor.purpose(),
        outcome: Outcome::Success,
    }
}

/// What one insert writes.
struct GroundRow<'a> {
    purpose: ConsentPurpose,
    basis: &'static str,
    given_by: Option<&'static str>,
    language: Option<&'a str>,
    interpreter: Option<&'a str>,
    reason: Option<&'a str>,
    decided_by: Option<&'static str>,
    approved_by: Option<&'a str>,
    given_at: DateTime<Utc>,
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
    Option<String>: SqlValue<DB>,
    Option<DateTime<Utc>>: SqlValue<DB>,
    &'static str: ColumnIndex<DB::Row>,
{
    fn consent_from_row(row: &DB::Row) -> Result<ConsentRecord, StoreError> {
        let id = DB::uuid_from_db(row.try_get("id")?)?;
        let text = |column: &'static str| -> Result<Option<String>, StoreError> { Ok(row.try_get(column)?) };
        let required = |column: &'static str| -> Result<String, StoreError> {
            text(column)?.ok_or_else(|| corrupt(id, column))
        };
        let kind: String = row.try_get("record_kind")?;
        let purpose: String = row.try_get("purpose")?;
        let basis: String = row.try_get("basis")?;
        let given_at: DateTime<Utc> = row.try_get("given_at")?;
        let ground = match basis.as_str() {
            "consent" => Ground::Consent {
                given_by: ConsentGiver::from_str_opt(&required("given_by")?)
                    .ok_or_else(|| corrupt(id, "given_by"))?,
                given_at,
                language: required("language")?,
                interpreter: text("interpreter")?,
            },
            "legal_basis" => Ground::LegalBasis {
                reason: required("reason")?,
                decided_by: Decider::from_str_opt(&required("decided_by")?)
                    .ok_or_else(|| corrupt(id, "decided_by"))?,
                decided_at: given_at,
                approved_by: required("approved_by")?,
            },
            _ => return Err(corrupt(id, "basis")),
        };
        Ok(ConsentRecord {
            id,
            record_kind: RecordKind::from_str_opt(&kind).ok_or_else(|| corrupt(id, "record_kind"))?,
            record_id: DB::id_from_db(row.try_get("record_id")?)?,
            purpose: ConsentPurpose::from_str_opt(&purpose).ok_or_else(|| corrupt(id, "purpose"))?,
            ground,
            recorded_by: row.try_get("recorded_by")?,
            recorded_at: row.try_get("recorded_at")?,
            withdrawn_at: row.try_get("withdrawn_at")?,
            withdrawn_by: row.try_get("withdrawn_by")?,
        })
    }

    /// Stamp a new change number on the record, so that the change feed
    /// carries it again with its new standing. [`StoreError::NotFound`] if
    /// there is no such record.
    async fn touch_record(
        conn: &mut DB::Connection,
        kind: RecordKind,
        id: RecordId,
        change: i64,
    ) -> Result<(), StoreError> {
        // sqlx has no generic `rows_affected`: `RETURNING` says whether a row was there.
        sqlx::query("UPDATE records SET change_seq = $1 WHERE id = $2 AND kind = $3 RETURNING id")
            .bind(change)
            .bind(DB::id_to_db(id))
            .bind(kind.as_str())
            .fetch_optional(&mut *conn)
            .await?
            .map(|_| ())
            .ok_or(StoreError::NotFound { kind })
    }

    async fn insert_ground(
        &self,
        kind: RecordKind,
        id: RecordId,
        row: GroundRow<'_>,
        actor: &Actor,
    ) -> Result<ConsentRecord, StoreError> {
        let at = now();
        let mut tx = self.begin_write().await?;
        let change = Self::next_change(&mut tx).await?;
        Self::touch_record(&mut tx, kind, id, change).await?;
        let consent = Uuid::now_v7();
        let inserted = sqlx::query(&format!(
            "INSERT INTO consents ({COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, NULL, NULL) RETURNING {COLUMNS}"
        ))
        .bind(DB::uuid_to_db(consent))
        .bind(DB::id_to_db(id))
        .bind(kind.as_str())
        .bind(row.purpose.as_str())
        .bind(row.basis)
        .bind(row.given_by)
        .bind(row.language)
        .bind(row.interpreter)
        .bind(row.reason)
        .bind(row.decided_by)
        .bind(row.approved_by)
        .bind(row.given_at)
        .bind(actor.as_str())
        .bind(at)
        .fetch_one(&mut *tx)
        .await?;
        let record = Self::consent_from_row(&inserted)?;
        Self::append_events(&mut tx, vec![consent_event(kind, id, actor, at)]).await?;
        tx.commit().await?;
        Ok(record)
    }
}

#[async_trait]
impl<DB> ConsentStore for SqlStore<DB>
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
    Option<String>: SqlValue<DB>,
    Option<DateTime<Utc>>: SqlValue<DB>,
    &'static str: ColumnIndex<DB::Row>,
{
    async fn record_consent(
        &self,
        kind: RecordKind,
        id: RecordId,
        consent: &NewConsent,
        actor: &Actor,
    ) -> Result<ConsentRecord, StoreError> {
        let row = GroundRow {
            purpose: consent.purpose,
            basis: "consent",
            given_by: Some(consent.given_by.as_str()),
            language: Some(&consent.language),
            interpreter: consent.interpreter.as_deref(),
            reason: None,
            decided_by: None,
            approved_by: None,
            given_at: consent.given_at,
        };
        self.insert_ground(kind, id, row, actor).await
    }

    async fn record_legal_basis(
        &self,
        kind: RecordKind,
        id: RecordId,
        basis: &NewLegalBasis,
        actor: &Actor,
    ) -> Result<ConsentRecord, StoreError> {
        let row = GroundRow {
            purpose: basis.purpose,
            basis: "legal_basis",
            given_by: None,
            language: None,
            interpreter: None,
            reason: Some(&basis.reason),
            decided_by: Some(basis.decided_by.as_str()),
            approved_by: Some(&basis.approved_by),
            given_at: basis.decided_at,
        };
        self.insert_ground(kind, id, row, actor).await
    }

    async fn withdraw_consent(
        &self,
        kind: RecordKind,
        id: RecordId,
        consent: Uuid,
        actor: &Actor,
    ) -> Result<ConsentRecord, StoreError> {
        let at = now();
        let mut tx = self.begin_write().await?;
        let change = Self::next_change(&mut tx).await?;
        Self::touch_record(&mut tx, kind, id, change).await?;
        let withdrawn = sqlx::query(&format!(
            "UPDATE consents SET withdrawn_at = $1, withdrawn_by = $2 \
             WHERE id = $3 AND record_id = $4 AND withdrawn_at IS NULL RETURNING {COLUMNS}"
        ))
        .bind(at)
        .bind(actor.as_str())
        .bind(DB::uuid_to_db(consent))
        .bind(DB::id_to_db(id))
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NoSuch {
            what: "consent that still holds",
        })?;
        let record = Self::consent_from_row(&withdrawn)?;
        Self::append_events(&mut tx, vec![consent_event(kind, id, actor, at)]).await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn consents_for(&self, kind: RecordKind, id: RecordId) -> Result<Vec<ConsentRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM consents WHERE record_id = $1 AND record_kind = $2 ORDER BY id"
        ))
        .bind(DB::id_to_db(id))
        .bind(kind.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(Self::consent_from_row).collect()
    }

    async fn has_basis(
        &self,
        kind: RecordKind,
        id: RecordId,
        purpose: ConsentPurpose,
    ) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS holding FROM consents \
             WHERE record_id = $1 AND record_kind = $2 AND purpose = $3 AND withdrawn_at IS NULL",
        )
        .bind(DB::id_to_db(id))
        .bind(kind.as_str())
        .bind(purpose.as_str())
        .fetch_one(&self.pool)
        .await?;
        let holding: i64 = row.try_get("holding")?;
        Ok(holding > 0)
    }
}
