//! The versioned C ABI for native sensibench model plugins, and an export macro.
//!
//! A native plugin is a shared library (`cdylib`, `lib<name>.so`) that the harness
//! loads with `libloading` and drives through a table of `extern "C"` function
//! pointers. No Rust type crosses the boundary, so a plugin may be built by a
//! different compiler version (or written in C) as long as it follows this ABI.
//!
//! # Writing a plugin
//!
//! Implement [`NativeModel`] and export it with [`export_plugin!`]:
//!
//! ```
//! use sensibench_plugin_sdk::{NativeModel, OwnedTensor, TensorRef, export_plugin};
//!
//! /// Predicts the input unchanged.
//! pub struct Identity;
//!
//! impl NativeModel for Identity {
//!     fn create(_config: &str) -> Result<Self, String> {
//!         Ok(Identity)
//!     }
//!     fn predict(&mut self, input: TensorRef<'_>) -> Result<OwnedTensor, String> {
//!         OwnedTensor::new(input.shape().to_vec(), input.data().to_vec())
//!     }
//! }
//!
//! export_plugin!(Identity, name = "identity", version = "0.1.0", description = "returns its input");
//! ```
//!
//! with `crate-type = ["cdylib"]` (add `"rlib"` to also test it as a Rust library).
//!
//! # The ABI, version 1.0
//!
//! **Entry point.** The library exports one symbol, `sensibench_plugin_entry`
//! ([`ENTRY_SYMBOL`]), of type `const PluginVTable *(*)(void)`. It returns a pointer
//! to a table that lives as long as the library (a `static`). The table's first
//! field is the [`AbiVersion`] `{ uint32_t major; uint32_t minor; }`, so a host can
//! read the version before it interprets anything else.
//!
//! **Versioning.** A host refuses a table whose `major` differs from its own
//! ([`check_abi_version`]): a new major version may change any layout. A minor
//! version only appends fields at the end of [`PluginVTable`]; a host must not read
//! fields introduced after the plugin's `minor`. This is version `1.0`
//! ([`ABI_VERSION`]).
//!
//! **Layout** (`#[repr(C)]`, in this order, all function pointers `extern "C"`):
//!
//! ```c
//! typedef struct { uint32_t major, minor; } AbiVersion;
//! typedef struct {
//!     uint32_t dtype;          // DTYPE_F32 = 1 (the only dtype of ABI 1.x)
//!     uint32_t ndim;           // number of axes, <= 16
//!     const uint64_t *shape;   // ndim extents
//!     const int64_t *strides;  // ndim strides in ELEMENTS, >= 0; NULL = row-major contiguous
//!     const void *data;        // first element, aligned for dtype; may be NULL if a extent is 0
//! } TensorView;
//! typedef struct { TensorView view; void *owner; } RawOwnedTensor;   // owner: opaque to the host
//! typedef struct {
//!     AbiVersion abi;
//!     const char *(*name)(void);          // static, NUL-terminated UTF-8
//!     const char *(*version)(void);       // static, NUL-terminated UTF-8
//!     const char *(*description)(void);   // static, NUL-terminated UTF-8
//!     int32_t (*create)(const uint8_t *config, size_t config_len,
//!                       void **out_handle, char **out_error);
//!     int32_t (*predict)(void *handle, const TensorView *input,
//!                        RawOwnedTensor *out, char **out_error);
//!     void (*release_tensor)(RawOwnedTensor *tensor);
//!     void (*release_error)(char *message);
//!     void (*destroy)(void *handle);
//! } PluginVTable;
//! ```
//!
//! `create` receives the model's configuration as UTF-8 JSON bytes (not
//! NUL-terminated; `config_len` may be 0, meaning `""`). The input of `predict` is
//! an `N x C x …` `f32` tensor (the host passes contiguous data); the output is
//! whatever the model produces, normally `N x K x …` on the input's spatial grid.
//!
//! **Status.** `create` and `predict` return [`STATUS_OK`] (0), [`STATUS_ERROR`] (1,
//! the model reported an error) or [`STATUS_PANIC`] (2, the plugin panicked). On
//! any status other than 0 the plugin stores a NUL-terminated UTF-8 message in
//! `*out_error` (or leaves it NULL if it cannot) and leaves `*out_handle` / `*out`
//! NULL / zeroed.
//!
//! **Ownership: whoever allocates frees.** The host owns the config bytes and the
//! input view; the plugin may only read them during the call. The plugin allocates
//! the output tensor and error messages; the host gives each back exactly once,
//! through `release_tensor` and `release_error` of the same table, after copying
//! what it needs. The handle from `create` is released with `destroy`, once.
//!
//! **Threading.** A handle is used by one thread at a time (the host serialises
//! calls on it) but may move between threads, so the model behind it must be
//! `Send`. Different handles may be used concurrently from different threads.
//!
//! **Panics.** A panic that unwinds out of an `extern "C"` function aborts the
//! process, so every function this crate exports runs its body under
//! `catch_unwind` and turns a panic into [`STATUS_PANIC`] plus the panic message
//! (`destroy`, `release_*` swallow panics). After a panic the handle's state is
//! unknown: the host treats the model as failed and only destroys it. Plugins
//! must be built with `panic = "unwind"` (the default).
//!
//! **Trust.** Loading a plugin runs its code with the harness's privileges:
//! plugins are trusted code, like any other dependency. Libraries are never
//! unloaded (a handle or function pointer may outlive any one model), so loading
//! many different plugins in one process keeps them all mapped.

