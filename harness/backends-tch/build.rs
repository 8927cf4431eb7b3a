//! An rpath to libtorch for this crate's tests (see `sensibench-build`).
fn main() {
    sensibench_build::libtorch_rpath(true);
}
