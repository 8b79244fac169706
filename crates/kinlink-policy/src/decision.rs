//! The one decision function: the firewall, then purpose, role, action and scope.

use serde::Serialize;

use crate::groups::FieldGroups;
use crate::rules::{purpose_covers, purpose_field_groups, role_policy, role_scope};
use crate::vocab::{Action, Principal, Purpose, RecordContext, Resource, Scope};

/// What is asked: an action on a resource, for a declared purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct AccessRequest {
    /// What is accessed.
    pub resource: Resource,
    /// What is done.
    pub action: Action,
    /// Why.
    pub purpose: Purpose,
}

impl AccessRequest {
    /// A request for `action` on `resource` for `purpose`.
    pub const fn new(resource: Resource, action: Action, purpose: Purpose) -> Self {
        Self {
            resource,
            action,
            purpose,
        }
    }
}

/// Which firewall rule refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FirewallRule {
    /// The request declared immigration enforcement as its purpose.
    EnforcementPurpose,
    /// The principal belongs to an immigration-enforcement agency and asked
    /// for something other than anonymised statistics.
    EnforcementAgency,
}

impl std::fmt::Display for FirewallRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FirewallRule::EnforcementPurpose => "children's data is never used for immigration enforcement",
            FirewallRule::EnforcementAgency => {
                "an immigration-enforcement agency receives anonymised statistics only"
            }
        })
    }
}

/// Why access was refused. Says which rule, never anything about the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum Denial {
    /// The firewall refused it; nothing else was considered.
    #[error("refused by the firewall: {0}")]
    Firewall(FirewallRule),
    /// The declared purpose cannot justify this action on this resource.
    #[error("the declared purpose does not cover this action on this resource")]
    PurposeDoesNotCover,
    /// None of the principal's roles allows the declared purpose.
    #[error("none of your roles allows the declared purpose")]
    PurposeNotAllowedForRole,
    /// None of the principal's roles allows the action on the resource.
    #[error("none of your roles allows this action on this resource")]
    ActionNotAllowed,
    /// The record lies outside the scope the roles reach.
    #[error("the record is outside the scope of your roles")]
    OutOfScope,
    /// A change touches field groups the principal may not edit.
    #[error("the change touches field groups you may not edit: {groups}")]
    FieldGroupsNotEditable {
        /// The groups that were touched without permission.
        groups: FieldGroups,
    },
    /// The grant was used for another record type or action than it was given for.
    #[error("this permission was granted for another resource or action")]
    GrantMismatch,
}

impl Denial {
    /// A stable code for the audit log and API errors.
    pub const fn code(&self) -> &'static str {
        match self {
            Denial::Firewall(FirewallRule::EnforcementPurpose) => "firewall_enforcement_purpose",
            Denial::Firewall(FirewallRule::EnforcementAgency) => "firewall_enforcement_agency",
            Denial::PurposeDoesNotCover => "purpose_does_not_cover",
            Denial::PurposeNotAllowedForRole => "purpose_not_allowed_for_role",
            Denial::ActionNotAllowed => "action_not_allowed",
            Denial::OutOfScope => "out_of_scope",
            Denial::FieldGroupsNotEditable { .. } => "field_groups_not_editable",
            Denial::GrantMismatch => "grant_mismatch",
        }
    }
}

/// The firewall between child protection and immigration enforcement
/// (Joint General Comment No. 3/22, para. 17). Every access decision starts
/// here, and nothing that comes after can undo a refusal:
///
/// - a request whose purpose is immigration enforcement is refused, whatever
///   it asks for and whoever asks;
/// - a principal of an immigration-enforcement agency (by type, or flagged by
///   the administrator) receives anonymised statistics and nothing else.
pub fn firewall(principal: &Principal, resource: Resource, purpose: Purpose) -> Result<(), Denial> {
    if purpose == Purpose::ImmigrationEnforcement {
        return Err(Denial::Firewall(FirewallRule::EnforcementPurpose));
    }
    if principal.agency.is_immigration_enforcement() && resource != Resource::Statistics {
        return Err(Denial::Firewall(FirewallRule::EnforcementAgency));
    }
    Ok(())
}

