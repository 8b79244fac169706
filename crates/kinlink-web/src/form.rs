//! The forms of the web application and what they become: the JSON of a
//! record, which the server then parses and validates as the API does.

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// One option of a `<select>`: the value sent, and its message key.
#[derive(Clone, Copy, Debug)]
pub struct Choice {
    pub value: &'static str,
    pub key: &'static str,
}

const fn choice(value: &'static str, key: &'static str) -> Choice {
    Choice { value, key }
}

pub const SEXES: &[Choice] = &[
    choice("unknown", "sex-unknown"),
    choice("female", "sex-female"),
    choice("male", "sex-male"),
    choice("other", "sex-other"),
];

pub const CALENDARS: &[Choice] = &[
    choice("gregorian", "cal-gregorian"),
    choice("solar_hijri", "cal-solar_hijri"),
    choice("ethiopian", "cal-ethiopian"),
    choice("islamic", "cal-islamic"),
];

pub const ACCOMPANIMENTS: &[Choice] = &[
    choice("unaccompanied", "acc-unaccompanied"),
    choice("separated", "acc-separated"),
    choice("accompanied", "acc-accompanied"),
    choice("unknown", "acc-unknown"),
];

/// Who gave consent to family tracing when the record was made (empty: not
/// yet). A record is matched only with a tracing consent or legal basis.
pub const CONSENT_GIVERS: &[Choice] = &[
    choice("", "consent-none"),
    choice("child", "consent-child"),
    choice("parent", "consent-parent"),
    choice("guardian", "consent-guardian"),
    choice("caregiver", "consent-caregiver"),
];

pub const RELATIONS: &[Choice] = &[
    choice("mother", "rel-mother"),
    choice("father", "rel-father"),
    choice("grandparent", "rel-grandparent"),
    choice("aunt_or_uncle", "rel-aunt_or_uncle"),
    choice("sibling", "rel-sibling"),
    choice("cousin", "rel-cousin"),
    choice("step_parent", "rel-step_parent"),
    choice("main_carer", "rel-main_carer"),
    choice("other", "rel-other"),
];

pub const TRACING_STATUSES: &[Choice] = &[
    choice("open", "ts-open"),
    choice("in_progress", "ts-in_progress"),
    choice("verification", "ts-verification"),
    choice("family_assessment", "ts-family_assessment"),
    choice("reunified", "ts-reunified"),
    choice("closed", "ts-closed"),
    choice("not_required", "ts-not_required"),
];

pub const MATCH_STATUSES: &[Choice] = &[
    choice("new", "ms-new"),
    choice("under_review", "ms-under_review"),
    choice("confirmed", "ms-confirmed"),
    choice("rejected", "ms-rejected"),
];

/// The compared fields of a match explanation.
pub const MATCH_FIELDS: &[Choice] = &[
    choice("given_name", "field-given-name"),
    choice("family_name", "field-family-name"),
    choice("sex", "field-sex"),
    choice("birth", "field-birth-date"),
    choice("country_of_origin", "field-country-of-origin"),
    choice("place_of_origin", "field-place-of-origin"),
    choice("languages", "field-language"),
    choice("separation_place", "field-separation-place"),
    choice("separation_date", "field-separation-date"),
    choice("mother_name", "field-mother"),
    choice("father_name", "field-father"),
];

/// Every key of every option table.
pub fn all_option_keys() -> Vec<String> {
    [
        SEXES,
        CALENDARS,
        ACCOMPANIMENTS,
        CONSENT_GIVERS,
        RELATIONS,
        TRACING_STATUSES,
        MATCH_STATUSES,
        MATCH_FIELDS,
    ]
    .iter()
    .flat_map(|table| table.iter().map(|c| c.key.to_owned()))
    .collect()
}

/// The message key of `value` in `table`, if it is one of its options.
pub fn key_of(table: &[Choice], value: &str) -> Option<&'static str> {
    table.iter().find(|c| c.value == value).map(|c| c.key)
}

/// A problem with a form field, before the record is validated: which
/// field (its `name`) and the message key. Never the value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub field: &'static str,
    pub key: &'static str,
}

fn problem(field: &'static str, key: &'static str) -> Problem {
    Problem { field, key }
}

fn text(value: &str) -> Option<&str> {
    let value = value.trim();
    (!value.is_empty()).then_some(value)
}

/// A name as written and, optionally, in Latin letters.
fn written(original: &str, latin: &str) -> Option<Value> {
    let original = text(original)?;
    let mut name = json!({ "original": original });
    if let Some(latin) = text(latin) {
        name["latin"] = json!(latin);
    }
    Some(name)
}

