//! `kinlink case ...` and `kinlink request ...`: one implementation, generic
//! over the record type.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use chrono::NaiveDate;
use kinlink_audit::EventKind;
use kinlink_core::{ChildCase, Record, RecordId, RecordNumber, TracingRequest, Validated};
use kinlink_interchange::{InterchangeRow, RowError};
use kinlink_policy::{Action, Purpose, resource_of};
use kinlink_store::{Records, StoreError, StoredRecord};
use serde::Serialize;

use crate::audit::Audit;
use crate::cli::RecordCommand;
use crate::config::Config;
use crate::input::{parse_json, read_file};
use crate::store;

/// What the CLI needs to know about a record type beyond [`Record`]: its
/// name in messages and its rows in the interchange format.
pub trait CliRecord: Record {
    /// "case", "tracing request".
    const NOUN: &'static str;
    /// Parse and validate interchange rows.
    fn parse_rows(
        rows: &[InterchangeRow],
        today: NaiveDate,
    ) -> (Vec<(String, Validated<Self>)>, Vec<RowError>);
    /// The interchange rows of one record.
    fn to_rows(id: String, record: &Self) -> Vec<InterchangeRow>;
}

impl CliRecord for ChildCase {
    const NOUN: &'static str = "case";
    fn parse_rows(
        rows: &[InterchangeRow],
        today: NaiveDate,
    ) -> (Vec<(String, Validated<Self>)>, Vec<RowError>) {
        kinlink_interchange::parse_cases(rows, today)
    }
    fn to_rows(id: String, record: &Self) -> Vec<InterchangeRow> {
        vec![kinlink_interchange::row_from_case(id, record)]
    }
}

impl CliRecord for TracingRequest {
    const NOUN: &'static str = "tracing request";
    fn parse_rows(
        rows: &[InterchangeRow],
        today: NaiveDate,
    ) -> (Vec<(String, Validated<Self>)>, Vec<RowError>) {
        kinlink_interchange::parse_requests(rows, today)
    }
    fn to_rows(id: String, record: &Self) -> Vec<InterchangeRow> {
        kinlink_interchange::row_from_request(id, record)
    }
}

pub async fn run<T: CliRecord>(command: RecordCommand, config: &Config, purpose: Purpose) -> Result<()> {
    let store = store::open(config).await?;
    let audit = Audit::new(store.clone(), purpose);
    let records = Records::<T>::new(store);
    let resource = resource_of(T::KIND);
    // The store audits creations and updates in their own transaction; reads
    // and listings are recorded here before anything is printed.
    match command {
        RecordCommand::Create { file } => {
            audit.permit(resource, Action::Create).await?;
            let record = read_valid::<T>(&file)?;
            let stored = records
                .create(record, audit.actor())
                .await
                .map_err(|e| store_error::<T>(e))?;
            print_json(&stored)
        }
        RecordCommand::Get { key } => {
            audit.permit(resource, Action::Read).await?;
            let found = find(&records, &key).await?;
            audit
                .accessed(EventKind::Read, resource, &[found.meta.id])
                .await?;
            print_json(&found)
        }
        RecordCommand::Update { key, version, file } => {
            audit.permit(resource, Action::Update).await?;
            let id = find(&records, &key).await?.meta.id;
            let record = read_valid::<T>(&file)?;
            let stored = records
                .update(id, version, record, audit.actor())
                .await
                .map_err(|e| store_error::<T>(e))?;
            print_json(&stored)
        }
        RecordCommand::List { after, limit } => {
            audit.permit(resource, Action::List).await?;
            let page = records
                .list(after, limit)
                .await
                .map_err(|e| store_error::<T>(e))?;
            let ids: Vec<RecordId> = page.iter().map(|r| r.meta.id).collect();
            audit.accessed(EventKind::List, resource, &ids).await?;
            if page.len() == limit as usize
                && let Some(last) = page.last()
            {
                eprintln!("more may follow: add --after {}", last.meta.id);
            }
            print_json(&page)
        }
        RecordCommand::History { key } => {
            audit.permit(resource, Action::Read).await?;
            let id = find(&records, &key).await?.meta.id;
            let history = records.history(id).await.map_err(|e| store_error::<T>(e))?;
            audit.accessed(EventKind::Read, resource, &[id]).await?;
            print_json(&history)
        }
    }
}

/// Read a record from a JSON file and validate it; every problem is listed
/// on stderr as `path: message`.
fn read_valid<T: CliRecord>(file: &Path) -> Result<Validated<T>> {
    let bytes = read_file(file)?;
    let record: T = parse_json(&bytes).map_err(|p| {
        if p.path.is_empty() {
            eprintln!("{}", p.message);
        } else {
            eprintln!("{}: {}", p.path, p.message);
        }
        anyhow!("the file does not hold a {}; nothing was saved", T::NOUN)
    })?;
    Validated::new(record, store::today()).map_err(|invalid| {
        for e in &invalid.errors {
            eprintln!("{}: {}", e.path, e.message);
        }
        let n = invalid.errors.len();
        anyhow!(
            "the {} has {n} invalid field{}; nothing was saved",
            T::NOUN,
            if n == 1 { "" } else { "s" }
        )
    })
}

/// A record by id (UUID) or number.
async fn find<T: CliRecord>(records: &Records<T>, key: &str) -> Result<StoredRecord<T>> {
    let key = key.trim();
    let found = if let Ok(id) = key.parse::<RecordId>() {
        records.get(id).await
    } else if let Ok(number) = key.parse::<RecordNumber>() {
        if number.kind() != T::KIND {
            bail!(
                "{key} is the number of a {}, not of a {}",
                number.kind().as_str().replace('_', " "),
                T::NOUN
            );
        }
        records.get_by_number(&number).await
    } else {
        // Not repeated: a name typed by mistake must not end up in a log.
        bail!("expected a record id (UUID) or a record number such as KL-2026-000123");
    };
    found
        .map_err(|e| store_error::<T>(e))?
        .ok_or_else(|| anyhow!("no {} with id or number {key}", T::NOUN))
}

/// Store errors carry no record content; a conflict is said as such.
pub fn store_error<T: CliRecord>(e: StoreError) -> anyhow::Error {
    match e {
        StoreError::Conflict { .. } => anyhow!("conflict: {e}"),
        StoreError::NotFound { .. } => anyhow!("no {} with this id", T::NOUN),
        e => anyhow::Error::new(e).context("the database failed"),
    }
}

fn print_json(value: &impl Serialize) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value).context("cannot write the output")?;
    writeln!(out).context("cannot write the output")?;
    out.flush().context("cannot write the output")
}
