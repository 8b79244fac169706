//! Match proposals and their review, and the change feed the matcher follows.
//!
//! [`MatchStore`] is the second half of what a backend does (every [`Store`](crate::Store)
//! is one). A proposal pairs a tracing request with a case that may be the
//! child it seeks; the matcher writes proposals, people review them. The
//! rules the store keeps whoever calls it:
//!
//! - one row per (request, case) pair; every status change is kept in its
//!   history with who, when and why;
//! - a rejected pair stays rejected while both records are at the versions it
//!   was rejected at: [`MatchStore::propose_matches`] re-opens it only when
//!   the request's or the case's version differs;
//! - a review names the match version it was based on; a stale one is
//!   [`StoreError::Conflict`](crate::StoreError::Conflict), as for records;
//! - a review and the record updates that go with it (a confirmed match moves
//!   the tracing status on) are written in one transaction.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kinlink_core::{RecordId, RecordKind, RecordNumber};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Actor, StoreError};

/// Identifier of a match proposal (UUIDv7, minted by the store).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = uuid::Uuid))]
#[serde(transparent)]
pub struct MatchId(Uuid);

impl MatchId {
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    pub const fn from_uuid(uuid: Uuid) -> Self {
        Self(uuid)
    }

    pub const fn as_uuid(&self) -> &Uuid {
        &self.0
    }
}

impl Default for MatchId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for MatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for MatchId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self)
    }
}

/// Where the review of a proposal stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MatchStatus {
    /// Proposed by the matcher, nobody has looked yet.
    New,
    /// A caseworker is looking into it.
    UnderReview,
    /// A caseworker confirmed the case is the sought child.
    Confirmed,
    /// A caseworker decided it is not; not proposed again until a record changes.
    Rejected,
}

impl MatchStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            MatchStatus::New => "new",
            MatchStatus::UnderReview => "under_review",
            MatchStatus::Confirmed => "confirmed",
            MatchStatus::Rejected => "rejected",
        }
    }

    pub fn from_str_opt(s: &str) -> Option<Self> {
        [
            MatchStatus::New,
            MatchStatus::UnderReview,
            MatchStatus::Confirmed,
            MatchStatus::Rejected,
        ]
        .into_iter()
        .find(|status| status.as_str() == s)
    }
}

/// What the score says: `match` (probably the child) or `possible` (worth a look).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MatchLabel {
    Match,
    Possible,
}

impl MatchLabel {
    pub const fn as_str(self) -> &'static str {
        match self {
            MatchLabel::Match => "match",
            MatchLabel::Possible => "possible",
        }
    }

    pub fn from_str_opt(s: &str) -> Option<Self> {
        [MatchLabel::Match, MatchLabel::Possible]
            .into_iter()
            .find(|label| label.as_str() == s)
    }
}

/// One case the matcher proposes for a tracing request.
#[derive(Clone, Debug, PartialEq)]
pub struct ProposedMatch {
    pub case_id: RecordId,
    /// The case's version the score was computed from.
    pub case_version: i64,
    /// Which of the request's sought children the case may be (index).
    pub sought_child: u32,
    /// Match probability.
    pub score: f64,
    pub label: MatchLabel,
    /// Probably a sibling of the sought child rather than the child.
    pub sibling: bool,
    /// The per-field explanation, as JSON.
    pub explanation: String,
}

/// A proposal as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredMatch {
    pub id: MatchId,
    pub request_id: RecordId,
    pub request_number: RecordNumber,
    pub request_version: i64,
    pub case_id: RecordId,
    pub case_number: RecordNumber,
    pub case_version: i64,
    pub sought_child: u32,
    pub score: f64,
    pub label: MatchLabel,
    pub sibling: bool,
    pub explanation: String,
    /// Whether the latest matching run of the request still proposes it.
    pub proposed: bool,
    pub status: MatchStatus,
    /// Compare-and-swap version: a review names it.
    pub version: i64,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One entry of a match's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MatchReview {
    /// The match's version after this change.
    pub version: i64,
    pub status: MatchStatus,
    pub reason: Option<String>,
    pub changed_by: String,
    pub changed_at: DateTime<Utc>,
}

/// What [`MatchStore::propose_matches`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ProposalOutcome {
    /// Pairs proposed for the first time.
    pub created: u64,
    /// Pending pairs whose score, explanation or versions changed.
    pub updated: u64,
    /// Rejected pairs proposed again because a record changed.
    pub reopened: u64,
    /// Pending pairs no longer proposed.
    pub withdrawn: u64,
    /// Pairs left as they were (including rejected pairs whose records have not changed).
    pub unchanged: u64,
}

