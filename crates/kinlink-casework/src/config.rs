//! Deadlines and limits a deployment may set; the defaults follow the source texts.

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

/// Case management settings. Deployments load them from configuration (phase 2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CaseworkConfig {
    /// An unaccompanied or separated child must have a guardian this many hours
    /// after identification ("immediately", GC 22 para. 32(h); 24 h by default).
    pub guardian_delay_hours: u32,
    /// Most children a guardian may be responsible for at once ("a reasonable
    /// number"); only a supervisor with a recorded reason may go beyond it.
    pub max_guardian_caseload: u32,
    /// Days from registration by which the best-interests assessment is due.
    pub bia_due_days: u32,
    /// Follow-up visits after a solution is implemented, in days after it.
    pub follow_up_visit_days: Vec<u32>,
    /// Hours an approval request may wait before it is shown as overdue.
    pub approval_overdue_hours: u32,
}

impl Default for CaseworkConfig {
    fn default() -> Self {
        Self {
            guardian_delay_hours: 24,
            max_guardian_caseload: 25,
            bia_due_days: 30,
            follow_up_visit_days: vec![14, 90, 180],
            approval_overdue_hours: 72,
        }
    }
}

impl CaseworkConfig {
    pub fn guardian_delay(&self) -> TimeDelta {
        TimeDelta::hours(i64::from(self.guardian_delay_hours))
    }
    pub fn bia_due(&self) -> TimeDelta {
        TimeDelta::days(i64::from(self.bia_due_days))
    }
    pub fn approval_overdue(&self) -> TimeDelta {
        TimeDelta::hours(i64::from(self.approval_overdue_hours))
    }
}
