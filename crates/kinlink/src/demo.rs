//! `kinlink demo-data --children N --out DIR [--requests M] [--seed S]`.

use anyhow::{Context, Result};
use kinlink_demo::DemoConfig;

use crate::cli::DemoArgs;

pub async fn run(args: &DemoArgs) -> Result<()> {
    let config = DemoConfig {
        children: usize::try_from(args.children).context("--children is too large for this machine")?,
        requests: args.requests,
        seed: args.seed,
    };
    let out = args.out.clone();
    // Streams to disk: a million children need little memory.
    let files = tokio::task::spawn_blocking(move || kinlink_demo::generate_to_dir(&config, &out))
        .await
        .context("demo data generation failed")?
        .context("cannot write the demo data")?;
    println!(
        "wrote {} cases to {}, {} tracing requests to {}, {} true links to {}, and {}",
        files.case_count,
        files.cases.display(),
        files.request_count,
        files.requests.display(),
        files.truth_count,
        files.truth.display(),
        files.meta.display(),
    );
    Ok(())
}
