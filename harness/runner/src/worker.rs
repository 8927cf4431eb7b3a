//! `isolate: process`: a model run in a worker subprocess, so that a model
//! which crashes its process (a segfault in a plugin, an abort in a runtime)
//! fails its own rows with the reason and the run goes on.
//!
//! # Processes
//!
//! The harness ([`load_isolated`]) starts the worker executable with the
//! argument `worker`: the `sensibench` CLI, found as
//! 1. the path in `$SENSIBENCH_WORKER` ([`WORKER_ENV`]), if set and not empty;
//! 2. the running executable itself, when its file stem is `sensibench`;
//! 3. `sensibench` next to the running executable, or in its parent folder
//!    (test binaries live in `target/debug/deps`).
//!
//! The worker ([`serve_stdio`]) loads the model in its own process with the
//! in-process loader and serves predictions on stdin/stdout until stdin ends.
//! Its stderr is forwarded to the harness's stderr as it comes, and its last
//! [`STDERR_TAIL`] bytes are kept for the failure message.
//!
//! # Protocol
//!
//! Every message is a *frame*: the 4 bytes `SBW1` ([`MAGIC`]), a one-byte tag,
//! the payload length as a little-endian `u64`, then the payload. A tensor is
//! encoded as `ndim: u32 LE`, `ndim` extents as `u64 LE`, then the elements as
//! `f32 LE`, row-major.
//!
//! | direction | tag | payload |
//! |-----------|-----|---------|
//! | harness → worker | `S` spec (first frame) | JSON: `name`, `backend` (`onnx`, `native`, `torchscript`, `null`), `path`, `config`, `backend_threads`, `threads` |
//! | worker → harness | `R` ready | JSON: `needs_reference` |
//! | worker → harness | `E` error | UTF-8 message (the load error, after `S`; the model's error, after `P`) |
//! | harness → worker | `P` predict | flags `u8` (bit 0: a reference follows), the input tensor, then the reference tensor if flagged |
//! | worker → harness | `T` tensor | the output tensor |
//!
//! # Crashes
//!
//! When the worker dies (end of its stdout, a broken pipe, a garbled frame),
//! the batch fails with `worker process of model `X` died: killed by signal
//! 11 (SIGSEGV)` (or `exited with status N`) plus the tail of its stderr, and
//! the next batch starts a new worker. After [`MAX_CRASHES`] deaths in a row
//! without a successful batch between them, no new worker is started and every
//! later batch fails at once with the last reason. A model *error* (the worker
//! alive, replying `E`) fails only its batch, as in process.

use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use sensibench_core::{Batch, Error, Model, Tensor, TensorView};
use sensibench_suite::plan::{
    BackendPlan, Fit, Isolation, ModelPlan, Normalize, Postprocess, Preprocess,
};

use crate::manifest::ModelInfo;

/// The environment variable naming the worker executable (the `sensibench` CLI).
pub const WORKER_ENV: &str = "SENSIBENCH_WORKER";

/// Deaths in a row after which a model's worker is not started again.
pub const MAX_CRASHES: usize = 3;

/// The first bytes of every frame.
pub const MAGIC: [u8; 4] = *b"SBW1";

/// How many trailing bytes of a worker's stderr a failure message quotes (at most).
pub const STDERR_TAIL: usize = 2000;

const TAG_SPEC: u8 = b'S';
const TAG_READY: u8 = b'R';
const TAG_ERROR: u8 = b'E';
const TAG_PREDICT: u8 = b'P';
const TAG_TENSOR: u8 = b'T';

/// How long a worker whose pipes closed may take to exit before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(2);

// ---------------------------------------------------------------- framing

/// One protocol message: a tag and its payload.
#[derive(Debug, PartialEq)]
struct Frame {
    tag: u8,
    payload: Vec<u8>,
}

/// Writes one frame (header, then the payload pieces in order) and flushes.
fn write_frame(w: &mut impl Write, tag: u8, payload: &[&[u8]]) -> io::Result<()> {
    let len: usize = payload.iter().map(|p| p.len()).sum();
    let mut header = [0u8; 13];
    header[..4].copy_from_slice(&MAGIC);
    header[4] = tag;
    header[5..].copy_from_slice(&(len as u64).to_le_bytes());
    w.write_all(&header)?;
    for p in payload {
        w.write_all(p)?;
    }
    w.flush()
}

/// Reads one frame; `Ok(None)` at a clean end of the stream (before a header).
/// A partial header or payload is `UnexpectedEof`; a header without the magic
/// is `InvalidData`.
fn read_frame(r: &mut impl Read) -> io::Result<Option<Frame>> {
    let mut header = [0u8; 13];
    let mut filled = 0;
    while filled < header.len() {
        match r.read(&mut header[filled..]) {
            Ok(0) if filled == 0 => return Ok(None),
            Ok(0) if header[..filled.min(4)] != MAGIC[..filled.min(4)] => {
                return Err(garbled(&header[..filled]));
            }
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("the stream ended inside a frame header ({filled} of 13 bytes)"),
                ));
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    if header[..4] != MAGIC {
        return Err(garbled(&header));
    }
    let tag = header[4];
    let mut len_bytes = [0u8; 8];
    len_bytes.copy_from_slice(&header[5..]);
    let len = u64::from_le_bytes(len_bytes);
    // grow as the bytes arrive: a garbled length cannot allocate up front
    let mut payload = Vec::new();
    r.take(len).read_to_end(&mut payload)?;
    if payload.len() as u64 != len {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!(
                "the stream ended inside a frame of {len} bytes (after {})",
                payload.len()
            ),
        ));
    }
    Ok(Some(Frame { tag, payload }))
}

