//! [`MatchStore`] on the SQL backends: match proposals, their review, and
//! the change feed. Written once for SQLite and PostgreSQL, like `sql.rs`
//! (the bounds below are that file's, plus floats and booleans).
//!
//! Writes to the proposals of one tracing request are serialised by locking
//! the request's row first (`FOR UPDATE` on PostgreSQL; SQLite's write
//! transactions lock the database): the matcher's refresh and a review never
//! interleave. Writers that also write records take the change number before
//! that lock, as every writer does, so no two wait on each other in a cycle.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kinlink_audit::EventKind;
use kinlink_core::{RecordId, RecordKind, RecordNumber};
use sqlx::{ColumnIndex, Encode, Executor, IntoArguments, Row, Type};

use crate::audit::{match_event, write_event};
use crate::consent_sql::MATCHABLE;
use crate::matches::{
    ChangeCursor, MatchId, MatchLabel, MatchReview, MatchStatus, MatchStore, ProposalOutcome, ProposedMatch,
    RecordChange, RecordWrite, ReviewDecision, StoredMatch,
};
use crate::sql::{BODY_COLUMNS, Dialect, NOT_ERASED, SqlStore, SqlValue, now};
use crate::{Actor, StoreError};

const MATCH_COLUMNS: &str = "m.id, m.request_id, rq.number AS request_number, m.request_version, \
     m.case_id, cs.number AS case_number, m.case_version, m.sought_child, m.score, m.label, m.sibling, \
     m.explanation, m.proposed, m.status, m.version, m.reviewed_by, m.reviewed_at, m.reason, \
     m.created_at, m.updated_at";
const MATCH_FROM: &str = "match_proposals m JOIN records rq ON rq.id = m.request_id \
     JOIN records cs ON cs.id = m.case_id";

/// The history entry of a pair re-opened by the matcher.
const REOPENED: &str = "a record changed since the pair was rejected";

fn corrupt(id: impl ToString, reason: &str) -> StoreError {
    StoreError::Corrupt {
        id: id.to_string(),
        reason: reason.to_owned(),
    }
}

fn match_id_to_db<DB: Dialect>(id: MatchId) -> DB::Id {
    DB::id_to_db(RecordId::from_uuid(*id.as_uuid()))
}

fn match_id_from_db<DB: Dialect>(id: DB::Id) -> Result<MatchId, StoreError> {
    DB::id_from_db(id).map(|id| MatchId::from_uuid(*id.as_uuid()))
}

/// What a refresh compares of an existing pair.
struct Existing {
    id: MatchId,
    case_id: RecordId,
    sought_child: i32,
    request_version: i64,
    case_version: i64,
    score: f64,
    label: String,
    sibling: bool,
    explanation: String,
    proposed: bool,
    status: MatchStatus,
}

impl Existing {
    /// Whether the pair already says what `p` (at `request_version`) says.
    fn same_as(&self, p: &ProposedMatch, request_version: i64) -> bool {
        self.proposed
            && self.request_version == request_version
            && self.case_version == p.case_version
            && self.sought_child as i64 == i64::from(p.sought_child)
            && self.score == p.score
            && self.label == p.label.as_str()
            && self.sibling == p.sibling
            && self.explanation == p.explanation
    }
}

