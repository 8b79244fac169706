//! Synthetic records with every field filled. Everyone here is invented; each
//! value carries a marker naming its field group, so a test can search the
//! serialised output for what must not be there.
#![allow(dead_code)]

use kinlink_core::{ChildCase, TracingRequest};
use kinlink_policy::{Agency, AgencyId, AgencyType, Principal, RecordContext, Role, TeamId, UserId, Via};
use serde_json::{Value, json};
use uuid::Uuid;

fn place(marker: &str) -> Value {
    json!({
        "locality": {"original": format!("{marker}-locality"), "latin": format!("{marker}-locality-latin")},
        "admin_area": {"original": format!("{marker}-area")},
        "country": "AF",
        "details": format!("{marker}-details"),
    })
}

fn identity(marker: &str) -> Value {
    json!({
        "names": {
            "full": {"original": format!("{marker}-IDENTITY-full")},
            "given": {"original": "احمد", "latin": format!("{marker}-IDENTITY-given")},
            "family": {"original": format!("{marker}-IDENTITY-family")},
            "other": [{"original": format!("{marker}-IDENTITY-other")}],
            "nicknames": [{"original": format!("{marker}-IDENTITY-nick")}],
        },
        "sex": "male",
        "date_of_birth": {"value": "1392-05", "calendar": "solar_hijri", "placeholder": false},
        "age_estimate": {"min_years": 11, "max_years": 13, "at": "2025-06-01"},
        "nationalities": ["AF"],
        "stateless": true,
        "country_of_origin": "AF",
        "place_of_origin": place(&format!("{marker}-IDENTITY-origin")),
        "documents": [{
            "kind": "unhcr_individual",
            "number": format!("{marker}-IDENTITY-document"),
            "issuing_country": "AF",
        }],
        "last_address": {
            "street": format!("{marker}-CONTACT-street"),
            "house_number": format!("{marker}-CONTACT-number"),
            "details": format!("{marker}-CONTACT-details"),
            "postcode": format!("{marker}-CONTACT-postcode"),
            "locality": {"original": format!("{marker}-CONTACT-locality")},
            "admin_area": {"original": format!("{marker}-CONTACT-area")},
            "country": "AF",
        },
        "ethnicity": format!("{marker}-IDENTITY-ethnicity"),
        "religion": format!("{marker}-IDENTITY-religion"),
        "languages": ["ps", "fa"],
        "separation": {
            "date": {"value": "2024-03", "calendar": "gregorian"},
            "place": place(&format!("{marker}-FAMILY-separation")),
            "cause": "flight",
        },
        "family": [{
            "relation": "mother",
            "names": {"given": {"original": format!("{marker}-FAMILY-mother")}},
            "sex": "female",
            "life_status": "alive",
            "date_of_birth": {"value": "1985", "calendar": "gregorian"},
            "age_estimate": {"min_years": 35, "max_years": 45, "at": "2025-06-01"},
            "location": place(&format!("{marker}-FAMILY-mother-location")),
            "contact": {"phone": "+93 700 000 000", "email": "mother@example.invalid", "address": format!("{marker}-FAMILY-address")},
            "separated_with_child": false,
            "notes": format!("{marker}-FAMILY-notes"),
        }],
    })
}

/// A case with every field filled; vulnerabilities of both groups.
pub fn full_case_json() -> Value {
    json!({
        "child": identity("case"),
        "accompaniment": "unaccompanied",
        "vulnerabilities": ["disability", "mental_health", "trafficking", "child_labour"],
        "current_location": place("case-CONTACT-current"),
        "care_arrangement": {
            "kind": "reception_centre",
            "since": "2025-01-15",
            "place": place("case-CONTACT-care"),
            "notes": "case-PROTECTION-care-notes",
        },
        "tracing_status": "in_progress",
        "recorded_on": "2025-01-10",
        "notes": "case-PROTECTION-notes",
    })
}

/// [`full_case_json`] as a record.
pub fn full_case() -> ChildCase {
    serde_json::from_value(full_case_json()).expect("fixture is a ChildCase")
}

/// A tracing request with every field filled and two sought children.
pub fn full_request_json() -> Value {
    json!({
        "inquirer": {
            "names": {"given": {"original": "request-FAMILY-inquirer"}},
            "relation": "mother",
            "contact": {"phone": "+93 700 000 001", "address": "request-CONTACT-address"},
            "location": place("request-CONTACT-location"),
        },
        "sought_children": [identity("sought1"), identity("sought2")],
        "status": "open",
        "recorded_on": "2025-02-01",
        "notes": "request-PROTECTION-notes",
    })
}

/// [`full_request_json`] as a record.
pub fn full_request() -> TracingRequest {
    serde_json::from_value(full_request_json()).expect("fixture is a TracingRequest")
}

/// A principal of an agency of `kind` holding `roles`.
pub fn principal(kind: AgencyType, roles: &[Role]) -> Principal {
    Principal {
        user: UserId(Uuid::from_u128(1)),
        agency: Agency {
            id: AgencyId(Uuid::from_u128(100)),
            kind,
            immigration_enforcement: false,
        },
        teams: vec![TeamId(Uuid::from_u128(10))],
        roles: roles.to_vec(),
        via: Via::Session,
    }
}

/// A record owned by the principal of [`principal`].
pub fn own_record() -> RecordContext {
    RecordContext {
        agency: AgencyId(Uuid::from_u128(100)),
        team: Some(TeamId(Uuid::from_u128(10))),
        owner: Some(UserId(Uuid::from_u128(1))),
        assigned: vec![],
    }
}

/// A record of another agency, owned by someone else.
pub fn foreign_record() -> RecordContext {
    RecordContext {
        agency: AgencyId(Uuid::from_u128(200)),
        team: Some(TeamId(Uuid::from_u128(20))),
        owner: Some(UserId(Uuid::from_u128(2))),
        assigned: vec![],
    }
}
