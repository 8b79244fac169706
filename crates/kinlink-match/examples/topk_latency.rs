//! Interactive top-k latency against a large in-memory index, on one thread.
//!
//! ```sh
//! cargo run --release -p kinlink-match --example topk_latency -- [CASES] [QUERIES] [K]
//! # defaults: 1000000 cases, 10000 queries, k = 10
//! ```
//!
//! Generates a demo dataset in memory (`kinlink_demo::generate`, synthetic),
//! builds an [`Index`] of its cases, estimates the model from samples
//! (20,000 requests against every 10th case), then answers tracing requests one at a time:
//! each query prepares the request's [`MatchRecord`] and calls
//! [`Index::top_k`]. Everything runs on one rayon thread. Prints build and
//! estimation time, p50/p99/max latency and memory, and a last line of JSON
//! for `bench/run.sh`. Only counts and times are printed, never a record.

use std::time::{Duration, Instant};

use kinlink_demo::{DemoConfig, generate};
use kinlink_interchange::{case_from_row, request_from_row};
use kinlink_match::link::{DEFAULT_BLOCK_CAP, Index, MatchRecord, Settings, estimate};

/// A line of /proc/self/status in MB (`VmHWM` = peak RSS, `VmRSS` = current); 0 off Linux.
fn proc_status_mb(key: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb * 1024.0 / 1e6)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e3
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let cases: usize = args.next().as_deref().unwrap_or("1000000").parse()?;
    let queries: usize = args.next().as_deref().unwrap_or("10000").parse()?;
    let k: usize = args.next().as_deref().unwrap_or("10").parse()?;
    rayon::ThreadPoolBuilder::new().num_threads(1).build_global()?;

    let t = Instant::now();
    let mut ds = generate(&DemoConfig::new(cases));
    let generate_s = t.elapsed().as_secs_f64();

    // Cases go straight into the index; every 10th is also kept (cloned) as
    // the case sample for estimation, so the records are not held twice.
    let t = Instant::now();
    let mut index = Index::new(DEFAULT_BLOCK_CAP);
    let mut case_sample = Vec::with_capacity(cases / 10 + 1);
    for (i, row) in ds.cases.iter().enumerate() {
        let (case, _) = case_from_row(row, i + 2);
        let record = MatchRecord::new(&case.child, case.recorded_on);
        if i % 10 == 0 {
            case_sample.push(record.clone());
        }
        index.add(row.id.clone(), record);
    }
    let build_s = t.elapsed().as_secs_f64();
    ds.cases = Vec::new();

    // The model is estimated as `link` does, from samples: about 20,000
    // requests (EM over their candidates in the full index) against the case
    // sample (random pairs for `u`, term frequencies).
    let t = Instant::now();
    let every = (ds.requests.len() / 20_000).max(1);
    let request_sample: Vec<MatchRecord> = ds
        .requests
        .iter()
        .enumerate()
        .step_by(every)
        .filter_map(|(i, row)| {
            let (request, _) = request_from_row(row, i + 2);
            let child = request.sought_children.first()?;
            Some(MatchRecord::new(child, request.recorded_on))
        })
        .collect();
    let model = estimate(&request_sample, &case_sample, &index, false, &Settings::default());
    let estimate_s = t.elapsed().as_secs_f64();
    drop(request_sample);
    drop(case_sample);

    // Queries: requests spread evenly over the file, a few first to warm up.
    let step = (ds.requests.len() / queries.max(1)).max(1);
    let picked: Vec<usize> = (0..ds.requests.len()).step_by(step).take(queries).collect();
    let query = |i: usize| -> Option<(Duration, Duration, bool)> {
        let start = Instant::now();
        let (request, _) = request_from_row(&ds.requests[i], i + 2);
        let record = MatchRecord::new(request.sought_children.first()?, request.recorded_on);
        let prepared = Instant::now();
        let (candidates, _) = index.top_k(&model, &record, k);
        let end = Instant::now();
        Some((end - start, end - prepared, !candidates.is_empty()))
    };
    // Warm caches with a few queries that are not timed.
    for &i in picked.iter().take(200) {
        let _ = query(i);
    }
    let (mut total, mut topk, mut found) = (Vec::new(), Vec::new(), 0usize);
    for &i in &picked {
        if let Some((all, alone, any)) = query(i) {
            total.push(all);
            topk.push(alone);
            found += usize::from(any);
        }
    }
    total.sort();
    topk.sort();
    let rss_now = proc_status_mb("VmRSS:");
    let peak = proc_status_mb("VmHWM:");
    println!(
        "{} cases indexed in {build_s:.1}s (generated in {generate_s:.1}s), model estimated in {estimate_s:.1}s",
        index.len()
    );
    println!(
        "{} top-{k} queries on one thread ({} with candidates): prepare+top_k p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; top_k alone p50 {:.2} ms, p99 {:.2} ms",
        total.len(),
        found,
        percentile(&total, 0.5),
        percentile(&total, 0.99),
        percentile(&total, 1.0),
        percentile(&topk, 0.5),
        percentile(&topk, 0.99),
    );
    println!("RSS now {rss_now:.0} MB (index, model and the requests' rows), peak {peak:.0} MB");
    println!(
        "{{\"cases\": {}, \"queries\": {}, \"k\": {k}, \"p50_ms\": {:.3}, \"p99_ms\": {:.3}, \"max_ms\": {:.3}, \"topk_p50_ms\": {:.3}, \"topk_p99_ms\": {:.3}, \"build_s\": {build_s:.2}, \"estimate_s\": {estimate_s:.2}, \"generate_s\": {generate_s:.2}, \"rss_after_build_mb\": {rss_now:.0}, \"peak_rss_mb\": {peak:.0}}}",
        index.len(),
        total.len(),
        percentile(&total, 0.5),
        percentile(&total, 0.99),
        percentile(&total, 1.0),
        percentile(&topk, 0.5),
        percentile(&topk, 0.99),
    );
    Ok(())
}
