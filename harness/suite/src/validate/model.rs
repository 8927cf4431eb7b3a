//! `models:`: each model's backend (and its file or plugin), preprocessing,
//! output decoding and batch size.

use std::path::PathBuf;

use sensibench_core::ParamValue;
use serde_saphyr::Spanned;

use super::checker::Checker;
use super::preprocess::preprocess;
use crate::plan::{BackendPlan, Isolation, ModelPlan, Postprocess, Task};
use crate::position::{Pos, pos};
use crate::raw::{BackendKind, RawIsolate, RawModel, RawOptions, RawOutput};

/// The `models:` list of a suite of `task`: names unique, every model checked.
pub(super) fn models(
    ck: &mut Checker,
    list: &Spanned<Vec<Spanned<RawModel>>>,
    task: Task,
) -> Vec<ModelPlan> {
    ck.check_named_list(
        list,
        "`models` is empty; list at least one",
        "model name",
        |m| &m.name,
    );
    list.value
        .iter()
        .filter_map(|m| model(ck, &m.value, task))
        .collect()
}

/// One model; `None` when it has problems (all of them reported).
fn model(ck: &mut Checker, m: &RawModel, task: Task) -> Option<ModelPlan> {
    let errors_before = ck.errors.len();
    ck.check_name("model", &m.name);
    let backend = backend(ck, m);
    let preprocess = preprocess(ck, m.input.as_ref(), m.normalize.as_ref());
    let postprocess = postprocess(ck, m, task);
    let batch_size = match &m.batch_size {
        Some(b) if b.value == 0 => {
            ck.error(pos(b), "`batch_size` must be at least 1");
            1
        }
        Some(b) => b.value,
        None => 8,
    };
    if ck.errors.len() > errors_before {
        return None;
    }
    let isolate = match m.isolate.as_ref().map(|i| i.value) {
        Some(RawIsolate::Process) => Isolation::Process,
        Some(RawIsolate::InProcess) | None => Isolation::InProcess,
    };
    Some(ModelPlan {
        name: m.name.value.clone(),
        backend: backend?,
        preprocess,
        postprocess,
        batch_size,
        isolate,
    })
}

/// Reports `key` (written at `at`, if it is) as not applying to `backend`.
fn not_here(ck: &mut Checker, key: &str, at: Option<Pos>, backend: &str) {
    if let Some(at) = at {
        ck.error(
            at,
            format!("`{key}` does not apply to `backend: {backend}`"),
        );
    }
}

/// `backend:` and the keys that go with it.
fn backend(ck: &mut Checker, m: &RawModel) -> Option<BackendPlan> {
    if !matches!(m.backend.value, BackendKind::Native)
        && let Some(c) = &m.config
    {
        ck.error(
            pos(c),
            "`config` applies to `backend: native` (it is handed to the plugin's `create`)",
        );
    }
    let threads = m.threads.as_ref().map_or(0, |t| t.value);
    match m.backend.value {
        BackendKind::Onnx => {
            file_backend(ck, m, "onnx").map(|path| BackendPlan::Onnx { path, threads })
        }
        BackendKind::Native => native_backend(ck, m),
        BackendKind::Torchscript => file_backend(ck, m, "torchscript")
            .map(|path| BackendPlan::TorchScript { path, threads }),
        BackendKind::Null => {
            not_here(ck, "path", m.path.as_ref().map(pos), "null");
            not_here(ck, "plugin", m.plugin.as_ref().map(pos), "null");
            not_here(ck, "threads", m.threads.as_ref().map(pos), "null");
            Some(BackendPlan::Null)
        }
    }
}

/// The model file of a backend that reads one (`onnx`, `torchscript`).
fn file_backend(ck: &mut Checker, m: &RawModel, backend: &str) -> Option<PathBuf> {
    not_here(ck, "plugin", m.plugin.as_ref().map(pos), backend);
    match &m.path {
        Some(p) => model_file(ck, &m.name.value, p),
        None => {
            ck.error(
                pos(&m.backend),
                format!(
                    "model `{}`: `backend: {backend}` needs `path`",
                    m.name.value
                ),
            );
            None
        }
    }
}

