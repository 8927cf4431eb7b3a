//! A native test plugin that segments by a threshold and, on demand, crashes
//! the process it runs in: the fixture of the `isolate: process` tests.
//!
//! Exported through the sensibench plugin ABI as `sensibench_test_fixtures`
//! (`libsensibench_test_fixtures.so`; in a suite `plugin: sensibench_test_fixtures`).
//!
//! # Configuration
//!
//! A JSON object (empty text or `{}` = the defaults):
//!
//! - `crash`: `"none"` (default), `"abort"` (calls `std::process::abort`: the
//!   process dies of `SIGABRT`) or `"segfault"` (writes to an unmapped address:
//!   the process dies of `SIGSEGV`);
//! - `after`: a whole number `N >= 0` (default 0): the first `N` calls of
//!   `predict` of a model succeed, call `N + 1` crashes (so `after: 0` crashes on
//!   the first call). The count is per model instance, so a restarted process
//!   counts from zero again.
//!
//! Before crashing it writes `sensibench_test_fixtures: crashing (<kind>) on call <n>`
//! to standard error.
//!
//! # Prediction
//!
//! Input `N x 1 x H x W` (or `N x 1 x D x H x W`); output the same shape, `f32`
//! labels: per 2D slice of `H x W` values `x_i` with mean `m = (1/HW) sum x_i`,
//! label `1` where `x_i > m` and `0` elsewhere (a flat slice is all 0). Non-finite
//! input values are rejected with an error.

use sensibench_plugin_sdk::{NativeModel, OwnedTensor, TensorRef, export_plugin};

/// How the fixture crashes the process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Crash {
    /// Never.
    None,
    /// `std::process::abort()`: `SIGABRT`.
    Abort,
    /// A write to an unmapped address: `SIGSEGV`.
    Segfault,
}

/// The fixture model: a threshold segmenter that crashes on call `after + 1`.
#[derive(Debug)]
pub struct Fixture {
    /// How to crash.
    pub crash: Crash,
    /// Calls that succeed before the crash.
    pub after: u64,
    /// Calls of `predict` so far.
    pub calls: u64,
}

impl Fixture {
    /// Parses the configuration (see the crate docs).
    pub fn from_config(config: &str) -> Result<Self, String> {
        let mut fixture = Fixture {
            crash: Crash::None,
            after: 0,
            calls: 0,
        };
        if config.trim().is_empty() {
            return Ok(fixture);
        }
        let value: serde_json::Value = serde_json::from_str(config).map_err(|e| {
            format!("sensibench_test_fixtures: the configuration `{config}` is not JSON: {e}")
        })?;
        let object = match value {
            serde_json::Value::Null => return Ok(fixture),
            serde_json::Value::Object(o) => o,
            other => {
                return Err(format!(
                    "sensibench_test_fixtures: expected a configuration object like {{\"crash\": \"abort\", \"after\": 1}}, got `{other}`"
                ));
            }
        };
        for (key, v) in &object {
            match key.as_str() {
                "crash" => {
                    fixture.crash = match v.as_str() {
                        Some("none") => Crash::None,
                        Some("abort") => Crash::Abort,
                        Some("segfault") => Crash::Segfault,
                        _ => {
                            return Err(format!(
                                "sensibench_test_fixtures: `crash` = {v}: expected \"none\", \"abort\" or \"segfault\""
                            ));
                        }
                    }
                }
                "after" => {
                    fixture.after = match v.as_f64() {
                        Some(x) if x >= 0.0 && x.fract() == 0.0 && x < 9.0e15 => x as u64,
                        _ => {
                            return Err(format!(
                                "sensibench_test_fixtures: `after` = {v}: expected a whole number >= 0"
                            ));
                        }
                    }
                }
                other => {
                    return Err(format!(
                        "sensibench_test_fixtures: unknown option `{other}`; expected `crash` or `after`"
                    ));
                }
            }
        }
        Ok(fixture)
    }
}

/// Kills the process as `crash` says (returns for [`Crash::None`]).
fn crash_now(crash: Crash, call: u64) {
    let kind = match crash {
        Crash::None => return,
        Crash::Abort => "abort",
        Crash::Segfault => "segfault",
    };
    eprintln!("sensibench_test_fixtures: crashing ({kind}) on call {call}");
    match crash {
        Crash::None => {}
        Crash::Abort => std::process::abort(),
        Crash::Segfault => {
            // An aligned, non-null address inside the first page, which Linux never
            // maps (vm.mmap_min_addr >= 4096): the write faults with SIGSEGV.
            let target = std::ptr::without_provenance_mut::<u32>(16);
            // SAFETY: deliberately unsound: this write exists to crash the process
            // with a real segmentation fault, the failure `isolate: process` must
            // survive. Volatile, so it is not optimised away. Only reached when a
            // suite configures `crash: segfault`.
            unsafe { target.write_volatile(0xdead) };
            // Not reached; abort in case the address were ever mapped.
            std::process::abort();
        }
    }
}