use std::borrow::Cow;
use std::ffi::{CString, c_char, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The ABI version implemented by this crate (`1.0`).
pub const ABI_VERSION: AbiVersion = AbiVersion { major: 1, minor: 0 };

/// Name of the symbol a plugin exports: `const PluginVTable *sensibench_plugin_entry(void)`.
pub const ENTRY_SYMBOL: &str = "sensibench_plugin_entry";

/// [`ENTRY_SYMBOL`] as NUL-terminated bytes, for `dlsym`/`libloading`.
pub const ENTRY_SYMBOL_NUL: &[u8] = b"sensibench_plugin_entry\0";

/// The call succeeded.
pub const STATUS_OK: i32 = 0;
/// The model reported an error; `*out_error` holds the message.
pub const STATUS_ERROR: i32 = 1;
/// The plugin panicked; `*out_error` holds the panic message.
pub const STATUS_PANIC: i32 = 2;

/// Element type code of 32-bit IEEE-754 floats, the only element type of ABI 1.x.
pub const DTYPE_F32: u32 = 1;

/// The most axes a tensor view may have.
pub const MAX_NDIM: u32 = 16;

/// An ABI version: a host accepts a plugin whose `major` equals its own.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AbiVersion {
    /// Incompatible layout changes bump this.
    pub major: u32,
    /// Fields appended to [`PluginVTable`] bump this.
    pub minor: u32,
}

impl std::fmt::Display for AbiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A borrowed tensor as it crosses the boundary (see the crate docs for the rules).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct TensorView {
    /// Element type code; only [`DTYPE_F32`] is defined.
    pub dtype: u32,
    /// Number of axes (at most [`MAX_NDIM`]).
    pub ndim: u32,
    /// `ndim` extents.
    pub shape: *const u64,
    /// `ndim` strides in elements (not bytes), each `>= 0`; null means row-major contiguous.
    pub strides: *const i64,
    /// The first element; may be null when the tensor has no elements.
    pub data: *const c_void,
}

impl TensorView {
    /// A view with every pointer null and no axes (the state of an unset output).
    pub const fn empty() -> Self {
        TensorView {
            dtype: 0,
            ndim: 0,
            shape: std::ptr::null(),
            strides: std::ptr::null(),
            data: std::ptr::null(),
        }
    }
}

/// A tensor allocated by the plugin; the host returns it with `release_tensor`.
#[repr(C)]
#[derive(Debug)]
pub struct RawOwnedTensor {
    /// The tensor's data, valid until it is released.
    pub view: TensorView,
    /// The plugin's allocation behind `view`; opaque to the host.
    pub owner: *mut c_void,
}

