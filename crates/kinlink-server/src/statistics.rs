//! Statistics: the indicators engine ([`kinlink_stats`]) over the store, and
//! the routes under `/api/v1/statistics` that release its tables.
//!
//! [`load`] streams every child case, tracing request and match proposal
//! from the store into an [`Engine`] a page at a time (memory is the
//! engine's, per cell, not per record); the CLI (`kinlink stats`) uses it
//! too. What leaves is only ever a [`ReleasedTable`] (or a report made of
//! them): disclosure control is the engine's, with the deployment's
//! threshold ([`crate::Security::disclosure_threshold`], default 5), which a
//! caller cannot lower. Labels come from closed vocabularies; no record id
//! and no personal field can appear.
//!
//! Access: `Resource::Statistics`, `Read`, purpose `statistics` (the only
//! resource the firewall lets an immigration authority reach). Each release
//! is audited (who, which route, the purpose; there is no record).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, NaiveTime, TimeDelta, Utc};
use kinlink_casework::{CaseFile, Identification, UserId};
use kinlink_core::{ChildCase, RecordId, TracingRequest};
use kinlink_policy::{Action, Resource};
use kinlink_stats::{
    DetentionReport, Dimension, DisclosurePolicy, Engine, Granularity, Indicator, MatchOutcome, MatchReview,
    ReleasedTable, StatsConfig, StatsError, TableSpec, TreatyReport, Window,
};
use kinlink_store::{MatchId, MatchStatus, Records, Store, StoreError, StoredMatch, StoredRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::access::Authorized;
use crate::audit::{self, Event, Outcome};
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiQuery;

/// Records read from the store per round trip.
const PAGE: u32 = 1000;

/// The case management file of a registered child that has no stored case
/// file (imported from a file, or written before case files were stored):
/// derived from the registration: the child was identified on the day the
/// case was recorded (`recorded_on`, or the day it was stored), with the
/// record's accompaniment and sex, and nothing has happened since (no
/// guardian, BIA, BID, detention, referral). Cases with a stored file (every
/// case created through the API) are counted from that file by [`load`].
pub fn case_file_for(case: &StoredRecord<ChildCase>) -> CaseFile {
    let identified_at = case
        .record
        .recorded_on
        .map_or(case.meta.created_at, |day| day.and_time(NaiveTime::MIN).and_utc());
    // Ids stay inside the engine: only counts leave it.
    let by = UserId::new(case.meta.created_by.clone());
    CaseFile::identify(Identification {
        case_id: case.meta.id,
        at: identified_at,
        by: by.clone(),
        caseworker: by.clone(),
        supervisor: by,
        accompaniment: case.record.accompaniment,
        sex: case.record.child.sex,
        claims_to_be_child: true,
    })
}

/// Which kinds of records a computation reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sources {
    pub cases: bool,
    pub tracing_requests: bool,
    pub match_reviews: bool,
}

impl Sources {
    /// What the tables of `indicators` are computed from.
    pub fn of(indicators: impl IntoIterator<Item = Indicator>) -> Self {
        let mut sources = Self::default();
        for indicator in indicators {
            match indicator {
                Indicator::TracingRequests => sources.tracing_requests = true,
                Indicator::MatchReviews => sources.match_reviews = true,
                _ => sources.cases = true,
            }
        }
        sources
    }
}

/// How many records a [`load`] read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Loaded {
    pub cases: u64,
    pub tracing_requests: u64,
    pub match_reviews: u64,
}

/// A match proposal as the statistics count it; `None` for a pending
/// proposal the matcher withdrew (it is no longer proposed).
fn match_review(stored: &StoredMatch) -> Option<MatchReview> {
    let outcome = match stored.status {
        MatchStatus::Confirmed => MatchOutcome::Confirmed,
        MatchStatus::Rejected => MatchOutcome::Rejected,
        MatchStatus::New | MatchStatus::UnderReview if stored.proposed => MatchOutcome::Pending,
        MatchStatus::New | MatchStatus::UnderReview => return None,
    };
    Some(MatchReview {
        proposed_on: stored.created_at.date_naive(),
        outcome,
    })
}

