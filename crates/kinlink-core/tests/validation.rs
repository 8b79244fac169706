//! Validation of whole records: valid ones get their derived fields, invalid
//! ones report every failing path, and no message repeats a value.

use chrono::NaiveDate;
use kinlink_core::{
    Address, Calendar, CalendarDate, ChildCase, ChildIdentity, CountryCode, DocumentKind, FamilyMember,
    IdentityDocument, Inquirer, LanguageCode, PartialDate, PersonName, Relation, TracingRequest, Validated,
    WrittenName,
};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).expect("valid")
}

fn afghan_child() -> ChildIdentity {
    ChildIdentity {
        names: PersonName {
            given: Some(WrittenName::with_latin("احمد", "Ahmad")),
            family: Some(WrittenName::new("Ahmadzai")),
            ..Default::default()
        },
        date_of_birth: Some(CalendarDate::new(
            PartialDate::full(1392, 5, 10),
            Calendar::SolarHijri,
        )),
        country_of_origin: Some(CountryCode::new("af")),
        languages: vec![LanguageCode::new("PS"), LanguageCode::new("fa")],
        ..Default::default()
    }
}

#[test]
fn a_valid_case_gets_its_gregorian_interval_and_normalised_codes() {
    let case = ChildCase {
        child: afghan_child(),
        ..Default::default()
    };
    let valid = Validated::new(case, today()).expect("valid case");
    let dob = valid.child.date_of_birth.as_ref().expect("kept");
    let interval = dob.gregorian.expect("derived");
    // 10 Mordad 1392 SH = 2013-08-01.
    assert_eq!(
        interval.earliest,
        NaiveDate::from_ymd_opt(2013, 8, 1).expect("valid")
    );
    assert_eq!(interval.earliest, interval.latest);
    assert_eq!(
        valid.child.country_of_origin.as_ref().map(CountryCode::as_str),
        Some("AF")
    );
    assert_eq!(valid.child.languages[0].as_str(), "ps");
    // The name is kept exactly as written.
    assert_eq!(
        valid.child.names.given.as_ref().map(|n| n.original.as_str()),
        Some("احمد")
    );
}

#[test]
fn every_invalid_field_is_reported_with_its_path_and_without_its_value() {
    let mut child = afghan_child();
    child.names.given = Some(WrittenName::with_latin("Secretname\u{0007}", "ناصر"));
    child.date_of_birth = Some(CalendarDate::new(
        PartialDate::full(1392, 13, 1),
        Calendar::SolarHijri,
    ));
    child.country_of_origin = Some(CountryCode::new("XX"));
    child.languages.push(LanguageCode::new("zz"));
    child.family.push(FamilyMember::new(
        Relation::Mother,
        PersonName {
            given: Some(WrittenName::new("   ")),
            ..Default::default()
        },
    ));
    let case = ChildCase {
        child,
        recorded_on: NaiveDate::from_ymd_opt(2027, 1, 1),
        ..Default::default()
    };
    let errors = Validated::new(case, today()).expect_err("invalid").errors;
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "child.names.given.original",
            "child.names.given.latin",
            "child.date_of_birth",
            "child.country_of_origin",
            "child.languages[2]",
            "child.family[0].names.given.original",
            "recorded_on",
        ]
    );
    for e in &errors {
        assert!(
            !e.message.contains("Secretname") && !e.message.contains("ناصر"),
            "{e:?}"
        );
    }
}

#[test]
fn a_tracing_request_needs_an_inquirer_name_and_a_sought_child() {
    let request = TracingRequest {
        inquirer: Inquirer {
            names: PersonName::default(),
            relation: Relation::Mother,
            contact: None,
            location: None,
        },
        sought_children: vec![],
        status: Default::default(),
        recorded_on: None,
        notes: None,
    };
    let errors = Validated::new(request, today()).expect_err("invalid").errors;
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["inquirer.names", "sought_children"]);
}

#[test]
fn separation_before_birth_is_refused() {
    let mut child = afghan_child();
    child.separation = Some(kinlink_core::Separation {
        date: Some(CalendarDate::new(PartialDate::year(2010), Calendar::Gregorian)),
        place: None,
        cause: None,
    });
    let errors = Validated::new(
        ChildCase {
            child,
            ..Default::default()
        },
        today(),
    )
    .expect_err("invalid")
    .errors;
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].path, "child.separation.date");
}

#[test]
fn unknown_fields_are_rejected_when_parsing() {
    let json = r#"{"child": {"names": {"givne": {"original": "Ali"}}}}"#;
    let err = serde_json::from_str::<ChildCase>(json).expect_err("typo must be refused");
    assert!(err.to_string().contains("unknown field `givne`"), "{err}");
}

#[test]
fn documents_and_the_last_address_are_checked_without_echoing_them() {
    let mut child = afghan_child();
    child.documents = vec![
        IdentityDocument {
            kind: DocumentKind::UnhcrIndividual,
            number: "Secret\u{0007}123".into(),
            issuing_country: Some(CountryCode::new("XX")),
        },
        IdentityDocument {
            kind: DocumentKind::Passport,
            number: "P<Secret;99".into(),
            issuing_country: None,
        },
    ];
    child.last_address = Some(Address {
        postcode: Some("Secret-postcode-far-too-long-to-be-one".into()),
        ..Default::default()
    });
    let case = ChildCase {
        child,
        ..Default::default()
    };
    let errors = Validated::new(case, today()).expect_err("invalid").errors;
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    for path in [
        "child.documents[0].number",
        "child.documents[0].issuing_country",
        "child.documents[1].number",
        "child.last_address.postcode",
    ] {
        assert!(paths.contains(&path), "{path} in {paths:?}");
    }
    for e in &errors {
        assert!(!e.message.contains("Secret"), "{}", e.message);
    }

    let mut valid = afghan_child();
    valid.documents = vec![IdentityDocument {
        kind: DocumentKind::NationalId,
        number: "1-234 567/89".into(),
        issuing_country: Some(CountryCode::new("af")),
    }];
    valid.last_address = Some(Address {
        street: Some("Darulaman Road".into()),
        house_number: Some("12B".into()),
        postcode: Some("1001".into()),
        ..Default::default()
    });
    let case = ChildCase {
        child: valid,
        ..Default::default()
    };
    let v = Validated::new(case, today()).expect("valid");
    let json = serde_json::to_value(v.into_inner()).expect("json");
    assert_eq!(json["child"]["documents"][0]["issuing_country"], "AF");
    assert!(json["child"]["last_address"].get("locality").is_none());
    // Empty and absent fields stay out of the JSON.
    let bare = serde_json::to_value(afghan_child()).expect("json");
    assert!(bare.get("documents").is_none() && bare.get("last_address").is_none());
}
