//! The Fellegi–Sunter model: for each field and level, `m` (probability of
//! the level among pairs that are the same child) and `u` (among pairs that
//! are not). A pair's match weight is the sum of `log2(m/u)` over its
//! fields (0 for a missing field), plus a term-frequency adjustment on name
//! agreement; with the prior `λ` it becomes a probability.
//!
//! Estimation uses no labels: `u` from random record pairs (nearly all of
//! which are non-matches), then `m` and `λ` by expectation–maximisation over
//! the candidate pairs that blocking produces (with a separate non-match
//! distribution inside EM, since blocked non-matches share a key).

use std::collections::HashMap;

use super::compare::{BirthLevel, Field, Levels, N_FIELDS, NameLevel, looks_like_sibling};
use super::record::MatchRecord;
use crate::names::NameKey;

/// Probability at or above which a pair is labelled [`Label::Match`].
///
/// In [`Index::top_k`](super::Index::top_k) and [`link`](super::link) the probability is the
/// posterior that the candidate is *the* sought child among its rivals,
/// with the parents' names weighed given the family name (see
/// [`Model::weight_in`]); so calibrated, it is close to the share of true
/// matches at that level. On the 20,000-case demo set
/// (`examples/evaluate.rs`, whose sweep prints precision per threshold)
/// pairs at p ≥ 0.99 were the true child about 99% of the time, so 0.99
/// keeps `match` above the 0.98 precision a caseworker should be able to
/// rely on, with a margin for data unlike ours. A `match` is still a
/// suggestion a caseworker verifies. Re-check on real, labelled data.
pub const MATCH_THRESHOLD: f64 = 0.99;
/// Probability at or above which a pair is labelled [`Label::Possible`].
pub const POSSIBLE_THRESHOLD: f64 = 0.4;
/// Term-frequency adjustments are clamped to ± this many bits, so that one
/// rare (or misspelt) name cannot decide a match alone.
pub const MAX_TF_BITS: f64 = 4.0;
/// Index of the country field and its `agree` level.
const COUNTRY: usize = 4;
const COUNTRY_AGREE: u8 = 2;
/// Indexes of the family name and the parents' names.
const FAMILY: usize = 1;
const MOTHER: usize = 8;
const FATHER: usize = 9;
/// Pseudo-count added to every level's count when estimating `u` and `m`.
const PSEUDO_COUNT: f64 = 1.0;

/// What the score says about a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Label {
    /// Below [`POSSIBLE_THRESHOLD`].
    NonMatch,
    /// Worth a caseworker's look.
    Possible,
    /// Probably the same child (never given to a probable sibling).
    Match,
}

impl Label {
    /// `match`, `possible` or `non_match`.
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Match => "match",
            Label::Possible => "possible",
            Label::NonMatch => "non_match",
        }
    }
}

/// Token frequencies for the term-frequency adjustment, per field
/// (given, family), keyed by the first token's consonant skeleton.
#[derive(Debug, Clone, Default)]
pub struct TermFrequencies {
    given: HashMap<String, f64>,
    family: HashMap<String, f64>,
    /// Reference frequency per field: the mean frequency of the value in a
    /// random pair that agrees (`Σf³ / Σf²`), so that adjustments centre on 0.
    reference: [f64; 2],
    floor: [f64; 2],
}

/// The frequency key of a name: its first token's first skeleton.
pub fn tf_key(key: &NameKey) -> Option<&str> {
    key.tokens()
        .first()?
        .skeletons()
        .first()
        .map(|s| s.as_str())
        .filter(|s| !s.is_empty())
}

