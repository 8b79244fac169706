//! `kinlink serve [--listen ADDR:PORT] [--demo] [--tls-cert FILE --tls-key FILE]
//! [--audit-checkpoint-interval DURATION]`.

use std::io::Write;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use indicatif::ProgressBar;
use kinlink_core::{ChildCase, RecordKind, TracingRequest};
use kinlink_demo::DemoConfig;
use kinlink_policy::{AgencyType, Role};
use kinlink_server::checkpoints::Checkpoints;
use kinlink_server::tls::TlsFiles;
use kinlink_server::{Deployment, Security};
use kinlink_store::{
    AccountStore, Actor, ConsentGiver, ConsentPurpose, NewConsent, NewUser, Ownership, Records, Store,
};
use tokio::net::TcpListener;

use crate::accounts::{KeyPaths, generate_password, hash_password};
use crate::cli::ServeArgs;
use crate::config::Config;
use crate::import::write_all;
use crate::records::CliRecord;
use crate::store;

/// The size of the `--demo` dataset: enough to browse and search, quick to load.
const DEMO_CHILDREN: usize = 200;
const DEMO_REQUESTS: usize = 160;

/// The demo deployment's agency: its users and data are synthetic.
const DEMO_AGENCY: &str = "Demo Agency";
const DEMO_TEAM: &str = "Demo team";
/// The demo users, each with one role.
const DEMO_USERS: [(&str, Role); 5] = [
    ("demo-caseworker", Role::Caseworker),
    ("demo-supervisor", Role::Supervisor),
    ("demo-tracing", Role::TracingOfficer),
    ("demo-dpo", Role::DataProtectionOfficer),
    ("demo-admin", Role::Administrator),
];

pub async fn run(args: &ServeArgs, config: &Config) -> Result<()> {
    let keys = KeyPaths::of(&config.data_dir);
    // Without keys there is no deployment: say so before touching the database.
    if !keys.exist() && !args.demo {
        keys.load_master()?;
    }
    if !keys.exist() {
        store::create_private_dir(&config.data_dir)?;
        keys.create()?;
    }
    let master_key = keys.load_master()?;
    let signing_key = kinlink_crypto::keyfile::load_signing_key_file(&keys.signing).with_context(|| {
        format!(
            "cannot load the deployment signing key {} (it signs the audit checkpoints)",
            keys.signing.display()
        )
    })?;
    let checkpoint_every = match &args.audit_checkpoint_interval {
        Some(text) => Config {
            audit_checkpoint_interval: text.clone(),
            ..config.clone()
        }
        .checkpoint_interval()?,
        None => config.checkpoint_interval()?,
    };
    // Checked before anything else starts: a bad certificate or key stops here, saying which file.
    let tls = match tls_files(args, config)? {
        Some(files) => Some(kinlink_server::tls::server_config(&files)?),
        None => None,
    };
    let (store, accounts) = store::open_all(config).await?;
    let mut security = Security::new(master_key);
    // Cookies are `Secure` and responses carry HSTS only when TLS is on.
    security.tls = tls.is_some();
    security.disclosure_threshold = config.disclosure_policy()?.threshold();
    if let Some(roles) = &config.totp_required_roles {
        security.totp_required_roles = roles.clone();
    }
    if args.demo {
        let owner = demo_users(&accounts)
            .await
            .context("cannot create the demo users")?;
        load_demo(&store, owner)
            .await
            .context("cannot load the demo data")?;
        // Documented: demo users sign in without a second factor.
        security.totp_required_roles = Vec::new();
    }
    let listener = TcpListener::bind(config.listen.as_str())
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr().context("cannot read the bound address")?;
    // One line on stdout once bound: scripts and tests wait for it.
    let mut stdout = std::io::stdout().lock();
    let scheme = if tls.is_some() { "https" } else { "http" };
    writeln!(stdout, "kinlink listening on {scheme}://{address}").context("cannot write to stdout")?;
    stdout.flush().context("cannot write to stdout")?;
    drop(stdout);
    let checkpoints = Checkpoints::start(store.clone(), signing_key, checkpoint_every);
    let deployment = Deployment {
        store,
        accounts,
        security,
        casework: config.casework.clone(),
    };
    let (router, _matcher) = kinlink_server::app(deployment);
    let served = match tls {
        Some(tls) => kinlink_server::tls::serve_router_tls(router, listener, tls, shutdown_signal()).await,
        None => kinlink_server::serve_router(router, listener, shutdown_signal()).await,
    };
    // The last checkpoint, after the last request: a restart leaves nothing unsealed.
    checkpoints.stop().await;
    served.context("the server failed")
}

/// The TLS files from the flags, else the configuration; both or neither.
fn tls_files(args: &ServeArgs, config: &Config) -> Result<Option<TlsFiles>> {
    let cert = args.tls_cert.clone().or_else(|| config.tls_cert.clone());
    let key = args.tls_key.clone().or_else(|| config.tls_key.clone());
    match (cert, key) {
        (Some(cert), Some(key)) => Ok(Some(TlsFiles { cert, key })),
        (None, None) => Ok(None),
        _ => bail!(
            "built-in TLS needs both a certificate (tls_cert, --tls-cert) and a key (tls_key, --tls-key)"
        ),
    }
}

