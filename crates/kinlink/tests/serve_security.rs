//! `kinlink serve` as deployed: built-in TLS with a certificate made here
//! (an HTTPS client that trusts only it; plain HTTP refused), clear errors
//! for bad TLS files, audit checkpoints signed on a timer and at shutdown,
//! and the CLI's account administration in the audit log. Real processes,
//! a real SQLite database; every person here is synthetic.

#[allow(dead_code)] // the deployment tests use the rest
mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use kinlink_store::{SqliteStore, Store};
use support::{init, kinlink, run, wait_until};
use tempfile::TempDir;

/// `kinlink serve` on a free port with `extra` flags; the child and the
/// first line it printed.
fn serve(dir: &Path, extra: &[&str]) -> (Child, String) {
    let mut child = kinlink(dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start kinlink serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read the first line");
    (child, line.trim().to_owned())
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// A self-signed certificate for localhost and its key, as PEM files in `dir`.
fn certificate(dir: &Path, name: &str) -> (String, String, String) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .expect("certificate");
    let cert = made.cert.pem();
    let cert_path = dir.join(format!("{name}.crt"));
    let key_path = dir.join(format!("{name}.key"));
    std::fs::write(&cert_path, &cert).expect("write");
    std::fs::write(&key_path, made.signing_key.serialize_pem()).expect("write");
    (
        cert,
        cert_path.to_str().expect("utf-8").to_owned(),
        key_path.to_str().expect("utf-8").to_owned(),
    )
}

/// (entries in the audit log, sequence numbers of its signed checkpoints)
fn audit_state(dir: &Path) -> (u64, Vec<u64>) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let store: Arc<dyn Store> = Arc::new(
            SqliteStore::open(&dir.join("kinlink-data"))
                .await
                .expect("open the database"),
        );
        let len = store.audit_len().await.expect("reads");
        let checkpoints = store.audit_checkpoints().await.expect("reads");
        (len, checkpoints.iter().map(|c| c.checkpoint.sequence).collect())
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_serves_https_with_the_given_certificate_and_refuses_plain_http() {
    let tmp = TempDir::new().expect("temp dir");
    let dir = tmp.path();
    let token = init(dir, &[]);
    let (cert, cert_path, key_path) = certificate(dir, "server");
    let (child, line) = serve(dir, &["--tls-cert", &cert_path, "--tls-key", &key_path]);
    let Some(address) = line.strip_prefix("kinlink listening on https://") else {
        stop(child);
        panic!("kinlink serve did not start with TLS: {line:?}");
    };
    let port = address.rsplit(':').next().expect("port").to_owned();
    let trusting = reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.as_bytes()).expect("certificate"))
        .build()
        .expect("client");
    let health = trusting
        .get(format!("https://localhost:{port}/healthz"))
        .send()
        .await
        .expect("an HTTPS request trusting the certificate");
    assert_eq!(health.status(), reqwest::StatusCode::OK);
    assert!(
        health.headers().contains_key("strict-transport-security"),
        "HSTS with TLS: {:?}",
        health.headers()
    );
    // The API itself, with a token, over TLS.
    let session = trusting
        .get(format!("https://localhost:{port}/api/v1/session"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(session.status(), reqwest::StatusCode::OK);
    // Plain HTTP to the TLS port gets no answer.
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .timeout(Duration::from_secs(10))
        .send()
        .await;
    assert!(
        plain.as_ref().map_or(true, |r| !r.status().is_success()),
        "{plain:?}"
    );
    // A client that does not trust the certificate refuses the server.
    let (other, _, _) = certificate(dir, "other");
    let distrusting = reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(other.as_bytes()).expect("certificate"))
        .build()
        .expect("client");
    assert!(
        distrusting
            .get(format!("https://localhost:{port}/healthz"))
            .send()
            .await
            .is_err()
    );
    stop(child);

    // Without TLS: no HSTS.
    let (child, line) = serve(dir, &[]);
    let address = line
        .strip_prefix("kinlink listening on http://")
        .unwrap_or_else(|| panic!("{line}"))
        .to_owned();
    let health = reqwest::get(format!("http://{address}/healthz"))
        .await
        .expect("request");
    assert_eq!(health.status(), reqwest::StatusCode::OK);
    assert!(!health.headers().contains_key("strict-transport-security"));
    stop(child);
}

#[test]
fn unreadable_or_mismatched_tls_files_are_refused_saying_which() {
    let tmp = TempDir::new().expect("temp dir");
    let dir = tmp.path();
    init(dir, &[]);
    let (_, cert, key) = certificate(dir, "server");
    let (_, _, other_key) = certificate(dir, "other");
    std::fs::write(dir.join("garbage.crt"), "not a certificate").expect("write");
    let refused = |args: &[&str], says: &str| {
        let output = kinlink(dir)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .output()
            .expect("run");
        assert!(!output.status.success(), "{args:?} started");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(!stderr.contains("PRIVATE KEY"), "{stderr}");
    };
    refused(
        &["--tls-cert", "missing.crt", "--tls-key", &key],
        "cannot read the TLS certificate file missing.crt",
    );
    refused(
        &["--tls-cert", &cert, "--tls-key", "missing.key"],
        "cannot read the TLS key file missing.key",
    );
    refused(
        &["--tls-cert", "garbage.crt", "--tls-key", &key],
        "holds no PEM certificate",
    );
    refused(
        &["--tls-cert", &cert, "--tls-key", &cert],
        "holds no PEM private key",
    );
    refused(
        &["--tls-cert", &cert, "--tls-key", &other_key],
        "does not belong to the certificate",
    );
    refused(&["--tls-cert", &cert], "--tls-key");
    // From the configuration file, only one of the two.
    std::fs::write(dir.join("kinlink.toml"), format!("tls_cert = {cert:?}\n")).expect("write");
    refused(&[], "needs both a certificate");
}

