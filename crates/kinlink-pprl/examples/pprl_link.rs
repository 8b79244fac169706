//! Links a dataset with encodings only: both sides encoded under one
//! agreement key, every request compared with every case by Dice.
//!
//! ```sh
//! cargo run --release -p kinlink-pprl --example pprl_link -- DIR OUT.csv [THRESHOLD] [FLIP] [BITS]
//! bench/.venv/bin/python bench/evaluate.py link --pairs OUT.csv --truth DIR/truth.csv \
//!     --requests DIR/requests.csv [--meta DIR/meta.csv] --out result.json
//! ```
//!
//! `DIR` holds `cases.csv` and `requests.csv` (interchange format: demo data
//! or `bench/febrl.py` output). Writes `request_id,case_id,score,label`, the
//! best 10 cases per request with Dice ≥ 0.3, best first; the best is
//! labelled `match` when its Dice reaches `THRESHOLD` (`-`: the default,
//! [`DEFAULT_THRESHOLD`]), the others `possible`. `FLIP` is BLIP's flip
//! probability (default the schema's, 0.02; 0 = no hardening), `BITS` the
//! filter length (default 1024); `PPRL_K="given=16,name-bigram=3"` sets
//! weights other than the schema's. The secret is a fixed synthetic one: this
//! is a benchmark. Prints counts and times only.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use kinlink_interchange::{case_from_row, read_rows, request_from_row};
use kinlink_match::link::MatchRecord;
use kinlink_pprl::{
    AgreementSecret, DEFAULT_THRESHOLD, Encoder, Feature, Hardening, LinkageKey, Schema, all_pairs, kernel,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, out, rest @ ..] = args.as_slice() else {
        return Err("usage: pprl_link DIR OUT.csv [THRESHOLD] [FLIP] [BITS]".into());
    };
    let threshold: f64 = rest
        .first()
        .filter(|s| !s.is_empty() && *s != "-")
        .map_or(Ok(DEFAULT_THRESHOLD), |s| s.parse())?;
    let bits: usize = rest.get(2).map_or(Ok(1024), |s| s.parse())?;
    let mut schema = Schema::with_bits(bits)?;
    if let Some(flip) = rest.get(1) {
        let p: f64 = flip.parse()?;
        schema = schema.hardening(if p == 0.0 {
            Hardening::None
        } else {
            Hardening::Blip { flip_probability: p }
        })?;
    }
    // PPRL_K="name-bigram=3,given=16": weights other than the schema's (tuning).
    if let Ok(spec) = std::env::var("PPRL_K") {
        for item in spec.split(',').filter(|s| !s.is_empty()) {
            let (label, k) = item.split_once('=').ok_or("PPRL_K: label=k,...")?;
            let feature = Feature::ALL
                .into_iter()
                .find(|f| f.label() == label)
                .ok_or("PPRL_K: unknown feature")?;
            schema = schema.weight(feature, k.parse()?);
        }
    }
    let dir = Path::new(dir);
    let t = Instant::now();
    let case_rows = read_rows(File::open(dir.join("cases.csv"))?)?;
    let request_rows = read_rows(File::open(dir.join("requests.csv"))?)?;
    let cases: Vec<MatchRecord> = case_rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let (c, _) = case_from_row(r, i + 2);
            MatchRecord::new(&c.child, c.recorded_on)
        })
        .collect();
    let requests: Vec<MatchRecord> = request_rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let (q, _) = request_from_row(r, i + 2);
            let child = q.sought_children.into_iter().next().unwrap_or_default();
            MatchRecord::new(&child, q.recorded_on)
        })
        .collect();
    let prepared = t.elapsed().as_secs_f64();

    let secret = AgreementSecret::new(b"synthetic benchmark secret, not for real data")?;
    let encoder = Encoder::new(LinkageKey::derive(&secret, "benchmark-agreement")?, schema)?;
    let t = Instant::now();
    let mut case_set = encoder.encode_all(&cases);
    let request_set = encoder.encode_all(&requests);
    let encoded = t.elapsed().as_secs_f64();

    let t = Instant::now();
    case_set.sort_by_popcount();
    let pairs = all_pairs(&request_set, &case_set, 0.3, Some(10))?;
    let compared = t.elapsed().as_secs_f64();

    let mut w = BufWriter::new(File::create(out)?);
    writeln!(w, "request_id,case_id,score,label")?;
    let mut last = u32::MAX;
    for p in &pairs {
        let first = p.query != last;
        last = p.query;
        let label = if first && p.score >= threshold {
            "match"
        } else {
            "possible"
        };
        writeln!(
            w,
            "{},{},{:.4},{label}",
            request_rows[p.query as usize].id, case_rows[p.candidate as usize].id, p.score
        )?;
    }
    w.flush()?;
    eprintln!(
        "{} requests × {} cases, {} bits, {:?}, kernel {}: prepare {prepared:.2} s, encode {encoded:.2} s, \
         compare {compared:.2} s ({:.1} M comparisons/s), {} pairs written",
        requests.len(),
        cases.len(),
        bits,
        encoder.schema().hardening_kind(),
        kernel(),
        (requests.len() * cases.len()) as f64 / compared / 1e6,
        pairs.len()
    );
    Ok(())
}
