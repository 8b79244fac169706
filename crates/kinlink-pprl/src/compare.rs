//! Dice coefficients of encodings by popcount, top-k and all-pairs search.
//!
//! Dice(A, B) = 2 |A ∧ B| / (|A| + |B|), with |·| the number of bits set:
//! one AND and one population count per 64-bit word. The popcounts of the
//! set's encodings are computed once. `u64::count_ones` is portable; it
//! becomes the POPCNT instruction only where the compiler may assume it, so
//! the scanning loops are compiled three times on x86-64 (`#[target_feature]`
//! multiversioning: portable, POPCNT, AVX2 + POPCNT, where LLVM counts four
//! words at once with `vpshufb` nibble lookups) and the best one the CPU
//! has is chosen at run time (AVX2 took about 10% less CPU time than POPCNT
//! alone in `pprl_bench` on the project's machine). Building with
//! `RUSTFLAGS="-C target-cpu=native"` also works.
//!
//! **Pruning by popcount (lossless blocking).** Dice(A, B) ≤ 2 min(a, b) /
//! (a + b) for popcounts a, b, so for a threshold t only candidates with
//! t·a/(2 − t) ≤ b ≤ (2 − t)·a/t can reach it. A set sorted by popcount
//! ([`EncodingSet::sort_by_popcount`]) is scanned only in that range; the
//! result is exactly the same as a full scan (a property test checks it).
//! How much it saves depends on how much popcounts vary: little on random
//! filters, more on real ones, where records with few fields have few bits.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use rayon::prelude::*;

use crate::PprlError;
use crate::encode::Clk;

/// The Dice coefficient of two bit vectors of the same length, in [0, 1];
/// 0 when both are empty. Panics if the lengths differ (a programming
/// error: encodings of one schema have one length).
pub fn dice(a: &[u64], b: &[u64]) -> f64 {
    assert_eq!(a.len(), b.len(), "encodings of different lengths");
    let pa: u32 = a.iter().map(|w| w.count_ones()).sum();
    let pb: u32 = b.iter().map(|w| w.count_ones()).sum();
    score(and_count(a, b), pa + pb)
}

#[inline(always)]
fn score(common: u32, total: u32) -> f64 {
    if total == 0 {
        0.0
    } else {
        f64::from(2 * common) / f64::from(total)
    }
}

#[inline(always)]
fn and_count(a: &[u64], b: &[u64]) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x & y).count_ones()).sum()
}

/// Encodings of one length, stored contiguously with their popcounts.
#[derive(Clone, Default)]
pub struct EncodingSet {
    words: usize,
    data: Vec<u64>,
    counts: Vec<u32>,
    /// Position in insertion order of each stored encoding (differs from
    /// the storage order once sorted by popcount).
    origin: Vec<u32>,
    sorted: bool,
}

impl std::fmt::Debug for EncodingSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EncodingSet({} × {} bits)", self.len(), self.words * 64)
    }
}

/// A candidate found for a query: its index in the set (insertion order)
/// and its Dice coefficient.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// Index of the candidate in the set, in insertion order.
    pub index: u32,
    /// Dice coefficient.
    pub score: f64,
}

/// A pair found by [`all_pairs`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair {
    /// Index of the query in the query set (insertion order).
    pub query: u32,
    /// Index of the candidate in the candidate set (insertion order).
    pub candidate: u32,
    /// Dice coefficient.
    pub score: f64,
}

impl EncodingSet {
    /// An empty set of `bits`-bit encodings.
    pub fn new(bits: usize) -> EncodingSet {
        EncodingSet {
            words: bits / 64,
            ..EncodingSet::default()
        }
    }

    /// Adds an encoding (index = the number added before it).
    pub fn push(&mut self, clk: &Clk) -> Result<(), PprlError> {
        if clk.words().len() != self.words {
            return Err(PprlError::LengthMismatch {
                expected: self.words * 64,
                got: clk.bits(),
            });
        }
        let count = clk.popcount();
        self.sorted &= self.counts.last().is_none_or(|&last| last <= count);
        if self.counts.is_empty() {
            self.sorted = true;
        }
        self.data.extend_from_slice(clk.words());
        self.counts.push(count);
        self.origin.push(self.origin.len() as u32);
        Ok(())
    }

    /// Number of encodings.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Length of the encodings in bits.
    pub fn bits(&self) -> usize {
        self.words * 64
    }

    /// Whether the set is stored in popcount order (scans are pruned).
    pub fn is_sorted(&self) -> bool {
        self.sorted
    }

    /// Stores the encodings in popcount order so that searches skip the
    /// candidates that cannot reach the threshold. Indices in results stay
    /// those of insertion order.
    pub fn sort_by_popcount(&mut self) {
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.sort_by_key(|&i| (self.counts[i], self.origin[i]));
        let w = self.words;
        let mut data = Vec::with_capacity(self.data.len());
        for &i in &order {
            data.extend_from_slice(&self.data[i * w..(i + 1) * w]);
        }
        self.counts = order.iter().map(|&i| self.counts[i]).collect();
        self.origin = order.iter().map(|&i| self.origin[i]).collect();
        self.data = data;
        self.sorted = true;
    }

