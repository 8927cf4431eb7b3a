//! ONNX models run by ONNX Runtime through `ort` (cargo feature `onnx`).
//!
//! `ort` is built with `load-dynamic`: the runtime library is opened at run time.
//! It comes from the `onnxruntime==1.31.1` PyPI wheel, which `make setup` installs
//! into the git-ignored `.tools/ort` virtual environment of the project. The
//! library is found by [`find_onnx_runtime`]; the runtime is initialised once per
//! process (a failure is remembered and reported by every later load).

use std::ffi::OsStr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ndarray::{ArrayViewD, IxDyn};
use ort::environment::Environment;
use ort::session::{Session, SessionOutputs};
use ort::value::TensorRef;
use sensibench_core::{Batch, Error, Model, Result, Tensor, TensorView};

/// The environment variable naming the ONNX Runtime shared library explicitly.
pub const ORT_DYLIB_VAR: &str = "ORT_DYLIB_PATH";

/// The ONNX Runtime release the project pins (the `api-31` feature of `ort` needs >= 1.31).
pub const ONNX_RUNTIME_PIN: &str = "1.31.1";

const INSTALL_HINT: &str = "install ONNX Runtime with `make setup`, or run \
    `pip install onnxruntime==1.31.1` in a virtual environment and set ORT_DYLIB_PATH to its \
    site-packages/onnxruntime/capi/libonnxruntime.so.1.31.1";

/// The initialised runtime: its environment (kept alive for every session), the
/// library path and its version.
struct Runtime {
    env: Environment,
    path: PathBuf,
    version: String,
}

static RUNTIME: OnceLock<std::result::Result<Runtime, String>> = OnceLock::new();

/// Finds the ONNX Runtime library: `$ORT_DYLIB_PATH` when set (it must exist),
/// otherwise the first `.tools/ort/lib/python3*/site-packages/onnxruntime/capi/libonnxruntime.so*`
/// under the current folder, the running executable's folder, or any of their ancestors.
pub fn find_onnx_runtime() -> Result<PathBuf> {
    let var = std::env::var_os(ORT_DYLIB_VAR);
    let mut starts = Vec::new();
    if let Ok(cwd) = std::env::current_dir() {
        starts.push(cwd);
    }
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        starts.push(dir);
    }
    find_onnx_runtime_in(var.as_deref(), &starts)
}

/// [`find_onnx_runtime`] with the variable's value and the start folders given.
pub fn find_onnx_runtime_in(ort_dylib_path: Option<&OsStr>, starts: &[PathBuf]) -> Result<PathBuf> {
    if let Some(p) = ort_dylib_path.filter(|p| !p.is_empty()) {
        let path = PathBuf::from(p);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(Error::Other(format!(
                "ONNX Runtime library not found: {ORT_DYLIB_VAR}={} is not a file; {INSTALL_HINT}",
                path.display()
            )))
        };
    }
    let mut looked = Vec::new();
    for start in starts {
        for dir in start.ancestors() {
            let lib = dir.join(".tools").join("ort").join("lib");
            looked.push(lib.display().to_string());
            if let Some(found) = runtime_in_venv_lib(&lib) {
                return Ok(found);
            }
        }
    }
    Err(Error::Other(format!(
        "ONNX Runtime library not found: {ORT_DYLIB_VAR} is not set and no \
         .tools/ort/lib/python3*/site-packages/onnxruntime/capi/libonnxruntime.so* exists under {}; {INSTALL_HINT}",
        if looked.is_empty() {
            "(no folders)".to_string()
        } else {
            looked.join(", ")
        }
    )))
}

/// `lib/python3*/site-packages/onnxruntime/capi/libonnxruntime.so*` of a venv's `lib`,
/// preferring the most specific (versioned) name.
fn runtime_in_venv_lib(lib: &Path) -> Option<PathBuf> {
    let mut pythons: Vec<PathBuf> = std::fs::read_dir(lib)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("python3"))
        .map(|e| e.path())
        .collect();
    pythons.sort();
    for py in pythons {
        let capi = py.join("site-packages").join("onnxruntime").join("capi");
        let Ok(entries) = std::fs::read_dir(&capi) else {
            continue;
        };
        let mut libs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with("libonnxruntime.so")
            })
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        libs.sort_by_key(|p| std::cmp::Reverse(p.as_os_str().len()));
        if let Some(found) = libs.into_iter().next() {
            return Some(found);
        }
    }
    None
}

