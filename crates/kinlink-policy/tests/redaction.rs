//! Redaction removes exactly the withheld groups; edits touch only editable groups.

mod common;

use common::{full_case, full_case_json, full_request, full_request_json, own_record, principal};
use kinlink_core::{ChildCase, RecordKind, TracingRequest};
use kinlink_policy::classify::{changed, groups_present, redact_json, unclassified_paths};
use kinlink_policy::{
    AccessRequest, Action, AgencyType, Denial, FieldGroup, FieldGroups, PolicyError, Purpose, Resource, Role,
    authorize,
};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Markers the fixtures put in the values of each group.
fn markers(group: FieldGroup) -> &'static [&'static str] {
    match group {
        FieldGroup::Identity => &["IDENTITY"],
        FieldGroup::Contact => &["CONTACT"],
        FieldGroup::Family => &["FAMILY"],
        FieldGroup::Health => &["disability", "mental_health"],
        FieldGroup::ProtectionConcerns => &["PROTECTION", "trafficking", "child_labour"],
        FieldGroup::CaseStatus => &["unaccompanied", "reception_centre", "in_progress"],
        FieldGroup::ChildStatements | FieldGroup::PhotosBiometrics => &[],
    }
}

/// The fixture as the domain type writes it (so the test sees every field it serialises).
fn case_json() -> Value {
    serde_json::to_value(full_case()).unwrap()
}

fn request_json() -> Value {
    serde_json::to_value(full_request()).unwrap()
}

/// A case that differs from the fixture in every group.
fn changed_case_json() -> Value {
    let mut v = case_json();
    v["child"]["names"]["given"] = json!({"original": "other-IDENTITY-given"});
    v["child"]["family"][0]["names"] = json!({"given": {"original": "other-FAMILY-mother"}});
    v["current_location"] = json!({"details": "other-CONTACT-details"});
    v["vulnerabilities"] = json!(["pregnancy", "child_marriage"]);
    v["notes"] = json!("other-PROTECTION-notes");
    v["tracing_status"] = json!("reunified");
    v
}

#[test]
fn every_field_of_the_records_is_classified() {
    assert_eq!(
        unclassified_paths(RecordKind::ChildCase, &case_json()),
        Vec::<String>::new()
    );
    assert_eq!(
        unclassified_paths(RecordKind::TracingRequest, &request_json()),
        Vec::<String>::new()
    );
    // The fixtures really are full: serialising them loses nothing.
    assert_eq!(
        case_json()["child"]["family"][0]["contact"],
        full_case_json()["child"]["family"][0]["contact"]
    );
    assert_eq!(request_json()["inquirer"], full_request_json()["inquirer"]);
    let held = FieldGroups::all_but(&[FieldGroup::ChildStatements, FieldGroup::PhotosBiometrics]);
    assert_eq!(groups_present(RecordKind::ChildCase, &case_json()), held);
    assert_eq!(
        groups_present(RecordKind::TracingRequest, &request_json()),
        FieldGroups::all_but(&[
            FieldGroup::Health,
            FieldGroup::ChildStatements,
            FieldGroup::PhotosBiometrics
        ])
    );
}

#[test]
fn an_unclassified_field_is_withheld_from_everyone() {
    let mut v = case_json();
    v["child"]["secret_new_field"] = json!("NEW-FIELD-VALUE");
    assert_eq!(
        unclassified_paths(RecordKind::ChildCase, &v),
        vec!["child.secret_new_field".to_owned()]
    );
    let all = redact_json(RecordKind::ChildCase, &v, FieldGroups::ALL).unwrap();
    assert!(!all.to_string().contains("NEW-FIELD-VALUE"));
    let change = changed(RecordKind::ChildCase, &case_json(), &v);
    assert!(change.unclassified && change.groups.is_empty());
}