/// The error of a stream that does not start with [`MAGIC`].
fn garbled(bytes: &[u8]) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "expected a frame starting with {:?}, found bytes {:?} (does the model write to stdout?)",
            String::from_utf8_lossy(&MAGIC),
            String::from_utf8_lossy(bytes)
        ),
    )
}

/// Appends `shape` and `data` as a tensor (see the module docs).
fn encode_tensor(out: &mut Vec<u8>, shape: &[usize], data: &[f32]) {
    out.reserve(4 + 8 * shape.len() + 4 * data.len());
    out.extend_from_slice(&(shape.len() as u32).to_le_bytes());
    for &d in shape {
        out.extend_from_slice(&(d as u64).to_le_bytes());
    }
    for &x in data {
        out.extend_from_slice(&x.to_le_bytes());
    }
}

/// Reads a tensor at `*pos` of `buf` and advances `*pos` past it.
fn decode_tensor(buf: &[u8], pos: &mut usize) -> Result<Tensor, String> {
    let take = |pos: &mut usize, n: usize, what: &str| -> Result<&[u8], String> {
        let end = pos
            .checked_add(n)
            .filter(|&e| e <= buf.len())
            .ok_or_else(|| {
                format!(
                    "truncated tensor: {what} needs {n} bytes at offset {}, the message has {}",
                    *pos,
                    buf.len()
                )
            })?;
        let s = &buf[*pos..end];
        *pos = end;
        Ok(s)
    };
    let mut b4 = [0u8; 4];
    b4.copy_from_slice(take(pos, 4, "the rank")?);
    let ndim = u32::from_le_bytes(b4) as usize;
    if ndim > 16 {
        return Err(format!("tensor rank {ndim} is more than 16"));
    }
    let mut shape = Vec::with_capacity(ndim);
    for _ in 0..ndim {
        let mut b8 = [0u8; 8];
        b8.copy_from_slice(take(pos, 8, "an extent")?);
        let d = u64::from_le_bytes(b8);
        shape.push(usize::try_from(d).map_err(|_| format!("tensor extent {d} is too large"))?);
    }
    let n = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .and_then(|n| n.checked_mul(4).map(|_| n))
        .ok_or_else(|| format!("tensor shape {shape:?} has too many elements"))?;
    let bytes = take(pos, n * 4, "the elements")?;
    let data: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    Tensor::new(shape, data).map_err(|e| e.to_string())
}

/// The payload of a `P` frame.
fn encode_request(input: &Tensor, reference: Option<&Tensor>) -> Vec<u8> {
    let mut out = vec![u8::from(reference.is_some())];
    encode_tensor(&mut out, input.shape(), input.data());
    if let Some(r) = reference {
        encode_tensor(&mut out, r.shape(), r.data());
    }
    out
}

/// Reads a `P` payload: the input and the optional reference.
fn decode_request(buf: &[u8]) -> Result<(Tensor, Option<Tensor>), String> {
    let flags = *buf
        .first()
        .ok_or_else(|| "empty predict request".to_string())?;
    let mut pos = 1;
    let input = decode_tensor(buf, &mut pos).map_err(|e| format!("input: {e}"))?;
    let reference = if flags & 1 == 1 {
        Some(decode_tensor(buf, &mut pos).map_err(|e| format!("reference: {e}"))?)
    } else {
        None
    };
    if pos != buf.len() {
        return Err(format!(
            "predict request has {} bytes after its tensors",
            buf.len() - pos
        ));
    }
    Ok((input, reference))
}

/// What the worker needs to load the model: the parts of a [`ModelPlan`]
/// the loader reads.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct WorkerSpec {
    /// The model's name.
    name: String,
    /// `onnx`, `native`, `torchscript` or `null`.
    backend: String,
    /// The model file or plugin library (empty for `null`).
    path: PathBuf,
    /// A native plugin's configuration JSON (empty otherwise).
    config: String,
    /// The backend's own thread count (`threads:` of onnx / torchscript).
    backend_threads: usize,
    /// The run's thread count (`--threads`).
    threads: usize,
}

impl WorkerSpec {
    fn of(mp: &ModelPlan, threads: usize) -> Self {
        let (backend, path, config, backend_threads) = match &mp.backend {
            BackendPlan::Onnx { path, threads } => ("onnx", path.clone(), String::new(), *threads),
            BackendPlan::Native { path, config } => ("native", path.clone(), config.clone(), 0),
            BackendPlan::TorchScript { path, threads } => {
                ("torchscript", path.clone(), String::new(), *threads)
            }
            BackendPlan::Null => ("null", PathBuf::new(), String::new(), 0),
        };
        WorkerSpec {
            name: mp.name.clone(),
            backend: backend.into(),
            path,
            config,
            backend_threads,
            threads,
        }
    }

