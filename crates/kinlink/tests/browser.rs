//! The web application in a real browser: Debian's Chromium, driven through
//! chromedriver (WebDriver), against a real `kinlink serve` on a free
//! loopback port with a fresh SQLite database. Screenshots of the key
//! screens, in English and Arabic (and French where the story is in
//! French), are saved under `<target dir>/screenshots/`.
//!
//! Without Chromium the tests skip with a message, except in CI
//! (`CI=true`), where they fail. Every person here is synthetic.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use kinlink_auth::totp::TotpSecret;
use serde_json::{Value, json};
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_kinlink");
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const PASSWORD: &str = "seven lanterns over quiet harbours";

/// Personal values of this story: none may reach an immigration authority.
const PERSONAL: [&str; 6] = ["أحمد", "رحيمي", "Ahmad", "Rahimi", "Gul Bibi", "Lesvos"];

/// Whether the browser is here; in CI its absence fails the test.
fn browser_available() -> bool {
    let present = Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
    if !present {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{CHROMIUM} and {CHROMEDRIVER} are needed and CI=true: install them (apt-get install chromium chromium-driver)"
        );
        eprintln!("skipping: Chromium is not installed (apt-get install chromium chromium-driver)");
    }
    present
}

/// A process killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn kinlink(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir);
    for var in [
        "KINLINK_DATA_DIR",
        "KINLINK_LISTEN",
        "KINLINK_DATABASE_URL",
        "KINLINK_CONFIG",
        "RUST_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("USER", "tester");
    cmd
}

