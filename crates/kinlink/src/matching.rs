//! `kinlink match link` and `kinlink match dedupe`: the matching engine over
//! interchange CSV files. Rows are read cell by cell without whole-record
//! validation, so a slightly odd row is still matched (unreadable cells are
//! left out). Nothing here prints a record's content: only ids and scores
//! go to the output file, counts to the terminal.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kinlink_interchange::{InterchangeRow, case_from_row, read_rows, request_from_row};
use kinlink_match::link::{self, MatchRecord, Settings};

use crate::cli::{MatchCommand, MatchDedupeArgs, MatchLinkArgs};

pub fn run(command: &MatchCommand) -> Result<()> {
    match command {
        MatchCommand::Link(args) => run_link(args),
        MatchCommand::Dedupe(args) => run_dedupe(args),
    }
}

fn rows(path: &Path) -> Result<Vec<InterchangeRow>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    read_rows(std::io::BufReader::new(file)).with_context(|| format!("cannot read {}", path.display()))
}

/// Rows as cases: (id, record). Row numbers count the header as row 1.
fn case_records(rows: &[InterchangeRow]) -> Vec<(String, MatchRecord)> {
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            let (case, _cell_errors) = case_from_row(row, i + 2);
            (row.id.clone(), MatchRecord::new(&case.child, case.recorded_on))
        })
        .collect()
}

fn request_records(rows: &[InterchangeRow]) -> Vec<(String, MatchRecord)> {
    rows.iter()
        .enumerate()
        .filter_map(|(i, row)| {
            let (request, _cell_errors) = request_from_row(row, i + 2);
            let child = request.sought_children.first()?;
            Some((row.id.clone(), MatchRecord::new(child, request.recorded_on)))
        })
        .collect()
}

/// A bar on stderr; hidden when stderr is not a terminal.
fn progress_bar(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_owned());
    bar
}

fn writer(path: &Path) -> Result<csv::Writer<BufWriter<File>>> {
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    Ok(csv::Writer::from_writer(BufWriter::new(file)))
}

fn run_link(args: &MatchLinkArgs) -> Result<()> {
    let start = Instant::now();
    let cases = case_records(&rows(&args.cases)?);
    let requests = request_records(&rows(&args.requests)?);
    let (case_ids, case_recs): (Vec<String>, Vec<MatchRecord>) = cases.into_iter().unzip();
    let (request_ids, request_recs): (Vec<String>, Vec<MatchRecord>) = requests.into_iter().unzip();
    let bar = progress_bar(request_recs.len() as u64, "linking");
    let linkage = link::link(
        &request_recs,
        &case_recs,
        args.top as usize,
        &Settings::default(),
        &|n| bar.inc(n),
    );
    bar.finish_and_clear();
    let mut out = writer(&args.out)?;
    out.write_record(["request_id", "case_id", "score", "label"])?;
    let mut written = 0u64;
    for (request_id, candidates) in request_ids.iter().zip(&linkage.results) {
        for c in candidates {
            let Some(case_id) = case_ids.get(c.slot) else {
                continue;
            };
            out.write_record([
                request_id.as_str(),
                case_id.as_str(),
                &format!("{:.4}", c.score.probability),
                c.score.label.as_str(),
            ])?;
            written += 1;
        }
    }
    out.flush()
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    println!(
        "linked {} requests against {} cases: {} candidate pairs compared, {} pairs written, {:.1}s",
        request_recs.len(),
        case_recs.len(),
        linkage.compared,
        written,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

fn run_dedupe(args: &MatchDedupeArgs) -> Result<()> {
    let start = Instant::now();
    let (ids, records): (Vec<String>, Vec<MatchRecord>) =
        case_records(&rows(&args.records)?).into_iter().unzip();
    let bar = progress_bar(records.len() as u64, "de-duplicating");
    let found = link::dedupe(&records, &Settings::default(), &|n| bar.inc(n));
    bar.finish_and_clear();
    let mut out = writer(&args.out)?;
    out.write_record(["id_a", "id_b", "score", "label"])?;
    for (a, b, score) in &found.pairs {
        let (Some(id_a), Some(id_b)) = (ids.get(*a), ids.get(*b)) else {
            continue;
        };
        out.write_record([
            id_a.as_str(),
            id_b.as_str(),
            &format!("{:.4}", score.probability),
            score.label.as_str(),
        ])?;
    }
    out.flush()
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    println!(
        "compared {} records: {} candidate pairs compared, {} pairs written, {:.1}s",
        records.len(),
        found.compared,
        found.pairs.len(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
