//! CSV output: cases.csv, requests.csv (interchange format), truth.csv and meta.csv.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use kinlink_interchange::InterchangeRow;

use crate::{DemoConfig, DemoDataset, DemoItem, RecordMeta, TruthPair, generate_streaming};

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot create directory {path}: {source}")]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("cannot write {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("cannot write {path}: {source}")]
    Csv { path: PathBuf, source: csv::Error },
}

/// What [`write_dir`] / [`generate_to_dir`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoFiles {
    pub cases: PathBuf,
    pub requests: PathBuf,
    pub truth: PathBuf,
    pub meta: PathBuf,
    pub case_count: usize,
    pub request_count: usize,
    pub truth_count: usize,
}

struct Writers {
    files: DemoFiles,
    cases: csv::Writer<BufWriter<File>>,
    requests: csv::Writer<BufWriter<File>>,
    truth: csv::Writer<BufWriter<File>>,
    meta: csv::Writer<BufWriter<File>>,
}

fn open(path: &Path) -> Result<csv::Writer<BufWriter<File>>, DemoError> {
    let f = File::create(path).map_err(|source| DemoError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(csv::Writer::from_writer(BufWriter::with_capacity(1 << 16, f)))
}

impl Writers {
    fn create(dir: &Path) -> Result<Self, DemoError> {
        std::fs::create_dir_all(dir).map_err(|source| DemoError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })?;
        let files = DemoFiles {
            cases: dir.join("cases.csv"),
            requests: dir.join("requests.csv"),
            truth: dir.join("truth.csv"),
            meta: dir.join("meta.csv"),
            case_count: 0,
            request_count: 0,
            truth_count: 0,
        };
        let mut w = Writers {
            cases: open(&files.cases)?,
            requests: open(&files.requests)?,
            truth: open(&files.truth)?,
            meta: open(&files.meta)?,
            files,
        };
        // Headers are written explicitly so empty datasets still have them.
        let f = &w.files;
        w.cases
            .write_record(kinlink_interchange::COLUMNS)
            .map_err(|source| DemoError::Csv {
                path: f.cases.clone(),
                source,
            })?;
        w.requests
            .write_record(kinlink_interchange::COLUMNS)
            .map_err(|source| DemoError::Csv {
                path: f.requests.clone(),
                source,
            })?;
        w.truth
            .write_record(["request_id", "case_id", "relation"])
            .map_err(|source| DemoError::Csv {
                path: f.truth.clone(),
                source,
            })?;
        w.meta
            .write_record(["id", "origin", "script"])
            .map_err(|source| DemoError::Csv {
                path: f.meta.clone(),
                source,
            })?;
        Ok(w)
    }

    fn row(&mut self, row: &InterchangeRow, case: bool) -> Result<(), DemoError> {
        let (w, path) = if case {
            self.files.case_count += 1;
            (&mut self.cases, &self.files.cases)
        } else {
            self.files.request_count += 1;
            (&mut self.requests, &self.files.requests)
        };
        w.write_record(row.cells()).map_err(|source| DemoError::Csv {
            path: path.clone(),
            source,
        })
    }

    fn meta(&mut self, m: &RecordMeta) -> Result<(), DemoError> {
        self.meta
            .write_record([m.id.as_str(), m.origin.as_str(), m.script])
            .map_err(|source| DemoError::Csv {
                path: self.files.meta.clone(),
                source,
            })
    }

    fn truth(&mut self, t: &TruthPair) -> Result<(), DemoError> {
        self.files.truth_count += 1;
        self.truth
            .write_record([t.request_id.as_str(), t.case_id.as_str(), t.relation.as_str()])
            .map_err(|source| DemoError::Csv {
                path: self.files.truth.clone(),
                source,
            })
    }

    fn finish(mut self) -> Result<DemoFiles, DemoError> {
        for (w, path) in [
            (&mut self.cases, &self.files.cases),
            (&mut self.requests, &self.files.requests),
            (&mut self.truth, &self.files.truth),
            (&mut self.meta, &self.files.meta),
        ] {
            w.flush().map_err(|source| DemoError::Io {
                path: path.clone(),
                source,
            })?;
        }
        Ok(self.files)
    }
}

/// Writes `cases.csv`, `requests.csv`, `truth.csv` (request_id,case_id,relation)
/// and `meta.csv` (id,origin,script) into `dir`, creating it if needed.
pub fn write_dir(dataset: &DemoDataset, dir: &Path) -> Result<DemoFiles, DemoError> {
    let mut w = Writers::create(dir)?;
    for r in &dataset.cases {
        w.row(r, true)?;
    }
    for r in &dataset.requests {
        w.row(r, false)?;
    }
    for t in &dataset.truth {
        w.truth(t)?;
    }
    for m in &dataset.meta {
        w.meta(m)?;
    }
    w.finish()
}

/// Generates and writes the same files as `write_dir(&generate(config), dir)`
/// without holding the dataset in memory (for millions of children).
pub fn generate_to_dir(config: &DemoConfig, dir: &Path) -> Result<DemoFiles, DemoError> {
    let mut w = Writers::create(dir)?;
    // meta.csv lists cases first, then requests, as `DemoDataset::meta` does;
    // request metadata is kept until the cases are done (ids and two small fields).
    let mut request_meta: Vec<RecordMeta> = Vec::new();
    generate_streaming(config, |item| match item {
        DemoItem::Case { row, meta } => {
            w.row(&row, true)?;
            w.meta(&meta)
        }
        DemoItem::Request { row, meta } => {
            w.row(&row, false)?;
            request_meta.push(meta);
            Ok(())
        }
        DemoItem::Truth(t) => w.truth(&t),
    })?;
    for m in &request_meta {
        w.meta(m)?;
    }
    w.finish()
}