    /// Bits set in the encoding at insertion index `i`.
    pub fn popcount(&self, i: usize) -> u32 {
        match self.origin.get(i) {
            Some(&o) if o as usize == i => self.counts[i],
            _ => self
                .origin
                .iter()
                .position(|&o| o as usize == i)
                .map_or(0, |p| self.counts[p]),
        }
    }

    fn stored(&self, i: usize) -> &[u64] {
        &self.data[i * self.words..(i + 1) * self.words]
    }

    /// The stored positions that can reach `threshold` against a query
    /// with `count` bits set (all of them unless sorted).
    fn range(&self, count: u32, threshold: f64) -> std::ops::Range<usize> {
        if !self.sorted || threshold <= 0.0 {
            return 0..self.len();
        }
        let t = threshold.min(1.0);
        let a = f64::from(count);
        // One bit of slack on each side against rounding; exact test follows.
        let lo = (t * a / (2.0 - t)).floor() - 1.0;
        let hi = ((2.0 - t) * a / t).ceil() + 1.0;
        let start = self.counts.partition_point(|&c| f64::from(c) < lo);
        let end = self.counts.partition_point(|&c| f64::from(c) <= hi);
        start..end.max(start)
    }
}

/// Which comparison loop this CPU runs ("avx2", "popcnt" or "portable"), for benchmark reports.
pub fn kernel() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("popcnt") {
            return "avx2";
        }
        if std::is_x86_feature_detected!("popcnt") {
            return "popcnt";
        }
    }
    "portable"
}

/// Scans stored positions `range` of `set` against one query and passes
/// each candidate whose Dice may reach `floor` (checked exactly by the sink).
/// `W` is the number of words when known at compile time (16 = 1024 bits),
/// 0 otherwise.
#[inline(always)]
fn scan_generic<const W: usize>(
    q: &[u64],
    qc: u32,
    set: &EncodingSet,
    range: std::ops::Range<usize>,
    sink: &mut Collector,
) {
    let w = set.words;
    let data = &set.data[range.start * w..range.end * w];
    let counts = &set.counts[range.clone()];
    let origin = &set.origin[range];
    let fixed_q: Option<&[u64; W]> = if W == 0 { None } else { q.try_into().ok() };
    for ((c, &cc), &o) in data.chunks_exact(w).zip(counts).zip(origin) {
        let common = match fixed_q {
            Some(fq) => {
                let c: &[u64; W] = c.try_into().unwrap_or(fq);
                let mut n = 0;
                for i in 0..W {
                    n += (fq[i] & c[i]).count_ones();
                }
                n
            }
            None => and_count(q, c),
        };
        let total = qc + cc;
        // 2c / total ≥ floor ⇔ 2c·2¹⁶ ≥ floor·2¹⁶·total, in integers; the
        // floor is rounded down, so this only lets through more.
        if u64::from(2 * common) << 16 >= sink.floor_fixed * u64::from(total) {
            sink.offer(o, score(common, total));
        }
    }
}

fn scan_dispatch(q: &[u64], qc: u32, set: &EncodingSet, range: std::ops::Range<usize>, sink: &mut Collector) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("popcnt") {
            // SAFETY: the CPU has AVX2 and POPCNT (checked just above).
            unsafe { scan_avx2(q, qc, set, range, sink) };
            return;
        }
        if std::is_x86_feature_detected!("popcnt") {
            // SAFETY: the CPU has POPCNT (checked just above).
            unsafe { scan_popcnt(q, qc, set, range, sink) };
            return;
        }
    }
    scan_portable(q, qc, set, range, sink)
}

