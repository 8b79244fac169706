//! Record linkage: finding the registered child a tracing request seeks
//! (and duplicate registrations), with a Fellegi–Sunter model estimated
//! from the data itself.
//!
//! 1. [`MatchRecord`]: each record prepared once (name keys, birth interval
//!    with its precision, places, parents, languages).
//! 2. [`compare`]: a pair reduced to one level per [`Field`].
//! 3. [`Model`]: `m`/`u` per level, `u` from random pairs, `m` and the prior
//!    by EM over blocked candidate pairs (no labels); term-frequency
//!    adjustment on name agreement; a missing field weighs 0.
//!    The parents' names are weighed given the family name (`u` among
//!    same-family random pairs), since one usually contains the other.
//! 4. [`Index`]: blocking keys OR-ed, oversized blocks skipped, at most
//!    [`DEFAULT_MAX_CANDIDATES`] per query chosen by weighted meta-blocking;
//!    [`link`] and [`dedupe`] in parallel.
//! 5. Siblings: a candidate whose family agrees but whose given name
//!    conflicts is flagged (`Score::sibling`) and never labelled `match`.
//! 6. One child per request: in [`Index::top_k`] and [`link`] a candidate's
//!    probability is its posterior among the rival candidates.
//!
//! Labels: probability ≥ [`MATCH_THRESHOLD`] is `match`, ≥
//! [`POSSIBLE_THRESHOLD`] `possible` (in `top_k`, `possible` is decided on
//! the pair alone, so a strong rival does not hide a candidate).

mod compare;
mod index;
mod model;
mod prior;
mod record;

pub use compare::{
    BirthLevel, Field, Levels, N_FIELDS, NameLevel, compare, compare_with, looks_like_sibling,
};
pub use index::{
    Candidate, DEDUPE_PER_RECORD, DEFAULT_BLOCK_CAP, DEFAULT_MAX_CANDIDATES, Duplicates, Index, Linkage,
    Pair, Settings, dedupe, estimate, link,
};
pub use model::{
    Explanation, FieldScore, Label, MATCH_THRESHOLD, MAX_TF_BITS, Model, POSSIBLE_THRESHOLD, Score,
    TermFrequencies, tf_key,
};
pub use prior::PRIOR_LAMBDA;
pub use record::{
    AGE_ESTIMATE_SLACK_DAYS, Birth, BirthPrecision, BlockKey, DocumentKey, KeyKind, MatchRecord,
    normalise_document_number,
};

#[cfg(test)]
mod tests;