/// The version in a file name such as `libonnxruntime.so.1.31.1`.
fn version_from_file_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    let v = name.split_once(".so.")?.1;
    (!v.is_empty()).then(|| v.to_string())
}

fn init_runtime() -> std::result::Result<Runtime, String> {
    let path = find_onnx_runtime().map_err(|e| e.to_string())?;
    let attempt = catch_unwind(AssertUnwindSafe(
        || -> std::result::Result<Environment, String> {
            ort::init_from(&path)
                .map_err(|e| e.to_string())?
                .with_name("sensibench")
                .with_telemetry(false)
                .build()
                .map_err(|e| e.to_string())
        },
    ));
    let env = match attempt {
        Ok(Ok(env)) => env,
        Ok(Err(e)) => {
            return Err(format!(
                "could not initialise ONNX Runtime from {}: {e}; {INSTALL_HINT}",
                path.display()
            ));
        }
        Err(payload) => {
            return Err(format!(
                "could not initialise ONNX Runtime from {} (it panicked: {}); {INSTALL_HINT}",
                path.display(),
                sensibench_plugin_sdk::panic_message(&*payload)
            ));
        }
    };
    let version = version_from_file_name(&path).unwrap_or_else(|| ort::info().to_string());
    Ok(Runtime { env, path, version })
}

fn runtime() -> Result<&'static Runtime> {
    RUNTIME
        .get_or_init(init_runtime)
        .as_ref()
        .map_err(|e| Error::Other(e.clone()))
}

/// The version of the ONNX Runtime library in use (initialising it if needed), for
/// provenance, e.g. `1.31.1`.
pub fn onnx_runtime_version() -> Result<String> {
    runtime().map(|r| r.version.clone())
}

/// The path of the ONNX Runtime library in use (initialising it if needed).
pub fn onnx_runtime_path() -> Result<PathBuf> {
    runtime().map(|r| r.path.clone())
}

/// An ONNX model: feeds the batch to the graph's first input and returns its first
/// output, which must be `N x K x …` with the input's `N` and spatial extents
/// (a segmenter), or `N x K` (a classifier).
pub struct OnnxModel {
    name: String,
    path: PathBuf,
    session: Session,
    input_name: String,
    output_name: String,
}

impl OnnxModel {
    /// Loads the ONNX file at `path` with `threads` intra-op threads (>= 1; one
    /// inter-op thread). `name` is the model's name in messages and results.
    pub fn load(name: &str, path: &Path, threads: usize) -> Result<Self> {
        let fail = |reason: String| Error::Model {
            model: name.to_string(),
            reason,
        };
        if threads == 0 {
            return Err(Error::invalid("threads", 0, "at least 1 intra-op thread"));
        }
        if !path.is_file() {
            return Err(fail(format!("ONNX file {} not found", path.display())));
        }
        let rt = runtime()?;
        let session = Session::builder(&rt.env)
            .map_err(|e| e.to_string())
            .and_then(|b| b.with_intra_threads(threads).map_err(|e| e.to_string()))
            .and_then(|b| b.with_inter_threads(1).map_err(|e| e.to_string()))
            .and_then(|mut b| b.commit_from_file(path).map_err(|e| e.to_string()))
            .map_err(|e| fail(format!("could not load ONNX file {}: {e}", path.display())))?;
        let input_name = session
            .inputs()
            .first()
            .map(|o| o.name().to_string())
            .ok_or_else(|| fail(format!("ONNX file {} has no inputs", path.display())))?;
        let output_name = session
            .outputs()
            .first()
            .map(|o| o.name().to_string())
            .ok_or_else(|| fail(format!("ONNX file {} has no outputs", path.display())))?;
        Ok(OnnxModel {
            name: name.to_string(),
            path: path.to_path_buf(),
            session,
            input_name,
            output_name,
        })
    }

    /// The name of the graph input that receives the batch.
    pub fn input_name(&self) -> &str {
        &self.input_name
    }

    /// The name of the graph output that is returned.
    pub fn output_name(&self) -> &str {
        &self.output_name
    }

