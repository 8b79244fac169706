//! The child case and the identity fields shared with tracing requests.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::codes::{CountryCode, LanguageCode};
use crate::dates::{AgeEstimate, CalendarDate};
use crate::ids::RecordKind;
use crate::names::{PersonName, WrittenName};
use crate::record::Record;
use crate::validation::{Checker, MAX_NAME_CHARS};

/// Oldest age estimate accepted for a child record. Above 17 is not a child,
/// but estimates are ranges and a person who says they are a child is
/// registered as one while the assessment is in doubt.
pub const MAX_CHILD_AGE_ESTIMATE: u8 = 25;
/// Relatives' age estimates may be anything a human can be.
const MAX_ADULT_AGE_ESTIMATE: u8 = 120;
/// A tracing request seeks a family's children; more than this is a data error.
pub const MAX_SOUGHT_CHILDREN: usize = 20;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
    Other,
    #[default]
    Unknown,
}

/// Whether the child travels with the people who care for them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Accompaniment {
    /// Separated from both parents and other relatives, no adult responsible by law or custom.
    Unaccompanied,
    /// Separated from both parents or the previous primary caregiver, but possibly with other relatives.
    Separated,
    Accompanied,
    #[default]
    Unknown,
}

/// A family member's relation to the child. Family is meant broadly: whoever
/// the child and community count as family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    Mother,
    Father,
    Grandparent,
    AuntOrUncle,
    Sibling,
    Cousin,
    StepParent,
    MainCarer,
    Other,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LifeStatus {
    Alive,
    Dead,
    #[default]
    Unknown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Vulnerability {
    Disability,
    MentalHealth,
    MedicalCondition,
    GenderBasedViolence,
    Trafficking,
    ChildHeadedHousehold,
    Statelessness,
    ChildLabour,
    AssociatedWithArmedForces,
    ChildMarriage,
    Pregnancy,
    InConflictWithTheLaw,
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SeparationCause {
    ArmedConflict,
    NaturalDisaster,
    Flight,
    MigrationJourney,
    DeathOfParents,
    Abandonment,
    Abduction,
    Trafficking,
    DetentionOrDeportationOfParents,
    SentAwayByFamily,
    LostInCrowd,
    Other,
    Unknown,
}

/// Where a family's search stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TracingStatus {
    #[default]
    Open,
    InProgress,
    /// A match was confirmed and is being verified with the family and the child.
    Verification,
    /// The family is being assessed before reunification.
    FamilyAssessment,
    Reunified,
    Closed,
    /// Tracing is not needed (e.g. an accompanied child).
    NotRequired,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CareArrangementKind {
    WithParents,
    WithRelatives,
    FosterCare,
    ResidentialCare,
    ReceptionCentre,
    SupportedIndependentLiving,
    Independent,
    Other,
    Unknown,
}

/// A place: any of its parts may be unknown, but not all.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Place {
    /// Village, town, camp or city, as written.
    #[serde(default)]
    pub locality: Option<WrittenName>,
    /// Province, governorate, region.
    #[serde(default)]
    pub admin_area: Option<WrittenName>,
    #[serde(default)]
    pub country: Option<CountryCode>,
    #[serde(default)]
    pub details: Option<String>,
}

impl Place {
    pub fn check(&mut self, checker: &mut Checker, path: &str) {
        if self.locality.is_none()
            && self.admin_area.is_none()
            && self.country.is_none()
            && self.details.is_none()
        {
            checker.fail(
                path,
                "give at least one of locality, admin_area, country, details; or leave the place out",
            );
        }
        if let Some(l) = &self.locality {
            checker.written_name(&format!("{path}.locality"), l);
        }
        if let Some(a) = &self.admin_area {
            checker.written_name(&format!("{path}.admin_area"), a);
        }
        if let Some(c) = &mut self.country {
            checker.country(&format!("{path}.country"), c);
        }
        if let Some(d) = &self.details {
            checker.text(&format!("{path}.details"), d);
        }
    }
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
}

impl Contact {
    pub fn check(&self, checker: &mut Checker, path: &str) {
        if let Some(phone) = &self.phone {
            let p = format!("{path}.phone");
            checker.line(&p, phone, 40);
            let digits = phone.chars().filter(char::is_ascii_digit).count();
            let allowed = |c: char| c.is_ascii_digit() || " +-().".contains(c);
            if !phone.chars().all(allowed) || digits < 5 {
                checker.fail(
                    p,
                    "must be digits with optional + - ( ) . and spaces, at least 5 digits",
                );
            }
        }
        if let Some(email) = &self.email {
            let p = format!("{path}.email");
            checker.line(&p, email, 254);
            let parts: Vec<&str> = email.split('@').collect();
            if parts.len() != 2
                || parts[0].is_empty()
                || !parts[1].contains('.')
                || email.contains(char::is_whitespace)
            {
                checker.fail(p, "is not an e-mail address");
            }
        }
        if let Some(address) = &self.address {
            checker.text(&format!("{path}.address"), address);
        }
    }
}

/// Longest identity document number accepted.
pub const MAX_DOCUMENT_NUMBER_CHARS: usize = 50;
/// Longest house number or postcode accepted.
pub const MAX_ADDRESS_CODE_CHARS: usize = 20;

/// The kind of an identity document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    BirthCertificate,
    /// National identity card or number.
    NationalId,
    Passport,
    /// UNHCR registration (proGres individual number).
    UnhcrIndividual,
    Other,
}

