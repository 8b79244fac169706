//! The standard indicators: what each counts, which dimensions apply, and how
//! one record contributes to it.
//!
//! Case-based indicators are a cohort view: children *identified* in the
//! window (period = period of identification), and what had happened to them
//! by the end of the reference date. Events after the reference date are
//! ignored, so a report for a past year can be rebuilt later and give the same
//! figures. Exceptions: detention counts every child detained at any moment of
//! the window (the annual report the texts ask for), tracing requests and match
//! reviews go by their own dates, and caseloads are a snapshot at the reference date.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use kinlink_casework::case::Cycle;
use kinlink_casework::{ApprovalKind, CaseFile, RepresentativeRole, Stage, Verdict};
use kinlink_core::{Accompaniment, ChildCase, Sex, Vulnerability};
use serde::Serialize;
use std::sync::Arc;

use crate::config::StatsConfig;
use crate::dims::{AgeBand, Dimension, Disability, Label, MatchOutcome, Nationality, Period, whole_years};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    /// Children identified (cases opened).
    ChildrenRegistered,
    /// Children identified as unaccompanied or separated.
    UnaccompaniedOrSeparated,
    /// Children who need a guardian (unaccompanied, separated, or not yet
    /// known): hours from identification to the first guardian; share
    /// appointed within the deadline among those whose deadline has passed.
    GuardianAppointment,
    /// Guardians by number of children they are responsible for at the reference date.
    GuardianCaseloads,
    /// Approved best-interests assessments; days from starting the assessment to approval.
    BiasCompleted,
    /// Approved best-interests determinations by recommended solution; days
    /// from starting the determination to approval.
    BidsCompleted,
    /// Durable solutions completed, by solution; days from the opening of the
    /// case (or of the reopened cycle) to completion.
    DurableSolutions,
    /// Reunifications completed; days from the confirmed match.
    Reunifications,
    /// Follow-up visits made after a solution.
    FollowUpVisits,
    /// Referrals by service; days to completion; share completed within the
    /// benchmark among those completed or past it.
    Referrals,
    /// Children in immigration detention at any moment of the window; total
    /// days detained per child within the window (and per centre).
    ChildrenDetained,
    /// Complaints lodged by children or guardians.
    Complaints,
    /// Tracing requests recorded (period of the inquiry).
    TracingRequests,
    /// Matches proposed, by review outcome (period of the proposal).
    MatchReviews,
}