impl TermFrequencies {
    /// Counts over the given records.
    pub fn from_records<'a>(records: impl IntoIterator<Item = &'a MatchRecord>) -> TermFrequencies {
        let mut counts: [HashMap<String, f64>; 2] = [HashMap::new(), HashMap::new()];
        for r in records {
            for (i, key) in [&r.given, &r.family].into_iter().enumerate() {
                if let Some(k) = tf_key(key) {
                    *counts[i].entry(k.to_owned()).or_default() += 1.0;
                }
            }
        }
        let mut reference = [0.0; 2];
        let mut floor = [0.0; 2];
        for (i, table) in counts.iter_mut().enumerate() {
            let total: f64 = table.values().sum();
            if total <= 0.0 {
                continue;
            }
            for v in table.values_mut() {
                *v /= total;
            }
            let s2: f64 = table.values().map(|f| f * f).sum();
            let s3: f64 = table.values().map(|f| f * f * f).sum();
            reference[i] = if s2 > 0.0 { s3 / s2 } else { 0.0 };
            floor[i] = 1.0 / total;
        }
        let [given, family] = counts;
        TermFrequencies {
            given,
            family,
            reference,
            floor,
        }
    }

    /// Adjustment in bits for an agreeing pair on `field` (given or family).
    pub fn adjustment(&self, field: usize, a: &NameKey, b: &NameKey) -> f64 {
        let table = if field == 0 { &self.given } else { &self.family };
        let reference = self.reference[field];
        if reference <= 0.0 {
            return 0.0;
        }
        let freq = |k: &NameKey| {
            tf_key(k)
                .and_then(|s| table.get(s).copied())
                .unwrap_or(self.floor[field])
        };
        // The more common of the two spellings: conservative.
        let f = freq(a).max(freq(b)).max(self.floor[field]);
        (reference / f).log2().clamp(-MAX_TF_BITS, MAX_TF_BITS)
    }
}

/// m and u for every field and level, and the prior.
#[derive(Debug, Clone)]
pub struct Model {
    /// `m[field][level]`; level 0 (missing) unused.
    pub m: Vec<Vec<f64>>,
    /// `u[field][level]`; level 0 (missing) unused.
    pub u: Vec<Vec<f64>>,
    /// `u` among random pairs from the same country of origin: used for the
    /// other fields of a pair whose countries agree, since names, places
    /// and languages cluster by origin (two Sudanese children share a
    /// given name far more often than two random children do).
    pub u_same_country: Vec<Vec<f64>>,
    /// `u` among random pairs whose family names agree (`Strong` or
    /// better): used for the parents' names of a pair whose family names
    /// agree. The child's family name is usually the father's name (or, in
    /// Spanish naming, holds the mother's), so among non-matches a shared
    /// family name makes shared parents' names far more likely than
    /// independence says; multiplying the two as independent made cousins
    /// and namesakes look certain.
    pub u_same_family: Vec<Vec<f64>>,
    /// Prior probability that a candidate pair is a match.
    pub lambda: f64,
    /// Token frequencies.
    pub tf: TermFrequencies,
    /// EM iterations run.
    pub iterations: usize,
}

/// One field's part in a score, for the review screen.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldScore {
    /// The field.
    pub field: Field,
    /// Its level's name (`missing`, `exact`, `overlap_broad`, ...).
    pub level: &'static str,
    /// `log2(m/u)` for the level (0 when missing).
    pub weight: f64,
    /// Term-frequency adjustment included in `weight` (given and family names).
    pub tf_adjustment: f64,
}

/// Why a pair scored what it did.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// Prior log-odds in bits, `log2(λ/(1-λ))`.
    pub prior_weight: f64,
    /// Per field, in [`Field::ALL`] order.
    pub fields: Vec<FieldScore>,
    /// Prior plus every field's weight.
    pub total_weight: f64,
    /// `1 / (1 + 2^-total)`.
    pub probability: f64,
    /// Family agrees, given name and birth conflict.
    pub sibling: bool,
    /// The label given.
    pub label: Label,
}

/// A scored pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// Match weight in bits, prior included.
    pub weight: f64,
    /// Match probability.
    pub probability: f64,
    /// Probable sibling rather than the same child.
    pub sibling: bool,
    /// Label from the probability (a sibling is at most `Possible`).
    pub label: Label,
}

impl Score {
    /// The score with another probability (e.g. a posterior among rival
    /// candidates) and the label it earns; the weight is kept.
    pub fn with_probability(self, probability: f64) -> Score {
        let mut label = if probability >= MATCH_THRESHOLD {
            Label::Match
        } else if probability >= POSSIBLE_THRESHOLD {
            Label::Possible
        } else {
            Label::NonMatch
        };
        if self.sibling && label == Label::Match {
            label = Label::Possible;
        }
        Score {
            probability,
            label,
            ..self
        }
    }
}

