//! Reading and writing rows: the header is checked by name, so columns may come
//! in any order and may be left out, but an unknown column (usually a typo
//! that would silently drop data) is refused.

use std::fmt;
use std::io::{Read, Write};

use crate::row::{COLUMNS, InterchangeRow};

/// A problem with one cell (or one row, when `column` is empty).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    /// Spreadsheet row: the header is row 1, the first data row is row 2.
    pub row: usize,
    pub column: String,
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.column.is_empty() {
            write!(f, "row {}: {}", self.row, self.message)
        } else {
            write!(f, "row {}, column {}: {}", self.row, self.column, self.message)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("the file has no header row")]
    NoHeader,
    #[error("unknown column `{0}` in the header; the columns are: {cols}", cols = COLUMNS.join(", "))]
    UnknownColumn(String),
    #[error("column `{0}` appears twice in the header")]
    DuplicateColumn(String),
    #[error("the header has no `id` column")]
    NoIdColumn,
    #[error("row {row}: {message}")]
    Malformed { row: usize, message: String },
}

/// Read every row of an interchange file.
pub fn read_rows<R: Read>(reader: R) -> Result<Vec<InterchangeRow>, ReadError> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(reader);
    let header = csv.headers().map_err(|e| malformed(1, &e))?.clone();
    if header.is_empty() {
        return Err(ReadError::NoHeader);
    }
    // For each header position, which of our columns it is.
    let mut positions = Vec::with_capacity(header.len());
    for name in header.iter() {
        let name = name.trim().trim_start_matches('\u{feff}');
        let index = COLUMNS
            .iter()
            .position(|c| *c == name)
            .ok_or_else(|| ReadError::UnknownColumn(name.chars().take(40).collect()))?;
        if positions.contains(&index) {
            return Err(ReadError::DuplicateColumn(name.to_owned()));
        }
        positions.push(index);
    }
    if !positions.contains(&0) {
        return Err(ReadError::NoIdColumn);
    }
    let mut rows = Vec::new();
    for (i, record) in csv.records().enumerate() {
        let row_number = i + 2;
        let record = record.map_err(|e| malformed(row_number, &e))?;
        let mut cells: [String; COLUMNS.len()] = Default::default();
        for (value, &column) in record.iter().zip(&positions) {
            cells[column] = value.trim().to_owned();
        }
        rows.push(InterchangeRow::from_cells(cells));
    }
    Ok(rows)
}

/// csv's messages describe structure (field counts, UTF-8 positions), not content.
fn malformed(row: usize, e: &csv::Error) -> ReadError {
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("has {len} cells where the header has {expected_len}")
        }
        csv::ErrorKind::Utf8 { .. } => "is not valid UTF-8".to_owned(),
        csv::ErrorKind::Io(_) => "could not be read".to_owned(),
        _ => "is not valid CSV".to_owned(),
    };
    ReadError::Malformed { row, message }
}

/// Writes rows one at a time after the standard header, for exports that
/// page through the store rather than hold every record in memory.
pub struct RowWriter<W: Write> {
    csv: csv::Writer<W>,
}

impl<W: Write> RowWriter<W> {
    pub fn new(writer: W) -> Result<Self, csv::Error> {
        let mut csv = csv::Writer::from_writer(writer);
        csv.write_record(COLUMNS)?;
        Ok(Self { csv })
    }

    pub fn write(&mut self, row: &InterchangeRow) -> Result<(), csv::Error> {
        self.csv.write_record(row.cells())
    }

    /// Flush and return the inner writer.
    pub fn finish(self) -> Result<W, csv::Error> {
        self.csv
            .into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))
    }
}

/// Write rows with the standard header.
pub fn write_rows<W: Write>(
    writer: W,
    rows: impl IntoIterator<Item = InterchangeRow>,
) -> Result<(), csv::Error> {
    let mut out = RowWriter::new(writer)?;
    for row in rows {
        out.write(&row)?;
    }
    out.finish().map(drop)
}
