//! Blocking, the in-memory [`Index`] over cases, and batch linking and
//! de-duplication (in parallel with rayon).

use std::collections::HashMap;

use rayon::prelude::*;

use super::compare::{Levels, compare, compare_with};
use super::model::{Label, Model, Score, TermFrequencies};
use super::record::{BlockKey, MatchRecord};
use crate::names::{TokenInterner, TokenMemo};

/// Blocking keys whose block holds more records than this are skipped at
/// query time (a very common name alone finds too many to compare; the
/// record's other keys still find its match).
pub const DEFAULT_BLOCK_CAP: usize = 2_000;

/// At most this many candidates per query are compared in full: the
/// records that share the most, and the rarest, blocking keys with it (see
/// [`Index::candidates`]).
pub const DEFAULT_MAX_CANDIDATES: usize = 500;

/// A scored candidate from the index.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The candidate's slot in the index (see [`Index::id`]).
    pub slot: usize,
    /// Its score.
    pub score: Score,
}

impl Candidate {
    /// Whether it looks like a sibling of the sought child.
    pub fn sibling(&self) -> bool {
        self.score.sibling
    }
}

/// An in-memory index of records by blocking key.
///
/// Memory: blocking keys are interned (a posting list per distinct key, a
/// record keeps the `u32` ids of its keys), and the records' name tokens are
/// shared among records through a [`TokenInterner`], so a record costs its
/// own small arrays rather than every token's comparison forms.
#[derive(Debug, Clone)]
pub struct Index {
    slots: Vec<Option<Slot>>,
    by_id: HashMap<String, usize>,
    /// Key → its id (index into `postings` and `keys`).
    symbols: HashMap<BlockKey, u32>,
    /// Per key id, the slots holding the key, ascending.
    postings: Vec<Vec<u32>>,
    /// Per key id, the key (to forget it when its list empties).
    keys: Vec<BlockKey>,
    /// Key ids whose list emptied, for reuse.
    free: Vec<u32>,
    tokens: TokenInterner,
    cap: usize,
    max_candidates: usize,
}

#[derive(Debug, Clone)]
struct Slot {
    id: Box<str>,
    record: MatchRecord,
    keys: Box<[u32]>,
}

impl Default for Index {
    fn default() -> Self {
        Index::new(DEFAULT_BLOCK_CAP)
    }
}

/// Per-thread buffers for [`Index::candidates`], reused across queries so
/// that a query allocates nothing proportional to the index.
#[derive(Default)]
struct Scratch {
    keys: Vec<BlockKey>,
    /// Per slot, the weight summed over fields so far.
    total: Vec<f32>,
    /// Per slot, the best weight on the current field.
    field: Vec<f32>,
    touched: Vec<u32>,
    touched_field: Vec<u32>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

impl Index {
    /// An empty index skipping blocks larger than `cap`, comparing at most
    /// [`DEFAULT_MAX_CANDIDATES`] records per query.
    pub fn new(cap: usize) -> Index {
        Index::with_limits(cap, DEFAULT_MAX_CANDIDATES)
    }

    /// An empty index skipping blocks larger than `cap`, comparing at most
    /// `max_candidates` records per query.
    pub fn with_limits(cap: usize, max_candidates: usize) -> Index {
        Index {
            slots: Vec::new(),
            by_id: HashMap::new(),
            symbols: HashMap::new(),
            postings: Vec::new(),
            keys: Vec::new(),
            free: Vec::new(),
            tokens: TokenInterner::new(),
            cap,
            max_candidates: max_candidates.max(1),
        }
    }

    /// Adds (or replaces) a record under `id`; returns its slot.
    pub fn add(&mut self, id: impl Into<String>, mut record: MatchRecord) -> usize {
        let id = id.into();
        self.remove(&id);
        let slot = self.slots.len();
        record.intern(&mut self.tokens);
        let keys: Box<[u32]> = record
            .blocking_keys()
            .into_iter()
            .map(|k| {
                let sym = match self.symbols.get(&k) {
                    Some(&sym) => sym,
                    None => {
                        let sym = match self.free.pop() {
                            Some(sym) => {
                                self.keys[sym as usize] = k;
                                sym
                            }
                            None => {
                                self.postings.push(Vec::new());
                                self.keys.push(k);
                                (self.postings.len() - 1) as u32
                            }
                        };
                        self.symbols.insert(k, sym);
                        sym
                    }
                };
                self.postings[sym as usize].push(slot as u32);
                sym
            })
            .collect();
        self.by_id.insert(id.clone(), slot);
        self.slots.push(Some(Slot {
            id: id.into_boxed_str(),
            record,
            keys,
        }));
        slot
    }