    /// The model plan the in-process loader gets in the worker (the pre- and
    /// post-processing stay with the harness; only the backend matters here).
    fn model_plan(&self) -> Result<ModelPlan, String> {
        let backend = match self.backend.as_str() {
            "onnx" => BackendPlan::Onnx {
                path: self.path.clone(),
                threads: self.backend_threads,
            },
            "native" => BackendPlan::Native {
                path: self.path.clone(),
                config: self.config.clone(),
            },
            "torchscript" => BackendPlan::TorchScript {
                path: self.path.clone(),
                threads: self.backend_threads,
            },
            "null" => BackendPlan::Null,
            other => {
                return Err(format!(
                    "worker spec of model `{}`: unknown backend `{other}` (expected onnx, native, torchscript or null)",
                    self.name
                ));
            }
        };
        Ok(ModelPlan {
            name: self.name.clone(),
            backend,
            preprocess: Preprocess {
                size: None,
                fit: Fit::Resize,
                normalize: Normalize::None,
            },
            postprocess: Postprocess::Labels,
            batch_size: 1,
            isolate: Isolation::InProcess,
        })
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Ready {
    needs_reference: bool,
}

// ---------------------------------------------------------------- worker side

/// The worker side: reads the spec from stdin, loads the model in this
/// process (with the in-process loader) and answers predict requests on
/// stdout until stdin ends. Called by the hidden `sensibench worker`
/// subcommand; a load error is sent to the harness and also returned.
pub fn serve_stdio() -> Result<(), String> {
    let stdin = io::stdin().lock();
    // a duplicate of fd 1 as a plain file: unbuffered by std's line writer
    let stdout = {
        use std::os::fd::AsFd;
        io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .map(std::fs::File::from)
            .map_err(|e| format!("worker: cannot use stdout: {e}"))?
    };
    serve(BufReader::new(stdin), BufWriter::new(stdout))
}

/// [`serve_stdio`] on any pair of streams.
fn serve(mut input: impl Read, mut output: impl Write) -> Result<(), String> {
    let io_err = |e: io::Error| format!("worker: {e}");
    let spec_frame = read_frame(&mut input)
        .map_err(io_err)?
        .ok_or_else(|| "worker: stdin ended before the model spec".to_string())?;
    if spec_frame.tag != TAG_SPEC {
        return Err(format!(
            "worker: expected the spec frame first, got tag {:?}",
            char::from(spec_frame.tag)
        ));
    }
    let spec: WorkerSpec = serde_json::from_slice(&spec_frame.payload)
        .map_err(|e| format!("worker: the model spec is not valid: {e}"))?;
    let loaded = spec
        .model_plan()
        .and_then(|mp| crate::backend::load_in_process(&mp, spec.threads).1);
    let mut model = match loaded {
        Ok(m) => m,
        Err(reason) => {
            write_frame(&mut output, TAG_ERROR, &[reason.as_bytes()]).map_err(io_err)?;
            return Err(reason);
        }
    };
    let ready = serde_json::to_vec(&Ready {
        needs_reference: model.needs_reference(),
    })
    .map_err(|e| format!("worker: {e}"))?;
    write_frame(&mut output, TAG_READY, &[&ready]).map_err(io_err)?;

    while let Some(frame) = read_frame(&mut input).map_err(io_err)? {
        if frame.tag != TAG_PREDICT {
            return Err(format!(
                "worker: expected a predict frame, got tag {:?}",
                char::from(frame.tag)
            ));
        }
        let reply = decode_request(&frame.payload)
            .map_err(|e| format!("worker: bad predict request: {e}"))
            .and_then(|(x, r)| predict_encoded(model.as_mut(), &x, r.as_ref()));
        match reply {
            Ok(tensor) => write_frame(&mut output, TAG_TENSOR, &[&tensor]),
            Err(reason) => write_frame(&mut output, TAG_ERROR, &[reason.as_bytes()]),
        }
        .map_err(io_err)?;
    }
    Ok(())
}

/// Runs the model and encodes its output where the backend left it; the
/// model's error (its reason only: the harness names the model) or panic as `Err`.
fn predict_encoded(
    model: &mut dyn Model,
    input: &Tensor,
    reference: Option<&Tensor>,
) -> Result<Vec<u8>, String> {
    let batch = Batch { input, reference };
    let mut encoded = Vec::new();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        model.predict_view(&batch, &mut |out| {
            encode_tensor(&mut encoded, out.shape(), out.data());
        })
    }));
    match result {
        Ok(Ok(())) => Ok(encoded),
        Ok(Err(Error::Model { reason, .. })) => Err(reason),
        Ok(Err(e)) => Err(e.to_string()),
        Err(payload) => Err(format!("panicked: {}", panic_text(&*payload))),
    }
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".into()
    }
}

// ---------------------------------------------------------------- harness side