/// Stream the records `sources` names from the store into `engine`, a page
/// of [`PAGE`] at a time. The engine's work on a page is done inline, between
/// two reads: a page is small, and the whole run is one request's work.
pub async fn load(
    store: &Arc<dyn Store>,
    engine: &mut Engine,
    sources: Sources,
) -> Result<Loaded, StoreError> {
    let mut loaded = Loaded::default();
    if sources.cases {
        let cases = Records::<ChildCase>::new(store.clone());
        let mut after: Option<RecordId> = None;
        loop {
            let page = cases.list(after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.meta.id);
            for case in &page {
                let file = match store.get_case_file(case.meta.id).await? {
                    Some(stored) => {
                        serde_json::from_str::<CaseFile>(&stored.body).map_err(|_| StoreError::Corrupt {
                            id: case.meta.id.to_string(),
                            reason: "a case file that does not parse".to_owned(),
                        })?
                    }
                    // A case imported or written before case files were stored.
                    None => case_file_for(case),
                };
                engine.add_case(&case.record, &file);
            }
            loaded.cases += page.len() as u64;
        }
    }
    if sources.tracing_requests {
        let requests = Records::<TracingRequest>::new(store.clone());
        let mut after: Option<RecordId> = None;
        loop {
            let page = requests.list(after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.meta.id);
            for request in &page {
                engine.add_tracing_request(&request.record);
            }
            loaded.tracing_requests += page.len() as u64;
        }
    }
    if sources.match_reviews {
        let mut after: Option<MatchId> = None;
        loop {
            let page = store.list_matches(after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            for review in page.iter().filter_map(match_review) {
                engine.add_match_review(&review);
                loaded.match_reviews += 1;
            }
        }
    }
    Ok(loaded)
}

/// Why a statistics request cannot be answered.
#[derive(Debug, thiserror::Error)]
pub enum StatisticsError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Stats(#[from] StatsError),
    #[error("the engine returned no table")]
    NoTable,
}

/// An indicator by its name (`children_registered`, ...).
pub fn parse_indicator(name: &str) -> Option<Indicator> {
    Indicator::ALL.into_iter().find(|i| i.as_str() == name)
}

const DIMENSIONS: [Dimension; 12] = [
    Dimension::Nationality,
    Dimension::Sex,
    Dimension::AgeBand,
    Dimension::Accompaniment,
    Dimension::Disability,
    Dimension::Region,
    Dimension::Period,
    Dimension::Service,
    Dimension::Solution,
    Dimension::Centre,
    Dimension::MatchOutcome,
    Dimension::CaseloadBand,
];

/// Dimensions from a comma-separated list (`nationality,sex,age_band`); an
/// empty list is the total alone. The error names the unknown dimension (a
/// word from our vocabulary, never data).
pub fn parse_dimensions(list: &str) -> Result<Vec<Dimension>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|name| {
            DIMENSIONS
                .into_iter()
                .find(|d| d.as_str() == name)
                .ok_or_else(|| {
                    let known: Vec<&str> = DIMENSIONS.iter().map(|d| d.as_str()).collect();
                    format!("unknown dimension (known: {})", known.join(", "))
                })
        })
        .collect()
}

/// A reporting window: `2025` (a year), `2025-Q2` (a quarter), `2025-03` (a
/// month), or `2025-01-01..2025-07-01` (from a day, to a day excluded).
pub fn parse_period(text: &str) -> Result<Window, String> {
    const HELP: &str = "a period is YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD..YYYY-MM-DD (end excluded)";
    let day = |y: i32, m: u32| NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(|| HELP.to_owned());
    let window = |from, to| Window::new(from, to).map_err(|e| e.to_string());
    let text = text.trim();
    if let Some((from, to)) = text.split_once("..") {
        let parse = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| HELP.to_owned());
        return window(parse(from)?, parse(to)?);
    }
    let year = |s: &str| -> Result<i32, String> {
        match s.parse::<i32>() {
            Ok(y) if (1900..=9999).contains(&y) && s.len() == 4 => Ok(y),
            _ => Err(HELP.to_owned()),
        }
    };
    match text.split_once('-') {
        None => Window::year(year(text)?).map_err(|e| e.to_string()),
        Some((y, q)) if q.starts_with(['Q', 'q']) => {
            let y = year(y)?;
            let quarter: u32 = match q[1..].parse() {
                Ok(q @ 1..=4) => q,
                _ => return Err(HELP.to_owned()),
            };
            let start = day(y, quarter * 3 - 2)?;
            let end = if quarter == 4 {
                day(y + 1, 1)?
            } else {
                day(y, quarter * 3 + 1)?
            };
            window(start, end)
        }
        Some((y, m)) => {
            let y = year(y)?;
            let month: u32 = match m.parse() {
                Ok(month @ 1..=12) if m.len() == 2 => month,
                _ => return Err(HELP.to_owned()),
            };
            let end = if month == 12 {
                day(y + 1, 1)?
            } else {
                day(y, month + 1)?
            };
            window(day(y, month)?, end)
        }
    }
}