impl RawOwnedTensor {
    /// An unset output (all pointers null).
    pub const fn empty() -> Self {
        RawOwnedTensor {
            view: TensorView::empty(),
            owner: std::ptr::null_mut(),
        }
    }
}

/// Returns a static NUL-terminated UTF-8 string.
pub type MetadataFn = unsafe extern "C" fn() -> *const c_char;
/// `create(config, config_len, out_handle, out_error) -> status`.
pub type CreateFn =
    unsafe extern "C" fn(*const u8, usize, *mut *mut c_void, *mut *mut c_char) -> i32;
/// `predict(handle, input, out, out_error) -> status`.
pub type PredictFn = unsafe extern "C" fn(
    *mut c_void,
    *const TensorView,
    *mut RawOwnedTensor,
    *mut *mut c_char,
) -> i32;
/// Frees an output tensor made by `predict`.
pub type ReleaseTensorFn = unsafe extern "C" fn(*mut RawOwnedTensor);
/// Frees an error message made by `create` or `predict`.
pub type ReleaseErrorFn = unsafe extern "C" fn(*mut c_char);
/// Frees a handle made by `create`.
pub type DestroyFn = unsafe extern "C" fn(*mut c_void);
/// The type of the exported [`ENTRY_SYMBOL`].
pub type EntryFn = unsafe extern "C" fn() -> *const PluginVTable;

/// The table of functions a plugin exports (layout in the crate docs).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct PluginVTable {
    /// Must stay the first field: the host reads it before anything else.
    pub abi: AbiVersion,
    /// The plugin's name.
    pub name: MetadataFn,
    /// The plugin's version.
    pub version: MetadataFn,
    /// A one-line description.
    pub description: MetadataFn,
    /// Builds a model from its JSON configuration.
    pub create: CreateFn,
    /// Runs a model on one batch.
    pub predict: PredictFn,
    /// Frees an output tensor.
    pub release_tensor: ReleaseTensorFn,
    /// Frees an error message.
    pub release_error: ReleaseErrorFn,
    /// Frees a model handle.
    pub destroy: DestroyFn,
}

/// Checks a plugin's ABI version against this crate's [`ABI_VERSION`]: the major
/// versions must be equal; any minor version is accepted.
pub fn check_abi_version(found: AbiVersion) -> Result<(), String> {
    if found.major == ABI_VERSION.major {
        Ok(())
    } else {
        Err(format!(
            "plugin ABI version {found} is incompatible with this harness's plugin ABI {ABI_VERSION}: \
             the major versions differ, so the function table layouts may differ; rebuild the plugin \
             against sensibench-plugin-sdk with ABI {}.x",
            ABI_VERSION.major
        ))
    }
}

/// Reads the ABI version at the start of the table `ptr` points to, checks it with
/// [`check_abi_version`] and only then returns the whole table.
///
/// # Safety
/// `ptr` must be null or point to readable memory that starts with an [`AbiVersion`]
/// and that lives for `'a`; when the major version matches, it must point to a
/// complete [`PluginVTable`] of this ABI whose function pointers follow the ABI.
pub unsafe fn vtable_from_ptr<'a>(ptr: *const PluginVTable) -> Result<&'a PluginVTable, String> {
    if ptr.is_null() {
        return Err(format!("`{ENTRY_SYMBOL}` returned a null function table"));
    }
    // SAFETY: the caller guarantees `ptr` points to readable memory starting with an
    // `AbiVersion`, which is the first field of every ABI version's table (repr(C)).
    let abi = unsafe { std::ptr::read_unaligned(ptr.cast::<AbiVersion>()) };
    check_abi_version(abi)?;
    if !ptr.is_aligned() {
        return Err(format!(
            "`{ENTRY_SYMBOL}` returned a misaligned function table"
        ));
    }
    // SAFETY: same major version, so by the caller's guarantee this is a complete,
    // aligned table of this ABI living for 'a.
    Ok(unsafe { &*ptr })
}