// The bounds of `sql.rs`, plus f64 and bool.
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
    f64: SqlValue<DB>,
    bool: SqlValue<DB>,
    DateTime<Utc>: SqlValue<DB>,
    Option<DB::Id>: SqlValue<DB>,
    &'static str: ColumnIndex<DB::Row>,
{
    fn match_from_row(row: &DB::Row) -> Result<StoredMatch, StoreError> {
        let id = match_id_from_db::<DB>(row.try_get("id")?)?;
        let number = |column: &'static str| -> Result<RecordNumber, StoreError> {
            let text: String = row.try_get(column)?;
            RecordNumber::from_str(&text).map_err(|_| corrupt(id, "malformed record number"))
        };
        let status: String = row.try_get("status")?;
        let label: String = row.try_get("label")?;
        let sought_child: i32 = row.try_get("sought_child")?;
        Ok(StoredMatch {
            id,
            request_id: DB::id_from_db(row.try_get("request_id")?)?,
            request_number: number("request_number")?,
            request_version: row.try_get("request_version")?,
            case_id: DB::id_from_db(row.try_get("case_id")?)?,
            case_number: number("case_number")?,
            case_version: row.try_get("case_version")?,
            sought_child: u32::try_from(sought_child).map_err(|_| corrupt(id, "negative sought child"))?,
            score: row.try_get("score")?,
            label: MatchLabel::from_str_opt(&label).ok_or_else(|| corrupt(id, "unknown label"))?,
            sibling: row.try_get("sibling")?,
            explanation: row.try_get("explanation")?,
            proposed: row.try_get("proposed")?,
            status: MatchStatus::from_str_opt(&status).ok_or_else(|| corrupt(id, "unknown status"))?,
            version: row.try_get("version")?,
            reviewed_by: row.try_get("reviewed_by")?,
            reviewed_at: row.try_get("reviewed_at")?,
            reason: row.try_get("reason")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }

    async fn fetch_match(conn: &mut DB::Connection, id: MatchId) -> Result<Option<StoredMatch>, StoreError> {
        sqlx::query(&format!(
            "SELECT {MATCH_COLUMNS} FROM {MATCH_FROM} WHERE m.id = $1"
        ))
        .bind(match_id_to_db::<DB>(id))
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(Self::match_from_row)
        .transpose()
    }

    /// Lock a tracing request's row until the transaction ends: the
    /// proposals of one request are written by one transaction at a time.
    async fn lock_request(conn: &mut DB::Connection, request_id: RecordId) -> Result<(), StoreError> {
        let found = sqlx::query(&format!(
            "SELECT version FROM records WHERE id = $1 AND kind = $2{}",
            DB::FOR_UPDATE
        ))
        .bind(DB::id_to_db(request_id))
        .bind(RecordKind::TracingRequest.as_str())
        .fetch_optional(&mut *conn)
        .await?;
        match found {
            Some(_) => Ok(()),
            None => Err(StoreError::NotFound {
                kind: RecordKind::TracingRequest,
            }),
        }
    }

    async fn insert_history(
        conn: &mut DB::Connection,
        id: MatchId,
        version: i64,
        status: MatchStatus,
        reason: Option<&str>,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO match_reviews (match_id, version, status, reason, changed_by, changed_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(match_id_to_db::<DB>(id))
        .bind(version)
        .bind(status.as_str())
        .bind(reason)
        .bind(actor.as_str())
        .bind(at)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    async fn existing_matches(
        conn: &mut DB::Connection,
        request_id: RecordId,
    ) -> Result<Vec<Existing>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, case_id, sought_child, request_version, case_version, score, label, sibling, \
             explanation, proposed, status FROM match_proposals WHERE request_id = $1",
        )
        .bind(DB::id_to_db(request_id))
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|row| {
                let id = match_id_from_db::<DB>(row.try_get("id")?)?;
                let status: String = row.try_get("status")?;
                Ok(Existing {
                    id,
                    case_id: DB::id_from_db(row.try_get("case_id")?)?,
                    sought_child: row.try_get("sought_child")?,
                    request_version: row.try_get("request_version")?,
                    case_version: row.try_get("case_version")?,
                    score: row.try_get("score")?,
                    label: row.try_get("label")?,
                    sibling: row.try_get("sibling")?,
                    explanation: row.try_get("explanation")?,
                    proposed: row.try_get("proposed")?,
                    status: MatchStatus::from_str_opt(&status)
                        .ok_or_else(|| corrupt(id, "unknown status"))?,
                })
            })
            .collect()
    }

    /// Rewrite a pair's evidence (and status), one version on.
    async fn refresh(
        conn: &mut DB::Connection,
        id: MatchId,
        p: &ProposedMatch,
        request_version: i64,
        status: MatchStatus,
        at: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let reopened = status == MatchStatus::New;
        let row = sqlx::query(
            "UPDATE match_proposals SET request_version = $1, case_version = $2, sought_child = $3, \
             score = $4, label = $5, sibling = $6, explanation = $7, proposed = $8, status = $9, \
             version = version + 1, updated_at = $10 WHERE id = $11 RETURNING version",
        )
        .bind(request_version)
        .bind(p.case_version)
        .bind(sought_child_to_db(p.sought_child)?)
        .bind(p.score)
        .bind(p.label.as_str())
        .bind(p.sibling)
        .bind(p.explanation.as_str())
        .bind(true)
        .bind(status.as_str())
        .bind(at)
        .bind(match_id_to_db::<DB>(id))
        .fetch_one(&mut *conn)
        .await?;
        if reopened {
            // The last review stays in the history; the row shows the current state.
            sqlx::query(
                "UPDATE match_proposals SET reviewed_by = NULL, reviewed_at = NULL, reason = NULL WHERE id = $1",
            )
            .bind(match_id_to_db::<DB>(id))
            .execute(&mut *conn)
            .await?;
        }
        Ok(row.try_get("version")?)
    }

    async fn matches_where(&self, column: &str, id: RecordId) -> Result<Vec<StoredMatch>, StoreError> {
        sqlx::query(&format!(
            "SELECT {MATCH_COLUMNS} FROM {MATCH_FROM} WHERE m.{column} = $1 ORDER BY m.score DESC, m.id"
        ))
        .bind(DB::id_to_db(id))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(Self::match_from_row)
        .collect()
    }
}