/// The settings of a run: figures as of `today`, or as of the window's last
/// day when the window has ended.
pub fn config_for(window: Option<Window>, granularity: Granularity, today: NaiveDate) -> StatsConfig {
    let reference_date = window
        .map(|w| w.to() - TimeDelta::days(1))
        .filter(|last| *last < today)
        .unwrap_or(today);
    let mut config = StatsConfig::new(reference_date);
    config.window = window;
    config.granularity = granularity;
    config
}

/// One indicator's table, computed from the store and released.
pub async fn indicator_table(
    store: &Arc<dyn Store>,
    config: StatsConfig,
    policy: &DisclosurePolicy,
    indicator: Indicator,
    by: &[Dimension],
) -> Result<ReleasedTable, StatisticsError> {
    let spec = TableSpec::new(indicator, by);
    let mut engine = Engine::new(config, std::slice::from_ref(&spec))?;
    load(store, &mut engine, Sources::of([indicator])).await?;
    let tables = engine.finish()?;
    let table = tables.first().ok_or(StatisticsError::NoTable)?;
    Ok(table.release(policy))
}

/// Every standard indicator's total (no breakdown), released; the benchmark's unit of work.
pub async fn all_indicators(
    store: &Arc<dyn Store>,
    config: StatsConfig,
    policy: &DisclosurePolicy,
) -> Result<(Vec<ReleasedTable>, Loaded), StatisticsError> {
    let specs: Vec<TableSpec> = Indicator::ALL.iter().map(|i| TableSpec::new(*i, &[])).collect();
    let mut engine = Engine::new(config, &specs)?;
    let loaded = load(store, &mut engine, Sources::of(Indicator::ALL)).await?;
    let tables = engine.finish()?.iter().map(|t| t.release(policy)).collect();
    Ok((tables, loaded))
}

/// The annual report on children in immigration detention, from the store.
pub async fn detention_report(
    store: &Arc<dyn Store>,
    config: StatsConfig,
    policy: &DisclosurePolicy,
    year: i32,
) -> Result<DetentionReport, StatisticsError> {
    let (mut engine, period) = DetentionReport::start(config, year)?;
    load(store, &mut engine, Sources::of([Indicator::ChildrenDetained])).await?;
    Ok(DetentionReport::finish(engine, period, policy)?)
}

/// The periodic treaty-reporting table, from the store.
pub async fn treaty_report(
    store: &Arc<dyn Store>,
    config: StatsConfig,
    policy: &DisclosurePolicy,
) -> Result<TreatyReport, StatisticsError> {
    let (mut engine, period) = TreatyReport::start(config)?;
    load(store, &mut engine, Sources::of([Indicator::ChildrenRegistered])).await?;
    Ok(TreatyReport::finish(engine, period, policy)?)
}

// --- HTTP ---------------------------------------------------------------------

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_indicators))
        .routes(routes!(get_indicator))
        .routes(routes!(detention))
        .routes(routes!(treaty))
}

/// The answer's format: `?format=` wins, then `Accept: text/csv`; JSON otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatsFormat {
    Json,
    Csv,
}

fn format_of(asked: Option<StatsFormat>, headers: &HeaderMap) -> StatsFormat {
    asked.unwrap_or_else(|| {
        let csv = headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(',').any(|t| t.trim().starts_with("text/csv")));
        if csv { StatsFormat::Csv } else { StatsFormat::Json }
    })
}

fn csv_response(text: String, stem: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{stem}.csv\""),
            ),
        ],
        text,
    )
        .into_response()
}

fn policy_of(state: &AppState) -> Result<DisclosurePolicy, ApiError> {
    DisclosurePolicy::new(state.disclosure_threshold).map_err(|e| {
        tracing::error!(error = %e, "the configured disclosure threshold is invalid");
        ApiError::internal()
    })
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

impl From<StatisticsError> for ApiError {
    fn from(e: StatisticsError) -> Self {
        match e {
            StatisticsError::Store(e) => e.into(),
            // Our vocabulary only (indicator and dimension names, limits): no data.
            e @ (StatisticsError::Stats(StatsError::Csv(_)) | StatisticsError::NoTable) => {
                tracing::error!(error = %e, "a statistics table could not be written");
                ApiError::internal()
            }
            StatisticsError::Stats(e) => ApiError::invalid_query(e.to_string()),
        }
    }
}

/// Audit a release before it is sent: who asked for which statistics, for which purpose.
async fn audited(state: &AppState, auth: &Authorized) -> Result<(), ApiError> {
    let purpose = auth.grant.request().purpose;
    let event = Event::access(
        &auth.route,
        &auth.caller,
        Resource::Statistics,
        Action::Read,
        purpose,
        Outcome::Allowed,
    );
    audit::emit(state.store.as_ref(), event).await
}

/// One standard indicator and what it can be broken down by.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct IndicatorInfo {
    #[schema(example = "children_registered")]
    pub name: &'static str,
    /// `hours`, `days` or `children` when the indicator also has a median,
    /// 90th percentile and total of a duration or size.
    pub value_unit: Option<String>,
    /// The dimensions it accepts in `by` (any combination of up to six).
    pub dimensions: Vec<&'static str>,
}

