//! The audit log through the real `kinlink` binary, on a real SQLite file and
//! a real PostgreSQL database: the record commands leave entries, `audit show`
//! lists them without personal values, and `audit verify` finds each kind of
//! tampering done with SQL and names the entry. Every person here is synthetic.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

mod common;

use common::kinlink;

/// A synthetic child.
const CASE: &str = r#"{
  "child": {
    "names": {"given": {"original": "Testchild", "latin": "Testchild"}, "family": {"original": "Synthetic"}},
    "sex": "female",
    "date_of_birth": {"value": "2014"},
    "country_of_origin": "ER"
  },
  "accompaniment": "unaccompanied"
}"#;

/// Where the log of one test lives, and how to run SQL on it as someone
/// with direct access to the database would.
enum Db {
    Sqlite,
    Postgres(PgDatabase),
}

struct Setup {
    tmp: TempDir,
    db: Db,
    key: PathBuf,
}

impl Setup {
    fn new(db: Db) -> Self {
        let tmp = TempDir::new().expect("temp dir");
        let keys = tmp.path().join("keys");
        std::fs::create_dir(&keys).expect("key directory");
        let key = keys.join("deployment-signing.key");
        kinlink_crypto::keyfile::create_signing_key_file(&key).expect("signing key");
        std::fs::write(tmp.path().join("case.json"), CASE).expect("write");
        Self { tmp, db, key }
    }

    fn kinlink(&self) -> Command {
        let mut cmd = kinlink(self.tmp.path());
        if let Db::Postgres(pg) = &self.db {
            cmd.env("KINLINK_DATABASE_URL", &pg.url);
        }
        cmd
    }

    fn create_case(&self) -> String {
        let out = self
            .kinlink()
            .args(["case", "create", "--file", "case.json"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let created: serde_json::Value = serde_json::from_slice(&out).expect("JSON");
        created["number"].as_str().expect("number").to_owned()
    }

    fn verify(&self) -> std::process::Output {
        self.kinlink()
            .args(["audit", "verify", "--signing-key"])
            .arg(&self.key)
            .output()
            .expect("runs")
    }

    /// Run SQL with the append-only triggers out of the way, as the owner
    /// of the database can.
    fn tamper(&self, sql: &str) {
        match &self.db {
            Db::Sqlite => {
                let path = self.tmp.path().join("kinlink-data").join("kinlink.sqlite");
                let sql = format!(
                    "DROP TRIGGER audit_entries_no_update; DROP TRIGGER audit_entries_no_delete; {sql}"
                );
                run_sqlite(&path, &sql);
            }
            Db::Postgres(pg) => {
                psql(
                    &pg.url,
                    &format!("ALTER TABLE audit_entries DISABLE TRIGGER USER; {sql}"),
                )
                .expect("tampers");
            }
        }
    }

    /// Entries 0-2: three cases created; 3: one read; `audit verify` signs a
    /// checkpoint at 3; 4: another read.
    fn with_log(db: Db) -> Self {
        let setup = Self::new(db);
        let numbers: Vec<String> = (0..3).map(|_| setup.create_case()).collect();
        setup
            .kinlink()
            .args(["case", "get", &numbers[0]])
            .assert()
            .success();
        let out = setup.verify();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(said.contains("the audit log verifies: 4 entries"), "{said}");
        assert!(said.contains("signed checkpoint at entry 3"), "{said}");
        setup
            .kinlink()
            .args(["case", "get", &numbers[1]])
            .assert()
            .success();
        setup
    }
}

fn run_sqlite(path: &Path, sql: &str) {
    use sqlx::{Connection, Executor};
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
            .await
            .expect("opens the file");
        conn.execute(sql).await.expect("tampers");
        conn.close().await.expect("closes");
    });
}

/// `audit verify` fails, and its message names the place.
fn assert_found(setup: &Setup, expected: &str) {
    let out = setup.verify();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the audit log has been tampered with"),
        "{stderr}"
    );
    assert!(stderr.contains(expected), "expected {expected:?} in {stderr}");
}

const COLUMNS: &str = "at, kind, actor_user, actor_agency, actor_via, actor_name, record_resource, \
     record_id, field_groups, purpose, outcome, reason, previous_hash, hash";

/// Each kind of tampering, on a fresh log each time.
fn tampering_is_found_and_located(db: impl Fn() -> Option<Db>) {
    let cases: [(&str, String, &str); 5] = [
        (
            "an edited column",
            "UPDATE audit_entries SET purpose = 'statistics' WHERE sequence = 2".to_owned(),
            "entry 2 was edited",
        ),
        (
            "a deleted entry",
            "DELETE FROM audit_entries WHERE sequence = 2".to_owned(),
            "entries 2 to 2 are missing",
        ),
        (
            "an inserted entry, later ones renumbered to make room",
            format!(
                "UPDATE audit_entries SET sequence = sequence + 100 WHERE sequence >= 2; \
                 UPDATE audit_entries SET sequence = sequence - 99 WHERE sequence >= 100; \
                 INSERT INTO audit_entries (sequence, {COLUMNS}) \
                 SELECT 2, {COLUMNS} FROM audit_entries WHERE sequence = 1"
            ),
            "entry 2 was edited",
        ),
        (
            "two entries swapped",
            "UPDATE audit_entries SET sequence = -1 WHERE sequence = 1; \
             UPDATE audit_entries SET sequence = 1 WHERE sequence = 2; \
             UPDATE audit_entries SET sequence = 2 WHERE sequence = -1"
                .to_owned(),
            "entry 1 was edited",
        ),
        (
            "the end deleted",
            "DELETE FROM audit_entries WHERE sequence >= 3".to_owned(),
            "entry 3, covered by a signed checkpoint, is missing",
        ),
    ];
    for (what, sql, expected) in cases {
        let Some(db) = db() else { return };
        let setup = Setup::with_log(db);
        setup.tamper(&sql);
        eprintln!("tampering: {what}");
        assert_found(&setup, expected);
    }
}