fn level_counts(vectors: impl IntoIterator<Item = Levels>) -> Vec<Vec<f64>> {
    let mut counts: Vec<Vec<f64>> = Field::ALL.iter().map(|f| vec![0.0; f.levels().len()]).collect();
    for v in vectors {
        for (f, &l) in v.iter().enumerate() {
            if let Some(c) = counts[f].get_mut(l as usize) {
                *c += 1.0;
            }
        }
    }
    counts
}

fn normalise(counts: &mut [Vec<f64>]) {
    for row in counts.iter_mut() {
        for c in row.iter_mut().skip(1) {
            *c += PSEUDO_COUNT;
        }
        let total: f64 = row.iter().skip(1).sum();
        row[0] = 0.0;
        if total > 0.0 {
            for c in row.iter_mut().skip(1) {
                *c /= total;
            }
        }
    }
}

/// Which fields an EM session estimates; the others are left out of its likelihood.
type Active = [bool; N_FIELDS];

/// One EM run over `patterns` (comparison vector, count), with the `used`
/// fields in the likelihood. Estimates `m` of the `active` fields and, when
/// `free_u`, their non-match distribution; with no active field, only `λ`.
fn em_session(
    patterns: &[(Levels, f64)],
    used: &Active,
    active: &Active,
    m: &mut [Vec<f64>],
    u: &[Vec<f64>],
    free_u: bool,
    lambda: &mut f64,
) -> usize {
    let total: f64 = patterns.iter().map(|(_, n)| n).sum();
    if total <= 0.0 {
        return 0;
    }
    let mut u_em = u.to_vec();
    let mut iterations = 0;
    for _ in 0..200 {
        iterations += 1;
        let mut counts: Vec<Vec<f64>> = Field::ALL.iter().map(|f| vec![0.0; f.levels().len()]).collect();
        let mut u_counts = counts.clone();
        let mut matched = 0.0;
        for (v, n) in patterns {
            let mut log_ratio = 0.0;
            for (f, &l) in v.iter().enumerate() {
                let l = l as usize;
                if l > 0 && used[f] {
                    log_ratio += (m[f][l] / u_em[f][l]).ln();
                }
            }
            let odds = (*lambda / (1.0 - *lambda)) * log_ratio.exp();
            let p = if odds.is_finite() {
                odds / (1.0 + odds)
            } else {
                1.0
            };
            matched += p * n;
            for (f, &l) in v.iter().enumerate() {
                counts[f][l as usize] += p * n;
                u_counts[f][l as usize] += (1.0 - p) * n;
            }
        }
        let new_lambda = (matched / total).clamp(1e-7, 1.0 - 1e-7);
        normalise(&mut counts);
        normalise(&mut u_counts);
        let mut change = (new_lambda - *lambda).abs();
        for f in 0..N_FIELDS {
            if !active[f] {
                continue;
            }
            for l in 1..m[f].len() {
                change += (counts[f][l] - m[f][l]).abs();
            }
            m[f].clone_from(&counts[f]);
            if free_u {
                u_em[f].clone_from(&u_counts[f]);
            }
        }
        *lambda = new_lambda;
        if change < 1e-7 {
            break;
        }
    }
    iterations
}

fn patterns_of<'a>(vectors: impl IntoIterator<Item = &'a Levels>) -> Vec<(Levels, f64)> {
    let mut patterns: HashMap<Levels, f64> = HashMap::new();
    for v in vectors {
        *patterns.entry(*v).or_default() += 1.0;
    }
    let mut out: Vec<(Levels, f64)> = patterns.into_iter().collect();
    // Deterministic order: sums in EM do not depend on hashing.
    out.sort_by_key(|p| p.0);
    out
}

/// Sessions need this many pairs; with fewer, their fields keep the starting `m`.
const MIN_SESSION_PAIRS: usize = 50;

