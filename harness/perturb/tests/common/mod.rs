//! What the integration tests of this crate share: option maps, applying a
//! registered perturbation, and reading the reference fixtures.

// Each test binary uses a part of this module.
#![allow(dead_code)]
#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a message

use std::path::Path;

use sensibench_core::{Image, LabelMap, ParamValue, Params, SeededRng};
use sensibench_perturb::registry;
use serde::de::DeserializeOwned;

/// The options `pairs` as a [`Params`].
pub fn params(pairs: &[(&str, ParamValue)]) -> Params {
    Params(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

/// Builds registered perturbation `name` with `options` and applies it at
/// `value`, drawing from a [`SeededRng`] of `seed`.
pub fn apply(
    seed: u64,
    name: &str,
    options: &Params,
    image: &Image,
    mask: Option<&LabelMap>,
    value: f64,
) -> sensibench_core::Result<(Image, Option<LabelMap>)> {
    let reg = registry();
    let p = (reg.get(name)?.build)(options)?;
    p.apply(image, mask, value, &mut SeededRng::new(seed))
}

/// The JSON fixture `file` of `tests/reference/`, parsed; `what` names it
/// in the panic message when it cannot be read or parsed.
pub fn json_fixture<T: DeserializeOwned>(file: &str, what: &str) -> T {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/reference")
        .join(file);
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read the {what}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse the {what}: {e}"))
}

/// The little-endian `f32` values of file `path`.
pub fn read_f32(path: &Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}
