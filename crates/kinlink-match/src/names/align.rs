//! Order-insensitive comparison of two multi-token names.
//!
//! Names arrive surname-first or given-first, as chains of given + father +
//! grandfather names, with one of two Spanish surnames dropped, with a
//! compound split or joined. Tokens (and runs of two or three adjacent
//! tokens written as one) are paired greedily, best level first: on the
//! small matrices of names (2–6 tokens) greedy picks the optimal assignment
//! in practice, costs no allocation, and its ties are broken by keys that do
//! not depend on which name comes first, so the result is symmetric.
//!
//! The similarity is the mean score of the pairs, where tokens left over
//! count against it in two ways:
//!
//! * tokens left over on *both* sides are conflicts (a different father's
//!   name): each counts as a pair scoring 0;
//! * tokens left over on one side only are missing on the other (a dropped
//!   second surname or grandfather's name): each counts
//!   [`SURPLUS_WEIGHT`] of a pair.

use super::key::{MAX_TOKENS, NameKey};
use super::token::{Level, Token, TokenMemo};

/// Weight of a token present in one name only.
pub const SURPLUS_WEIGHT: f32 = 0.15;

/// Score of a token pair at each level, for the name similarity.
pub fn level_score(level: Level) -> f32 {
    match level {
        Level::Exact => 1.0,
        Level::Normalised => 0.97,
        Level::Skeleton => 0.92,
        Level::Phonetic => 0.85,
        Level::Nickname => 0.85,
        Level::Close => 0.8,
        Level::Somewhat => 0.35,
        Level::Initial => 0.5,
        Level::Different => 0.0,
    }
}

/// A run of adjacent tokens: `start..start + len`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    /// Index of the first token.
    pub start: u8,
    /// Number of tokens (1, or 2–3 for a split compound).
    pub len: u8,
}

impl Span {
    fn mask(self) -> u32 {
        ((1u32 << self.len) - 1) << self.start
    }
}

/// Two runs of tokens paired by the alignment, and how alike they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenPair {
    /// Tokens of the first name.
    pub a: Span,
    /// Tokens of the second name.
    pub b: Span,
    /// How alike they are.
    pub level: Level,
}

/// The result of [`compare_names`]. No heap: pairs live in a fixed array.
#[derive(Debug, Clone, Copy)]
pub struct NameComparison {
    /// In [0, 1]; 1 when every token pairs `Exact`.
    pub similarity: f32,
    pairs: [TokenPair; MAX_TOKENS],
    n_pairs: u8,
    /// Bit `i` set: token `i` of the first name is in no pair.
    pub unmatched_a: u32,
    /// Bit `i` set: token `i` of the second name is in no pair.
    pub unmatched_b: u32,
}

impl NameComparison {
    /// The pairs, ordered by position in the first name.
    pub fn pairs(&self) -> &[TokenPair] {
        &self.pairs[..self.n_pairs as usize]
    }

    /// The weakest level among the pairs (`None` without pairs).
    pub fn weakest(&self) -> Option<Level> {
        self.pairs().iter().map(|p| p.level).min()
    }

    /// Whether the paired tokens appear in the same order in both names
    /// (false for Ahmadzai Ahmad / Ahmad Ahmadzai).
    pub fn in_order(&self) -> bool {
        self.pairs().windows(2).all(|w| w[0].b.start < w[1].b.start)
    }
}

#[derive(Clone, Copy)]
struct Cand {
    a: Span,
    b: Span,
    level: Level,
}

const NONE_PAIR: TokenPair = TokenPair {
    a: Span { start: 0, len: 0 },
    b: Span { start: 0, len: 0 },
    level: Level::Different,
};
const MAX_CANDS: usize = MAX_TOKENS * MAX_TOKENS + 2 * MAX_TOKENS * (2 * MAX_TOKENS);

/// Compares two names order-insensitively. Symmetric: swapping the
/// arguments swaps `a`/`b` in the result and keeps the similarity.
pub fn compare_names(x: &NameKey, y: &NameKey) -> NameComparison {
    compare_names_with(x, y, &mut TokenMemo::off())
}

