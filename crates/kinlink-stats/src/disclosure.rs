//! Disclosure control: the only way a [`Table`] leaves the engine.
//!
//! Method (see ARCHITECTURE.md, "Statistics", for the limits):
//!
//! 1. **Totals.** Every dimension gets a total, so a table with dimensions
//!    `d1..dk` is released with all its margins (the "augmented" table). Every
//!    *line* (all cells that differ only in one dimension, that dimension's total
//!    included) is an additive constraint: the categories add up to the total.
//! 2. **Primary suppression.** A count `c` with `0 < c < threshold` is hidden.
//!    Zeros are shown.
//! 3. **Secondary suppression, line rule.** Repeated to a fixed point: a line
//!    with exactly one hidden cell hides one more, the cheapest (non-zero before
//!    zero, interior before totals, smallest first), so no hidden value is the
//!    difference of a total and the shown cells.
//! 4. **Audit.** The line rule is not enough on its own (two hidden blocks
//!    joined by a single path can still be solved). The hidden cells are
//!    unknowns of the linear system of all line constraints; a cell is exactly
//!    recoverable when its unit vector lies in the row space of that system. The
//!    audit computes this exactly (Gaussian elimination over the prime field
//!    2^61-1, component by component), hides one more cell on a line through
//!    every recoverable cell, and repeats steps 3-4 until nothing is recoverable.
//! 5. **Derived figures.** Medians, 90th percentiles, totals of durations and
//!    shares within a target are shown only in cells whose count is shown and
//!    whose number of values reaches the threshold (the 90th percentile: twice
//!    the threshold, so it is never the largest value of a handful).
//!
//! Hidden cells are marked `suppressed` whether primary or secondary, so the
//! release does not tell which hidden cells are small.

use serde::{Serialize, Serializer};

use crate::dims::{Dimension, Label};
use crate::error::StatsError;
use crate::indicator::{Indicator, Unit, ValueUnit};
use crate::noise::{PrivacyBudget, check_epsilon, noisy_counts};
use crate::table::{Shape, Table};

/// Smallest threshold accepted: below it a cell of 1 or 2 would be shown.
pub const MIN_THRESHOLD: u64 = 3;
/// The default threshold: cells of 1 to 4 are hidden.
pub const DEFAULT_THRESHOLD: u64 = 5;
/// Largest connected group of hidden cells the exact audit solves; beyond it
/// the release says `audit_complete: false` (line rule only).
pub const AUDIT_MAX_UNKNOWNS: usize = 2_500;

/// The suppression rules of a release.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct DisclosurePolicy {
    threshold: u64,
}

impl Default for DisclosurePolicy {
    fn default() -> Self {
        Self {
            threshold: DEFAULT_THRESHOLD,
        }
    }
}

impl DisclosurePolicy {
    pub fn new(threshold: u64) -> Result<Self, StatsError> {
        if threshold < MIN_THRESHOLD {
            return Err(StatsError::ThresholdTooLow { min: MIN_THRESHOLD });
        }
        Ok(Self { threshold })
    }
    pub fn threshold(&self) -> u64 {
        self.threshold
    }
}

/// A released number, or why it is not shown.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Figure<T> {
    Value(T),
    Hidden(Hidden),
}

