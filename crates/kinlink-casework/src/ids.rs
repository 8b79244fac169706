//! Identifiers used inside case management.
//!
//! Like the core, this crate has no randomness: ids are minted by the caller
//! (the store, in phase 2) and passed in with the command that creates the entry.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A person using kinlink: caseworker, supervisor, guardian, panel member,
/// complaints officer. Opaque here; accounts and roles belong to the security layer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(String);

impl UserId {
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

uuid_id!(
    /// An entry inside a case file: an approval request, a guardian appointment,
    /// a referral, a care placement, a visit, a complaint.
    EntryId
);
uuid_id!(
    /// A best-interests decision. Decisions are first-class records that will be
    /// shared across borders, so they have their own identity, not the case's.
    DecisionId
);

/// Who is acting. Whether the security layer lets this user act on this case
/// at all is decided before a command reaches case management; here only the
/// supervisor's role matters, because some steps need one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user: UserId,
    pub supervisor: bool,
}

impl Actor {
    pub fn caseworker(user: impl Into<String>) -> Self {
        Self {
            user: UserId::new(user),
            supervisor: false,
        }
    }
    pub fn supervisor(user: impl Into<String>) -> Self {
        Self {
            user: UserId::new(user),
            supervisor: true,
        }
    }
}