/// A read-only `f32` tensor handed to a plugin (row-major, contiguous).
///
/// Built from a [`TensorView`]; a strided view is copied into contiguous order.
#[derive(Debug)]
pub struct TensorRef<'a> {
    shape: Vec<usize>,
    data: Cow<'a, [f32]>,
}

impl<'a> TensorRef<'a> {
    /// Wraps contiguous row-major data; `data.len()` must equal the product of `shape`.
    pub fn new(shape: &[usize], data: &'a [f32]) -> Result<Self, String> {
        let n = element_count(shape)?;
        if n != data.len() {
            return Err(format!(
                "tensor data has {} elements but shape {shape:?} needs {n}",
                data.len()
            ));
        }
        Ok(TensorRef {
            shape: shape.to_vec(),
            data: Cow::Borrowed(data),
        })
    }

    /// Reads a view, checking dtype, rank, shape, pointers and strides.
    ///
    /// # Safety
    /// When the view passes the checks below, `view.shape` (and non-null
    /// `view.strides`) must point to `ndim` readable values, and `view.data` to
    /// elements covering every index the shape and strides address, all valid and
    /// unchanged for `'a`.
    pub unsafe fn from_view(view: &'a TensorView) -> Result<Self, String> {
        if view.dtype != DTYPE_F32 {
            return Err(format!(
                "tensor dtype code {} is not supported (ABI {ABI_VERSION} defines only f32 = {DTYPE_F32})",
                view.dtype
            ));
        }
        if view.ndim > MAX_NDIM {
            return Err(format!(
                "tensor has {} axes, more than the ABI's limit of {MAX_NDIM}",
                view.ndim
            ));
        }
        let ndim = view.ndim as usize;
        if ndim > 0 && view.shape.is_null() {
            return Err("tensor view has axes but a null shape pointer".into());
        }
        let raw_shape: &[u64] = if ndim == 0 {
            &[]
        } else {
            // SAFETY: non-null (checked) and, by the caller's guarantee, `ndim` readable
            // u64 values valid for 'a.
            unsafe { std::slice::from_raw_parts(view.shape, ndim) }
        };
        let mut shape = Vec::with_capacity(ndim);
        for &d in raw_shape {
            shape.push(
                usize::try_from(d)
                    .map_err(|_| format!("tensor extent {d} does not fit in memory"))?,
            );
        }
        let n = element_count(&shape)?;
        if n == 0 {
            return Ok(TensorRef {
                shape,
                data: Cow::Owned(Vec::new()),
            });
        }
        if view.data.is_null() {
            return Err(format!("tensor of shape {shape:?} has a null data pointer"));
        }
        if !view.data.cast::<f32>().is_aligned() {
            return Err("tensor data pointer is not aligned for f32".into());
        }
        let data = view.data.cast::<f32>();
        let contiguous = contiguous_strides(&shape);
        let strides: Vec<usize> = if view.strides.is_null() {
            contiguous.clone()
        } else {
            // SAFETY: non-null, so by the caller's guarantee `ndim` readable i64 values.
            let raw = unsafe { std::slice::from_raw_parts(view.strides, ndim) };
            let mut s = Vec::with_capacity(ndim);
            for &st in raw {
                s.push(usize::try_from(st).map_err(|_| format!("tensor stride {st} is negative"))?);
            }
            s
        };
        // Highest element index addressed, so the span the pointer must cover.
        let mut last = 0usize;
        for (&d, &s) in shape.iter().zip(&strides) {
            last = (d - 1)
                .checked_mul(s)
                .and_then(|x| x.checked_add(last))
                .ok_or_else(|| "tensor strides overflow".to_string())?;
        }
        let span = last + 1;
        if span > isize::MAX as usize / std::mem::size_of::<f32>() {
            return Err("tensor spans more memory than can exist".into());
        }
        // SAFETY: data is non-null and aligned (checked); by the caller's guarantee it
        // covers every addressed index, i.e. `span` = highest index + 1 elements,
        // valid and unchanged for 'a.
        let all = unsafe { std::slice::from_raw_parts(data, span) };
        let is_contiguous = shape
            .iter()
            .zip(strides.iter().zip(&contiguous))
            .all(|(&d, (&s, &c))| d == 1 || s == c);
        if is_contiguous {
            return Ok(TensorRef {
                shape,
                data: Cow::Borrowed(&all[..n]),
            });
        }
        let mut out = Vec::with_capacity(n);
        let mut index = vec![0usize; ndim];
        for _ in 0..n {
            let offset: usize = index.iter().zip(&strides).map(|(i, s)| i * s).sum();
            out.push(all[offset]);
            for axis in (0..ndim).rev() {
                index[axis] += 1;
                if index[axis] < shape[axis] {
                    break;
                }
                index[axis] = 0;
            }
        }
        Ok(TensorRef {
            shape,
            data: Cow::Owned(out),
        })
    }