/// The standard indicators
///
/// Every indicator the engine computes, with the dimensions each can be
/// broken down by.
#[utoipa::path(get, path = "/api/v1/statistics/indicators", tag = "statistics",
    operation_id = "list_indicators",
    responses((status = 200, description = "The indicators", body = Vec<IndicatorInfo>)))]
async fn list_indicators(State(state): State<AppState>, auth: Authorized) -> Result<Response, ApiError> {
    audited(&state, &auth).await?;
    let list: Vec<IndicatorInfo> = Indicator::ALL
        .into_iter()
        .map(|i| IndicatorInfo {
            name: i.as_str(),
            value_unit: i.value_unit().and_then(|u| {
                serde_json::to_value(u)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
            }),
            dimensions: i.dimensions().iter().map(|d| d.as_str()).collect(),
        })
        .collect();
    Ok(Json(list).into_response())
}

#[derive(Clone, Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct IndicatorParams {
    /// Comma-separated dimensions (`nationality,sex,age_band`); none: the total only.
    pub by: Option<String>,
    /// Children identified in this window: `2025`, `2025-Q2`, `2025-03`, or
    /// `2025-01-01..2025-07-01` (end excluded). All, when absent.
    pub period: Option<String>,
    /// How finely the `period` dimension cuts time: `month`, `quarter`, `year` (default).
    #[param(inline)]
    pub granularity: Option<PeriodGranularity>,
    /// `json` (default) or `csv`; `Accept: text/csv` also asks for CSV.
    #[param(inline)]
    pub format: Option<StatsFormat>,
}

/// How finely the `period` dimension cuts time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PeriodGranularity {
    Month,
    Quarter,
    #[default]
    Year,
}

impl From<PeriodGranularity> for Granularity {
    fn from(g: PeriodGranularity) -> Self {
        match g {
            PeriodGranularity::Month => Granularity::Month,
            PeriodGranularity::Quarter => Granularity::Quarter,
            PeriodGranularity::Year => Granularity::Year,
        }
    }
}

/// The JSON of a released indicator table.
#[derive(Serialize)]
struct IndicatorOut<'a> {
    /// Figures as of the end of this day.
    reference_date: NaiveDate,
    /// The window of identification (`to` excluded), when one was asked for.
    period: Option<WindowOut>,
    table: &'a ReleasedTable,
}

#[derive(Serialize)]
struct WindowOut {
    from: NaiveDate,
    to: NaiveDate,
}

/// One indicator, released
///
/// The indicator over every record of the deployment, broken down by the
/// dimensions in `by`, with totals for each. Small cells (below the
/// deployment's threshold, default 5) and the cells that would let them be
/// worked out from the totals read `suppressed`. JSON, or CSV (one row per
/// cell) with `format=csv` or `Accept: text/csv`.
#[utoipa::path(get, path = "/api/v1/statistics/indicators/{indicator}", tag = "statistics",
    operation_id = "get_indicator",
    params(("indicator" = String, Path, description = "An indicator's name, from the list"), IndicatorParams),
    responses(
        (status = 200, description = "The released table (JSON: reference date, period, table; CSV: one row per cell)",
         content((String = "application/json"), (String = "text/csv"))),
        (status = 400, description = "Unknown dimension, period or format, or a dimension the indicator does not accept", body = ErrorBody),
        (status = 404, description = "No such indicator", body = ErrorBody),
    ))]
