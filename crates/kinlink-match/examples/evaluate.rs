//! Evaluates linking on a demo dataset with known truth.
//!
//! ```sh
//! kinlink demo-data --children 20000 --requests 16000 --out /tmp/demo20k
//! cargo run --release -p kinlink-match --example evaluate -- /tmp/demo20k
//! ```
//!
//! Prints recall@1, recall@5, MRR, precision/recall/F1 of `match` labels,
//! the share of requests without a true case that still get a `match`,
//! sibling confusion, blocking recall and the estimated model, overall and
//! by the request's origin and script (from `meta.csv` when present). Only
//! ids and counts are printed (the data is synthetic anyway).

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::Path;
use std::time::Instant;

use kinlink_interchange::{case_from_row, read_rows, request_from_row};
use kinlink_match::link::{self, Field, Index, Label, MatchRecord, Settings};

/// Per-group counts for the breakdown by origin and script.
#[derive(Default)]
struct Group {
    with_truth: usize,
    r1: usize,
    match_pairs: usize,
    match_true: usize,
    true_pairs: usize,
    true_matched: usize,
    no_truth: usize,
    no_truth_matched: usize,
}

impl Group {
    fn add(&mut self, o: &Group) {
        self.with_truth += o.with_truth;
        self.r1 += o.r1;
        self.match_pairs += o.match_pairs;
        self.match_true += o.match_true;
        self.true_pairs += o.true_pairs;
        self.true_matched += o.true_matched;
        self.no_truth += o.no_truth;
        self.no_truth_matched += o.no_truth_matched;
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: evaluate DIR")?;
    let dir = Path::new(&dir);
    let start = Instant::now();
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
    let prepared = start.elapsed();
    let mut same: HashMap<&str, HashSet<&str>> = HashMap::new();
    let mut sibling: HashSet<(&str, &str)> = HashSet::new();
    let truth_text = std::fs::read_to_string(dir.join("truth.csv"))?;
    for line in truth_text.lines().skip(1) {
        let mut it = line.split(',');
        let (Some(r), Some(c), Some(rel)) = (it.next(), it.next(), it.next()) else {
            continue;
        };
        if rel == "same_child" {
            same.entry(r).or_default().insert(c);
        } else {
            sibling.insert((r, c));
        }
    }
    let meta_text = std::fs::read_to_string(dir.join("meta.csv")).unwrap_or_default();
    let meta: HashMap<&str, (&str, &str)> = meta_text
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut it = line.split(',');
            Some((it.next()?, (it.next()?, it.next()?)))
        })
        .collect();
    let mut by_origin: std::collections::BTreeMap<&str, Group> = Default::default();
    let mut by_script: std::collections::BTreeMap<&str, Group> = Default::default();
    let settings = Settings::default();
    let t = Instant::now();
    let linkage = link::link(&requests, &cases, 10, &settings, &|_| {});
    let link_time = t.elapsed();

    let model = &linkage.model;
    println!(
        "model: lambda={:.5} iterations={}",
        model.lambda, model.iterations
    );
    for (f, field) in Field::ALL.iter().enumerate() {
        let levels: Vec<String> = field
            .levels()
            .iter()
            .enumerate()
            .skip(1)
            .map(|(l, name)| {
                format!(
                    "{name} m={:.3} u={:.4} w={:+.2}",
                    model.m[f][l],
                    model.u[f][l],
                    model.level_weight(f, l as u8)
                )
            })
            .collect();
        println!("  {}: {}", field.name(), levels.join("; "));
    }

    let mut index = Index::new(settings.block_cap);
    for (i, c) in cases.iter().enumerate() {
        index.add(i.to_string(), c.clone());
    }
    let (mut with_truth, mut r1, mut r5, mut rr, mut blocked) = (0usize, 0usize, 0usize, 0.0f64, 0usize);
    let (mut match_pairs, mut match_true, mut match_sibling) = (0usize, 0usize, 0usize);
    let (mut true_pairs, mut true_matched, mut true_listed) = (0usize, 0usize, 0usize);
    let (mut no_truth, mut no_truth_matched) = (0usize, 0usize);
    let (mut sibling_flagged_true, mut sibling_flagged) = (0usize, 0usize);
    for (i, cands) in linkage.results.iter().enumerate() {
        let rid = request_rows[i].id.as_str();
        let truth = same.get(rid);
        let is_true = |slot: usize| truth.is_some_and(|t| t.contains(case_rows[slot].id.as_str()));
        let mut matched = false;
        let mut g = Group::default();
        for c in cands {
            let cid = case_rows[c.slot].id.as_str();
            if c.score.sibling {
                sibling_flagged += 1;
                if sibling.contains(&(rid, cid)) {
                    sibling_flagged_true += 1;
                }
            }
            if c.score.label == Label::Match {
                matched = true;
                match_pairs += 1;
                g.match_pairs += 1;
                if is_true(c.slot) {
                    match_true += 1;
                    g.match_true += 1;
                }
                if sibling.contains(&(rid, cid)) {
                    match_sibling += 1;
                }
            }
        }
        match truth {
            Some(t) => {
                with_truth += 1;
                true_pairs += t.len();
                g.with_truth += 1;
                g.true_pairs += t.len();
                if let Some(pos) = cands.iter().position(|c| is_true(c.slot)) {
                    if pos == 0 {
                        r1 += 1;
                        g.r1 += 1;
                    }
                    if pos < 5 {
                        r5 += 1;
                    }
                    rr += 1.0 / (pos as f64 + 1.0);
                }
                true_listed += cands.iter().filter(|c| is_true(c.slot)).count();
                let n = cands
                    .iter()
                    .filter(|c| is_true(c.slot) && c.score.label == Label::Match)
                    .count();
                true_matched += n;
                g.true_matched += n;
                let found = index.candidates(&requests[i]);
                if found.iter().any(|&s| is_true(s)) {
                    blocked += 1;
                }
            }
            None => {
                no_truth += 1;
                g.no_truth += 1;
                if matched {
                    no_truth_matched += 1;
                    g.no_truth_matched += 1;
                }
            }
        }
        let (origin, script) = meta.get(rid).copied().unwrap_or(("unknown", "unknown"));
        for group in [
            by_origin.entry(origin).or_default(),
            by_script.entry(script).or_default(),
        ] {
            group.add(&g);
        }
    }
    // Threshold sweep over the best candidate of each request (not a sibling).
    println!("threshold sweep (best candidate per request, siblings excluded):");
    for t in [0.4, 0.5, 0.7, 0.9, 0.95, 0.99, 0.999, 0.9999] {
        let (mut tp, mut fp, mut fp_no_truth, mut fp_sibling) = (0usize, 0usize, 0usize, 0usize);
        for (i, cands) in linkage.results.iter().enumerate() {
            let rid = request_rows[i].id.as_str();
            let Some(best) = cands.first() else { continue };
            if best.score.sibling || best.score.probability < t {
                continue;
            }
            let cid = case_rows[best.slot].id.as_str();
            if same.get(rid).is_some_and(|s| s.contains(cid)) {
                tp += 1;
            } else {
                fp += 1;
                if !same.contains_key(rid) {
                    fp_no_truth += 1;
                }
                if sibling.contains(&(rid, cid)) {
                    fp_sibling += 1;
                }
            }
        }
        println!(
            "  p>={t}: {tp} true, {fp} false ({fp_no_truth} for requests without a true case, {fp_sibling} true siblings); precision {:.2}% recall {:.2}%",
            100.0 * tp as f64 / (tp + fp).max(1) as f64,
            100.0 * tp as f64 / same.values().map(HashSet::len).sum::<usize>().max(1) as f64
        );
    }
    // Blocking recall and cost for other limits on candidates per query.
    println!("blocking recall by candidates limit (limit: recall, mean candidates):");
    for limit in [100, 200, 300, 500, 1000, usize::MAX] {
        let mut limited = Index::with_limits(settings.block_cap, limit);
        for (i, c) in cases.iter().enumerate() {
            limited.add(i.to_string(), c.clone());
        }
        let (mut found, mut total, mut n) = (0usize, 0usize, 0usize);
        for (i, request) in requests.iter().enumerate() {
            let Some(truth) = same.get(request_rows[i].id.as_str()) else {
                continue;
            };
            let slots = limited.candidates(request);
            total += slots.len();
            n += 1;
            if slots.iter().any(|&s| truth.contains(case_rows[s].id.as_str())) {
                found += 1;
            }
        }
        println!(
            "  {limit}: {:.2}%, {:.0}",
            100.0 * found as f64 / n.max(1) as f64,
            total as f64 / n.max(1) as f64
        );
    }
    let pct = |a: usize, b: usize| if b == 0 { 0.0 } else { 100.0 * a as f64 / b as f64 };
    let precision = pct(match_true, match_pairs);
    let recall = pct(true_matched, true_pairs);
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    println!(
        "cases={} requests={} (with a true case {with_truth}, without {no_truth})",
        cases.len(),
        requests.len()
    );
    println!(
        "prepare {:.1}s, link {:.1}s, pairs compared {}",
        prepared.as_secs_f64(),
        link_time.as_secs_f64(),
        linkage.compared
    );
    println!(
        "blocking recall (true case among candidates): {:.2}%",
        pct(blocked, with_truth)
    );
    println!(
        "recall@1 {:.2}%  recall@5 {:.2}%  MRR@10 {:.4}",
        pct(r1, with_truth),
        pct(r5, with_truth),
        rr / with_truth.max(1) as f64
    );
    println!(
        "listed (match|possible) true pairs: {:.2}% of {true_pairs}",
        pct(true_listed, true_pairs)
    );
    println!("match labels: {match_pairs} pairs, precision {precision:.2}%, recall {recall:.2}%, F1 {f1:.2}");
    println!(
        "requests without a true case given a match: {no_truth_matched}/{no_truth} ({:.2}%)",
        pct(no_truth_matched, no_truth)
    );
    println!(
        "sibling confusion: {match_sibling} sibling pairs labelled match (of {} sibling pairs)",
        sibling.len()
    );
    println!("flagged siblings among listed: {sibling_flagged} ({sibling_flagged_true} true siblings)");
    println!(
        "by request origin / script: requests, recall@1, match precision, match recall, no-true-case matched"
    );
    for (name, g) in by_origin.iter().chain(by_script.iter()) {
        println!(
            "  {name:<18} {:>6} r@1 {:6.2}%  P {:6.2}%  R {:6.2}%  none→match {:5.2}%",
            g.with_truth + g.no_truth,
            pct(g.r1, g.with_truth),
            pct(g.match_true, g.match_pairs),
            pct(g.true_matched, g.true_pairs),
            pct(g.no_truth_matched, g.no_truth)
        );
    }
    Ok(())
}
