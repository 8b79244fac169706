//! `kinlink stats` through the real binary on a real SQLite file: a known
//! synthetic population gives known figures, the small cell is suppressed
//! with its complements, the threshold comes from the configuration and
//! cannot go below 3, and the purpose is `statistics`. Every person here is
//! synthetic.

use std::path::Path;

use serde_json::{Value, json};
use tempfile::TempDir;

mod common;

use common::kinlink;

/// (nationality, sex, count): identified in 2026, born 2014.
const POPULATION: [(&str, &str, usize); 4] = [
    ("ER", "female", 6),
    ("ER", "male", 5),
    ("SO", "female", 5),
    ("SO", "male", 1),
];

fn stdout(cmd: &mut assert_cmd::Command) -> String {
    let output = cmd.output().expect("run kinlink");
    assert!(
        output.status.success(),
        "kinlink failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Registers the population with `kinlink case create`; returns the numbers and names written.
fn register(dir: &Path) -> Vec<String> {
    let mut written = Vec::new();
    let mut n = 0;
    for (nationality, sex, count) in POPULATION {
        for _ in 0..count {
            n += 1;
            let name = format!("Clichild{n}");
            let case = json!({
                "child": {
                    "names": {"given": {"original": name}, "family": {"original": "Synthetic"}},
                    "sex": sex,
                    "date_of_birth": {"value": "2014"},
                    "nationalities": [nationality]
                },
                "accompaniment": "unaccompanied",
                "recorded_on": "2026-03-01"
            });
            let file = dir.join("case.json");
            std::fs::write(&file, case.to_string()).expect("write");
            let out = stdout(kinlink(dir).args(["case", "create", "--file", "case.json"]));
            let created: Value = serde_json::from_str(&out).expect("json");
            written.push(created["number"].as_str().expect("number").to_owned());
            written.push(created["id"].as_str().expect("id").to_owned());
            written.push(name);
        }
    }
    written
}

#[test]
fn stats_gives_known_figures_with_the_small_cell_suppressed() {
    let tmp = TempDir::new().expect("temp dir");
    let dir = tmp.path();
    let written = register(dir);
    let indicator = [
        "stats",
        "indicator",
        "children_registered",
        "--by",
        "nationality,sex",
        "--period",
        "2026",
    ];

    let csv = stdout(kinlink(dir).args(indicator).args(["--format", "csv"]));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "nationality,sex,count");
    // By hand: 6 + 5 + 5 + 1.
    for row in [
        "total,total,17",
        "ER,total,11",
        "SO,total,6",
        "total,female,11",
        "total,male,6",
        "SO,male,suppressed",
    ] {
        assert!(lines.contains(&row), "no {row} in\n{csv}");
    }
    // SO,female must be hidden too: SO's total less it would give SO,male.
    assert!(lines.contains(&"SO,female,suppressed"), "{csv}");
    for value in &written {
        assert!(
            !csv.contains(value.as_str()),
            "the output holds a record's {value}"
        );
    }

    let json: Value =
        serde_json::from_str(&stdout(kinlink(dir).args(indicator).args(["--format", "json"]))).expect("json");
    assert_eq!(json["indicator"], "children_registered");
    assert_eq!(json["disclosure"]["threshold"], 5);

    let table = stdout(kinlink(dir).args(indicator));
    assert!(
        table
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["SO", "male", "suppressed"]),
        "{table}"
    );

    let list = stdout(kinlink(dir).args(["stats", "indicators", "--format", "csv"]));
    assert!(list.contains("children_registered,,"), "{list}");
    assert!(list.contains("guardian_appointment,hours,"), "{list}");

    let detention = stdout(kinlink(dir).args(["stats", "detention", "--year", "2026", "--format", "csv"]));
    assert!(detention.starts_with("table,breakdown,count,"), "{detention}");
    assert!(detention.contains("children_detained,total,0,"), "{detention}");

    let treaty: Value = serde_json::from_str(&stdout(
        kinlink(dir).args(["stats", "treaty", "--period", "2026", "--format", "json"]),
    ))
    .expect("json");
    assert_eq!(treaty["sections"][0]["name"], "children_registered");

    let bench = stdout(kinlink(dir).args(["stats", "bench"]));
    assert!(bench.starts_with("14 indicators over 17 cases"), "{bench}");
}

#[test]
fn the_threshold_is_configured_never_below_three_and_the_purpose_is_statistics() {
    let tmp = TempDir::new().expect("temp dir");
    let dir = tmp.path();
    register(dir);
    let args = [
        "stats",
        "indicator",
        "children_registered",
        "--by",
        "nationality",
        "--format",
        "csv",
    ];
    // 6 is below 10: SO is hidden, and ER with it.
    let csv = stdout(kinlink(dir).env("KINLINK_STATS_THRESHOLD", "10").args(args));
    assert!(
        csv.contains("SO,suppressed") && csv.contains("ER,suppressed"),
        "{csv}"
    );
    assert!(csv.contains("total,17"), "{csv}");

    let output = kinlink(dir)
        .env("KINLINK_STATS_THRESHOLD", "2")
        .args(args)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("stats_threshold"), "{stderr}");

    let output = kinlink(dir)
        .args(["--purpose", "case_management"])
        .args(args)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("refused"), "{stderr}");
}
