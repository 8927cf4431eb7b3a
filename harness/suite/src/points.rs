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

/// Why a [`PointsSpec`] has no valid expansion (the text is the message shown
/// at the spec's position).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub(crate) enum PointsError {
    /// `points: []`.
    #[error("the list of points is empty")]
    EmptyList,
    /// A generator's start or stop is not finite.
    #[error("`{what}` needs finite start and stop, got {start} and {stop}")]
    NonFiniteEnds {
        /// The generator (`linspace`, `logspace` or `range`).
        what: &'static str,
        /// The start as written.
        start: f64,
        /// The stop as written.
        stop: f64,
    },
    /// `num` of linspace or logspace is 0.
    #[error("`{what}` needs num >= 1 (the number of points), got 0")]
    NoPoints {
        /// The generator (`linspace` or `logspace`).
        what: &'static str,
    },
    /// `num` of linspace or logspace is over [`MAX_POINTS`].
    #[error("`{what}` asks for {num} points; at most {max} are allowed", max = MAX_POINTS)]
    TooManyPoints {
        /// The generator (`linspace` or `logspace`).
        what: &'static str,
        /// The number asked for.
        num: usize,
    },
    /// The `base` of logspace is not a finite number > 0.
    #[error("`base` of logspace must be a finite number > 0, got {base}")]
    BadBase {
        /// The base as written.
        base: f64,
    },
    /// The step of range is zero or not finite.
    #[error("`range` needs a finite, non-zero step, got {step}")]
    BadStep {
        /// The step as written.
        step: f64,
    },
    /// A range with no points.
    #[error("`range: [{start}, {stop}, {step}]` is empty (stop is excluded, like numpy.arange)")]
    EmptyRange {
        /// First point.
        start: f64,
        /// Excluded end.
        stop: f64,
        /// Distance between points.
        step: f64,
    },
    /// A range of more than [`MAX_POINTS`] points.
    #[error(
        "`range: [{start}, {stop}, {step}]` gives {count} points; at most {max} are allowed",
        max = MAX_POINTS
    )]
    RangeTooLong {
        /// First point.
        start: f64,
        /// Excluded end.
        stop: f64,
        /// Distance between points.
        step: f64,
        /// The number of points it would give.
        count: f64,
    },
    /// A point that is not a finite number.
    #[error("point {index} is {value}; points must be finite numbers")]
    NonFinitePoint {
        /// Its index in the expansion.
        index: usize,
        /// The point.
        value: f64,
    },
}

/// Expands `spec` into its points, in order.
///
/// Fails with a message (no location; the caller adds it) when the result
/// would be empty, longer than [`MAX_POINTS`], or contain a value that is not
/// finite, and when a `range` step is zero or not finite.
pub fn expand_points(spec: &PointsSpec) -> Result<Vec<f64>, String> {
    expand(spec).map_err(|e| e.to_string())
}

/// [`expand_points`] with the reason typed.
pub(crate) fn expand(spec: &PointsSpec) -> Result<Vec<f64>, PointsError> {
    let points = match *spec {
        PointsSpec::List(ref values) => {
            if values.is_empty() {
                return Err(PointsError::EmptyList);
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
                return Err(PointsError::BadBase { base });
            }
            linspace(start, stop, num)
                .into_iter()
                .map(|e| base.powf(e))
                .collect()
        }
        PointsSpec::Range { start, stop, step } => {
            check_ends("range", start, stop)?;
            if !step.is_finite() || step == 0.0 {
                return Err(PointsError::BadStep { step });
            }
            let count = ((stop - start) / step).ceil();
            if count.is_nan() || count < 1.0 {
                return Err(PointsError::EmptyRange { start, stop, step });
            }
            if count > MAX_POINTS as f64 {
                return Err(PointsError::RangeTooLong {
                    start,
                    stop,
                    step,
                    count,
                });
            }
            // `count` is an integer in 1..=MAX_POINTS here.
            (0..count as usize)
                .map(|i| start + i as f64 * step)
                .collect()
        }
    };
    if let Some((index, &value)) = points.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(PointsError::NonFinitePoint { index, value });
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

fn check_ends(what: &'static str, start: f64, stop: f64) -> Result<(), PointsError> {
    if start.is_finite() && stop.is_finite() {
        Ok(())
    } else {
        Err(PointsError::NonFiniteEnds { what, start, stop })
    }
}

fn check_num(what: &'static str, num: usize) -> Result<(), PointsError> {
    if num == 0 {
        return Err(PointsError::NoPoints { what });
    }
    if num > MAX_POINTS {
        return Err(PointsError::TooManyPoints { what, num });
    }
    Ok(())
}
