//! Encoding speed and comparison throughput, on one and two threads.
//!
//! ```sh
//! cargo run --release -p kinlink-pprl --example pprl_bench -- [CHILDREN] [MAX_SIZE]
//! # defaults: 20000 demo children (16,000 requests), comparison sizes up to
//! # 20000 (the first table up to a fifth of it, as anonlink's `benchmark(size)`)
//! ```
//! `bench/pprl.sh` runs it in the same run as anonlink's and clkhash's own
//! benchmarks.
//!
//! 1. Comparisons, the protocol of `anonlink.benchmark` (anonlink 0.15):
//!    a pool of 10,000 random 1024-bit filters, n × n filters drawn from
//!    its first 8,000 and last 8,000, candidate pairs at threshold 0.5 (all
//!    results, then the best 100 per record) and 0.7 (same); throughput is
//!    n² / time of the candidate search, in 10⁶ comparisons per second.
//!    Random filters all have about 512 bits set, so popcount pruning
//!    removes nothing here: these are full scans.
//! 2. Encoding: demo records (synthetic, many scripts) prepared by the
//!    matching engine (`MatchRecord::new`) and encoded (`Encoder::encode`),
//!    timed apart (`pprl_link` reports the same on FEBRL4's Latin records).
//! 3. Demo requests × cases at the default threshold, best 10 per request,
//!    with and without popcount pruning.
//!
//! Only counts and times are printed; the last line is JSON.

use std::time::Instant;

use kinlink_demo::{DemoConfig, generate};
use kinlink_interchange::{case_from_row, request_from_row};
use kinlink_match::link::MatchRecord;
use kinlink_pprl::{
    AgreementSecret, Clk, DEFAULT_THRESHOLD, Encoder, EncodingSet, LinkageKey, Schema, all_pairs, kernel,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool")
}

