//! Rows to records and back.
//!
//! Parsing a row happens in two steps: each cell is read into the domain
//! (reporting the cell's own column), then the whole record is validated by the
//! core and every failing field path is mapped back to the column it came from.

use std::collections::HashSet;
use std::io::Write;

use chrono::NaiveDate;
use kinlink_core::{
    Address, AgeEstimate, Calendar, CalendarDate, ChildCase, ChildIdentity, CountryCode, DocumentKind,
    FamilyMember, IdentityDocument, Inquirer, LanguageCode, PartialDate, PersonName, Place, Relation,
    Separation, Sex, TracingRequest, Validated, WrittenName,
};

use crate::read::{RowError, write_rows};
use crate::row::InterchangeRow;

/// Longest id accepted in the `id` column.
const MAX_ID_CHARS: usize = 100;

/// Collects the errors of one row.
struct RowReader<'a> {
    row: &'a InterchangeRow,
    number: usize,
    errors: Vec<RowError>,
}

impl<'a> RowReader<'a> {
    fn fail(&mut self, column: &str, message: impl Into<String>) {
        self.errors.push(RowError {
            row: self.number,
            column: column.to_owned(),
            message: message.into(),
        });
    }

    fn name(cell: &str) -> Option<WrittenName> {
        (!cell.is_empty()).then(|| WrittenName::new(cell))
    }

    fn sex(&mut self) -> Sex {
        match self.row.sex.to_ascii_uppercase().as_str() {
            "" => Sex::Unknown,
            "F" => Sex::Female,
            "M" => Sex::Male,
            _ => {
                self.fail("sex", "expected F, M or empty");
                Sex::Unknown
            }
        }
    }

    fn calendar(&mut self) -> Calendar {
        self.row
            .birth_calendar
            .parse()
            .unwrap_or_else(|e: kinlink_core::DateError| {
                self.fail("birth_calendar", e.to_string());
                Calendar::Gregorian
            })
    }

    fn partial_date(&mut self, column: &str, cell: &str, calendar: Calendar) -> Option<CalendarDate> {
        if cell.is_empty() {
            return None;
        }
        match cell.parse::<PartialDate>() {
            Ok(value) => Some(CalendarDate::new(value, calendar)),
            Err(e) => {
                self.fail(column, e.to_string());
                None
            }
        }
    }

    fn record_date(&mut self) -> Option<NaiveDate> {
        let cell = &self.row.record_date;
        if cell.is_empty() {
            return None;
        }
        match cell.parse::<PartialDate>() {
            Ok(PartialDate {
                year,
                month: Some(m),
                day: Some(d),
            }) => NaiveDate::from_ymd_opt(year, u32::from(m), u32::from(d)).or_else(|| {
                self.fail("record_date", "is not a valid Gregorian date");
                None
            }),
            _ => {
                self.fail("record_date", "expected a full date YYYY-MM-DD");
                None
            }
        }
    }

    /// `12`, `12.5` (read as 12) or `12-14`, at the record date.
    fn age_estimate(&mut self, at: Option<NaiveDate>) -> Option<AgeEstimate> {
        let cell = self.row.age_estimate.as_str();
        if cell.is_empty() {
            return None;
        }
        let years = |text: &str| -> Option<u8> {
            let whole = text.trim().split_once('.').map_or(text.trim(), |(w, _)| w);
            whole.parse::<u8>().ok()
        };
        let range = match cell.split_once('-') {
            Some((lo, hi)) => years(lo).zip(years(hi)),
            None => years(cell).map(|y| (y, y)),
        };
        let Some((min, max)) = range else {
            self.fail("age_estimate", "expected years as 12, 12.5 or a range 12-14");
            return None;
        };
        let Some(at) = at else {
            self.fail(
                "age_estimate",
                "an age estimate needs the record_date it refers to",
            );
            return None;
        };
        Some(AgeEstimate::new(min, max, at))
    }

    fn country(&self) -> Option<CountryCode> {
        (!self.row.country_of_origin.is_empty()).then(|| CountryCode::new(&self.row.country_of_origin))
    }

