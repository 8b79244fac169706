//! Sign-in throttling as a pure state machine. Failures are counted per
//! account (the name typed, whether or not such an account exists, so the
//! answer does not tell) and per source (e.g. an IP address). Too many
//! failures within a window lock the key for a while; each further lockout
//! doubles the time, up to a maximum. A success clears the account's count.
//!
//! Lockout of an account can be used to keep its owner out; so it is
//! temporary, and the per-source limit (higher, since offices share an
//! address) stops one source from trying many accounts.

use std::collections::HashMap;
use std::hash::Hash;

use chrono::{DateTime, Duration, Utc};

/// The limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures of one account within `window` that lock it.
    pub account_failures: u32,
    /// Failures from one source within `window` that lock it.
    pub source_failures: u32,
    /// How long a failure counts.
    pub window: Duration,
    /// The first lockout's length; each next one doubles it.
    pub first_lockout: Duration,
    /// The longest lockout.
    pub max_lockout: Duration,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            account_failures: 5,
            source_failures: 20,
            window: Duration::minutes(15),
            first_lockout: Duration::minutes(1),
            max_lockout: Duration::hours(1),
        }
    }
}

/// A sign-in attempt must wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many failed sign-ins; try again after {until}")]
pub struct Locked {
    /// When the attempt may be made.
    pub until: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
struct Counter {
    failures: Vec<DateTime<Utc>>,
    lockouts: u32,
    locked_until: Option<DateTime<Utc>>,
}

impl Counter {
    fn locked(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.locked_until.filter(|until| *until > now)
    }

    /// Count a failure; returns the new lockout's end if it locks.
    fn fail(&mut self, now: DateTime<Utc>, limit: u32, policy: &ThrottlePolicy) -> Option<DateTime<Utc>> {
        self.failures.retain(|at| now - *at < policy.window);
        self.failures.push(now);
        if self.failures.len() < limit as usize {
            return None;
        }
        let doublings = self.lockouts.min(16);
        let length = (policy.first_lockout * 2i32.pow(doublings)).min(policy.max_lockout);
        self.lockouts += 1;
        self.failures.clear();
        let until = now + length;
        self.locked_until = Some(until);
        Some(until)
    }

    fn is_stale(&self, now: DateTime<Utc>, policy: &ThrottlePolicy) -> bool {
        self.locked(now).is_none()
            && self.failures.iter().all(|at| now - *at >= policy.window)
            && self
                .locked_until
                .is_none_or(|until| now - until >= policy.max_lockout)
    }
}

/// What a failure led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureOutcome {
    /// The account was locked until then.
    pub account_locked: Option<DateTime<Utc>>,
    /// The source was locked until then.
    pub source_locked: Option<DateTime<Utc>>,
}

/// The throttle's state. `A` identifies accounts (the normalised user name),
/// `S` sources. Kept in memory by the server, or rebuilt from the audit log.
#[derive(Debug, Clone)]
pub struct Throttle<A, S> {
    policy: ThrottlePolicy,
    accounts: HashMap<A, Counter>,
    sources: HashMap<S, Counter>,
}

impl<A: Hash + Eq + Clone, S: Hash + Eq + Clone> Throttle<A, S> {
    /// An empty throttle.
    pub fn new(policy: ThrottlePolicy) -> Self {
        Self {
            policy,
            accounts: HashMap::new(),
            sources: HashMap::new(),
        }
    }

    /// Whether an attempt for `account` from `source` may be made at `now`.
    /// Check before verifying the password, so a locked account costs no hashing.
    pub fn check(&self, account: &A, source: &S, now: DateTime<Utc>) -> Result<(), Locked> {
        let account_until = self.accounts.get(account).and_then(|c| c.locked(now));
        let source_until = self.sources.get(source).and_then(|c| c.locked(now));
        match account_until.max(source_until) {
            Some(until) => Err(Locked { until }),
            None => Ok(()),
        }
    }

    /// Record a failed attempt.
    pub fn record_failure(&mut self, account: &A, source: &S, now: DateTime<Utc>) -> FailureOutcome {
        let policy = self.policy;
        let account_locked =
            self.accounts
                .entry(account.clone())
                .or_default()
                .fail(now, policy.account_failures, &policy);
        let source_locked =
            self.sources
                .entry(source.clone())
                .or_default()
                .fail(now, policy.source_failures, &policy);
        FailureOutcome {
            account_locked,
            source_locked,
        }
    }

    /// Record a successful sign-in: the account's failures and backoff are
    /// forgotten (the source's are not: it may be trying many accounts).
    pub fn record_success(&mut self, account: &A) {
        self.accounts.remove(account);
    }

    /// Forget what no longer matters at `now`, to bound memory.
    pub fn prune(&mut self, now: DateTime<Utc>) {
        let policy = self.policy;
        self.accounts.retain(|_, c| !c.is_stale(now, &policy));
        self.sources.retain(|_, c| !c.is_stale(now, &policy));
    }

    /// How many accounts and sources are tracked.
    pub fn tracked(&self) -> (usize, usize) {
        (self.accounts.len(), self.sources.len())
    }
}
