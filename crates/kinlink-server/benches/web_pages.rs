//! The web application's weight and speed at 100,000 cases (a benchmark,
//! not a test): a real server on loopback over SQLite, 100,000 synthetic
//! cases and 2,000 tracing requests owned by the signed-in supervisor's
//! team, the matcher settled. For each page: the bytes transferred
//! (gzip-compressed, as a browser asks; the page plus its CSS and JS) and
//! the time from request to the last byte on loopback (the server's render
//! time plus loopback transfer; an upper bound of the render time).
//!
//!   cargo bench -p kinlink-server --bench web_pages            # release build
//!   CASES=10000 cargo bench -p kinlink-server --bench web_pages
//!
//! Prints a Markdown table for bench/RESULTS.md. Every person is synthetic.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use chrono::Utc;
use common::Server;
use kinlink_core::{ChildCase, TracingRequest, latest_today};
use kinlink_demo::DemoConfig;
use kinlink_store::Records;

const RUNS: usize = 30;

struct Measured {
    bytes: usize,
    times: Vec<Duration>,
}

async fn measure(server: &Server, http: &reqwest::Client, path: &str) -> Measured {
    let mut times = Vec::with_capacity(RUNS);
    let mut bytes = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        let response = http
            .get(server.url(path))
            .header("accept-encoding", "gzip")
            .header("accept-language", "ar")
            .send()
            .await
            .expect("request");
        let status = response.status();
        let body = response.bytes().await.expect("body");
        times.push(start.elapsed());
        assert!(status.is_success() || status.is_redirection(), "{path}: {status}");
        bytes = body.len();
    }
    times.sort();
    Measured { bytes, times }
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let cases: usize = std::env::var("CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let requests = (cases / 50).max(10);
    let (server, store) = Server::start().await;
    let today = latest_today(Utc::now());
    let started = Instant::now();
    let dataset = kinlink_demo::generate(&DemoConfig {
        children: cases,
        requests: Some(requests),
        seed: DemoConfig::DEFAULT_SEED,
    });
    let (valid_cases, _) = kinlink_interchange::parse_cases(&dataset.cases, today);
    let (valid_requests, _) = kinlink_interchange::parse_requests(&dataset.requests, today);
    let actor = server.actor();
    Records::<ChildCase>::new(store.clone())
        .import(&valid_cases, &actor)
        .await
        .expect("import cases");
    Records::<TracingRequest>::new(store.clone())
        .import(&valid_requests, &actor)
        .await
        .expect("import requests");
    server.matcher.notify();
    server.settled().await;
    eprintln!(
        "{} cases and {} requests loaded and matched in {:.0} s",
        valid_cases.len(),
        valid_requests.len(),
        started.elapsed().as_secs_f64()
    );
    // A case, a request with a match, and a name to search for, from the data.
    let http = &server.http;
    let case_number = "KL-2026-000001";
    let mut found = None;
    for n in 1..=requests {
        let number = format!("TR-2026-{n:06}");
        let list: serde_json::Value = http
            .get(server.url(&format!("/api/v1/tracing-requests/{number}/matches")))
            .send()
            .await
            .expect("matches")
            .json()
            .await
            .expect("json");
        if let Some(id) = list["candidates"][0]["id"].as_str() {
            found = Some((number, id.to_owned()));
            break;
        }
    }
    let (request_number, match_id) = found.expect("a tracing request with a match");
    let case: serde_json::Value = http
        .get(server.url(&format!("/api/v1/cases/{case_number}")))
        .send()
        .await
        .expect("case")
        .json()
        .await
        .expect("json");
    let name = case["record"]["child"]["names"]["given"]["original"]
        .as_str()
        .unwrap_or("Amina")
        .to_owned();
    let search = format!("/search?q={}", percent(&name));
    let css = measure(&server, http, "/static/kinlink.css?v=1").await;
    let js = measure(&server, http, "/static/kinlink.js?v=1").await;
    println!("| page | HTML (gzip) | with CSS and JS (gzip) | median | p95 |");
    println!("|---|---|---|---|---|");
    for (label, path) in [
        ("sign-in", "/sign-in".to_owned()),
        ("home", "/".to_owned()),
        ("search by name (whole scan)", search),
        ("search by number (redirect)", format!("/search?q={case_number}")),
        ("quick registration form", "/cases/new".to_owned()),
        ("case page", format!("/cases/{case_number}")),
        ("tracing request form", "/tracing-requests/new".to_owned()),
        (
            "tracing request page",
            format!("/tracing-requests/{request_number}"),
        ),
        ("match review", format!("/matches/{match_id}")),
    ] {
        let client = if path == "/sign-in" {
            reqwest::Client::new()
        } else if path.starts_with("/search?q=KL") {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .default_headers(auth_headers(&server))
                .build()
                .expect("client")
        } else {
            http.clone()
        };
        let m = measure(&server, &client, &path).await;
        let p95 = m.times[(m.times.len() * 95 / 100).min(m.times.len() - 1)];
        println!(
            "| {label} | {:.1} KB | {:.1} KB | {} ms | {} ms |",
            m.bytes as f64 / 1024.0,
            (m.bytes + css.bytes + js.bytes) as f64 / 1024.0,
            ms(m.times[m.times.len() / 2]),
            ms(p95),
        );
    }
    println!(
        "\nCSS {:.1} KB and JS {:.1} KB compressed, cached for a year after the first page.",
        css.bytes as f64 / 1024.0,
        js.bytes as f64 / 1024.0
    );
    server.stop().await;
}

fn auth_headers(server: &Server) -> reqwest::header::HeaderMap {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {}", server.user.token).parse().expect("header"),
    );
    headers
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
