//! `kinlink import cases|requests FILE.csv`.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kinlink_core::Validated;
use kinlink_interchange::{InterchangeRow, RowError, read_rows};
use kinlink_store::{Actor, ImportOutcome, Records};

use crate::cli::ImportArgs;
use crate::config::Config;
use crate::records::{CliRecord, store_error};
use crate::store;

/// Rows written per `Records::import` call (one transaction each).
pub const CHUNK_ROWS: usize = 5_000;

/// Row errors listed before the rest are only counted.
const MAX_LISTED_ERRORS: usize = 100;

pub async fn run<T: CliRecord>(args: &ImportArgs, config: &Config) -> Result<()> {
    let started = Instant::now();
    // Open first: a configuration mistake is reported before a long validation.
    let records = Records::<T>::new(store::open(config).await?);
    let file = args.file.display().to_string();

    let reading = Instant::now();
    let spinner = spinner(format!("reading and validating {file}"));
    let rows = read_csv(&args.file);
    let rows = rows.inspect_err(|_| spinner.finish_and_clear())?;
    let total = rows.len();
    let (valid, errors) = T::parse_rows(&rows, store::today());
    drop(rows);
    spinner.finish_and_clear();

    let invalid_rows: BTreeSet<usize> = errors.iter().map(|e| e.row).collect();
    if !errors.is_empty() {
        list_errors(&errors);
        if !args.skip_invalid {
            bail!(
                "{} of {total} rows of {file} are invalid; nothing was imported \
                 (fix them, or import the {} valid rows with --skip-invalid)",
                invalid_rows.len(),
                valid.len(),
            );
        }
        eprintln!(
            "skipping {} invalid row{}: {}",
            invalid_rows.len(),
            plural(invalid_rows.len()),
            list_rows(&invalid_rows)
        );
    }

    let read_and_validate = reading.elapsed();
    let writing = Instant::now();
    let bar = progress_bar(valid.len() as u64);
    let outcome = import_chunks(&records, &valid, &store::actor(), &bar).await;
    bar.finish_and_clear();
    let outcome = outcome?;

    let elapsed = started.elapsed();
    tracing::info!(
        rows = total,
        read_and_validate_ms = read_and_validate.as_millis() as u64,
        write_ms = writing.elapsed().as_millis() as u64,
        "import finished"
    );
    println!(
        "imported {file}: {} created, {} updated, {} unchanged{} — {} rows in {:.1} s ({} rows/s)",
        outcome.created,
        outcome.updated,
        outcome.unchanged,
        if invalid_rows.is_empty() {
            String::new()
        } else {
            format!(
                ", {} invalid row{} skipped",
                invalid_rows.len(),
                plural(invalid_rows.len())
            )
        },
        total,
        elapsed.as_secs_f64(),
        rate(total, elapsed),
    );
    Ok(())
}

fn read_csv(path: &Path) -> Result<Vec<InterchangeRow>> {
    let read = if path == Path::new("-") {
        read_rows(std::io::stdin().lock())
    } else {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        read_rows(BufReader::with_capacity(1 << 16, file))
    };
    read.with_context(|| format!("cannot read {}; nothing was imported", path.display()))
}

/// Write validated records in chunks of [`CHUNK_ROWS`].
///
/// Each `Records::import` call is one transaction, so the import of a whole
/// file is all-or-nothing only with respect to *validation*: every row was
/// validated before this is called, which is why an invalid row anywhere in
/// the file means nothing is written. A database failure part-way leaves the
/// chunks before it written; running the same import again is then safe,
/// because the store keys records by their external id (rows already
/// imported come back `unchanged`).
pub async fn import_chunks<T: CliRecord>(
    records: &Records<T>,
    valid: &[(String, Validated<T>)],
    actor: &Actor,
    bar: &ProgressBar,
) -> Result<ImportOutcome> {
    let chunks = valid.len().div_ceil(CHUNK_ROWS);
    let mut outcome = ImportOutcome::default();
    let mut written = 0usize;
    for (index, chunk) in valid.chunks(CHUNK_ROWS).enumerate() {
        let done = records.import(chunk, actor).await.map_err(|e| {
            store_error::<T>(e).context(format!(
                "the import stopped at chunk {} of {chunks}: {index} chunk{} ({written} rows) had been \
                 written and stay imported, the rest was not; running the same import again is safe \
                 (rows already imported are left unchanged)",
                index + 1,
                plural(index),
            ))
        })?;
        outcome.created += done.created;
        outcome.updated += done.updated;
        outcome.unchanged += done.unchanged;
        written += chunk.len();
        bar.inc(chunk.len() as u64);
        bar.set_message(format!(
            "{} new, {} updated, {} unchanged",
            outcome.created, outcome.updated, outcome.unchanged
        ));
    }
    Ok(outcome)
}

/// A bar on stderr; hidden when stderr is not a terminal (indicatif's
/// `ProgressDrawTarget::stderr()` checks), so logs and pipes stay clean.
fn progress_bar(len: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("[{bar:30}] {human_pos}/{human_len} rows, ETA {eta}: {wide_msg}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn spinner(message: String) -> ProgressBar {
    let spinner = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{spinner} {wide_msg}") {
        spinner.set_style(style);
    }
    spinner.set_message(message);
    spinner.enable_steady_tick(Duration::from_millis(100));
    spinner
}

