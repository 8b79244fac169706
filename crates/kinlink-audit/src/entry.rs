//! What an audit entry records, and its canonical encoding.

use std::fmt;

use chrono::{DateTime, Utc};
use kinlink_policy::{FieldGroups, Purpose, Resource, Via};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A record was read.
    Read,
    /// Records were listed or searched.
    List,
    /// A record was created.
    Create,
    /// A record was changed.
    Update,
    /// Records were exported.
    Export,
    /// A record was shared with another agency or country, or referred.
    Share,
    /// A record was erased (its data key destroyed).
    Erasure,
    /// A user signed in.
    SignIn,
    /// A sign-in failed (wrong password or unknown account).
    SignInFailure,
    /// A second-factor code was wrong or replayed.
    SecondFactorFailure,
    /// An account or source was locked out after repeated failures.
    Lockout,
    /// A user signed out or a session ended.
    SignOut,
    /// Roles, agency or team of an account changed.
    PermissionChange,
    /// An account was created, changed or disabled.
    AccountChange,
    /// An API token was issued.
    TokenIssued,
    /// An API token was revoked.
    TokenRevoked,
    /// Consent was given, changed or withdrawn.
    ConsentChange,
    /// Keys were rotated.
    KeyRotation,
    /// The retention rules were applied.
    RetentionRun,
}

impl EventKind {
    /// Every kind, for exhaustive tests and for reading stored entries back.
    pub const ALL: [EventKind; 19] = [
        EventKind::Read,
        EventKind::List,
        EventKind::Create,
        EventKind::Update,
        EventKind::Export,
        EventKind::Share,
        EventKind::Erasure,
        EventKind::SignIn,
        EventKind::SignInFailure,
        EventKind::SecondFactorFailure,
        EventKind::Lockout,
        EventKind::SignOut,
        EventKind::PermissionChange,
        EventKind::AccountChange,
        EventKind::TokenIssued,
        EventKind::TokenRevoked,
        EventKind::ConsentChange,
        EventKind::KeyRotation,
        EventKind::RetentionRun,
    ];

    /// The kind with this stable name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Stable name, part of the canonical encoding: never change one.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::Read => "read",
            EventKind::List => "list",
            EventKind::Create => "create",
            EventKind::Update => "update",
            EventKind::Export => "export",
            EventKind::Share => "share",
            EventKind::Erasure => "erasure",
            EventKind::SignIn => "sign_in",
            EventKind::SignInFailure => "sign_in_failure",
            EventKind::SecondFactorFailure => "second_factor_failure",
            EventKind::Lockout => "lockout",
            EventKind::SignOut => "sign_out",
            EventKind::PermissionChange => "permission_change",
            EventKind::AccountChange => "account_change",
            EventKind::TokenIssued => "token_issued",
            EventKind::TokenRevoked => "token_revoked",
            EventKind::ConsentChange => "consent_change",
            EventKind::KeyRotation => "key_rotation",
            EventKind::RetentionRun => "retention_run",
        }
    }
}

/// Who acted. All parts are optional: a failed sign-in for an unknown account
/// has no user (and the name typed is not recorded: it may be a password typed
/// in the wrong box).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The user, or the user an API token was issued to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<Uuid>,
    /// The user's agency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<Uuid>,
    /// How they authenticated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<Via>,
    /// The account or channel name, where there is no user id to name them
    /// (`cli:amina` for the command line before accounts, `demo`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<ActorName>,
}

/// The name of whoever acted: 1 to 64 characters of ASCII letters, digits
/// and `_ . - : @`, so that a name cannot carry free text into the log.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ActorName(String);

/// A name that [`ActorName::new`] refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an actor name is 1 to 64 characters of A-Z, a-z, 0-9 and _ . - : @")]
pub struct InvalidActorName;

impl ActorName {
    const MAX: usize = 64;

    fn allowed(c: char) -> bool {
        c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | ':' | '@')
    }

    /// The name, if it is made of allowed characters only.
    pub fn new(name: &str) -> Result<Self, InvalidActorName> {
        if !name.is_empty() && name.len() <= Self::MAX && name.chars().all(Self::allowed) {
            Ok(Self(name.to_owned()))
        } else {
            Err(InvalidActorName)
        }
    }

    /// The name with every other character replaced by `_` and cut to 64
    /// characters (an empty name becomes `_`): the log always says who, even
    /// when a login name holds characters the log does not keep.
    pub fn lossy(name: &str) -> Self {
        let mut kept: String = name
            .chars()
            .take(Self::MAX)
            .map(|c| if Self::allowed(c) { c } else { '_' })
            .collect();
        if kept.is_empty() {
            kept.push('_');
        }
        Self(kept)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ActorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ActorName {
    type Error = InvalidActorName;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(&value)
    }
}

impl From<ActorName> for String {
    fn from(name: ActorName) -> String {
        name.0
    }
}

/// The record an event concerns: its resource type and id, never its content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordRef {
    /// The resource type (a child case, a user account...).
    pub resource: Resource,
    /// The record's id.
    pub id: Uuid,
}

/// A reason code: lower-case ASCII letters, digits and `_`, at most 64
/// characters, so that no free text (and so no personal data) can enter the log.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReasonCode(String);

/// A reason code that is not lower-case snake case of at most 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a reason code is 1 to 64 characters of a-z, 0-9 and _")]
pub struct InvalidReasonCode;