/// A record's latest write, as the change feed reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordChange {
    /// The change number of the write (shared by the records of one import).
    pub change: i64,
    pub kind: RecordKind,
    pub id: RecordId,
    pub version: i64,
    pub body: String,
    /// Whether the record may enter matching: it has a tracing consent or
    /// legal basis that holds (see `ConsentStore`). A consent recorded or
    /// withdrawn puts the record on the feed again with its new standing.
    pub matchable: bool,
}

/// A position in the change feed: after the record `id` of change `change`
/// (a change number may cover many records), or with no `id` after the whole
/// change. The default is the start of the feed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChangeCursor {
    pub change: i64,
    pub id: Option<RecordId>,
}

impl ChangeCursor {
    /// The position after a record of the feed.
    pub fn after(change: &RecordChange) -> Self {
        Self {
            change: change.change,
            id: Some(change.id),
        }
    }
}

/// A record update that goes with a review, compare-and-swap like any other.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordWrite {
    pub kind: RecordKind,
    pub id: RecordId,
    pub expected_version: i64,
    pub body: String,
}

/// A review decision.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReviewDecision<'a> {
    pub status: MatchStatus,
    pub reason: Option<&'a str>,
}

/// Storage of match proposals, their review, and the change feed.
#[async_trait]
pub trait MatchStore: Send + Sync + 'static {
    /// Replace the matcher's proposals for a tracing request with
    /// `proposals` (computed from the request at `request_version`), in one
    /// transaction: new pairs are created with status `new`; pending pairs
    /// (`new`, `under_review`) are refreshed, and withdrawn (`proposed` =
    /// false) when absent; a rejected pair is re-opened (status `new`) only if
    /// the request's or the case's version differs from the rejected one;
    /// confirmed pairs are left alone. A pair's version changes only when
    /// something in it does. [`StoreError::NotFound`] if there is no such request.
    async fn propose_matches(
        &self,
        request_id: RecordId,
        request_version: i64,
        proposals: &[ProposedMatch],
        actor: &Actor,
    ) -> Result<ProposalOutcome, StoreError>;

    async fn get_match(&self, id: MatchId) -> Result<Option<StoredMatch>, StoreError>;

    /// Every pair of a request, whatever its status, best score first.
    async fn matches_for_request(&self, request_id: RecordId) -> Result<Vec<StoredMatch>, StoreError>;

    /// Every pair of a case, whatever its status, best score first.
    async fn matches_for_case(&self, case_id: RecordId) -> Result<Vec<StoredMatch>, StoreError>;

    /// Record a review if the match is still at `expected_version`, and write
    /// `records` (each compare-and-swap on its own version) in the same
    /// transaction. A stale version of the match or of a record is
    /// [`StoreError::Conflict`]; no match is [`StoreError::MatchNotFound`].
    async fn review_match(
        &self,
        id: MatchId,
        expected_version: i64,
        decision: ReviewDecision<'_>,
        actor: &Actor,
        records: &[RecordWrite],
    ) -> Result<StoredMatch, StoreError>;

    /// Every pair, in id order (creation order), after `after`, at most
    /// `limit`: the statistics read all of them a page at a time.
    async fn list_matches(&self, after: Option<MatchId>, limit: u32) -> Result<Vec<StoredMatch>, StoreError>;

    /// Every status the match has had, oldest first; empty if there is no such match.
    async fn match_history(&self, id: MatchId) -> Result<Vec<MatchReview>, StoreError>;

    /// Records whose latest write comes after `after`, in feed order
    /// (change number, then id), at most `limit`.
    async fn changes_since(&self, after: ChangeCursor, limit: u32) -> Result<Vec<RecordChange>, StoreError>;

    /// The change number of the latest committed write (0 before any).
    async fn latest_change(&self) -> Result<i64, StoreError>;

    /// How far the matcher has matched the feed (shared by every process).
    async fn matcher_position(&self) -> Result<i64, StoreError>;

    /// Move the matcher's position forward to `position` (never back).
    async fn advance_matcher_position(&self, position: i64) -> Result<(), StoreError>;

    /// A way to be woken when any process commits a write, where the
    /// backend has one (PostgreSQL); `None` means: poll [`MatchStore::latest_change`].
    fn change_listener(&self) -> Option<crate::ChangeListener> {
        None
    }
}