impl DocumentKind {
    /// Every kind, in a fixed order.
    pub const ALL: [DocumentKind; 5] = [
        DocumentKind::BirthCertificate,
        DocumentKind::NationalId,
        DocumentKind::Passport,
        DocumentKind::UnhcrIndividual,
        DocumentKind::Other,
    ];

    /// Stable name, as in JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            DocumentKind::BirthCertificate => "birth_certificate",
            DocumentKind::NationalId => "national_id",
            DocumentKind::Passport => "passport",
            DocumentKind::UnhcrIndividual => "unhcr_individual",
            DocumentKind::Other => "other",
        }
    }

    /// The kind of a stable name.
    pub fn from_name(name: &str) -> Option<DocumentKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// An identity document the child holds or once held, as recorded from it.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IdentityDocument {
    pub kind: DocumentKind,
    /// The number as written on the document.
    pub number: String,
    #[serde(default)]
    pub issuing_country: Option<CountryCode>,
}

impl IdentityDocument {
    fn check(&mut self, checker: &mut Checker, path: &str) {
        let p = format!("{path}.number");
        checker.line(&p, &self.number, MAX_DOCUMENT_NUMBER_CHARS);
        let allowed = |c: char| c.is_alphanumeric() || " -/.".contains(c);
        if !self.number.chars().all(allowed) || !self.number.chars().any(char::is_alphanumeric) {
            checker.fail(p, "must be letters and digits, with optional spaces, - / or .");
        }
        if let Some(c) = &mut self.issuing_country {
            checker.country(&format!("{path}.issuing_country"), c);
        }
    }
}

/// A postal address: where the child (or their family) last lived. Kept
/// apart from [`Place`], which says where a child comes from or was
/// separated (a village, a camp, a border crossing) and has no street or
/// postcode.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// Street or road name, as written.
    #[serde(default)]
    pub street: Option<String>,
    #[serde(default)]
    pub house_number: Option<String>,
    /// Building, flat, block, camp section.
    #[serde(default)]
    pub details: Option<String>,
    #[serde(default)]
    pub postcode: Option<String>,
    /// Village, town or city.
    #[serde(default)]
    pub locality: Option<WrittenName>,
    /// Province, state, region.
    #[serde(default)]
    pub admin_area: Option<WrittenName>,
    #[serde(default)]
    pub country: Option<CountryCode>,
}

