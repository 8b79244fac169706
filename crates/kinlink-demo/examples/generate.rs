//! Generates a dataset and reports how long it took.
//!
//! `cargo run --release -p kinlink-demo --example generate -- 1000000 [DIR] [SEED]`
//! Without DIR the dataset is built in memory with `generate` (and dropped);
//! with DIR it is streamed to CSV files with `generate_to_dir`.

use std::path::Path;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let children: usize = args.next().as_deref().unwrap_or("10000").parse()?;
    let dir = args.next();
    let seed: u64 = match args.next() {
        Some(s) => s.parse()?,
        None => kinlink_demo::DemoConfig::DEFAULT_SEED,
    };
    let config = kinlink_demo::DemoConfig {
        children,
        requests: None,
        seed,
    };
    let start = Instant::now();
    match dir {
        Some(dir) => {
            let files = kinlink_demo::generate_to_dir(&config, Path::new(&dir))?;
            println!(
                "{} cases, {} requests, {} truth pairs written to {dir} in {:.2?}",
                files.case_count,
                files.request_count,
                files.truth_count,
                start.elapsed()
            );
        }
        None => {
            let ds = kinlink_demo::generate(&config);
            println!(
                "{} cases, {} requests, {} truth pairs generated in memory in {:.2?}",
                ds.cases.len(),
                ds.requests.len(),
                ds.truth.len(),
                start.elapsed()
            );
        }
    }
    Ok(())
}
