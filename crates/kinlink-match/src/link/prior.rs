//! A model for when there is too little data to estimate one.
//!
//! EM needs hundreds of candidate pairs to find the match class; a field
//! office with a few dozen cases has not got them, and must still get
//! sensible proposals. [`Model::prior`] is a Fellegi–Sunter model written
//! down from what is known of tracing data rather than estimated:
//!
//! * `m` (the level's share among true pairs) assumes a relative describes
//!   the child as registrars in another country wrote it: names mostly agree
//!   only after transliteration or respelling (`strong`), often exactly, now
//!   and then only loosely; a date of birth is usually a year or an age
//!   (`overlap_broad`); sex and country nearly always agree; places are
//!   spelt variously.
//! * `u` (the share among random pairs) assumes a caseload of children
//!   under 18 from a few countries: a given or family name rarely agrees by
//!   chance, two birth intervals a few years apart are common, a shared
//!   country is common (30%).
//! * `λ` = 1%: a request's blocked candidates number in the tens in a small
//!   deployment, and at most one of them is the child.
//!
//! So a cross-script name match with agreeing birth, country and a parent
//! scores above [`MATCH_THRESHOLD`](super::MATCH_THRESHOLD), name and birth
//! alone stay `possible`, and a child sharing only a common given name and a
//! country does not come close. No term-frequency adjustment: a small
//! caseload says nothing reliable about how common a name is. These are
//! starting values: the server estimates a model from the data once there is
//! enough of it.

use super::compare::Field;
use super::model::{Model, TermFrequencies};

/// Prior probability that a candidate pair is a match.
pub const PRIOR_LAMBDA: f64 = 0.01;

/// `(m, u)` of a field's level, by the level's name; `None` for a level this
/// table does not know (it then weighs nothing).
fn level_probabilities(field: Field, level: &str) -> Option<(f64, f64)> {
    let names = |level: &str| match level {
        "different" => Some((0.03, 0.90)),
        "somewhat" => Some((0.07, 0.06)),
        "close" => Some((0.10, 0.02)),
        "strong" => Some((0.35, 0.015)),
        "exact" => Some((0.45, 0.005)),
        _ => None,
    };
    match field {
        Field::Given => names(level),
        Field::Family => match level {
            "different" => Some((0.05, 0.93)),
            "somewhat" => Some((0.08, 0.04)),
            "close" => Some((0.10, 0.015)),
            "strong" => Some((0.32, 0.01)),
            "exact" => Some((0.45, 0.005)),
            _ => None,
        },
        // Parents' names: the inquirer's own name, usually well known.
        Field::Mother | Field::Father => match level {
            "different" => Some((0.08, 0.95)),
            "somewhat" => Some((0.07, 0.03)),
            "close" => Some((0.10, 0.01)),
            "strong" => Some((0.30, 0.007)),
            "exact" => Some((0.45, 0.003)),
            _ => None,
        },
        Field::Sex => match level {
            "disagree" => Some((0.03, 0.5)),
            "agree" => Some((0.97, 0.5)),
            _ => None,
        },
        Field::Country => match level {
            "disagree" => Some((0.03, 0.7)),
            "agree" => Some((0.97, 0.3)),
            _ => None,
        },
        Field::Birth => match level {
            "far" => Some((0.01, 0.55)),
            "within_3_years" => Some((0.04, 0.25)),
            "within_year" => Some((0.10, 0.10)),
            "overlap_broad" => Some((0.50, 0.08)),
            "overlap_narrow" => Some((0.20, 0.015)),
            "same_day" => Some((0.15, 0.005)),
            _ => None,
        },
        Field::Origin => match level {
            "different" => Some((0.15, 0.95)),
            "close" => Some((0.15, 0.03)),
            "strong" => Some((0.70, 0.02)),
            _ => None,
        },
        Field::SeparationPlace => match level {
            "different" => Some((0.20, 0.93)),
            "close" => Some((0.15, 0.04)),
            "strong" => Some((0.65, 0.03)),
            _ => None,
        },
        Field::SeparationDate => match level {
            "far" => Some((0.15, 0.80)),
            "within_90_days" => Some((0.25, 0.12)),
            "overlap" => Some((0.60, 0.08)),
            _ => None,
        },
        Field::Languages => match level {
            "disjoint" => Some((0.05, 0.4)),
            "overlap" => Some((0.95, 0.6)),
            _ => None,
        },
    }
}

