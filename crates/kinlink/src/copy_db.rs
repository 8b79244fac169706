//! `kinlink copy-db --from URL --to URL [--replace]`.

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kinlink_store::copy::{CopyEnd, copy_database};

use crate::cli::CopyDbArgs;
use crate::config::Config;
use crate::store::{self, Backend};

pub async fn run(args: &CopyDbArgs, config: &Config) -> Result<()> {
    if args.from.trim() == args.to.trim() {
        bail!("--from and --to name the same database");
    }
    // The URLs are not repeated in messages: they may hold passwords.
    let from = store::open_url(config, &args.from)
        .await
        .context("cannot open the source database (--from)")?;
    let to = store::open_url(config, &args.to)
        .await
        .context("cannot open the target database (--to)")?;
    let (from, to) = (end(&from), end(&to));

    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg}").unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let progress = |table: &str, rows: u64| bar.set_message(format!("{table}: {rows} rows copied"));
    let report = copy_database(from, to, args.replace, &progress).await;
    bar.finish_and_clear();
    let report = report.context("copy-db failed")?;

    println!("copied from {} to {}:", from.label(), to.label());
    for (table, rows) in &report.tables {
        println!("  {table:<20} {rows:>12} rows");
    }
    println!(
        "verified: row counts, the versions and revisions of {} records, SHA-256 of every row {}",
        report.records, report.digest
    );
    Ok(())
}

fn end(backend: &Backend) -> &dyn CopyEnd {
    match backend {
        Backend::Sqlite(store) => store,
        Backend::Postgres(store) => store,
    }
}
