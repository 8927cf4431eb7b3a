//! The host side of the native plugin ABI (see `sensibench-plugin-sdk` for the ABI).
//!
//! Loading a plugin runs its code with the harness's privileges: plugins are
//! trusted code. Libraries are never unloaded: each library is opened once per
//! process (cached by canonical path) and stays mapped until the process exits.

use std::collections::HashMap;
use std::ffi::{CStr, OsStr, c_char, c_void};
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::{Mutex, OnceLock};

use sensibench_core::{Batch, Error, Model, Result, Tensor};
use sensibench_plugin_sdk::{
    AbiVersion, DTYPE_F32, ENTRY_SYMBOL, ENTRY_SYMBOL_NUL, EntryFn, PluginVTable, RawOwnedTensor,
    STATUS_ERROR, STATUS_OK, STATUS_PANIC, TensorRef, TensorView, vtable_from_ptr,
};

/// The environment variable holding extra plugin folders, `:`-separated, searched first.
pub const PLUGIN_PATH_VAR: &str = "SENSIBENCH_PLUGIN_PATH";

/// What a plugin says about itself, and where it was loaded from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginInfo {
    /// The plugin's own name (its `name()` metadata).
    pub name: String,
    /// The plugin's version.
    pub version: String,
    /// The plugin's one-line description.
    pub description: String,
    /// The ABI version of its function table.
    pub abi: AbiVersion,
    /// The canonical path of the library.
    pub path: PathBuf,
}

/// A model served by a native plugin.
///
/// One value owns one plugin handle; `predict` takes `&mut self`, so the handle is
/// used by one thread at a time as the ABI requires. After the plugin panics the
/// model refuses further calls (its state is unknown) and is only destroyed.
pub struct NativeModel {
    name: String,
    info: PluginInfo,
    vtable: &'static PluginVTable,
    handle: NonNull<c_void>,
    failed: Option<String>,
}

// SAFETY: the ABI lets a handle move between threads as long as one thread uses
// it at a time (plugin models are `Send`, enforced by the SDK's trait bound);
// every use goes through `&mut self` or `Drop`, which serialises them. The vtable
// is a `'static` table of plain function pointers.
unsafe impl Send for NativeModel {}

/// Opened libraries' function tables, by canonical path. The libraries themselves
/// are leaked (never unloaded), so the tables stay valid for the whole process.
fn loaded_tables() -> &'static Mutex<HashMap<PathBuf, &'static PluginVTable>> {
    static TABLES: OnceLock<Mutex<HashMap<PathBuf, &'static PluginVTable>>> = OnceLock::new();
    TABLES.get_or_init(|| Mutex::new(HashMap::new()))
}

fn model_error(name: &str, reason: String) -> Error {
    Error::Model {
        model: name.to_string(),
        reason,
    }
}

/// Opens `path` (once per process) and returns its checked function table.
fn open_library(name: &str, path: &Path) -> Result<(PathBuf, &'static PluginVTable)> {
    if !path.is_file() {
        return Err(model_error(
            name,
            format!(
                "native plugin library {} not found; build it with `make build` (or `cargo build -p <plugin crate>`)",
                path.display()
            ),
        ));
    }
    let canonical = path.canonicalize().map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut tables = loaded_tables()
        .lock()
        .map_err(|_| model_error(name, "the plugin table cache is poisoned".into()))?;
    if let Some(&vt) = tables.get(&canonical) {
        return Ok((canonical, vt));
    }
    // SAFETY: loading a library runs its initialisers; plugins are trusted code by
    // the documented contract of sensibench.
    let library = unsafe { libloading::Library::new(&canonical) }.map_err(|e| {
        model_error(
            name,
            format!("could not load native plugin {}: {e}", canonical.display()),
        )
    })?;
    // SAFETY: the symbol, if present, has the ABI's entry type `EntryFn`.
    let entry: EntryFn = match unsafe { library.get::<EntryFn>(ENTRY_SYMBOL_NUL) } {
        Ok(symbol) => *symbol,
        Err(e) => {
            return Err(model_error(
                name,
                format!(
                    "{} does not export `{ENTRY_SYMBOL}` ({e}); is it a sensibench plugin built with `export_plugin!` from sensibench-plugin-sdk?",
                    canonical.display()
                ),
            ));
        }
    };
    // SAFETY: the entry point takes no arguments and returns a pointer to a static
    // table in the library (ABI); the library stays loaded (leaked below).
    let ptr = unsafe { entry() };
    // SAFETY: per the ABI the pointer is null or points to a static table starting
    // with its ABI version; the library is never unloaded, so 'static holds.
    let vtable: &'static PluginVTable = unsafe { vtable_from_ptr(ptr) }
        .map_err(|e| model_error(name, format!("{}: {e}", canonical.display())))?;
    // Never unload: handles and function pointers may outlive any one model.
    std::mem::forget(library);
    tables.insert(canonical.clone(), vtable);
    Ok((canonical, vtable))
}

