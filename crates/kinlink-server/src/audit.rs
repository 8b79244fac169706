//! Every audit event of the server goes through [`emit`]: reads, listings
//! and exports of personal data, refusals, and security events (sign-in,
//! failure, lockout, sign-out, second-factor enrolment). Events carry who
//! (user, agency, how they authenticated, their account name), which record
//! id, which field groups, the purpose and the outcome; never a personal
//! value, a password, a code or a token.
//!
//! [`emit`] appends to the store's hash-chained audit log
//! (`Store::append_audit`), record ids included. Writes are not emitted
//! here: the store appends their entries in the write's own transaction,
//! with the account and purpose the [`kinlink_store::Actor`] carries. The
//! process log gets one line per event, without the record id: it is not
//! the protected log and must not become a list of which children were
//! looked at.
//!
//! A read is shown only once its entry is in the log (a failing append
//! fails the request); a refusal is refused whether or not its entry could
//! be appended. Requests with no credentials at all (401) go to the process
//! log only: they have no actor, and anyone on the network could otherwise
//! fill the chain.

use chrono::Utc;
use kinlink_audit::{Actor as AuditActor, ActorName, AuditEvent, EventKind, ReasonCode, RecordRef};
use kinlink_policy::{Action, FieldGroups, Purpose, Resource, Via};
use kinlink_store::Store;
use uuid::Uuid;

use crate::access::Caller;
use crate::error::ApiError;

/// How it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Allowed,
    /// Refused, with a stable reason code.
    Refused(&'static str),
}

/// One audit event.
#[derive(Clone, Debug)]
pub struct Event {
    /// `read`, `list`, `sign_in`, `lockout`, `sign_out`, `csrf`,
    /// `authentication`, `totp_enrolled`, ...
    pub kind: &'static str,
    /// The route template (never the URI: it may hold a record number).
    pub route: String,
    pub user: Option<Uuid>,
    pub agency: Option<Uuid>,
    pub via: Option<Via>,
    /// The account's user name (the audit keeps it to a restricted charset).
    pub name: Option<String>,
    pub resource: Option<Resource>,
    pub action: Option<Action>,
    pub purpose: Option<Purpose>,
    pub record: Option<Uuid>,
    pub groups: Option<FieldGroups>,
    pub outcome: Outcome,
}

impl Event {
    /// A security event (authentication, CSRF, sign-in, sign-out).
    pub fn security(kind: &'static str, route: &str, caller: Option<&Caller>, outcome: Outcome) -> Self {
        Self {
            kind,
            route: route.to_owned(),
            user: caller.map(|c| c.principal.user.0),
            agency: caller.map(|c| c.principal.agency.id.0),
            via: caller.map(|c| c.principal.via),
            name: caller.map(|c| c.username.clone()),
            resource: None,
            action: None,
            purpose: None,
            record: None,
            groups: None,
            outcome,
        }
    }

    /// A security event about a user known by id (a failed sign-in of an existing account).
    pub fn about_user(kind: &'static str, route: &str, user: Option<Uuid>, outcome: Outcome) -> Self {
        Self {
            user,
            ..Self::security(kind, route, None, outcome)
        }
    }

    /// An access to records.
    pub fn access(
        route: &str,
        caller: &Caller,
        resource: Resource,
        action: Action,
        purpose: Purpose,
        outcome: Outcome,
    ) -> Self {
        Self {
            resource: Some(resource),
            action: Some(action),
            purpose: Some(purpose),
            ..Self::security(action.as_str(), route, Some(caller), outcome)
        }
    }

    pub fn record(mut self, id: Uuid, groups: FieldGroups) -> Self {
        self.record = Some(id);
        self.groups = Some(groups);
        self
    }

    /// The same event about the route's resource and action (a refusal
    /// before the purpose is known, such as CSRF).
    pub fn on(mut self, resource: Resource, action: Action) -> Self {
        self.resource = Some(resource);
        self.action = Some(action);
        self
    }