/// Ctrl-C, or SIGTERM (what `docker stop` and systemd send).
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing the requests in flight");
}

/// The demo agency, team and users, created once; their passwords are
/// printed once. Returns who the demo records belong to.
async fn demo_users(accounts: &Arc<dyn AccountStore>) -> Result<Ownership> {
    let (agency, created) = match accounts.agency_by_name(DEMO_AGENCY).await? {
        Some(agency) => (agency, false),
        None => (
            accounts
                .create_agency(DEMO_AGENCY, AgencyType::ChildProtectionAuthority, false)
                .await?,
            true,
        ),
    };
    let team = match accounts.team_by_name(agency.id, DEMO_TEAM).await? {
        Some(team) => team,
        None => accounts.create_team(agency.id, DEMO_TEAM).await?,
    };
    let mut stdout = std::io::stdout().lock();
    if created {
        writeln!(
            stdout,
            "demo users (synthetic; passwords shown once; no second factor in demo mode):"
        )?;
    }
    for (username, role) in DEMO_USERS {
        if accounts.user_by_name(username).await?.is_some() {
            continue;
        }
        let password = generate_password()?;
        accounts
            .create_user(&NewUser {
                username: username.to_owned(),
                agency_id: agency.id,
                teams: vec![team.id],
                roles: vec![role],
                password_hash: hash_password(&password)?,
            })
            .await?;
        writeln!(stdout, "  {username}  {}", password.as_str())?;
    }
    stdout.flush()?;
    let caseworker = accounts
        .user_by_name(DEMO_USERS[0].0)
        .await?
        .context("the demo caseworker is missing")?;
    Ok(Ownership {
        user: caseworker.id,
        agency: agency.id,
        team: Some(team.id),
    })
}

/// Load a small synthetic dataset through the same import path as
/// `kinlink import`, if the database has no cases. The records belong to
/// the demo caseworker's team.
async fn load_demo(store: &Arc<dyn Store>, owner: Ownership) -> Result<()> {
    let cases = Records::<ChildCase>::new(store.clone());
    if cases.count().await.context("cannot count the cases")? > 0 {
        tracing::info!("the database already has cases: demo data not loaded");
        return Ok(());
    }
    let demo = DemoConfig {
        children: DEMO_CHILDREN,
        requests: Some(DEMO_REQUESTS),
        seed: DemoConfig::DEFAULT_SEED,
    };
    let dataset = tokio::task::spawn_blocking(move || kinlink_demo::generate(&demo))
        .await
        .context("demo data generation failed")?;
    // Marks every demo record as synthetic in its history.
    let actor = Actor::owned("demo", owner);
    let created_cases = import_rows(&cases, &dataset.cases, &actor).await?;
    let requests = Records::<TracingRequest>::new(store.clone());
    let created_requests = import_rows(&requests, &dataset.requests, &actor).await?;
    let consents = demo_consents(store, &actor).await?;
    tracing::info!(
        cases = created_cases,
        requests = created_requests,
        consents,
        "demo data loaded"
    );
    Ok(())
}

/// A synthetic tracing consent for every demo record, so that the demo's
/// records enter matching as real ones do once consent is recorded: the
/// child's for a case, the inquiring parent's for a request, in the first
/// language the record names (English if none).
async fn demo_consents(store: &Arc<dyn Store>, actor: &Actor) -> Result<u64> {
    let mut recorded = 0;
    for (kind, given_by, languages) in [
        (RecordKind::ChildCase, ConsentGiver::Child, "/child/languages/0"),
        (
            RecordKind::TracingRequest,
            ConsentGiver::Parent,
            "/inquirer/languages/0",
        ),
    ] {
        let mut after = None;
        loop {
            let page = store.list(kind, after, 500).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.meta.id);
            for record in &page {
                let body: serde_json::Value = serde_json::from_str(&record.body).unwrap_or_default();
                let language = body
                    .pointer(languages)
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("en")
                    .to_owned();
                let consent = NewConsent {
                    purpose: ConsentPurpose::Tracing,
                    given_by,
                    given_at: record.meta.created_at,
                    language,
                    interpreter: None,
                };
                store
                    .record_consent(kind, record.meta.id, &consent, actor)
                    .await
                    .context("cannot record the demo consents")?;
                recorded += 1;
            }
        }
    }
    Ok(recorded)
}

async fn import_rows<T: CliRecord>(
    records: &Records<T>,
    rows: &[kinlink_interchange::InterchangeRow],
    actor: &Actor,
) -> Result<u64> {
    let (valid, errors) = T::parse_rows(rows, store::today());
    if !errors.is_empty() {
        // Counts only: even synthetic rows are not echoed into logs.
        tracing::warn!(
            kind = T::NOUN,
            errors = errors.len(),
            "some demo rows are invalid and were skipped"
        );
    }
    let outcome = write_all(records, &valid, actor, &ProgressBar::hidden()).await?;
    Ok(outcome.created)
}