fn set_of(clks: &[Clk]) -> EncodingSet {
    let mut s = EncodingSet::new(1024);
    for c in clks {
        s.push(c).expect("1024-bit filters");
    }
    s
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let children: usize = args.next().as_deref().unwrap_or("20000").parse()?;
    let max_size: usize = args.next().as_deref().unwrap_or("20000").parse()?;
    let mut json = Vec::new();
    println!("kinlink-pprl benchmark (kernel: {})", kernel());

    // 1. anonlink's protocol.
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let filters: Vec<Clk> = (0..10_000)
        .map(|_| Clk::from_words((0..16).map(|_| rng.random()).collect()).expect("16 words"))
        .collect();
    let sizes = [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 20000];
    for threads in [1, 2] {
        let p = pool(threads);
        for (threshold, k, limit) in [
            (0.5, None, max_size / 5),
            (0.5, Some(100), max_size),
            (0.7, None, max_size),
            (0.7, Some(100), max_size),
        ] {
            println!();
            println!(
                "Threads: {threads}, threshold: {threshold}, {}",
                k.map_or("all results returned".to_string(), |k| format!(
                    "top {k} matches per record returned"
                ))
            );
            println!("Size 1 | Size 2 | Comparisons      | Time (s) | Throughput (1e6 cmp/s)");
            for &n in sizes.iter().filter(|&&n| n <= limit) {
                let a: Vec<Clk> = (0..n)
                    .map(|_| filters[rng.random_range(0..8000)].clone())
                    .collect();
                let b: Vec<Clk> = (0..n)
                    .map(|_| filters[rng.random_range(2000..10000)].clone())
                    .collect();
                let (sa, sb) = (set_of(&a), set_of(&b));
                let t = Instant::now();
                let pairs = p.install(|| all_pairs(&sa, &sb, threshold, k))?;
                let s = t.elapsed().as_secs_f64();
                let cmp = (n * n) as f64;
                println!(
                    "{n:6} | {n:6} | {:4}e6  ({:5.2}%) | {s:8.3} | {:10.3}",
                    n * n / 1_000_000,
                    100.0 * pairs.len() as f64 / cmp,
                    cmp / s / 1e6
                );
                json.push(format!(
                    r#"{{"part":"compare","threads":{threads},"threshold":{threshold},"k":{},"n":{n},"seconds":{s:.4},"mcmp_per_s":{:.2}}}"#,
                    k.map_or("null".to_string(), |k| k.to_string()),
                    cmp / s / 1e6
                ));
            }
        }
    }

    // 2. Encoding.
    println!();
    let ds = generate(&DemoConfig::new(children));
    let secret = AgreementSecret::new(b"synthetic benchmark secret, not for real data")?;
    let encoder = Encoder::new(
        LinkageKey::derive(&secret, "benchmark-agreement")?,
        Schema::default(),
    )?;
    let mut cases = Vec::new();
    let mut requests = Vec::new();
    for threads in [1, 2] {
        let p = pool(threads);
        let t = Instant::now();
        cases = p.install(|| {
            ds.cases
                .par_iter()
                .enumerate()
                .map(|(i, row)| {
                    let (c, _) = case_from_row(row, i + 2);
                    MatchRecord::new(&c.child, c.recorded_on)
                })
                .collect::<Vec<_>>()
        });
        let prepare = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let set = p.install(|| encoder.encode_all(&cases));
        let encode = t.elapsed().as_secs_f64();
        let n = cases.len() as f64;
        println!(
            "Encoding, {threads} thread(s), {} demo cases: prepare (row → MatchRecord) {:.0} records/s, \
             encode {:.0} records/s, both {:.0} records/s; mean bits set {:.0} of 1024",
            cases.len(),
            n / prepare,
            n / encode,
            n / (prepare + encode),
            mean_popcount(&set)
        );
        json.push(format!(
            r#"{{"part":"encode","threads":{threads},"records":{},"prepare_per_s":{:.0},"encode_per_s":{:.0},"both_per_s":{:.0}}}"#,
            cases.len(),
            n / prepare,
            n / encode,
            n / (prepare + encode)
        ));
        if threads == 2 {
            requests = p.install(|| {
                ds.requests
                    .par_iter()
                    .enumerate()
                    .map(|(i, row)| {
                        let (q, _) = request_from_row(row, i + 2);
                        let child = q.sought_children.into_iter().next().unwrap_or_default();
                        MatchRecord::new(&child, q.recorded_on)
                    })
                    .collect::<Vec<_>>()
            });
        }
    }

    // 3. Real encodings: requests × cases.
    println!();
    let p = pool(2);
    let mut case_set = p.install(|| encoder.encode_all(&cases));
    let request_set = p.install(|| encoder.encode_all(&requests));
    let cmp = (case_set.len() * request_set.len()) as f64;
    for pruned in [false, true] {
        if pruned {
            case_set.sort_by_popcount();
        }
        let t = Instant::now();
        let pairs = p.install(|| all_pairs(&request_set, &case_set, DEFAULT_THRESHOLD, Some(10)))?;
        let s = t.elapsed().as_secs_f64();
        println!(
            "Demo {} requests × {} cases, threshold {DEFAULT_THRESHOLD}, top 10, 2 threads, pruning {}: \
             {s:.3} s, {:.1} M pair comparisons/s, {} pairs",
            request_set.len(),
            case_set.len(),
            if pruned { "on" } else { "off" },
            cmp / s / 1e6,
            pairs.len()
        );
        json.push(format!(
            r#"{{"part":"demo","pruned":{pruned},"seconds":{s:.4},"mcmp_per_s":{:.2}}}"#,
            cmp / s / 1e6
        ));
    }
    println!("{{\"results\":[{}]}}", json.join(","));
    Ok(())
}

fn mean_popcount(set: &EncodingSet) -> f64 {
    let total: u64 = (0..set.len()).map(|i| u64::from(set.popcount(i))).sum();
    total as f64 / set.len().max(1) as f64
}
