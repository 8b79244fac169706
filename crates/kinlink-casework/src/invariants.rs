//! What must hold in every state a case can reach, written independently of
//! the commands that change it. The property tests check these after every
//! step of random command sequences; the store may also check them on load.

use crate::care::CareType;
use crate::case::{ApprovalKind, CaseFile, RepresentativeRole, Stage, Verdict};
use crate::config::CaseworkConfig;
use crate::forms::{DurableSolution, MIN_BID_PANEL, OrganisationKind};
use crate::info::{Sheet, sheet};

impl CaseFile {
    /// Every rule this case breaks; empty when it is consistent.
    pub fn invariant_violations(&self, config: &CaseworkConfig) -> Vec<&'static str> {
        let mut v = Vec::new();
        let cycle = &self.cycle;
        let approved = |id| self.approval(id).is_some_and(|a| a.is_approved());

        if self.stage.needs_representation() && !self.is_represented() {
            v.push("a case past registration has no guardian or representative");
        }
        if self.stage > Stage::Identified && self.registered_at.is_none() {
            v.push("a case past identification was never registered");
        }
        if (Stage::CasePlanning..=Stage::FollowUp).contains(&self.stage) && !cycle.bia.is_some_and(approved) {
            v.push("case planning without an approved BIA");
        }
        if (Stage::BestInterestsDetermination..=Stage::FollowUp).contains(&self.stage)
            && !cycle.case_plan.is_some_and(approved)
        {
            v.push("a BID or solution without an approved case plan");
        }
        if (Stage::ImplementingSolution..=Stage::FollowUp).contains(&self.stage) {
            match &cycle.solution {
                None => v.push("implementing a solution that was never chosen"),
                Some(s) => {
                    let needs_bid = matches!(
                        s.solution,
                        DurableSolution::ReturnToCountryOfOrigin
                            | DurableSolution::ResettlementToThirdCountry
                            | DurableSolution::FamilyReunificationAbroad
                    );
                    let recommended = s
                        .decision
                        .and_then(|d| self.decision(d))
                        .is_some_and(|d| d.recommended == s.solution);
                    if needs_bid && !recommended {
                        v.push("a return, resettlement or cross-border reunification without a BID recommending it");
                    }
                    if s.decision.is_some() && !recommended {
                        v.push("a solution that does not follow its BID");
                    }
                }
            }
        }
        if self.stage == Stage::FollowUp {
            match &cycle.solution {
                Some(s) if s.completed_at.is_some() => {
                    if s.solution.is_reunification() {
                        let reunified = cycle
                            .reunification
                            .as_ref()
                            .is_some_and(|r| r.reunified_at.is_some() && r.missing_steps().is_empty());
                        if !reunified {
                            v.push("follow-up of a reunification that did not go through every step");
                        }
                    }
                }
                _ => v.push("follow-up before the solution was completed"),
            }
        }
        if self.stage == Stage::Closed {
            let closed_by_approval = cycle.closure.as_ref().is_some_and(|c| {
                approved(c.approval)
                    && self
                        .approval(c.approval)
                        .is_some_and(|a| a.subject.kind() == ApprovalKind::Closure)
            });
            if !closed_by_approval {
                v.push("a closed case without an approved closure");
            }
            if self.active_representatives().next().is_some() {
                v.push("a closed case still has active appointments");
            }
        }
        if self.stage_history.last().is_some_and(|c| c.to != self.stage) {
            v.push("the stage history does not end at the current stage");
        }

        for a in &self.approvals {
            if let Some(o) = &a.outcome
                && o.verdict == Verdict::Approve
                && o.by == a.requested_by
            {
                v.push("an approval was given by the person who asked for it");
            }
        }
        for kind in [
            ApprovalKind::Bia,
            ApprovalKind::CasePlan,
            ApprovalKind::Bid,
            ApprovalKind::Closure,
        ] {
            if self
                .pending_approvals()
                .filter(|a| a.subject.kind() == kind)
                .count()
                > 1
            {
                v.push("two approvals of the same kind are waiting");
            }
        }
        for d in &self.decisions {
            if d.approved_by == d.submitted_by {
                v.push("a BID approved by its author");
            }
            if d.panel.len() < MIN_BID_PANEL
                || d.panel
                    .iter()
                    .any(|p| p.organisation == OrganisationKind::ImmigrationAuthority)
            {
                v.push("a BID without an independent panel of at least three");
            }
            if !d.options_considered.iter().any(|o| o.solution == d.recommended) {
                v.push("a BID recommending an option it did not consider");
            }
            if !d.child_views.informed_child_friendly {
                v.push("a BID where the child was not informed");
            }
        }
        for a in &self.representatives {
            if a.role == RepresentativeRole::Guardian
                && a.caseload_before >= config.max_guardian_caseload
                && a.caseload_override
                    .as_ref()
                    .is_none_or(|o| o.reason.trim().is_empty())
            {
                v.push("a guardian beyond the caseload limit without a supervisor's reason");
            }
        }
        if self.care.iter().filter(|c| c.ended_at.is_none()).count() > 1 {
            v.push("two current care placements");
        }
        if self
            .care
            .iter()
            .any(|c| c.care == CareType::ResidentialCare && c.justification.is_none())
        {
            v.push("residential care without a justification");
        }
        for r in &self.referrals {
            if r.recipient.kind == OrganisationKind::ImmigrationAuthority {
                v.push("a referral to an immigration authority");
            }
            if r.recipient.other_agency && r.basis.is_none() {
                v.push("a referral to another agency without consent or legal basis");
            }
        }
        if self
            .information
            .iter()
            .any(|i| sheet(i.topic, i.language) == Sheet::Missing)
        {
            v.push("information recorded as given in a sheet that does not exist");
        }
        for c in &self.complaints {
            if c.routed_to == self.caseworker || c.routed_to == self.supervisor {
                v.push("a complaint routed to someone working on the case");
            }
        }
        v
    }
}