    /// The extents, outermost first.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The elements in row-major order.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// Copies the tensor into an owned one.
    pub fn to_owned_tensor(&self) -> OwnedTensor {
        OwnedTensor {
            shape: self.shape.clone(),
            data: self.data.to_vec(),
        }
    }
}

/// An `f32` tensor a plugin returns (row-major, contiguous).
#[derive(Clone, Debug, PartialEq)]
pub struct OwnedTensor {
    shape: Vec<usize>,
    data: Vec<f32>,
}

impl OwnedTensor {
    /// Wraps `data`; its length must equal the product of `shape`.
    pub fn new(shape: Vec<usize>, data: Vec<f32>) -> Result<Self, String> {
        let n = element_count(&shape)?;
        if n != data.len() {
            return Err(format!(
                "tensor data has {} elements but shape {shape:?} needs {n}",
                data.len()
            ));
        }
        if shape.len() > MAX_NDIM as usize {
            return Err(format!(
                "tensor has {} axes, more than {MAX_NDIM}",
                shape.len()
            ));
        }
        Ok(OwnedTensor { shape, data })
    }

    /// The extents, outermost first.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The elements in row-major order.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// Splits the tensor into its shape and data.
    pub fn into_parts(self) -> (Vec<usize>, Vec<f32>) {
        (self.shape, self.data)
    }
}

/// The safe trait a plugin author implements; [`export_plugin!`] generates the C ABI.
///
/// The harness creates one value per model entry of a suite and calls `predict`
/// from one thread at a time. Return `Err` with a message saying what was wrong
/// (e.g. the expected input shape) rather than panicking; a panic is still caught
/// and reported.
pub trait NativeModel: Sized + Send {
    /// Builds the model from its configuration, a UTF-8 JSON text (`""` when the suite gives none).
    fn create(config: &str) -> Result<Self, String>;
    /// Runs the model on one batch.
    fn predict(&mut self, input: TensorRef<'_>) -> Result<OwnedTensor, String>;
}

fn element_count(shape: &[usize]) -> Result<usize, String> {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| format!("tensor shape {shape:?} has too many elements"))
}

fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![1usize; shape.len()];
    for axis in (0..shape.len().saturating_sub(1)).rev() {
        strides[axis] = strides[axis + 1].saturating_mul(shape[axis + 1]);
    }
    strides
}

/// The text of a panic payload (`&str` or `String`; otherwise a placeholder).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".to_string()
    }
}

/// The C functions [`export_plugin!`] puts in the table. Not meant to be called
/// directly; they are public only so the macro can name them.
pub mod export {
    use super::*;

    /// The allocation behind a [`RawOwnedTensor`]'s `owner`.
    struct TensorAllocation {
        shape: Vec<u64>,
        data: Vec<f32>,
    }

    fn store_error(out_error: *mut *mut c_char, message: String) {
        if out_error.is_null() {
            return;
        }
        let c = CString::new(message.replace('\0', "\u{FFFD}"))
            .unwrap_or_else(|_| CString::from(c"(error message could not be encoded)"));
        // SAFETY: out_error is non-null and, per the ABI, points to a writable `char *`.
        unsafe { *out_error = c.into_raw() };
    }