/// The child's identity fields shared by quick registration and the tracing form.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct IdentityFields {
    pub given_original: String,
    pub given_latin: String,
    pub family_original: String,
    pub family_latin: String,
    pub sex: String,
    pub birth_year: String,
    pub birth_month: String,
    pub birth_day: String,
    pub calendar: String,
    pub age_min: String,
    pub age_max: String,
    pub nationality: String,
    pub language: String,
}

fn number(field: &'static str, value: &str, problems: &mut Vec<Problem>) -> Option<u32> {
    let value = text(value)?;
    // Digits in any script the keyboard gives (Arabic-Indic ٠-٩, Persian ۰-۹).
    let digits: String = value
        .chars()
        .map(|c| match c {
            '٠'..='٩' => char::from_digit(c as u32 - '٠' as u32, 10).unwrap_or(c),
            '۰'..='۹' => char::from_digit(c as u32 - '۰' as u32, 10).unwrap_or(c),
            c => c,
        })
        .collect();
    match digits.parse() {
        Ok(n) => Some(n),
        Err(_) => {
            problems.push(problem(field, "error-number"));
            None
        }
    }
}

impl IdentityFields {
    /// The identity as record JSON (`ChildIdentity`), or what is wrong.
    fn identity(&self, today: NaiveDate, problems: &mut Vec<Problem>) -> Map<String, Value> {
        let mut identity = Map::new();
        let mut names = Map::new();
        if let Some(given) = written(&self.given_original, &self.given_latin) {
            names.insert("given".into(), given);
        }
        if let Some(family) = written(&self.family_original, &self.family_latin) {
            names.insert("family".into(), family);
        }
        if names.is_empty() {
            problems.push(problem("given_original", "error-name-required"));
        }
        identity.insert("names".into(), Value::Object(names));
        let sex = text(&self.sex).unwrap_or("unknown");
        if key_of(SEXES, sex).is_none() {
            problems.push(problem("sex", "error-choice"));
        }
        identity.insert("sex".into(), json!(sex));
        let year = number("birth_year", &self.birth_year, problems);
        let month = number("birth_month", &self.birth_month, problems);
        let day = number("birth_day", &self.birth_day, problems);
        match (year, month, day) {
            (Some(y), m, d) => {
                let mut value = format!("{y:04}");
                if let Some(m) = m {
                    value.push_str(&format!("-{m:02}"));
                    if let Some(d) = d {
                        value.push_str(&format!("-{d:02}"));
                    }
                } else if d.is_some() {
                    problems.push(problem("birth_month", "error-day-without-month"));
                }
                let calendar = text(&self.calendar).unwrap_or("gregorian");
                if key_of(CALENDARS, calendar).is_none() {
                    problems.push(problem("calendar", "error-choice"));
                }
                identity.insert(
                    "date_of_birth".into(),
                    json!({ "value": value, "calendar": calendar }),
                );
            }
            (None, None, None) => {}
            (None, ..) => problems.push(problem("birth_year", "error-year-required")),
        }
        let min = number("age_min", &self.age_min, problems);
        let max = number("age_max", &self.age_max, problems);
        match (min, max) {
            (None, None) => {}
            (min, max) => {
                let min = min.or(max).unwrap_or(0);
                let max = max.or(Some(min)).unwrap_or(min);
                identity.insert(
                    "age_estimate".into(),
                    json!({ "min_years": min, "max_years": max, "at": today }),
                );
            }
        }
        if let Some(nationality) = text(&self.nationality) {
            identity.insert("nationalities".into(), json!([nationality.to_uppercase()]));
        }
        if let Some(language) = text(&self.language) {
            identity.insert("languages".into(), json!([language.to_lowercase()]));
        }
        identity
    }
}

/// Quick registration at first contact: the handful of fields that protect the child now.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct CaseForm {
    #[serde(flatten)]
    pub child: IdentityFields,
    pub accompaniment: String,
    pub found_place: String,
    pub found_country: String,
    /// One of [`CONSENT_GIVERS`]: recorded with the case, not in it.
    pub tracing_consent: String,
}

impl CaseForm {
    /// The `ChildCase` JSON, or every problem found.
    pub fn to_record(&self, today: NaiveDate) -> Result<Value, Vec<Problem>> {
        let mut problems = Vec::new();
        let identity = self.child.identity(today, &mut problems);
        let accompaniment = text(&self.accompaniment).unwrap_or("unknown");
        if key_of(ACCOMPANIMENTS, accompaniment).is_none() {
            problems.push(problem("accompaniment", "error-choice"));
        }
        let mut record = json!({
            "child": identity,
            "accompaniment": accompaniment,
            "recorded_on": today,
        });
        let mut place = Map::new();
        if let Some(found) = written(&self.found_place, "") {
            place.insert("locality".into(), found);
        }
        if let Some(country) = text(&self.found_country) {
            place.insert("country".into(), json!(country.to_uppercase()));
        }
        if !place.is_empty() {
            record["current_location"] = Value::Object(place);
        }
        if problems.is_empty() {
            Ok(record)
        } else {
            Err(problems)
        }
    }
}

