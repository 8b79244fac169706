//! The policy tables: what each purpose covers and what each role grants.
//! This file is what a data protection officer reviews; `tests/matrix.txt` is
//! its rendering, checked by a test so that every change shows in review.

use crate::groups::{FieldGroup::*, FieldGroups};
use crate::vocab::{Action, Action::*, Purpose, Resource, Role, Scope};

/// The field groups a purpose may ever see, whatever the role (data
/// minimisation: tracing needs identity and family, not health).
pub const fn purpose_field_groups(purpose: Purpose) -> FieldGroups {
    match purpose {
        Purpose::CaseManagement | Purpose::DataProtectionReview => FieldGroups::ALL,
        Purpose::Tracing => FieldGroups::of(&[Identity, Contact, Family, PhotosBiometrics, CaseStatus]),
        Purpose::BestInterestsProcedure => FieldGroups::of(&[
            Identity,
            Family,
            Health,
            ProtectionConcerns,
            ChildStatements,
            CaseStatus,
        ]),
        Purpose::ServiceReferral => FieldGroups::of(&[Identity, Contact, Health, CaseStatus]),
        Purpose::Statistics | Purpose::Audit | Purpose::Administration | Purpose::ImmigrationEnforcement => {
            FieldGroups::NONE
        }
    }
}

/// Whether a purpose can justify this action on this resource at all.
pub fn purpose_covers(purpose: Purpose, resource: Resource, action: Action) -> bool {
    match purpose {
        Purpose::ImmigrationEnforcement => false,
        Purpose::Statistics => resource == Resource::Statistics && matches!(action, Read | Export),
        Purpose::Audit => resource == Resource::AuditLog && matches!(action, Read | List | Export),
        Purpose::Administration => resource == Resource::UserAccount,
        Purpose::DataProtectionReview => {
            (resource.holds_personal_data() && matches!(action, Read | List | Export | Erase))
                || (resource == Resource::AuditLog && matches!(action, Read | List | Export))
        }
        Purpose::CaseManagement => {
            resource.holds_personal_data() && matches!(action, Read | List | Create | Update | Export | Share)
        }
        Purpose::Tracing => {
            resource.holds_personal_data() && matches!(action, Read | List | Create | Update | Share)
        }
        Purpose::BestInterestsProcedure => {
            resource.holds_personal_data() && matches!(action, Read | List | Update)
        }
        Purpose::ServiceReferral => resource.holds_personal_data() && matches!(action, Read | List | Share),
    }
}

/// One line of a role's grants: these actions on this resource, within this scope.
pub(crate) struct Permission {
    pub resource: Resource,
    pub actions: &'static [Action],
    pub scope: Scope,
}

/// A struct literal (not a `const fn` call) so that the tables are promoted to `'static`.
macro_rules! allow {
    ($resource:expr, [$($action:expr),*], $scope:expr) => {
        Permission {
            resource: $resource,
            actions: &[$($action),*],
            scope: $scope,
        }
    };
}

/// What a role allows.
pub(crate) struct RolePolicy {
    pub purposes: &'static [Purpose],
    pub permissions: &'static [Permission],
    /// Groups the role may see (further limited by the purpose).
    pub read: FieldGroups,
    /// Groups the role may change (further limited by the purpose and by `read`).
    pub edit: FieldGroups,
}

const STATISTICS: Permission = allow!(Resource::Statistics, [Read], Scope::Deployment);