#[test]
fn sqlite_tampering_is_found_and_located() {
    tampering_is_found_and_located(|| Some(Db::Sqlite));
}

#[test]
fn postgres_tampering_is_found_and_located() {
    tampering_is_found_and_located(|| PgDatabase::create().map(Db::Postgres));
}

/// The record commands leave entries; `audit show` lists them with actor and
/// purpose, never the record's content; a refused purpose is recorded too.
fn commands_are_audited_and_shown(db: Db) {
    let setup = Setup::new(db);
    let number = setup.create_case();
    setup
        .kinlink()
        .args(["case", "get", &number, "--purpose", "tracing"])
        .assert()
        .success();
    setup.kinlink().args(["case", "list"]).assert().success();
    setup
        .kinlink()
        .args(["case", "history", &number])
        .assert()
        .success();
    setup
        .kinlink()
        .args(["export", "cases", "--out", "cases.csv"])
        .assert()
        .success();
    // The firewall: refused, and the refusal is in the log.
    let refused = setup
        .kinlink()
        .args(["case", "get", &number, "--purpose", "immigration_enforcement"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert!(refused.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("refused"), "{stderr}");
    // Statistics never justify reading a child's record.
    setup
        .kinlink()
        .args(["case", "list", "--purpose", "statistics"])
        .assert()
        .code(1);

    let shown = setup
        .kinlink()
        .args(["audit", "show", "--record", &number])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let shown = String::from_utf8(shown).expect("UTF-8");
    let lines: Vec<Vec<&str>> = shown.lines().skip(1).map(|l| l.split('\t').collect()).collect();
    let summary: Vec<(&str, &str, &str, &str)> = lines
        .iter()
        .map(|fields| (fields[2], fields[4], fields[5], fields[6]))
        .collect();
    assert_eq!(
        summary,
        [
            ("create", "cli:tester", "case_management", "success"),
            ("read", "cli:tester", "tracing", "success"),
            ("list", "cli:tester", "case_management", "success"),
            ("read", "cli:tester", "case_management", "success"),
            ("export", "cli:tester", "case_management", "success"),
        ],
        "{shown}"
    );
    for secret in ["Testchild", "Synthetic"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    // Refusals carry no record (they happen before any is read), but they are logged.
    let everything = setup.verify();
    assert!(everything.status.success());
    let said = String::from_utf8_lossy(&everything.stdout);
    // 5 above, 2 refusals, 1 look at the record's audit entries.
    assert!(said.contains("the audit log verifies: 8 entries"), "{said}");

    // Looking at the audit is recorded as a read of the audit log, and shown next time.
    let again = setup
        .kinlink()
        .args(["audit", "show", "--record", &number])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let again = String::from_utf8(again).expect("UTF-8");
    let last = again.lines().last().expect("a line");
    assert!(
        last.contains("\tread\taudit_log\tcli:tester\taudit\tsuccess"),
        "{again}"
    );
}

#[test]
fn sqlite_commands_are_audited_and_shown() {
    commands_are_audited_and_shown(Db::Sqlite);
}

#[test]
fn postgres_commands_are_audited_and_shown() {
    let Some(pg) = PgDatabase::create() else { return };
    commands_are_audited_and_shown(Db::Postgres(pg));
}

#[test]
fn checkpoint_signs_when_due_and_verify_needs_the_key() {
    let setup = Setup::new(Db::Sqlite);
    let checkpoint = |extra: &[&str]| {
        let out = setup
            .kinlink()
            .args(["audit", "checkpoint", "--signing-key"])
            .arg(&setup.key)
            .args(extra)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out).expect("UTF-8")
    };
    assert_eq!(checkpoint(&[]), "the audit log is empty: nothing to sign\n");
    setup.create_case();
    assert!(checkpoint(&[]).starts_with("checkpoint at entry 0 (key "));
    setup.create_case();
    assert_eq!(checkpoint(&["--every", "2"]), "no checkpoint due\n");
    setup.create_case();
    assert!(checkpoint(&["--every", "2"]).starts_with("checkpoint at entry 2 "));
    // No key file: a clear error, not a verification.
    setup
        .kinlink()
        .args(["audit", "verify", "--signing-key", "missing.key"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "cannot load the deployment signing key",
        ));
    // Another deployment's key: the checkpoints are not its signatures.
    let other = setup.tmp.path().join("keys").join("other.key");
    kinlink_crypto::keyfile::create_signing_key_file(&other).expect("key");
    let out = setup
        .kinlink()
        .args(["audit", "verify", "--signing-key"])
        .arg(&other)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the checkpoint at entry 0 is not signed by the deployment key"),
        "{stderr}"
    );
}

/// The PostgreSQL server the tests use when `KINLINK_TEST_POSTGRES_URL` is not set.
const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A fresh PostgreSQL database for one test, made and dropped with `psql`.
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
            eprintln!("skipping: no PostgreSQL for the CLI tests ({reason})");
            return None;
        }
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("kinlink_audit_test_{}_{n}", std::process::id());
        psql(&server, &format!("CREATE DATABASE {name}")).expect("create the test database");
        let url = with_database(&server, &name);
        Some(Self { server, name, url })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Err(e) = psql(
            &self.server,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        ) {
            eprintln!("could not drop the test database {}: {e}", self.name);
        }
    }
}

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