    fn status_of(
        result: std::thread::Result<Result<(), String>>,
        out_error: *mut *mut c_char,
    ) -> i32 {
        match result {
            Ok(Ok(())) => STATUS_OK,
            Ok(Err(message)) => {
                store_error(out_error, message);
                STATUS_ERROR
            }
            Err(payload) => {
                store_error(
                    out_error,
                    format!("plugin panicked: {}", panic_message(&*payload)),
                );
                STATUS_PANIC
            }
        }
    }

    /// `create` for model type `T`.
    ///
    /// # Safety
    /// As in the ABI: `config` points to `config_len` readable bytes (or is null with
    /// length 0); `out_handle` and `out_error` are null or writable.
    pub unsafe extern "C" fn create<T: NativeModel>(
        config: *const u8,
        config_len: usize,
        out_handle: *mut *mut c_void,
        out_error: *mut *mut c_char,
    ) -> i32 {
        if !out_error.is_null() {
            // SAFETY: non-null and writable per the ABI.
            unsafe { *out_error = std::ptr::null_mut() };
        }
        if out_handle.is_null() {
            store_error(out_error, "create: out_handle is null".into());
            return STATUS_ERROR;
        }
        // SAFETY: non-null and writable per the ABI.
        unsafe { *out_handle = std::ptr::null_mut() };
        let result = catch_unwind(AssertUnwindSafe(|| -> Result<(), String> {
            let bytes: &[u8] = if config_len == 0 {
                &[]
            } else if config.is_null() {
                return Err("create: config pointer is null but its length is not 0".into());
            } else {
                // SAFETY: non-null and, per the ABI, `config_len` readable bytes for the call.
                unsafe { std::slice::from_raw_parts(config, config_len) }
            };
            let text = std::str::from_utf8(bytes)
                .map_err(|e| format!("create: the configuration is not UTF-8: {e}"))?;
            let model = T::create(text)?;
            let handle = Box::into_raw(Box::new(model)).cast::<c_void>();
            // SAFETY: out_handle is non-null (checked above) and writable.
            unsafe { *out_handle = handle };
            Ok(())
        }));
        status_of(result, out_error)
    }

    /// `predict` for model type `T`.
    ///
    /// # Safety
    /// As in the ABI: `handle` came from `create::<T>` and is not used concurrently;
    /// `input` points to a valid view; `out` and `out_error` are null or writable.
    pub unsafe extern "C" fn predict<T: NativeModel>(
        handle: *mut c_void,
        input: *const TensorView,
        out: *mut RawOwnedTensor,
        out_error: *mut *mut c_char,
    ) -> i32 {
        if !out_error.is_null() {
            // SAFETY: non-null and writable per the ABI.
            unsafe { *out_error = std::ptr::null_mut() };
        }
        if out.is_null() {
            store_error(out_error, "predict: output pointer is null".into());
            return STATUS_ERROR;
        }
        // SAFETY: non-null and writable per the ABI.
        unsafe { *out = RawOwnedTensor::empty() };
        if handle.is_null() || input.is_null() {
            store_error(out_error, "predict: handle or input pointer is null".into());
            return STATUS_ERROR;
        }
        let result = catch_unwind(AssertUnwindSafe(|| -> Result<(), String> {
            // SAFETY: handle came from `create::<T>` (a `Box<T>`), is alive and not used
            // by another thread during this call (ABI threading rule).
            let model = unsafe { &mut *handle.cast::<T>() };
            // SAFETY: input is non-null and points to a view valid for the call.
            let view = unsafe { &*input };
            // SAFETY: the host guarantees the view's pointers cover its shape/strides.
            let tensor =
                unsafe { TensorRef::from_view(view) }.map_err(|e| format!("input: {e}"))?;
            let (shape, data) = model.predict(tensor)?.into_parts();
            let alloc = Box::new(TensorAllocation {
                shape: shape.iter().map(|&d| d as u64).collect(),
                data,
            });
            let view = TensorView {
                dtype: DTYPE_F32,
                ndim: alloc.shape.len() as u32,
                shape: alloc.shape.as_ptr(),
                strides: std::ptr::null(),
                data: alloc.data.as_ptr().cast(),
            };
            let owner = Box::into_raw(alloc).cast::<c_void>();
            // SAFETY: out is non-null (checked above) and writable; the heap buffers the
            // view points to belong to `owner` and do not move.
            unsafe { *out = RawOwnedTensor { view, owner } };
            Ok(())
        }));
        status_of(result, out_error)
    }

