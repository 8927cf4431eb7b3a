//! A model of the plan loaded through its backend (ONNX Runtime, libtorch, a
//! native plugin, the null model) in this process.

use sensibench_core::Model;
use sensibench_suite::plan::{BackendPlan, ModelPlan};

use crate::manifest::ModelInfo;

/// Why a TorchScript model or study cannot run in this build.
#[cfg(not(feature = "torch"))]
pub(crate) const NO_TORCH: &str = "this sensibench was built without the `torch` feature (TorchScript needs libtorch): build it with `make suite` or `cargo build --features sensibench-cli/torch` with LIBTORCH set";

/// Loads `mp` through its backend in this process (`isolate` is not looked
/// at: the worker process loads its model with this too). `threads` is read
/// by the ONNX and TorchScript backends only.
#[cfg_attr(not(any(feature = "onnx", feature = "torch")), allow(unused_variables))]
pub(crate) fn load_in_process(
    mp: &ModelPlan,
    threads: usize,
) -> (ModelInfo, std::result::Result<Box<dyn Model>, String>) {
    let (backend, path) = match &mp.backend {
        BackendPlan::Onnx { path, .. } => ("onnx", Some(path.clone())),
        BackendPlan::Native { path, .. } => ("native", Some(path.clone())),
        BackendPlan::TorchScript { path, .. } => ("torchscript", Some(path.clone())),
        BackendPlan::Null => ("null", None),
    };
    let hash = path
        .as_deref()
        .map(|p| sensibench_backends::sha256_file(p).unwrap_or_default())
        .unwrap_or_default();
    let model: std::result::Result<Box<dyn Model>, String> = match &mp.backend {
        #[cfg(feature = "onnx")]
        BackendPlan::Onnx { path, threads: t } => {
            // 0 means "all cores", for the suite's `threads` and for --threads alike
            let t = [*t, threads]
                .into_iter()
                .find(|&t| t > 0)
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
            sensibench_backends::onnx::OnnxModel::load(&mp.name, path, t)
                .map(|m| Box::new(m) as Box<dyn Model>)
                .map_err(|e| e.to_string())
        }
        #[cfg(not(feature = "onnx"))]
        BackendPlan::Onnx { .. } => {
            Err("this sensibench was built without the `onnx` feature".to_string())
        }
        #[cfg(feature = "torch")]
        BackendPlan::TorchScript { path, threads: t } => {
            let t = [*t, threads].into_iter().find(|&t| t > 0).unwrap_or(0);
            sensibench_backends_tch::TorchScriptModel::load(&mp.name, path, t)
                .map(|m| Box::new(m) as Box<dyn Model>)
                .map_err(|e| e.to_string())
        }
        #[cfg(not(feature = "torch"))]
        BackendPlan::TorchScript { .. } => Err(NO_TORCH.to_string()),
        BackendPlan::Native { path, config } => {
            sensibench_backends::native::NativeModel::load(&mp.name, path, config)
                .map(|m| Box::new(m) as Box<dyn Model>)
                .map_err(|e| e.to_string())
        }
        BackendPlan::Null => Ok(Box::new(sensibench_backends::null::NullModel::new(
            &mp.name,
        ))),
    };
    let info = ModelInfo {
        name: mp.name.clone(),
        backend: backend.to_string(),
        path: path.map(|p| p.display().to_string()).unwrap_or_default(),
        hash,
        load_error: model.as_ref().err().cloned(),
    };
    (info, model)
}