fn run(cmd: &mut Command, stdin: Option<&str>) -> String {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run kinlink");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    let output = child.wait_with_output().expect("wait for kinlink");
    assert!(
        output.status.success(),
        "kinlink failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A deployment with a supervisor `amina` (child protection authority) and
/// `officer` (an immigration authority, every role but administrator).
fn deployment(dir: &Path) {
    run(
        kinlink(dir).args(["init", "--password-stdin"]),
        Some(&format!("{PASSWORD}\n")),
    );
    run(
        kinlink(dir).args([
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
            "--password-stdin",
        ]),
        Some(&format!("{PASSWORD}\n")),
    );
    run(
        kinlink(dir).args([
            "agency",
            "add",
            "Border Office",
            "--type",
            "immigration_authority",
        ]),
        None,
    );
    run(
        kinlink(dir).args([
            "user",
            "add",
            "--username",
            "officer",
            "--agency",
            "Border Office",
            "--team",
            "Desk",
            "--role",
            "supervisor",
            "--role",
            "caseworker",
            "--role",
            "tracing_officer",
            "--password-stdin",
        ]),
        Some(&format!("{PASSWORD}\n")),
    );
}

fn serve(dir: &Path) -> (Process, String) {
    let mut child = kinlink(dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start kinlink serve");
    let out = child.stdout.take().expect("stdout");
    let process = Process(child);
    let mut reader = BufReader::new(out);
    loop {
        let mut line = String::new();
        let read = reader.read_line(&mut line).expect("read a line");
        assert!(read > 0, "kinlink serve ended before listening");
        if let Some(address) = line.trim().strip_prefix("kinlink listening on http://") {
            return (process, format!("http://{address}"));
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// chromedriver on a free port, and a headless Chromium session with a fresh profile.
async fn browser(profile: &Path) -> (Process, Client) {
    let port = free_port();
    let driver = Process(
        Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    let url = format!("http://127.0.0.1:{port}");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--window-size=1280,900", format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    let start = Instant::now();
    loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(client) => return (driver, client),
            Err(e) => {
                assert!(
                    start.elapsed() < Duration::from_secs(30),
                    "chromedriver did not start: {e}"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

/// Enrol a second factor for `username` through the API, as the app would; returns its secret.
async fn enrol_totp(base: &str, username: &str) -> TotpSecret {
    let http = reqwest::Client::new();
    let reply = http
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .expect("sign in");
    assert_eq!(reply.status().as_u16(), 201);
    let cookie = reply
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let whoami: Value = reply.json().await.expect("json");
    let csrf = whoami["csrf_token"].as_str().expect("csrf").to_owned();
    let enrolment: Value = http
        .post(format!("{base}/api/v1/session/totp"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .expect("enrol")
        .json()
        .await
        .expect("json");
    let secret = secret_of(enrolment["secret"].as_str().expect("secret"));
    let confirmed = http
        .post(format!("{base}/api/v1/session/totp/confirm"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(&json!({"code": code(&secret, 0)}))
        .send()
        .await
        .expect("confirm");
    assert_eq!(confirmed.status().as_u16(), 200);
    secret
}

fn secret_of(base32_secret: &str) -> TotpSecret {
    let bytes = base32::decode(base32::Alphabet::Rfc4648 { padding: false }, base32_secret).expect("base32");
    TotpSecret::from_bytes(bytes.try_into().expect("20 bytes"))
}

/// The code of the current 30-second step, `offset` steps on (each step is accepted once).
fn code(secret: &TotpSecret, offset: u64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs();
    format!("{:06}", secret.code_at_step(now / 30 + offset))
}

fn screenshots() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot directory");
    dir
}

async fn shot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(screenshots().join(format!("{name}.png")), png).expect("save screenshot");
}

async fn fill(client: &Client, name: &str, value: &str) {
    let field = client
        .find(Locator::Css(&format!("[name=\"{name}\"]")))
        .await
        .unwrap_or_else(|e| panic!("no field {name}: {e}"));
    field.clear().await.expect("clear");
    field.send_keys(value).await.expect("type");
}

async fn choose(client: &Client, name: &str, value: &str) {
    client
        .find(Locator::Css(&format!("select[name=\"{name}\"]")))
        .await
        .unwrap_or_else(|e| panic!("no select {name}: {e}"))
        .select_by_value(value)
        .await
        .expect("select");
}

async fn submit(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .click()
        .await
        .expect("click");
}

async fn text(client: &Client) -> String {
    client
        .find(Locator::Css("body"))
        .await
        .expect("body")
        .text()
        .await
        .expect("text")
}

async fn title(client: &Client) -> String {
    client
        .find(Locator::Css("h1"))
        .await
        .expect("h1")
        .text()
        .await
        .expect("text")
}

async fn language(client: &Client, base: &str, lang: &str, back: &str) {
    client
        .goto(&format!("{base}/language?lang={lang}&back={back}"))
        .await
        .expect("language");
}

async fn sign_in(client: &Client, base: &str, username: &str, secret: &TotpSecret, offset: u64) {
    client
        .goto(&format!("{base}/sign-in"))
        .await
        .expect("sign-in page");
    fill(client, "username", username).await;
    fill(client, "password", PASSWORD).await;
    fill(client, "totp_code", &code(secret, offset)).await;
    submit(client, "main button[type=submit]").await;
}

async fn dir_of(client: &Client) -> String {
    client
        .find(Locator::Css("html"))
        .await
        .expect("html")
        .attr("dir")
        .await
        .expect("dir")
        .unwrap_or_default()
}

struct Story {
    _data: TempDir,
    _profile: TempDir,
    _server: Process,
    _driver: Process,
    base: String,
    client: Client,
}

async fn story() -> Option<Story> {
    if !browser_available() {
        return None;
    }
    let data = tempfile::tempdir().expect("data dir");
    deployment(data.path());
    let (server, base) = serve(data.path());
    let profile = tempfile::tempdir().expect("profile");
    let (driver, client) = browser(profile.path()).await;
    Some(Story {
        _data: data,
        _profile: profile,
        _server: server,
        _driver: driver,
        base,
        client,
    })
}

/// Sign in with a second factor; register a child in Arabic with an
/// Arabic-script name and a Solar Hijri birth date; file a tracing request
/// in French for that child; wait for the matcher; review the match side by
/// side and confirm it with a reason. Then an immigration authority's user
/// signs in and opens every page: no personal data on any.
#[tokio::test(flavor = "multi_thread")]
async fn register_trace_and_confirm_in_arabic_and_french_and_the_firewall_holds_on_every_page() {
    let Some(s) = story().await else { return };
    let (c, base) = (&s.client, s.base.as_str());
    let secret = enrol_totp(base, "amina").await;

    // Sign in: first with a wrong code (refused), then with the right one.
    language(c, base, "en", "/sign-in").await;
    shot(c, "en-sign-in").await;
    c.goto(&format!("{base}/sign-in")).await.expect("sign-in");
    fill(c, "username", "amina").await;
    fill(c, "password", PASSWORD).await;
    fill(c, "totp_code", "000000").await;
    submit(c, "main button[type=submit]").await;
    assert!(
        text(c).await.contains("Wrong user name, password or code"),
        "{}",
        text(c).await
    );
    sign_in(c, base, "amina", &secret, 1).await;
    assert_eq!(title(c).await, "Home");
    shot(c, "en-home").await;

    // Register a child in the Arabic interface.
    language(c, base, "ar", "/cases/new").await;
    assert_eq!(dir_of(c).await, "rtl");
    assert_eq!(title(c).await, "تسجيل طفل");
    fill(c, "given_original", "أحمد").await;
    fill(c, "given_latin", "Ahmad").await;
    fill(c, "family_original", "رحيمي").await;
    fill(c, "family_latin", "Rahimi").await;
    choose(c, "sex", "male").await;
    choose(c, "calendar", "solar_hijri").await;
    fill(c, "birth_year", "1392").await;
    fill(c, "birth_month", "5").await;
    fill(c, "nationality", "AF").await;
    fill(c, "language", "ps").await;
    choose(c, "accompaniment", "unaccompanied").await;
    choose(c, "tracing_consent", "child").await;
    fill(c, "found_place", "Lesvos").await;
    fill(c, "found_country", "GR").await;
    shot(c, "ar-new-case").await;
    submit(c, "main form button[type=submit]").await;
    let case_url = c.current_url().await.expect("url").to_string();
    assert!(case_url.contains("/cases/KL-"), "{case_url}: {}", text(c).await);
    let page = text(c).await;
    assert_eq!(title(c).await, "الحالة");
    assert!(page.contains("أحمد رحيمي"), "{page}");
    assert!(page.contains("1392-05") && page.contains("هجري شمسي"), "{page}");
    // Mordad 1392 is 23 July – 22 August 2013.
    assert!(
        page.contains("2013-07-23") && page.contains("2013-08-22"),
        "{page}"
    );
    shot(c, "ar-case").await;
    c.set_window_size(360, 800).await.expect("narrow");
    shot(c, "ar-case-360px").await;
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth;",
            vec![],
        )
        .await
        .expect("script");
    assert_eq!(overflow, json!(false), "the case page scrolls sideways at 360 px");
    c.set_window_size(1280, 900).await.expect("wide");

    // A tracing request in the French interface, describing that child.
    language(c, base, "fr", "/tracing-requests/new").await;
    assert_eq!(dir_of(c).await, "ltr");
    assert_eq!(title(c).await, "Nouvelle demande de recherche");
    fill(c, "inquirer_original", "Gul Bibi").await;
    choose(c, "relation", "mother").await;
    choose(c, "tracing_consent", "parent").await;
    fill(c, "given_original", "Ahmad").await;
    fill(c, "family_original", "Rahimi").await;
    choose(c, "sex", "male").await;
    fill(c, "birth_year", "2013").await;
    fill(c, "nationality", "AF").await;
    submit(c, "main form button[type=submit]").await;
    let request_url = c.current_url().await.expect("url").to_string();
    assert!(
        request_url.contains("/tracing-requests/TR-"),
        "{request_url}: {}",
        text(c).await
    );

    // The matcher works in the background: reload until it proposes the case.
    let start = Instant::now();
    let link = loop {
        if let Ok(link) = c.find(Locator::Css("a[href^=\"/matches/\"]")).await {
            break link;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no match proposed: {}",
            text(c).await
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        c.refresh().await.expect("reload");
    };
    shot(c, "fr-tracing-request").await;
    link.click().await.expect("open the match");
    assert_eq!(title(c).await, "Examen d'une correspondance");
    let page = text(c).await;
    assert!(
        page.contains("أحمد رحيمي") && page.contains("Ahmad Rahimi"),
        "{page}"
    );
    assert!(page.contains("Probabilité") && page.contains('%'), "{page}");
    assert!(page.contains("given_name") || page.contains("Prénom"), "{page}");
    shot(c, "fr-match-review").await;
    let match_url = c.current_url().await.expect("url").to_string();
    for (lang, name) in [("en", "en-match-review"), ("ar", "ar-match-review")] {
        language(c, base, lang, &url_path(&match_url)).await;
        shot(c, name).await;
    }
    language(c, base, "fr", &url_path(&match_url)).await;
    fill(
        c,
        "reason",
        "La mère reconnaît la photo ; dates et noms concordent",
    )
    .await;
    submit(c, "button[value=confirmed]").await;
    assert_eq!(
        url_path(c.current_url().await.expect("url").as_ref()),
        url_path(&match_url)
    );
    let page = text(c).await;
    assert!(page.contains("Confirmée"), "{page}");
    assert!(page.contains("Examinée par amina"), "{page}");
    // The confirmation moved the case on to verification.
    c.goto(&case_url).await.expect("case");
    assert!(text(c).await.contains("Vérification"));
    for (lang, name) in [("en", "en-case"), ("ar", "ar-home")] {
        let back = if lang == "ar" {
            "/".to_owned()
        } else {
            url_path(&case_url)
        };
        language(c, base, lang, &back).await;
        shot(c, name).await;
    }
    language(c, base, "en", "/cases/new").await;
    shot(c, "en-new-case").await;
    language(c, base, "ar", "/").await;
    // Signing out, then an immigration authority's user on every page.
    submit(c, "header form[action=\"/sign-out\"] button").await;
    shot(c, "ar-sign-in").await;
    let officer = enrol_totp(base, "officer").await;
    sign_in(c, base, "officer", &officer, 1).await;
    let case_number = case_url.rsplit('/').next().expect("number").to_owned();
    let request_number = request_url.rsplit('/').next().expect("number").to_owned();
    let match_id = match_url.rsplit('/').next().expect("id").to_owned();
    let mut visited = 0;
    for route in kinlink_server::access::ROUTES {
        if route.method != "GET" || !kinlink_server::access::is_web(route.path) {
            continue;
        }
        let id = if route.path.starts_with("/tracing-requests") {
            &request_number
        } else {
            &case_number
        };
        let path = route.path.replace("{id}", id).replace("{match_id}", &match_id);
        c.goto(&format!("{base}{path}")).await.expect("page");
        let source = c.source().await.expect("source");
        for value in PERSONAL {
            assert!(
                !source.contains(value),
                "{path}: {value} shown to an immigration authority"
            );
        }
        if let kinlink_server::access::Access::Page(..) = route.access {
            assert_eq!(title(c).await, "غير مسموح", "{path} not refused");
        }
        visited += 1;
    }
    assert!(visited >= 8, "only {visited} pages");
    // A search by name finds nothing either (the page is refused as a whole).
    c.goto(&format!("{base}/search?q=Ahmad")).await.expect("search");
    assert!(!c.source().await.expect("source").contains("KL-"));
    shot(c, "ar-immigration-authority-refused").await;
    s.client.clone().close().await.expect("close the browser");
}

fn url_path(url: &str) -> String {
    url.split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned()))
        .unwrap_or_else(|| "/".to_owned())
}
