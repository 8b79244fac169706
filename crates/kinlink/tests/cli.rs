//! The real `kinlink` binary against temporary data directories.
//! Every person in these fixtures is synthetic.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

mod common;

use common::{BIN, kinlink};

fn json(output: &[u8]) -> Value {
    serde_json::from_slice(output)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", String::from_utf8_lossy(output)))
}

fn run_json(cmd: &mut Command) -> Value {
    json(&cmd.assert().success().get_output().stdout)
}

fn stdout(cmd: &mut Command) -> String {
    String::from_utf8_lossy(&cmd.assert().success().get_output().stdout).into_owned()
}

/// A synthetic child: Arabic-script given name, Solar Hijri date of birth.
const CASE_V1: &str = r#"{
  "child": {
    "names": {"given": {"original": "أحمد", "latin": "Ahmad"}, "family": {"original": "Testzai"}},
    "sex": "male",
    "date_of_birth": {"value": "1392-05-10", "calendar": "solar_hijri"},
    "country_of_origin": "AF",
    "languages": ["ps", "fa"]
  },
  "accompaniment": "unaccompanied"
}"#;

const CASE_V2: &str = r#"{
  "child": {
    "names": {"given": {"original": "أحمد", "latin": "Ahmad"}, "family": {"original": "Testzai"}},
    "sex": "male",
    "date_of_birth": {"value": "1392-05-10", "calendar": "solar_hijri"},
    "country_of_origin": "AF",
    "languages": ["ps", "fa"]
  },
  "accompaniment": "unaccompanied",
  "tracing_status": "in_progress"
}"#;

const REQUEST_V1: &str = r#"{
  "inquirer": {"names": {"full": {"original": "گل بی بی", "latin": "Gul Bibi"}}, "relation": "mother"},
  "sought_children": [
    {"names": {"given": {"original": "Ahmad"}}, "date_of_birth": {"value": "2013"}, "country_of_origin": "AF"}
  ]
}"#;

const REQUEST_V2: &str = r#"{
  "inquirer": {"names": {"full": {"original": "گل بی بی", "latin": "Gul Bibi"}}, "relation": "mother"},
  "sought_children": [
    {"names": {"given": {"original": "Ahmad"}}, "date_of_birth": {"value": "2013"}, "country_of_origin": "AF"}
  ],
  "status": "in_progress"
}"#;

/// `kinlink` on the given database (`None`: the data directory's SQLite file).
fn kinlink_on(dir: &Path, database_url: Option<&str>) -> Command {
    let mut cmd = kinlink(dir);
    if let Some(url) = database_url {
        cmd.env("KINLINK_DATABASE_URL", url);
    }
    cmd
}

/// The whole life of a record through the CLI, for either kind.
fn record_lifecycle(
    database_url: Option<&str>,
    noun: &str,
    which: &str,
    v1: &str,
    v2: &str,
    number_prefix: &str,
    exported: &str,
) {
    let tmp = TempDir::new().expect("temp dir");
    let dir = tmp.path();
    // Every command below runs on that database.
    let kinlink = |dir: &Path| kinlink_on(dir, database_url);
    std::fs::write(dir.join("v1.json"), v1).expect("write");
    std::fs::write(dir.join("v2.json"), v2).expect("write");

    let created = run_json(kinlink(dir).args([noun, "create", "--file", "v1.json"]));
    let id = created["id"].as_str().expect("id").to_owned();
    let number = created["number"].as_str().expect("number").to_owned();
    assert!(number.starts_with(number_prefix), "{number}");
    assert_eq!(created["version"], 1);
    assert_eq!(created["created_by"], "cli:tester");

    let by_id = run_json(kinlink(dir).args([noun, "get", &id]));
    let by_number = run_json(kinlink(dir).args([noun, "get", &number]));
    assert_eq!(by_id, by_number);
    assert_eq!(by_id["record"], created["record"]);

    let updated =
        run_json(kinlink(dir).args([noun, "update", &number, "--version", "1", "--file", "v2.json"]));
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["id"], created["id"]);

    kinlink(dir)
        .args([noun, "update", &id, "--version", "1", "--file", "v1.json"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("conflict"))
        .stderr(predicate::str::contains("version 2, not 1"));

    let list = run_json(kinlink(dir).args([noun, "list"]));
    let list = list.as_array().expect("array");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], created["id"]);
    assert_eq!(list[0]["version"], 2);
    let after = run_json(kinlink(dir).args([noun, "list", "--after", &id]));
    assert_eq!(after, Value::Array(vec![]));

    let history = run_json(kinlink(dir).args([noun, "history", &id]));
    let versions: Vec<i64> = history
        .as_array()
        .expect("array")
        .iter()
        .map(|r| r["version"].as_i64().expect("version"))
        .collect();
    assert_eq!(versions, [1, 2]);
    assert_eq!(history[0]["changed_by"], "cli:tester");

    let csv = stdout(kinlink(dir).args(["export", which]));
    assert!(csv.starts_with("id,given_name,"), "{csv}");
    assert!(csv.contains(&number), "{csv}");
    assert!(csv.contains(exported), "{csv}");

    let jsonl = stdout(kinlink(dir).args(["export", which, "--format", "jsonl"]));
    assert_eq!(jsonl.lines().count(), 1);
    assert_eq!(json(jsonl.as_bytes())["id"], created["id"]);
}

