//! Drives a plugin exported with `export_plugin!` through its C function table,
//! in-process, exactly as the host does after `dlsym`.

use std::ffi::{CStr, c_char, c_void};

use sensibench_plugin_sdk::{
    ABI_VERSION, AbiVersion, DTYPE_F32, NativeModel, OwnedTensor, PluginVTable, RawOwnedTensor,
    STATUS_ERROR, STATUS_OK, STATUS_PANIC, TensorRef, TensorView, check_abi_version, export_plugin,
    vtable_from_ptr,
};

/// Multiplies its input by the number given as configuration; panics on a
/// negative first element; refuses empty inputs.
struct Scale(f32);

impl NativeModel for Scale {
    fn create(config: &str) -> Result<Self, String> {
        config
            .trim()
            .parse::<f32>()
            .map(Scale)
            .map_err(|e| format!("config `{config}` is not a number: {e}"))
    }
    fn predict(&mut self, input: TensorRef<'_>) -> Result<OwnedTensor, String> {
        match input.data().first() {
            None => Err("empty input".into()),
            Some(&x) if x < 0.0 => panic!("negative input {x}"),
            Some(_) => OwnedTensor::new(
                input.shape().to_vec(),
                input.data().iter().map(|v| v * self.0).collect(),
            ),
        }
    }
}

export_plugin!(
    Scale,
    name = "scale",
    version = "1.2.3",
    description = "multiplies by a factor"
);

fn table() -> &'static PluginVTable {
    // SAFETY: the entry point generated above returns a pointer to a static table.
    unsafe { vtable_from_ptr(sensibench_plugin_entry()) }.expect("valid table")
}

fn c_text(ptr: *const c_char) -> String {
    // SAFETY: the plugin returns static or owned NUL-terminated strings.
    unsafe { CStr::from_ptr(ptr) }
        .to_string_lossy()
        .into_owned()
}

fn create(vt: &PluginVTable, config: &str) -> Result<*mut c_void, (i32, String)> {
    let mut handle = std::ptr::null_mut();
    let mut err = std::ptr::null_mut();
    // SAFETY: valid config bytes and out pointers.
    let status = unsafe { (vt.create)(config.as_ptr(), config.len(), &mut handle, &mut err) };
    if status == STATUS_OK {
        assert!(err.is_null());
        Ok(handle)
    } else {
        assert!(handle.is_null());
        let msg = c_text(err);
        // SAFETY: err came from this plugin and is released once.
        unsafe { (vt.release_error)(err) };
        Err((status, msg))
    }
}

fn predict(
    vt: &PluginVTable,
    handle: *mut c_void,
    shape: &[u64],
    strides: Option<&[i64]>,
    data: &[f32],
) -> Result<(Vec<usize>, Vec<f32>), (i32, String)> {
    let view = TensorView {
        dtype: DTYPE_F32,
        ndim: shape.len() as u32,
        shape: shape.as_ptr(),
        strides: strides.map_or(std::ptr::null(), |s| s.as_ptr()),
        data: data.as_ptr().cast(),
    };
    let mut out = RawOwnedTensor::empty();
    let mut err = std::ptr::null_mut();
    // SAFETY: handle from create; the view covers `data`.
    let status = unsafe { (vt.predict)(handle, &view, &mut out, &mut err) };
    if status != STATUS_OK {
        assert!(out.owner.is_null());
        let msg = c_text(err);
        // SAFETY: released once.
        unsafe { (vt.release_error)(err) };
        return Err((status, msg));
    }
    // SAFETY: the plugin's output view is valid until released.
    let t = unsafe { TensorRef::from_view(&out.view) }.expect("valid output");
    let result = (t.shape().to_vec(), t.data().to_vec());
    drop(t);
    // SAFETY: released once; resets the struct.
    unsafe { (vt.release_tensor)(&mut out) };
    assert!(out.owner.is_null() && out.view.data.is_null());
    Ok(result)
}

#[test]
fn metadata_and_version() {
    let vt = table();
    assert_eq!(vt.abi, ABI_VERSION);
    assert_eq!(ABI_VERSION, AbiVersion { major: 1, minor: 0 });
    // SAFETY: metadata functions return static strings.
    unsafe {
        assert_eq!(c_text((vt.name)()), "scale");
        assert_eq!(c_text((vt.version)()), "1.2.3");
        assert_eq!(c_text((vt.description)()), "multiplies by a factor");
    }
}