    fn place(cell: &str) -> Option<Place> {
        Self::name(cell).map(|locality| Place {
            locality: Some(locality),
            ..Place::default()
        })
    }

    fn list(cell: &str) -> impl Iterator<Item = &str> {
        cell.split(';').map(str::trim).filter(|s| !s.is_empty())
    }

    /// The three parallel document lists. A list of another length than the
    /// numbers' is reported on its column and left out.
    fn documents(&mut self) -> Vec<IdentityDocument> {
        let row = self.row;
        if row.document_number.is_empty() {
            for column in ["document_type", "document_country"] {
                let cell = if column == "document_type" {
                    &row.document_type
                } else {
                    &row.document_country
                };
                if !cell.is_empty() {
                    self.fail(column, "is given without a document_number");
                }
            }
            return Vec::new();
        }
        let entries = |cell: &str| -> Vec<String> { cell.split(';').map(|s| s.trim().to_owned()).collect() };
        let numbers = entries(&row.document_number);
        if numbers.iter().any(String::is_empty) {
            self.fail("document_number", "has an empty entry in its ;-separated list");
            return Vec::new();
        }
        let mut kinds = vec![DocumentKind::Other; numbers.len()];
        if !row.document_type.is_empty() {
            let given = entries(&row.document_type);
            let parsed: Option<Vec<DocumentKind>> = given
                .iter()
                .map(|k| DocumentKind::from_name(&k.to_ascii_lowercase()))
                .collect();
            match parsed {
                Some(p) if p.len() == numbers.len() => kinds = p,
                Some(_) => self.fail("document_type", "needs one entry per document_number"),
                None => self.fail(
                    "document_type",
                    "expected birth_certificate, national_id, passport, unhcr_individual or other",
                ),
            }
        }
        let mut countries = vec![None; numbers.len()];
        if !row.document_country.is_empty() {
            let given = entries(&row.document_country);
            if given.len() == numbers.len() {
                countries = given
                    .into_iter()
                    .map(|c| (!c.is_empty()).then(|| CountryCode::new(c)))
                    .collect();
            } else {
                self.fail("document_country", "needs one entry per document_number");
            }
        }
        numbers
            .into_iter()
            .zip(kinds)
            .zip(countries)
            .map(|((number, kind), issuing_country)| IdentityDocument {
                kind,
                number,
                issuing_country,
            })
            .collect()
    }

    fn address(&self) -> Option<Address> {
        let row = self.row;
        let text = |cell: &str| (!cell.is_empty()).then(|| cell.to_owned());
        let address = Address {
            street: text(&row.address_street),
            house_number: text(&row.address_number),
            details: text(&row.address_details),
            postcode: text(&row.postcode),
            locality: Self::name(&row.address_locality),
            admin_area: Self::name(&row.address_region),
            country: (!row.address_country.is_empty()).then(|| CountryCode::new(&row.address_country)),
        };
        (address != Address::default()).then_some(address)
    }

    fn parent(relation: Relation, cell: &str) -> Option<FamilyMember> {
        Self::name(cell).map(|n| FamilyMember::new(relation, PersonName::full(n)))
    }

    /// The identity fields every row carries.
    fn identity(&mut self, recorded_on: Option<NaiveDate>) -> ChildIdentity {
        let row = self.row;
        let calendar = self.calendar();
        let date_of_birth = self.partial_date("birth_date", &row.birth_date, calendar);
        let age_estimate = self.age_estimate(recorded_on);
        let separation_date = self.partial_date("separation_date", &row.separation_date, Calendar::Gregorian);
        let separation_place = Self::place(&row.separation_place);
        let separation = (separation_date.is_some() || separation_place.is_some()).then_some(Separation {
            date: separation_date,
            place: separation_place,
            cause: None,
        });
        ChildIdentity {
            names: PersonName {
                given: Self::name(&row.given_name),
                family: Self::name(&row.family_name),
                other: Self::list(&row.other_names).map(WrittenName::new).collect(),
                ..PersonName::default()
            },
            sex: self.sex(),
            date_of_birth,
            age_estimate,
            country_of_origin: self.country(),
            place_of_origin: Self::place(&row.place_of_origin),
            documents: self.documents(),
            last_address: self.address(),
            languages: Self::list(&row.languages).map(LanguageCode::new).collect(),
            separation,
            family: Self::parent(Relation::Mother, &row.mother_name)
                .into_iter()
                .chain(Self::parent(Relation::Father, &row.father_name))
                .collect(),
            ..ChildIdentity::default()
        }
    }