impl Model {
    /// The prior model (see the module documentation).
    pub fn prior() -> Model {
        let mut m = Vec::with_capacity(Field::ALL.len());
        let mut u = Vec::with_capacity(Field::ALL.len());
        for field in Field::ALL {
            // Level 0 is `missing`: no evidence, and an unknown level neither.
            let (field_m, field_u): (Vec<f64>, Vec<f64>) = field
                .levels()
                .iter()
                .enumerate()
                .map(|(level, name)| match level_probabilities(field, name) {
                    Some(probabilities) if level > 0 => probabilities,
                    _ => (0.0, 0.0),
                })
                .unzip();
            m.push(field_m);
            u.push(field_u);
        }
        Model {
            m,
            u_same_country: u.clone(),
            u,
            // Empty: parents' names are weighed as in `u` (see `Model::weight_in`).
            u_same_family: Vec::new(),
            lambda: PRIOR_LAMBDA,
            tf: TermFrequencies::default(),
            iterations: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use kinlink_core::{
        Calendar, CalendarDate, ChildIdentity, CountryCode, FamilyMember, PartialDate, PersonName, Relation,
        Sex, WrittenName,
    };

    use super::*;
    use crate::link::{Label, MatchRecord, compare};

    fn child(given: &str, family: &str, mother: &str, born: &str) -> MatchRecord {
        let mut identity = ChildIdentity {
            names: PersonName {
                given: Some(WrittenName::new(given)),
                family: Some(WrittenName::new(family)),
                ..Default::default()
            },
            sex: Sex::Male,
            date_of_birth: Some(CalendarDate::new(
                born.parse::<PartialDate>().expect("date"),
                Calendar::Gregorian,
            )),
            country_of_origin: Some(CountryCode::new("AF")),
            ..Default::default()
        };
        identity.family.push(FamilyMember::new(
            Relation::Mother,
            PersonName {
                given: Some(WrittenName::new(mother)),
                ..Default::default()
            },
        ));
        MatchRecord::new(&identity, None)
    }

    fn label(model: &Model, a: &MatchRecord, b: &MatchRecord) -> (Label, bool) {
        let score = model.score(&compare(a, b), a, b);
        (score.label, score.sibling)
    }

    #[test]
    fn every_field_and_level_has_probabilities() {
        for field in Field::ALL {
            for (level, name) in field.levels().iter().enumerate().skip(1) {
                assert!(
                    level_probabilities(field, name).is_some(),
                    "{} level {level} ({name})",
                    field.name()
                );
            }
        }
    }

    #[test]
    fn the_same_child_across_scripts_is_a_match() {
        let model = Model::prior();
        let registered = child("احمد", "رحیمی", "مریم", "2013");
        let sought = child("Ahmad", "Rahimi", "Maryam", "2013-08");
        assert_eq!(label(&model, &sought, &registered), (Label::Match, false));
    }

    #[test]
    fn a_sibling_is_flagged_and_a_stranger_is_not_proposed() {
        let model = Model::prior();
        let sought = child("Ahmad", "Rahimi", "Maryam", "2013");
        let sister = child("Zahra", "Rahimi", "Maryam", "2009");
        assert_eq!(label(&model, &sought, &sister), (Label::Possible, true));
        let stranger = child("Ahmad", "Karimi", "Fatima", "2016");
        assert_eq!(label(&model, &sought, &stranger).0, Label::NonMatch);
    }
}