    /// `release_tensor`: frees a tensor made by [`predict`] and resets it to empty.
    ///
    /// # Safety
    /// `tensor` is null or points to a tensor filled by this plugin's `predict` and
    /// not yet released.
    pub unsafe extern "C" fn release_tensor(tensor: *mut RawOwnedTensor) {
        if tensor.is_null() {
            return;
        }
        // SAFETY: non-null, points to a tensor from `predict` (caller's guarantee).
        let t = unsafe { &mut *tensor };
        let owner = std::mem::replace(t, RawOwnedTensor::empty()).owner;
        if owner.is_null() {
            return;
        }
        let _ = catch_unwind(|| {
            // SAFETY: `owner` was made by `Box::into_raw` in `predict` and is released once.
            drop(unsafe { Box::from_raw(owner.cast::<TensorAllocation>()) });
        });
    }

    /// `release_error`: frees a message made by [`create`] or [`predict`].
    ///
    /// # Safety
    /// `message` is null or a message from this plugin not yet released.
    pub unsafe extern "C" fn release_error(message: *mut c_char) {
        if message.is_null() {
            return;
        }
        let _ = catch_unwind(|| {
            // SAFETY: made by `CString::into_raw` in `store_error`, released once.
            drop(unsafe { CString::from_raw(message) });
        });
    }

    /// `destroy` for model type `T`.
    ///
    /// # Safety
    /// `handle` is null or came from `create::<T>`, is not in use, and is destroyed once.
    pub unsafe extern "C" fn destroy<T: NativeModel>(handle: *mut c_void) {
        if handle.is_null() {
            return;
        }
        let _ = catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: made by `Box::into_raw` in `create::<T>`, destroyed once.
            drop(unsafe { Box::from_raw(handle.cast::<T>()) });
        }));
    }
}

/// Exports a [`NativeModel`] type as a plugin: generates the `sensibench_plugin_entry`
/// symbol and a static [`PluginVTable`] with the given metadata (string literals).
///
/// ```ignore
/// export_plugin!(MyModel, name = "my_model", version = "0.1.0", description = "what it does");
/// ```
///
/// Use it once per library, at the crate root.
#[macro_export]
macro_rules! export_plugin {
    ($ty:ty, name = $name:literal, version = $version:literal, description = $description:literal $(,)?) => {
        /// The sensibench plugin entry point: returns this library's function table.
        #[unsafe(no_mangle)]
        pub extern "C" fn sensibench_plugin_entry() -> *const $crate::PluginVTable {
            unsafe extern "C" fn name() -> *const ::std::ffi::c_char {
                concat!($name, "\0").as_ptr().cast()
            }
            unsafe extern "C" fn version() -> *const ::std::ffi::c_char {
                concat!($version, "\0").as_ptr().cast()
            }
            unsafe extern "C" fn description() -> *const ::std::ffi::c_char {
                concat!($description, "\0").as_ptr().cast()
            }
            static VTABLE: $crate::PluginVTable = $crate::PluginVTable {
                abi: $crate::ABI_VERSION,
                name,
                version,
                description,
                create: $crate::export::create::<$ty>,
                predict: $crate::export::predict::<$ty>,
                release_tensor: $crate::export::release_tensor,
                release_error: $crate::export::release_error,
                destroy: $crate::export::destroy::<$ty>,
            };
            &VTABLE
        }
    };
}
