//! `kinlink match link` and `kinlink match dedupe`, the real binary on a
//! small synthetic demo dataset (everyone in it is invented).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use predicates::prelude::*;
use tempfile::TempDir;

mod common;

use common::kinlink;

/// A 300-children demo dataset in a fresh directory.
fn demo() -> TempDir {
    let dir = TempDir::new().expect("temp dir");
    kinlink(dir.path())
        .args(["demo-data", "--children", "300", "--out", "demo"])
        .assert()
        .success();
    dir
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path).expect("readable CSV");
    let header = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.expect("row").iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

#[test]
fn link_writes_ranked_labelled_pairs_and_finds_most_children() {
    let dir = demo();
    let d = dir.path();
    kinlink(d)
        .args([
            "match",
            "link",
            "--cases",
            "demo/cases.csv",
            "--requests",
            "demo/requests.csv",
            "--out",
            "pairs.csv",
            "--top",
            "3",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("candidate pairs compared"));
    let (header, rows) = read_csv(&d.join("pairs.csv"));
    assert_eq!(header, ["request_id", "case_id", "score", "label"]);
    assert!(!rows.is_empty());
    let mut per_request: HashMap<&str, Vec<f64>> = HashMap::new();
    for row in &rows {
        assert!(row[3] == "match" || row[3] == "possible", "label {}", row[3]);
        let score: f64 = row[2].parse().expect("score is a number");
        assert!((0.0..=1.0).contains(&score));
        per_request.entry(row[0].as_str()).or_default().push(score);
    }
    for scores in per_request.values() {
        assert!(scores.len() <= 3, "at most K per request");
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "ranked best first");
    }
    // Most true links are found.
    let (_, truth) = read_csv(&d.join("demo/truth.csv"));
    let found: HashSet<(&str, &str)> = rows.iter().map(|r| (r[0].as_str(), r[1].as_str())).collect();
    let same: Vec<&Vec<String>> = truth.iter().filter(|t| t[2] == "same_child").collect();
    let hits = same
        .iter()
        .filter(|t| found.contains(&(t[0].as_str(), t[1].as_str())))
        .count();
    assert!(
        hits * 10 >= same.len() * 8,
        "found {hits} of {} true links",
        same.len()
    );
}

#[test]
fn link_defaults_to_ten_per_request() {
    let dir = demo();
    let d = dir.path();
    kinlink(d)
        .args([
            "match",
            "link",
            "--cases",
            "demo/cases.csv",
            "--requests",
            "demo/requests.csv",
            "--out",
            "pairs.csv",
        ])
        .assert()
        .success();
    let (_, rows) = read_csv(&d.join("pairs.csv"));
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for row in &rows {
        *counts.entry(row[0].as_str()).or_default() += 1;
    }
    assert!(counts.values().all(|&n| n <= 10));
}

#[test]
fn dedupe_writes_pairs() {
    let dir = demo();
    let d = dir.path();
    kinlink(d)
        .args([
            "match",
            "dedupe",
            "--records",
            "demo/cases.csv",
            "--out",
            "dups.csv",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("candidate pairs compared"));
    let (header, rows) = read_csv(&d.join("dups.csv"));
    assert_eq!(header, ["id_a", "id_b", "score", "label"]);
    for row in &rows {
        assert_ne!(row[0], row[1]);
        assert!(row[3] == "match" || row[3] == "possible");
    }
}

#[test]
fn a_missing_file_is_an_error_without_content() {
    let dir = TempDir::new().expect("temp dir");
    kinlink(dir.path())
        .args([
            "match",
            "link",
            "--cases",
            "nope.csv",
            "--requests",
            "nope.csv",
            "--out",
            "pairs.csv",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("cannot open"));
}