    fn id(&mut self) {
        if self.row.id.is_empty() {
            self.fail("id", "every row needs an id");
        } else if self.row.id.chars().count() > MAX_ID_CHARS || self.row.id.chars().any(char::is_control) {
            self.fail(
                "id",
                format!("must be at most {MAX_ID_CHARS} printable characters"),
            );
        }
    }
}

/// Read a row as a child case, not yet validated as a whole. Cells that could
/// not be read are left out of the record and reported, so that validating
/// the rest still finds every other problem of the row.
pub fn case_from_row(row: &InterchangeRow, number: usize) -> (ChildCase, Vec<RowError>) {
    let mut reader = RowReader {
        row,
        number,
        errors: Vec::new(),
    };
    reader.id();
    let recorded_on = reader.record_date();
    let child = reader.identity(recorded_on);
    let case = ChildCase {
        child,
        recorded_on,
        ..ChildCase::default()
    };
    (case, reader.errors)
}

/// Read a row as a tracing request for one child. The inquirer is the parent
/// named in `mother_name` or, failing that, `father_name`.
pub fn request_from_row(row: &InterchangeRow, number: usize) -> (TracingRequest, Vec<RowError>) {
    let mut reader = RowReader {
        row,
        number,
        errors: Vec::new(),
    };
    reader.id();
    let recorded_on = reader.record_date();
    let child = reader.identity(recorded_on);
    let inquirer = child
        .relative(Relation::Mother)
        .or_else(|| child.relative(Relation::Father))
        .map(|parent| Inquirer {
            names: parent.names.clone(),
            relation: parent.relation,
            contact: None,
            location: None,
        })
        .unwrap_or_else(|| {
            reader.fail(
                "mother_name",
                "a tracing request needs the inquirer's name in mother_name or father_name",
            );
            Inquirer {
                names: PersonName::default(),
                relation: Relation::Other,
                contact: None,
                location: None,
            }
        });
    let request = TracingRequest {
        inquirer,
        sought_children: vec![child],
        status: Default::default(),
        recorded_on,
        notes: None,
    };
    (request, reader.errors)
}

/// The column a validation path (`child.date_of_birth`, `sought_children[0].names.given.original`)
/// came from.
fn column_of(path: &str, family: &[FamilyMember]) -> &'static str {
    let field = path
        .strip_prefix("child.")
        .or_else(|| path.strip_prefix("sought_children[0]."))
        .unwrap_or(path);
    let table: [(&str, &str); 23] = [
        ("names.given", "given_name"),
        ("names.family", "family_name"),
        ("names.other", "other_names"),
        ("date_of_birth", "birth_date"),
        ("age_estimate", "age_estimate"),
        ("country_of_origin", "country_of_origin"),
        ("place_of_origin", "place_of_origin"),
        ("separation.date", "separation_date"),
        ("separation.place", "separation_place"),
        ("languages", "languages"),
        ("documents[", "document_number"),
        ("documents", "document_number"),
        ("last_address.street", "address_street"),
        ("last_address.house_number", "address_number"),
        ("last_address.details", "address_details"),
        ("last_address.postcode", "postcode"),
        ("last_address.locality", "address_locality"),
        ("last_address.admin_area", "address_region"),
        ("last_address.country", "address_country"),
        ("last_address", "address_street"),
        ("recorded_on", "record_date"),
        ("inquirer.names", "mother_name"),
        ("family[", "mother_name"),
    ];
    if field.starts_with("documents[") && field.ends_with(".issuing_country") {
        return "document_country";
    }
    let column = table
        .iter()
        .find(|(prefix, _)| field.starts_with(prefix))
        .map_or("", |(_, column)| *column);
    if column == "mother_name" {
        // Family members come from mother_name then father_name, in that order.
        let index = field
            .strip_prefix("family[")
            .and_then(|rest| rest.split(']').next())
            .and_then(|i| i.parse::<usize>().ok())
            .unwrap_or(0);
        if family.get(index).is_some_and(|m| m.relation == Relation::Father) {
            return "father_name";
        }
    }
    column
}

