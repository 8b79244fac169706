//! `kinlink export cases|requests [--out FILE] [--format csv|jsonl]`.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use kinlink_audit::EventKind;
use kinlink_core::RecordId;
use kinlink_interchange::RowWriter;
use kinlink_policy::{Action, Purpose, resource_of};
use kinlink_store::Records;

use crate::audit::Audit;
use crate::cli::{ExportArgs, Format};
use crate::config::Config;
use crate::records::{CliRecord, store_error};
use crate::store;

/// Records read from the store per round trip.
const PAGE: u32 = 1_000;

pub async fn run<T: CliRecord>(args: &ExportArgs, config: &Config, purpose: Purpose) -> Result<()> {
    let store = store::open(config).await?;
    let audit = Audit::new(store.clone(), purpose);
    audit.permit(resource_of(T::KIND), Action::Export).await?;
    let records = Records::<T>::new(store);
    match &args.out {
        None => {
            let out = BufWriter::new(std::io::stdout().lock());
            write_all(&records, &audit, args.format, out).await?;
        }
        Some(path) => {
            // Written beside the target and renamed when complete, so a failed
            // export never leaves a file that looks whole.
            let partial = partial_path(path);
            let file = create_private(&partial)?;
            let written = write_all(&records, &audit, args.format, BufWriter::new(file)).await;
            let count = match written {
                Ok(count) => count,
                Err(e) => {
                    let _ = std::fs::remove_file(&partial);
                    return Err(e);
                }
            };
            std::fs::rename(&partial, path)
                .with_context(|| format!("cannot move the export into place at {}", path.display()))?;
            eprintln!(
                "exported {count} {}{} to {}",
                T::NOUN,
                if count == 1 { "" } else { "s" },
                path.display()
            );
        }
    }
    Ok(())
}

/// Every record, page by page, each page's export recorded in the audit log
/// before it is written; returns how many.
async fn write_all<T: CliRecord, W: Write>(
    records: &Records<T>,
    audit: &Audit,
    format: Format,
    out: W,
) -> Result<u64> {
    let mut sink = match format {
        Format::Csv => Sink::Csv(Box::new(RowWriter::new(out).context("cannot write the export")?)),
        Format::Jsonl => Sink::Jsonl(out),
    };
    let mut after = None;
    let mut count = 0u64;
    loop {
        let page = records.list(after, PAGE).await.map_err(|e| store_error::<T>(e))?;
        let ids: Vec<RecordId> = page.iter().map(|r| r.meta.id).collect();
        audit
            .accessed(EventKind::Export, resource_of(T::KIND), &ids)
            .await?;
        for stored in &page {
            match &mut sink {
                Sink::Csv(writer) => {
                    // The id a file knows a record by: the one it was imported with, else its number.
                    let id = stored
                        .meta
                        .external_id
                        .clone()
                        .unwrap_or_else(|| stored.meta.number.to_string());
                    for row in T::to_rows(id, &stored.record) {
                        writer.write(&row).context("cannot write the export")?;
                    }
                }
                Sink::Jsonl(out) => {
                    serde_json::to_writer(&mut *out, stored).context("cannot write the export")?;
                    out.write_all(b"\n").context("cannot write the export")?;
                }
            }
        }
        count += page.len() as u64;
        match page.last() {
            Some(last) if page.len() == PAGE as usize => after = Some(last.meta.id),
            _ => break,
        }
    }
    let mut out = match sink {
        Sink::Csv(writer) => writer.finish().context("cannot write the export")?,
        Sink::Jsonl(out) => out,
    };
    out.flush().context("cannot write the export")?;
    Ok(count)
}

enum Sink<W: Write> {
    Csv(Box<RowWriter<W>>),
    Jsonl(W),
}

fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".partial");
    path.with_file_name(name)
}

/// An export holds children's personal data: readable by its owner only.
fn create_private(path: &Path) -> Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))
}