#[test]
fn case_create_get_update_conflict_list_history_export() {
    record_lifecycle(
        None,
        "case",
        "cases",
        CASE_V1,
        CASE_V2,
        "KL-",
        "أحمد,Testzai,,M,1392-05-10,solar_hijri",
    );
}

#[test]
fn request_create_get_update_conflict_list_history_export() {
    record_lifecycle(
        None,
        "request",
        "requests",
        REQUEST_V1,
        REQUEST_V2,
        "TR-",
        "Ahmad,,,,2013,,,,AF",
    );
}

#[test]
fn a_solar_hijri_date_gets_its_gregorian_interval() {
    let tmp = TempDir::new().expect("temp dir");
    let created = run_json(
        kinlink(tmp.path())
            .args(["case", "create", "--file", "-"])
            .write_stdin(CASE_V1),
    );
    let dob = &created["record"]["child"]["date_of_birth"];
    assert_eq!(dob["calendar"], "solar_hijri");
    assert_eq!(dob["value"], "1392-05-10");
    assert_eq!(dob["gregorian"]["earliest"], "2013-08-01");
}

#[test]
fn invalid_records_list_every_field_without_values_and_save_nothing() {
    let tmp = TempDir::new().expect("temp dir");
    let dir = tmp.path();
    let bad = r#"{"child": {"names": {"given": {"original": "Synthia", "latin": "Синтия"}},
                  "date_of_birth": {"value": "2013-02-30"}, "country_of_origin": "XX"}}"#;
    kinlink(dir)
        .args(["case", "create", "--file", "-"])
        .write_stdin(bad)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("child.names.given.latin: "))
        .stderr(predicate::str::contains("child.date_of_birth: "))
        .stderr(predicate::str::contains("child.country_of_origin: "))
        .stderr(predicate::str::contains("Synthia").not())
        .stderr(predicate::str::contains("Синтия").not());

    // JSON that does not fit the type: the field is named, the value is not.
    kinlink(dir)
        .args(["case", "create", "--file", "-"])
        .write_stdin(r#"{"child": {"sex": "Synthia"}}"#)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("child.sex: unknown variant"))
        .stderr(predicate::str::contains("Synthia").not());

    assert_eq!(
        run_json(kinlink(dir).args(["case", "list"])),
        Value::Array(vec![])
    );
}

