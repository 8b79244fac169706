//! The role × resource × action × purpose matrix: invariants that must hold in
//! every cell, expectations from the issue, and a rendering of the whole
//! matrix compared with `tests/policy_matrix.txt`, so that any change of a
//! permission shows up in review. Regenerate with `KINLINK_UPDATE_SNAPSHOTS=1`.

mod common;

use common::{foreign_record, own_record, principal};
use kinlink_policy::rules::purpose_field_groups;
use kinlink_policy::{
    AccessRequest, Action, AgencyId, AgencyType, Denial, FieldGroup, FieldGroups, Grant, Purpose,
    RecordContext, Resource, Role, Scope, TeamId, UserId, authorize,
};
use uuid::Uuid;

fn grant(roles: &[Role], resource: Resource, action: Action, purpose: Purpose) -> Result<Grant, Denial> {
    authorize(
        &principal(AgencyType::ChildProtectionAuthority, roles),
        AccessRequest::new(resource, action, purpose),
    )
}

fn cells() -> impl Iterator<Item = (Role, Resource, Action, Purpose)> {
    Role::ALL.into_iter().flat_map(|role| {
        Resource::ALL.into_iter().flat_map(move |resource| {
            Action::ALL.into_iter().flat_map(move |action| {
                Purpose::ALL
                    .into_iter()
                    .map(move |purpose| (role, resource, action, purpose))
            })
        })
    })
}

#[test]
fn every_grant_stays_within_its_purpose_and_edits_only_what_it_sees() {
    let mut granted = 0;
    for (role, resource, action, purpose) in cells() {
        if let Ok(g) = grant(&[role], resource, action, purpose) {
            granted += 1;
            assert!(
                purpose_field_groups(purpose).is_superset(g.readable()),
                "{role:?} {purpose:?}"
            );
            assert!(
                g.readable().is_superset(g.editable()),
                "{role:?} {resource:?} {action:?}"
            );
            if !resource.holds_personal_data() {
                assert!(g.readable().is_empty(), "{role:?} {resource:?}");
            }
        }
    }
    assert!(granted > 50, "the matrix grants almost nothing: {granted}");
}

#[test]
fn administrators_and_statisticians_never_see_a_childs_data() {
    for (role, resource, action, purpose) in cells() {
        if matches!(role, Role::Administrator | Role::Statistician) && resource.holds_personal_data() {
            assert!(
                grant(&[role], resource, action, purpose).is_err(),
                "{role:?} {resource:?}"
            );
        }
    }
}

#[test]
fn statistics_audit_and_administration_purposes_never_reach_personal_data() {
    for (role, resource, action, purpose) in cells() {
        if matches!(
            purpose,
            Purpose::Statistics | Purpose::Audit | Purpose::Administration
        ) && resource.holds_personal_data()
        {
            assert_eq!(
                grant(&[role], resource, action, purpose).unwrap_err(),
                Denial::PurposeDoesNotCover
            );
        }
    }
}

#[test]
fn a_role_without_the_purpose_is_refused_for_that_reason() {
    let denial = grant(
        &[Role::Statistician],
        Resource::ChildCase,
        Action::Read,
        Purpose::CaseManagement,
    );
    assert_eq!(denial.unwrap_err(), Denial::PurposeNotAllowedForRole);
    let denial = grant(
        &[Role::BidPanelMember],
        Resource::ChildCase,
        Action::Update,
        Purpose::BestInterestsProcedure,
    );
    assert_eq!(denial.unwrap_err(), Denial::ActionNotAllowed);
}

#[test]
fn tracing_sees_identity_and_family_but_not_health_or_protection_concerns() {
    let g = grant(
        &[Role::TracingOfficer],
        Resource::ChildCase,
        Action::Read,
        Purpose::Tracing,
    )
    .unwrap();
    assert!(g.readable().contains(FieldGroup::Identity) && g.readable().contains(FieldGroup::Family));
    assert!(!g.readable().contains(FieldGroup::Health));
    assert!(!g.readable().contains(FieldGroup::ProtectionConcerns));
    assert_eq!(g.scope(), Scope::Deployment);
    // A caseworker tracing is limited by the purpose too, though the role sees everything.
    let g = grant(
        &[Role::Caseworker],
        Resource::ChildCase,
        Action::Read,
        Purpose::Tracing,
    )
    .unwrap();
    assert!(!g.readable().contains(FieldGroup::Health));
    let g = grant(
        &[Role::Caseworker],
        Resource::ChildCase,
        Action::Read,
        Purpose::CaseManagement,
    )
    .unwrap();
    assert_eq!(g.readable(), FieldGroups::ALL);
}