/// A tracing request: who is looking, and for which child.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct TracingForm {
    pub inquirer_original: String,
    pub inquirer_latin: String,
    pub relation: String,
    pub phone: String,
    /// One of [`CONSENT_GIVERS`]: recorded with the request, not in it.
    pub tracing_consent: String,
    #[serde(flatten)]
    pub child: IdentityFields,
}

impl TracingForm {
    /// The `TracingRequest` JSON, or every problem found.
    pub fn to_record(&self, today: NaiveDate) -> Result<Value, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut inquirer = Map::new();
        match written(&self.inquirer_original, &self.inquirer_latin) {
            Some(name) => {
                inquirer.insert("names".into(), json!({ "full": name }));
            }
            None => problems.push(problem("inquirer_original", "error-name-required")),
        }
        let relation = text(&self.relation).unwrap_or("other");
        if key_of(RELATIONS, relation).is_none() {
            problems.push(problem("relation", "error-choice"));
        }
        inquirer.insert("relation".into(), json!(relation));
        if let Some(phone) = text(&self.phone) {
            inquirer.insert("contact".into(), json!({ "phone": phone }));
        }
        let child = self.child.identity(today, &mut problems);
        let record = json!({
            "inquirer": inquirer,
            "sought_children": [child],
            "recorded_on": today,
        });
        if problems.is_empty() {
            Ok(record)
        } else {
            Err(problems)
        }
    }
}

/// A review of a match, as the form sends it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReviewForm {
    pub version: i64,
    pub status: String,
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).expect("date")
    }

    #[test]
    fn quick_registration_becomes_a_case() {
        let form = CaseForm {
            child: IdentityFields {
                given_original: "أحمد".into(),
                given_latin: "Ahmad".into(),
                sex: "male".into(),
                birth_year: "١٣٩٢".into(),
                birth_month: "5".into(),
                calendar: "solar_hijri".into(),
                nationality: "af".into(),
                language: "PS".into(),
                ..Default::default()
            },
            accompaniment: "unaccompanied".into(),
            tracing_consent: "child".into(),
            found_place: "Lesvos".into(),
            found_country: "gr".into(),
        };
        let record = form.to_record(today()).expect("valid");
        assert_eq!(record["child"]["names"]["given"]["original"], "أحمد");
        assert_eq!(record["child"]["names"]["given"]["latin"], "Ahmad");
        assert_eq!(record["child"]["date_of_birth"]["value"], "1392-05");
        assert_eq!(record["child"]["date_of_birth"]["calendar"], "solar_hijri");
        assert_eq!(record["child"]["nationalities"][0], "AF");
        assert_eq!(record["child"]["languages"][0], "ps");
        assert_eq!(record["current_location"]["country"], "GR");
        let case: kinlink_core::ChildCase = serde_json::from_value(record).expect("a ChildCase");
        assert_eq!(case.accompaniment, kinlink_core::Accompaniment::Unaccompanied);
    }

    #[test]
    fn problems_name_the_field_never_the_value() {
        let form = CaseForm {
            child: IdentityFields {
                birth_month: "5".into(),
                age_min: "ten".into(),
                sex: "dragon".into(),
                ..Default::default()
            },
            ..Default::default()
        };
        let problems = form.to_record(today()).expect_err("invalid");
        let fields: Vec<_> = problems.iter().map(|p| p.field).collect();
        assert_eq!(fields, ["given_original", "sex", "birth_year", "age_min"]);
    }

    #[test]
    fn a_tracing_request_seeks_one_child() {
        let form = TracingForm {
            inquirer_original: "Gul Bibi".into(),
            relation: "mother".into(),
            child: IdentityFields {
                given_original: "Ahmad".into(),
                age_min: "12".into(),
                ..Default::default()
            },
            ..Default::default()
        };
        let record = form.to_record(today()).expect("valid");
        assert_eq!(record["sought_children"][0]["age_estimate"]["max_years"], 12);
        let request: kinlink_core::TracingRequest = serde_json::from_value(record).expect("a request");
        assert_eq!(request.sought_children.len(), 1);
    }
}
