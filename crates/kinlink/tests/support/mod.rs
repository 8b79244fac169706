//! What the deployment tests share: real `kinlink serve` processes, a small
//! HTTP client, fresh databases on the test PostgreSQL server, and private
//! PostgreSQL clusters that a test may stop and start.
//!
//! Every person in these tests is synthetic.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

pub const BIN: &str = env!("CARGO_BIN_EXE_kinlink");

/// The PostgreSQL server the tests use when `KINLINK_TEST_POSTGRES_URL` is not set.
const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Whether PostgreSQL tests must run rather than skip (CI sets `CI=true`).
fn required() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// Skip the test on a developer machine (after saying why); fail it in CI.
fn unavailable(what: &str, reason: &str) {
    if required() {
        panic!("{what} is needed and CI=true: the test must run in CI ({reason})");
    }
    eprintln!("skipping: {what} is not available ({reason})");
}

/// `kinlink` with no configuration leaking in from the environment.
pub fn kinlink(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir);
    for var in [
        "KINLINK_DATA_DIR",
        "KINLINK_LISTEN",
        "KINLINK_DATABASE_URL",
        "KINLINK_CONFIG",
        "KINLINK_DB_MAX_CONNECTIONS",
        "KINLINK_DB_STATEMENT_TIMEOUT",
        "KINLINK_DB_ACQUIRE_TIMEOUT",
        "KINLINK_SQLITE_BUSY_TIMEOUT",
        "RUST_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("USER", "tester");
    cmd
}