/// Every row error, up to [`MAX_LISTED_ERRORS`], then how many more.
fn list_errors(errors: &[RowError]) {
    for e in errors.iter().take(MAX_LISTED_ERRORS) {
        eprintln!("{e}");
    }
    if errors.len() > MAX_LISTED_ERRORS {
        let more = errors.len() - MAX_LISTED_ERRORS;
        eprintln!("... and {more} more error{}", plural(more));
    }
}

/// `3, 7, 12` (the first 100 row numbers, then how many more).
fn list_rows(rows: &BTreeSet<usize>) -> String {
    let mut text = rows
        .iter()
        .take(MAX_LISTED_ERRORS)
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if rows.len() > MAX_LISTED_ERRORS {
        text.push_str(&format!(" and {} more", rows.len() - MAX_LISTED_ERRORS));
    }
    text
}

fn rate(rows: usize, elapsed: Duration) -> u64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        (rows as f64 / secs).round() as u64
    } else {
        0
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_trait::async_trait;
    use kinlink_core::{ChildCase, PersonName, RecordId, RecordKind, RecordNumber, WrittenName};
    use kinlink_store::{ImportItem, RawRecord, RawRevision, RecordMeta, Store, StoreError};

    use super::*;

    /// Accepts `ok_calls` imports, then fails; records the batch sizes.
    struct FlakyStore {
        ok_calls: usize,
        calls: AtomicUsize,
        sizes: std::sync::Mutex<Vec<usize>>,
    }

    fn broken() -> StoreError {
        StoreError::Corrupt {
            id: "test".into(),
            reason: "the disk went away".into(),
        }
    }

    #[async_trait]
    impl Store for FlakyStore {
        async fn insert(
            &self,
            _: RecordKind,
            _: &str,
            _: &Actor,
            _: Option<&str>,
        ) -> Result<RecordMeta, StoreError> {
            Err(broken())
        }
        async fn update(
            &self,
            _: RecordKind,
            _: RecordId,
            _: i64,
            _: &str,
            _: &Actor,
        ) -> Result<RecordMeta, StoreError> {
            Err(broken())
        }
        async fn get(&self, _: RecordKind, _: RecordId) -> Result<Option<RawRecord>, StoreError> {
            Err(broken())
        }
        async fn get_by_number(
            &self,
            _: RecordKind,
            _: &RecordNumber,
        ) -> Result<Option<RawRecord>, StoreError> {
            Err(broken())
        }
        async fn list(
            &self,
            _: RecordKind,
            _: Option<RecordId>,
            _: u32,
        ) -> Result<Vec<RawRecord>, StoreError> {
            Err(broken())
        }
        async fn count(&self, _: RecordKind) -> Result<u64, StoreError> {
            Err(broken())
        }
        async fn history(&self, _: RecordKind, _: RecordId) -> Result<Vec<RawRevision>, StoreError> {
            Err(broken())
        }
        async fn import(
            &self,
            _: RecordKind,
            items: &[ImportItem],
            _: &Actor,
        ) -> Result<ImportOutcome, StoreError> {
            if self.calls.fetch_add(1, Ordering::SeqCst) >= self.ok_calls {
                return Err(broken());
            }
            self.sizes.lock().map_err(|_| broken())?.push(items.len());
            Ok(ImportOutcome {
                created: items.len() as u64,
                ..ImportOutcome::default()
            })
        }
        async fn ping(&self) -> Result<(), StoreError> {
            Ok(())
        }
    }

    fn cases(n: usize) -> Vec<(String, Validated<ChildCase>)> {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
        (0..n)
            .map(|i| {
                let mut case = ChildCase::default();
                case.child.names = PersonName::full(WrittenName::new("Synthetic Child"));
                (format!("T-{i}"), Validated::new(case, today).expect("valid"))
            })
            .collect()
    }

    fn store(ok_calls: usize) -> Arc<FlakyStore> {
        Arc::new(FlakyStore {
            ok_calls,
            calls: AtomicUsize::new(0),
            sizes: std::sync::Mutex::new(Vec::new()),
        })
    }

    #[tokio::test]
    async fn rows_are_written_in_chunks() {
        let flaky = store(usize::MAX);
        let records = Records::<ChildCase>::new(flaky.clone());
        let rows = cases(2 * CHUNK_ROWS + 3);
        let outcome = import_chunks(&records, &rows, &Actor::new("test"), &ProgressBar::hidden())
            .await
            .expect("import");
        assert_eq!(outcome.created, rows.len() as u64);
        assert_eq!(*flaky.sizes.lock().expect("sizes"), [CHUNK_ROWS, CHUNK_ROWS, 3]);
    }

    #[tokio::test]
    async fn a_failure_part_way_says_how_much_was_written() {
        let records = Records::<ChildCase>::new(store(1));
        let rows = cases(CHUNK_ROWS + 1);
        let e = import_chunks(&records, &rows, &Actor::new("test"), &ProgressBar::hidden())
            .await
            .expect_err("the second chunk fails");
        let message = format!("{e:#}");
        assert!(message.contains("stopped at chunk 2 of 2"), "{message}");
        assert!(
            message.contains(&format!("1 chunk ({CHUNK_ROWS} rows) had been written")),
            "{message}"
        );
        assert!(
            message.contains("running the same import again is safe"),
            "{message}"
        );
        assert!(!message.contains("Synthetic Child"), "{message}");
    }
}