/// [`compare_names`], with token comparisons remembered in `memo` (for a
/// record compared with many others: see [`TokenMemo`]). Same result.
pub fn compare_names_with<'t>(x: &'t NameKey, y: &'t NameKey, memo: &mut TokenMemo<'t>) -> NameComparison {
    let (ta, tb) = (x.tokens().len(), y.tokens().len());
    let needed = ta * tb + x.joins().len() * tb + y.joins().len() * ta;
    // Most names have a few tokens: a small buffer on the stack saves
    // clearing the largest one on every comparison.
    if needed <= SMALL_CANDS {
        compare_in(x, y, &mut [EMPTY_CAND; SMALL_CANDS], memo)
    } else {
        compare_in(x, y, &mut [EMPTY_CAND; MAX_CANDS], memo)
    }
}

const SMALL_CANDS: usize = 48;
const EMPTY_CAND: Cand = Cand {
    a: Span { start: 0, len: 0 },
    b: Span { start: 0, len: 0 },
    level: Level::Different,
};

fn compare_in<'t>(
    x: &'t NameKey,
    y: &'t NameKey,
    cands: &mut [Cand],
    memo: &mut TokenMemo<'t>,
) -> NameComparison {
    let (ta, tb) = (x.tokens(), y.tokens());
    let cap = cands.len();
    let mut n = 0usize;
    let mut push = |a: Span, b: Span, t: &'t Token, u: &'t Token| {
        let level = memo.compare(t, u);
        if level > Level::Different && n < cap {
            cands[n] = Cand { a, b, level };
            n += 1;
        }
    };
    let single = |i: usize| Span {
        start: i as u8,
        len: 1,
    };
    for (i, t) in ta.iter().enumerate() {
        for (j, u) in tb.iter().enumerate() {
            push(single(i), single(j), t, u);
        }
    }
    for jn in x.joins() {
        for (j, u) in tb.iter().enumerate() {
            push(
                Span {
                    start: jn.start,
                    len: jn.len,
                },
                single(j),
                &jn.token,
                u,
            );
        }
    }
    for jn in y.joins() {
        for (i, t) in ta.iter().enumerate() {
            push(
                single(i),
                Span {
                    start: jn.start,
                    len: jn.len,
                },
                t,
                &jn.token,
            );
        }
    }
    let cands = &mut cands[..n];
    // Best level first; among equals prefer single tokens, then pairs close
    // in position. Every key is symmetric in (a, b).
    cands.sort_unstable_by_key(|c| {
        let (sa, sb) = (c.a.start as i32, c.b.start as i32);
        (
            std::cmp::Reverse(c.level),
            c.a.len + c.b.len,
            (sa - sb).abs(),
            sa + sb,
            c.a.len.max(c.b.len),
            sa.min(sb),
        )
    });
    let mut used_a = 0u32;
    let mut used_b = 0u32;
    let mut out = NameComparison {
        similarity: 0.0,
        pairs: [NONE_PAIR; MAX_TOKENS],
        n_pairs: 0,
        unmatched_a: 0,
        unmatched_b: 0,
    };
    let mut sum = 0.0f32;
    for c in cands.iter() {
        if used_a & c.a.mask() != 0 || used_b & c.b.mask() != 0 {
            continue;
        }
        used_a |= c.a.mask();
        used_b |= c.b.mask();
        sum += level_score(c.level);
        if (out.n_pairs as usize) < MAX_TOKENS {
            out.pairs[out.n_pairs as usize] = TokenPair {
                a: c.a,
                b: c.b,
                level: c.level,
            };
            out.n_pairs += 1;
        }
    }
    out.pairs[..out.n_pairs as usize].sort_unstable_by_key(|p| p.a.start);
    let all = |len: usize| if len >= 32 { u32::MAX } else { (1u32 << len) - 1 };
    out.unmatched_a = all(ta.len()) & !used_a;
    out.unmatched_b = all(tb.len()) & !used_b;
    let (la, lb) = (out.unmatched_a.count_ones(), out.unmatched_b.count_ones());
    let conflicts = la.min(lb) as f32;
    let surplus = la.abs_diff(lb) as f32;
    let denom = out.n_pairs as f32 + conflicts + SURPLUS_WEIGHT * surplus;
    out.similarity = if out.n_pairs == 0 || denom <= 0.0 {
        0.0
    } else {
        (sum / denom).clamp(0.0, 1.0)
    };
    out
}