impl<T: Copy> Figure<T> {
    pub fn value(&self) -> Option<T> {
        match self {
            Figure::Value(v) => Some(*v),
            Figure::Hidden(_) => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Hidden {
    /// Small, or hidden so that a small cell cannot be worked out.
    Suppressed,
    /// Durations and shares are not released from a noisy (differentially private) table.
    NotReleasedWithNoise,
}

/// A category of a released cell: a label or the total over that dimension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Category {
    Of(Label),
    Total,
}

impl Category {
    pub fn code(&self) -> String {
        match self {
            Category::Of(l) => l.code().into_owned(),
            Category::Total => "total".to_owned(),
        }
    }
}

impl Serialize for Category {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.code())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReleasedCell {
    categories: Vec<Category>,
    count: Figure<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    median: Option<Figure<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    p90: Option<Figure<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sum: Option<Figure<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    share_met: Option<Figure<f64>>,
}

impl ReleasedCell {
    pub fn categories(&self) -> &[Category] {
        &self.categories
    }
    pub fn count(&self) -> Figure<u64> {
        self.count
    }
    pub fn median(&self) -> Option<Figure<f64>> {
        self.median
    }
    pub fn p90(&self) -> Option<Figure<f64>> {
        self.p90
    }
    pub fn sum(&self) -> Option<Figure<f64>> {
        self.sum
    }
    /// Share of assessed contributions that met the target (deadline, benchmark).
    pub fn share_met(&self) -> Option<Figure<f64>> {
        self.share_met
    }
    pub fn is_total_in(&self, dimension_index: usize) -> bool {
        self.categories.get(dimension_index) == Some(&Category::Total)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NoiseNote {
    pub mechanism: &'static str,
    pub epsilon: f64,
    /// Most a single child (guardian, request) can change the counts before noise.
    pub sensitivity: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DisclosureNote {
    pub threshold: u64,
    pub method: &'static str,
    /// False when a group of hidden cells was too large to audit exactly.
    pub audit_complete: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noise: Option<NoiseNote>,
}

/// A table after disclosure control: labels from closed vocabularies and
/// numbers, nothing else. Built only by [`Table::release`] and
/// [`Table::release_with_noise`]; not deserialisable, so it cannot be forged
/// from outside and passed off as released.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReleasedTable {
    indicator: Indicator,
    unit: Unit,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_unit: Option<ValueUnit>,
    dimensions: Vec<Dimension>,
    cells: Vec<ReleasedCell>,
    disclosure: DisclosureNote,
}

const METHOD: &str = "primary suppression of counts below the threshold; secondary suppression until no line \
                      has a single hidden cell and no hidden cell is exactly recoverable from the released cells";

impl ReleasedTable {
    pub fn indicator(&self) -> Indicator {
        self.indicator
    }
    pub fn dimensions(&self) -> &[Dimension] {
        &self.dimensions
    }
    pub fn cells(&self) -> &[ReleasedCell] {
        &self.cells
    }
    pub fn disclosure(&self) -> &DisclosureNote {
        &self.disclosure
    }
    pub fn value_unit(&self) -> Option<ValueUnit> {
        self.value_unit
    }

    /// The cell with these category codes (`"total"` for a total).
    pub fn cell(&self, codes: &[&str]) -> Option<&ReleasedCell> {
        self.cells.iter().find(|c| {
            c.categories.len() == codes.len()
                && c.categories
                    .iter()
                    .zip(codes)
                    .all(|(cat, code)| cat.code() == *code)
        })
    }

    /// The grand total.
    pub fn total(&self) -> Option<&ReleasedCell> {
        self.cells
            .iter()
            .find(|c| c.categories.iter().all(|x| *x == Category::Total))
    }
}

impl Table {
    /// Release with small-cell and secondary suppression.
    pub fn release(&self, policy: &DisclosurePolicy) -> ReleasedTable {
        let interior: Vec<u64> = self.cells.iter().map(|c| c.count).collect();
        let counts = augment(&self.shape, &interior);
        let protection = protect(&self.shape, &counts, policy.threshold);
        self.build(policy, &counts, protection, None)
    }

    /// Release for the public with differentially private counts: each cell's
    /// count (with every child's contributions capped at the table's
    /// sensitivity) gets two-sided geometric noise for `epsilon`, totals are
    /// sums of the noisy cells (consistent, no extra privacy cost), and the
    /// result is then suppressed like any release. `epsilon` is charged to
    /// `budget` first; a release beyond the budget is refused. Durations and
    /// shares are not released from noisy tables.
    pub fn release_with_noise<R: rand::Rng + rand::CryptoRng + ?Sized>(
        &self,
        policy: &DisclosurePolicy,
        budget: &mut PrivacyBudget,
        epsilon: f64,
        rng: &mut R,
    ) -> Result<ReleasedTable, StatsError> {
        check_epsilon(epsilon)?;
        budget.charge(epsilon)?;
        let noisy = noisy_counts(
            rng,
            self.cells.iter().map(|c| c.clipped),
            epsilon,
            self.sensitivity,
        );
        let counts = augment(&self.shape, &noisy);
        let protection = protect(&self.shape, &counts, policy.threshold);
        let note = NoiseNote {
            mechanism: "two-sided geometric",
            epsilon,
            sensitivity: self.sensitivity,
        };
        Ok(self.build(policy, &counts, protection, Some(note)))
    }

    fn build(
        &self,
        policy: &DisclosurePolicy,
        counts: &[u64],
        protection: Protection,
        noise: Option<NoiseNote>,
    ) -> ReleasedTable {
        let threshold = policy.threshold;
        let value_unit = self.indicator.value_unit();
        let has_target = matches!(
            self.indicator,
            Indicator::GuardianAppointment | Indicator::Referrals
        );
        let with_values = value_unit.is_some() && noise.is_none();
        let with_target = has_target && noise.is_none();
        let mut values: Vec<Vec<f64>> = Vec::new();
        let mut assessed = Vec::new();
        let mut met = Vec::new();
        if with_values {
            values = vec![Vec::new(); counts.len()];
            for (i, cell) in self.cells.iter().enumerate() {
                for_each_total(&self.shape, i, |a| values[a].extend_from_slice(&cell.values));
            }
        }
        if with_target {
            assessed = augment(
                &self.shape,
                &self.cells.iter().map(|c| c.assessed).collect::<Vec<_>>(),
            );
            met = augment(&self.shape, &self.cells.iter().map(|c| c.met).collect::<Vec<_>>());
        }
        let not_with_noise = Figure::Hidden(Hidden::NotReleasedWithNoise);
        let cells = (0..counts.len())
            .map(|a| {
                let shown = !protection.hidden[a];
                let categories = self
                    .shape
                    .augmented_coords(a)
                    .iter()
                    .zip(&self.categories)
                    .map(|(c, cats)| cats.get(*c).map_or(Category::Total, |l| Category::Of(l.clone())))
                    .collect();
                let gate = |ok: bool, v: f64| {
                    if ok {
                        Figure::Value(v)
                    } else {
                        Figure::Hidden(Hidden::Suppressed)
                    }
                };
                let (median, p90, sum) = match (value_unit, with_values) {
                    (None, _) => (None, None, None),
                    (Some(_), false) => (Some(not_with_noise), Some(not_with_noise), Some(not_with_noise)),
                    (Some(_), true) => {
                        let v = &mut values[a];
                        v.sort_by(f64::total_cmp);
                        let n = v.len() as u64;
                        let enough = shown && n >= threshold;
                        (
                            Some(gate(enough, round1(median(v)))),
                            Some(gate(enough && n >= 2 * threshold, round1(nearest_rank(v, 0.9)))),
                            Some(gate(enough, round1(v.iter().sum()))),
                        )
                    }
                };
                let share_met = match (has_target, with_target) {
                    (false, _) => None,
                    (true, false) => Some(not_with_noise),
                    (true, true) => {
                        let ok = shown && assessed[a] >= threshold;
                        let share = if assessed[a] == 0 {
                            0.0
                        } else {
                            met[a] as f64 / assessed[a] as f64
                        };
                        Some(gate(ok, (share * 1000.0).round() / 1000.0))
                    }
                };
                ReleasedCell {
                    categories,
                    count: if shown {
                        Figure::Value(counts[a])
                    } else {
                        Figure::Hidden(Hidden::Suppressed)
                    },
                    median,
                    p90,
                    sum,
                    share_met,
                }
            })
            .collect();
        ReleasedTable {
            indicator: self.indicator,
            unit: self.indicator.unit(),
            value_unit,
            dimensions: self.dimensions.clone(),
            cells,
            disclosure: DisclosureNote {
                threshold,
                method: METHOD,
                audit_complete: protection.audit_complete,
                noise,
            },
        }
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn median(sorted: &[f64]) -> f64 {
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Nearest-rank percentile: the smallest value with at least `p` of the values at or below it.
fn nearest_rank(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Call `f` with every augmented cell interior cell `i` adds to: itself and
/// each of its totals (2^k cells for k dimensions).
fn for_each_total(shape: &Shape, i: usize, mut f: impl FnMut(usize)) {
    let coords = shape.interior_coords(i);
    let k = coords.len();
    let strides: Vec<usize> = (0..k).map(|d| shape.augmented_stride(d)).collect();
    let base: usize = coords.iter().zip(&strides).map(|(c, s)| c * s).sum();
    for mask in 0u32..(1 << k) {
        let mut a = base;
        for d in 0..k {
            if mask & (1 << d) != 0 {
                a += (shape.sizes[d] - coords[d]) * strides[d];
            }
        }
        f(a);
    }
}

/// The augmented table (every margin added) of interior counts.
pub(crate) fn augment(shape: &Shape, interior: &[u64]) -> Vec<u64> {
    let mut out = vec![0u64; shape.augmented_len().unwrap_or(0)];
    for (i, v) in interior.iter().enumerate() {
        if *v != 0 {
            for_each_total(shape, i, |a| out[a] += v);
        }
    }
    out
}

/// One line of the augmented table: `len` cells from `start` by `stride`,
/// the last being the total of the others.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Line {
    start: usize,
    stride: usize,
    len: usize,
}

impl Line {
    pub fn cells(self) -> impl Iterator<Item = usize> {
        (0..self.len).map(move |j| self.start + j * self.stride)
    }
    fn total(self) -> usize {
        self.start + (self.len - 1) * self.stride
    }
}

pub(crate) fn lines(shape: &Shape) -> Vec<Line> {
    let n = shape.augmented_len().unwrap_or(0);
    let mut out = Vec::new();
    for d in 0..shape.sizes.len() {
        let stride = shape.augmented_stride(d);
        let len = shape.sizes[d] + 1;
        out.extend(
            (0..n)
                .filter(|a| (a / stride).is_multiple_of(len))
                .map(|start| Line { start, stride, len }),
        );
    }
    out
}

fn lines_through(shape: &Shape, cell: usize) -> impl Iterator<Item = Line> + '_ {
    (0..shape.sizes.len()).map(move |d| {
        let stride = shape.augmented_stride(d);
        let len = shape.sizes[d] + 1;
        Line {
            start: cell - ((cell / stride) % len) * stride,
            stride,
            len,
        }
    })
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Protection {
    pub hidden: Vec<bool>,
    pub audit_complete: bool,
}

/// Primary and secondary suppression of an augmented table of counts.
pub(crate) fn protect(shape: &Shape, counts: &[u64], threshold: u64) -> Protection {
    let mut hidden: Vec<bool> = counts.iter().map(|&c| c > 0 && c < threshold).collect();
    if !hidden.contains(&true) {
        return Protection {
            hidden,
            audit_complete: true,
        };
    }
    let all_lines = lines(shape);
    let totals_in = |a: usize| {
        shape
            .augmented_coords(a)
            .iter()
            .zip(&shape.sizes)
            .filter(|(c, s)| c == s)
            .count()
    };
    // Cheapest cell to hide: non-zero first (a hidden zero protects little),
    // interior before totals, then the smallest.
    let cost = |a: usize| (counts[a] == 0, totals_in(a), counts[a]);
    loop {
        loop {
            let mut changed = false;
            for line in &all_lines {
                if line.cells().filter(|a| hidden[*a]).count() == 1
                    && let Some(c) = line.cells().filter(|a| !hidden[*a]).min_by_key(|a| cost(*a))
                {
                    hidden[c] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let audit = audit(&all_lines, &hidden);
        if audit.determined.is_empty() {
            return Protection {
                hidden,
                audit_complete: audit.complete,
            };
        }
        let mut changed = false;
        for &cell in &audit.determined {
            let candidate = lines_through(shape, cell)
                .flat_map(Line::cells)
                .filter(|a| !hidden[*a])
                .min_by_key(|a| cost(*a));
            if let Some(c) = candidate {
                hidden[c] = true;
                changed = true;
            }
        }
        if !changed {
            // Every line through the recoverable cells is hidden already: hide
            // the cheapest shown cell anywhere. Hiding everything ends the loop
            // at the latest, since then nothing is known.
            match (0..counts.len()).filter(|a| !hidden[*a]).min_by_key(|a| cost(*a)) {
                Some(c) => hidden[c] = true,
                None => {
                    return Protection {
                        hidden,
                        audit_complete: audit.complete,
                    };
                }
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Audit {
    /// Hidden cells whose value follows exactly from the shown cells.
    pub determined: Vec<usize>,
    pub complete: bool,
}

const P: u64 = (1 << 61) - 1;

fn mul(a: u64, b: u64) -> u64 {
    ((u128::from(a) * u128::from(b)) % u128::from(P)) as u64
}

fn inverse(a: u64) -> u64 {
    // Fermat: a^(P-2).
    let (mut base, mut exp, mut acc) = (a, P - 2, 1u64);
    while exp > 0 {
        if exp & 1 == 1 {
            acc = mul(acc, base);
        }
        base = mul(base, base);
        exp >>= 1;
    }
    acc
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

/// Which hidden cells an attacker can compute exactly from the shown ones,
/// using every line's additivity. Exact arithmetic modulo a 61-bit prime: a
/// wrong answer would need the prime to divide a minor of a 0/±1 matrix.
pub(crate) fn audit(all_lines: &[Line], hidden: &[bool]) -> Audit {
    let mut column = vec![usize::MAX; hidden.len()];
    let mut unknowns = Vec::new();
    for (a, h) in hidden.iter().enumerate() {
        if *h {
            column[a] = unknowns.len();
            unknowns.push(a);
        }
    }
    // Equations: interior cells of a line add up to its total.
    let mut equations: Vec<Vec<(usize, u64)>> = Vec::new();
    for line in all_lines {
        let total = line.total();
        let terms: Vec<(usize, u64)> = line
            .cells()
            .filter(|a| hidden[*a])
            .map(|a| (column[a], if a == total { P - 1 } else { 1 }))
            .collect();
        if !terms.is_empty() {
            equations.push(terms);
        }
    }
    let mut parent: Vec<usize> = (0..unknowns.len()).collect();
    for eq in &equations {
        let first = find(&mut parent, eq[0].0);
        for (u, _) in &eq[1..] {
            let r = find(&mut parent, *u);
            parent[r] = first;
        }
    }
    let mut groups: std::collections::HashMap<usize, Vec<usize>> = std::collections::HashMap::new();
    for (i, eq) in equations.iter().enumerate() {
        let root = find(&mut parent, eq[0].0);
        groups.entry(root).or_default().push(i);
    }
    let mut determined = Vec::new();
    let mut complete = true;
    for eq_ids in groups.values() {
        let mut cols: Vec<usize> = eq_ids
            .iter()
            .flat_map(|e| equations[*e].iter().map(|(u, _)| *u))
            .collect();
        cols.sort_unstable();
        cols.dedup();
        if cols.len() > AUDIT_MAX_UNKNOWNS {
            complete = false;
            continue;
        }
        let local = |u: usize| cols.binary_search(&u).unwrap_or(0);
        let m = cols.len();
        let mut rows: Vec<Vec<u64>> = eq_ids
            .iter()
            .map(|e| {
                let mut row = vec![0u64; m];
                for (u, coef) in &equations[*e] {
                    row[local(*u)] = *coef;
                }
                row
            })
            .collect();
        let mut pivot_of = vec![None; m];
        let mut r = 0;
        for c in 0..m {
            let Some(p) = (r..rows.len()).find(|i| rows[*i][c] != 0) else {
                continue;
            };
            rows.swap(r, p);
            let inv = inverse(rows[r][c]);
            for x in rows[r].iter_mut() {
                *x = mul(*x, inv);
            }
            let pivot = rows[r].clone();
            for (i, row) in rows.iter_mut().enumerate() {
                let f = row[c];
                if i == r || f == 0 {
                    continue;
                }
                for (x, p) in row.iter_mut().zip(&pivot) {
                    if *p != 0 {
                        *x = (*x + P - mul(f, *p)) % P;
                    }
                }
            }
            pivot_of[c] = Some(r);
            r += 1;
            if r == rows.len() {
                break;
            }
        }
        let is_pivot: Vec<bool> = pivot_of.iter().map(Option::is_some).collect();
        for (c, p) in pivot_of.iter().enumerate() {
            if let Some(row) = p
                && rows[*row]
                    .iter()
                    .enumerate()
                    .all(|(j, x)| j == c || is_pivot[j] || *x == 0)
            {
                determined.push(unknowns[cols[c]]);
            }
        }
    }
    determined.sort_unstable();
    Audit { determined, complete }
}
