//! Every audit event of the server goes through [`emit`]: reads and writes of
//! personal data, refusals, and security events (sign-in, failure, lockout,
//! sign-out, second-factor enrolment). Events carry who, which route, which
//! record id, which field groups, the purpose and the outcome; never a
//! personal value, a password, a code or a token.
//!
//! Until the store's audit log lands, [`emit`] writes each event to the
//! `kinlink::audit` log target, without the record id: the
//! process log is not the protected, hash-chained audit table, and it must
//! not become a list of which children were looked at. Wiring [`emit`] to
//! the audit table (which keeps them) is a change to this one function.

use kinlink_policy::{Action, FieldGroups, Purpose, Resource};
use uuid::Uuid;

use crate::access::Caller;

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
    /// `read`, `create`, `sign_in`, `sign_out`, `totp_enrolled`, ...
    pub kind: &'static str,
    /// The route template (never the URI: it may hold a record number).
    pub route: String,
    pub user: Option<Uuid>,
    /// `session` or `api_token`.
    pub via: Option<&'static str>,
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
            via: caller.map(|c| c.principal.via.as_str()),
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
}

/// Record `event`. The one place audit events leave the server.
pub fn emit(event: Event) {
    let (outcome, reason) = match event.outcome {
        Outcome::Allowed => ("allowed", ""),
        Outcome::Refused(reason) => ("refused", reason),
    };
    tracing::info!(
        target: "kinlink::audit",
        kind = event.kind,
        route = %event.route,
        user = ?event.user,
        via = event.via,
        resource = event.resource.map(Resource::as_str),
        action = event.action.map(Action::as_str),
        purpose = event.purpose.map(Purpose::as_str),
        record = event.record.is_some(),
        groups = event.groups.map(|g| g.to_string()),
        outcome,
        reason,
        "audit"
    );
}