impl Address {
    pub fn check(&mut self, checker: &mut Checker, path: &str) {
        if *self == Address::default() {
            checker.fail(path, "give at least one part of the address; or leave it out");
        }
        checker.optional_line(&format!("{path}.street"), self.street.as_deref(), MAX_NAME_CHARS);
        checker.optional_line(
            &format!("{path}.house_number"),
            self.house_number.as_deref(),
            MAX_ADDRESS_CODE_CHARS,
        );
        checker.optional_line(
            &format!("{path}.details"),
            self.details.as_deref(),
            MAX_NAME_CHARS,
        );
        checker.optional_line(
            &format!("{path}.postcode"),
            self.postcode.as_deref(),
            MAX_ADDRESS_CODE_CHARS,
        );
        if let Some(l) = &self.locality {
            checker.written_name(&format!("{path}.locality"), l);
        }
        if let Some(a) = &self.admin_area {
            checker.written_name(&format!("{path}.admin_area"), a);
        }
        if let Some(c) = &mut self.country {
            checker.country(&format!("{path}.country"), c);
        }
    }
}

/// A member of the child's family, as the child or a relative describes them.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FamilyMember {
    pub relation: Relation,
    #[serde(default)]
    pub names: PersonName,
    #[serde(default)]
    pub sex: Sex,
    #[serde(default)]
    pub life_status: LifeStatus,
    #[serde(default)]
    pub date_of_birth: Option<CalendarDate>,
    #[serde(default)]
    pub age_estimate: Option<AgeEstimate>,
    /// Last known whereabouts.
    #[serde(default)]
    pub location: Option<Place>,
    #[serde(default)]
    pub contact: Option<Contact>,
    /// Whether this person was with the child when they were separated.
    #[serde(default)]
    pub separated_with_child: Option<bool>,
    #[serde(default)]
    pub notes: Option<String>,
}

impl FamilyMember {
    pub fn new(relation: Relation, names: PersonName) -> Self {
        Self {
            relation,
            names,
            sex: Sex::Unknown,
            life_status: LifeStatus::Unknown,
            date_of_birth: None,
            age_estimate: None,
            location: None,
            contact: None,
            separated_with_child: None,
            notes: None,
        }
    }

    fn check(&mut self, checker: &mut Checker, path: &str) {
        checker.person_name(&format!("{path}.names"), &self.names);
        if let Some(d) = &mut self.date_of_birth {
            checker.calendar_date(&format!("{path}.date_of_birth"), d);
        }
        if let Some(a) = &mut self.age_estimate {
            checker.age_estimate(&format!("{path}.age_estimate"), a, MAX_ADULT_AGE_ESTIMATE);
        }
        if let Some(l) = &mut self.location {
            l.check(checker, &format!("{path}.location"));
        }
        if let Some(c) = &self.contact {
            c.check(checker, &format!("{path}.contact"));
        }
        if let Some(n) = &self.notes {
            checker.text(&format!("{path}.notes"), n);
        }
    }
}

/// How the child came to be separated.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Separation {
    #[serde(default)]
    pub date: Option<CalendarDate>,
    #[serde(default)]
    pub place: Option<Place>,
    #[serde(default)]
    pub cause: Option<SeparationCause>,
}

/// Who the child is: the fields a case and a tracing request share, and that
/// matching compares. A tracing request fills them as far as the inquirer knows.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChildIdentity {
    #[serde(default)]
    pub names: PersonName,
    #[serde(default)]
    pub sex: Sex,
    /// The date of birth as given, in the calendar it was given in.
    #[serde(default)]
    pub date_of_birth: Option<CalendarDate>,
    /// An age estimate, when no date is known or the date is in doubt.
    #[serde(default)]
    pub age_estimate: Option<AgeEstimate>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nationalities: Vec<CountryCode>,
    #[serde(default)]
    pub stateless: bool,
    #[serde(default)]
    pub country_of_origin: Option<CountryCode>,
    #[serde(default)]
    pub place_of_origin: Option<Place>,
    /// Identity documents: birth certificate, national ID, passport, UNHCR number.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<IdentityDocument>,
    /// The last known address.
    #[serde(default)]
    pub last_address: Option<Address>,
    #[serde(default)]
    pub ethnicity: Option<String>,
    #[serde(default)]
    pub religion: Option<String>,
    /// Languages the child speaks, ISO 639-1, the first being the one they understand best.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<LanguageCode>,
    #[serde(default)]
    pub separation: Option<Separation>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub family: Vec<FamilyMember>,
}