/// Decide whether `principal` may make `request`. The only way to obtain a
/// [`Grant`], and so the only way to a redacted [`crate::View`] of a record.
///
/// Order: the firewall; whether the purpose can justify the action on the
/// resource at all; which of the principal's roles allow the purpose and the
/// action. The grant is the union over those roles of their scope and field
/// groups, each role's groups limited to what the purpose may see.
pub fn authorize(principal: &Principal, request: AccessRequest) -> Result<Grant, Denial> {
    let AccessRequest {
        resource,
        action,
        purpose,
    } = request;
    firewall(principal, resource, purpose)?;
    if !purpose_covers(purpose, resource, action) {
        return Err(Denial::PurposeDoesNotCover);
    }
    // Field groups are parts of personal records; other resources have none.
    let purpose_limit = if resource.holds_personal_data() {
        purpose_field_groups(purpose)
    } else {
        FieldGroups::NONE
    };
    let mut any_role_has_purpose = false;
    let mut scope: Option<Scope> = None;
    let mut readable = FieldGroups::NONE;
    let mut editable = FieldGroups::NONE;
    for role in &principal.roles {
        let policy = role_policy(*role);
        if !policy.purposes.contains(&purpose) {
            continue;
        }
        any_role_has_purpose = true;
        let Some(role_scope) = role_scope(&policy, resource, action) else {
            continue;
        };
        scope = scope.max(Some(role_scope));
        let role_readable = policy.read.intersection(purpose_limit);
        readable = readable.union(role_readable);
        editable = editable.union(policy.edit.intersection(role_readable));
    }
    if !any_role_has_purpose {
        return Err(Denial::PurposeNotAllowedForRole);
    }
    let scope = scope.ok_or(Denial::ActionNotAllowed)?;
    if !matches!(action, Action::Create | Action::Update) {
        editable = FieldGroups::NONE;
    }
    Ok(Grant {
        principal: principal.clone(),
        request,
        scope,
        readable,
        editable,
    })
}

/// A permission that [`authorize`] gave: one action on one resource for one
/// purpose, within a scope, seeing and editing some field groups. It cannot be
/// built any other way (private fields, no `Deserialize`).
#[derive(Clone, Debug)]
pub struct Grant {
    pub(crate) principal: Principal,
    pub(crate) request: AccessRequest,
    pub(crate) scope: Scope,
    pub(crate) readable: FieldGroups,
    pub(crate) editable: FieldGroups,
}

impl Grant {
    /// The request this grant answers.
    pub fn request(&self) -> AccessRequest {
        self.request
    }

    /// The principal it was granted to.
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// The widest scope it reaches. A listing must filter records to it.
    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// The field groups the principal may see under this grant.
    pub fn readable(&self) -> FieldGroups {
        self.readable
    }

    /// The field groups the principal may change under this grant (always within [`Self::readable`]).
    pub fn editable(&self) -> FieldGroups {
        self.editable
    }

    /// Whether the record described by `context` is within the grant's scope.
    pub fn covers(&self, context: &RecordContext) -> bool {
        context.scope_for(&self.principal) <= self.scope
    }

    /// [`Self::covers`] as a result.
    pub fn check_scope(&self, context: &RecordContext) -> Result<(), Denial> {
        if self.covers(context) {
            Ok(())
        } else {
            Err(Denial::OutOfScope)
        }
    }

    /// Refuse use of the grant for anything but `resource` with one of `actions`.
    pub(crate) fn check_use(&self, resource: Resource, actions: &[Action]) -> Result<(), Denial> {
        if self.request.resource == resource && actions.contains(&self.request.action) {
            Ok(())
        } else {
            Err(Denial::GrantMismatch)
        }
    }
}
