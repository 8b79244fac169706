//! kinlink's matching engine.
//!
//! Family tracing and reunification means finding the registered child a
//! relative is looking for, despite names written in other scripts and
//! spellings. This crate holds the comparison machinery; it is pure (no
//! I/O) and works on plain strings.
//!
//! * [`names`]: name normalisation, transliteration, consonant skeletons,
//!   phonetic codes and graded comparison of tokens and whole names.
//! * [`link`]: record linkage of tracing requests to cases (Fellegi–Sunter
//!   model, blocking, index, batch link and de-duplication).

#![warn(missing_docs)]

pub mod link;
pub mod names;