fn scan_portable(q: &[u64], qc: u32, set: &EncodingSet, range: std::ops::Range<usize>, sink: &mut Collector) {
    match set.words {
        16 => scan_generic::<16>(q, qc, set, range, sink),
        _ => scan_generic::<0>(q, qc, set, range, sink),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
fn scan_popcnt(q: &[u64], qc: u32, set: &EncodingSet, range: std::ops::Range<usize>, sink: &mut Collector) {
    match set.words {
        16 => scan_generic::<16>(q, qc, set, range, sink),
        _ => scan_generic::<0>(q, qc, set, range, sink),
    }
}

/// With AVX2 the compiler counts the bits of four words at once (nibble
/// lookups with `vpshufb`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,popcnt")]
fn scan_avx2(q: &[u64], qc: u32, set: &EncodingSet, range: std::ops::Range<usize>, sink: &mut Collector) {
    match set.words {
        16 => scan_generic::<16>(q, qc, set, range, sink),
        _ => scan_generic::<0>(q, qc, set, range, sink),
    }
}

/// Collects hits at or above a threshold, all of them or the best `k`.
struct Collector {
    threshold: f64,
    /// The threshold (raised to the k-th best once `k` are held) × 2¹⁶, rounded down.
    floor_fixed: u64,
    k: Option<usize>,
    all: Vec<Hit>,
    best: BinaryHeap<Worst>,
}

/// A hit ordered so that the heap's top is the worst kept (lowest score,
/// then highest index).
#[derive(Clone, Copy)]
struct Worst(Hit);

impl PartialEq for Worst {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Worst {}
impl PartialOrd for Worst {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Worst {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .0
            .score
            .total_cmp(&self.0.score)
            .then(self.0.index.cmp(&other.0.index))
    }
}

fn fixed(t: f64) -> u64 {
    (t.clamp(0.0, 1.0) * 65_536.0).floor() as u64
}

impl Collector {
    fn new(threshold: f64, k: Option<usize>) -> Collector {
        Collector {
            threshold,
            floor_fixed: fixed(threshold),
            k,
            all: Vec::new(),
            best: BinaryHeap::new(),
        }
    }

    #[inline]
    fn offer(&mut self, index: u32, score: f64) {
        if score < self.threshold {
            return;
        }
        let hit = Hit { index, score };
        match self.k {
            None => self.all.push(hit),
            Some(0) => {}
            Some(k) => {
                if self.best.len() < k {
                    self.best.push(Worst(hit));
                } else if let Some(worst) = self.best.peek()
                    && Worst(hit) < *worst
                {
                    self.best.pop();
                    self.best.push(Worst(hit));
                } else {
                    return;
                }
                if self.best.len() == k
                    && let Some(w) = self.best.peek()
                {
                    self.floor_fixed = fixed(w.0.score);
                }
            }
        }
    }

    /// Hits, best first (ties: lower index first).
    fn finish(self) -> Vec<Hit> {
        let mut out = match self.k {
            None => self.all,
            Some(_) => self.best.into_iter().map(|w| w.0).collect(),
        };
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.index.cmp(&b.index)));
        out
    }
}

/// The best `k` candidates of `set` for `query` with Dice ≥ `threshold`,
/// best first (ties: lower index first). One thread.
pub fn top_k(query: &Clk, set: &EncodingSet, k: usize, threshold: f64) -> Result<Vec<Hit>, PprlError> {
    check(query.bits(), set)?;
    let qc = query.popcount();
    let mut sink = Collector::new(threshold, Some(k));
    scan_dispatch(query.words(), qc, set, set.range(qc, threshold), &mut sink);
    Ok(sink.finish())
}

fn check(bits: usize, set: &EncodingSet) -> Result<(), PprlError> {
    if bits != set.bits() {
        return Err(PprlError::LengthMismatch {
            expected: set.bits(),
            got: bits,
        });
    }
    Ok(())
}

/// Queries handled together against one tile of candidates.
const QUERY_BLOCK: usize = 8;
/// Candidates per tile (128 KiB of 1024-bit encodings: stays in L2 while a
/// block of queries is scanned against it).
const TILE: usize = 1024;

/// Every pair (query, candidate) with Dice ≥ `threshold`, or with `k` the
/// best `k` per query; ordered by query, then best first. Runs on the
/// current rayon pool (blocks of queries in parallel; each block is
/// scanned tile by tile so that the candidates stay in cache).
pub fn all_pairs(
    queries: &EncodingSet,
    set: &EncodingSet,
    threshold: f64,
    k: Option<usize>,
) -> Result<Vec<Pair>, PprlError> {
    check(queries.bits(), set)?;
    let n = queries.len();
    let blocks: Vec<Vec<Pair>> = (0..n.div_ceil(QUERY_BLOCK))
        .into_par_iter()
        .map(|b| {
            let qs = b * QUERY_BLOCK..((b + 1) * QUERY_BLOCK).min(n);
            let mut sinks: Vec<Collector> = qs.clone().map(|_| Collector::new(threshold, k)).collect();
            let ranges: Vec<_> = qs
                .clone()
                .map(|q| set.range(queries.counts[q], threshold))
                .collect();
            let (lo, hi) = ranges
                .iter()
                .fold((usize::MAX, 0), |(lo, hi), r| (lo.min(r.start), hi.max(r.end)));
            let mut start = lo;
            while start < hi {
                let end = (start + TILE).min(hi);
                for ((q, sink), r) in qs.clone().zip(sinks.iter_mut()).zip(&ranges) {
                    let s = start.max(r.start);
                    let e = end.min(r.end);
                    if s < e {
                        scan_dispatch(queries.stored(q), queries.counts[q], set, s..e, sink);
                    }
                }
                start = end;
            }
            qs.zip(sinks)
                .flat_map(|(q, sink)| {
                    let query = queries.origin[q];
                    sink.finish().into_iter().map(move |h| Pair {
                        query,
                        candidate: h.index,
                        score: h.score,
                    })
                })
                .collect()
        })
        .collect();
    let mut out: Vec<Pair> = blocks.into_iter().flatten().collect();
    if queries.is_sorted() && n > 1 {
        // Sorted queries come out in popcount order: back to query order,
        // keeping each query's ranking.
        out.sort_by_key(|p| p.query);
    }
    Ok(out)
}
