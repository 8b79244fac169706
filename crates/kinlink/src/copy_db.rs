//! `kinlink copy-db --from URL --to URL [--replace]`.

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kinlink_store::audit::VerifyingKey;
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
    let key = audit_key(args, config)?;

    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg}").unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let progress = |table: &str, rows: u64| bar.set_message(format!("{table}: {rows} rows copied"));
    let report = copy_database(from, to, args.replace, key.as_ref(), &progress).await;
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
    let audit = &report.audit;
    println!(
        "audit log verified: {} entries, {} checkpoints ({}), {} entries after the last",
        audit.entries,
        audit.checkpoints,
        if report.signatures_checked {
            "signatures checked"
        } else {
            "signatures not checked: no signing key"
        },
        audit.unsealed
    );
    Ok(())
}

/// The deployment's public key, from the signing key file: the one given
/// (which must load), else the data directory's if there is one.
fn audit_key(args: &CopyDbArgs, config: &Config) -> Result<Option<VerifyingKey>> {
    let (path, given) = match &args.signing_key {
        Some(path) => (path.clone(), true),
        None => (crate::accounts::KeyPaths::of(&config.data_dir).signing, false),
    };
    if !given && !path.exists() {
        return Ok(None);
    }
    let key = kinlink_crypto::keyfile::load_signing_key_file(&path)
        .with_context(|| format!("cannot load the deployment signing key {}", path.display()))?;
    Ok(Some(key.verifying_key()))
}

fn end(backend: &Backend) -> &dyn CopyEnd {
    match backend {
        Backend::Sqlite(store) => store,
        Backend::Postgres(store) => store,
    }
}
