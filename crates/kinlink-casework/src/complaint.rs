//! Complaints by a child or their guardian, routed to a designated independent person.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{EntryId, UserId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Complainant {
    Child,
    Guardian,
}

/// How the complaint arrived; a child must be able to complain without writing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintChannel {
    InPerson,
    Phone,
    Written,
    ComplaintBox,
    Online,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintStatus {
    Received,
    UnderReview,
    Resolved,
    Withdrawn,
}

impl ComplaintStatus {
    pub fn can_become(self, next: ComplaintStatus) -> bool {
        use ComplaintStatus::*;
        matches!(
            (self, next),
            (Received, UnderReview)
                | (Received, Withdrawn)
                | (UnderReview, Resolved)
                | (UnderReview, Withdrawn)
        )
    }
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Complaint {
    pub id: EntryId,
    pub lodged_by: Complainant,
    pub channel: ComplaintChannel,
    pub lodged_at: DateTime<Utc>,
    /// Who wrote it down (the child may have said it aloud).
    pub recorded_by: UserId,
    /// The designated independent person it is routed to.
    pub routed_to: UserId,
    /// What the complaint is about, as the complainant put it.
    pub summary: String,
    pub status: ComplaintStatus,
    #[serde(default)]
    pub outcome: Option<String>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}
