//! YAML suite specs and their validation into a [`Plan`] (errors with file:line:column).
//!
//! A suite file is read in two steps (see `docs/architecture.md`):
//!
//! 1. **parse**: serde structs that mirror the YAML (`#[serde(deny_unknown_fields)]`)
//!    are filled by the YAML deserializer. Syntax errors, wrong types, unknown
//!    keys and unknown enum values (`fit: resise`) stop here, with their
//!    position and, for unknown keys and values, a did-you-mean among the
//!    allowed ones.
//! 2. **validate**: every name is resolved against a [`Catalog`] (perturbation
//!    registry, metric names, plugin resolver), every path is checked, every
//!    number range-checked; *all* problems are collected, each with its
//!    line:column, and reported together, sorted by position.
//!
//! # Why `serde-saphyr`
//!
//! Semantic errors (an unknown perturbation, a missing model file, a bad
//! `linspace`) are found after parsing, so the parsed values must still know
//! where they came from. `serde_norway` (like the `serde_yaml` it forks) gives
//! a location only for errors raised while deserializing. `serde-saphyr` (pure
//! Rust, built on a YAML 1.2 parser) has [`serde_saphyr::Spanned<T>`], a
//! wrapper that keeps the line and column of any value, so the raw structs
//! wrap every value a check may complain about in `Spanned` and no second
//! parse or hand-made position index is needed. Its errors also carry
//! structured kinds (unknown field with the expected list, missing field,
//! invalid type), which is where the did-you-mean comes from. One caveat
//! shapes the raw structs: `Spanned` loses its location inside
//! `#[serde(untagged)]` and internally tagged enums (serde buffers those), so
//! datasets and models are flat structs checked per `source:` / `backend:`,
//! and the list-or-generator forms (`points`, `images`) have hand-written
//! visitors.
//!
//! # Paths
//!
//! Dataset paths are relative to the data root given to [`load_suite`];
//! model paths (`path:` of an onnx or native model) are relative to the
//! folder of the suite file. A missing dataset path fails the suite unless the
//! dataset says `optional: true`, in which case it lands in
//! [`Plan::skipped_datasets`] with a reason naming the path and its `obtain:`
//! text (default [`DEFAULT_OBTAIN`]).

#![warn(missing_docs)]

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

mod catalog;
mod error;
mod parse;
pub mod plan;
mod points;
mod position;
mod raw;
mod validate;

pub use catalog::Catalog;
pub use error::{Diagnostic, SuiteError};
pub use plan::*;
pub use points::{MAX_POINTS, PointsSpec, expand_points};
pub use validate::{CLASSIFICATION_REGRESSION_METRICS, DEFAULT_OBTAIN, MEASURES};

use validate::Context;

/// Reads, parses and validates the suite at `path`.
///
/// Dataset paths are resolved under `data_root`, model paths under the suite
/// file's folder. On failure the error holds every problem found (parse
/// errors: the first one; validation errors: all of them), sorted by position.
pub fn load_suite(path: &Path, data_root: &Path, catalog: &Catalog) -> Result<Plan, SuiteError> {
    let whole = |message: String| SuiteError::whole_file(path.to_path_buf(), message);
    let bytes =
        std::fs::read(path).map_err(|e| whole(format!("cannot read the suite file: {e}")))?;
    let suite_hash = hex(&Sha256::digest(&bytes));
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| whole(format!("the suite file is not UTF-8 text: {e}")))?;
    let suite_path = std::path::absolute(path)
        .map_err(|e| whole(format!("cannot make the suite path absolute: {e}")))?;
    let suite_dir = suite_path
        .parent()
        .map_or_else(|| PathBuf::from("/"), Path::to_path_buf);

    let located = |errors| SuiteError::located(path.to_path_buf(), text, errors);
    let raw = parse::parse_suite(text).map_err(|e| located(vec![e]))?;
    let ctx = Context {
        suite_path,
        suite_dir,
        suite_hash,
        data_root: data_root.to_path_buf(),
        catalog,
    };
    validate::validate(raw, &ctx).map_err(located)
}

/// Lower-case hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(2 * bytes.len()), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