#[test]
fn the_server_signs_audit_checkpoints_on_a_timer_and_at_shutdown() {
    let tmp = TempDir::new().expect("temp dir");
    let dir = tmp.path();
    let token = init(dir, &[]);
    let (before, checkpoints) = audit_state(dir);
    assert!(before > 0, "init and the CLI's account commands are audited");
    assert!(checkpoints.is_empty());

    // Every second: the head is signed while the server runs.
    let (child, line) = serve(dir, &["--audit-checkpoint-interval", "1s"]);
    let address = line
        .strip_prefix("kinlink listening on http://")
        .unwrap_or_else(|| panic!("{line}"))
        .to_owned();
    let case = serde_json::json!({"child": {"names": {"given": {"original": "Testchild"}}}});
    let (status, _) = support::http(&address, "POST", "/api/v1/cases", Some(&case), Some(&token));
    assert_eq!(status, 201);
    wait_until(
        "a checkpoint signed on the timer",
        Duration::from_secs(60),
        || {
            let (len, checkpoints) = audit_state(dir);
            checkpoints.last().is_some_and(|last| last + 1 == len)
        },
    );
    stop(child);

    // Once an hour, but also when the server stops (SIGTERM, as systemd or docker do).
    let (child, line) = serve(dir, &["--audit-checkpoint-interval", "1h"]);
    let address = line
        .strip_prefix("kinlink listening on http://")
        .unwrap_or_else(|| panic!("{line}"))
        .to_owned();
    let (status, _) = support::http(&address, "POST", "/api/v1/cases", Some(&case), Some(&token));
    assert_eq!(status, 201);
    let (len, checkpoints) = audit_state(dir);
    assert!(
        checkpoints.last().is_some_and(|last| last + 1 < len),
        "not signed yet"
    );
    terminate(child);
    let (len, checkpoints) = audit_state(dir);
    assert_eq!(checkpoints.last().copied(), Some(len - 1), "signed at shutdown");
    // `audit verify` checks the server's signatures with the key `init` made.
    let verified = run(kinlink(dir).args(["audit", "verify"]));
    assert!(verified.contains("the audit log verifies"), "{verified}");
    assert!(
        verified.contains(&format!("{} signed checkpoints", checkpoints.len())),
        "{verified}"
    );
}

/// SIGTERM, then wait for the process to finish.
fn terminate(mut child: Child) {
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    let status = child.wait().expect("wait");
    assert!(status.success(), "{status:?}");
}

#[test]
fn account_administration_is_audited_and_shown_without_personal_values() {
    let tmp = TempDir::new().expect("temp dir");
    let dir = tmp.path();
    init(dir, &[]);
    let added = run(kinlink(dir).args([
        "user",
        "add",
        "--username",
        "amina",
        "--agency",
        "Child Protection Authority",
        "--team",
        "Reception",
        "--role",
        "supervisor",
    ]));
    let password = added
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("a password")
        .trim()
        .to_owned();
    run(kinlink(dir).args(["user", "roles", "amina", "--role", "caseworker"]));
    let token = run(kinlink(dir).args(["token", "create", "--user", "amina", "--scope", "child_case:read"]));
    let token = token.split_whitespace().next().expect("token").to_owned();
    let prefix = token.split('_').nth(1).expect("prefix").to_owned();
    run(kinlink(dir).args(["token", "revoke", &prefix]));
    let reset = run(kinlink(dir).args(["user", "reset-password", "amina"]));
    let new_password = reset
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("a password")
        .trim()
        .to_owned();
    run(kinlink(dir).args(["user", "disable", "amina"]));

    let shown = run(kinlink(dir).args(["audit", "show", "--user", "amina"]));
    let events: Vec<(&str, &str, &str, &str, &str)> = shown
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[2], f[3], f[4], f[5], f[6])
        })
        .collect();
    let by_cli = |kind| (kind, "user_account", "cli:tester", "administration", "success");
    assert_eq!(
        events,
        [
            by_cli("account_change"),
            by_cli("permission_change"),
            by_cli("token_issued"),
            by_cli("token_revoked"),
            by_cli("account_change"),
            by_cli("account_change"),
        ],
        "{shown}"
    );
    for secret in [password.as_str(), new_password.as_str(), token.as_str(), "amina"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    // Looking is itself audited, and the log verifies.
    let again = run(kinlink(dir).args(["audit", "show", "--user", "amina"]));
    assert!(
        again
            .lines()
            .last()
            .is_some_and(|l| l.contains("\tread\taudit_log\t")),
        "{again}"
    );
    kinlink(dir)
        .args(["audit", "show", "--user", "nobody"])
        .output()
        .map(|o| assert!(!o.status.success()))
        .expect("run");
}
