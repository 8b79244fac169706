//! `kinlink serve [--listen ADDR:PORT] [--demo]`.

use std::io::Write;
use std::sync::Arc;

use anyhow::{Context, Result};
use indicatif::ProgressBar;
use kinlink_core::{ChildCase, TracingRequest};
use kinlink_demo::DemoConfig;
use kinlink_store::{Actor, Records, Store};
use tokio::net::TcpListener;

use crate::cli::ServeArgs;
use crate::config::Config;
use crate::import::write_all;
use crate::records::CliRecord;
use crate::store;

/// The size of the `--demo` dataset: enough to browse and search, quick to load.
const DEMO_CHILDREN: usize = 200;
const DEMO_REQUESTS: usize = 160;

pub async fn run(args: &ServeArgs, config: &Config) -> Result<()> {
    let store = store::open(config).await?;
    if args.demo {
        load_demo(&store).await.context("cannot load the demo data")?;
    }
    let listener = TcpListener::bind(config.listen.as_str())
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr().context("cannot read the bound address")?;
    // One line on stdout once bound: scripts and tests wait for it.
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "kinlink listening on http://{address}").context("cannot write to stdout")?;
    stdout.flush().context("cannot write to stdout")?;
    drop(stdout);
    kinlink_server::serve(store, listener, shutdown_signal())
        .await
        .context("the server failed")
}

/// Ctrl-C, or SIGTERM (what `docker stop` and systemd send).
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing the requests in flight");
}

/// Load a small synthetic dataset through the same import path as
/// `kinlink import`, if the database has no cases.
async fn load_demo(store: &Arc<dyn Store>) -> Result<()> {
    let cases = Records::<ChildCase>::new(store.clone());
    if cases.count().await.context("cannot count the cases")? > 0 {
        tracing::info!("the database already has cases: demo data not loaded");
        return Ok(());
    }
    let demo = DemoConfig {
        children: DEMO_CHILDREN,
        requests: Some(DEMO_REQUESTS),
        seed: DemoConfig::DEFAULT_SEED,
    };
    let dataset = tokio::task::spawn_blocking(move || kinlink_demo::generate(&demo))
        .await
        .context("demo data generation failed")?;
    // Marks every demo record as synthetic in its history.
    let actor = Actor::new("demo");
    let created_cases = import_rows(&cases, &dataset.cases, &actor).await?;
    let requests = Records::<TracingRequest>::new(store.clone());
    let created_requests = import_rows(&requests, &dataset.requests, &actor).await?;
    tracing::info!(
        cases = created_cases,
        requests = created_requests,
        "demo data loaded"
    );
    Ok(())
}

async fn import_rows<T: CliRecord>(
    records: &Records<T>,
    rows: &[kinlink_interchange::InterchangeRow],
    actor: &Actor,
) -> Result<u64> {
    let (valid, errors) = T::parse_rows(rows, store::today());
    if !errors.is_empty() {
        // Counts only: even synthetic rows are not echoed into logs.
        tracing::warn!(
            kind = T::NOUN,
            errors = errors.len(),
            "some demo rows are invalid and were skipped"
        );
    }
    let outcome = write_all(records, &valid, actor, &ProgressBar::hidden()).await?;
    Ok(outcome.created)
}