/// Loads `mp` in a worker process: the [`ModelInfo`] is the in-process
/// loader's (backend, path, file hash), and the model is a [`ProcessModel`],
/// or the load error (the worker's message, or why no worker could start).
pub(crate) fn load_isolated(
    mp: &ModelPlan,
    threads: usize,
) -> (ModelInfo, Result<Box<dyn Model>, String>) {
    let spec = WorkerSpec::of(mp, threads);
    let path = (spec.backend != "null").then(|| spec.path.clone());
    let hash = path
        .as_deref()
        .map(|p| sensibench_backends::sha256_file(p).unwrap_or_default())
        .unwrap_or_default();
    let model = worker_program(&mp.name).and_then(|program| {
        ProcessModel::start(program, vec!["worker".into()], spec.clone())
            .map(|m| Box::new(m) as Box<dyn Model>)
    });
    let info = ModelInfo {
        name: mp.name.clone(),
        backend: spec.backend.clone(),
        path: path.map(|p| p.display().to_string()).unwrap_or_default(),
        hash,
        load_error: model.as_ref().err().cloned(),
    };
    (info, model)
}

/// The worker executable (see the module docs for the search order).
fn worker_program(model: &str) -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os(WORKER_ENV).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe().map_err(|e| {
        format!("model `{model}` (isolate: process): cannot find the running executable: {e}")
    })?;
    if exe.file_stem().is_some_and(|s| s == "sensibench") {
        return Ok(exe);
    }
    let name = format!("sensibench{}", std::env::consts::EXE_SUFFIX);
    let dir = exe.parent().unwrap_or(Path::new("."));
    let candidates: Vec<PathBuf> = [Some(dir), dir.parent()]
        .into_iter()
        .flatten()
        .map(|d| d.join(&name))
        .collect();
    candidates
        .iter()
        .find(|c| c.is_file())
        .cloned()
        .ok_or_else(|| {
            format!(
                "model `{model}` (isolate: process): cannot find the `sensibench` executable to run its worker process; looked at {}; set {WORKER_ENV} to its path",
                candidates
                    .iter()
                    .map(|c| c.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

/// The last bytes a worker wrote to stderr.
#[derive(Default)]
struct Tail {
    bytes: Vec<u8>,
}

impl Tail {
    fn push(&mut self, chunk: &[u8]) {
        self.bytes.extend_from_slice(chunk);
        if self.bytes.len() > 2 * STDERR_TAIL {
            let cut = self.bytes.len() - STDERR_TAIL;
            self.bytes.drain(..cut);
        }
    }

    /// At most the last [`STDERR_TAIL`] bytes, trimmed, as text.
    fn text(&self) -> String {
        let start = self.bytes.len().saturating_sub(STDERR_TAIL);
        String::from_utf8_lossy(&self.bytes[start..])
            .trim()
            .to_string()
    }
}

/// A running worker process and its pipes.
struct Worker {
    child: Child,
    stdin: Option<BufWriter<ChildStdin>>,
    stdout: BufReader<ChildStdout>,
    stderr: Arc<Mutex<Tail>>,
    /// Signalled when the stderr reader has seen the end of the pipe.
    stderr_done: mpsc::Receiver<()>,
}

impl Worker {
    fn spawn(program: &Path, args: &[String], name: &str) -> Result<Self, String> {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                format!(
                    "cannot start the worker process of model `{name}` ({}): {e}",
                    program.display()
                )
            })?;
        let (Some(stdin), Some(stdout), Some(mut stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "the worker process of model `{name}` started without its pipes"
            ));
        };
        let tail = Arc::new(Mutex::new(Tail::default()));
        let (done_tx, done_rx) = mpsc::channel();
        let sink = Arc::clone(&tail);
        std::thread::Builder::new()
            .name(format!("worker-stderr-{name}"))
            .spawn(move || {
                let mut buf = [0u8; 4096];
                loop {
                    match stderr.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => {
                            let _ = io::stderr().write_all(&buf[..n]);
                            sink.lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .push(&buf[..n]);
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(_) => break,
                    }
                }
                let _ = done_tx.send(());
            })
            .map_err(|e| format!("cannot start the stderr reader of model `{name}`: {e}"))?;
        Ok(Worker {
            child,
            stdin: Some(BufWriter::new(stdin)),
            stdout: BufReader::new(stdout),
            stderr: tail,
            stderr_done: done_rx,
        })
    }

    /// Sends one frame; an error means the worker is gone (or stuck).
    fn send(&mut self, tag: u8, payload: &[&[u8]]) -> io::Result<()> {
        match self.stdin.as_mut() {
            Some(w) => write_frame(w, tag, payload),
            None => Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the worker's stdin is closed",
            )),
        }
    }

    /// Closes the worker's stdin, waits for it to exit (killing it after
    /// [`EXIT_GRACE`]) and says how it ended, with the tail of its stderr.
    fn finish(mut self) -> String {
        drop(self.stdin.take());
        let status = wait_with_grace(&mut self.child, EXIT_GRACE);
        // the stderr pipe ends with the process (unless it left children behind)
        let _ = self.stderr_done.recv_timeout(Duration::from_millis(500));
        let tail = self.stderr.lock().unwrap_or_else(|e| e.into_inner()).text();
        let how = match status {
            Ok(s) => describe_status(s),
            Err(e) => format!("its exit status is unknown ({e})"),
        };
        if tail.is_empty() {
            how
        } else {
            format!("{how}; its stderr ended with: {tail}")
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // an orderly end: EOF on stdin lets the worker release the model
        drop(self.stdin.take());
        let _ = wait_with_grace(&mut self.child, Duration::from_millis(500));
    }
}

