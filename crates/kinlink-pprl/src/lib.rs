//! kinlink's privacy-preserving record linkage (PPRL): the core of
//! cross-border tracing without plaintext.
//!
//! Two nodes that have a data-sharing agreement share an agreement secret.
//! Each encodes the comparison features of its records (names, birth,
//! sex, origin, parents, documents, address) as a keyed Bloom filter, a
//! *cryptographic long-term key* (CLK, Schnell, Bachteler and Reiher 2011;
//! the encoding used by clkhash/anonlink), and the answering node compares
//! the filters by their Dice coefficient. Names, dates and places never
//! leave the node in clear. Pure: no I/O, no clock, no randomness that is
//! not derived from the key.
//!
//! 1. [`AgreementSecret`] + agreement id → [`LinkageKey`] (HKDF-SHA256): one
//!    HMAC-SHA256 key per feature and one for the hardening noise.
//! 2. [`features`]: a [`MatchRecord`](kinlink_match::link::MatchRecord)
//!    (the matching engine's normalised and transliterated record) is turned
//!    into tokens per [`Feature`]: bigrams of every name form, consonant
//!    skeletons and Double Metaphone codes, birth year / month / day and
//!    two-year windows, sex, country, place of origin, parents, documents,
//!    address.
//! 3. [`Encoder`]: each token sets `k` bits (`k` per feature = its weight),
//!    positions drawn independently from the token's HMAC (random hashing,
//!    not double hashing), then the filter is hardened ([`Hardening`]: BLIP,
//!    permanent randomised response).
//! 4. [`compare`]: Dice by popcount on `u64` words, [`top_k`] of one
//!    encoding against an [`EncodingSet`], [`all_pairs`] above a threshold
//!    in parallel (rayon), with lossless popcount-bound pruning.
//!
//! What a peer learns, and what the hardening is for: see ARCHITECTURE.md,
//! "Privacy-preserving linkage". In short: a party without the secret
//! learns nothing it can turn into a name by a dictionary; the peer, who
//! holds the secret, can test guesses against an encoding it receives (a
//! dictionary attack), which only the agreement, the audit and the noise
//! limit. An encoding is personal data and is handled as such.
//!
//! `MatchRecord`s, tokens and encodings hold personal data: never log them.

#![warn(missing_docs)]

pub mod compare;
mod encode;
pub mod features;
mod secret;

pub use compare::{EncodingSet, Hit, Pair, all_pairs, dice, kernel, top_k};
pub use encode::{Clk, Encoder, Hardening, Schema};
pub use features::Feature;
pub use secret::{AgreementSecret, LinkageKey, MIN_SECRET_BYTES};

/// Dice coefficient above which two encodings of the default [`Schema`]
/// are a candidate pair: about the best-F1 threshold of the top candidate on
/// the multilingual demo data (bench/RESULTS.md, "Privacy-preserving linkage").
pub const DEFAULT_THRESHOLD: f64 = 0.65;

/// What can go wrong building keys, encoders and encodings. No variant
/// carries a personal value or key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PprlError {
    /// The agreement secret is shorter than [`MIN_SECRET_BYTES`].
    #[error("agreement secret too short: {got} bytes, at least {min} needed")]
    SecretTooShort {
        /// Length given.
        got: usize,
        /// Minimum length.
        min: usize,
    },
    /// The agreement id is empty.
    #[error("agreement id is empty")]
    EmptyAgreementId,
    /// A filter length that is zero, not a multiple of 64, or above 65,536 bits.
    #[error("filter length {0} bits: must be a positive multiple of 64, at most 65536")]
    BadLength(usize),
    /// A flip probability outside [0, 0.5).
    #[error("flip probability must be at least 0 and below 0.5")]
    BadFlipProbability,
    /// An encoding of another length than the set or encoder expects.
    #[error("encoding of {got} bits where {expected} bits are expected")]
    LengthMismatch {
        /// Bits expected.
        expected: usize,
        /// Bits given.
        got: usize,
    },
}