impl Model {
    /// Estimates the model from comparison vectors of `random` record pairs
    /// (for `u`) and of blocked `candidates` (for `m` and `λ`).
    ///
    /// Unlabelled EM over all candidate pairs tends to find the wrong
    /// classes (same country and language rather than same child), so `m`
    /// is estimated in two sessions, each on pairs selected by some fields
    /// and estimating only the *other* fields (as Splink does):
    ///
    /// * A: pairs whose given name agrees strongly and whose births meet;
    ///   estimates every field but given name and birth;
    /// * B: pairs whose family name and a parent's name agree strongly (the
    ///   same family: the child or a sibling); estimates the given name,
    ///   which tells a child from its siblings;
    /// * C: pairs whose given and family names both agree strongly;
    ///   estimates birth and sex. Not in B: pairs of one family are mostly
    ///   siblings, born years apart, and EM there learns that births years
    ///   apart are usual among matches. Two children with the same full
    ///   name are one child or namesakes, and namesakes' births are random.
    ///
    /// Then `λ` alone by EM over all candidate pairs, `m` fixed.
    pub fn estimate(random: &[Levels], candidates: &[Levels], tf: TermFrequencies) -> Model {
        let mut u = level_counts(random.iter().copied());
        normalise(&mut u);
        let mut u_same_country = level_counts(random.iter().copied().filter(|v| v[COUNTRY] == COUNTRY_AGREE));
        normalise(&mut u_same_country);
        let family_agrees = |v: &Levels| v[FAMILY] >= NameLevel::Strong as u8;
        let mut u_same_family = level_counts(random.iter().copied().filter(family_agrees));
        normalise(&mut u_same_family);
        // Starting m: higher levels more likely among matches.
        let mut m: Vec<Vec<f64>> = Field::ALL
            .iter()
            .map(|f| {
                let n = f.levels().len();
                let mut row: Vec<f64> = (0..n)
                    .map(|l| if l == 0 { 0.0 } else { 4f64.powi(l as i32) })
                    .collect();
                let total: f64 = row.iter().sum();
                row.iter_mut().for_each(|x| *x /= total);
                row
            })
            .collect();
        let strong = NameLevel::Strong as u8;
        let mut iterations = 0;
        let a: Vec<&Levels> = candidates
            .iter()
            .filter(|v| v[0] >= strong && v[3] >= BirthLevel::OverlapBroad as u8)
            .collect();
        if a.len() >= MIN_SESSION_PAIRS {
            let mut active = [true; N_FIELDS];
            active[0] = false;
            active[3] = false;
            let mut lambda = 0.1;
            iterations += em_session(&patterns_of(a), &active, &active, &mut m, &u, true, &mut lambda);
        }
        let b: Vec<&Levels> = candidates
            .iter()
            .filter(|v| v[1] >= strong && (v[8] >= strong || v[9] >= strong))
            .collect();
        if b.len() >= MIN_SESSION_PAIRS {
            let mut active = [false; N_FIELDS];
            active[0] = true;
            let mut lambda = 0.1;
            iterations += em_session(&patterns_of(b), &active, &active, &mut m, &u, true, &mut lambda);
        }
        let c: Vec<&Levels> = candidates
            .iter()
            .filter(|v| v[0] >= strong && v[1] >= strong)
            .collect();
        if c.len() >= MIN_SESSION_PAIRS {
            let mut active = [true; N_FIELDS];
            active[0] = false;
            active[1] = false;
            let mut lambda = 0.1;
            let mut m_c = m.clone();
            iterations += em_session(&patterns_of(c), &active, &active, &mut m_c, &u, true, &mut lambda);
            for f in [2, 3] {
                m[f].clone_from(&m_c[f]);
            }
        }
        // The prior: the share of matches among candidate pairs. Blocked
        // non-matches agree more than random pairs do, so here the
        // non-match distribution is that of the candidate pairs themselves
        // (nearly all non-matches); with the random-pair `u` the prior would
        // absorb every pair that shares a name and a country.
        let mut u_candidates = level_counts(candidates.iter().copied());
        normalise(&mut u_candidates);
        let mut lambda = 0.001;
        iterations += em_session(
            &patterns_of(candidates),
            &[true; N_FIELDS],
            &[false; N_FIELDS],
            &mut m,
            &u_candidates,
            false,
            &mut lambda,
        );
        Model {
            m,
            u,
            u_same_country,
            u_same_family,
            lambda,
            tf,
            iterations,
        }
    }

