//! With the `torch` feature: an rpath to libtorch for this crate's binaries
//! and tests (see `sensibench-build`).
fn main() {
    sensibench_build::libtorch_rpath(sensibench_build::torch_feature());
}
