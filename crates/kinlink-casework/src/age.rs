//! Age: the presumption of minority and age assessments.
//!
//! Anyone who says they are a child is registered as one (GC 22 para. 32(h)).
//! An assessment gives a range, never a single age; in doubt the lower bound
//! holds (OHCHR principle 68), and while an assessment is pending no return can
//! be decided and any detention is flagged as such.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use kinlink_core::validation::Checker;
use serde::{Deserialize, Serialize};

use crate::forms::{Discipline, check_text};
use crate::ids::{EntryId, UserId};

/// Age of majority.
pub const ADULT_AGE: u32 = 18;

/// How an age was assessed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgeAssessmentMethod {
    /// Interview by independent, qualified psychologists and social workers.
    MultidisciplinaryPsychosocialInterview,
    /// Birth certificate, identity or other documents.
    Documents,
    /// Anything else, described in `method_details`.
    Other,
}

/// "Between `min_years` and `max_years` old on `on`."
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgeRange {
    pub min_years: u8,
    pub max_years: u8,
    pub on: NaiveDate,
}

impl AgeRange {
    /// The youngest the person can be on `date`: the lower bound plus the
    /// whole years elapsed since the assessment.
    pub fn lower_bound_on(&self, date: NaiveDate) -> u32 {
        u32::from(self.min_years) + whole_years_between(self.on, date)
    }
}

fn whole_years_between(from: NaiveDate, to: NaiveDate) -> u32 {
    if to <= from {
        return 0;
    }
    let mut years = to.year() - from.year();
    if (to.month(), to.day()) < (from.month(), from.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

/// Someone who took part in an assessment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assessor {
    pub user: UserId,
    pub discipline: Discipline,
}

/// A completed age assessment.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgeAssessment {
    pub id: EntryId,
    pub method: AgeAssessmentMethod,
    #[serde(default)]
    pub method_details: Option<String>,
    pub assessors: Vec<Assessor>,
    pub result: AgeRange,
    pub completed_at: DateTime<Utc>,
}

impl AgeAssessment {
    pub fn check(&self, checker: &mut Checker, path: &str) {
        if self.result.min_years > self.result.max_years {
            checker.fail(format!("{path}.result"), "min_years must not exceed max_years");
        }
        checker.not_in_future(&format!("{path}.result.on"), self.result.on);
        if self.assessors.is_empty() {
            checker.fail(format!("{path}.assessors"), "name at least one assessor");
        }
        match self.method {
            AgeAssessmentMethod::MultidisciplinaryPsychosocialInterview => {
                let mut disciplines: Vec<Discipline> = self.assessors.iter().map(|a| a.discipline).collect();
                disciplines.sort_unstable();
                disciplines.dedup();
                if disciplines.len() < 2 {
                    checker.fail(
                        format!("{path}.assessors"),
                        "a multidisciplinary assessment needs assessors from at least two disciplines",
                    );
                }
            }
            AgeAssessmentMethod::Other if self.method_details.is_none() => {
                checker.fail(format!("{path}.method_details"), "describe the method");
            }
            _ => {}
        }
        if let Some(d) = &self.method_details {
            check_text(checker, &format!("{path}.method_details"), d);
        }
    }
}

/// An assessment that was asked for and is not finished.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingAgeAssessment {
    pub requested_at: DateTime<Utc>,
    pub requested_by: UserId,
}

/// What is known of the child's age in this case.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgeRecord {
    /// The person said they are a child. Recorded; it is enough to be registered as one.
    pub claims_to_be_child: bool,
    #[serde(default)]
    pub pending: Option<PendingAgeAssessment>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assessments: Vec<AgeAssessment>,
}

impl AgeRecord {
    pub fn assessment_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// Whether the person is treated as a child on `date`. True unless a
    /// completed assessment puts even its lower bound at 18 or more and no
    /// other assessment is under way: the doubt benefits the child.
    pub fn presumed_minor(&self, date: NaiveDate) -> bool {
        if self.assessment_pending() {
            return true;
        }
        match self.assessments.iter().max_by_key(|a| a.completed_at) {
            None => true,
            Some(latest) => latest.result.lower_bound_on(date) < ADULT_AGE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use uuid::Uuid;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    fn assessment(min: u8, max: u8, on: NaiveDate) -> AgeAssessment {
        AgeAssessment {
            id: EntryId::from_uuid(Uuid::from_u128(1)),
            method: AgeAssessmentMethod::MultidisciplinaryPsychosocialInterview,
            method_details: None,
            assessors: vec![
                Assessor {
                    user: UserId::new("psy"),
                    discipline: Discipline::Psychology,
                },
                Assessor {
                    user: UserId::new("sw"),
                    discipline: Discipline::SocialWork,
                },
            ],
            result: AgeRange {
                min_years: min,
                max_years: max,
                on,
            },
            completed_at: Utc
                .with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
                .single()
                .expect("valid"),
        }
    }

    #[test]
    fn no_assessment_means_presumed_minor() {
        let record = AgeRecord {
            claims_to_be_child: true,
            ..AgeRecord::default()
        };
        assert!(record.presumed_minor(day(2026, 3, 1)));
    }

    #[test]
    fn a_range_straddling_eighteen_keeps_the_presumption() {
        let record = AgeRecord {
            claims_to_be_child: true,
            pending: None,
            assessments: vec![assessment(17, 21, day(2026, 3, 1))],
        };
        assert!(record.presumed_minor(day(2026, 3, 1)));
        // A year later even the lower bound is 18.
        assert!(!record.presumed_minor(day(2027, 3, 1)));
        assert!(record.presumed_minor(day(2027, 2, 28)));
    }

    #[test]
    fn a_pending_assessment_keeps_the_presumption_over_an_earlier_adult_result() {
        let record = AgeRecord {
            claims_to_be_child: true,
            pending: Some(PendingAgeAssessment {
                requested_at: Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single().expect("valid"),
                requested_by: UserId::new("cw"),
            }),
            assessments: vec![assessment(19, 23, day(2026, 3, 1))],
        };
        assert!(record.presumed_minor(day(2026, 3, 3)));
    }

    #[test]
    fn single_discipline_interview_is_not_multidisciplinary() {
        let mut a = assessment(15, 17, day(2026, 3, 1));
        a.assessors.truncate(1);
        let mut checker = Checker::new(day(2026, 3, 1));
        a.check(&mut checker, "age_assessment");
        let errors = checker.finish().expect_err("one discipline is refused");
        assert_eq!(errors.errors[0].path, "age_assessment.assessors");
    }
}
