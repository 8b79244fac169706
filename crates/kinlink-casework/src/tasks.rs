//! Tasks and alerts: what is due or overdue, for whom. A pure function of the
//! cases, the time and the settings, so it can be recomputed at any moment and
//! tested without a clock.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use kinlink_core::RecordId;
use serde::Serialize;

use crate::case::{ApprovalKind, CaseFile, Stage};
use crate::config::CaseworkConfig;
use crate::ids::{EntryId, UserId};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TaskKind {
    /// An unaccompanied or separated child still has no guardian.
    GuardianNotAppointed,
    BiaDue,
    /// The `number`th follow-up visit (from 1).
    FollowUpVisitDue {
        number: u32,
    },
    ApprovalWaiting {
        approval: EntryId,
        approval_kind: ApprovalKind,
    },
    /// The child is in immigration detention now.
    ChildInDetention {
        detention: EntryId,
        during_age_assessment: bool,
    },
    ReferralOverdue {
        referral: EntryId,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Task {
    pub case_id: RecordId,
    pub assignee: UserId,
    pub kind: TaskKind,
    pub due: DateTime<Utc>,
    pub overdue: bool,
}

/// Every open task across `cases` as of `now`, overdue first, then by due time.
pub fn tasks<'a>(
    cases: impl IntoIterator<Item = &'a CaseFile>,
    now: DateTime<Utc>,
    config: &CaseworkConfig,
) -> Vec<Task> {
    let mut out = Vec::new();
    for case in cases {
        case_tasks(case, now, config, &mut out);
    }
    out.sort_by(|a, b| b.overdue.cmp(&a.overdue).then(a.due.cmp(&b.due)));
    out
}

fn case_tasks(case: &CaseFile, now: DateTime<Utc>, config: &CaseworkConfig, out: &mut Vec<Task>) {
    let mut push = |assignee: &UserId, kind: TaskKind, due: DateTime<Utc>| {
        out.push(Task {
            case_id: case.case_id,
            assignee: assignee.clone(),
            kind,
            due,
            overdue: now > due,
        })
    };
    // Detention is an alert whatever the stage, even on a closed case.
    for d in case.detentions.iter().filter(|d| d.is_current()) {
        let kind = TaskKind::ChildInDetention {
            detention: d.id,
            during_age_assessment: d.during_age_assessment,
        };
        push(&case.supervisor, kind.clone(), d.since);
        push(&case.caseworker, kind, d.since);
    }
    if case.stage == Stage::Closed {
        return;
    }
    if case.needs_guardian() && case.active_guardian().is_none() {
        let due = case.identified_at + config.guardian_delay();
        push(&case.caseworker, TaskKind::GuardianNotAppointed, due);
        if now > due {
            push(&case.supervisor, TaskKind::GuardianNotAppointed, due);
        }
    }
    if case.stage <= Stage::Assessment && case.cycle.bia.is_none() {
        let from = case
            .registered_at
            .unwrap_or(case.identified_at)
            .max(case.cycle.opened_at);
        push(&case.caseworker, TaskKind::BiaDue, from + config.bia_due());
    }
    if case.stage == Stage::FollowUp
        && let Some(completed) = case.cycle.solution.as_ref().and_then(|s| s.completed_at)
    {
        let done = case.cycle.visits.len();
        if let Some(days) = config.follow_up_visit_days.get(done) {
            let number = u32::try_from(done + 1).unwrap_or(u32::MAX);
            let due = completed + TimeDelta::days(i64::from(*days));
            push(&case.caseworker, TaskKind::FollowUpVisitDue { number }, due);
        }
    }
    for a in case.pending_approvals() {
        let kind = TaskKind::ApprovalWaiting {
            approval: a.id,
            approval_kind: a.subject.kind(),
        };
        push(&case.supervisor, kind, a.requested_at + config.approval_overdue());
    }
    for r in case.referrals.iter().filter(|r| r.status.is_open()) {
        let due = r.due.and_hms_opt(23, 59, 59).map(|d| d.and_utc());
        if let Some(due) = due {
            push(
                &case.caseworker,
                TaskKind::ReferralOverdue { referral: r.id },
                due,
            );
        }
    }
}

/// The tasks assigned to `user`.
pub fn tasks_for<'a>(tasks: &'a [Task], user: &'a UserId) -> impl Iterator<Item = &'a Task> + 'a {
    tasks.iter().filter(move |t| &t.assignee == user)
}

/// A supervisor's view: the tasks on the cases they supervise, by assignee.
pub fn team_tasks<'a>(
    cases: impl IntoIterator<Item = &'a CaseFile>,
    supervisor: &UserId,
    now: DateTime<Utc>,
    config: &CaseworkConfig,
) -> BTreeMap<UserId, Vec<Task>> {
    let team = cases.into_iter().filter(|c| &c.supervisor == supervisor);
    let mut by_assignee: BTreeMap<UserId, Vec<Task>> = BTreeMap::new();
    for task in tasks(team, now, config) {
        by_assignee.entry(task.assignee.clone()).or_default().push(task);
    }
    by_assignee
}
