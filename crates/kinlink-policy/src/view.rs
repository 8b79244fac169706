//! Redaction in one place: the access-reduced [`View`] of a record, the only
//! form of a record meant to leave the system, and the edit checks.

use std::marker::PhantomData;

use kinlink_core::json::{JsonProblem, parse_json};
use kinlink_core::{Record, RecordKind};
use serde::Serialize;
use serde::ser::SerializeStruct;
use serde_json::{Map, Value};

use crate::classify::{changed, groups_present, overlay_json, redact_json, unclassified_paths};
use crate::decision::{Denial, Grant};
use crate::groups::FieldGroups;
use crate::vocab::{Action, RecordContext, Resource};

/// A type that may be serialised into a response, an export file or a message
/// to another deployment. Implemented for [`View`]; phase 2's response types
/// implement it for anonymised statistics and non-personal metadata.
///
/// By the orphan rule no crate but `kinlink-core` and this one can implement it
/// for [`kinlink_core::ChildCase`] or [`kinlink_core::TracingRequest`], and
/// neither does: the way out for a record is `Grant::view`.
pub trait Releasable: Serialize {}

/// Why a policy operation on a record failed.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// Access was refused.
    #[error(transparent)]
    Denied(#[from] Denial),
    /// The record could not be turned into JSON (does not happen with the
    /// domain types, whose serialisation cannot fail).
    #[error("the record could not be encoded")]
    Encoding,
    /// The submitted record, merged with the stored one, is not a valid
    /// document of the type. The message names the field, never the value.
    #[error("the submitted record does not fit the record type: {}: {}", .0.path, .0.message)]
    Submission(JsonProblem),
    /// The submission has fields the record type does not have. Their names
    /// are not repeated: a key can carry personal data as well as a value.
    #[error("the submitted record has {count} field(s) that the record type does not have")]
    UnknownFields {
        /// How many.
        count: usize,
    },
}

/// A record reduced to what one grant may see. Only [`Grant::view`] builds
/// one, and it serialises as `{"record": {...}, "withheld": [...]}` where
/// `withheld` lists every group the grant may not see, whether or not the
/// record holds data in it (saying which groups hold data would itself
/// disclose something, e.g. that a health condition is recorded).
pub struct View<T> {
    record: Map<String, Value>,
    withheld: FieldGroups,
    record_type: PhantomData<fn() -> T>,
}

impl<T> View<T> {
    /// The fields the grant may see, as JSON.
    pub fn fields(&self) -> &Map<String, Value> {
        &self.record
    }

    /// The groups withheld from this view.
    pub fn withheld(&self) -> FieldGroups {
        self.withheld
    }
}

/// Shows the withheld groups only: the fields are personal data.
impl<T> std::fmt::Debug for View<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("View")
            .field("fields", &self.record.len())
            .field("withheld", &self.withheld)
            .finish()
    }
}

impl<T> Serialize for View<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_struct("View", 2)?;
        out.serialize_field("record", &self.record)?;
        out.serialize_field("withheld", &self.withheld)?;
        out.end()
    }
}

impl<T> Releasable for View<T> {}

/// The policy resource a record type is.
pub const fn resource_of(kind: RecordKind) -> Resource {
    match kind {
        RecordKind::ChildCase => Resource::ChildCase,
        RecordKind::TracingRequest => Resource::TracingRequest,
    }
}

fn to_json<T: Record>(record: &T) -> Result<Value, PolicyError> {
    serde_json::to_value(record).map_err(|_| PolicyError::Encoding)
}

impl Grant {
    /// The record as this grant may see it: scope checked, then every field of
    /// a group the grant may not read removed. Needs a grant for reading,
    /// listing, exporting or sharing this record type.
    pub fn view<T: Record>(&self, context: &RecordContext, record: &T) -> Result<View<T>, PolicyError> {
        self.check_use(
            resource_of(T::KIND),
            &[Action::Read, Action::List, Action::Export, Action::Share],
        )?;
        self.check_scope(context)?;
        let full = to_json(record)?;
        let fields = match redact_json(T::KIND, &full, self.readable) {
            Some(Value::Object(map)) => map,
            _ => Map::new(),
        };
        Ok(View {
            record: fields,
            withheld: FieldGroups::ALL.difference(self.readable),
            record_type: PhantomData,
        })
    }

    /// Refuse a new record holding data in groups the grant may not edit.
    pub fn check_create<T: Record>(&self, record: &T) -> Result<(), PolicyError> {
        self.check_use(resource_of(T::KIND), &[Action::Create])?;
        let present = groups_present(T::KIND, &to_json(record)?);
        let forbidden = present.difference(self.editable);
        if forbidden.is_empty() {
            Ok(())
        } else {
            Err(Denial::FieldGroupsNotEditable { groups: forbidden }.into())
        }
    }

    /// Refuse a change from `before` to `after` that touches a group the
    /// grant may not edit, or a field no rule classifies.
    pub fn check_update<T: Record>(
        &self,
        context: &RecordContext,
        before: &T,
        after: &T,
    ) -> Result<(), PolicyError> {
        self.check_use(resource_of(T::KIND), &[Action::Update])?;
        self.check_scope(context)?;
        let change = changed(T::KIND, &to_json(before)?, &to_json(after)?);
        let forbidden = change.groups.difference(self.editable);
        if change.unclassified || !forbidden.is_empty() {
            Err(Denial::FieldGroupsNotEditable { groups: forbidden }.into())
        } else {
            Ok(())
        }
    }

    /// The stored record with the editable groups replaced by those of a
    /// submission, which may be (and usually is) the redacted view the user
    /// edited: withheld and read-only groups keep their stored values, so a
    /// user cannot erase what they were not shown. The result still has to be
    /// validated (`Validated::new`) before it is stored.
    pub fn apply_update<T: Record>(
        &self,
        context: &RecordContext,
        stored: &T,
        submitted: &Map<String, Value>,
    ) -> Result<T, PolicyError> {
        self.check_use(resource_of(T::KIND), &[Action::Update])?;
        self.check_scope(context)?;
        let submitted = Value::Object(submitted.clone());
        let unknown = unclassified_paths(T::KIND, &submitted).len();
        if unknown > 0 {
            return Err(PolicyError::UnknownFields { count: unknown });
        }
        let merged = overlay_json(T::KIND, &to_json(stored)?, &submitted, self.editable);
        let bytes = serde_json::to_vec(&merged).map_err(|_| PolicyError::Encoding)?;
        let updated: T = parse_json(&bytes).map_err(PolicyError::Submission)?;
        // Belt and braces: the merge can only touch editable groups; check it.
        self.check_update(context, stored, &updated)?;
        Ok(updated)
    }
}