#[test]
fn several_roles_combine_for_the_declared_purpose_only() {
    let both = [Role::TracingOfficer, Role::Guardian];
    let tracing = grant(&both, Resource::ChildCase, Action::Read, Purpose::Tracing).unwrap();
    assert!(
        !tracing.readable().contains(FieldGroup::Health),
        "guardian's view leaked into tracing"
    );
    let managing = grant(&both, Resource::ChildCase, Action::Read, Purpose::CaseManagement).unwrap();
    assert!(managing.readable().contains(FieldGroup::Health));
    assert_eq!(
        managing.scope(),
        Scope::Own,
        "only the guardian role allows case management"
    );
}

#[test]
fn scope_reaches_own_team_agency_or_deployment() {
    let team_record = RecordContext {
        agency: AgencyId(Uuid::from_u128(100)),
        team: Some(TeamId(Uuid::from_u128(10))),
        owner: Some(UserId(Uuid::from_u128(3))),
        assigned: vec![],
    };
    let read = grant(
        &[Role::Caseworker],
        Resource::ChildCase,
        Action::Read,
        Purpose::CaseManagement,
    )
    .unwrap();
    let update = grant(
        &[Role::Caseworker],
        Resource::ChildCase,
        Action::Update,
        Purpose::CaseManagement,
    )
    .unwrap();
    assert!(read.covers(&own_record()) && read.covers(&team_record) && !read.covers(&foreign_record()));
    assert!(update.covers(&own_record()) && !update.covers(&team_record));
    let mut assigned = foreign_record();
    assigned.assigned.push(UserId(Uuid::from_u128(1)));
    let guardian = grant(
        &[Role::Guardian],
        Resource::ChildCase,
        Action::Read,
        Purpose::CaseManagement,
    )
    .unwrap();
    assert!(guardian.covers(&assigned) && !guardian.covers(&team_record));
    let dpo = grant(
        &[Role::DataProtectionOfficer],
        Resource::ChildCase,
        Action::Erase,
        Purpose::DataProtectionReview,
    );
    assert!(dpo.unwrap().covers(&foreign_record()));
}

fn groups(set: FieldGroups) -> String {
    match set {
        FieldGroups::ALL => "all".to_owned(),
        FieldGroups::NONE => "-".to_owned(),
        some => some.to_string(),
    }
}

fn render_matrix() -> String {
    let mut out = String::from(
        "# Every permitted (role, purpose, resource, action) for a child protection authority's user.\n\
         # Generated by crates/kinlink-policy/tests/matrix.rs; review changes like code.\n\
         # role | purpose | resource | action | scope | read | edit\n",
    );
    for role in Role::ALL {
        for purpose in Purpose::ALL {
            for resource in Resource::ALL {
                for action in Action::ALL {
                    if let Ok(g) = grant(&[role], resource, action, purpose) {
                        out.push_str(&format!(
                            "{role:?} | {purpose:?} | {} | {} | {:?} | {} | {}\n",
                            resource.as_str(),
                            action.as_str(),
                            g.scope(),
                            groups(g.readable()),
                            groups(g.editable())
                        ));
                    }
                }
            }
        }
    }
    out
}

#[test]
fn the_matrix_is_the_reviewed_one() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/policy_matrix.txt");
    let rendered = render_matrix();
    if std::env::var_os("KINLINK_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &rendered).unwrap();
    }
    let reviewed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        reviewed == rendered,
        "the permission matrix changed; review the difference and regenerate tests/policy_matrix.txt \
         with KINLINK_UPDATE_SNAPSHOTS=1"
    );
}