    /// Replaces the record under `id` (same as [`Index::add`]).
    pub fn update(&mut self, id: impl Into<String>, record: MatchRecord) -> usize {
        self.add(id, record)
    }

    /// Removes the record under `id`; whether there was one.
    pub fn remove(&mut self, id: &str) -> bool {
        let Some(slot) = self.by_id.remove(id) else {
            return false;
        };
        if let Some(removed) = self.slots.get_mut(slot).and_then(Option::take) {
            for &sym in removed.keys.iter() {
                let Some(list) = self.postings.get_mut(sym as usize) else {
                    continue;
                };
                list.retain(|&s| s as usize != slot);
                if list.is_empty() {
                    *list = Vec::new();
                    if let Some(key) = self.keys.get(sym as usize) {
                        self.symbols.remove(key);
                    }
                    self.free.push(sym);
                }
            }
            removed.record.release(&mut self.tokens);
        }
        true
    }

    /// Number of records held.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// The id of a slot (`None` once removed).
    pub fn id(&self, slot: usize) -> Option<&str> {
        self.slots.get(slot)?.as_ref().map(|s| &*s.id)
    }

    /// The record of a slot.
    pub fn record(&self, slot: usize) -> Option<&MatchRecord> {
        self.slots.get(slot)?.as_ref().map(|s| &s.record)
    }

    /// Slots sharing at least one blocking key with `record` (blocks over
    /// the cap skipped), deduplicated and sorted; at most the index's
    /// `max_candidates`.
    ///
    /// When more records share a key than that, the cheap evidence of the
    /// keys themselves picks the ones to compare (weighted meta-blocking,
    /// Papadakis et al.): each shared key counts its inverse block
    /// frequency `ln(N / block size)`, so a record sharing the given name
    /// with its year, the family name and a parent's name outranks one
    /// that only shares a common given name. The sought child shares
    /// several keys unless nearly every field was written differently.
    ///
    /// The weights are summed in per-thread arrays indexed by slot (reused
    /// across queries), so a query costs the length of the posting lists
    /// it reads, with no sort of every hit.
    pub fn candidates(&self, record: &MatchRecord) -> Vec<usize> {
        SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut scratch) => self.candidates_in(record, &mut scratch),
            // Re-entered on this thread (cannot happen today): fresh buffers.
            Err(_) => self.candidates_in(record, &mut Scratch::default()),
        })
    }

    fn candidates_in(&self, record: &MatchRecord, scratch: &mut Scratch) -> Vec<usize> {
        let total = self.slots.len().max(1) as f32;
        let Scratch {
            keys,
            total: sum,
            field: best,
            touched,
            touched_field,
        } = scratch;
        if sum.len() < self.slots.len() {
            sum.resize(self.slots.len(), 0.0);
            best.resize(self.slots.len(), 0.0);
        }
        touched.clear();
        record.blocking_keys_into(keys);
        // Keys are sorted by kind, and kinds of one field are adjacent: a
        // field counts once, by its rarest shared key (a given name shared
        // with its year of birth also shares the given name alone: that is
        // one piece of evidence).
        let mut i = 0;
        while i < keys.len() {
            let field = keys[i].kind().field();
            touched_field.clear();
            while i < keys.len() && keys[i].kind().field() == field {
                if let Some(&sym) = self.symbols.get(&keys[i])
                    && let Some(list) = self.postings.get(sym as usize)
                    && !list.is_empty()
                    && list.len() <= self.cap
                {
                    let weight = (total / list.len() as f32).ln_1p();
                    for &s in list {
                        let b = &mut best[s as usize];
                        if *b == 0.0 {
                            touched_field.push(s);
                        }
                        if weight > *b {
                            *b = weight;
                        }
                    }
                }
                i += 1;
            }
            for &s in touched_field.iter() {
                let slot = s as usize;
                if sum[slot] == 0.0 {
                    touched.push(s);
                }
                sum[slot] += best[slot];
                best[slot] = 0.0;
            }
        }
        let mut merged: Vec<(u32, f32)> = touched.iter().map(|&s| (s, sum[s as usize])).collect();
        for &s in touched.iter() {
            sum[s as usize] = 0.0;
        }
        if merged.len() > self.max_candidates {
            // Heaviest first; ties by slot so the choice is deterministic.
            let heavier = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
            merged.select_nth_unstable_by(self.max_candidates - 1, heavier);
            merged.truncate(self.max_candidates);
        }
        merged.sort_unstable_by_key(|h| h.0);
        merged.into_iter().map(|(s, _)| s as usize).collect()
    }

    /// The best `k` candidates for `record` labelled at least `Possible`,
    /// best first, and how many pairs were compared.
    ///
    /// The record seeks one child, registered at most once, so the
    /// candidates compete: a candidate's probability is its posterior among
    /// "none of them" and "this one" (see `one_child_posterior`), and only the
    /// best may be labelled `match`.
    pub fn top_k(&self, model: &Model, record: &MatchRecord, k: usize) -> (Vec<Candidate>, usize) {
        let slots = self.candidates(record);
        let compared = slots.len();
        let mut memo = TokenMemo::new();
        let mut out: Vec<Candidate> = slots
            .into_iter()
            .filter_map(|slot| {
                let other = self.record(slot)?;
                let levels = compare_with(record, other, &mut memo);
                Some(Candidate {
                    slot,
                    score: model.score(&levels, record, other),
                })
            })
            .collect();
        one_child_posterior(&mut out);
        out.retain(|c| c.score.label != Label::NonMatch);
        rank(&mut out);
        one_match(&mut out);
        out.truncate(k);
        (out, compared)
    }
}