    /// The ONNX file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs the graph on `input` (`N x C x …`) and returns every output, in
    /// the graph's order, with its name (e.g. a classifier's `logits`,
    /// `features`, `head_weight`, `head_bias` for CRM). Outputs that are not
    /// `f32` tensors are an error naming them.
    pub fn run_all(&mut self, input: &Tensor) -> Result<Vec<(String, Tensor)>> {
        let names = self.output_names();
        let outputs = run_session(&mut self.session, &self.name, &self.input_name, input)?;
        let mut out = Vec::with_capacity(names.len());
        for n in names {
            let (shape, data) = f32_output(&outputs, &self.name, &n)?;
            out.push((n, Tensor::new(shape, data.to_vec())?));
        }
        Ok(out)
    }

    /// The names of the graph's outputs, in order.
    pub fn output_names(&self) -> Vec<String> {
        self.session
            .outputs()
            .iter()
            .map(|o| o.name().to_string())
            .collect()
    }

    /// The underlying ONNX Runtime session, for measuring it without the
    /// harness around it (the overhead benchmark).
    pub fn session_mut(&mut self) -> &mut Session {
        &mut self.session
    }
}

impl Model for OnnxModel {
    fn name(&self) -> &str {
        &self.name
    }

    fn predict(&mut self, batch: &Batch<'_>) -> Result<Tensor> {
        let mut out: Option<(Tensor, bool)> = None;
        self.predict_view(batch, &mut |view| {
            let (data, finite) = sensibench_core::tensor::copy_checking_finite(view.data());
            out = Tensor::new(view.shape().to_vec(), data)
                .ok()
                .map(|t| (t, finite));
        })?;
        let (tensor, finite) = out.ok_or_else(|| Error::Model {
            model: self.name.clone(),
            reason: "no output".into(),
        })?;
        if !finite {
            crate::check_finite(&self.name, tensor.data())?;
        }
        Ok(tensor)
    }

    fn predict_view(
        &mut self,
        batch: &Batch<'_>,
        consume: &mut dyn FnMut(TensorView<'_>),
    ) -> Result<()> {
        let input = batch.input;
        let outputs = run_session(&mut self.session, &self.name, &self.input_name, input)?;
        let (shape, data) = f32_output(&outputs, &self.name, &self.output_name)?;
        crate::check_output_shape(&self.name, input.shape(), &shape)?;
        consume(TensorView::new(&shape, data)?);
        Ok(())
    }
}

/// An [`Error::Model`] of model `model`: `what: e`.
fn model_error(model: &str, what: &str, e: impl std::fmt::Display) -> Error {
    Error::Model {
        model: model.to_string(),
        reason: format!("{what}: {e}"),
    }
}

/// Runs `session` of model `model` on `input`, fed as graph input
/// `input_name`.
fn run_session<'s>(
    session: &'s mut Session,
    model: &str,
    input_name: &str,
    input: &Tensor,
) -> Result<SessionOutputs<'s>> {
    let view = ArrayViewD::from_shape(IxDyn(input.shape()), input.data())
        .map_err(|e| model_error(model, "input tensor", e))?;
    let value =
        TensorRef::from_array_view(view).map_err(|e| model_error(model, "input tensor", e))?;
    session
        .run(ort::inputs![input_name => value])
        .map_err(|e| model_error(model, "ONNX Runtime run failed", e))
}

/// Graph output `output` of model `model` as an `f32` tensor: its shape
/// and values; an error when the session returned none or another type.
fn f32_output<'o>(
    outputs: &'o SessionOutputs<'_>,
    model: &str,
    output: &str,
) -> Result<(Vec<usize>, &'o [f32])> {
    let value = outputs.get(output).ok_or_else(|| {
        model_error(
            model,
            "output",
            format!("the session returned no output `{output}`"),
        )
    })?;
    let (shape, data) = value
        .try_extract_tensor::<f32>()
        .map_err(|e| model_error(model, &format!("output `{output}` is not an f32 tensor"), e))?;
    let shape: Vec<usize> = shape
        .iter()
        .map(|&d| usize::try_from(d).unwrap_or(0))
        .collect();
    Ok((shape, data))
}

impl std::fmt::Debug for OnnxModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxModel")
            .field("name", &self.name)
            .field("path", &self.path)
            .field("input_name", &self.input_name)
            .field("output_name", &self.output_name)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_from_wheel_file_name() {
        assert_eq!(
            version_from_file_name(Path::new("/x/libonnxruntime.so.1.31.1")).as_deref(),
            Some("1.31.1")
        );
        assert_eq!(
            version_from_file_name(Path::new("/x/libonnxruntime.so")),
            None
        );
    }
}
