//! Differential privacy for public releases: the two-sided geometric
//! mechanism and a privacy budget accountant.
//!
//! Hand-written, on purpose: the mechanism is a few lines (the difference of
//! two geometric variables), no crate in our lock file provides it, and the
//! libraries that do (OpenDP) would bring a large dependency tree for one
//! function. It is tested for its mean, variance and point probabilities.
//!
//! Counts get integer noise with `P(k) ∝ exp(-ε|k|/Δ)` (Ghosh, Roughgarden,
//! Sundararajan 2009), which is ε-differentially private for a count whose
//! L1 sensitivity is Δ. Integer output avoids the attack on floating-point
//! Laplace noise (Mironov 2012); the sampler itself uses an `f64` logarithm,
//! so the realised distribution is the ideal one to within floating-point
//! rounding of each probability (documented limit).

use rand::{CryptoRng, Rng};
use serde::Serialize;

use crate::error::StatsError;

/// Draw from the two-sided geometric distribution with `P(k) ∝ alpha^|k|`.
/// `alpha` must be in (0, 1).
pub(crate) fn two_sided_geometric<R: Rng + ?Sized>(rng: &mut R, alpha: f64) -> i64 {
    geometric(rng, alpha) - geometric(rng, alpha)
}

/// Failures before the first success, success probability `1 - alpha`:
/// `P(n) = (1 - alpha) alpha^n`, by inversion.
fn geometric<R: Rng + ?Sized>(rng: &mut R, alpha: f64) -> i64 {
    // Uniform in (0, 1]: never 0, whose logarithm is infinite.
    let u = 1.0 - rng.random::<f64>();
    let n = (u.ln() / alpha.ln()).floor();
    // Bounded: u >= 2^-53, so n <= 53 ln 2 / -ln(alpha), finite for alpha < 1.
    n as i64
}

/// The noise parameter for privacy loss `epsilon` on a count of sensitivity `sensitivity`.
pub(crate) fn alpha(epsilon: f64, sensitivity: u32) -> f64 {
    (-epsilon / f64::from(sensitivity.max(1))).exp()
}

/// Variance of the two-sided geometric distribution with parameter `alpha`.
pub fn geometric_variance(alpha: f64) -> f64 {
    2.0 * alpha / ((1.0 - alpha) * (1.0 - alpha))
}

/// The total privacy loss a dataset may suffer across all public releases,
/// and what has been spent. Sequential composition: the epsilons add up.
/// A release that would go beyond the total is refused before any noise is drawn.
///
/// Phase 2 keeps one accountant per dataset and reporting period, persisted
/// with the releases; the ledger lists each release's epsilon.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PrivacyBudget {
    total: f64,
    spent: f64,
    ledger: Vec<f64>,
}

impl PrivacyBudget {
    pub fn new(total: f64) -> Result<Self, StatsError> {
        check_epsilon(total)?;
        Ok(Self {
            total,
            spent: 0.0,
            ledger: Vec::new(),
        })
    }
    pub fn total(&self) -> f64 {
        self.total
    }
    pub fn spent(&self) -> f64 {
        self.spent
    }
    pub fn remaining(&self) -> f64 {
        (self.total - self.spent).max(0.0)
    }
    pub fn ledger(&self) -> &[f64] {
        &self.ledger
    }

    pub(crate) fn charge(&mut self, epsilon: f64) -> Result<(), StatsError> {
        check_epsilon(epsilon)?;
        // A hair of tolerance so that e.g. ten releases of 0.1 fit a budget of 1.0.
        if self.spent + epsilon > self.total * (1.0 + 1e-9) {
            return Err(StatsError::BudgetExhausted {
                requested: epsilon,
                remaining: self.remaining(),
            });
        }
        self.spent += epsilon;
        self.ledger.push(epsilon);
        Ok(())
    }
}

pub(crate) fn check_epsilon(epsilon: f64) -> Result<(), StatsError> {
    if epsilon.is_finite() && epsilon > 0.0 {
        Ok(())
    } else {
        Err(StatsError::InvalidEpsilon)
    }
}

/// Noise for each of `counts`, clamped at zero (post-processing, so still private).
pub(crate) fn noisy_counts<R: Rng + CryptoRng + ?Sized>(
    rng: &mut R,
    counts: impl Iterator<Item = u64>,
    epsilon: f64,
    sensitivity: u32,
) -> Vec<u64> {
    let a = alpha(epsilon, sensitivity);
    counts
        .map(|c| {
            let noisy = i64::try_from(c)
                .unwrap_or(i64::MAX)
                .saturating_add(two_sided_geometric(rng, a));
            u64::try_from(noisy).unwrap_or(0)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    fn draws(alpha: f64, n: usize) -> Vec<i64> {
        let mut rng = ChaCha20Rng::seed_from_u64(0x5eed);
        (0..n).map(|_| two_sided_geometric(&mut rng, alpha)).collect()
    }

    #[test]
    fn noise_has_mean_zero_and_the_documented_variance() {
        for (epsilon, sensitivity) in [(1.0, 1), (0.5, 1), (1.0, 4), (2.0, 1)] {
            let a = alpha(epsilon, sensitivity);
            let n = 200_000;
            let xs = draws(a, n);
            let mean = xs.iter().sum::<i64>() as f64 / n as f64;
            let var = xs.iter().map(|x| (*x as f64 - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0);
            let expected = geometric_variance(a);
            // Standard error of the mean is sqrt(var/n); 5 of them is a loose but real bound.
            assert!(
                mean.abs() < 5.0 * (expected / n as f64).sqrt(),
                "eps {epsilon}: mean {mean}"
            );
            assert!(
                (var / expected - 1.0).abs() < 0.03,
                "eps {epsilon}: var {var} vs {expected}"
            );
        }
    }

    #[test]
    fn point_probabilities_match_the_two_sided_geometric() {
        let a = alpha(1.0, 1);
        let n = 200_000;
        let xs = draws(a, n);
        for k in -3i64..=3 {
            let observed = xs.iter().filter(|x| **x == k).count() as f64 / n as f64;
            let expected = (1.0 - a) / (1.0 + a) * a.powi(k.unsigned_abs() as i32);
            assert!(
                (observed - expected).abs() < 0.005,
                "P({k}) observed {observed}, expected {expected}"
            );
        }
    }

    #[test]
    fn the_budget_refuses_releases_beyond_it() {
        let mut budget = PrivacyBudget::new(1.0).expect("budget");
        for _ in 0..10 {
            budget.charge(0.1).expect("within budget");
        }
        assert!(matches!(
            budget.charge(0.1),
            Err(StatsError::BudgetExhausted { .. })
        ));
        assert_eq!(budget.ledger().len(), 10);
        assert!(budget.remaining() < 1e-9);
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(PrivacyBudget::new(bad), Err(StatsError::InvalidEpsilon));
        }
    }
}