/// Waits for `child`, killing it if it has not exited within `grace`.
fn wait_with_grace(child: &mut Child, grace: Duration) -> io::Result<ExitStatus> {
    let start = Instant::now();
    loop {
        if let Some(s) = child.try_wait()? {
            return Ok(s);
        }
        if start.elapsed() >= grace {
            let _ = child.kill();
            return child.wait();
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// `killed by signal 11 (SIGSEGV)` or `exited with status N`.
fn describe_status(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            let core = if status.core_dumped() {
                ", core dumped"
            } else {
                ""
            };
            return match signal_name(sig) {
                Some(n) => format!("killed by signal {sig} ({n}){core}"),
                None => format!("killed by signal {sig}{core}"),
            };
        }
    }
    match status.code() {
        Some(c) => format!("exited with status {c}"),
        None => format!("ended: {status}"),
    }
}

/// The name of a Linux signal number, for the common fatal ones.
fn signal_name(sig: i32) -> Option<&'static str> {
    Some(match sig {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        15 => "SIGTERM",
        24 => "SIGXCPU",
        25 => "SIGXFSZ",
        31 => "SIGSYS",
        _ => return None,
    })
}

/// A model that runs in a worker process (see the module docs): a crash of
/// the worker fails the batch, and the next batch starts a new worker, up to
/// [`MAX_CRASHES`] deaths in a row.
pub struct ProcessModel {
    name: String,
    program: PathBuf,
    args: Vec<String>,
    spec: Vec<u8>,
    needs_reference: bool,
    worker: Option<Worker>,
    /// Deaths since the last successful batch.
    crashes: usize,
    /// Why the last worker died.
    last_death: Option<String>,
}

/// A reply of the worker to a predict request.
enum Reply {
    Output(Tensor),
    ModelError(String),
}

impl ProcessModel {
    /// Starts the worker `program args…` for the model `spec` and waits until
    /// it has loaded the model. Errors: the worker's load error, or why it
    /// could not start or died while loading.
    fn start(program: PathBuf, args: Vec<String>, spec: WorkerSpec) -> Result<Self, String> {
        let spec_json = serde_json::to_vec(&spec)
            .map_err(|e| format!("model `{}`: cannot encode the worker spec: {e}", spec.name))?;
        let mut model = ProcessModel {
            name: spec.name,
            program,
            args,
            spec: spec_json,
            needs_reference: false,
            worker: None,
            crashes: 0,
            last_death: None,
        };
        let (worker, ready) = model.spawn()?;
        model.needs_reference = ready.needs_reference;
        model.worker = Some(worker);
        Ok(model)
    }

    /// Starts a worker and waits for its `R` (ready) frame.
    fn spawn(&self) -> Result<(Worker, Ready), String> {
        let mut worker = Worker::spawn(&self.program, &self.args, &self.name)?;
        // a write error means the worker died: its reply (or EOF) tells why
        let _ = worker.send(TAG_SPEC, &[&self.spec]);
        match read_frame(&mut worker.stdout) {
            Ok(Some(Frame {
                tag: TAG_READY,
                payload,
            })) => match serde_json::from_slice::<Ready>(&payload) {
                Ok(ready) => Ok((worker, ready)),
                Err(e) => Err(self.died(worker, &format!("a garbled ready message ({e})"))),
            },
            Ok(Some(Frame {
                tag: TAG_ERROR,
                payload,
            })) => {
                drop(worker);
                Err(String::from_utf8_lossy(&payload).into_owned())
            }
            Ok(Some(Frame { tag, .. })) => Err(self.died(
                worker,
                &format!("an unexpected reply (tag {:?})", char::from(tag)),
            )),
            Ok(None) => Err(self.died(worker, "")),
            Err(e) => Err(self.died(worker, &e.to_string())),
        }
    }

    /// Ends a worker that failed and says so: `worker process of model `X`
    /// died: <how>` (with `detail`, what the harness saw, when not a plain EOF).
    fn died(&self, worker: Worker, detail: &str) -> String {
        let how = worker.finish();
        if detail.is_empty() {
            format!("worker process of model `{}` died: {how}", self.name)
        } else {
            format!(
                "worker process of model `{}` died: {how} (the harness read {detail})",
                self.name
            )
        }
    }

    /// Sends one batch to the worker (starting one if needed) and reads the reply.
    fn call(&mut self, batch: &Batch<'_>) -> Result<Reply, Error> {
        let worker = match self.worker.take() {
            Some(w) => w,
            None => {
                if self.crashes >= MAX_CRASHES {
                    return Err(Error::Other(format!(
                        "worker process of model `{}` died {} times in a row and is not restarted; the last time: {}",
                        self.name,
                        self.crashes,
                        self.last_death.as_deref().unwrap_or("unknown")
                    )));
                }
                match self.spawn() {
                    Ok((w, _)) => w,
                    Err(reason) => return Err(self.crashed(reason)),
                }
            }
        };
        let mut worker = worker;
        let request = encode_request(batch.input, batch.reference);
        // on a write error, read anyway: EOF (the worker is gone) tells why
        let _ = worker.send(TAG_PREDICT, &[&request]);
        match read_frame(&mut worker.stdout) {
            Ok(Some(Frame {
                tag: TAG_TENSOR,
                payload,
            })) => {
                let mut pos = 0;
                match decode_tensor(&payload, &mut pos) {
                    Ok(t) if pos == payload.len() => {
                        self.worker = Some(worker);
                        self.crashes = 0;
                        Ok(Reply::Output(t))
                    }
                    Ok(_) => Err(self.crashed_worker(worker, "an output with trailing bytes")),
                    Err(e) => Err(self.crashed_worker(worker, &format!("a garbled output: {e}"))),
                }
            }
            Ok(Some(Frame {
                tag: TAG_ERROR,
                payload,
            })) => {
                self.worker = Some(worker);
                self.crashes = 0;
                Ok(Reply::ModelError(
                    String::from_utf8_lossy(&payload).into_owned(),
                ))
            }
            Ok(Some(Frame { tag, .. })) => Err(self.crashed_worker(
                worker,
                &format!("an unexpected reply (tag {:?})", char::from(tag)),
            )),
            Ok(None) => Err(self.crashed_worker(worker, "")),
            Err(e) => Err(self.crashed_worker(worker, &e.to_string())),
        }
    }