#[test]
fn unknown_records_and_keys_fail_cleanly() {
    let tmp = TempDir::new().expect("temp dir");
    let dir = tmp.path();
    kinlink(dir)
        .args(["case", "get", "KL-2026-000404"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "no case with id or number KL-2026-000404",
        ));
    kinlink(dir)
        .args(["case", "get", "Synthia Testova"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("expected a record id"))
        .stderr(predicate::str::contains("Synthia").not());
    kinlink(dir)
        .args(["case", "get", "TR-2026-000001"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("tracing request"));
}

const CSV_HEADER: &str =
    "id,given_name,family_name,sex,birth_date,birth_calendar,country_of_origin,mother_name\n";
const CSV_GOOD_ROWS: &str = "\
S-001,Synthia,Testova,F,2014-03-01,,UA,Olena Testova
S-002,سمير,اختبار,M,1392-05-10,solar_hijri,AF,
S-003,Fiktiv,Beispiel,M,2012,,SY,Muster Beispiel
";
/// Row 5: 30 February does not exist.
const CSV_BAD_DATE: &str = "S-004,Placeholder,Person,F,2013-02-30,,SD,\n";
/// Row 6: no such country.
const CSV_BAD_COUNTRY: &str = "S-005,Imaginary,Child,M,2011,,XX,\n";

fn write_csv(dir: &Path, name: &str, rows: &[&str]) {
    let mut text = CSV_HEADER.to_owned();
    for r in rows {
        text.push_str(r);
    }
    std::fs::write(dir.join(name), text).expect("write csv");
}

#[test]
fn an_invalid_row_stops_the_whole_import_and_is_named_by_row_and_column() {
    let tmp = TempDir::new().expect("temp dir");
    let dir = tmp.path();
    write_csv(dir, "bad.csv", &[CSV_GOOD_ROWS, CSV_BAD_DATE, CSV_BAD_COUNTRY]);
    kinlink(dir)
        .args(["import", "cases", "bad.csv"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("row 5, column birth_date: "))
        .stderr(predicate::str::contains("row 6, column country_of_origin: "))
        .stderr(predicate::str::contains("nothing was imported"))
        .stderr(predicate::str::contains("Placeholder").not());

    assert_eq!(
        run_json(kinlink(dir).args(["case", "list"])),
        Value::Array(vec![])
    );
    let csv = stdout(kinlink(dir).args(["export", "cases"]));
    assert_eq!(csv.lines().count(), 1, "only the header: {csv}");
}

#[test]
fn import_then_reimport_does_not_duplicate() {
    import_export_reimport(None);
}

fn import_export_reimport(database_url: Option<&str>) {
    let tmp = TempDir::new().expect("temp dir");
    let dir = tmp.path();
    // Every command below runs on that database.
    let kinlink = |dir: &Path| kinlink_on(dir, database_url);
    write_csv(dir, "good.csv", &[CSV_GOOD_ROWS]);
    kinlink(dir)
        .args(["import", "cases", "good.csv"])
        .assert()
        .success()
        .stdout(predicate::str::contains("3 created, 0 updated, 0 unchanged"));
    kinlink(dir)
        .args(["import", "cases", "good.csv"])
        .assert()
        .success()
        .stdout(predicate::str::contains("0 created, 0 updated, 3 unchanged"));

    let list = run_json(kinlink(dir).args(["case", "list"]));
    let ids: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|r| r["external_id"].as_str().expect("external id"))
        .collect();
    assert_eq!(ids, ["S-001", "S-002", "S-003"]);

    // An edited row is updated in place: a new version, not a new record.
    let edited = CSV_GOOD_ROWS.replace("S-003,Fiktiv,Beispiel,M,2012", "S-003,Fiktiv,Beispiel,M,2012-06");
    write_csv(dir, "edited.csv", &[&edited]);
    kinlink(dir)
        .args(["import", "cases", "edited.csv"])
        .assert()
        .success()
        .stdout(predicate::str::contains("0 created, 1 updated, 2 unchanged"));

    // Exported rows keep the file's ids, so the export re-imports as unchanged.
    let export = dir.join("export.csv");
    kinlink(dir)
        .args(["export", "cases", "--out"])
        .arg(&export)
        .assert()
        .success()
        .stderr(predicate::str::contains("exported 3 cases"));
    let text = std::fs::read_to_string(&export).expect("export file");
    assert!(
        text.contains("S-002,سمير,اختبار,,M,1392-05-10,solar_hijri"),
        "{text}"
    );
    kinlink(dir)
        .args(["import", "cases"])
        .arg(&export)
        .assert()
        .success()
        .stdout(predicate::str::contains("0 created, 0 updated, 3 unchanged"));
}

#[test]
fn skip_invalid_imports_the_valid_rows_and_lists_the_others() {
    let tmp = TempDir::new().expect("temp dir");
    let dir = tmp.path();
    write_csv(dir, "mixed.csv", &[CSV_GOOD_ROWS, CSV_BAD_DATE, CSV_BAD_COUNTRY]);
    kinlink(dir)
        .args(["import", "cases", "mixed.csv", "--skip-invalid"])
        .assert()
        .success()
        .stderr(predicate::str::contains("row 5, column birth_date: "))
        .stderr(predicate::str::contains("skipping 2 invalid rows: 5, 6"))
        .stdout(predicate::str::contains("3 created"))
        .stdout(predicate::str::contains("2 invalid rows skipped"));
    let list = run_json(kinlink(dir).args(["case", "list"]));
    assert_eq!(list.as_array().expect("array").len(), 3);
}

#[test]
fn a_file_with_an_unknown_column_is_refused() {
    let tmp = TempDir::new().expect("temp dir");
    let dir = tmp.path();
    std::fs::write(dir.join("typo.csv"), "id,givne_name\nS-1,Synthia\n").expect("write");
    kinlink(dir)
        .args(["import", "cases", "typo.csv"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("unknown column"));
}

#[test]
fn demo_data_writes_four_files_that_import() {
    let tmp = TempDir::new().expect("temp dir");
    let dir = tmp.path();
    kinlink(dir)
        .args([
            "demo-data",
            "--children",
            "50",
            "--out",
            "demo",
            "--requests",
            "20",
            "--seed",
            "7",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("50 cases"));
    for file in ["cases.csv", "requests.csv", "truth.csv", "meta.csv"] {
        assert!(dir.join("demo").join(file).is_file(), "{file}");
    }
    kinlink(dir)
        .args(["import", "cases", "demo/cases.csv"])
        .assert()
        .success()
        .stdout(predicate::str::contains("50 created"));
    kinlink(dir)
        .args(["import", "requests", "demo/requests.csv"])
        .assert()
        .success()
        .stdout(predicate::str::contains("20 created"));
}

#[test]
fn configuration_precedence_is_file_then_environment_then_flags() {
    let tmp = TempDir::new().expect("temp dir");
    let dir = tmp.path();
    let defaults = stdout(kinlink(dir).arg("config"));
    assert!(defaults.contains(r#"data_dir = "./kinlink-data""#), "{defaults}");
    assert!(defaults.contains(r#"listen = "127.0.0.1:8080""#), "{defaults}");

    std::fs::write(
        dir.join("kinlink.toml"),
        "data_dir = \"from-file\"\nlisten = \"127.0.0.1:1111\"\n",
    )
    .expect("write");
    let file = stdout(kinlink(dir).arg("config"));
    assert!(file.contains(r#"data_dir = "from-file""#), "{file}");
    assert!(file.contains(r#"listen = "127.0.0.1:1111""#), "{file}");

    let env = stdout(
        kinlink(dir)
            .arg("config")
            .env("KINLINK_DATA_DIR", "from-env")
            .env("KINLINK_LISTEN", "127.0.0.1:2222"),
    );
    assert!(env.contains(r#"data_dir = "from-env""#), "{env}");
    assert!(env.contains(r#"listen = "127.0.0.1:2222""#), "{env}");

    let flag = stdout(
        kinlink(dir)
            .args(["config", "--data-dir", "from-flag"])
            .env("KINLINK_DATA_DIR", "from-env"),
    );
    assert!(flag.contains(r#"data_dir = "from-flag""#), "{flag}");
    assert!(flag.contains(r#"listen = "127.0.0.1:1111""#), "{flag}");

    // Values that look like numbers are still text.
    let numeric = stdout(kinlink(dir).arg("config").env("KINLINK_DATA_DIR", "2026"));
    assert!(numeric.contains(r#"data_dir = "2026""#), "{numeric}");

    // An explicit file, and a misspelt key in it.
    std::fs::write(dir.join("other.toml"), "data_dir = \"from-other\"\n").expect("write");
    let other = stdout(kinlink(dir).args(["--config", "other.toml", "config"]));
    assert!(other.contains(r#"data_dir = "from-other""#), "{other}");
    std::fs::write(dir.join("typo.toml"), "data-dir = \"x\"\n").expect("write");
    kinlink(dir)
        .args(["--config", "typo.toml", "config"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("data-dir"));
    kinlink(dir)
        .args(["--config", "missing.toml", "config"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("does not exist"));
}

#[test]
fn the_data_dir_flag_decides_where_records_go() {
    let tmp = TempDir::new().expect("temp dir");
    let dir = tmp.path();
    kinlink(dir)
        .args(["--data-dir", "elsewhere", "case", "create", "--file", "-"])
        .write_stdin(CASE_V1)
        .assert()
        .success();
    assert!(dir.join("elsewhere").join("kinlink.sqlite").is_file());
    assert_eq!(
        run_json(kinlink(dir).args(["case", "list"])),
        Value::Array(vec![])
    );
    let list = run_json(
        kinlink(dir)
            .args(["case", "list"])
            .env("KINLINK_DATABASE_URL", "sqlite://elsewhere/kinlink.sqlite"),
    );
    assert_eq!(list.as_array().expect("array").len(), 1);
}

#[test]
fn database_errors_do_not_echo_the_password() {
    let tmp = TempDir::new().expect("temp dir");
    // Port 1: nothing listens there, so the connection is refused at once.
    for url in [
        "postgres://kl:s3cret@127.0.0.1:1/kinlink",
        "postgresql://kl@127.0.0.1:1/kinlink?password=s3cret",
        "postgres://kl:s3cret@127.0.0.1:notaport/kinlink",
    ] {
        kinlink(tmp.path())
            .args(["--database-url", url, "case", "list"])
            .assert()
            .code(1)
            .stderr(predicate::str::contains("cannot open the PostgreSQL database"))
            .stderr(predicate::str::contains("s3cret").not());
    }
    kinlink(tmp.path())
        .args([
            "--database-url",
            "mysql://kl:s3cret@db.example/kinlink",
            "migrate",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("unsupported database URL"))
        .stderr(predicate::str::contains("s3cret").not());
    let config = stdout(kinlink(tmp.path()).args([
        "--database-url",
        "postgres://kl:s3cret@db.example/kinlink",
        "config",
    ]));
    assert!(
        config.contains("postgres://kl:****@db.example/kinlink"),
        "{config}"
    );
}

#[test]
fn migrate_brings_the_sqlite_database_up_to_date() {
    let tmp = TempDir::new().expect("temp dir");
    for _ in 0..2 {
        kinlink(tmp.path())
            .arg("migrate")
            .assert()
            .success()
            .stdout("SQLite database is up to date (schema version 6)\n");
    }
    assert!(tmp.path().join("kinlink-data").join("kinlink.sqlite").is_file());
}

/// The PostgreSQL server the tests use when `KINLINK_TEST_POSTGRES_URL` is not set.
const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A fresh PostgreSQL database for one test, made and dropped with `psql`
/// (on the server at `KINLINK_TEST_POSTGRES_URL`).
struct PgDatabase {
    server: String,
    name: String,
    url: String,
}

impl PgDatabase {
    /// `None`, after saying so, if no server answers; with `CI=true` the test fails instead.
    fn create() -> Option<Self> {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let server =
            std::env::var("KINLINK_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES.to_owned());
        if let Err(reason) = psql(&server, "SELECT 1") {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("no PostgreSQL for the CLI tests, and CI=true: they must run in CI ({reason})");
            }
            eprintln!(
                "skipping: no PostgreSQL for the CLI tests ({reason}); set KINLINK_TEST_POSTGRES_URL to run them"
            );
            return None;
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("kinlink_test_{}_{n}_{nanos}", std::process::id());
        psql(&server, &format!("CREATE DATABASE {name}")).expect("create the test database");
        let url = with_database(&server, &name);
        Some(Self { server, name, url })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // FORCE: a server started by the test may still be connected.
        if let Err(e) = psql(
            &self.server,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        ) {
            eprintln!("could not drop the test database {}: {e}", self.name);
        }
    }
}

/// Run one SQL statement with psql; the error says why it did not run.
fn psql(server: &str, sql: &str) -> Result<(), String> {
    let output = std::process::Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", server, "-c", sql])
        .env("PGCONNECT_TIMEOUT", "5")
        .output()
        .map_err(|e| format!("cannot run psql: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
    }
}

/// The server's URL with its database replaced by `name`.
fn with_database(server: &str, name: &str) -> String {
    let (base, query) = server
        .split_once('?')
        .map_or((server, None), |(b, q)| (b, Some(q)));
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

#[test]
fn postgres_case_create_get_update_conflict_list_history_export() {
    let Some(db) = PgDatabase::create() else { return };
    record_lifecycle(
        Some(&db.url),
        "case",
        "cases",
        CASE_V1,
        CASE_V2,
        "KL-",
        "أحمد,Testzai,,M,1392-05-10,solar_hijri",
    );
}

#[test]
fn postgres_request_create_get_update_conflict_list_history_export() {
    let Some(db) = PgDatabase::create() else { return };
    record_lifecycle(
        Some(&db.url),
        "request",
        "requests",
        REQUEST_V1,
        REQUEST_V2,
        "TR-",
        "Ahmad,,,,2013,,,,AF",
    );
}

#[test]
fn postgres_import_export_reimport() {
    let Some(db) = PgDatabase::create() else { return };
    import_export_reimport(Some(&db.url));
}

#[test]
fn postgres_is_chosen_by_flag_environment_or_configuration_file_and_migrates() {
    let Some(db) = PgDatabase::create() else { return };
    let tmp = TempDir::new().expect("temp dir");
    let dir = tmp.path();
    let up_to_date = "PostgreSQL database is up to date (schema version 6)\n";
    kinlink(dir)
        .args(["--database-url", &db.url, "migrate"])
        .assert()
        .success()
        .stdout(up_to_date);
    std::fs::write(
        dir.join("kinlink.toml"),
        format!("database_url = \"{}\"\n", db.url),
    )
    .expect("write");
    kinlink(dir).arg("migrate").assert().success().stdout(up_to_date);
    kinlink(dir)
        .args(["case", "create", "--file", "-"])
        .write_stdin(CASE_V1)
        .assert()
        .success();
    let list = run_json(kinlink_on(dir, Some(&db.url)).args(["case", "list"]));
    assert_eq!(list.as_array().expect("array").len(), 1);
    // Nothing went to the data directory's SQLite file.
    assert!(!dir.join("kinlink-data").exists());
}

/// Kills the server if a test fails before stopping it.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start `kinlink serve` on a free port; returns it and its address.
fn serve(dir: &Path, extra: &[&str]) -> (Server, String) {
    let child = std::process::Command::new(BIN)
        .current_dir(dir)
        .env_remove("KINLINK_LISTEN")
        .env_remove("KINLINK_DATA_DIR")
        .env_remove("KINLINK_DATABASE_URL")
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start kinlink serve");
    let mut server = Server(child);
    let out = server.0.stdout.take().expect("stdout");
    // `--demo` prints the demo users' passwords before the listening line.
    let mut reader = BufReader::new(out);
    let mut before = String::new();
    loop {
        let mut line = String::new();
        let read = reader.read_line(&mut line).expect("read a line");
        assert!(
            read > 0,
            "kinlink serve ended before listening; it printed: {before}"
        );
        if let Some(address) = line.trim().strip_prefix("kinlink listening on http://") {
            return (server, address.to_owned());
        }
        before.push_str(&line);
    }
}

/// `kinlink init` on `dir` with a known administrator password.
fn init(dir: &Path) {
    kinlink(dir)
        .args(["init", "--password-stdin"])
        .write_stdin(format!("{ADMIN_PASSWORD}\n"))
        .assert()
        .success();
}

const ADMIN_PASSWORD: &str = "seven lanterns over quiet harbours";

/// A request with headers; the whole response.
fn request(address: &str, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> String {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    write!(stream, "{head}{}", body.unwrap_or_default()).expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    response
}

fn get(address: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    response
}

#[test]
fn serve_listens_answers_healthz_and_stops() {
    let tmp = TempDir::new().expect("temp dir");
    init(tmp.path());
    let (mut server, address) = serve(tmp.path(), &[]);
    let response = get(&address, "/healthz");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let _ = server.0.kill();
    let _ = server.0.wait();
}

#[cfg(unix)]
#[test]
fn serve_demo_loads_data_once_and_stops_gracefully_on_sigterm() {
    let tmp = TempDir::new().expect("temp dir");
    let dir = tmp.path();
    let (mut server, address) = serve(dir, &["--demo"]);
    assert!(get(&address, "/healthz").starts_with("HTTP/1.1 200"));
    let status = std::process::Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(status.success());
    let exit = server.0.wait().expect("wait");
    assert!(exit.success(), "graceful shutdown exits 0: {exit:?}");

    let count = |noun: &str| {
        let mut after: Option<String> = None;
        let mut n = 0;
        loop {
            let mut cmd = kinlink(dir);
            cmd.args([noun, "list", "--limit", "10000"]);
            if let Some(a) = &after {
                cmd.args(["--after", a]);
            }
            let page = run_json(&mut cmd);
            let page = page.as_array().expect("array").clone();
            n += page.len();
            match page.last() {
                Some(last) if page.len() == 10_000 => after = last["id"].as_str().map(str::to_owned),
                _ => return n,
            }
        }
    };
    let cases = count("case");
    let requests = count("request");
    assert!(cases > 150, "{cases} demo cases");
    assert!(requests > 100, "{requests} demo requests");

    // A second start with --demo adds nothing: the database has cases.
    let (mut again, address) = serve(dir, &["--demo"]);
    assert!(get(&address, "/healthz").starts_with("HTTP/1.1 200"));
    let _ = again.0.kill();
    let _ = again.0.wait();
    assert_eq!(count("case"), cases);
}

#[test]
fn serve_refuses_to_start_without_keys_and_init_refuses_to_run_twice() {
    let tmp = TempDir::new().expect("temp dir");
    let dir = tmp.path();
    kinlink(dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("run `kinlink init` first"));
    // The generated password is shown once, with the administrator's name.
    let out = stdout(kinlink(dir).arg("init"));
    assert!(out.contains("administrator: admin"), "{out}");
    let password = out
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("a password line");
    assert!(password.len() > 20, "{out}");
    for key in ["master.key", "signing-ed25519.key", "encryption-x25519.key"] {
        let path = dir.join("kinlink-data/keys").join(key);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("key file").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{key}");
        }
        assert!(path.is_file(), "{key}");
    }
    let master = std::fs::read(dir.join("kinlink-data/keys/master.key")).expect("read");
    kinlink(dir)
        .arg("init")
        .assert()
        .failure()
        .stderr(predicates::str::contains("already"));
    assert_eq!(
        std::fs::read(dir.join("kinlink-data/keys/master.key")).expect("read"),
        master,
        "the key is never overwritten"
    );
    // A weak password from stdin is refused, and nothing is created.
    let other = TempDir::new().expect("temp dir");
    kinlink(other.path())
        .args(["init", "--password-stdin"])
        .write_stdin("password\n")
        .assert()
        .failure()
        .stderr(predicates::str::contains("refused"));
    assert!(!other.path().join("kinlink-data/keys/master.key").exists());
}

#[test]
fn users_agencies_and_tokens_are_managed_from_the_command_line_and_a_token_reaches_the_api() {
    let tmp = TempDir::new().expect("temp dir");
    let dir = tmp.path();
    init(dir);
    kinlink(dir)
        .args([
            "agency",
            "add",
            "Border Office",
            "--type",
            "immigration_authority",
        ])
        .assert()
        .success();
    let agencies = stdout(kinlink(dir).args(["agency", "list"]));
    assert!(
        agencies.contains("Border Office\timmigration_authority\tyes"),
        "{agencies}"
    );
    assert!(
        agencies.contains("Child Protection Authority\tchild_protection_authority\tno"),
        "{agencies}"
    );
    kinlink(dir)
        .args(["agency", "add", "Border Office", "--type", "ngo"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("already exists"));

    let added = stdout(kinlink(dir).args([
        "user",
        "add",
        "--username",
        "Amina",
        "--agency",
        "Child Protection Authority",
        "--team",
        "Reception",
        "--role",
        "supervisor",
    ]));
    assert!(added.contains("user: amina"), "{added}");
    assert!(added.contains("password: "), "{added}");
    kinlink(dir)
        .args([
            "user",
            "add",
            "--username",
            "officer",
            "--agency",
            "Border Office",
            "--role",
            "caseworker",
        ])
        .assert()
        .success();
    kinlink(dir)
        .args([
            "user",
            "add",
            "--username",
            "x",
            "--agency",
            "Nowhere",
            "--role",
            "caseworker",
        ])
        .assert()
        .failure()
        .stderr(predicates::str::contains("no agency"));
    kinlink(dir)
        .args([
            "user",
            "add",
            "--username",
            "y",
            "--agency",
            "Border Office",
            "--role",
            "wizard",
        ])
        .assert()
        .failure()
        .stderr(predicates::str::contains("unknown role"));

    let token = stdout(kinlink(dir).args([
        "token",
        "create",
        "--user",
        "amina",
        "--scope",
        "child_case:create",
        "--scope",
        "child_case:read",
        "--scope",
        "child_case:list",
    ]));
    let token = token.split_whitespace().next().expect("token").to_owned();
    assert!(token.starts_with("klt_"), "{token}");
    let officer_token = stdout(kinlink(dir).args([
        "token",
        "create",
        "--user",
        "officer",
        "--scope",
        "child_case:list",
    ]));
    let officer_token = officer_token.split_whitespace().next().expect("token").to_owned();
    let tokens = stdout(kinlink(dir).args(["token", "list"]));
    assert!(
        tokens.contains("amina\tapi\tchild_case:create,child_case:read,child_case:list\tactive"),
        "{tokens}"
    );
    assert!(!tokens.contains(&token), "a token's secret is never listed");

    let (mut server, address) = serve(dir, &[]);
    let bearer = format!("Bearer {token}");
    let auth = [
        ("Authorization", bearer.as_str()),
        ("Kinlink-Purpose", "case_management"),
    ];
    let created = request(&address, "POST", "/api/v1/cases", &auth, Some(CASE_V1));
    assert!(created.starts_with("HTTP/1.1 201"), "{created}");
    let listed = request(&address, "GET", "/api/v1/cases", &auth, None);
    assert!(
        listed.starts_with("HTTP/1.1 200") && listed.contains("Testzai"),
        "{listed}"
    );
    // Without a token: 401 and nothing else; a scope the token lacks: 403.
    let anonymous = request(
        &address,
        "GET",
        "/api/v1/cases",
        &[("Kinlink-Purpose", "case_management")],
        None,
    );
    assert!(
        anonymous.starts_with("HTTP/1.1 401") && !anonymous.contains("Testzai"),
        "{anonymous}"
    );
    let export = request(&address, "GET", "/api/v1/cases/export", &auth, None);
    assert!(
        export.starts_with("HTTP/1.1 403") && export.contains("token_scope"),
        "{export}"
    );
    // The immigration authority's officer gets nothing, whatever the token says.
    let officer = format!("Bearer {officer_token}");
    let refused = request(
        &address,
        "GET",
        "/api/v1/cases",
        &[
            ("Authorization", officer.as_str()),
            ("Kinlink-Purpose", "case_management"),
        ],
        None,
    );
    assert!(
        refused.starts_with("HTTP/1.1 403") && refused.contains("firewall"),
        "{refused}"
    );
    assert!(!refused.contains("Testzai"), "{refused}");
    // Signing in with the administrator's password: a cookie and a CSRF token.
    let body = format!(r#"{{"username": "admin", "password": "{ADMIN_PASSWORD}"}}"#);
    let signed_in = request(&address, "POST", "/api/v1/session", &[], Some(&body));
    assert!(signed_in.starts_with("HTTP/1.1 201"), "{signed_in}");
    assert!(
        signed_in.contains("kinlink_session=") && signed_in.contains("HttpOnly"),
        "{signed_in}"
    );
    assert!(signed_in.contains("csrf_token"), "{signed_in}");

    // Revoked and disabled: refused at once.
    let prefix = token.split('_').nth(1).expect("prefix").to_owned();
    kinlink(dir).args(["token", "revoke", &prefix]).assert().success();
    let revoked = request(&address, "GET", "/api/v1/cases", &auth, None);
    assert!(revoked.starts_with("HTTP/1.1 401"), "{revoked}");
    kinlink(dir).args(["token", "revoke", &prefix]).assert().failure();
    kinlink(dir)
        .args(["user", "disable", "officer"])
        .assert()
        .success();
    let disabled = request(
        &address,
        "GET",
        "/api/v1/cases",
        &[
            ("Authorization", officer.as_str()),
            ("Kinlink-Purpose", "case_management"),
        ],
        None,
    );
    assert!(disabled.starts_with("HTTP/1.1 401"), "{disabled}");
    let _ = server.0.kill();
    let _ = server.0.wait();

    let users = stdout(kinlink(dir).args(["user", "list"]));
    assert!(
        users.contains("amina\tChild Protection Authority\tsupervisor\tno\tno"),
        "{users}"
    );
    assert!(
        users.contains("officer\tBorder Office\tcaseworker\tno\tyes"),
        "{users}"
    );
    kinlink(dir)
        .args([
            "user",
            "roles",
            "amina",
            "--role",
            "caseworker",
            "--role",
            "guardian",
        ])
        .assert()
        .success();
    let reset = stdout(kinlink(dir).args(["user", "reset-password", "amina"]));
    assert!(reset.contains("password: "), "{reset}");
    let users = stdout(kinlink(dir).args(["user", "list"]));
    assert!(
        users.contains("amina\tChild Protection Authority\tcaseworker,guardian"),
        "{users}"
    );
}