impl ReasonCode {
    /// A code such as `firewall_enforcement_agency` (see `kinlink_policy::Denial::code`).
    pub fn new(code: &str) -> Result<Self, InvalidReasonCode> {
        let valid = !code.is_empty()
            && code.len() <= 64
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if valid {
            Ok(Self(code.to_owned()))
        } else {
            Err(InvalidReasonCode)
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ReasonCode {
    type Error = InvalidReasonCode;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(&value)
    }
}

impl From<ReasonCode> for String {
    fn from(code: ReasonCode) -> String {
        code.0
    }
}

/// How it ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome", content = "reason")]
pub enum Outcome {
    /// It was permitted and done.
    Success,
    /// It was refused, for this reason.
    Denied(ReasonCode),
    /// It was permitted but failed (e.g. a conflict or a storage error).
    Failed(ReasonCode),
}

/// One event to record: who, when, what, on which record, which field groups,
/// for which purpose, with which outcome. Never the values themselves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// When (kept to the microsecond: the canonical encoding's precision).
    pub at: DateTime<Utc>,
    /// What happened.
    pub kind: EventKind,
    /// Who acted.
    pub actor: Actor,
    /// The record concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<RecordRef>,
    /// The field groups read or written.
    #[serde(default)]
    pub field_groups: FieldGroups,
    /// The declared purpose, if the event had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<Purpose>,
    /// How it ended.
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// A SHA-256 digest: an entry's hash or the previous one it links to.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct EntryHash(pub [u8; 32]);

impl EntryHash {
    /// The `previous` of the first entry.
    pub const GENESIS: EntryHash = EntryHash([0; 32]);
}

impl fmt::Debug for EntryHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", hex::encode(self.0))
    }
}

impl fmt::Display for EntryHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl From<EntryHash> for String {
    fn from(hash: EntryHash) -> String {
        hex::encode(hash.0)
    }
}

impl TryFrom<String> for EntryHash {
    type Error = hex::FromHexError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        let mut bytes = [0; 32];
        hex::decode_to_slice(value, &mut bytes)?;
        Ok(EntryHash(bytes))
    }
}

/// An entry of the log: an event with its place in the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the log, from 0, without gaps.
    pub sequence: u64,
    /// The hash of the entry before (`GENESIS` for the first).
    pub previous: EntryHash,
    /// What happened.
    #[serde(flatten)]
    pub event: AuditEvent,
    /// SHA-256 of the canonical encoding of everything above.
    pub hash: EntryHash,
}

impl AuditEntry {
    /// The hash this entry's content should have.
    pub fn compute_hash(&self) -> EntryHash {
        hash_entry(self.sequence, self.previous, &self.event)
    }
}

/// A length-prefixed, versioned binary encoding. Written by hand rather than
/// with a serde format because the hash must never change for an entry already
/// written: field order and names are fixed here, not by derive order or enum
/// variant indices, and each enum is encoded by its stable name.
struct Canonical(Sha256);

impl Canonical {
    fn new(domain: &str) -> Self {
        let mut c = Canonical(Sha256::new());
        c.bytes(domain.as_bytes());
        c
    }

    fn bytes(&mut self, bytes: &[u8]) {
        // usize → u64 cannot truncate on any supported target.
        self.0.update((bytes.len() as u64).to_be_bytes());
        self.0.update(bytes);
    }

    fn u64(&mut self, n: u64) {
        self.0.update(n.to_be_bytes());
    }

    fn option<T>(&mut self, value: Option<T>, write: impl FnOnce(&mut Self, T)) {
        match value {
            None => self.0.update([0]),
            Some(v) => {
                self.0.update([1]);
                write(self, v);
            }
        }
    }

    fn finish(self) -> [u8; 32] {
        self.0.finalize().into()
    }
}

pub(crate) fn hash_entry(sequence: u64, previous: EntryHash, event: &AuditEvent) -> EntryHash {
    let mut c = Canonical::new("kinlink-audit-entry-v1");
    c.u64(sequence);
    c.bytes(&previous.0);
    c.u64(event.at.timestamp_micros() as u64);
    c.bytes(event.kind.as_str().as_bytes());
    c.option(event.actor.user, |c, u| c.bytes(u.as_bytes()));
    c.option(event.actor.agency, |c, a| c.bytes(a.as_bytes()));
    c.option(event.actor.via, |c, v| c.bytes(v.as_str().as_bytes()));
    c.option(event.actor.name.as_ref(), |c, n| c.bytes(n.as_str().as_bytes()));
    c.option(event.record, |c, r| {
        c.bytes(r.resource.as_str().as_bytes());
        c.bytes(r.id.as_bytes());
    });
    c.u64(u64::from(event.field_groups.bits()));
    c.option(event.purpose, |c, p| c.bytes(p.as_str().as_bytes()));
    match &event.outcome {
        Outcome::Success => c.bytes(b"success"),
        Outcome::Denied(code) => {
            c.bytes(b"denied");
            c.bytes(code.as_str().as_bytes());
        }
        Outcome::Failed(code) => {
            c.bytes(b"failed");
            c.bytes(code.as_str().as_bytes());
        }
    }
    EntryHash(c.finish())
}

pub(crate) fn checkpoint_message(sequence: u64, hash: EntryHash, at: DateTime<Utc>) -> [u8; 32] {
    let mut c = Canonical::new("kinlink-audit-checkpoint-v1");
    c.u64(sequence);
    c.bytes(&hash.0);
    c.u64(at.timestamp_micros() as u64);
    c.finish()
}
