//! Synthetic children and case files for the tests. Everyone here is invented.

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use kinlink_casework::age::{AgeAssessment, AgeAssessmentMethod, AgeRange, Assessor};
use kinlink_casework::care::Detention;
use kinlink_casework::case::{
    Appointment, ApprovalOutcome, ApprovalRequest, ApprovalSubject, SolutionInProgress, StageChange,
};
use kinlink_casework::complaint::{Complainant, Complaint, ComplaintChannel, ComplaintStatus};
use kinlink_casework::forms::{
    BestInterestsDecision, BiaForm, CareOption, ChildViews, Discipline, DurableSolution, Heard,
    InterpreterUse,
};
use kinlink_casework::referral::{Referral, ReferralRecipient, ReferralStatus, ServiceKind};
use kinlink_casework::reunification::{ConfirmedMatch, FollowUpVisit, Reunification, Wellbeing};
use kinlink_casework::{
    CaseFile, DecisionId, EntryId, Identification, RepresentativeRole, Stage, UserId, Verdict,
};
use kinlink_core::{
    Accompaniment, AgeEstimate, Calendar, CalendarDate, ChildCase, CountryCode, LanguageCode, PartialDate,
    PersonName, RecordId, Sex, Vulnerability, WrittenName,
};
use uuid::Uuid;

use crate::config::StatsConfig;

pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid fixture date")
}

pub fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .expect("valid fixture time")
}

/// The reference date of most tests: end of June 2026.
pub fn config() -> StatsConfig {
    StatsConfig::new(day(2026, 6, 30))
}

fn entry(n: u128) -> EntryId {
    EntryId::from_uuid(Uuid::from_u128(0xE000_0000 + n))
}

/// A child and their case file, built step by step.
pub struct Kid {
    pub case: ChildCase,
    pub file: CaseFile,
    next_entry: u128,
}

impl Kid {
    pub fn new(
        n: u128,
        nationality: &str,
        sex: Sex,
        accompaniment: Accompaniment,
        identified: DateTime<Utc>,
    ) -> Self {
        let mut case = ChildCase::default();
        case.child.names = PersonName {
            given: Some(WrittenName::new(format!("Zyxgiven{n}"))),
            family: Some(WrittenName::new(format!("Qwvfamily{n}"))),
            ..PersonName::default()
        };
        case.child.sex = sex;
        if !nationality.is_empty() {
            case.child.nationalities = vec![CountryCode::new(nationality)];
        }
        case.accompaniment = accompaniment;
        case.recorded_on = Some(identified.date_naive());
        let file = CaseFile::identify(Identification {
            case_id: RecordId::from_uuid(Uuid::from_u128(0xCA5E_0000 + n)),
            at: identified,
            by: UserId::new(format!("user-cw-{n}")),
            caseworker: UserId::new(format!("user-cw-{n}")),
            supervisor: UserId::new("user-sup-1"),
            accompaniment,
            sex,
            claims_to_be_child: true,
        });
        Self {
            case,
            file,
            next_entry: n * 1000,
        }
    }

    fn entry(&mut self) -> EntryId {
        self.next_entry += 1;
        entry(self.next_entry)
    }

    pub fn born(mut self, value: PartialDate) -> Self {
        self.case.child.date_of_birth = Some(CalendarDate::new(value, Calendar::Gregorian));
        self
    }

    pub fn estimated(mut self, min: u8, max: u8, on: NaiveDate) -> Self {
        self.case.child.age_estimate = Some(AgeEstimate::new(min, max, on));
        self
    }

    pub fn assessed(mut self, min: u8, max: u8, on: NaiveDate) -> Self {
        let id = self.entry();
        self.file.age.assessments.push(AgeAssessment {
            id,
            method: AgeAssessmentMethod::Documents,
            method_details: None,
            assessors: vec![Assessor {
                user: UserId::new("user-assessor"),
                discipline: Discipline::SocialWork,
            }],
            result: AgeRange {
                min_years: min,
                max_years: max,
                on,
            },
            completed_at: on.and_hms_opt(12, 0, 0).expect("time").and_utc(),
        });
        self
    }

    pub fn disabled(mut self) -> Self {
        self.case.vulnerabilities.push(Vulnerability::Disability);
        self
    }

    pub fn guardian(mut self, guardian: &str, after_hours: i64, ended_after_hours: Option<i64>) -> Self {
        let id = self.entry();
        let appointed_at = self.file.identified_at + TimeDelta::hours(after_hours);
        self.file.representatives.push(Appointment {
            id,
            representative: UserId::new(guardian),
            role: RepresentativeRole::Guardian,
            appointed_at,
            appointed_by: UserId::new("user-sup-1"),
            caseload_before: 0,
            caseload_override: None,
            ended_at: ended_after_hours.map(|h| self.file.identified_at + TimeDelta::hours(h)),
            end_reason: None,
            handover_from: None,
        });
        self
    }

    fn stage_change(&mut self, to: Stage, at: DateTime<Utc>) {
        self.file.stage_history.push(StageChange {
            from: self.file.stage,
            to,
            at,
            by: UserId::new("user-sup-1"),
        });
        self.file.stage = to;
    }