/// Copies a NUL-terminated string returned by a plugin (lossy UTF-8; "" for null).
///
/// # Safety
/// `ptr` must be null or point to a NUL-terminated string valid during the call.
unsafe fn c_text(ptr: *const c_char) -> String {
    if ptr.is_null() {
        return String::new();
    }
    // SAFETY: non-null and NUL-terminated by the caller's guarantee.
    unsafe { CStr::from_ptr(ptr) }
        .to_string_lossy()
        .into_owned()
}

/// Turns a failed status and its message into text, releasing the message.
fn take_error(vtable: &PluginVTable, status: i32, message: *mut c_char) -> String {
    // SAFETY: the plugin set `message` to null or a NUL-terminated string it owns.
    let text = unsafe { c_text(message) };
    if !message.is_null() {
        // SAFETY: the message came from this plugin and is released exactly once.
        unsafe { (vtable.release_error)(message) };
    }
    let text = if text.is_empty() {
        "(no message)".to_string()
    } else {
        text
    };
    match status {
        STATUS_ERROR => text,
        STATUS_PANIC => format!("the plugin panicked: {text}"),
        other => format!("the plugin returned unknown status {other}: {text}"),
    }
}

impl NativeModel {
    /// Loads the plugin library at `path` and creates a model from `config_json`
    /// (UTF-8 JSON given to the plugin's `create`; `""` for none). `name` is the
    /// model's name in messages and results.
    ///
    /// Errors name the model and the path: missing file, not loadable, missing
    /// entry symbol, ABI major version mismatch, or the plugin refusing the config.
    pub fn load(name: &str, path: &Path, config_json: &str) -> Result<Self> {
        let (canonical, vtable) = open_library(name, path)?;
        // SAFETY: metadata functions return static NUL-terminated strings (ABI).
        let info = unsafe {
            PluginInfo {
                name: c_text((vtable.name)()),
                version: c_text((vtable.version)()),
                description: c_text((vtable.description)()),
                abi: vtable.abi,
                path: canonical,
            }
        };
        let mut handle: *mut c_void = std::ptr::null_mut();
        let mut error: *mut c_char = std::ptr::null_mut();
        // SAFETY: config bytes are valid for the call; out pointers are writable locals.
        let status = unsafe {
            (vtable.create)(
                config_json.as_ptr(),
                config_json.len(),
                &mut handle,
                &mut error,
            )
        };
        if status != STATUS_OK {
            let reason = take_error(vtable, status, error);
            return Err(model_error(
                name,
                format!(
                    "native plugin `{}` ({}) could not create the model: {reason}",
                    info.name,
                    info.path.display()
                ),
            ));
        }
        if !error.is_null() {
            let _ = take_error(vtable, STATUS_ERROR, error);
        }
        let handle = NonNull::new(handle).ok_or_else(|| {
            model_error(
                name,
                format!(
                    "native plugin `{}` reported success but returned a null handle",
                    info.name
                ),
            )
        })?;
        Ok(NativeModel {
            name: name.to_string(),
            info,
            vtable,
            handle,
            failed: None,
        })
    }

    /// The plugin's metadata and path.
    pub fn info(&self) -> &PluginInfo {
        &self.info
    }
}

impl Model for NativeModel {
    fn name(&self) -> &str {
        &self.name
    }

    fn predict(&mut self, batch: &Batch<'_>) -> Result<Tensor> {
        if let Some(previous) = &self.failed {
            return Err(model_error(
                &self.name,
                format!("the plugin panicked earlier and is unusable: {previous}"),
            ));
        }
        let input = batch.input;
        let shape: Vec<u64> = input.shape().iter().map(|&d| d as u64).collect();
        let view = TensorView {
            dtype: DTYPE_F32,
            ndim: shape.len() as u32,
            shape: shape.as_ptr(),
            strides: std::ptr::null(),
            data: input.data().as_ptr().cast(),
        };
        let mut out = RawOwnedTensor::empty();
        let mut error: *mut c_char = std::ptr::null_mut();
        // SAFETY: the handle is alive and used only here (&mut self); the view points
        // to `shape` and the input's contiguous data, both alive during the call.
        let status =
            unsafe { (self.vtable.predict)(self.handle.as_ptr(), &view, &mut out, &mut error) };
        if status != STATUS_OK {
            let reason = take_error(self.vtable, status, error);
            if status != STATUS_ERROR {
                self.failed = Some(reason.clone());
            }
            // A failed call leaves `out` empty by the ABI; release defensively if not.
            if !out.owner.is_null() {
                // SAFETY: a tensor from this plugin, released once.
                unsafe { (self.vtable.release_tensor)(&mut out) };
            }
            return Err(model_error(&self.name, reason));
        }
        if !error.is_null() {
            let _ = take_error(self.vtable, STATUS_ERROR, error);
        }
        // SAFETY: on success the plugin filled `out` with a valid view that stays
        // valid until `release_tensor`, which happens after the copy below.
        let copied = unsafe { TensorRef::from_view(&out.view) }
            .map(|t| (t.shape().to_vec(), t.data().to_vec()));
        // SAFETY: a tensor from this plugin's `predict`, released exactly once.
        unsafe { (self.vtable.release_tensor)(&mut out) };
        let (out_shape, data) =
            copied.map_err(|e| model_error(&self.name, format!("invalid output tensor: {e}")))?;
        crate::check_output(&self.name, input.shape(), &out_shape, &data)?;
        Tensor::new(out_shape, data)
    }
}

