//! Accounts: agencies, teams, users, sessions and API tokens.
//!
//! [`AccountStore`] is a trait of its own, beside [`crate::Store`], so that
//! the record store can be replaced (in tests, a store that is down) without
//! touching sign-in. Both SQL backends implement it on the same database.
//!
//! Nothing secret is stored in a usable form: the store is handed Argon2id
//! hashes, SHA-256 hashes of session ids and token secrets, and TOTP secrets
//! already sealed under a data key that the master key wraps. Types holding
//! any of these print only what identifies them.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kinlink_policy::{AgencyType, Role};
use uuid::Uuid;

use crate::StoreError;

/// An agency taking part in the deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgencyRecord {
    pub id: Uuid,
    pub name: String,
    pub kind: AgencyType,
    /// Flagged by the administrator as taking part in immigration enforcement.
    pub immigration_enforcement: bool,
    pub created_at: DateTime<Utc>,
}

/// A team inside an agency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamRecord {
    pub id: Uuid,
    pub agency_id: Uuid,
    pub name: String,
}

/// A user's TOTP secret as stored: sealed, with its wrapped data key.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredTotp {
    /// The data key, wrapped by the master key (`kinlink_crypto::WrappedKey`).
    pub wrapped_key: Vec<u8>,
    /// The secret, sealed with that data key (`kinlink_crypto::Sealed`).
    pub sealed_secret: Vec<u8>,
    /// Whether the user proved, with a code, that their app has it.
    pub confirmed: bool,
    /// The last step accepted: only a later one is.
    pub last_step: Option<i64>,
}

impl fmt::Debug for StoredTotp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredTotp")
            .field("confirmed", &self.confirmed)
            .field("last_step", &self.last_step)
            .finish_non_exhaustive()
    }
}

/// A user account.
#[derive(Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: Uuid,
    /// Normalised (trimmed, lower case); unique in the deployment.
    pub username: String,
    pub agency_id: Uuid,
    pub teams: Vec<Uuid>,
    pub roles: Vec<Role>,
    /// Argon2id PHC string.
    pub password_hash: String,
    pub totp: Option<StoredTotp>,
    pub disabled: bool,
    /// Failed sign-ins since the last success.
    pub failed_sign_ins: i64,
    /// Signed-in refused until then (shared by every server process).
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserRecord")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("agency_id", &self.agency_id)
            .field("teams", &self.teams)
            .field("roles", &self.roles)
            .field("totp", &self.totp)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

/// What creating a user needs.
#[derive(Clone)]
pub struct NewUser {
    pub username: String,
    pub agency_id: Uuid,
    pub teams: Vec<Uuid>,
    pub roles: Vec<Role>,
    pub password_hash: String,
}

/// A signed-in session. The id itself is only in the user's cookie.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// SHA-256 of the session id, hex.
    pub hash: String,
    pub user_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// The absolute end, whatever the activity.
    pub expires_at: DateTime<Utc>,
    /// Signed in with a password only: the user must enrol a second factor
    /// before the session reaches anything else.
    pub totp_pending: bool,
}

impl fmt::Debug for SessionRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionRecord")
            .field("user_id", &self.user_id)
            .field("expires_at", &self.expires_at)
            .field("totp_pending", &self.totp_pending)
            .finish_non_exhaustive()
    }
}

/// An API token as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// The public part of the token: finds it, names it.
    pub prefix: String,
    /// SHA-256 of the secret part, hex.
    pub secret_hash: String,
    pub user_id: Uuid,
    /// What the token is for, in the owner's words.
    pub name: String,
    /// `resource:action` each.
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl fmt::Debug for TokenRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRecord")
            .field("prefix", &self.prefix)
            .field("user_id", &self.user_id)
            .field("scopes", &self.scopes)
            .field("expires_at", &self.expires_at)
            .field("revoked_at", &self.revoked_at)
            .finish_non_exhaustive()
    }
}