proptest! {
    #[test]
    fn redaction_keeps_exactly_the_permitted_groups(bits in any::<u8>(), use_request in any::<bool>()) {
        let (kind, full) = if use_request {
            (RecordKind::TracingRequest, request_json())
        } else {
            (RecordKind::ChildCase, case_json())
        };
        let keep = FieldGroups::from_bits(bits);
        let redacted = redact_json(kind, &full, keep).unwrap_or(json!({}));
        prop_assert_eq!(groups_present(kind, &redacted), keep.intersection(groups_present(kind, &full)));
        for group in FieldGroup::ALL {
            let only = FieldGroups::only(group);
            let expected = if keep.contains(group) { redact_json(kind, &full, only) } else { None };
            prop_assert_eq!(redact_json(kind, &redacted, only), expected);
        }
        let text = redacted.to_string();
        for group in FieldGroup::ALL {
            for marker in markers(group) {
                if kind == RecordKind::TracingRequest && group != FieldGroup::Identity && group != FieldGroup::Family
                    && group != FieldGroup::Contact && group != FieldGroup::ProtectionConcerns {
                    continue; // the request's fixture marks only these groups
                }
                if kind == RecordKind::TracingRequest && ["trafficking", "child_labour"].contains(marker) {
                    continue;
                }
                prop_assert_eq!(text.contains(marker), keep.contains(group), "{:?} {}", group, marker);
            }
        }
    }

    #[test]
    fn redacting_twice_is_redacting_by_the_intersection(a in any::<u8>(), b in any::<u8>()) {
        let (a, b) = (FieldGroups::from_bits(a), FieldGroups::from_bits(b));
        for (kind, full) in [(RecordKind::ChildCase, case_json()), (RecordKind::TracingRequest, request_json())] {
            let once = redact_json(kind, &full, a.intersection(b));
            let twice = redact_json(kind, &full, a).and_then(|r| redact_json(kind, &r, b));
            prop_assert_eq!(once, twice);
        }
    }

    #[test]
    fn a_change_is_reported_in_exactly_the_groups_it_touches(bits in any::<u8>()) {
        let groups = FieldGroups::from_bits(bits);
        let kind = RecordKind::ChildCase;
        let (base, other) = (case_json(), changed_case_json());
        // Take the groups in `groups` from `other`, the rest from `base`.
        let mixed = {
            let keep_base = redact_json(kind, &base, FieldGroups::ALL.difference(groups)).unwrap_or(json!({}));
            let take = redact_json(kind, &other, groups).unwrap_or(json!({}));
            merge(keep_base, take)
        };
        let change = changed(kind, &base, &mixed);
        prop_assert_eq!(change.groups, groups.intersection(changed(kind, &base, &other).groups));
        prop_assert!(!change.unclassified);
    }
}

#[test]
fn an_applied_update_takes_only_editable_groups() {
    // A supervisor may edit every group; each purpose restricts that differently.
    for purpose in [
        Purpose::CaseManagement,
        Purpose::Tracing,
        Purpose::BestInterestsProcedure,
    ] {
        let who = principal(AgencyType::Ngo, &[Role::Supervisor]);
        let grant = authorize(
            &who,
            AccessRequest::new(Resource::ChildCase, Action::Update, purpose),
        )
        .unwrap();
        let stored = full_case();
        let submitted = changed_case_json();
        let updated: ChildCase = grant
            .apply_update(&own_record(), &stored, submitted.as_object().unwrap())
            .unwrap();
        let updated_json = serde_json::to_value(&updated).unwrap();
        for group in FieldGroup::ALL {
            let only = FieldGroups::only(group);
            let source = if grant.editable().contains(group) {
                submitted.clone()
            } else {
                case_json()
            };
            assert_eq!(
                redact_json(RecordKind::ChildCase, &updated_json, only),
                redact_json(RecordKind::ChildCase, &source, only),
                "{group:?} under {purpose:?}"
            );
        }
    }
}

/// Deep-merge two JSON objects with disjoint leaves (test helper).
fn merge(a: Value, b: Value) -> Value {
    match (a, b) {
        (Value::Object(mut a), Value::Object(b)) => {
            for (k, v) in b {
                let merged = match a.remove(&k) {
                    Some(existing) => merge(existing, v),
                    None => v,
                };
                a.insert(k, merged);
            }
            Value::Object(a)
        }
        (Value::Array(a), Value::Array(b)) if a.iter().chain(&b).all(Value::is_string) => {
            Value::Array(a.into_iter().chain(b).collect())
        }
        (Value::Array(a), Value::Array(b)) => {
            let n = a.len().max(b.len());
            let mut a = a.into_iter();
            let mut b = b.into_iter();
            Value::Array(
                (0..n)
                    .map(|_| match (a.next(), b.next()) {
                        (Some(x), Some(y)) => merge(x, y),
                        (Some(x), None) | (None, Some(x)) => x,
                        (None, None) => Value::Null,
                    })
                    .collect(),
            )
        }
        (_, b) => b,
    }
}