    fn crashed_worker(&mut self, worker: Worker, detail: &str) -> Error {
        let reason = self.died(worker, detail);
        self.crashed(reason)
    }

    /// Counts a death and returns the batch's error.
    fn crashed(&mut self, reason: String) -> Error {
        self.crashes += 1;
        self.last_death = Some(reason.clone());
        Error::Other(reason)
    }

    fn model_error(&self, reason: String) -> Error {
        Error::Model {
            model: self.name.clone(),
            reason,
        }
    }
}

impl Model for ProcessModel {
    fn name(&self) -> &str {
        &self.name
    }

    fn predict(&mut self, batch: &Batch<'_>) -> sensibench_core::Result<Tensor> {
        match self.call(batch)? {
            Reply::Output(t) => {
                sensibench_backends::check_output_shape(
                    &self.name,
                    batch.input.shape(),
                    t.shape(),
                )?;
                sensibench_backends::check_finite(&self.name, t.data())?;
                Ok(t)
            }
            Reply::ModelError(reason) => Err(self.model_error(reason)),
        }
    }

    fn predict_view(
        &mut self,
        batch: &Batch<'_>,
        consume: &mut dyn FnMut(TensorView<'_>),
    ) -> sensibench_core::Result<()> {
        match self.call(batch)? {
            Reply::Output(t) => {
                sensibench_backends::check_output_shape(
                    &self.name,
                    batch.input.shape(),
                    t.shape(),
                )?;
                consume(t.view());
                Ok(())
            }
            Reply::ModelError(reason) => Err(self.model_error(reason)),
        }
    }

    fn needs_reference(&self) -> bool {
        self.needs_reference
    }
}

impl std::fmt::Debug for ProcessModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessModel")
            .field("name", &self.name)
            .field("program", &self.program)
            .field("crashes", &self.crashes)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(bytes: &[u8]) -> Vec<Frame> {
        let mut r = bytes;
        let mut out = Vec::new();
        while let Some(f) = read_frame(&mut r).expect("frame") {
            out.push(f);
        }
        out
    }

    #[test]
    fn frames_round_trip_and_end_cleanly() {
        let mut buf = Vec::new();
        write_frame(&mut buf, TAG_SPEC, &[b"ab", b"c"]).expect("write");
        write_frame(&mut buf, TAG_ERROR, &[]).expect("write");
        // hand-worked header: magic, tag, length 3 as u64 LE
        assert_eq!(&buf[..13], b"SBW1S\x03\0\0\0\0\0\0\0");
        assert_eq!(&buf[13..16], b"abc");
        assert_eq!(buf.len(), 16 + 13);
        let f = frames(&buf);
        assert_eq!(
            f,
            vec![
                Frame {
                    tag: TAG_SPEC,
                    payload: b"abc".to_vec()
                },
                Frame {
                    tag: TAG_ERROR,
                    payload: Vec::new()
                }
            ]
        );
    }

