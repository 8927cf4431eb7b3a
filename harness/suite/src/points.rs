//! Grid points of a perturbation: explicit lists and numpy-style generators.

/// The most points one generator may produce (a guard against typos such as
/// `range: [0, 1000, 0.001]`).
pub const MAX_POINTS: usize = 10_000;

/// How the grid points of a perturbation are written in a suite.
#[derive(Clone, Debug, PartialEq)]
pub enum PointsSpec {
    /// `points: [0, 0.5, 1]`, taken as written.
    List(Vec<f64>),
    /// `{linspace: [start, stop, num]}`: `numpy.linspace(start, stop, num)`,
    /// endpoint included: `start + i * (stop - start) / (num - 1)` for
    /// `i = 0..num`, the last point set to `stop` exactly; `[start]` when
    /// `num == 1`.
    Linspace {
        /// First point.
        start: f64,
        /// Last point (included).
        stop: f64,
        /// Number of points, >= 1.
        num: usize,
    },
    /// `{logspace: [start, stop, num], base: 10}`:
    /// `numpy.logspace(start, stop, num, base=base)` = `base ** linspace(start, stop, num)`.
    Logspace {
        /// Exponent of the first point.
        start: f64,
        /// Exponent of the last point (included).
        stop: f64,
        /// Number of points, >= 1.
        num: usize,
        /// The base (> 0; 10 when not written).
        base: f64,
    },
    /// `{range: [start, stop, step]}`: `numpy.arange(start, stop, step)`, stop
    /// excluded: `start + i * step` for `i = 0..ceil((stop - start) / step)`.
    Range {
        /// First point.
        start: f64,
        /// Excluded end.
        stop: f64,
        /// Distance between points (non-zero; negative counts down).
        step: f64,
    },
}

/// Expands `spec` into its points, in order.
///
/// Fails with a message (no location; the caller adds it) when the result
/// would be empty, longer than [`MAX_POINTS`], or contain a value that is not
/// finite, and when a `range` step is zero or not finite.
pub fn expand_points(spec: &PointsSpec) -> Result<Vec<f64>, String> {
    let points = match *spec {
        PointsSpec::List(ref values) => {
            if values.is_empty() {
                return Err("the list of points is empty".to_string());
            }
            values.clone()
        }
        PointsSpec::Linspace { start, stop, num } => {
            check_ends("linspace", start, stop)?;
            check_num("linspace", num)?;
            linspace(start, stop, num)
        }
        PointsSpec::Logspace {
            start,
            stop,
            num,
            base,
        } => {
            check_ends("logspace", start, stop)?;
            check_num("logspace", num)?;
            if !base.is_finite() || base <= 0.0 {
                return Err(format!(
                    "`base` of logspace must be a finite number > 0, got {base}"
                ));
            }
            linspace(start, stop, num)
                .into_iter()
                .map(|e| base.powf(e))
                .collect()
        }
        PointsSpec::Range { start, stop, step } => {
            check_ends("range", start, stop)?;
            if !step.is_finite() || step == 0.0 {
                return Err(format!("`range` needs a finite, non-zero step, got {step}"));
            }
            let count = ((stop - start) / step).ceil();
            if count.is_nan() || count < 1.0 {
                return Err(format!(
                    "`range: [{start}, {stop}, {step}]` is empty (stop is excluded, like numpy.arange)"
                ));
            }
            if count > MAX_POINTS as f64 {
                return Err(format!(
                    "`range: [{start}, {stop}, {step}]` gives {count} points; at most {MAX_POINTS} are allowed"
                ));
            }
            // `count` is an integer in 1..=MAX_POINTS here.
            (0..count as usize)
                .map(|i| start + i as f64 * step)
                .collect()
        }
    };
    if let Some((i, v)) = points.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(format!("point {i} is {v}; points must be finite numbers"));
    }
    Ok(points)
}

/// numpy's linspace with `endpoint=True`.
fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    if num == 1 {
        return vec![start];
    }
    let step = (stop - start) / (num - 1) as f64;
    let mut out: Vec<f64> = (0..num).map(|i| i as f64 * step + start).collect();
    if let Some(last) = out.last_mut() {
        *last = stop;
    }
    out
}

fn check_ends(what: &str, start: f64, stop: f64) -> Result<(), String> {
    if start.is_finite() && stop.is_finite() {
        Ok(())
    } else {
        Err(format!(
            "`{what}` needs finite start and stop, got {start} and {stop}"
        ))
    }
}

fn check_num(what: &str, num: usize) -> Result<(), String> {
    if num == 0 {
        return Err(format!(
            "`{what}` needs num >= 1 (the number of points), got 0"
        ));
    }
    if num > MAX_POINTS {
        return Err(format!(
            "`{what}` asks for {num} points; at most {MAX_POINTS} are allowed"
        ));
    }
    Ok(())
}