impl Indicator {
    pub const ALL: [Indicator; 14] = [
        Indicator::ChildrenRegistered,
        Indicator::UnaccompaniedOrSeparated,
        Indicator::GuardianAppointment,
        Indicator::GuardianCaseloads,
        Indicator::BiasCompleted,
        Indicator::BidsCompleted,
        Indicator::DurableSolutions,
        Indicator::Reunifications,
        Indicator::FollowUpVisits,
        Indicator::Referrals,
        Indicator::ChildrenDetained,
        Indicator::Complaints,
        Indicator::TracingRequests,
        Indicator::MatchReviews,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Indicator::ChildrenRegistered => "children_registered",
            Indicator::UnaccompaniedOrSeparated => "unaccompanied_or_separated",
            Indicator::GuardianAppointment => "guardian_appointment",
            Indicator::GuardianCaseloads => "guardian_caseloads",
            Indicator::BiasCompleted => "bias_completed",
            Indicator::BidsCompleted => "bids_completed",
            Indicator::DurableSolutions => "durable_solutions",
            Indicator::Reunifications => "reunifications",
            Indicator::FollowUpVisits => "follow_up_visits",
            Indicator::Referrals => "referrals",
            Indicator::ChildrenDetained => "children_detained",
            Indicator::Complaints => "complaints",
            Indicator::TracingRequests => "tracing_requests",
            Indicator::MatchReviews => "match_reviews",
        }
    }

    pub(crate) fn source(self) -> Source {
        match self {
            Indicator::TracingRequests => Source::Tracing,
            Indicator::MatchReviews => Source::MatchReview,
            Indicator::GuardianCaseloads => Source::Caseloads,
            _ => Source::Case,
        }
    }

    /// What one count stands for: a child counted once per cell, or an event.
    pub(crate) fn unit(self) -> Unit {
        match self {
            Indicator::ChildrenRegistered
            | Indicator::UnaccompaniedOrSeparated
            | Indicator::GuardianAppointment
            | Indicator::ChildrenDetained => Unit::Child,
            Indicator::GuardianCaseloads => Unit::Guardian,
            _ => Unit::Event,
        }
    }

    /// The most cells one child (or guardian, request, review) can add to when
    /// every contribution is kept; `None` when unbounded (events), where
    /// noisy releases cap contributions at `max_events_per_child`.
    pub(crate) fn max_contributions(self) -> Option<u32> {
        match self {
            Indicator::ChildrenRegistered
            | Indicator::UnaccompaniedOrSeparated
            | Indicator::GuardianAppointment
            | Indicator::GuardianCaseloads
            | Indicator::TracingRequests
            | Indicator::MatchReviews => Some(1),
            _ => None,
        }
    }

    /// The unit of the values summarised by median, 90th percentile and total.
    pub fn value_unit(self) -> Option<ValueUnit> {
        match self {
            Indicator::GuardianAppointment => Some(ValueUnit::Hours),
            Indicator::BiasCompleted
            | Indicator::BidsCompleted
            | Indicator::DurableSolutions
            | Indicator::Reunifications
            | Indicator::Referrals
            | Indicator::ChildrenDetained => Some(ValueUnit::Days),
            Indicator::GuardianCaseloads => Some(ValueUnit::Children),
            _ => None,
        }
    }

    pub fn dimensions(self) -> &'static [Dimension] {
        use Dimension::*;
        const CHILD: [Dimension; 7] = [
            Nationality,
            Sex,
            AgeBand,
            Accompaniment,
            Disability,
            Region,
            Period,
        ];
        match self {
            Indicator::BidsCompleted | Indicator::DurableSolutions => &[
                Nationality,
                Sex,
                AgeBand,
                Accompaniment,
                Disability,
                Region,
                Period,
                Solution,
            ],
            Indicator::Referrals => &[
                Nationality,
                Sex,
                AgeBand,
                Accompaniment,
                Disability,
                Region,
                Period,
                Service,
            ],
            Indicator::ChildrenDetained => &[
                Nationality,
                Sex,
                AgeBand,
                Accompaniment,
                Disability,
                Region,
                Period,
                Centre,
            ],
            Indicator::TracingRequests => &[Period],
            Indicator::MatchReviews => &[Period, MatchOutcome],
            Indicator::GuardianCaseloads => &[CaseloadBand],
            _ => &CHILD,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueUnit {
    Hours,
    Days,
    Children,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    Case,
    Tracing,
    MatchReview,
    Caseloads,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Child,
    Guardian,
    Event,
}

/// A match proposal and what review made of it. Match proposals belong to
/// the matching workflow (being built elsewhere); this is all statistics needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatchReview {
    pub proposed_on: NaiveDate,
    pub outcome: MatchOutcome,
}

/// The child-level labels of a case, derived once per record.
#[derive(Clone, Debug)]
pub(crate) struct CaseDims {
    pub nationality: Nationality,
    pub sex: Sex,
    pub age_band: AgeBand,
    pub accompaniment: Accompaniment,
    pub disability: Disability,
    pub region: Option<Arc<str>>,
    pub identified_on: NaiveDate,
}

impl CaseDims {
    pub fn of(case: &ChildCase, file: &CaseFile, config: &StatsConfig) -> Self {
        let child = &case.child;
        let nationality = match child.nationalities.first() {
            Some(code) => Nationality::from_code(code),
            None if child.stateless => Nationality::Stateless,
            None => Nationality::Unknown,
        };
        let disability = if case.vulnerabilities.contains(&Vulnerability::Disability) {
            Disability::Recorded
        } else {
            Disability::NotRecorded
        };
        Self {
            nationality,
            sex: child.sex,
            age_band: age_band(case, file, config.reference_date),
            accompaniment: case.accompaniment,
            disability,
            region: case
                .current_location
                .as_ref()
                .and_then(|p| config.regions.region_of(p)),
            identified_on: file.identified_at.date_naive(),
        }
    }
}