async fn get_indicator(
    State(state): State<AppState>,
    auth: Authorized,
    Path(name): Path<String>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<IndicatorParams>,
) -> Result<Response, ApiError> {
    let indicator = parse_indicator(&name).ok_or_else(|| ApiError::not_found("no such indicator"))?;
    let by = parse_dimensions(params.by.as_deref().unwrap_or_default())
        .map_err(|e| ApiError::invalid_query(format!("invalid query parameter `by`: {e}")))?;
    let window = params
        .period
        .as_deref()
        .map(parse_period)
        .transpose()
        .map_err(|e| ApiError::invalid_query(format!("invalid query parameter `period`: {e}")))?;
    let format = format_of(params.format, &headers);
    let policy = policy_of(&state)?;
    let config = config_for(window, params.granularity.unwrap_or_default().into(), today());
    let reference_date = config.reference_date;
    let table = indicator_table(&state.store, config, &policy, indicator, &by).await?;
    audited(&state, &auth).await?;
    match format {
        StatsFormat::Csv => Ok(csv_response(
            table.to_csv().map_err(StatisticsError::from)?,
            indicator.as_str(),
        )),
        StatsFormat::Json => Ok(Json(IndicatorOut {
            reference_date,
            period: window.map(|w| WindowOut {
                from: w.from(),
                to: w.to(),
            }),
            table: &table,
        })
        .into_response()),
    }
}

#[derive(Clone, Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DetentionParams {
    /// The calendar year reported on.
    pub year: i32,
    /// `json` (default) or `csv`; `Accept: text/csv` also asks for CSV.
    #[param(inline)]
    pub format: Option<StatsFormat>,
}

/// The annual report on children in immigration detention
///
/// Children detained at any moment of the year: how many, by sex, by
/// accompaniment, by centre, and days detained; released like any table.
#[utoipa::path(get, path = "/api/v1/statistics/reports/detention", tag = "statistics",
    operation_id = "detention_report",
    params(DetentionParams),
    responses(
        (status = 200, description = "The report (JSON: period and sections; CSV: table, breakdown, figures)",
         content((String = "application/json"), (String = "text/csv"))),
        (status = 400, description = "Missing or invalid year or format", body = ErrorBody),
    ))]
async fn detention(
    State(state): State<AppState>,
    auth: Authorized,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<DetentionParams>,
) -> Result<Response, ApiError> {
    let format = format_of(params.format, &headers);
    let window = Window::year(params.year)
        .ok()
        .filter(|_| (1900..=9999).contains(&params.year))
        .ok_or_else(|| ApiError::invalid_query("invalid query parameter `year`: not a year"))?;
    let policy = policy_of(&state)?;
    let config = config_for(Some(window), Granularity::Year, today());
    let report = detention_report(&state.store, config, &policy, params.year).await?;
    audited(&state, &auth).await?;
    match format {
        StatsFormat::Csv => Ok(csv_response(
            report.to_csv().map_err(StatisticsError::from)?,
            &format!("detention-{}", params.year),
        )),
        StatsFormat::Json => Ok(Json(report).into_response()),
    }
}

#[derive(Clone, Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TreatyParams {
    /// Children identified in this window (as for an indicator); all, when absent.
    pub period: Option<String>,
    /// `json` (default) or `csv`; `Accept: text/csv` also asks for CSV.
    #[param(inline)]
    pub format: Option<StatsFormat>,
}

/// The periodic treaty-reporting table
///
/// Children registered by nationality × sex × age band, unaccompanied and
/// separated children by nationality × sex, guardians appointed within the
/// deadline by sex, best-interests determinations and durable solutions by
/// solution; released like any table.
#[utoipa::path(get, path = "/api/v1/statistics/reports/treaty", tag = "statistics",
    operation_id = "treaty_report",
    params(TreatyParams),
    responses(
        (status = 200, description = "The report (JSON: period and sections; CSV: table, breakdown, figures)",
         content((String = "application/json"), (String = "text/csv"))),
        (status = 400, description = "Invalid period or format", body = ErrorBody),
    ))]
async fn treaty(
    State(state): State<AppState>,
    auth: Authorized,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<TreatyParams>,
) -> Result<Response, ApiError> {
    let format = format_of(params.format, &headers);
    let window = params
        .period
        .as_deref()
        .map(parse_period)
        .transpose()
        .map_err(|e| ApiError::invalid_query(format!("invalid query parameter `period`: {e}")))?;
    let policy = policy_of(&state)?;
    let config = config_for(window, Granularity::Year, today());
    let report = treaty_report(&state.store, config, &policy).await?;
    audited(&state, &auth).await?;
    match format {
        StatsFormat::Csv => Ok(csv_response(
            report.to_csv().map_err(StatisticsError::from)?,
            "treaty-report",
        )),
        StatsFormat::Json => Ok(Json(report).into_response()),
    }
}
