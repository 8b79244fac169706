//! Streaming exports: the store is read a page at a time and each page is
//! encoded and sent before the next is read, so memory stays bounded however
//! many records there are.

use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::Response;
use futures_util::stream::{self, Stream};
use kinlink_core::RecordId;
use kinlink_interchange::RowWriter;
use kinlink_policy::{FieldGroups, Grant};
use kinlink_store::{Records, Store, StoredRecord, Visibility};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::access::Authorized;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::records::{ApiRecord, RecordOut, audit_access, policy_error, visibility};

/// Records read from the store per round trip.
pub const EXPORT_PAGE: u32 = 1000;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// The interchange CSV format.
    #[default]
    Csv,
    /// JSON Lines: one stored record per line.
    Jsonl,
}

#[derive(Clone, Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `csv` (default) or `jsonl`.
    #[param(inline)]
    pub format: Option<ExportFormat>,
}

pub async fn export<T: ApiRecord>(
    state: AppState,
    auth: Authorized,
    ApiQuery(params): ApiQuery<ExportParams>,
) -> Result<Response, ApiError> {
    let format = params.format.unwrap_or_default();
    // A CSV row is rebuilt from the redacted view; with groups withheld it
    // would lose fields silently, so such a grant gets JSON Lines only.
    if format == ExportFormat::Csv && auth.grant.readable() != FieldGroups::ALL {
        return Err(ApiError::forbidden(
            "csv_needs_every_field_group",
            "the CSV format needs every field group, and some are withheld from you: use format=jsonl",
        ));
    }
    let records = Records::<T>::new(state.store.clone());
    let visibility = visibility(&auth.grant);
    // The first page is read before answering, so that a store that fails
    // outright gets a proper 500 rather than a cut-off download.
    let first = records
        .list_visible(None, EXPORT_PAGE, visibility.as_ref())
        .await?;
    let (content_type, extension) = match format {
        ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        ExportFormat::Jsonl => ("application/x-ndjson", "jsonl"),
    };
    let encoder = Encoder::new(format).map_err(|e| {
        tracing::error!(error = %e, "export could not start");
        ApiError::internal()
    })?;
    let body = Body::from_stream(pages(records, state.store, visibility, auth, first, encoder));
    Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}.{extension}\"", T::EXPORT_STEM),
        )
        .body(body)
        .map_err(|e| {
            tracing::error!(error = %e, "export response could not be built");
            ApiError::internal()
        })
}

struct ExportState<T> {
    records: Records<T>,
    /// Where each page's export is recorded before the page is sent.
    store: Arc<dyn Store>,
    visibility: Option<Visibility>,
    auth: Authorized,
    /// A page read but not yet encoded.
    pending: Option<Vec<StoredRecord<T>>>,
    after: Option<RecordId>,
    encoder: Encoder,
    finished: bool,
}

/// The body: one chunk per page. An error ends the stream with an error,
/// which aborts the response, so a client never takes a partial export for a
/// whole one.
fn pages<T: ApiRecord>(
    records: Records<T>,
    store: Arc<dyn Store>,
    visibility: Option<Visibility>,
    auth: Authorized,
    first: Vec<StoredRecord<T>>,
    encoder: Encoder,
) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    let state = ExportState {
        records,
        store,
        visibility,
        auth,
        pending: Some(first),
        after: None,
        encoder,
        finished: false,
    };
    stream::try_unfold(state, |mut s| async move {
        loop {
            if s.finished {
                return Ok(None);
            }
            let page = match s.pending.take() {
                Some(page) => page,
                None => s
                    .records
                    .list_visible(s.after, EXPORT_PAGE, s.visibility.as_ref())
                    .await
                    .map_err(|e| {
                        tracing::error!(error = %e, "export failed part-way; the download was cut off");
                        io::Error::other("export failed")
                    })?,
            };
            let last = page.len() < EXPORT_PAGE as usize;
            s.after = page.last().map(|r| r.meta.id).or(s.after);
            // Each exported record is in the audit log before its page leaves.
            audit_access(
                s.store.as_ref(),
                &s.auth,
                page.iter().map(|r| *r.meta.id.as_uuid()),
            )
            .await
            .map_err(|_| io::Error::other("the export could not be audited; the download was cut off"))?;
            let mut chunk = s.encoder.encode(&s.auth.grant, page).map_err(log_encoding)?;
            if last {
                chunk.extend(s.encoder.finish().map_err(log_encoding)?);
                s.finished = true;
            }
            // An empty chunk (the CSV writer still buffering) is not sent.
            if !chunk.is_empty() {
                return Ok(Some((Bytes::from(chunk), s)));
            }
        }
    })
}

fn log_encoding(e: io::Error) -> io::Error {
    tracing::error!(error = %e, "export encoding failed; the download was cut off");
    e
}

/// A `Write` whose output is taken out after each page: the interchange
/// writer owns its sink and buffers, so the sink must be shared to be drained.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Sink {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

enum Encoder {
    Csv {
        /// `None` once finished. Boxed: the CSV writer carries its buffer.
        writer: Option<Box<RowWriter<Sink>>>,
        sink: Sink,
    },
    Jsonl,
}

impl Encoder {
    fn new(format: ExportFormat) -> io::Result<Self> {
        Ok(match format {
            ExportFormat::Csv => {
                let sink = Sink::default();
                // Writes the header row.
                let writer = RowWriter::new(sink.clone()).map_err(io::Error::other)?;
                Encoder::Csv {
                    writer: Some(Box::new(writer)),
                    sink,
                }
            }
            ExportFormat::Jsonl => Encoder::Jsonl,
        })
    }

    /// Every record is viewed under `grant` first; CSV rows are rebuilt from the view.
    fn encode<T: ApiRecord>(&mut self, grant: &Grant, page: Vec<StoredRecord<T>>) -> io::Result<Vec<u8>> {
        let viewed = page
            .iter()
            .map(|stored| {
                let view = grant
                    .view(&crate::records::context(&stored.meta), &stored.record)
                    .map_err(|e| io::Error::other(policy_error(e).status_code().to_string()))?;
                Ok(RecordOut {
                    meta: stored.meta.clone(),
                    view,
                })
            })
            .collect::<io::Result<Vec<RecordOut<T>>>>()?;
        match self {
            Encoder::Csv { writer, sink } => {
                let writer = writer
                    .as_mut()
                    .ok_or_else(|| io::Error::other("export already finished"))?;
                for out in viewed {
                    // The id a file knows a record by: the one it was imported
                    // with, else its number.
                    let id = out
                        .meta
                        .external_id
                        .unwrap_or_else(|| out.meta.number.to_string());
                    let record: T =
                        serde_json::from_value(serde_json::Value::Object(out.view.fields().clone()))
                            .map_err(|_| io::Error::other("a viewed record could not be read back"))?;
                    for row in T::interchange_rows(id, &record) {
                        writer.write(&row).map_err(io::Error::other)?;
                    }
                }
                Ok(sink.take())
            }
            Encoder::Jsonl => {
                let mut out = Vec::new();
                for record in viewed {
                    serde_json::to_writer(&mut out, &record)?;
                    out.push(b'\n');
                }
                Ok(out)
            }
        }
    }

    /// What is still buffered.
    fn finish(&mut self) -> io::Result<Vec<u8>> {
        match self {
            Encoder::Csv { writer, sink } => {
                if let Some(writer) = writer.take() {
                    writer.finish().map_err(io::Error::other)?;
                }
                Ok(sink.take())
            }
            Encoder::Jsonl => Ok(Vec::new()),
        }
    }
}
