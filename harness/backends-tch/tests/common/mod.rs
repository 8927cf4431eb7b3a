//! What the integration tests of this crate share: the paths and JSON of
//! their fixtures, and the text of an expected error.

// Each test binary uses a part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;

/// File `name` of `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// File `name` of `tests/reference/`.
pub fn reference_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/reference")
        .join(name)
}

/// The JSON file `path`, parsed.
pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("read");
    serde_json::from_str(&text).expect("parse")
}

/// The message of the error `result` holds, or empty when it is `Ok`.
pub fn error_text<T>(result: sensibench_core::Result<T>) -> String {
    result.err().map(|e| e.to_string()).unwrap_or_default()
}