pub(crate) fn role_policy(role: Role) -> RolePolicy {
    use Resource as R;
    use Scope::*;
    match role {
        Role::Caseworker => RolePolicy {
            purposes: &[
                Purpose::CaseManagement,
                Purpose::Tracing,
                Purpose::BestInterestsProcedure,
                Purpose::ServiceReferral,
                Purpose::Statistics,
            ],
            permissions: &[
                allow!(R::ChildCase, [Read, List, Share], Team),
                allow!(R::ChildCase, [Create, Update], Own),
                allow!(R::TracingRequest, [Read, List], Team),
                allow!(R::TracingRequest, [Create, Update], Own),
                allow!(R::MatchProposal, [Read, List], Team),
                allow!(R::Consent, [Read, List], Team),
                allow!(R::Consent, [Create, Update], Own),
                STATISTICS,
            ],
            read: FieldGroups::ALL,
            edit: FieldGroups::ALL,
        },
        Role::Supervisor => RolePolicy {
            purposes: &[
                Purpose::CaseManagement,
                Purpose::Tracing,
                Purpose::BestInterestsProcedure,
                Purpose::ServiceReferral,
                Purpose::Statistics,
            ],
            permissions: &[
                allow!(R::ChildCase, [Read, List, Create, Update, Export, Share], Team),
                allow!(R::TracingRequest, [Read, List, Create, Update, Share], Team),
                allow!(R::MatchProposal, [Read, List, Update], Team),
                allow!(R::Consent, [Read, List, Create, Update], Team),
                allow!(R::Statistics, [Read, Export], Deployment),
            ],
            read: FieldGroups::ALL,
            edit: FieldGroups::ALL,
        },
        Role::Guardian => RolePolicy {
            purposes: &[
                Purpose::CaseManagement,
                Purpose::BestInterestsProcedure,
                Purpose::ServiceReferral,
                Purpose::Statistics,
            ],
            permissions: &[
                allow!(R::ChildCase, [Read, List, Update], Own),
                allow!(R::Consent, [Read, List, Create, Update], Own),
                STATISTICS,
            ],
            read: FieldGroups::all_but(&[PhotosBiometrics]),
            edit: FieldGroups::of(&[ChildStatements]),
        },
        Role::TracingOfficer => RolePolicy {
            purposes: &[Purpose::Tracing, Purpose::Statistics],
            permissions: &[
                // Tracing searches every registration in the deployment; the
                // purpose keeps what it shows to what tracing needs.
                allow!(R::ChildCase, [Read, List], Deployment),
                allow!(R::ChildCase, [Update], Agency),
                allow!(R::TracingRequest, [Read, List, Create, Update, Share], Agency),
                allow!(R::MatchProposal, [Read, List, Create, Update], Deployment),
                allow!(R::Consent, [Read, List], Agency),
                STATISTICS,
            ],
            read: FieldGroups::of(&[Identity, Contact, Family, PhotosBiometrics, CaseStatus]),
            edit: FieldGroups::of(&[Identity, Contact, Family, CaseStatus]),
        },
        Role::BidPanelMember => RolePolicy {
            purposes: &[Purpose::BestInterestsProcedure, Purpose::Statistics],
            permissions: &[
                allow!(R::ChildCase, [Read, List], Agency),
                allow!(R::Consent, [Read, List], Agency),
                STATISTICS,
            ],
            read: FieldGroups::all_but(&[Contact, PhotosBiometrics]),
            edit: FieldGroups::NONE,
        },
        Role::LiaisonOfficer => RolePolicy {
            purposes: &[Purpose::CaseManagement, Purpose::Tracing, Purpose::Statistics],
            permissions: &[
                allow!(R::ChildCase, [Read, List, Share], Agency),
                allow!(R::TracingRequest, [Read, List, Share], Agency),
                allow!(R::MatchProposal, [Read, List], Agency),
                allow!(R::Consent, [Read, List], Agency),
                STATISTICS,
            ],
            read: FieldGroups::of(&[Identity, Contact, Family, CaseStatus]),
            edit: FieldGroups::NONE,
        },
        Role::DataProtectionOfficer => RolePolicy {
            purposes: &[Purpose::DataProtectionReview, Purpose::Audit, Purpose::Statistics],
            permissions: &[
                allow!(R::ChildCase, [Read, List, Export, Erase], Deployment),
                allow!(R::TracingRequest, [Read, List, Export, Erase], Deployment),
                allow!(R::MatchProposal, [Read, List, Export, Erase], Deployment),
                allow!(R::Consent, [Read, List, Export, Erase], Deployment),
                allow!(R::AuditLog, [Read, List, Export], Deployment),
                STATISTICS,
            ],
            read: FieldGroups::ALL,
            edit: FieldGroups::NONE,
        },
        Role::Statistician => RolePolicy {
            purposes: &[Purpose::Statistics],
            permissions: &[allow!(R::Statistics, [Read, Export], Deployment)],
            read: FieldGroups::NONE,
            edit: FieldGroups::NONE,
        },
        Role::Administrator => RolePolicy {
            purposes: &[Purpose::Administration, Purpose::Audit, Purpose::Statistics],
            permissions: &[
                allow!(R::UserAccount, [Read, List, Create, Update, Erase], Deployment),
                allow!(R::AuditLog, [Read, List], Deployment),
                STATISTICS,
            ],
            read: FieldGroups::NONE,
            edit: FieldGroups::NONE,
        },
    }
}

/// The widest scope in which `role` may do `action` on `resource`, if any.
pub(crate) fn role_scope(policy: &RolePolicy, resource: Resource, action: Action) -> Option<Scope> {
    policy
        .permissions
        .iter()
        .filter(|p| p.resource == resource && p.actions.contains(&action))
        .map(|p| p.scope)
        .max()
}
