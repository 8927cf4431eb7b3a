//! Shared by the build scripts of the crates whose binaries, tests or
//! plugins link the TorchScript backend (libtorch).
//!
//! libtorch from the PyPI wheel lives in the project's `.tools/torch`, not in
//! a system library path, and `torch-sys` gives final binaries no RUNPATH. So
//! every such crate adds `-Wl,-rpath,$LIBTORCH/lib` to its own link lines
//! (`cargo:rustc-link-arg` applies to the emitting package only).

use std::path::PathBuf;

/// The libtorch `lib/` folder: `$DEP_TCH_LIBTORCH_LIB` (set for direct
/// dependents of `torch-sys`), else `$LIBTORCH/lib` (the Makefile exports
/// `LIBTORCH`).
pub fn libtorch_lib() -> Option<PathBuf> {
    std::env::var_os("DEP_TCH_LIBTORCH_LIB")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("LIBTORCH").map(|p| PathBuf::from(p).join("lib")))
}

/// Emits the rpath to libtorch when `enabled` (pass "this crate's `torch`
/// feature is on", read from `CARGO_FEATURE_TORCH`, or `true` for a crate
/// that always links it). Without a libtorch folder it prints a cargo warning
/// saying how to run the binaries (`LD_LIBRARY_PATH`).
pub fn libtorch_rpath(enabled: bool) {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
    if !enabled {
        return;
    }
    match libtorch_lib() {
        Some(lib) => println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display()),
        None => println!(
            "cargo:warning=LIBTORCH is not set: binaries will need LD_LIBRARY_PATH=<torch>/lib to find libtorch (use the Makefile)"
        ),
    }
}

/// True when the crate being built has its `torch` feature on.
pub fn torch_feature() -> bool {
    std::env::var_os("CARGO_FEATURE_TORCH").is_some()
}
