//! Measurements <-> Polars DataFrame, Parquet and CSV.

use std::path::Path;

use anyhow::{Context, Result, anyhow};
use polars::prelude::*;

use super::record::{Measurement, MetricKind, Verdict};

/// The column order of the results table.
pub const COLUMNS: &[&str] = &[
    "experiment",
    "claim",
    "metric",
    "kind",
    "value",
    "unit",
    "step",
    "paper_value",
    "tolerance",
    "verdict",
    "scheme",
    "parameters",
    "security",
    "stage",
    "threads",
    "seed",
    "profile",
    "git_commit",
    "timestamp",
    "note",
];

pub fn to_frame(rows: &[Measurement]) -> Result<DataFrame> {
    let s = |f: fn(&Measurement) -> String| rows.iter().map(f).collect::<Vec<String>>();
    let df = df![
        "experiment" => s(|m| m.experiment.clone()),
        "claim" => rows.iter().map(|m| m.claim.clone()).collect::<Vec<Option<String>>>(),
        "metric" => s(|m| m.metric.clone()),
        "kind" => s(|m| m.kind.as_str().to_string()),
        "value" => rows.iter().map(|m| m.value).collect::<Vec<f64>>(),
        "unit" => s(|m| m.unit.clone()),
        "step" => rows.iter().map(|m| m.step).collect::<Vec<Option<i64>>>(),
        "paper_value" => rows.iter().map(|m| m.paper_value).collect::<Vec<Option<f64>>>(),
        "tolerance" => rows.iter().map(|m| m.tolerance.clone()).collect::<Vec<Option<String>>>(),
        "verdict" => s(|m| m.verdict.as_str().to_string()),
        "scheme" => s(|m| m.scheme.clone()),
        "parameters" => s(|m| m.parameters.clone()),
        "security" => s(|m| m.security.clone()),
        "stage" => s(|m| m.stage.clone()),
        "threads" => rows.iter().map(|m| m.threads).collect::<Vec<u32>>(),
        "seed" => rows.iter().map(|m| m.seed).collect::<Vec<u64>>(),
        "profile" => s(|m| m.profile.clone()),
        "git_commit" => s(|m| m.git_commit.clone()),
        "timestamp" => s(|m| m.timestamp.clone()),
        "note" => s(|m| m.note.clone()),
    ]?;
    Ok(df)
}

pub fn parquet_bytes(df: &mut DataFrame) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    ParquetWriter::new(&mut buf).finish(df)?;
    Ok(buf)
}

pub fn csv_bytes(df: &mut DataFrame) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    CsvWriter::new(&mut buf).include_header(true).finish(df)?;
    Ok(buf)
}

pub fn read_parquet(path: &Path) -> Result<Vec<Measurement>> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let df = ParquetReader::new(file)
        .finish()
        .map_err(anyhow::Error::from)
        .with_context(|| format!("reading {}", path.display()))?;
    from_frame(&df).with_context(|| format!("reading the measurements in {}", path.display()))
}

fn strs(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>> {
    let col = df.column(name)?.cast(&DataType::String)?;
    Ok(col.str()?.iter().map(|v| v.map(str::to_string)).collect())
}

fn f64s(df: &DataFrame, name: &str) -> Result<Vec<Option<f64>>> {
    let col = df.column(name)?.cast(&DataType::Float64)?;
    Ok(col.f64()?.iter().collect())
}

fn i64s(df: &DataFrame, name: &str) -> Result<Vec<Option<i64>>> {
    let col = df.column(name)?.cast(&DataType::Int64)?;
    Ok(col.i64()?.iter().collect())
}

pub fn from_frame(df: &DataFrame) -> Result<Vec<Measurement>> {
    let n = df.height();
    let get = |name: &str| strs(df, name);
    let (experiment, claim, metric, kind, unit) = (
        get("experiment")?,
        get("claim")?,
        get("metric")?,
        get("kind")?,
        get("unit")?,
    );
    let (tolerance, verdict, scheme, parameters, security) = (
        get("tolerance")?,
        get("verdict")?,
        get("scheme")?,
        get("parameters")?,
        get("security")?,
    );
    let (stage, profile, git_commit, timestamp, note) = (
        get("stage")?,
        get("profile")?,
        get("git_commit")?,
        get("timestamp")?,
        get("note")?,
    );
    let value = f64s(df, "value")?;
    let paper_value = f64s(df, "paper_value")?;
    let step = i64s(df, "step")?;
    let threads = i64s(df, "threads")?;
    let seed = i64s(df, "seed")?;
    let req = |v: &Option<String>| v.clone().unwrap_or_default();
    (0..n)
        .map(|i| {
            Ok(Measurement {
                experiment: req(&experiment[i]),
                claim: claim[i].clone(),
                metric: req(&metric[i]),
                kind: MetricKind::parse(&req(&kind[i]))
                    .ok_or_else(|| anyhow!("row {i}: unknown metric kind {:?}", kind[i]))?,
                value: value[i].unwrap_or(f64::NAN),
                unit: req(&unit[i]),
                step: step[i],
                paper_value: paper_value[i],
                tolerance: tolerance[i].clone(),
                verdict: Verdict::parse(&req(&verdict[i]))
                    .ok_or_else(|| anyhow!("row {i}: unknown verdict {:?}", verdict[i]))?,
                scheme: req(&scheme[i]),
                parameters: req(&parameters[i]),
                security: req(&security[i]),
                stage: req(&stage[i]),
                threads: threads[i].unwrap_or(0) as u32,
                seed: seed[i].unwrap_or(0) as u64,
                profile: req(&profile[i]),
                git_commit: req(&git_commit[i]),
                timestamp: req(&timestamp[i]),
                note: req(&note[i]),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(metric: &str, value: f64, step: Option<i64>) -> Measurement {
        Measurement {
            experiment: "e".into(),
            claim: step.is_none().then(|| "MU18-train".to_string()),
            metric: metric.into(),
            kind: MetricKind::Quality,
            value,
            unit: "%".into(),
            step,
            paper_value: step.is_none().then_some(92.5),
            tolerance: Some("band [92, 93]".into()),
            verdict: Verdict::Reproduced,
            scheme: "paillier".into(),
            parameters: "{\"key_bits\":2048}".into(),
            security: "112-bit".into(),
            stage: "train".into(),
            threads: 2,
            seed: 7,
            profile: "quick".into(),
            git_commit: "abc".into(),
            timestamp: "2026-11-21T00:00:00Z".into(),
            note: "a, \"quoted\" note".into(),
        }
    }

    #[test]
    fn parquet_round_trip_keeps_every_field() {
        let rows = vec![
            row("test_accuracy", 92.7, None),
            row("train_accuracy", 91.0, Some(3)),
        ];
        let mut df = to_frame(&rows).unwrap();
        assert_eq!(df.get_column_names().len(), COLUMNS.len());
        let bytes = parquet_bytes(&mut df).unwrap();
        let back = from_frame(
            &ParquetReader::new(std::io::Cursor::new(bytes))
                .finish()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(back, rows);
        let csv = String::from_utf8(csv_bytes(&mut df).unwrap()).unwrap();
        assert!(csv.starts_with(&COLUMNS.join(",")));
    }
}