/// Age at `on`, presuming minority: the youngest age any recorded source
/// allows (latest possible birth date, lower bound of an estimate or of an
/// assessment), so doubt never moves a child into an older band.
pub(crate) fn age_band(case: &ChildCase, file: &CaseFile, on: NaiveDate) -> AgeBand {
    let child = &case.child;
    let from_birth = child
        .date_of_birth
        .as_ref()
        .and_then(|d| d.gregorian.or_else(|| d.interval().ok()))
        .and_then(|i| whole_years(i.latest, on));
    let from_estimate = child
        .age_estimate
        .as_ref()
        .and_then(|e| e.gregorian.or_else(|| e.birth_interval().ok()))
        .and_then(|i| whole_years(i.latest, on));
    let from_assessment = file
        .age
        .assessments
        .iter()
        .max_by_key(|a| a.completed_at)
        .map(|a| a.result.lower_bound_on(on));
    [from_birth, from_estimate, from_assessment]
        .into_iter()
        .flatten()
        .min()
        .map_or(AgeBand::Unknown, AgeBand::of_age)
}

/// One thing a record adds to a table: which cell (beyond the child's own
/// labels), and the value and target it carries.
#[derive(Clone, Debug)]
pub(crate) struct Contribution {
    pub period: Period,
    /// The label of the indicator's own dimension (service, solution, centre, outcome, band).
    pub extra: Option<Label>,
    pub value: Option<f64>,
    /// Whether the target (deadline, benchmark) was met; `None` when it cannot be judged yet.
    pub met: Option<bool>,
}

fn days(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_seconds() as f64 / 86_400.0
}

fn cycles(file: &CaseFile) -> impl Iterator<Item = &Cycle> {
    file.past_cycles.iter().chain(std::iter::once(&file.cycle))
}

/// When a stage was last entered at or before `before`.
fn entered(file: &CaseFile, stage: Stage, before: DateTime<Utc>) -> Option<DateTime<Utc>> {
    file.stage_history
        .iter()
        .filter(|c| c.to == stage && c.at <= before)
        .map(|c| c.at)
        .max()
}

