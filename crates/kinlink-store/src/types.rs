use chrono::{DateTime, Utc};
use kinlink_audit::ActorName;
use kinlink_core::{RecordId, RecordNumber};
use kinlink_policy::{Purpose, Via};
use serde::Serialize;
use uuid::Uuid;

/// Who makes a change, and why. The name (the user name of a signed-in
/// user, `cli:amina` for the command line) is recorded in every revision;
/// name, account, agency, how they signed in and purpose go into the audit
/// entry the store appends with every write. For a user of an agency, the
/// [`Ownership`] a record they create is given. Carried with each call
/// rather than added to every method of [`crate::Store`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    name: String,
    user: Option<Uuid>,
    agency: Option<Uuid>,
    via: Option<Via>,
    purpose: Option<Purpose>,
    owner: Option<Ownership>,
}

impl Actor {
    /// An actor known by name only, with no declared purpose, whose new
    /// records belong to no one in particular (reached only by
    /// deployment-wide roles).
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            user: None,
            agency: None,
            via: None,
            purpose: None,
            owner: None,
        }
    }

    /// An actor whose new records belong to `owner`.
    pub fn owned(name: impl Into<String>, owner: Ownership) -> Self {
        Self {
            owner: Some(owner),
            ..Self::new(name)
        }
    }

    /// The same actor acting for `purpose`.
    pub fn with_purpose(mut self, purpose: Purpose) -> Self {
        self.purpose = Some(purpose);
        self
    }

    /// The same actor as a signed-in account of an agency.
    pub fn with_account(mut self, user: Uuid, agency: Uuid, via: Via) -> Self {
        self.user = Some(user);
        self.agency = Some(agency);
        self.via = Some(via);
        self
    }

    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The declared purpose, if any.
    pub fn purpose(&self) -> Option<Purpose> {
        self.purpose
    }

    /// Who, as the audit log records it: the name is kept to the characters
    /// an [`ActorName`] allows.
    pub fn audit_actor(&self) -> kinlink_audit::Actor {
        kinlink_audit::Actor {
            user: self.user,
            agency: self.agency,
            via: self.via,
            name: Some(ActorName::lossy(&self.name)),
        }
    }

    pub fn owner(&self) -> Option<&Ownership> {
        self.owner.as_ref()
    }
}

/// Who a record belongs to, fixed when it is created: the user who created
/// it and their agency and team at the time. The policy's scope checks
/// (own, team, agency, deployment) are made against it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Ownership {
    pub user: Uuid,
    pub agency: Uuid,
    pub team: Option<Uuid>,
}

/// Which records a listing may return, in the query itself. `None` where a
/// `Visibility` is optional means the whole deployment.
///
/// A record is visible when `owner` created it, or when `agency` is given,
/// the record belongs to that agency and, if `teams` is given, to one of
/// those teams. This is the policy's scope: own (`agency: None`),
/// team (`agency` and `teams`), agency (`agency` only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Visibility {
    pub owner: Uuid,
    pub agency: Option<Uuid>,
    pub teams: Option<Vec<Uuid>>,
}

/// Everything the store knows about a record besides its body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordMeta {
    pub id: RecordId,
    pub number: RecordNumber,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
    pub external_id: Option<String>,
    /// Who the record belongs to; `None` for records written without one.
    /// Not part of the API's record shape: the policy reads it.
    #[serde(skip)]
    pub owner: Option<Ownership>,
}

/// A record as stored: metadata and the JSON body.
#[derive(Clone, Debug, PartialEq)]
pub struct RawRecord {
    pub meta: RecordMeta,
    pub body: String,
}

/// One version of a record.
#[derive(Clone, Debug, PartialEq)]
pub struct RawRevision {
    pub version: i64,
    pub changed_at: DateTime<Utc>,
    pub changed_by: String,
    pub body: String,
}

/// A record with its typed body.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoredRecord<T> {
    #[serde(flatten)]
    pub meta: RecordMeta,
    pub record: T,
}

/// One version of a record, typed.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Revision<T> {
    pub version: i64,
    pub changed_at: DateTime<Utc>,
    pub changed_by: String,
    pub record: T,
}
