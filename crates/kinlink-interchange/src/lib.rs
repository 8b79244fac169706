//! The CSV interchange format.
//!
//! One row per child, UTF-8, header row, an empty cell means "missing". A tracing
//! request row describes the *sought* child; the inquirer's own name sits in
//! `mother_name` or `father_name`. The same format feeds import, export and the
//! matching engine's benchmarks, so it is deliberately flat and lossy: the JSON
//! API carries the full record.
//!
//! Reading reports every bad cell with its spreadsheet row (the header is row
//! 1) and column, never with the cell's content.

mod convert;
mod read;
mod row;

pub use convert::{
    case_from_row, parse_cases, parse_requests, request_from_row, row_from_case, row_from_request,
    write_case_rows, write_request_rows,
};
pub use read::{ReadError, RowError, RowWriter, read_rows, write_rows};
pub use row::{COLUMNS, InterchangeRow};