    #[test]
    fn broken_frames_are_errors() {
        let mut buf = Vec::new();
        write_frame(&mut buf, TAG_TENSOR, &[b"hello"]).expect("write");
        for cut in [1, 12, 13, 17] {
            let e = read_frame(&mut &buf[..cut]).expect_err("truncated");
            assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof, "cut {cut}: {e}");
        }
        let mut garbled = b"hello world\n".to_vec();
        garbled.extend_from_slice(&buf);
        let e = read_frame(&mut garbled.as_slice()).expect_err("no magic");
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(e.to_string().contains("stdout"), "{e}");
        // a garbled huge length does not allocate: it just ends early
        let mut huge = b"SBW1T".to_vec();
        huge.extend_from_slice(&u64::MAX.to_le_bytes());
        huge.extend_from_slice(b"xy");
        let e = read_frame(&mut huge.as_slice()).expect_err("huge");
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn tensors_encode_as_documented() {
        let mut buf = Vec::new();
        encode_tensor(&mut buf, &[1, 2], &[1.0, -2.5]);
        let mut want = vec![2, 0, 0, 0];
        want.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0]);
        want.extend_from_slice(&[2, 0, 0, 0, 0, 0, 0, 0]);
        want.extend_from_slice(&[0x00, 0x00, 0x80, 0x3f]); // 1.0 = 0x3f800000
        want.extend_from_slice(&[0x00, 0x00, 0x20, 0xc0]); // -2.5 = 0xc0200000
        assert_eq!(buf, want);
        let mut pos = 0;
        let t = decode_tensor(&buf, &mut pos).expect("decode");
        assert_eq!((t.shape(), t.data()), (&[1, 2][..], &[1.0, -2.5][..]));
        assert_eq!(pos, buf.len());
        // NaN and infinity cross unchanged (bit for bit)
        let odd = [f32::NAN, f32::NEG_INFINITY, -0.0, f32::MIN_POSITIVE];
        let mut buf = Vec::new();
        encode_tensor(&mut buf, &[4], &odd);
        let t = decode_tensor(&buf, &mut 0).expect("decode");
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(t.data()), bits(&odd));
        // truncated data and absurd ranks are errors
        assert!(decode_tensor(&buf[..buf.len() - 1], &mut 0).is_err());
        assert!(decode_tensor(&[17, 0, 0, 0], &mut 0).is_err());
        let mut big = vec![2, 0, 0, 0];
        big.extend_from_slice(&u64::MAX.to_le_bytes());
        big.extend_from_slice(&u64::MAX.to_le_bytes());
        assert!(decode_tensor(&big, &mut 0).is_err());
    }

    #[test]
    fn requests_carry_the_optional_reference() {
        let x = Tensor::new(vec![1, 1, 2, 2], vec![0.5, 1.5, 2.5, 3.5]).expect("x");
        let r = Tensor::new(vec![1, 1, 2, 2], vec![0.0, 1.0, 2.0, 3.0]).expect("r");
        let (x2, r2) = decode_request(&encode_request(&x, Some(&r))).expect("with");
        assert_eq!((x2, r2), (x.clone(), Some(r)));
        let bytes = encode_request(&x, None);
        assert_eq!(bytes[0], 0);
        assert_eq!(decode_request(&bytes).expect("without"), (x, None));
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(
            decode_request(&extra)
                .expect_err("trailing")
                .contains("after")
        );
        assert!(decode_request(&[]).is_err());
    }

    fn plan(backend: BackendPlan) -> ModelPlan {
        ModelPlan {
            name: "m".into(),
            backend,
            preprocess: Preprocess {
                size: Some([8, 8]),
                fit: Fit::Pad,
                normalize: Normalize::ZScore,
            },
            postprocess: Postprocess::Argmax,
            batch_size: 4,
            isolate: Isolation::Process,
        }
    }

    #[test]
    fn the_spec_carries_the_backend() {
        let cases = [
            BackendPlan::Onnx {
                path: "/m/a.onnx".into(),
                threads: 3,
            },
            BackendPlan::Native {
                path: "/m/libx.so".into(),
                config: r#"{"crash":"abort"}"#.into(),
            },
            BackendPlan::TorchScript {
                path: "/m/a.pt".into(),
                threads: 2,
            },
            BackendPlan::Null,
        ];
        for backend in cases {
            let spec = WorkerSpec::of(&plan(backend.clone()), 5);
            let json = serde_json::to_vec(&spec).expect("json");
            let back: WorkerSpec = serde_json::from_slice(&json).expect("parse");
            assert_eq!(back, spec);
            assert_eq!(spec.threads, 5);
            let mp = back.model_plan().expect("plan");
            assert_eq!(mp.name, "m");
            assert_eq!(mp.isolate, Isolation::InProcess);
            assert_eq!(format!("{:?}", mp.backend), format!("{backend:?}"));
        }
        let mut spec = WorkerSpec::of(&plan(BackendPlan::Null), 0);
        spec.backend = "tflite".into();
        assert!(spec.model_plan().expect_err("unknown").contains("tflite"));
    }

    fn spec_frame(backend: BackendPlan) -> Vec<u8> {
        let spec = serde_json::to_vec(&WorkerSpec::of(&plan(backend), 1)).expect("json");
        let mut buf = Vec::new();
        write_frame(&mut buf, TAG_SPEC, &[&spec]).expect("write");
        buf
    }

    #[test]
    fn serve_answers_predictions_until_eof() {
        let x = Tensor::new(vec![1, 1, 1, 3], vec![9.0, 9.0, 9.0]).expect("x");
        let r = Tensor::new(vec![1, 1, 1, 3], vec![0.0, 2.0, 1.0]).expect("r");
        let mut input = spec_frame(BackendPlan::Null);
        write_frame(&mut input, TAG_PREDICT, &[&encode_request(&x, Some(&r))]).expect("w");
        write_frame(&mut input, TAG_PREDICT, &[&encode_request(&x, None)]).expect("w");
        let mut output = Vec::new();
        serve(input.as_slice(), &mut output).expect("serve");
        let f = frames(&output);
        assert_eq!(f.len(), 3);
        assert_eq!(f[0].tag, TAG_READY);
        let ready: Ready = serde_json::from_slice(&f[0].payload).expect("ready");
        assert!(ready.needs_reference);
        // the null model returns the reference
        assert_eq!(f[1].tag, TAG_TENSOR);
        assert_eq!(decode_tensor(&f[1].payload, &mut 0).expect("t"), r);
        // without one it fails: the reason only, the harness names the model
        assert_eq!(f[2].tag, TAG_ERROR);
        let reason = String::from_utf8_lossy(&f[2].payload);
        assert!(
            reason.starts_with("the null model returns the reference"),
            "{reason}"
        );
    }

    #[test]
    fn serve_reports_a_load_error() {
        let input = spec_frame(BackendPlan::Native {
            path: "/nonexistent/libnothing.so".into(),
            config: "{}".into(),
        });
        let mut output = Vec::new();
        let e = serve(input.as_slice(), &mut output).expect_err("load error");
        let f = frames(&output);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].tag, TAG_ERROR);
        assert_eq!(String::from_utf8_lossy(&f[0].payload), e);
        assert!(e.contains("libnothing"), "{e}");
        // a stream that does not start with a spec is refused
        let mut wrong = Vec::new();
        write_frame(&mut wrong, TAG_PREDICT, &[b"x"]).expect("w");
        assert!(serve(wrong.as_slice(), Vec::new()).is_err());
        assert!(serve(&[][..], Vec::new()).is_err());
    }

    #[test]
    fn signals_are_named() {
        assert_eq!(signal_name(11), Some("SIGSEGV"));
        assert_eq!(signal_name(6), Some("SIGABRT"));
        assert_eq!(signal_name(64), None);
    }

    /// A fake worker: `sh -c script` with `$0` = a folder holding `ready.bin`
    /// (an `R` frame) and `error.bin` (an `E` frame).
    struct Fake {
        dir: tempfile::TempDir,
    }

    impl Fake {
        fn new() -> Self {
            let dir = tempfile::tempdir().expect("tempdir");
            let mut ready = Vec::new();
            write_frame(&mut ready, TAG_READY, &[br#"{"needs_reference":false}"#]).expect("w");
            std::fs::write(dir.path().join("ready.bin"), ready).expect("write");
            let mut error = Vec::new();
            write_frame(&mut error, TAG_ERROR, &[b"no such model"]).expect("w");
            std::fs::write(dir.path().join("error.bin"), error).expect("write");
            Fake { dir }
        }

        fn start(&self, script: &str) -> Result<ProcessModel, String> {
            let args = vec![
                "-c".to_string(),
                format!("ulimit -c 0; {script}"),
                self.dir.path().display().to_string(),
            ];
            ProcessModel::start(
                "/bin/sh".into(),
                args,
                WorkerSpec::of(&plan(BackendPlan::Null), 1),
            )
        }
    }

    fn one_batch(model: &mut ProcessModel) -> sensibench_core::Result<Tensor> {
        let x = Tensor::new(vec![1, 1, 1, 2], vec![1.0, 2.0]).expect("x");
        model.predict(&Batch {
            input: &x,
            reference: None,
        })
    }

    #[test]
    fn a_worker_load_error_or_death_fails_the_load() {
        let fake = Fake::new();
        let e = fake.start(r#"cat "$0/error.bin""#).expect_err("load error");
        assert_eq!(e, "no such model");
        let e = fake
            .start(r#"echo "boom: bad plugin" >&2; kill -s SEGV $$"#)
            .expect_err("segfault");
        assert!(
            e.starts_with("worker process of model `m` died: killed by signal 11 (SIGSEGV)"),
            "{e}"
        );
        assert!(e.contains("boom: bad plugin"), "{e}");
        let e = fake.start("exit 3").expect_err("exit");
        assert_eq!(e, "worker process of model `m` died: exited with status 3");
        let e = fake.start("echo not a frame").expect_err("garbage");
        assert!(
            e.contains("exited with status 0") && e.contains("does the model write to stdout"),
            "{e}"
        );
    }

    #[test]
    fn crashes_fail_the_batch_restart_and_then_fail_fast() {
        let fake = Fake::new();
        // ready, then dies at once: every batch finds a dead worker
        let mut m = fake
            .start(r#"cat "$0/ready.bin"; echo "crash $$" >&2; kill -s ABRT $$"#)
            .expect("starts");
        assert!(!m.needs_reference());
        for i in 1..=MAX_CRASHES {
            let e = one_batch(&mut m).expect_err("crash").to_string();
            assert!(
                e.starts_with("worker process of model `m` died: killed by signal 6 (SIGABRT)"),
                "batch {i}: {e}"
            );
            assert!(e.contains("crash "), "{e}");
            assert_eq!(m.crashes, i);
        }
        // no fourth worker: fails fast with the last reason
        let started = Instant::now();
        let e = one_batch(&mut m).expect_err("fail fast").to_string();
        assert!(e.contains("died 3 times in a row"), "{e}");
        assert!(e.contains("killed by signal 6 (SIGABRT)"), "{e}");
        assert!(m.worker.is_none());
        assert!(started.elapsed() < Duration::from_millis(100));
    }

    #[test]
    fn a_missing_worker_program_is_a_clear_error() {
        let e = match ProcessModel::start(
            "/nonexistent/sensibench".into(),
            vec!["worker".into()],
            WorkerSpec::of(&plan(BackendPlan::Null), 1),
        ) {
            Ok(_) => panic!("started a missing program"),
            Err(e) => e,
        };
        assert!(
            e.contains("cannot start the worker process of model `m`"),
            "{e}"
        );
        assert!(e.contains("/nonexistent/sensibench"), "{e}");
    }
}