/// Turns pairwise probabilities into the posterior that each candidate is
/// *the* sought child, when at most one is: with odds `o_j = 2^weight_j`
/// (prior included), `P(j) = o_j / (1 + Σ_k o_k)`, the sum over the
/// candidates that may be the child (probable siblings excluded: by the
/// sibling rule they are not). A pair scored alone is over-confident
/// whenever another candidate explains the evidence as well (a namesake
/// from the same village, a duplicate registration): then neither is a
/// `match`, both stay for a caseworker to compare. Candidates outside the
/// blocks are taken to have negligible odds.
fn one_child_posterior(candidates: &mut [Candidate]) {
    let rivals = || {
        candidates
            .iter()
            .filter(|c| !c.score.sibling)
            .map(|c| c.score.weight)
    };
    // log2(1 + Σ 2^w), computed around the largest term to avoid overflow.
    let top = rivals().fold(0.0f64, f64::max);
    let total = (-top).exp2() + rivals().map(|w| (w - top).exp2()).sum::<f64>();
    let log_denominator = top + total.log2();
    for c in candidates.iter_mut() {
        let posterior = (c.score.weight - log_denominator).exp2().min(c.score.probability);
        // Worth a look stays decided by the pair alone (a strong rival does
        // not hide a candidate); `match` needs the posterior.
        let listed = c.score.label != Label::NonMatch;
        c.score = c.score.with_probability(posterior);
        if listed && c.score.label == Label::NonMatch {
            c.score.label = Label::Possible;
        }
    }
}

/// A request seeks one child, registered once: only the best candidate may
/// be labelled `match`; the others (duplicate registrations, siblings,
/// namesakes) are kept as `possible` for a caseworker to compare.
fn one_match(ranked: &mut [Candidate]) {
    for c in ranked.iter_mut().skip(1) {
        if c.score.label == Label::Match {
            c.score.label = Label::Possible;
        }
    }
}

/// Best first: higher probability, then higher weight, then lower slot.
fn rank(c: &mut [Candidate]) {
    c.sort_by(|a, b| {
        b.score
            .weight
            .total_cmp(&a.score.weight)
            .then(a.slot.cmp(&b.slot))
    });
}

/// Deterministic pseudo-random numbers (SplitMix64): estimation must give
/// the same model for the same data.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// How the model is estimated.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Random pairs compared for `u`.
    pub random_pairs: usize,
    /// Left records whose candidate pairs feed EM (evenly spread).
    pub em_records: usize,
    /// Block cap (see [`DEFAULT_BLOCK_CAP`]).
    pub block_cap: usize,
    /// Seed of the random pair sample.
    pub seed: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            random_pairs: 200_000,
            em_records: 2_000,
            block_cap: DEFAULT_BLOCK_CAP,
            seed: 0x6b69_6e6c_696e_6b00,
        }
    }
}

