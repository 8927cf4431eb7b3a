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

use sensibench_core::{PerturbationEntry, Registry};
use sha2::{Digest, Sha256};

mod error;
pub mod plan;
mod points;
mod raw;
mod validate;

pub use validate::MEASURES;

pub use error::{Diagnostic, SuiteError};
pub use plan::*;
pub use points::{MAX_POINTS, PointsSpec, expand_points};
pub use validate::{CLASSIFICATION_REGRESSION_METRICS, DEFAULT_OBTAIN};

use validate::{Context, Pos};

/// The names a suite may use, as registered by the crates that implement them.
pub struct Catalog<'a> {
    /// Registered perturbation kinds; `build` validates a suite's `options:`.
    pub perturbations: &'a Registry<PerturbationEntry>,
    /// Registered segmentation metric names.
    pub metrics: &'a [&'a str],
    /// Registered classification metric names.
    pub classification_metrics: &'a [&'a str],
    /// Resolves `plugin: NAME` of a native model to its library file, or says
    /// why it cannot (the message is shown at the plugin name's position).
    pub resolve_plugin: &'a dyn Fn(&str) -> Result<PathBuf, String>,
}

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

    let located = |errors: Vec<(Pos, String)>| SuiteError {
        path: path.to_path_buf(),
        diagnostics: diagnostics(text, errors),
    };
    // YAML 1.2 booleans only: `axis: y` is the text "y", not `true`.
    let options = serde_saphyr::options! {
        strict_booleans: true,
        with_snippet: false,
    };
    let raw: raw::RawSuite = serde_saphyr::from_str_with_options(text, options)
        .map_err(|e| located(vec![yaml_error(text, &e)]))?;
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

/// Sorts by position (keeping the order of problems at the same place),
/// drops repeats, and attaches the source lines.
fn diagnostics(text: &str, mut errors: Vec<(Pos, String)>) -> Vec<Diagnostic> {
    errors.sort_by_key(|(p, _)| *p);
    errors.dedup();
    let lines: Vec<&str> = text.lines().collect();
    errors
        .into_iter()
        .map(|(p, message)| Diagnostic {
            line: p.line,
            column: p.column,
            source_line: p
                .line
                .checked_sub(1)
                .and_then(|i| lines.get(i))
                .map(|l| l.to_string()),
            message,
        })
        .collect()
}

/// The position and a message for a parse error, with did-you-mean for
/// unknown keys and values.
fn yaml_error(text: &str, e: &serde_saphyr::Error) -> (Pos, String) {
    use serde_saphyr::Error as E;
    let at = e
        .location()
        .map_or(Pos { line: 0, column: 0 }, Pos::of_location);
    let inner = e.without_snippet();
    let suggest = |name: &str, expected: &[&'static str]| -> String {
        match sensibench_core::did_you_mean(name, expected.iter().copied()) {
            Some(s) => format!(" (did you mean `{s}`?)"),
            None if expected.is_empty() => String::new(),
            None => format!(
                " (expected one of {})",
                expected
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    };
    let message = match inner {
        E::SerdeUnknownField {
            field, expected, ..
        } => format!("unknown key `{field}`{}", suggest(field, expected)),
        E::SerdeUnknownVariant {
            variant, expected, ..
        } => format!("unknown value `{variant}`{}", suggest(variant, expected)),
        E::SerdeMissingField { field, .. } => format!("missing key `{field}`"),
        E::DuplicateMappingKey { key: Some(k), .. } => format!("duplicate key `{k}`"),
        E::DuplicateMappingKey { key: None, .. } => "duplicate key".to_string(),
        E::InvalidScalar { ty, .. } => {
            let wanted = match *ty {
                "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a whole number >= 0",
                "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "a whole number",
                "f32" | "f64" => "a number",
                "bool" => "true or false",
                other => other,
            };
            match e.location().and_then(|l| scalar_text(text, l)) {
                Some(found) => format!("expected {wanted}, found `{found}`"),
                None => format!("expected {wanted}"),
            }
        }
        E::SerdeInvalidType {
            unexpected,
            expected,
            ..
        } => format!("expected {expected}, found {unexpected}"),
        other => {
            let s = other.to_string();
            match e.location() {
                Some(l) => s
                    .strip_suffix(&format!(" at line {}, column {}", l.line(), l.column()))
                    .map_or_else(|| s.clone(), str::to_string),
                None => s,
            }
        }
    };
    (at, message)
}

/// The source text at `l`, when it is a short piece of one line.
fn scalar_text(text: &str, l: serde_saphyr::Location) -> Option<&str> {
    let span = l.span();
    let start = usize::try_from(span.byte_offset()?).ok()?;
    let len = usize::try_from(span.byte_len()?).ok()?;
    let s = text.get(start..start.checked_add(len)?)?;
    (!s.is_empty() && s.len() <= 80 && !s.contains('\n')).then_some(s)
}