/// End of the reference date: events after it are not counted.
pub(crate) fn reference_instant(config: &StatsConfig) -> DateTime<Utc> {
    let next = config.reference_date.succ_opt().unwrap_or(config.reference_date);
    next.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

pub(crate) fn case_contributions(
    indicator: Indicator,
    case: &ChildCase,
    file: &CaseFile,
    dims: &CaseDims,
    config: &StatsConfig,
    out: &mut Vec<Contribution>,
) {
    let reference = reference_instant(config);
    let period = Period::of(dims.identified_on, config.granularity);
    let in_cohort = config.window.is_none_or(|w| w.contains(dims.identified_on));
    let plain = |value: Option<f64>, extra: Option<Label>| Contribution {
        period,
        extra,
        value,
        met: None,
    };
    if indicator != Indicator::ChildrenDetained && !in_cohort {
        return;
    }
    match indicator {
        Indicator::ChildrenRegistered => out.push(plain(None, None)),
        Indicator::UnaccompaniedOrSeparated => {
            if matches!(
                case.accompaniment,
                Accompaniment::Unaccompanied | Accompaniment::Separated
            ) {
                out.push(plain(None, None));
            }
        }
        Indicator::GuardianAppointment => {
            if !file.needs_guardian() {
                return;
            }
            let deadline = file.identified_at + TimeDelta::hours(i64::from(config.guardian_deadline_hours));
            let first = file
                .representatives
                .iter()
                .filter(|a| a.role == RepresentativeRole::Guardian && a.appointed_at <= reference)
                .map(|a| a.appointed_at)
                .min();
            let (value, met) = match first {
                Some(at) => (
                    Some((at - file.identified_at).num_seconds() as f64 / 3600.0),
                    Some(at <= deadline),
                ),
                None if deadline <= reference => (None, Some(false)),
                None => (None, None),
            };
            out.push(Contribution {
                period,
                extra: None,
                value,
                met,
            });
        }
        Indicator::BiasCompleted => {
            for request in &file.approvals {
                let Some(outcome) = &request.outcome else { continue };
                if request.subject.kind() != ApprovalKind::Bia
                    || outcome.verdict != Verdict::Approve
                    || outcome.at > reference
                {
                    continue;
                }
                let start =
                    entered(file, Stage::Assessment, request.requested_at).unwrap_or(request.requested_at);
                out.push(plain(Some(days(start, outcome.at)), None));
            }
        }
        Indicator::BidsCompleted => {
            for decision in file.decisions.iter().filter(|d| d.approved_at <= reference) {
                let start = entered(file, Stage::BestInterestsDetermination, decision.submitted_at)
                    .unwrap_or(decision.submitted_at);
                out.push(plain(
                    Some(days(start, decision.approved_at)),
                    Some(Label::Solution(decision.recommended)),
                ));
            }
        }
        Indicator::DurableSolutions => {
            for cycle in cycles(file) {
                let Some(solution) = &cycle.solution else { continue };
                let Some(done) = solution.completed_at.filter(|t| *t <= reference) else {
                    continue;
                };
                out.push(plain(
                    Some(days(cycle.opened_at, done)),
                    Some(Label::Solution(solution.solution)),
                ));
            }
        }
        Indicator::Reunifications => {
            for cycle in cycles(file) {
                let Some(r) = &cycle.reunification else { continue };
                if let Some(at) = r.reunified_at.filter(|t| *t <= reference) {
                    out.push(plain(Some(days(r.confirmed_match.confirmed_at, at)), None));
                }
            }
        }
        Indicator::FollowUpVisits => {
            for _ in cycles(file)
                .flat_map(|c| &c.visits)
                .filter(|v| v.visited_at <= reference)
            {
                out.push(plain(None, None));
            }
        }
        Indicator::Referrals => {
            for referral in file.referrals.iter().filter(|r| r.sent_at <= reference) {
                let benchmark = TimeDelta::days(i64::from(config.benchmark_days(referral.service)));
                let done_at = referral.updated_at.filter(|t| {
                    referral.status == kinlink_casework::referral::ReferralStatus::Done && *t <= reference
                });
                let (value, met) = match done_at {
                    Some(at) => (
                        Some(days(referral.sent_at, at)),
                        Some(at - referral.sent_at <= benchmark),
                    ),
                    None if referral.sent_at + benchmark <= reference => (None, Some(false)),
                    None => (None, None),
                };
                out.push(Contribution {
                    period,
                    extra: Some(Label::Service(referral.service)),
                    value,
                    met,
                });
            }
        }
        Indicator::ChildrenDetained => {
            let (from, to) = match config.window {
                Some(w) => (
                    w.from().and_hms_opt(0, 0, 0).unwrap_or_default().and_utc(),
                    w.to()
                        .and_hms_opt(0, 0, 0)
                        .unwrap_or_default()
                        .and_utc()
                        .min(reference),
                ),
                None => (DateTime::<Utc>::MIN_UTC, reference),
            };
            for d in &file.detentions {
                let end = d.released_at.unwrap_or(reference).min(to);
                let start = d.since.max(from);
                // Detained at some moment of the window, as casework's report counts.
                if d.since >= to || d.released_at.is_some_and(|r| r <= from) {
                    continue;
                }
                out.push(Contribution {
                    period: Period::of(d.since.date_naive(), config.granularity),
                    extra: Some(Label::Centre(crate::dims::normalise_name(&d.centre_name).into())),
                    value: Some(if end > start { days(start, end) } else { 0.0 }),
                    met: None,
                });
            }
        }
        Indicator::Complaints => {
            for _ in file.complaints.iter().filter(|c| c.lodged_at <= reference) {
                out.push(plain(None, None));
            }
        }
        Indicator::TracingRequests | Indicator::MatchReviews | Indicator::GuardianCaseloads => {}
    }
}

/// Active guardianships of a case at the reference instant, by guardian.
pub(crate) fn active_guardians(file: &CaseFile, reference: DateTime<Utc>) -> impl Iterator<Item = &str> {
    file.representatives
        .iter()
        .filter(move |a| {
            a.role == RepresentativeRole::Guardian
                && a.appointed_at <= reference
                && a.ended_at.is_none_or(|e| e > reference)
        })
        .map(|a| a.representative.as_str())
}

pub(crate) fn match_review_contribution(review: &MatchReview, config: &StatsConfig) -> Option<Contribution> {
    if config.window.is_some_and(|w| !w.contains(review.proposed_on))
        || review.proposed_on > config.reference_date
    {
        return None;
    }
    Some(Contribution {
        period: Period::of(review.proposed_on, config.granularity),
        extra: Some(Label::MatchOutcome(review.outcome)),
        value: None,
        met: None,
    })
}

pub(crate) fn tracing_contribution(
    request: &kinlink_core::TracingRequest,
    config: &StatsConfig,
) -> Option<Contribution> {
    let period = match (request.recorded_on, config.window) {
        (Some(day), _) if day > config.reference_date => return None,
        (Some(day), Some(w)) if !w.contains(day) => return None,
        (None, Some(_)) => return None,
        (Some(day), _) => Period::of(day, config.granularity),
        (None, None) => Period::Unknown,
    };
    Some(Contribution {
        period,
        extra: None,
        value: None,
        met: None,
    })
}