/// `backend: native`: a plugin by name or a library file, and its `config:`.
fn native_backend(ck: &mut Checker, m: &RawModel) -> Option<BackendPlan> {
    let name = &m.name.value;
    let config = plugin_config(m.config.as_ref());
    not_here(ck, "threads", m.threads.as_ref().map(pos), "native");
    match (&m.plugin, &m.path) {
        (Some(plugin), None) => match (ck.ctx.catalog.resolve_plugin)(&plugin.value) {
            Ok(path) => Some(BackendPlan::Native { path, config }),
            Err(why) => {
                ck.error(
                    pos(plugin),
                    format!(
                        "model `{name}`: cannot find plugin `{}`: {why}",
                        plugin.value
                    ),
                );
                None
            }
        },
        (None, Some(p)) => model_file(ck, name, p).map(|path| BackendPlan::Native { path, config }),
        (Some(_), Some(p)) => {
            ck.error(
                pos(p),
                format!("model `{name}`: give `plugin` or `path`, not both"),
            );
            None
        }
        (None, None) => {
            ck.error(
                pos(&m.backend),
                format!("model `{name}`: `backend: native` needs `plugin` (a plugin name) or `path` (a library file)"),
            );
            None
        }
    }
}

/// The file `p` of model `name`, relative to the suite file's folder.
fn model_file(ck: &mut Checker, name: &str, p: &Spanned<String>) -> Option<PathBuf> {
    let full = ck.ctx.suite_dir.join(&p.value);
    match std::fs::metadata(&full) {
        Ok(meta) if meta.is_file() => Some(std::fs::canonicalize(&full).unwrap_or(full)),
        Ok(_) => {
            ck.error(
                pos(p),
                format!(
                    "model `{name}`: `{}` is not a file ({})",
                    p.value,
                    full.display()
                ),
            );
            None
        }
        Err(_) => {
            ck.error(
                pos(p),
                format!(
                    "model `{name}`: file `{}` not found (looked for {}; model paths are relative to the suite file's folder)",
                    p.value,
                    full.display()
                ),
            );
            None
        }
    }
}

/// `output:`, how the model's output is decoded, by task.
fn postprocess(ck: &mut Checker, m: &RawModel, task: Task) -> Postprocess {
    let name = &m.name.value;
    let output_at = m.output.as_ref().map_or(pos(&m.backend), pos);
    match (task, m.output.as_ref().map(|o| &o.value)) {
        (Task::Classification, None | Some(RawOutput::Softmax)) => Postprocess::Softmax,
        (Task::Classification, Some(RawOutput::Sigmoid)) => Postprocess::Sigmoid,
        (Task::Classification, Some(RawOutput::Probabilities)) => Postprocess::Probabilities,
        (Task::Classification, Some(_)) => {
            ck.error(
                output_at,
                format!("model `{name}`: a classifier's `output` is `softmax` (logits), `sigmoid` (logits) or `probabilities`"),
            );
            Postprocess::Softmax
        }
        (
            Task::Segmentation,
            Some(RawOutput::Softmax | RawOutput::Sigmoid | RawOutput::Probabilities),
        ) => {
            ck.error(
                output_at,
                format!("model `{name}`: a segmenter's `output` is `argmax`, `labels` or `{{sigmoid_threshold: p}}`"),
            );
            Postprocess::Argmax
        }
        (Task::Segmentation, None | Some(RawOutput::Argmax)) => Postprocess::Argmax,
        (Task::Segmentation, Some(RawOutput::Labels)) => Postprocess::Labels,
        (Task::Segmentation, Some(RawOutput::SigmoidThreshold(t))) => {
            if !(0.0..=1.0).contains(&t.value) {
                ck.error(
                    pos(t),
                    format!("`sigmoid_threshold` must be within [0, 1], got {}", t.value),
                );
            }
            Postprocess::SigmoidThreshold { threshold: t.value }
        }
    }
}
/// A native plugin's `config:` as the JSON object its `create` receives
/// (`{}` when absent); keys in file order.
fn plugin_config(raw: Option<&Spanned<RawOptions>>) -> String {
    let Some(c) = raw else {
        return "{}".into();
    };
    let fields: Vec<String> = c
        .value
        .0
        .iter()
        .map(|(k, v)| {
            let value = match &v.value {
                ParamValue::Bool(b) => b.to_string(),
                ParamValue::Number(x) if x.is_finite() => format!("{x}"),
                ParamValue::Number(_) => "null".into(),
                ParamValue::Text(t) => json_string(t),
            };
            format!("{}:{value}", json_string(&k.value))
        })
        .collect();
    format!("{{{}}}", fields.join(","))
}

/// `s` as a JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