/// Estimates a model for linking `left` records against `right` ones
/// (`same` = one dataset against itself, skipping self pairs).
pub fn estimate(
    left: &[MatchRecord],
    right: &[MatchRecord],
    index: &Index,
    same: bool,
    settings: &Settings,
) -> Model {
    let tf = TermFrequencies::from_records(left.iter().chain(if same { [].iter() } else { right.iter() }));
    if left.is_empty() || right.is_empty() {
        return Model::estimate(&[], &[], tf);
    }
    let mut rng = SplitMix(settings.seed);
    let pairs: Vec<(usize, usize)> = (0..settings.random_pairs)
        .map(|_| (rng.below(left.len()), rng.below(right.len())))
        .filter(|(a, b)| !same || a != b)
        .collect();
    let random: Vec<Levels> = pairs
        .par_iter()
        .map(|&(a, b)| compare(&left[a], &right[b]))
        .collect();
    let step = (left.len() / settings.em_records.max(1)).max(1);
    let sampled: Vec<usize> = (0..left.len()).step_by(step).collect();
    let candidates: Vec<Levels> = sampled
        .par_iter()
        .flat_map_iter(|&i| {
            let a = &left[i];
            let mut memo = TokenMemo::new();
            index
                .candidates(a)
                .into_iter()
                .filter(move |&s| !same || s != i)
                .filter_map(|s| index.record(s).map(|b| compare_with(a, b, &mut memo)))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut model = Model::estimate(&random, &candidates, tf);
    // A request seeks one child, and a child is registered once (a duplicate
    // registration is what `dedupe` is for): at most one true pair per left
    // record among its candidates. EM over blocked pairs overestimates the
    // prior when blocked non-matches cluster (same name, same country), so
    // the prior is bounded by that.
    if !candidates.is_empty() {
        let bound = sampled.len() as f64 / candidates.len() as f64;
        model.lambda = model.lambda.min(bound.clamp(1e-9, 0.5));
    }
    model
}

/// The result of [`link`].
#[derive(Debug)]
pub struct Linkage {
    /// The estimated model.
    pub model: Model,
    /// Per left record, its candidates (slots = positions in `right`), best first.
    pub results: Vec<Vec<Candidate>>,
    /// Candidate pairs compared.
    pub compared: u64,
}

/// Links every request to its `k` best cases. `progress` is called with the
/// number of requests done since the last call.
pub fn link(
    requests: &[MatchRecord],
    cases: &[MatchRecord],
    k: usize,
    settings: &Settings,
    progress: &(dyn Fn(u64) + Sync),
) -> Linkage {
    let index = index_of(cases, settings.block_cap);
    let model = estimate(requests, cases, &index, false, settings);
    let out: Vec<(Vec<Candidate>, usize)> = requests
        .par_iter()
        .map(|r| {
            let found = index.top_k(&model, r, k);
            progress(1);
            found
        })
        .collect();
    let compared = out.iter().map(|(_, n)| *n as u64).sum();
    Linkage {
        model,
        results: out.into_iter().map(|(c, _)| c).collect(),
        compared,
    }
}

fn index_of(records: &[MatchRecord], cap: usize) -> Index {
    let mut index = Index::new(cap);
    for (i, r) in records.iter().enumerate() {
        index.add(i.to_string(), r.clone());
    }
    index
}

/// [`dedupe`] keeps at most this many pairs per record (its best).
pub const DEDUPE_PER_RECORD: usize = 10;

/// A pair found by [`dedupe`]: positions `a < b` and the score.
pub type Pair = (usize, usize, Score);

/// The result of [`dedupe`].
#[derive(Debug)]
pub struct Duplicates {
    /// The estimated model.
    pub model: Model,
    /// Pairs `(a, b, score)` with `a < b` (positions in the input), labelled
    /// at least `Possible` and not probable siblings, sorted by `a` then best
    /// first, at most [`DEDUPE_PER_RECORD`] per `a`.
    pub pairs: Vec<(usize, usize, Score)>,
    /// Candidate pairs compared.
    pub compared: u64,
}

/// Finds probable duplicates within one set of records.
pub fn dedupe(records: &[MatchRecord], settings: &Settings, progress: &(dyn Fn(u64) + Sync)) -> Duplicates {
    let index = index_of(records, settings.block_cap);
    let model = estimate(records, records, &index, true, settings);
    let out: Vec<(Vec<Pair>, usize)> = records
        .par_iter()
        .enumerate()
        .map(|(i, a)| {
            let slots: Vec<usize> = index.candidates(a).into_iter().filter(|&s| s > i).collect();
            let n = slots.len();
            let mut memo = TokenMemo::new();
            let mut found: Vec<Pair> = slots
                .into_iter()
                .filter_map(|s| {
                    let b = index.record(s)?;
                    let score = model.score(&compare_with(a, b, &mut memo), a, b);
                    (score.label != Label::NonMatch && !score.sibling).then_some((i, s, score))
                })
                .collect();
            found.sort_by(|x, y| y.2.weight.total_cmp(&x.2.weight).then(x.1.cmp(&y.1)));
            found.truncate(DEDUPE_PER_RECORD);
            progress(1);
            (found, n)
        })
        .collect();
    let compared = out.iter().map(|(_, n)| *n as u64).sum();
    Duplicates {
        model,
        pairs: out.into_iter().flat_map(|(p, _)| p).collect(),
        compared,
    }
}