    /// `log2(m/u)` of a field's level (0 when missing).
    pub fn level_weight(&self, field: usize, level: u8) -> f64 {
        self.conditional_weight(field, level, false)
    }

    /// `log2(m/u)`, with `u` among same-country pairs when `same_country`.
    pub fn conditional_weight(&self, field: usize, level: u8, same_country: bool) -> f64 {
        let u = if same_country && field != COUNTRY {
            &self.u_same_country
        } else {
            &self.u
        };
        self.weight_with(field, level, u)
    }

    /// `log2(m/u)` of a field's level in a compared pair, with `u` among
    /// the random pairs that share what this pair shares: the parents'
    /// names given that the family names agree, the other fields given
    /// that the countries agree.
    pub fn weight_in(&self, field: usize, levels: &Levels) -> f64 {
        let level = levels.get(field).copied().unwrap_or(0);
        let family_agrees = levels[FAMILY] >= NameLevel::Strong as u8;
        if family_agrees && (field == MOTHER || field == FATHER) && !self.u_same_family.is_empty() {
            return self.weight_with(field, level, &self.u_same_family);
        }
        self.conditional_weight(field, level, levels[COUNTRY] == COUNTRY_AGREE)
    }

    fn weight_with(&self, field: usize, level: u8, u: &[Vec<f64>]) -> f64 {
        let l = level as usize;
        if l == 0 {
            return 0.0;
        }
        match (
            self.m.get(field).and_then(|r| r.get(l)),
            u.get(field).and_then(|r| r.get(l)),
        ) {
            (Some(&m), Some(&u)) if m > 0.0 && u > 0.0 => (m / u).log2(),
            _ => 0.0,
        }
    }

    /// Prior log-odds in bits.
    pub fn prior_weight(&self) -> f64 {
        (self.lambda / (1.0 - self.lambda)).log2()
    }

    fn tf_adjustment(&self, field: usize, level: u8, a: &MatchRecord, b: &MatchRecord) -> f64 {
        if level < NameLevel::Strong as u8 {
            return 0.0;
        }
        match field {
            0 => self.tf.adjustment(0, &a.given, &b.given),
            1 if !a.family.is_empty() && !b.family.is_empty() => self.tf.adjustment(1, &a.family, &b.family),
            _ => 0.0,
        }
    }

    /// Scores a compared pair.
    pub fn score(&self, levels: &Levels, a: &MatchRecord, b: &MatchRecord) -> Score {
        let mut weight = self.prior_weight();
        for (f, &l) in levels.iter().enumerate() {
            weight += self.weight_in(f, levels) + self.tf_adjustment(f, l, a, b);
        }
        self.finish(weight, levels)
    }

    fn finish(&self, weight: f64, levels: &Levels) -> Score {
        let probability = 1.0 / (1.0 + (-weight).exp2());
        Score {
            weight,
            probability,
            sibling: looks_like_sibling(levels),
            label: Label::NonMatch,
        }
        .with_probability(probability)
    }

    /// The per-field breakdown of a pair's score.
    pub fn explain(&self, levels: &Levels, a: &MatchRecord, b: &MatchRecord) -> Explanation {
        let prior_weight = self.prior_weight();
        let fields: Vec<FieldScore> = Field::ALL
            .iter()
            .zip(levels.iter())
            .enumerate()
            .map(|(i, (&field, &l))| {
                let tf_adjustment = self.tf_adjustment(i, l, a, b);
                FieldScore {
                    field,
                    level: field.levels().get(l as usize).copied().unwrap_or("missing"),
                    weight: self.weight_in(i, levels) + tf_adjustment,
                    tf_adjustment,
                }
            })
            .collect();
        let total_weight = prior_weight + fields.iter().map(|f| f.weight).sum::<f64>();
        let score = self.finish(total_weight, levels);
        Explanation {
            prior_weight,
            fields,
            total_weight,
            probability: score.probability,
            sibling: score.sibling,
            label: score.label,
        }
    }

    /// Number of fields.
    pub fn fields(&self) -> usize {
        N_FIELDS
    }
}
