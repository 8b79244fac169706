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
use kinlink_policy::{Action, Purpose, resource_of};
use kinlink_store::{Actor, ImportOutcome, Records};

use crate::audit::Audit;
use crate::cli::ImportArgs;
use crate::config::Config;
use crate::records::{CliRecord, store_error};
use crate::store;

/// Row errors listed before the rest are only counted.
const MAX_LISTED_ERRORS: usize = 100;

pub async fn run<T: CliRecord>(args: &ImportArgs, config: &Config, purpose: Purpose) -> Result<()> {
    let started = Instant::now();
    // Open first: a configuration mistake is reported before a long validation.
    let store = store::open(config).await?;
    // An import creates and changes records; the store audits each one it writes.
    let audit = Audit::new(store.clone(), purpose);
    audit.permit(resource_of(T::KIND), Action::Create).await?;
    audit.permit(resource_of(T::KIND), Action::Update).await?;
    let records = Records::<T>::new(store);
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
    let outcome = write_all(&records, &valid, audit.actor(), &bar).await;
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

/// Write validated records in one transaction: an import is all or nothing,
/// whether a row is invalid (checked before this is called) or the database
/// fails part-way.
pub async fn write_all<T: CliRecord>(
    records: &Records<T>,
    valid: &[(String, Validated<T>)],
    actor: &Actor,
    bar: &ProgressBar,
) -> Result<ImportOutcome> {
    records
        .import_with_progress(valid, actor, &|done| bar.set_position(done))
        .await
        .map_err(|e| store_error::<T>(e).context("the import failed; nothing was imported"))
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