fn parse_all<T: kinlink_core::Record>(
    rows: &[InterchangeRow],
    today: NaiveDate,
    from_row: fn(&InterchangeRow, usize) -> (T, Vec<RowError>),
    family: fn(&T) -> &[FamilyMember],
) -> (Vec<(String, Validated<T>)>, Vec<RowError>) {
    let mut valid = Vec::with_capacity(rows.len());
    let mut errors = Vec::new();
    let mut ids = HashSet::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let number = i + 2;
        if !row.id.is_empty() && !ids.insert(row.id.as_str()) {
            errors.push(RowError {
                row: number,
                column: "id".into(),
                message: "this id appears on an earlier row".into(),
            });
            continue;
        }
        let (record, cell_errors) = from_row(row, number);
        let members = family(&record).to_vec();
        let validated = Validated::new(record, today);
        let cells_ok = cell_errors.is_empty();
        // A column whose cell could not be read is reported once, by the cell error.
        let reported: HashSet<String> = cell_errors.iter().map(|e| e.column.clone()).collect();
        errors.extend(cell_errors);
        match validated {
            Ok(v) if cells_ok => valid.push((row.id.clone(), v)),
            Ok(_) => {}
            Err(e) => errors.extend(
                e.errors
                    .into_iter()
                    .map(|f| RowError {
                        row: number,
                        column: column_of(&f.path, &members).to_owned(),
                        message: f.message,
                    })
                    .filter(|e| !reported.contains(&e.column)),
            ),
        }
    }
    (valid, errors)
}

/// Parse and validate every row as a child case; returns the valid records
/// keyed by their `id` and every error found.
pub fn parse_cases(
    rows: &[InterchangeRow],
    today: NaiveDate,
) -> (Vec<(String, Validated<ChildCase>)>, Vec<RowError>) {
    parse_all(rows, today, case_from_row, |c| &c.child.family)
}

/// Parse and validate every row as a tracing request.
pub fn parse_requests(
    rows: &[InterchangeRow],
    today: NaiveDate,
) -> (Vec<(String, Validated<TracingRequest>)>, Vec<RowError>) {
    parse_all(rows, today, request_from_row, |r| {
        r.sought_children.first().map_or(&[], |c| c.family.as_slice())
    })
}

fn text(name: Option<&WrittenName>) -> String {
    name.map(|n| n.original.clone()).unwrap_or_default()
}