#[test]
fn a_tracing_officer_edits_the_redacted_view_without_erasing_what_was_withheld() {
    let who = principal(AgencyType::UnAgency, &[Role::TracingOfficer]);
    let read = authorize(
        &who,
        AccessRequest::new(Resource::ChildCase, Action::Read, Purpose::Tracing),
    )
    .unwrap();
    let stored = full_case();
    let view = read.view(&own_record(), &stored).unwrap();
    assert!(!serde_json::to_string(&view).unwrap().contains("PROTECTION"));
    assert!(view.withheld().contains(FieldGroup::Health));
    let mut edited = view.fields().clone();
    edited["child"]["family"][0]["life_status"] = json!("dead");
    // Trying to write a protection note through the view is ignored: not editable.
    edited.insert("notes".into(), json!("tracing-officer-note"));
    let update = authorize(
        &who,
        AccessRequest::new(Resource::ChildCase, Action::Update, Purpose::Tracing),
    )
    .unwrap();
    let updated: ChildCase = update.apply_update(&own_record(), &stored, &edited).unwrap();
    assert_eq!(
        updated.child.family[0].life_status,
        kinlink_core::LifeStatus::Dead
    );
    assert_eq!(updated.notes, stored.notes);
    assert_eq!(updated.vulnerabilities, stored.vulnerabilities);
    assert_eq!(updated.care_arrangement, stored.care_arrangement);
    // A direct change of a health field is refused and says which group.
    let mut direct = stored.clone();
    direct
        .vulnerabilities
        .retain(|v| *v != kinlink_core::Vulnerability::Disability);
    let err = update.check_update(&own_record(), &stored, &direct).unwrap_err();
    assert!(matches!(
        err,
        PolicyError::Denied(Denial::FieldGroupsNotEditable { groups }) if groups == FieldGroups::only(FieldGroup::Health)
    ));
    // Unknown fields in a submission are refused, without repeating them.
    edited.insert("Mariam-Ahmadi".into(), json!(1));
    let err = update
        .apply_update::<ChildCase>(&own_record(), &stored, &edited)
        .unwrap_err();
    assert!(matches!(err, PolicyError::UnknownFields { count: 1 }));
    assert!(!err.to_string().contains("Mariam"));
}

#[test]
fn creation_is_refused_when_the_record_holds_groups_the_role_may_not_edit() {
    let tracer = principal(AgencyType::Ngo, &[Role::TracingOfficer]);
    let create = authorize(
        &tracer,
        AccessRequest::new(Resource::TracingRequest, Action::Create, Purpose::Tracing),
    )
    .unwrap();
    let mut request: TracingRequest = full_request();
    let err = create.check_create(&request).unwrap_err();
    assert!(matches!(
        err,
        PolicyError::Denied(Denial::FieldGroupsNotEditable { groups }) if groups == FieldGroups::only(FieldGroup::ProtectionConcerns)
    ));
    request.notes = None;
    create.check_create(&request).unwrap();
}

#[test]
fn a_grant_serves_only_its_own_record_type_and_scope() {
    let who = principal(AgencyType::Ngo, &[Role::Caseworker]);
    let requests = authorize(
        &who,
        AccessRequest::new(Resource::TracingRequest, Action::Read, Purpose::CaseManagement),
    )
    .unwrap();
    let err = requests.view(&own_record(), &full_case()).unwrap_err();
    assert!(matches!(err, PolicyError::Denied(Denial::GrantMismatch)));
    let cases = authorize(
        &who,
        AccessRequest::new(Resource::ChildCase, Action::Read, Purpose::CaseManagement),
    )
    .unwrap();
    let err = cases.view(&common::foreign_record(), &full_case()).unwrap_err();
    assert!(matches!(err, PolicyError::Denied(Denial::OutOfScope)));
}

#[test]
fn a_views_debug_shows_no_values() {
    let who = principal(AgencyType::Ngo, &[Role::Caseworker]);
    let cases = authorize(
        &who,
        AccessRequest::new(Resource::ChildCase, Action::Read, Purpose::CaseManagement),
    )
    .unwrap();
    let view = cases.view(&own_record(), &full_case()).unwrap();
    let debug = format!("{view:?}");
    assert!(!debug.contains("IDENTITY") && !debug.contains("احمد"), "{debug}");
    let json = serde_json::to_value(&view).unwrap();
    assert_eq!(json["withheld"], json!([]));
    assert_eq!(json["record"], case_json());
}
