use chrono::{DateTime, Utc};
use kinlink_core::{RecordId, RecordNumber};
use serde::Serialize;

/// Who made a change. Until accounts exist this names the channel and the
/// local user (`api`, `cli:amina`); it is recorded in every revision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Actor(String);

impl Actor {
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
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