/// A person's name as one cell: the whole name if recorded, else its parts.
fn full_name(names: &PersonName) -> String {
    if let Some(full) = &names.full {
        return full.original.clone();
    }
    names
        .given
        .iter()
        .chain(names.family.iter())
        .chain(names.other.iter())
        .map(|n| n.original.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn identity_row(id: String, child: &ChildIdentity, recorded_on: Option<NaiveDate>) -> InterchangeRow {
    let parent = |relation| {
        child
            .relative(relation)
            .map(|m| full_name(&m.names))
            .unwrap_or_default()
    };
    let (birth_date, birth_calendar) = match &child.date_of_birth {
        Some(d) if d.calendar == Calendar::Gregorian => (d.value.to_string(), String::new()),
        Some(d) => (d.value.to_string(), d.calendar.as_str().to_owned()),
        None => Default::default(),
    };
    let record_date = recorded_on.or(child.age_estimate.as_ref().map(|a| a.at));
    let separation = child.separation.as_ref();
    let documents =
        |part: fn(&IdentityDocument) -> &str| child.documents.iter().map(part).collect::<Vec<_>>().join(";");
    let address = child.last_address.as_ref();
    let address_text =
        |part: fn(&Address) -> Option<&String>| address.and_then(part).cloned().unwrap_or_default();
    InterchangeRow {
        id,
        given_name: text(child.names.given.as_ref()),
        family_name: text(child.names.family.as_ref()),
        other_names: child
            .names
            .other
            .iter()
            .map(|n| n.original.as_str())
            .collect::<Vec<_>>()
            .join(";"),
        sex: match child.sex {
            Sex::Female => "F",
            Sex::Male => "M",
            Sex::Other | Sex::Unknown => "",
        }
        .to_owned(),
        birth_date,
        birth_calendar,
        age_estimate: child
            .age_estimate
            .as_ref()
            .map(|a| {
                if a.min_years == a.max_years {
                    a.min_years.to_string()
                } else {
                    format!("{}-{}", a.min_years, a.max_years)
                }
            })
            .unwrap_or_default(),
        record_date: record_date.map(|d| d.to_string()).unwrap_or_default(),
        country_of_origin: child
            .country_of_origin
            .as_ref()
            .map(|c| c.to_string())
            .unwrap_or_default(),
        place_of_origin: text(child.place_of_origin.as_ref().and_then(|p| p.locality.as_ref())),
        separation_date: separation
            .and_then(|s| s.date.as_ref())
            .filter(|d| d.calendar == Calendar::Gregorian)
            .map(|d| d.value.to_string())
            .unwrap_or_default(),
        separation_place: text(
            separation
                .and_then(|s| s.place.as_ref())
                .and_then(|p| p.locality.as_ref()),
        ),
        mother_name: parent(Relation::Mother),
        father_name: parent(Relation::Father),
        languages: child
            .languages
            .iter()
            .map(|l| l.as_str())
            .collect::<Vec<_>>()
            .join(";"),
        document_type: if child.documents.iter().all(|d| d.kind == DocumentKind::Other) {
            String::new()
        } else {
            documents(|d| d.kind.as_str())
        },
        document_number: documents(|d| &d.number),
        document_country: if child.documents.iter().all(|d| d.issuing_country.is_none()) {
            String::new()
        } else {
            documents(|d| d.issuing_country.as_ref().map_or("", |c| c.as_str()))
        },
        address_street: address_text(|a| a.street.as_ref()),
        address_number: address_text(|a| a.house_number.as_ref()),
        address_details: address_text(|a| a.details.as_ref()),
        postcode: address_text(|a| a.postcode.as_ref()),
        address_locality: text(address.and_then(|a| a.locality.as_ref())),
        address_region: text(address.and_then(|a| a.admin_area.as_ref())),
        address_country: address
            .and_then(|a| a.country.as_ref())
            .map(|c| c.to_string())
            .unwrap_or_default(),
    }
}

/// A case as a row.
pub fn row_from_case(id: String, case: &ChildCase) -> InterchangeRow {
    identity_row(id, &case.child, case.recorded_on)
}

/// A tracing request as rows, one per sought child; the second and later
/// children get `#2`, `#3`... after the id. The inquirer's name fills the
/// parent column of their relation when the child's record lacks it.
pub fn row_from_request(id: String, request: &TracingRequest) -> Vec<InterchangeRow> {
    request
        .sought_children
        .iter()
        .enumerate()
        .map(|(i, child)| {
            let row_id = if i == 0 {
                id.clone()
            } else {
                format!("{id}#{}", i + 1)
            };
            let mut row = identity_row(row_id, child, request.recorded_on);
            let inquirer = full_name(&request.inquirer.names);
            match request.inquirer.relation {
                Relation::Mother if row.mother_name.is_empty() => row.mother_name = inquirer,
                Relation::Father if row.father_name.is_empty() => row.father_name = inquirer,
                _ => {}
            }
            row
        })
        .collect()
}

/// Write cases in the interchange format.
pub fn write_case_rows<W: Write>(
    writer: W,
    records: impl IntoIterator<Item = (String, ChildCase)>,
) -> Result<(), csv::Error> {
    write_rows(
        writer,
        records.into_iter().map(|(id, case)| row_from_case(id, &case)),
    )
}

/// Write tracing requests in the interchange format.
pub fn write_request_rows<W: Write>(
    writer: W,
    records: impl IntoIterator<Item = (String, TracingRequest)>,
) -> Result<(), csv::Error> {
    write_rows(
        writer,
        records
            .into_iter()
            .flat_map(|(id, request)| row_from_request(id, &request)),
    )
}
