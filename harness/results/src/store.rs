//! Long-format rows and parquet parts.

use std::path::{Path, PathBuf};

use polars::prelude::*;

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

fn polars_err(path: &Path, e: impl std::fmt::Display) -> ResultsError {
    ResultsError::Polars {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ResultsError + '_ {
    move |source| ResultsError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn rows_to_frame(rows: &[ResultRow]) -> PolarsResult<DataFrame> {
    macro_rules! col_str {
        ($name:literal, $f:expr) => {
            Column::new($name.into(), rows.iter().map($f).collect::<Vec<&str>>())
        };
    }
    let columns = vec![
        col_str!("run_id", |r| r.run_id.as_str()),
        col_str!("suite", |r| r.suite.as_str()),
        col_str!("suite_hash", |r| r.suite_hash.as_str()),
        col_str!("harness_version", |r| r.harness_version.as_str()),
        col_str!("git_sha", |r| r.git_sha.as_str()),
        Column::new(
            "seed".into(),
            rows.iter().map(|r| r.seed).collect::<Vec<u64>>(),
        ),
        col_str!("model", |r| r.model.as_str()),
        col_str!("model_hash", |r| r.model_hash.as_str()),
        col_str!("backend", |r| r.backend.as_str()),
        col_str!("dataset", |r| r.dataset.as_str()),
        col_str!("sample", |r| r.sample.as_str()),
        col_str!("reference_mode", |r| r.reference_mode.as_str()),
        col_str!("perturbation", |r| r.perturbation.as_str()),
        col_str!("kind", |r| r.kind.as_str()),
        col_str!("parameter", |r| r.parameter.as_str()),
        Column::new(
            "point".into(),
            rows.iter().map(|r| r.point).collect::<Vec<f64>>(),
        ),
        Column::new(
            "point_index".into(),
            rows.iter().map(|r| r.point_index).collect::<Vec<u32>>(),
        ),
        col_str!("class", |r| r.class.as_str()),
        Column::new(
            "class_index".into(),
            rows.iter().map(|r| r.class_index).collect::<Vec<u32>>(),
        ),
        col_str!("metric", |r| r.metric.as_str()),
        Column::new(
            "value".into(),
            rows.iter().map(|r| r.value).collect::<Vec<Option<f64>>>(),
        ),
        col_str!("status", |r| r.status.as_str()),
        Column::new(
            "error".into(),
            rows.iter()
                .map(|r| r.error.as_deref())
                .collect::<Vec<Option<&str>>>(),
        ),
    ];
    DataFrame::new_infer_height(columns)
}

/// Writes `rows` as part `name` of `run_dir`, atomically (temporary file,
/// then rename). Returns the part's path.
pub fn write_part(run_dir: &Path, name: &str, rows: &[ResultRow]) -> Result<PathBuf> {
    let path = part_path(run_dir, name);
    let df = rows_to_frame(rows).map_err(|e| polars_err(&path, e))?;
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
        .map_err(|e| polars_err(&tmp, e))?;
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
    LazyFrame::scan_parquet_files(paths.into_iter().collect(), args).map_err(|e| polars_err(dir, e))
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
    scan_parts(run_dir)?
        .collect()
        .map_err(|e| polars_err(run_dir, e))
}
