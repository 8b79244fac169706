//! The `kinlink` command: arguments, configuration, I/O, progress and exit
//! codes. The domain, storage, CSV and HTTP logic live in the libraries.
//!
//! Exit codes: 0 success, 1 failure (invalid record or file, conflict, not
//! found, database or I/O error), 2 invalid command line.
//!
//! Nothing here logs or prints a record's content except as the requested
//! output on stdout: errors name fields, rows and columns, never values.

mod accounts;
mod audit;
mod cli;
mod config;
mod copy_db;
mod demo;
mod export;
mod import;
mod input;
mod keys;
mod matching;
mod records;
mod serve;
mod stats;
mod store;

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use kinlink_core::{ChildCase, TracingRequest};
use kinlink_policy::Purpose;
use tracing_subscriber::EnvFilter;

use crate::cli::{Cli, Command, Which};
use crate::config::Config;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(if cli.command.is_serve() { "info" } else { "warn" });
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
        .and_then(|runtime| runtime.block_on(run(cli)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // `kinlink export cases | head`: the reader left, which is not a failure.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    let listen = match &cli.command {
        Command::Serve(args) => args.listen.as_deref(),
        _ => None,
    };
    let config = Config::load(&cli.global, listen)?;
    // Every access to records is made for a declared purpose, recorded in the audit log.
    let purpose = cli.global.purpose.unwrap_or(Purpose::CaseManagement);
    match cli.command {
        Command::Init(args) => accounts::init(&args, &config).await,
        Command::Serve(args) => serve::run(&args, &config).await,
        Command::User(command) => accounts::user(&command, &config).await,
        Command::Agency(command) => accounts::agency(&command, &config).await,
        Command::Token(command) => accounts::token(&command, &config).await,
        Command::Case(command) => records::run::<ChildCase>(command, &config, purpose).await,
        Command::Request(command) => records::run::<TracingRequest>(command, &config, purpose).await,
        Command::Import(args) => match args.which {
            Which::Cases => import::run::<ChildCase>(&args, &config, purpose).await,
            Which::Requests => import::run::<TracingRequest>(&args, &config, purpose).await,
        },
        Command::Export(args) => match args.which {
            Which::Cases => export::run::<ChildCase>(&args, &config, purpose).await,
            Which::Requests => export::run::<TracingRequest>(&args, &config, purpose).await,
        },
        Command::Audit(command) => {
            audit::run(command, &config, cli.global.purpose.unwrap_or(Purpose::Audit)).await
        }
        Command::DemoData(args) => demo::run(&args).await,
        Command::Match(command) => tokio::task::spawn_blocking(move || matching::run(&command))
            .await
            .context("matching failed")?,
        Command::CopyDb(args) => copy_db::run(&args, &config).await,
        Command::Config => {
            print!("{}", config.to_toml()?);
            Ok(())
        }
        Command::Migrate => store::migrate(&config).await,
        Command::Keys(command) => keys::run(command, &config).await,
        Command::Retention(command) => keys::retention(command, &config).await,
        Command::Record(command) => keys::record(command, &config).await,
        Command::Stats(command) => {
            stats::run(
                command,
                &config,
                cli.global.purpose.unwrap_or(Purpose::Statistics),
            )
            .await
        }
    }
}

/// Logs go to stderr; `RUST_LOG` overrides the default level.
fn init_logging(default: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    // Fails only if a subscriber is already set, which nothing else does.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<csv::Error>()
                .is_some_and(|csv| matches!(csv.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe))
            || cause
                .downcast_ref::<serde_json::Error>()
                .is_some_and(|json| json.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
    })
}