impl ChildIdentity {
    pub fn check(&mut self, checker: &mut Checker, path: &str) {
        checker.person_name(&format!("{path}.names"), &self.names);
        let birth = self
            .date_of_birth
            .as_mut()
            .and_then(|d| checker.calendar_date(&format!("{path}.date_of_birth"), d));
        if let Some(a) = &mut self.age_estimate {
            checker.age_estimate(&format!("{path}.age_estimate"), a, MAX_CHILD_AGE_ESTIMATE);
        }
        checker.countries(&format!("{path}.nationalities"), &mut self.nationalities);
        if let Some(c) = &mut self.country_of_origin {
            checker.country(&format!("{path}.country_of_origin"), c);
        }
        if let Some(p) = &mut self.place_of_origin {
            p.check(checker, &format!("{path}.place_of_origin"));
        }
        for (i, document) in self.documents.iter_mut().enumerate() {
            document.check(checker, &format!("{path}.documents[{i}]"));
        }
        checker.no_duplicates(&format!("{path}.documents"), &self.documents);
        if let Some(a) = &mut self.last_address {
            a.check(checker, &format!("{path}.last_address"));
        }
        checker.optional_line(
            &format!("{path}.ethnicity"),
            self.ethnicity.as_deref(),
            MAX_NAME_CHARS,
        );
        checker.optional_line(
            &format!("{path}.religion"),
            self.religion.as_deref(),
            MAX_NAME_CHARS,
        );
        checker.languages(&format!("{path}.languages"), &mut self.languages);
        if let Some(sep) = &mut self.separation {
            let sep_path = format!("{path}.separation");
            if let Some(d) = &mut sep.date {
                let date_path = format!("{sep_path}.date");
                let separated = checker.calendar_date(&date_path, d);
                if let (Some(born), Some(sep)) = (birth, separated)
                    && sep.latest < born.earliest
                {
                    checker.fail(date_path, "is before the child's date of birth");
                }
            }
            if let Some(p) = &mut sep.place {
                p.check(checker, &format!("{sep_path}.place"));
            }
        }
        for (i, member) in self.family.iter_mut().enumerate() {
            member.check(checker, &format!("{path}.family[{i}]"));
        }
    }

    /// The first recorded family member with this relation.
    pub fn relative(&self, relation: Relation) -> Option<&FamilyMember> {
        self.family.iter().find(|m| m.relation == relation)
    }
}

/// Where and with whom the child lives now.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CareArrangement {
    pub kind: CareArrangementKind,
    #[serde(default)]
    pub since: Option<NaiveDate>,
    #[serde(default)]
    pub place: Option<Place>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// A child registered with a child protection authority or agency.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChildCase {
    pub child: ChildIdentity,
    #[serde(default)]
    pub accompaniment: Accompaniment,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vulnerabilities: Vec<Vulnerability>,
    #[serde(default)]
    pub current_location: Option<Place>,
    #[serde(default)]
    pub care_arrangement: Option<CareArrangement>,
    #[serde(default)]
    pub tracing_status: TracingStatus,
    /// The date the child was identified or registered (Gregorian).
    #[serde(default)]
    pub recorded_on: Option<NaiveDate>,
    #[serde(default)]
    pub notes: Option<String>,
}

impl Record for ChildCase {
    const KIND: RecordKind = RecordKind::ChildCase;

    fn check(&mut self, checker: &mut Checker) {
        self.child.check(checker, "child");
        checker.no_duplicates("vulnerabilities", &self.vulnerabilities);
        if let Some(p) = &mut self.current_location {
            p.check(checker, "current_location");
        }
        if let Some(care) = &mut self.care_arrangement {
            if let Some(since) = care.since {
                checker.not_in_future("care_arrangement.since", since);
            }
            if let Some(p) = &mut care.place {
                p.check(checker, "care_arrangement.place");
            }
            if let Some(n) = &care.notes {
                checker.text("care_arrangement.notes", n);
            }
        }
        if let Some(d) = self.recorded_on {
            checker.not_in_future("recorded_on", d);
        }
        if let Some(n) = &self.notes {
            checker.text("notes", n);
        }
    }
}
