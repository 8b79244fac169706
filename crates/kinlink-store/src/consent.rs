//! Consent and legal basis: on what ground a child's case or a tracing
//! request may be traced (matched), shared with other agencies or other
//! countries, or referred to services.
//!
//! A ground is either a **consent** (given by the child, a parent, a guardian
//! or another caregiver: a role, never a free name; when; in which language;
//! with which interpreter, by identifier) or a documented **legal basis**:
//! the child's best interests justify acting without consent (why, who
//! decided, who approved). Each is for one [`ConsentPurpose`]. Either can be
//! withdrawn, and withdrawal takes effect at once: [`ConsentStore::has_basis`]
//! and [`ConsentStore::may_share`] answer from the database on every call,
//! and the change feed carries the record again so that every server's
//! matcher drops it from its indexes (see `RecordChange::matchable`).
//!
//! Nothing is ever deleted: a withdrawn ground keeps who withdrew it and when.
//! Recording and withdrawing append a `consent_change` entry to the audit
//! log about the record, in the same transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kinlink_core::{RecordId, RecordKind};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Actor, StoreError};

/// What a ground allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConsentPurpose {
    /// Tracing the family: the record enters matching.
    Tracing,
    /// Sharing the record with other agencies in the country.
    SharingWithAgencies,
    /// Sharing the record with agencies of other countries.
    SharingWithCountries,
    /// Referring the child to services.
    Services,
}

impl ConsentPurpose {
    pub const ALL: [ConsentPurpose; 4] = [
        ConsentPurpose::Tracing,
        ConsentPurpose::SharingWithAgencies,
        ConsentPurpose::SharingWithCountries,
        ConsentPurpose::Services,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ConsentPurpose::Tracing => "tracing",
            ConsentPurpose::SharingWithAgencies => "sharing_with_agencies",
            ConsentPurpose::SharingWithCountries => "sharing_with_countries",
            ConsentPurpose::Services => "services",
        }
    }

    pub fn from_str_opt(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// Who gave consent: a role, not a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConsentGiver {
    Child,
    Parent,
    Guardian,
    /// Another caregiver with parental responsibility.
    Caregiver,
}

impl ConsentGiver {
    pub const ALL: [ConsentGiver; 4] = [
        ConsentGiver::Child,
        ConsentGiver::Parent,
        ConsentGiver::Guardian,
        ConsentGiver::Caregiver,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ConsentGiver::Child => "child",
            ConsentGiver::Parent => "parent",
            ConsentGiver::Guardian => "guardian",
            ConsentGiver::Caregiver => "caregiver",
        }
    }

    pub fn from_str_opt(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// Who decided that the child's best interests justify acting without consent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Decider {
    /// A best-interests determination panel.
    BestInterestsPanel,
    Court,
    ChildProtectionAuthority,
    Guardian,
}

impl Decider {
    pub const ALL: [Decider; 4] = [
        Decider::BestInterestsPanel,
        Decider::Court,
        Decider::ChildProtectionAuthority,
        Decider::Guardian,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Decider::BestInterestsPanel => "best_interests_panel",
            Decider::Court => "court",
            Decider::ChildProtectionAuthority => "child_protection_authority",
            Decider::Guardian => "guardian",
        }
    }

    pub fn from_str_opt(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// A consent to record. Checked by the caller (the server validates the
/// language code and the interpreter's identifier).
#[derive(Clone, Debug, PartialEq)]
pub struct NewConsent {
    pub purpose: ConsentPurpose,
    pub given_by: ConsentGiver,
    pub given_at: DateTime<Utc>,
    /// ISO 639-1 code of the language it was explained and given in.
    pub language: String,
    /// An identifier of the interpreter (an account name or the agency's
    /// interpreter number), if one took part.
    pub interpreter: Option<String>,
}

/// A legal basis to record: acting without consent in the child's best interests.
#[derive(Clone, Debug, PartialEq)]
pub struct NewLegalBasis {
    pub purpose: ConsentPurpose,
    /// Why the child's best interests justify it.
    pub reason: String,
    pub decided_by: Decider,
    pub decided_at: DateTime<Utc>,
    /// The account name of whoever approved it (not the one recording it).
    pub approved_by: String,
}

/// Whether a ground is a consent or a legal basis, with what each holds.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "basis", rename_all = "snake_case")]
pub enum Ground {
    Consent {
        given_by: ConsentGiver,
        /// When consent was given.
        given_at: DateTime<Utc>,
        language: String,
        interpreter: Option<String>,
    },
    LegalBasis {
        reason: String,
        decided_by: Decider,
        decided_at: DateTime<Utc>,
        approved_by: String,
    },
}

/// A consent or legal basis as stored.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsentRecord {
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub record_kind: RecordKind,
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub record_id: RecordId,
    pub purpose: ConsentPurpose,
    #[serde(flatten)]
    pub ground: Ground,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
    /// When it was withdrawn (consent) or ended (legal basis); `None` while it holds.
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdrawn_by: Option<String>,
}

impl ConsentRecord {
    /// Whether it still holds.
    pub fn is_active(&self) -> bool {
        self.withdrawn_at.is_none()
    }
}

/// Whether `grounds` (a record's, from [`ConsentStore::consents_for`]) allow
/// `purpose`: some consent or legal basis for it that has not been withdrawn.
pub fn allows(grounds: &[ConsentRecord], purpose: ConsentPurpose) -> bool {
    grounds.iter().any(|g| g.purpose == purpose && g.is_active())
}

/// Storage of consents and legal bases. Every [`Store`](crate::Store) is one.
#[async_trait]
pub trait ConsentStore: Send + Sync + 'static {
    /// Record a consent for the record `kind`/`id` ([`StoreError::NotFound`] if there is none).
    async fn record_consent(
        &self,
        kind: RecordKind,
        id: RecordId,
        consent: &NewConsent,
        actor: &Actor,
    ) -> Result<ConsentRecord, StoreError>;

    /// Record a legal basis for the record `kind`/`id`.
    async fn record_legal_basis(
        &self,
        kind: RecordKind,
        id: RecordId,
        basis: &NewLegalBasis,
        actor: &Actor,
    ) -> Result<ConsentRecord, StoreError>;

    /// Withdraw a consent (or end a legal basis) of the record `kind`/`id`,
    /// at once. [`StoreError::NoSuch`] if the record has no such ground that
    /// still holds.
    async fn withdraw_consent(
        &self,
        kind: RecordKind,
        id: RecordId,
        consent: Uuid,
        actor: &Actor,
    ) -> Result<ConsentRecord, StoreError>;

    /// Every consent and legal basis of a record, withdrawn ones included, oldest first.
    async fn consents_for(&self, kind: RecordKind, id: RecordId) -> Result<Vec<ConsentRecord>, StoreError>;

    /// Whether the record has a consent or legal basis for `purpose` that still holds.
    async fn has_basis(
        &self,
        kind: RecordKind,
        id: RecordId,
        purpose: ConsentPurpose,
    ) -> Result<bool, StoreError>;

    /// Whether the record may be shared for `purpose` (with other agencies,
    /// other countries, or services): the one check every way of sharing
    /// calls before anything leaves. A withdrawn consent is refused at once.
    async fn may_share(
        &self,
        kind: RecordKind,
        id: RecordId,
        purpose: ConsentPurpose,
    ) -> Result<bool, StoreError> {
        self.has_basis(kind, id, purpose).await
    }
}
