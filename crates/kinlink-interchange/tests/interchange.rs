//! The interchange format through its public functions, on synthetic people.

use chrono::NaiveDate;
use kinlink_core::{Calendar, DocumentKind, Relation, Sex};
use kinlink_interchange::{
    InterchangeRow, ReadError, parse_cases, parse_requests, read_rows, row_from_case, write_case_rows,
    write_request_rows,
};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).expect("valid")
}

/// The header before documents and addresses were added: older files still read.
const HEADER: &str = "id,given_name,family_name,other_names,sex,birth_date,birth_calendar,age_estimate,record_date,country_of_origin,place_of_origin,separation_date,separation_place,mother_name,father_name,languages";

fn rows(body: &str) -> Vec<InterchangeRow> {
    read_rows(format!("{HEADER}\n{body}").as_bytes()).expect("readable")
}

#[test]
fn reads_names_in_their_script_and_dates_in_their_calendar() {
    let rows = rows(
        "C1,احمد,احمدزی,,M,1392-05,solar_hijri,,2026-10-01,AF,Kunduz,2025-11,Nimroz,Gul Bibi,,ps;fa\n\
         C2,Tesfay,G/Medhin,Gebremedhin,F,2008,ethiopian,,2026-10-02,ER,Asmara,,,,,ti\n\
         C3,Olena,Kovalenko,,F,,,12-14,2026-09-30,UA,,,,,,uk;ru\n",
    );
    let (valid, errors) = parse_cases(&rows, today());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(valid.len(), 3);
    let (id, first) = &valid[0];
    assert_eq!(id, "C1");
    assert_eq!(
        first.child.names.given.as_ref().map(|n| n.original.as_str()),
        Some("احمد")
    );
    let dob = first.child.date_of_birth.as_ref().expect("dob");
    assert_eq!(dob.calendar, Calendar::SolarHijri);
    let span = dob.gregorian.expect("derived");
    // Mordad 1392 = 2013-07-23 .. 2013-08-22.
    assert_eq!(
        span.earliest,
        NaiveDate::from_ymd_opt(2013, 7, 23).expect("valid")
    );
    assert_eq!(span.latest, NaiveDate::from_ymd_opt(2013, 8, 22).expect("valid"));
    assert_eq!(first.child.sex, Sex::Male);
    assert_eq!(first.child.family[0].relation, Relation::Mother);
    let third = &valid[2].1;
    let estimate = third.child.age_estimate.as_ref().expect("estimate");
    assert_eq!((estimate.min_years, estimate.max_years), (12, 14));
}

#[test]
fn every_bad_cell_is_named_by_row_and_column_without_its_value() {
    let rows = rows(
        "C1,Amina,Yusuf,,F,2013-02-30,,,2026-10-01,SO,,,,,,so\n\
         C2,Ali,Hassan,,X,2012,,,2026-10-01,XX,,,,,,zz\n\
         C3,Hawa,Abdi,,F,2012,,abc,,SO,,,,,,\n\
         C1,Duplicate,Id,,,,,,,,,,,,,\n",
    );
    let (valid, errors) = parse_cases(&rows, today());
    assert!(valid.is_empty());
    let found: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
    assert_eq!(
        found,
        [
            (2, "birth_date"),
            (3, "sex"),
            (3, "country_of_origin"),
            (3, "languages"),
            (4, "age_estimate"),
            (5, "id"),
        ]
    );
    let listing: String = errors.iter().map(|e| format!("{e}\n")).collect();
    assert!(listing.starts_with("row 2, column birth_date: "), "{listing}");
    for secret in ["Amina", "Hassan", "XX", "abc"] {
        assert!(!listing.contains(secret), "{listing}");
    }
}

#[test]
fn a_request_row_takes_its_inquirer_from_the_parent_columns() {
    let rows = rows(
        "R1,Maxamed,Cabdi,,M,2011,,,2026-10-01,SO,Kismaayo,,,,Cabdi Xasan,so\n\
         R2,Maria José,López,,F,,,9,2026-10-01,HN,,,,Rosa López,,es\n\
         R3,Nobody,Asked,,,,,,,,,,,,,\n",
    );
    let (valid, errors) = parse_requests(&rows, today());
    assert_eq!(valid.len(), 2);
    assert_eq!(valid[0].1.inquirer.relation, Relation::Father);
    assert_eq!(valid[1].1.inquirer.relation, Relation::Mother);
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].row, errors[0].column.as_str()), (4, "mother_name"));
}