/// Run `kinlink` and return its stdout, failing the test (with stderr) if it fails.
pub fn run(cmd: &mut Command) -> String {
    let output = cmd.output().expect("run kinlink");
    assert!(
        output.status.success(),
        "kinlink failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Make the deployment of `dir` and the database of `args` ready to serve:
/// `kinlink init` (the keys and an administrator), a supervisor `tester` of
/// the first agency, and an API token of theirs for cases. Returns the token.
pub fn init(dir: &Path, args: &[&str]) -> String {
    init_scoped(dir, args, &["child_case"])
}

/// [`init`], with a token for every action on each of `resources`
/// (`child_case`, `tracing_request`, `match_proposal`).
pub fn init_scoped(dir: &Path, args: &[&str], resources: &[&str]) -> String {
    run(kinlink(dir).args(args).arg("init"));
    run(kinlink(dir).args(args).args([
        "user",
        "add",
        "--username",
        "tester",
        "--agency",
        "Child Protection Authority",
        "--team",
        "Reception",
        "--role",
        "supervisor",
    ]));
    let mut create = kinlink(dir);
    create.args(args).args(["token", "create", "--user", "tester"]);
    for resource in resources {
        for action in ["create", "read", "list", "update"] {
            create.args(["--scope", &format!("{resource}:{action}")]);
        }
    }
    let out = run(&mut create);
    let token = out.split_whitespace().next().unwrap_or_default().to_owned();
    assert!(token.starts_with("klt_"), "no token in {out:?}");
    token
}

/// A running `kinlink serve`, killed when dropped.
pub struct Server {
    child: Child,
    pub address: String,
    /// Sent as `Authorization: Bearer ...`, with the purpose `case_management`.
    token: String,
}

impl Server {
    /// `kinlink serve` on a free loopback port, in `dir`, with `args` before
    /// `serve`; requests authenticate with `token` (see [`init`]).
    pub fn start(dir: &Path, args: &[&str], token: &str) -> Server {
        let mut cmd = kinlink(dir);
        cmd.args(args)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().expect("start kinlink serve");
        let out = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(out)
            .read_line(&mut line)
            .expect("read the first line");
        let Some(address) = line.trim().strip_prefix("kinlink listening on http://") else {
            let _ = child.kill();
            panic!("kinlink serve did not start: {line:?}");
        };
        Server {
            address: address.to_owned(),
            child,
            token: token.to_owned(),
        }
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        http(&self.address, "GET", path, None, Some(&self.token))
    }

    pub fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        http(&self.address, "POST", path, Some(body), Some(&self.token))
    }

    pub fn put(&self, path: &str, body: &Value) -> (u16, Value) {
        http(&self.address, "PUT", path, Some(body), Some(&self.token))
    }

    /// A GET without a token.
    pub fn get_anonymous(&self, path: &str) -> (u16, Value) {
        http(&self.address, "GET", path, None, None)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request on its own connection, with `token` and the purpose
/// `case_management` if given; the status and the JSON body (`Null` if the
/// body is not JSON).
pub fn http(
    address: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
    token: Option<&str>,
) -> (u16, Value) {
    let mut stream = TcpStream::connect(address).expect("connect to kinlink");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("set a read timeout");
    let body = body.map(Value::to_string).unwrap_or_default();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\nKinlink-Purpose: case_management\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n{auth}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("send the request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read the response");
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {head:?}"));
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// Call `check` every 100 ms until it is true; fail the test if it is not
/// within `limit` (a generous bound, not a measurement).
pub fn wait_until(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < limit, "gave up waiting: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Every record of a collection, through the API's keyset pages.
pub fn list_all(server: &Server, collection: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut path = format!("/api/v1/{collection}?limit=500");
    loop {
        let (status, page) = server.get(&path);
        assert_eq!(status, 200, "{page}");
        let items = page["items"]
            .as_array()
            .unwrap_or_else(|| panic!("not a page: {page}"));
        all.extend(items.iter().cloned());
        match page["next_after"].as_str() {
            Some(after) => path = format!("/api/v1/{collection}?limit=500&after={after}"),
            None => return all,
        }
    }
}

/// Run one SQL statement with psql; the error says why it did not run.
pub fn psql(url: &str, sql: &str) -> Result<String, String> {
    let output = Command::new("psql")
        .args([
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            url,
            "-c",
            sql,
        ])
        .env("PGCONNECT_TIMEOUT", "5")
        .output()
        .map_err(|e| format!("cannot run psql: {e}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
    }
}

/// A fresh database on the test PostgreSQL server, dropped at the end.
pub struct PgDatabase {
    server: String,
    name: String,
    pub url: String,
}

impl PgDatabase {
    /// `None`, after saying so, if no server answers; with `CI=true` the test fails instead.
    pub fn create() -> Option<Self> {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let server =
            std::env::var("KINLINK_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES.to_owned());
        if let Err(reason) = psql(&server, "SELECT 1") {
            unavailable("the test PostgreSQL server (KINLINK_TEST_POSTGRES_URL)", &reason);
            return None;
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("kinlink_ops_{}_{n}_{nanos}", std::process::id());
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

/// A PostgreSQL cluster of the test's own (initdb in a temporary directory,
/// on a free loopback port), which the test may stop and start without
/// disturbing the shared server. Stopped and deleted when dropped.
pub struct PrivateCluster {
    bin: PathBuf,
    /// Run the server's programs as this user: initdb and postgres refuse root.
    run_as: Option<String>,
    dir: TempDir,
    pub port: u16,
    pub url: String,
}

impl PrivateCluster {
    /// `None`, after saying so, if PostgreSQL's programs are not installed;
    /// with `CI=true` the test fails instead.
    pub fn create() -> Option<Self> {
        let Some(bin) = postgres_bindir() else {
            unavailable(
                "PostgreSQL's server programs (initdb, pg_ctl)",
                "not found in KINLINK_TEST_PG_BINDIR, pg_config --bindir, /usr/lib/postgresql/*/bin or PATH",
            );
            return None;
        };
        let run_as = if is_root() {
            // Debian's packages make this user; the cluster's files must be its own.
            Some(std::env::var("KINLINK_TEST_PG_USER").unwrap_or_else(|_| "postgres".to_owned()))
        } else {
            None
        };
        let dir = tempfile::Builder::new()
            .prefix("kinlink-pg-")
            .tempdir()
            .expect("temp dir for the cluster");
        if let Some(user) = &run_as {
            let uid = id_of(user, "-u");
            let gid = id_of(user, "-g");
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("give the cluster directory");
        }
        let port = free_port();
        let cluster = PrivateCluster {
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            bin,
            run_as,
            dir,
            port,
        };
        let data = cluster.data_dir();
        cluster.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-instructions",
            ],
        );
        cluster.start();
        Some(cluster)
    }

    fn data_dir(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn run(&self, program: &str, args: &[&str]) {
        let program = self.bin.join(program);
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut cmd = Command::new("runuser");
                cmd.args(["-u", user, "--"]).arg(&program);
                cmd
            }
            None => Command::new(&program),
        };
        let output = cmd
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
        assert!(
            output.status.success(),
            "{} {args:?} failed: {}{}",
            program.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Start the server and wait until it accepts connections.
    pub fn start(&self) {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c max_connections=40",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log").display().to_string();
        self.run(
            "pg_ctl",
            &[
                "start",
                "-D",
                &self.data_dir(),
                "-w",
                "-t",
                "120",
                "-l",
                &log,
                "-o",
                &options,
            ],
        );
    }

    /// Stop the server at once, as a crash would (no shutdown checkpoint):
    /// what was committed must come back from the write-ahead log.
    pub fn crash(&self) {
        self.run(
            "pg_ctl",
            &[
                "stop",
                "-D",
                &self.data_dir(),
                "-m",
                "immediate",
                "-w",
                "-t",
                "120",
            ],
        );
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let data = self.data_dir();
        let pg_ctl = self.bin.join("pg_ctl");
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut cmd = Command::new("runuser");
                cmd.args(["-u", user, "--"]).arg(&pg_ctl);
                cmd
            }
            None => Command::new(&pg_ctl),
        };
        let _ = cmd
            .args(["stop", "-D", &data, "-m", "immediate", "-w"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// The directory with `initdb` and `pg_ctl`: `KINLINK_TEST_PG_BINDIR`, then
/// `pg_config --bindir`, then the newest `/usr/lib/postgresql/*/bin` (Debian
/// keeps them off PATH), then PATH.
fn postgres_bindir() -> Option<PathBuf> {
    let has_tools = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Ok(dir) = std::env::var("KINLINK_TEST_PG_BINDIR") {
        return Some(PathBuf::from(dir)).filter(|d| has_tools(d));
    }
    if let Ok(output) = Command::new("pg_config").arg("--bindir").output()
        && output.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        if has_tools(&dir) {
            return Some(dir);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, dir)| has_tools(dir))
        .collect();
    versions.sort();
    if let Some((_, dir)) = versions.pop() {
        return Some(dir);
    }
    std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|dir| has_tools(dir))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn id_of(user: &str, flag: &str) -> u32 {
    let output = Command::new("id").args([flag, user]).output().expect("run id");
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("no user {user} to run PostgreSQL as (tests run as root)"))
}

/// A loopback port nothing listens on (just now).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("find a free port")
}