/// Labels one slice: 1 above the slice's mean, 0 elsewhere.
pub fn threshold_slice(slice: &[f32]) -> Vec<f32> {
    if slice.is_empty() {
        return Vec::new();
    }
    let mean = slice.iter().map(|&x| f64::from(x)).sum::<f64>() / slice.len() as f64;
    slice
        .iter()
        .map(|&x| if f64::from(x) > mean { 1.0 } else { 0.0 })
        .collect()
}

impl NativeModel for Fixture {
    fn create(config: &str) -> Result<Self, String> {
        Fixture::from_config(config)
    }

    fn predict(&mut self, input: TensorRef<'_>) -> Result<OwnedTensor, String> {
        self.calls += 1;
        if self.calls > self.after {
            crash_now(self.crash, self.calls);
        }
        let shape = input.shape();
        if !(shape.len() == 4 || shape.len() == 5) || shape[1] != 1 {
            return Err(format!(
                "expected an input of shape N x 1 x H x W (or N x 1 x D x H x W), got {shape:?}"
            ));
        }
        let hw = shape[shape.len() - 2] * shape[shape.len() - 1];
        let data = input.data();
        if let Some(i) = data.iter().position(|v| !v.is_finite()) {
            return Err(format!(
                "input value {} at flat index {i} is not finite",
                data[i]
            ));
        }
        let mut out = Vec::with_capacity(data.len());
        if hw > 0 {
            for slice in data.chunks_exact(hw) {
                out.extend(threshold_slice(slice));
            }
        }
        OwnedTensor::new(shape.to_vec(), out)
    }
}

export_plugin!(
    Fixture,
    name = "sensibench_test_fixtures",
    version = "0.1.0",
    description = "test fixture: threshold segmentation (1 above the slice mean) that can crash its process (abort, segfault) on call after+1"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_defaults_and_options() {
        for empty in ["", "  ", "{}", "null"] {
            let f = Fixture::from_config(empty).expect("defaults");
            assert_eq!((f.crash, f.after), (Crash::None, 0));
        }
        let f = Fixture::from_config(r#"{"crash":"abort","after":1}"#).expect("abort");
        assert_eq!((f.crash, f.after), (Crash::Abort, 1));
        let f = Fixture::from_config(r#"{"crash":"segfault","after":3.0}"#).expect("segv");
        assert_eq!((f.crash, f.after), (Crash::Segfault, 3));
    }

    #[test]
    fn config_errors_name_the_option() {
        let e = Fixture::from_config(r#"{"crash":"boom"}"#).expect_err("bad crash");
        assert!(e.contains("`crash`") && e.contains("segfault"), "{e}");
        let e = Fixture::from_config(r#"{"after":-1}"#).expect_err("bad after");
        assert!(e.contains("`after`"), "{e}");
        let e = Fixture::from_config(r#"{"after":1.5}"#).expect_err("fractional after");
        assert!(e.contains("`after`"), "{e}");
        let e = Fixture::from_config(r#"{"colour":1}"#).expect_err("unknown");
        assert!(e.contains("`colour`"), "{e}");
        let e = Fixture::from_config("[1]").expect_err("not an object");
        assert!(e.contains("object"), "{e}");
        assert!(Fixture::from_config("{").is_err());
    }

    #[test]
    fn thresholds_each_slice_at_its_mean() {
        // slice 1: mean 2.5 -> [0,0,1,1]; slice 2 flat -> all 0; slice 3: mean 0 -> [0,1,0,0]
        let data = [
            1.0, 2.0, 3.0, 4.0, 5.0, 5.0, 5.0, 5.0, -1.0, 3.0, -1.0, -1.0,
        ];
        let mut f = Fixture::from_config("{}").expect("config");
        let out = f
            .predict(TensorRef::new(&[3, 1, 2, 2], &data).expect("tensor"))
            .expect("predict");
        assert_eq!(out.shape(), &[3, 1, 2, 2]);
        assert_eq!(
            out.data(),
            &[0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0]
        );
        assert_eq!(f.calls, 1);
    }

    #[test]
    fn rejects_bad_inputs() {
        let mut f = Fixture::from_config("{}").expect("config");
        let e = f
            .predict(TensorRef::new(&[1, 2, 2, 2], &[0.0; 8]).expect("tensor"))
            .expect_err("two channels");
        assert!(e.contains("N x 1 x H x W"), "{e}");
        let e = f
            .predict(TensorRef::new(&[1, 1, 1, 2], &[0.0, f32::NAN]).expect("tensor"))
            .expect_err("NaN");
        assert!(e.contains("not finite"), "{e}");
    }

    #[test]
    fn a_crash_configured_after_calls_waits_for_them() {
        // crash: none never crashes; `after` calls of a crashing fixture succeed
        // (the crash itself is tested in tests/isolation.rs, in a worker process).
        let mut f = Fixture::from_config(r#"{"crash":"abort","after":2}"#).expect("config");
        for _ in 0..2 {
            f.predict(TensorRef::new(&[1, 1, 1, 2], &[0.0, 1.0]).expect("tensor"))
                .expect("predict before the crash");
        }
        assert_eq!(f.calls, 2);
    }
}