#[test]
fn rows_survive_a_round_trip() {
    let input = rows(
        "C1,احمد,احمدزی,Wali;Khan,M,1392-05-10,solar_hijri,,2026-10-01,AF,Kunduz,2025-11,Nimroz,Gul Bibi,Wali Khan,ps;fa\n\
         C2,Olena,Kovalenko,,F,,,12-14,2026-09-30,UA,,,,,,uk\n",
    );
    let (valid, errors) = parse_cases(&input, today());
    assert!(errors.is_empty(), "{errors:?}");
    let mut out = Vec::new();
    write_case_rows(
        &mut out,
        valid.iter().map(|(id, c)| (id.clone(), c.as_ref().clone())),
    )
    .expect("writes");
    let again = read_rows(out.as_slice()).expect("re-reads");
    assert_eq!(again, input);
    assert_eq!(row_from_case("C1".into(), &valid[0].1), input[0]);

    let requests = rows("R1,Maxamed,Cabdi,,M,2011,,,2026-10-01,SO,Kismaayo,,,,Cabdi Xasan,so\n");
    let (valid, _) = parse_requests(&requests, today());
    let mut out = Vec::new();
    write_request_rows(
        &mut out,
        valid.iter().map(|(id, r)| (id.clone(), r.as_ref().clone())),
    )
    .expect("writes");
    assert_eq!(read_rows(out.as_slice()).expect("re-reads"), requests);
}

const FULL_HEADER: &str = "id,given_name,family_name,other_names,sex,birth_date,birth_calendar,age_estimate,record_date,country_of_origin,place_of_origin,separation_date,separation_place,mother_name,father_name,languages,document_type,document_number,document_country,address_street,address_number,address_details,postcode,address_locality,address_region,address_country";

#[test]
fn documents_and_addresses_are_read_written_and_checked() {
    let body = "C1,Amina,Yusuf,,F,2013,,,2026-10-01,SO,,,,,,so,unhcr_individual;birth_certificate,123-45678901;BC 2013/77,;SO,Jidka Wadnaha,12B,Block 4,,Kismaayo,Jubbada Hoose,SO\n\
         C2,Ali,Hassan,,M,2012,,,2026-10-01,SO,,,,,,,,99887766,,,,,2600,,,\n";
    let input = read_rows(format!("{FULL_HEADER}\n{body}").as_bytes()).expect("readable");
    let (valid, errors) = parse_cases(&input, today());
    assert!(errors.is_empty(), "{errors:?}");
    let first = &valid[0].1.child;
    assert_eq!(first.documents.len(), 2);
    assert_eq!(first.documents[0].kind, DocumentKind::UnhcrIndividual);
    assert_eq!(first.documents[0].issuing_country, None);
    assert_eq!(
        first.documents[1].issuing_country.as_ref().map(|c| c.as_str()),
        Some("SO")
    );
    let address = first.last_address.as_ref().expect("address");
    assert_eq!(address.house_number.as_deref(), Some("12B"));
    assert_eq!(address.postcode, None);
    let second = &valid[1].1.child;
    assert_eq!(second.documents[0].kind, DocumentKind::Other);
    assert_eq!(
        second.last_address.as_ref().and_then(|a| a.postcode.as_deref()),
        Some("2600")
    );

    let mut out = Vec::new();
    write_case_rows(
        &mut out,
        valid.iter().map(|(id, c)| (id.clone(), c.as_ref().clone())),
    )
    .expect("writes");
    assert_eq!(read_rows(out.as_slice()).expect("re-reads"), input);

    let bad = "C3,Hawa,Abdi,,F,2012,,,2026-10-01,SO,,,,,,,passport;visa,Secret1;Secret2,XX;SO,,,,,,,\n\
         C4,Hawa,Abdi,,F,2012,,,2026-10-01,SO,,,,,,,,Secret<3>,XX,,,,Secret-postcode-much-too-long,,,\n";
    let input = read_rows(format!("{FULL_HEADER}\n{bad}").as_bytes()).expect("readable");
    let (valid, errors) = parse_cases(&input, today());
    assert!(valid.is_empty());
    let found: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
    assert_eq!(
        found,
        [
            (2, "document_type"),
            (2, "document_country"),
            (3, "document_number"),
            (3, "document_country"),
            (3, "postcode"),
        ]
    );
    let listing: String = errors.iter().map(|e| format!("{e}\n")).collect();
    assert!(
        !listing.contains("Secret") && !listing.contains("XX"),
        "{listing}"
    );
}

#[test]
fn header_problems_are_refused() {
    assert!(
        matches!(read_rows("id,given_nmae\nC1,Ali\n".as_bytes()), Err(ReadError::UnknownColumn(c)) if c == "given_nmae")
    );
    assert!(matches!(
        read_rows("given_name\nAli\n".as_bytes()),
        Err(ReadError::NoIdColumn)
    ));
    assert!(matches!(
        read_rows("id,id\n1,2\n".as_bytes()),
        Err(ReadError::DuplicateColumn(_))
    ));
    assert!(matches!(
        read_rows("id,given_name\nC1,Ali,extra\n".as_bytes()),
        Err(ReadError::Malformed { row: 2, .. })
    ));
    // Columns may come in any order or be left out.
    let short = read_rows("given_name,id\nAli,C9\n".as_bytes()).expect("readable");
    assert_eq!(
        (short[0].id.as_str(), short[0].given_name.as_str()),
        ("C9", "Ali")
    );
}