    /// What the audit log calls it; `None` for what goes to the process log only.
    fn event_kind(&self) -> Option<EventKind> {
        let refused = matches!(self.outcome, Outcome::Refused(_));
        if let Some(action) = self.action {
            return Some(match action {
                Action::Read => EventKind::Read,
                Action::List => EventKind::List,
                Action::Create => EventKind::Create,
                Action::Update => EventKind::Update,
                Action::Export => EventKind::Export,
                Action::Share => EventKind::Share,
                Action::Erase => EventKind::Erasure,
            });
        }
        Some(match self.kind {
            "sign_in" if !refused => EventKind::SignIn,
            "sign_in" => match self.outcome {
                Outcome::Refused(reason) if reason.starts_with("totp") => EventKind::SecondFactorFailure,
                _ => EventKind::SignInFailure,
            },
            "lockout" => EventKind::Lockout,
            "sign_out" => EventKind::SignOut,
            // A signed-in caller's request refused for its CSRF token, on a
            // route about their own account.
            "csrf" => EventKind::AccountChange,
            "totp_enrolment_started" | "totp_enrolled" => EventKind::AccountChange,
            // No credentials, or none that are valid: no actor to record.
            _ => return None,
        })
    }

    /// The event as the audit log records it.
    fn to_audit(&self) -> Option<AuditEvent> {
        let kind = self.event_kind()?;
        let outcome = match self.outcome {
            Outcome::Allowed => kinlink_audit::Outcome::Success,
            Outcome::Refused(reason) => kinlink_audit::Outcome::Denied(
                // Reason codes are the policy's and ours: always valid; a
                // malformed one is recorded as such rather than dropped.
                ReasonCode::new(reason)
                    .or_else(|_| ReasonCode::new("unrecorded_reason"))
                    .ok()?,
            ),
        };
        Some(AuditEvent {
            at: Utc::now(),
            kind,
            actor: AuditActor {
                user: self.user,
                agency: self.agency,
                via: self.via,
                name: self.name.as_deref().map(ActorName::lossy),
            },
            record: match (self.resource, self.record) {
                (Some(resource), Some(id)) => Some(RecordRef { resource, id }),
                _ => None,
            },
            field_groups: self.groups.unwrap_or(FieldGroups::NONE),
            purpose: self.purpose,
            outcome,
        })
    }

    fn log(&self) {
        let (outcome, reason) = match self.outcome {
            Outcome::Allowed => ("allowed", ""),
            Outcome::Refused(reason) => ("refused", reason),
        };
        tracing::info!(
            target: "kinlink::audit",
            kind = self.kind,
            route = %self.route,
            user = ?self.user,
            via = self.via.map(Via::as_str),
            resource = self.resource.map(Resource::as_str),
            action = self.action.map(Action::as_str),
            purpose = self.purpose.map(Purpose::as_str),
            record = self.record.is_some(),
            groups = self.groups.map(|g| g.to_string()),
            outcome,
            reason,
            "audit"
        );
    }
}

/// Record `events` in the store's audit log, in one append. The one place
/// audit events leave the server. Fails (and the request with it) when the
/// log cannot be written: nothing is shown that was not recorded.
pub async fn emit_all(store: &dyn Store, events: Vec<Event>) -> Result<(), ApiError> {
    let mut chained = Vec::with_capacity(events.len());
    for event in &events {
        event.log();
        chained.extend(event.to_audit());
    }
    if chained.is_empty() {
        return Ok(());
    }
    store.append_audit(&chained).await.map_err(|e| {
        // Ids and positions only: a store error holds no personal value.
        tracing::error!(error = %e, "the audit log could not be written");
        ApiError::from(e)
    })?;
    Ok(())
}

/// Record `event` (see [`emit_all`]).
pub async fn emit(store: &dyn Store, event: Event) -> Result<(), ApiError> {
    emit_all(store, vec![event]).await
}

/// Record a refusal: the request is refused whether or not the entry could
/// be written (a failure is logged by [`emit_all`]).
pub async fn refused(store: &dyn Store, event: Event) {
    let _ = emit(store, event).await;
}
