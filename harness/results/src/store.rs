//! Long-format rows and parquet parts.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::columns::{FrameBuilder, impl_condition_row, impl_long_row};
use crate::errors::{io_err, perr};
use crate::{Result, ResultsError};

/// Whether a row holds a score or records a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// The metric was computed (its value may still be NaN: undefined, e.g.
    /// a surface distance when exactly one of the masks is empty).
    Ok,
    /// The model, the perturbation or the data failed for this row; `error`
    /// says why and `value` is null.
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
        }
    }
}

/// One long-format result row with its provenance.
#[derive(Clone, Debug, PartialEq)]
pub struct ResultRow {
    pub run_id: String,
    pub suite: String,
    /// SHA-256 of the suite file.
    pub suite_hash: String,
    pub harness_version: String,
    /// `git rev-parse HEAD` of the harness checkout (`-dirty` when modified), or `unknown`.
    pub git_sha: String,
    pub seed: u64,
    pub model: String,
    /// SHA-256 of the model file (empty for built-in models).
    pub model_hash: String,
    pub backend: String,
    pub dataset: String,
    pub sample: String,
    /// `ground_truth` or `unperturbed_prediction`.
    pub reference_mode: String,
    /// The perturbation's label in the suite (`none` for the clean baseline).
    pub perturbation: String,
    /// The registered perturbation kind.
    pub kind: String,
    /// Name of the swept parameter.
    pub parameter: String,
    pub point: f64,
    pub point_index: u32,
    pub class: String,
    pub class_index: u32,
    pub metric: String,
    pub value: Option<f64>,
    pub status: Status,
    pub error: Option<String>,
}

/// The file of part `name` in `run_dir`.
pub fn part_path(run_dir: &Path, name: &str) -> PathBuf {
    run_dir.join("parts").join(format!("{name}.parquet"))
}

/// Whether part `name` was completed in `run_dir`.
pub fn part_exists(run_dir: &Path, name: &str) -> bool {
    part_path(run_dir, name).is_file()
}

impl_long_row!(ResultRow);
impl_condition_row!(ResultRow);

fn rows_to_frame(rows: &[ResultRow]) -> PolarsResult<DataFrame> {
    FrameBuilder::new(rows)
        .provenance_columns()
        .condition_columns()
        .column("class", |r| r.class.as_str())
        .column("class_index", |r| r.class_index)
        .column("metric", |r| r.metric.as_str())
        .column("value", |r| r.value)
        .outcome_columns()
        .finish()
}

/// Writes `rows` as part `name` of `run_dir`, atomically (temporary file,
/// then rename). Returns the part's path.
pub fn write_part(run_dir: &Path, name: &str, rows: &[ResultRow]) -> Result<PathBuf> {
    let path = part_path(run_dir, name);
    let df = rows_to_frame(rows).map_err(perr(&path))?;
    write_parquet_atomically(&path, df)?;
    Ok(path)
}

/// Writes `df` to `path` through a temporary file in the same folder and a
/// rename, so a killed run never leaves a half-written part.
pub(crate) fn write_parquet_atomically(path: &Path, mut df: DataFrame) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.tmp"));
    let file = std::fs::File::create(&tmp).map_err(io_err(&tmp))?;
    ParquetWriter::new(file)
        .with_compression(ParquetCompression::Zstd(None))
        .finish(&mut df)
        .map_err(perr(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io_err(path))
}

/// The `*.parquet` files of `dir`, sorted; empty when the folder is missing.
pub(crate) fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

/// `files` (non-empty) as one lazy frame; errors name `dir`.
pub(crate) fn scan_files(dir: &Path, files: &[PathBuf]) -> Result<LazyFrame> {
    let paths: Vec<PlRefPath> = files
        .iter()
        .map(|p| PlRefPath::new(p.to_string_lossy().as_ref()))
        .collect();
    let args = ScanArgsParquet {
        glob: false,
        ..Default::default()
    };
    LazyFrame::scan_parquet_files(paths.into_iter().collect(), args).map_err(perr(dir))
}

/// All completed parts of `run_dir` as one lazy frame.
pub(crate) fn scan_parts(run_dir: &Path) -> Result<LazyFrame> {
    let parts = run_dir.join("parts");
    let files = parquet_files(&parts);
    if files.is_empty() {
        return Err(ResultsError::NoParts(run_dir.to_path_buf()));
    }
    scan_files(&parts, &files)
}

/// Reads every row of a run back (used by tests and `sensibench` exports).
pub fn read_rows(run_dir: &Path) -> Result<DataFrame> {
    scan_parts(run_dir)?.collect().map_err(perr(run_dir))
}
