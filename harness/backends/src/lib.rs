//! Model backends behind the core [`Model`](sensibench_core::Model) trait:
//!
//! - [`native`]: native plugins (shared libraries following the
//!   `sensibench-plugin-sdk` C ABI), loaded with `libloading`;
//! - [`onnx`] (cargo feature `onnx`, on by default): ONNX models run by ONNX
//!   Runtime through `ort`, with the runtime library found at run time;
//! - [`null`]: the null model, which returns the reference so the harness's own
//!   overhead can be measured.
//!
//! [`sha256_file`] hashes a model file for the provenance columns of results.

pub mod native;
pub mod null;
#[cfg(feature = "onnx")]
pub mod onnx;

use std::io::Read;
use std::path::Path;

use sensibench_core::{Error, Result};
use sha2::{Digest, Sha256};

pub use native::{NativeModel, PluginInfo, resolve_plugin};
pub use null::NullModel;
#[cfg(feature = "onnx")]
pub use onnx::{OnnxModel, onnx_runtime_version};

/// The SHA-256 of a file's bytes as 64 lowercase hex digits.
pub fn sha256_file(path: &Path) -> Result<String> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Checks a model's output against its input: a `N x K x …` tensor with the
/// input's batch size and spatial extents and only finite values.
pub(crate) fn check_output(
    model: &str,
    input: &[usize],
    output: &[usize],
    data: &[f32],
) -> Result<()> {
    check_output_shape(model, input, output)?;
    check_finite(model, data)
}

/// Checks that an output of shape `output` fits an input of shape `input`:
/// `N x K x spatial` with the input's `N` and spatial extents.
pub fn check_output_shape(model: &str, input: &[usize], output: &[usize]) -> Result<()> {
    // a classifier: N x K class scores
    if output.len() == 2 && output.first() == input.first() && output[1] >= 1 {
        return Ok(());
    }
    if output.len() != input.len()
        || output.first() != input.first()
        || output.get(2..) != input.get(2..)
    {
        return Err(Error::Model {
            model: model.to_string(),
            reason: format!(
                "output shape {output:?} does not fit input shape {input:?}: expected N x K x spatial with the input's N and spatial extents (a segmenter) or N x K (a classifier)"
            ),
        });
    }
    Ok(())
}

/// Fails with the count and first position of non-finite values in `data`.
pub fn check_finite(model: &str, data: &[f32]) -> Result<()> {
    match sensibench_core::tensor::first_non_finite(data) {
        None => Ok(()),
        Some((i, first)) => {
            let bad = data.iter().filter(|v| !v.is_finite()).count();
            Err(Error::Model {
                model: model.to_string(),
                reason: format!(
                    "output contains {bad} non-finite value(s) (NaN or infinity), the first at flat index {i} ({first})"
                ),
            })
        }
    }
}
