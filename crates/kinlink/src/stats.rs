//! `kinlink stats indicators|indicator NAME|detention|treaty|bench`: the
//! released statistics, computed from the database by the same loader as
//! `GET /api/v1/statistics/...` (`kinlink_server::statistics`), with the
//! deployment's disclosure threshold (`stats_threshold`).

use std::io::Write;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use kinlink_policy::{Action, Purpose, Resource};
use kinlink_server::statistics::{self, StatisticsError};
use kinlink_stats::{Granularity, Indicator, Window};

use crate::audit::Audit;
use crate::cli::{StatsCommand, StatsFormat, StatsGranularity};
use crate::config::Config;
use crate::store;

pub async fn run(command: StatsCommand, config: &Config, purpose: Purpose) -> Result<()> {
    let policy = config.disclosure_policy()?;
    let store = store::open(config).await?;
    let audit = Audit::new(store.clone(), purpose);
    audit.permit(Resource::Statistics, Action::Read).await?;
    let today = chrono::Utc::now().date_naive();
    let (text, format) = match command {
        StatsCommand::Indicators { format } => (indicators(format)?, format),
        StatsCommand::Indicator {
            name,
            by,
            period,
            granularity,
            format,
        } => {
            let indicator = statistics::parse_indicator(&name)
                .ok_or_else(|| anyhow!("no such indicator (see `kinlink stats indicators`)"))?;
            let by = statistics::parse_dimensions(&by).map_err(|e| anyhow!("--by: {e}"))?;
            let window = window(period.as_deref())?;
            let granularity = match granularity {
                StatsGranularity::Month => Granularity::Month,
                StatsGranularity::Quarter => Granularity::Quarter,
                StatsGranularity::Year => Granularity::Year,
            };
            let config = statistics::config_for(window, granularity, today);
            let table = statistics::indicator_table(&store, config, &policy, indicator, &by)
                .await
                .map_err(failed)?;
            let text = match format {
                StatsFormat::Json => to_json(&table)?,
                _ => table.to_csv()?,
            };
            (text, format)
        }
        StatsCommand::Detention { year, format } => {
            let window = Window::year(year).map_err(|_| anyhow!("--year: not a year"))?;
            let config = statistics::config_for(Some(window), Granularity::Year, today);
            let report = statistics::detention_report(&store, config, &policy, year)
                .await
                .map_err(failed)?;
            let text = match format {
                StatsFormat::Json => to_json(&report)?,
                _ => report.to_csv()?,
            };
            (text, format)
        }
        StatsCommand::Treaty { period, format } => {
            let config = statistics::config_for(window(period.as_deref())?, Granularity::Year, today);
            let report = statistics::treaty_report(&store, config, &policy)
                .await
                .map_err(failed)?;
            let text = match format {
                StatsFormat::Json => to_json(&report)?,
                _ => report.to_csv()?,
            };
            (text, format)
        }
        StatsCommand::Bench => {
            let config = statistics::config_for(None, Granularity::Year, today);
            let start = Instant::now();
            let (tables, loaded) = statistics::all_indicators(&store, config, &policy)
                .await
                .map_err(failed)?;
            let seconds = start.elapsed().as_secs_f64();
            let text = format!(
                "{} indicators over {} cases, {} tracing requests and {} match proposals in {seconds:.2} s\n",
                tables.len(),
                loaded.cases,
                loaded.tracing_requests,
                loaded.match_reviews
            );
            (text, StatsFormat::Csv)
        }
    };
    audit.statistics_released().await?;
    let text = match format {
        StatsFormat::Table => aligned(&text)?,
        StatsFormat::Csv | StatsFormat::Json => text,
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).context("cannot write to stdout")?;
    Ok(())
}

fn window(period: Option<&str>) -> Result<Option<Window>> {
    period
        .map(statistics::parse_period)
        .transpose()
        .map_err(|e| anyhow!("--period: {e}"))
}

fn failed(e: StatisticsError) -> anyhow::Error {
    match e {
        StatisticsError::Store(e) => anyhow!(e).context("cannot read the records"),
        e => anyhow!(e),
    }
}

fn to_json(value: &impl serde::Serialize) -> Result<String> {
    let mut text = serde_json::to_string_pretty(value).context("cannot write JSON")?;
    text.push('\n');
    Ok(text)
}

/// The standard indicators as CSV (or JSON): name, value unit, dimensions.
fn indicators(format: StatsFormat) -> Result<String> {
    let rows: Vec<(&str, String, Vec<&str>)> = Indicator::ALL
        .into_iter()
        .map(|i| {
            let unit = i
                .value_unit()
                .and_then(|u| serde_json::to_value(u).ok())
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            (
                i.as_str(),
                unit,
                i.dimensions().iter().map(|d| d.as_str()).collect(),
            )
        })
        .collect();
    if format == StatsFormat::Json {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|(name, unit, dims)| {
                serde_json::json!({"name": name, "value_unit": (!unit.is_empty()).then_some(unit), "dimensions": dims})
            })
            .collect();
        return to_json(&list);
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["indicator", "value_unit", "dimensions"])?;
    for (name, unit, dims) in rows {
        w.write_record([name, unit.as_str(), dims.join(",").as_str()])?;
    }
    String::from_utf8(w.into_inner().map_err(|e| anyhow!("{e}"))?).context("not UTF-8")
}

/// CSV as aligned columns, for reading in a terminal.
fn aligned(csv_text: &str) -> Result<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv_text.as_bytes());
    let mut rows: Vec<Vec<String>> = Vec::new();
    for record in reader.records() {
        rows.push(record?.iter().map(str::to_owned).collect());
    }
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|v| v.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in &rows {
        let line: Vec<String> = row.iter().zip(&widths).map(|(v, w)| format!("{v:<w$}")).collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    if rows.is_empty() {
        bail!("nothing to show");
    }
    Ok(out)
}
