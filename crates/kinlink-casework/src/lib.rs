//! kinlink's case management: what happens to a child between identification
//! and a durable solution, with the safeguards the source texts demand
//! enforced by the types and the state machine rather than left to diligence.
//!
//! Pure, like the core: no I/O, no clock, no randomness. Commands take "now"
//! and ids as input; the store and the API (phase 2) supply them.
//!
//! Start at [`CaseFile`] and [`Command`] (the lifecycle), then
//! [`CaseFile::invariant_violations`] (what always holds), then [`tasks()`].

pub mod age;
pub mod care;
pub mod case;
pub mod complaint;
pub mod config;
pub mod forms;
pub mod ids;
pub mod info;
mod invariants;
pub mod referral;
pub mod reunification;
pub mod tasks;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use case::{
    Appointment, ApprovalKind, ApprovalRequest, ApprovalSubject, CaseFile, Caseloads, ClosureReason, Command,
    Context, Identification, Notice, Refusal, RepresentativeRole, Stage, Verdict,
};
pub use config::CaseworkConfig;
pub use ids::{Actor, DecisionId, EntryId, UserId};
pub use tasks::{Task, TaskKind, tasks, tasks_for, team_tasks};