fn sought_child_to_db(index: u32) -> Result<i32, StoreError> {
    i32::try_from(index).map_err(|_| corrupt("proposal", "sought child index out of range"))
}

#[async_trait]
impl<DB> MatchStore for SqlStore<DB>
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
    f64: SqlValue<DB>,
    bool: SqlValue<DB>,
    DateTime<Utc>: SqlValue<DB>,
    Option<DB::Id>: SqlValue<DB>,
    &'static str: ColumnIndex<DB::Row>,
{
    async fn propose_matches(
        &self,
        request_id: RecordId,
        request_version: i64,
        proposals: &[ProposedMatch],
        actor: &Actor,
    ) -> Result<ProposalOutcome, StoreError> {
        let mut seen = HashSet::with_capacity(proposals.len());
        for (index, p) in proposals.iter().enumerate() {
            if !seen.insert(p.case_id) {
                return Err(StoreError::DuplicateProposal { index });
            }
        }
        let at = now();
        let mut outcome = ProposalOutcome::default();
        // One audit entry per proposal created or changed, in this transaction.
        let mut events = Vec::new();
        let mut tx = self.begin_write().await?;
        Self::lock_request(&mut tx, request_id).await?;
        let existing: HashMap<RecordId, Existing> = Self::existing_matches(&mut tx, request_id)
            .await?
            .into_iter()
            .map(|e| (e.case_id, e))
            .collect();
        for p in proposals {
            let Some(row) = existing.get(&p.case_id) else {
                let id = MatchId::new();
                sqlx::query(
                    "INSERT INTO match_proposals (id, request_id, case_id, sought_child, request_version, \
                     case_version, score, label, sibling, explanation, proposed, status, version, \
                     created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13, $13)",
                )
                .bind(match_id_to_db::<DB>(id))
                .bind(DB::id_to_db(request_id))
                .bind(DB::id_to_db(p.case_id))
                .bind(sought_child_to_db(p.sought_child)?)
                .bind(request_version)
                .bind(p.case_version)
                .bind(p.score)
                .bind(p.label.as_str())
                .bind(p.sibling)
                .bind(p.explanation.as_str())
                .bind(true)
                .bind(MatchStatus::New.as_str())
                .bind(at)
                .execute(&mut *tx)
                .await?;
                Self::insert_history(&mut tx, id, 1, MatchStatus::New, None, actor, at).await?;
                events.push(match_event(EventKind::Create, id, actor, at));
                outcome.created += 1;
                continue;
            };
            match row.status {
                MatchStatus::Confirmed => outcome.unchanged += 1,
                MatchStatus::Rejected
                    if row.request_version == request_version && row.case_version == p.case_version =>
                {
                    outcome.unchanged += 1;
                }
                MatchStatus::Rejected => {
                    let version =
                        Self::refresh(&mut tx, row.id, p, request_version, MatchStatus::New, at).await?;
                    Self::insert_history(
                        &mut tx,
                        row.id,
                        version,
                        MatchStatus::New,
                        Some(REOPENED),
                        actor,
                        at,
                    )
                    .await?;
                    events.push(match_event(EventKind::Update, row.id, actor, at));
                    outcome.reopened += 1;
                }
                MatchStatus::New | MatchStatus::UnderReview if row.same_as(p, request_version) => {
                    outcome.unchanged += 1;
                }
                MatchStatus::New | MatchStatus::UnderReview => {
                    Self::refresh(&mut tx, row.id, p, request_version, row.status, at).await?;
                    events.push(match_event(EventKind::Update, row.id, actor, at));
                    outcome.updated += 1;
                }
            }
        }
        for row in existing.values() {
            let pending = matches!(row.status, MatchStatus::New | MatchStatus::UnderReview);
            if pending && row.proposed && !seen.contains(&row.case_id) {
                sqlx::query(
                    "UPDATE match_proposals SET proposed = $1, version = version + 1, updated_at = $2 WHERE id = $3",
                )
                .bind(false)
                .bind(at)
                .bind(match_id_to_db::<DB>(row.id))
                .execute(&mut *tx)
                .await?;
                events.push(match_event(EventKind::Update, row.id, actor, at));
                outcome.withdrawn += 1;
            }
        }
        Self::append_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn get_match(&self, id: MatchId) -> Result<Option<StoredMatch>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        Self::fetch_match(&mut conn, id).await
    }

    async fn matches_for_request(&self, request_id: RecordId) -> Result<Vec<StoredMatch>, StoreError> {
        self.matches_where("request_id", request_id).await
    }

    async fn matches_for_case(&self, case_id: RecordId) -> Result<Vec<StoredMatch>, StoreError> {
        self.matches_where("case_id", case_id).await
    }

    async fn list_matches(&self, after: Option<MatchId>, limit: u32) -> Result<Vec<StoredMatch>, StoreError> {
        // Match ids are UUIDv7 like record ids: they sort in creation order
        // in both backends, and the nil UUID sorts first.
        let after = after.unwrap_or(MatchId::from_uuid(uuid::Uuid::nil()));
        sqlx::query(&format!(
            "SELECT {MATCH_COLUMNS} FROM {MATCH_FROM} WHERE m.id > $1 ORDER BY m.id LIMIT $2"
        ))
        .bind(match_id_to_db::<DB>(after))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(Self::match_from_row)
        .collect()
    }

    async fn review_match(
        &self,
        id: MatchId,
        expected_version: i64,
        decision: ReviewDecision<'_>,
        actor: &Actor,
        records: &[RecordWrite],
    ) -> Result<StoredMatch, StoreError> {
        let at = now();
        let mut tx = self.begin_write().await?;
        // The change number before any row lock: the order every writer keeps.
        let change = if records.is_empty() {
            None
        } else {
            Some(Self::next_change(&mut tx).await?)
        };
        let request = sqlx::query("SELECT request_id FROM match_proposals WHERE id = $1")
            .bind(match_id_to_db::<DB>(id))
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::MatchNotFound)?;
        Self::lock_request(&mut tx, DB::id_from_db(request.try_get("request_id")?)?).await?;
        let updated = sqlx::query(
            "UPDATE match_proposals SET status = $1, reason = $2, reviewed_by = $3, reviewed_at = $4, \
             updated_at = $4, version = version + 1 WHERE id = $5 AND version = $6 RETURNING version",
        )
        .bind(decision.status.as_str())
        .bind(decision.reason)
        .bind(actor.as_str())
        .bind(at)
        .bind(match_id_to_db::<DB>(id))
        .bind(expected_version)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(updated) = updated else {
            let current = sqlx::query("SELECT version FROM match_proposals WHERE id = $1")
                .bind(match_id_to_db::<DB>(id))
                .fetch_one(&mut *tx)
                .await?;
            return Err(StoreError::Conflict {
                expected: expected_version,
                current: current.try_get("version")?,
            });
        };
        let version: i64 = updated.try_get("version")?;
        Self::insert_history(&mut tx, id, version, decision.status, decision.reason, actor, at).await?;
        let mut events = vec![match_event(EventKind::Update, id, actor, at)];
        if let Some(change) = change {
            for write in records {
                events.push(write_event(EventKind::Update, write.kind, write.id, actor, at));
                Self::update_record(
                    &self.codec,
                    &mut tx,
                    write.kind,
                    write.id,
                    write.expected_version,
                    &write.body,
                    actor,
                    at,
                    change,
                )
                .await?;
            }
        }
        let stored = Self::fetch_match(&mut tx, id)
            .await?
            .ok_or(StoreError::MatchNotFound)?;
        Self::append_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn match_history(&self, id: MatchId) -> Result<Vec<MatchReview>, StoreError> {
        let rows = sqlx::query(
            "SELECT version, status, reason, changed_by, changed_at FROM match_reviews \
             WHERE match_id = $1 ORDER BY version",
        )
        .bind(match_id_to_db::<DB>(id))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let status: String = row.try_get("status")?;
                Ok(MatchReview {
                    version: row.try_get("version")?,
                    status: MatchStatus::from_str_opt(&status)
                        .ok_or_else(|| corrupt(id, "unknown status"))?,
                    reason: row.try_get("reason")?,
                    changed_by: row.try_get("changed_by")?,
                    changed_at: row.try_get("changed_at")?,
                })
            })
            .collect()
    }

    async fn changes_since(&self, after: ChangeCursor, limit: u32) -> Result<Vec<RecordChange>, StoreError> {
        let columns = format!(
            "SELECT change_seq, kind, id, version, {BODY_COLUMNS}, {MATCHABLE} AS matchable \
             FROM records WHERE {NOT_ERASED} AND"
        );
        let rows = match after.id {
            None => {
                sqlx::query(&format!(
                    "{columns} change_seq > $1 ORDER BY change_seq, id LIMIT $2"
                ))
                .bind(after.change)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?
            }
            Some(id) => {
                sqlx::query(&format!(
                    "{columns} (change_seq > $1 OR (change_seq = $1 AND id > $2)) \
                     ORDER BY change_seq, id LIMIT $3"
                ))
                .bind(after.change)
                .bind(DB::id_to_db(id))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter()
            .map(|row| {
                let id = DB::id_from_db(row.try_get("id")?)?;
                let kind: String = row.try_get("kind")?;
                let version = row.try_get("version")?;
                let wrapped: Option<String> = row.try_get("data_key")?;
                Ok(RecordChange {
                    change: row.try_get("change_seq")?,
                    kind: RecordKind::from_str_opt(&kind).ok_or_else(|| corrupt(id, "unknown kind"))?,
                    id,
                    version,
                    body: self.codec.open_stored(
                        wrapped.as_deref(),
                        *id.as_uuid(),
                        version,
                        row.try_get("body")?,
                    )?,
                    matchable: row.try_get("matchable")?,
                })
            })
            .collect()
    }

    async fn latest_change(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT last FROM change_counter WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("last")?)
    }

    async fn matcher_position(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT position FROM matcher_position WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("position")?)
    }

    async fn advance_matcher_position(&self, position: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE matcher_position SET position = $1 WHERE id = 1 AND position < $1")
            .bind(position)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    fn change_listener(&self) -> Option<crate::ChangeListener> {
        DB::change_listener(&self.pool)
    }
}