/// Accounts storage. Every write is atomic.
#[async_trait]
pub trait AccountStore: Send + Sync + 'static {
    /// A new agency; [`StoreError::Duplicate`] if the name is taken.
    async fn create_agency(
        &self,
        name: &str,
        kind: AgencyType,
        immigration_enforcement: bool,
    ) -> Result<AgencyRecord, StoreError>;
    async fn agency(&self, id: Uuid) -> Result<Option<AgencyRecord>, StoreError>;
    async fn agency_by_name(&self, name: &str) -> Result<Option<AgencyRecord>, StoreError>;
    /// Every agency, by name.
    async fn agencies(&self) -> Result<Vec<AgencyRecord>, StoreError>;

    /// A new team; [`StoreError::Duplicate`] if the agency has one of that name.
    async fn create_team(&self, agency_id: Uuid, name: &str) -> Result<TeamRecord, StoreError>;
    async fn team_by_name(&self, agency_id: Uuid, name: &str) -> Result<Option<TeamRecord>, StoreError>;
    /// Every team, by agency and name.
    async fn teams(&self) -> Result<Vec<TeamRecord>, StoreError>;

    /// A new user; [`StoreError::Duplicate`] if the user name is taken.
    async fn create_user(&self, user: &NewUser) -> Result<UserRecord, StoreError>;
    async fn user(&self, id: Uuid) -> Result<Option<UserRecord>, StoreError>;
    async fn user_by_name(&self, username: &str) -> Result<Option<UserRecord>, StoreError>;
    /// Every user, by user name.
    async fn users(&self) -> Result<Vec<UserRecord>, StoreError>;
    /// Disable or enable; disabling also ends the user's sessions.
    async fn set_disabled(&self, id: Uuid, disabled: bool) -> Result<(), StoreError>;
    /// A new password hash; ends the user's sessions and clears a lockout.
    async fn set_password_hash(&self, id: Uuid, hash: &str) -> Result<(), StoreError>;
    /// Replace the user's roles; ends their sessions (they must sign in again).
    async fn set_roles(&self, id: Uuid, roles: &[Role]) -> Result<(), StoreError>;
    /// Store a new, unconfirmed TOTP secret (or remove it with `None`).
    async fn set_totp(&self, id: Uuid, totp: Option<&StoredTotp>) -> Result<(), StoreError>;
    /// Mark the TOTP secret confirmed.
    async fn confirm_totp(&self, id: Uuid) -> Result<(), StoreError>;
    /// Record `step` as the last TOTP step used, if it is later than the one
    /// stored; `false` if it is not (a replay, possibly on another server
    /// process). One statement: two processes cannot both accept a step.
    async fn use_totp_step(&self, id: Uuid, step: i64) -> Result<bool, StoreError>;
    /// Count a failed sign-in and, if given, lock the account until then.
    async fn record_sign_in_failure(
        &self,
        id: Uuid,
        locked_until: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError>;
    /// A successful sign-in clears the failures and the lockout.
    async fn record_sign_in_success(&self, id: Uuid) -> Result<(), StoreError>;

    async fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError>;
    async fn session(&self, hash: &str) -> Result<Option<SessionRecord>, StoreError>;
    /// Note activity at `at` (idle expiry counts from the last activity).
    async fn touch_session(&self, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError>;
    /// The second factor is now enrolled: the session reaches everything.
    async fn complete_session(&self, hash: &str) -> Result<(), StoreError>;
    async fn delete_session(&self, hash: &str) -> Result<(), StoreError>;
    /// Delete sessions past their absolute expiry or idle since before `idle_before`.
    async fn delete_expired_sessions(
        &self,
        now: DateTime<Utc>,
        idle_before: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    async fn create_token(&self, token: &TokenRecord) -> Result<(), StoreError>;
    async fn token(&self, prefix: &str) -> Result<Option<TokenRecord>, StoreError>;
    /// Every token (of `user`, if given), newest first.
    async fn tokens(&self, user: Option<Uuid>) -> Result<Vec<TokenRecord>, StoreError>;
    /// Revoke; `false` if there is no such token or it was revoked already.
    async fn revoke_token(&self, prefix: &str, at: DateTime<Utc>) -> Result<bool, StoreError>;
}