#[test]
fn create_predict_destroy() {
    let vt = table();
    let h = create(vt, "2.5").expect("created");
    let (shape, data) = predict(vt, h, &[1, 1, 2, 2], None, &[1.0, 2.0, 3.0, 4.0]).expect("ok");
    assert_eq!(shape, vec![1, 1, 2, 2]);
    assert_eq!(data, vec![2.5, 5.0, 7.5, 10.0]);
    // A strided (transposed) view of a 2x3 row-major buffer: the 3x2 transpose.
    let buf = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let (shape, data) = predict(vt, h, &[3, 2], Some(&[1, 3]), &buf).expect("ok");
    assert_eq!(shape, vec![3, 2]);
    assert_eq!(data, vec![2.5, 10.0, 5.0, 12.5, 7.5, 15.0]);
    // SAFETY: handle from create, destroyed once.
    unsafe { (vt.destroy)(h) };
}

#[test]
fn errors_and_panics_become_status_and_message() {
    let vt = table();
    let (status, msg) = create(vt, "two").expect_err("bad config");
    assert_eq!(status, STATUS_ERROR);
    assert!(msg.contains("config `two` is not a number"), "{msg}");

    let h = create(vt, "1").expect("created");
    let (status, msg) = predict(vt, h, &[0], None, &[]).expect_err("empty");
    assert_eq!(status, STATUS_ERROR);
    assert_eq!(msg, "empty input");

    let (status, msg) = predict(vt, h, &[2], None, &[-1.0, 1.0]).expect_err("panics");
    assert_eq!(status, STATUS_PANIC);
    assert!(msg.contains("plugin panicked: negative input -1"), "{msg}");

    // Wrong dtype is refused before the model sees it.
    let shape = [1u64];
    let view = TensorView {
        dtype: 7,
        ndim: 1,
        shape: shape.as_ptr(),
        strides: std::ptr::null(),
        data: [1.0f32].as_ptr().cast(),
    };
    let mut out = RawOwnedTensor::empty();
    let mut err = std::ptr::null_mut();
    // SAFETY: valid pointers for the call.
    let status = unsafe { (vt.predict)(h, &view, &mut out, &mut err) };
    assert_eq!(status, STATUS_ERROR);
    assert!(c_text(err).contains("dtype code 7 is not supported"));
    // SAFETY: released once; handle destroyed once.
    unsafe {
        (vt.release_error)(err);
        (vt.destroy)(h);
    }
}

#[test]
fn invalid_utf8_config_is_an_error() {
    let vt = table();
    let bytes = [0xffu8, 0xfe];
    let mut handle = std::ptr::null_mut();
    let mut err = std::ptr::null_mut();
    // SAFETY: valid pointers.
    let status = unsafe { (vt.create)(bytes.as_ptr(), bytes.len(), &mut handle, &mut err) };
    assert_eq!(status, STATUS_ERROR);
    assert!(c_text(err).contains("not UTF-8"));
    // SAFETY: released once.
    unsafe { (vt.release_error)(err) };
}

#[test]
fn different_major_version_is_refused() {
    assert!(check_abi_version(AbiVersion { major: 1, minor: 7 }).is_ok());
    let err = check_abi_version(AbiVersion { major: 2, minor: 0 }).expect_err("major 2");
    assert!(
        err.contains("plugin ABI version 2.0 is incompatible"),
        "{err}"
    );
    assert!(err.contains("ABI 1.0"), "{err}");

    // A table claiming major 2: the handshake reads only the version.
    let mut fake = *table();
    fake.abi = AbiVersion { major: 2, minor: 0 };
    // SAFETY: points to a complete table.
    let err = unsafe { vtable_from_ptr(&fake) }.expect_err("refused");
    assert!(err.contains("incompatible"), "{err}");
    // SAFETY: null is allowed.
    let err = unsafe { vtable_from_ptr(std::ptr::null()) }.expect_err("null");
    assert!(err.contains("null function table"), "{err}");
}
