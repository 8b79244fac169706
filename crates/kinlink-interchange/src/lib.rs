//! The CSV interchange format.
//!
//! One row per child, UTF-8, header row, an empty cell means "missing". A tracing
//! request row describes the *sought* child; the inquirer's own name sits in
//! `mother_name` or `father_name`. The same format feeds import, export and the
//! matching engine's benchmarks, so it is deliberately flat and lossy: the JSON
//! API carries the full record.

mod row;

pub use row::{COLUMNS, InterchangeRow};