    /// Assessment started at `start`, BIA approved at `approved`.
    pub fn bia(mut self, start: DateTime<Utc>, approved: DateTime<Utc>) -> Self {
        self.stage_change(Stage::Assessment, start);
        let id = self.entry();
        self.file.approvals.push(ApprovalRequest {
            id,
            subject: ApprovalSubject::Bia { form: bia_form() },
            requested_by: UserId::new("user-cw"),
            requested_at: approved - TimeDelta::hours(1),
            outcome: Some(ApprovalOutcome {
                verdict: Verdict::Approve,
                by: UserId::new("user-sup-1"),
                at: approved,
            }),
        });
        self
    }

    /// A rejected BIA: never counted as completed.
    pub fn rejected_bia(mut self, at: DateTime<Utc>) -> Self {
        let id = self.entry();
        self.file.approvals.push(ApprovalRequest {
            id,
            subject: ApprovalSubject::Bia { form: bia_form() },
            requested_by: UserId::new("user-cw"),
            requested_at: at,
            outcome: Some(ApprovalOutcome {
                verdict: Verdict::Reject {
                    reason: "incomplete".into(),
                },
                by: UserId::new("user-sup-1"),
                at,
            }),
        });
        self
    }

    pub fn bid(
        mut self,
        start: DateTime<Utc>,
        approved: DateTime<Utc>,
        recommended: DurableSolution,
    ) -> Self {
        self.stage_change(Stage::BestInterestsDetermination, start);
        let n = self.next_entry;
        self.next_entry += 1;
        self.file.decisions.push(BestInterestsDecision {
            id: DecisionId::from_uuid(Uuid::from_u128(0xD000_0000 + n)),
            case_id: self.file.case_id,
            panel: Vec::new(),
            child_views: views(),
            options_considered: Vec::new(),
            recommended,
            reasons: "Qwvreason".into(),
            submitted_by: UserId::new("user-cw"),
            submitted_at: approved - TimeDelta::hours(2),
            approved_by: UserId::new("user-sup-1"),
            approved_at: approved,
        });
        self
    }

    pub fn solution(mut self, solution: DurableSolution, completed: Option<DateTime<Utc>>) -> Self {
        self.file.cycle.solution = Some(SolutionInProgress {
            solution,
            decision: None,
            started_at: completed.unwrap_or(self.file.identified_at),
            completed_at: completed,
        });
        self
    }

    pub fn reunified(mut self, confirmed: DateTime<Utc>, reunified: DateTime<Utc>) -> Self {
        let mut r = Reunification::new(ConfirmedMatch {
            tracing_request: RecordId::from_uuid(Uuid::from_u128(0x7AC3)),
            confirmed_by: UserId::new("user-tracer"),
            confirmed_at: confirmed,
        });
        r.reunified_at = Some(reunified);
        self.file.cycle.reunification = Some(r);
        self
    }

    pub fn visit(mut self, at: DateTime<Utc>) -> Self {
        let id = self.entry();
        self.file.cycle.visits.push(FollowUpVisit {
            id,
            visited_at: at,
            visited_by: UserId::new("user-cw"),
            child_seen_alone: true,
            wellbeing: Wellbeing::Well,
            notes: None,
        });
        self
    }

    pub fn referral(
        mut self,
        service: ServiceKind,
        sent: DateTime<Utc>,
        done: Option<DateTime<Utc>>,
    ) -> Self {
        let id = self.entry();
        self.file.referrals.push(Referral {
            id,
            service,
            recipient: ReferralRecipient {
                organisation: "Qwvorganisation".into(),
                kind: kinlink_casework::forms::OrganisationKind::HealthService,
                other_agency: false,
            },
            basis: None,
            status: if done.is_some() {
                ReferralStatus::Done
            } else {
                ReferralStatus::Sent
            },
            sent_at: sent,
            sent_by: UserId::new("user-cw"),
            due: sent.date_naive() + TimeDelta::days(30),
            updated_at: done,
        });
        self
    }

    pub fn detained(mut self, centre: &str, since: DateTime<Utc>, released: Option<DateTime<Utc>>) -> Self {
        let id = self.entry();
        self.file.detentions.push(Detention {
            id,
            centre_name: centre.into(),
            since,
            released_at: released,
            recorded_by: UserId::new("user-cw"),
            during_age_assessment: false,
        });
        self
    }

    pub fn complaint(mut self, at: DateTime<Utc>) -> Self {
        let id = self.entry();
        self.file.complaints.push(Complaint {
            id,
            lodged_by: Complainant::Child,
            channel: ComplaintChannel::InPerson,
            lodged_at: at,
            recorded_by: UserId::new("user-cw"),
            routed_to: UserId::new("user-ombuds"),
            summary: "Qwvsummary".into(),
            status: ComplaintStatus::Received,
            outcome: None,
            updated_at: None,
        });
        self
    }

    pub fn pair(&self) -> (&ChildCase, &CaseFile) {
        (&self.case, &self.file)
    }
}

pub fn views() -> ChildViews {
    ChildViews {
        heard: Heard::Expressed {
            in_own_words: "Qwvwords".into(),
        },
        language: LanguageCode::new("ps"),
        interpreter: InterpreterUse::NotNeeded,
        informed_child_friendly: true,
    }
}

fn bia_form() -> BiaForm {
    BiaForm {
        child_views: views(),
        family_situation: "Qwvfamily".into(),
        safety_and_risks_in_country_of_origin: "Qwvsafety".into(),
        care_options: vec![CareOption {
            care: kinlink_casework::care::CareType::FosterFamily,
            assessment: "Qwvcare".into(),
        }],
        health: "Qwvhealth".into(),
        education: "Qwveducation".into(),
        length_of_stay_and_integration: "Qwvstay".into(),
        participants: Vec::new(),
    }
}
