//! The firewall: for every agency type, every role (alone and all together),
//! every resource, action and purpose.

mod common;

use common::{full_case, own_record, principal};
use kinlink_policy::{
    AccessRequest, Action, AgencyType, Denial, FirewallRule, Purpose, Resource, Role, authorize, firewall,
};

fn role_sets() -> Vec<Vec<Role>> {
    let mut sets: Vec<Vec<Role>> = Role::ALL.iter().map(|r| vec![*r]).collect();
    sets.push(Role::ALL.to_vec());
    sets
}

fn every_request() -> impl Iterator<Item = AccessRequest> {
    Resource::ALL.into_iter().flat_map(|resource| {
        Action::ALL.into_iter().flat_map(move |action| {
            Purpose::ALL
                .into_iter()
                .map(move |purpose| AccessRequest::new(resource, action, purpose))
        })
    })
}

#[test]
fn an_enforcement_purpose_is_refused_for_everyone_by_the_firewall() {
    for agency in AgencyType::ALL {
        for roles in role_sets() {
            let who = principal(agency, &roles);
            for request in every_request().filter(|r| r.purpose == Purpose::ImmigrationEnforcement) {
                assert_eq!(
                    authorize(&who, request).unwrap_err(),
                    Denial::Firewall(FirewallRule::EnforcementPurpose),
                    "{agency:?} {roles:?} {request:?}"
                );
            }
        }
    }
}

#[test]
fn an_immigration_authority_gets_statistics_and_nothing_else() {
    for roles in role_sets() {
        let who = principal(AgencyType::ImmigrationAuthority, &roles);
        let mut statistics_granted = false;
        for request in every_request() {
            match authorize(&who, request) {
                Ok(grant) => {
                    assert_eq!(request.resource, Resource::Statistics, "{roles:?} {request:?}");
                    assert!(grant.readable().is_empty() && grant.editable().is_empty());
                    statistics_granted = true;
                }
                Err(denial) => {
                    if request.resource != Resource::Statistics {
                        assert!(
                            matches!(denial, Denial::Firewall(_)),
                            "{roles:?} {request:?}: {denial:?}"
                        );
                    }
                }
            }
        }
        // The firewall lets statistics through: it is not a blanket refusal.
        assert!(statistics_granted, "{roles:?}");
    }
}

#[test]
fn an_agency_flagged_as_enforcement_is_treated_as_one() {
    for kind in AgencyType::ALL {
        for roles in role_sets() {
            let mut who = principal(kind, &roles);
            who.agency.immigration_enforcement = true;
            for request in every_request().filter(|r| r.resource != Resource::Statistics) {
                assert!(
                    matches!(authorize(&who, request), Err(Denial::Firewall(_))),
                    "{kind:?} {roles:?} {request:?}"
                );
            }
        }
    }
}

#[test]
fn other_agencies_pass_the_firewall_and_reach_personal_data_for_protection_purposes() {
    for kind in AgencyType::ALL
        .into_iter()
        .filter(|k| *k != AgencyType::ImmigrationAuthority)
    {
        let who = principal(kind, &[Role::Caseworker]);
        for request in every_request().filter(|r| r.purpose != Purpose::ImmigrationEnforcement) {
            assert_eq!(firewall(&who, request.resource, request.purpose), Ok(()));
        }
        let grant = authorize(
            &who,
            AccessRequest::new(Resource::ChildCase, Action::Read, Purpose::CaseManagement),
        )
        .expect("a caseworker of a protection agency reads cases");
        let view = grant.view(&own_record(), &full_case()).expect("own case");
        assert!(!view.fields().is_empty());
    }
}