impl Drop for NativeModel {
    fn drop(&mut self) {
        // SAFETY: the handle came from `create` and is destroyed exactly once; the
        // library is never unloaded, so the function is still mapped.
        unsafe { (self.vtable.destroy)(self.handle.as_ptr()) };
    }
}

impl std::fmt::Debug for NativeModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeModel")
            .field("name", &self.name)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// The file name of plugin `name` on this platform (`lib<name>.so` on Linux).
pub fn plugin_file_name(name: &str) -> String {
    format!(
        "{}{name}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    )
}

/// The folders [`resolve_plugin`] searches, in order:
/// 1. each entry of `plugin_path` (the value of `SENSIBENCH_PLUGIN_PATH`, `:`-separated);
/// 2. the folder of the running executable `exe`, and its parent when that folder
///    is cargo's `deps` (test binaries);
/// 3. `$CARGO_TARGET_DIR/{suite,release,debug}` when `cargo_target_dir` is given;
/// 4. `target/suite`, `target/release`, `target/debug` under `cwd` and each of its ancestors.
pub fn plugin_search_dirs(
    plugin_path: Option<&OsStr>,
    exe: Option<&Path>,
    cargo_target_dir: Option<&Path>,
    cwd: Option<&Path>,
) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(p) = plugin_path {
        dirs.extend(std::env::split_paths(p).filter(|d| !d.as_os_str().is_empty()));
    }
    if let Some(dir) = exe.and_then(Path::parent) {
        dirs.push(dir.to_path_buf());
        if dir.file_name() == Some(OsStr::new("deps"))
            && let Some(parent) = dir.parent()
        {
            dirs.push(parent.to_path_buf());
        }
    }
    const PROFILES: [&str; 3] = ["suite", "release", "debug"];
    if let Some(t) = cargo_target_dir {
        dirs.extend(PROFILES.iter().map(|p| t.join(p)));
    }
    if let Some(cwd) = cwd {
        for a in cwd.ancestors() {
            dirs.extend(PROFILES.iter().map(|p| a.join("target").join(p)));
        }
    }
    let mut unique = Vec::with_capacity(dirs.len());
    for d in dirs {
        if !unique.contains(&d) {
            unique.push(d);
        }
    }
    unique
}

/// Finds the library of plugin `name` in `dirs` (first hit wins); the error lists
/// every folder searched and how to build the plugin.
pub fn resolve_plugin_in(name: &str, dirs: &[PathBuf]) -> Result<PathBuf> {
    if name.is_empty() || name.contains(['/', '\\']) || name.contains("..") {
        return Err(Error::invalid(
            "plugin",
            name,
            "a plugin name such as `sensibench_classical_seg` (no path separators)",
        ));
    }
    let file = plugin_file_name(name);
    if let Some(found) = dirs.iter().map(|d| d.join(&file)).find(|p| p.is_file()) {
        return Ok(found);
    }
    let looked: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    Err(model_error(
        name,
        format!(
            "native plugin library {file} not found; looked in: {}. Build it with `make build` \
             (or `cargo build -p {}`), or set {PLUGIN_PATH_VAR} to the folder holding it",
            if looked.is_empty() {
                "(no folders)".to_string()
            } else {
                looked.join(", ")
            },
            name.replace('_', "-")
        ),
    ))
}

/// Finds `lib<name>.so` in `$SENSIBENCH_PLUGIN_PATH`, next to the running
/// executable, in `$CARGO_TARGET_DIR`, then in `target/{suite,release,debug}` of
/// the current folder and its ancestors (see [`plugin_search_dirs`]).
pub fn resolve_plugin(name: &str) -> Result<PathBuf> {
    let plugin_path = std::env::var_os(PLUGIN_PATH_VAR);
    let exe = std::env::current_exe().ok();
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from);
    let cwd = std::env::current_dir().ok();
    let dirs = plugin_search_dirs(
        plugin_path.as_deref(),
        exe.as_deref(),
        target.as_deref(),
        cwd.as_deref(),
    );
    resolve_plugin_in(name, &dirs)
}
