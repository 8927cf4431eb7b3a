//! `perturbations:`: each kind resolved in the registry, its `options:`
//! built, its grid (`points:` or `severity:`) expanded.

use sensibench_core::{Error as CoreError, Params, PerturbationEntry, severity_level};
use serde_saphyr::Spanned;

use super::checker::Checker;
use crate::plan::{PerturbationPlan, Scale};
use crate::points::{MAX_POINTS, PointsSpec, expand};
use crate::position::{Pos, pos};
use crate::raw::{RawGenerator, RawOptions, RawPerturbation, RawPoints};

/// How a perturbation of a registry entry is built from its options.
type Build = fn(&Params) -> Result<Box<dyn sensibench_core::Perturbation>, CoreError>;

/// The `perturbations:` list: labels unique, every entry checked.
pub(super) fn perturbations(
    ck: &mut Checker,
    list: &Spanned<Vec<Spanned<RawPerturbation>>>,
) -> Vec<PerturbationPlan> {
    ck.check_unique(
        "perturbation label",
        list.value.iter().map(|p| {
            let p = &p.value;
            match &p.label {
                Some(l) => (l.value.as_str(), pos(l)),
                None => (p.name.value.as_str(), pos(&p.name)),
            }
        }),
        "; give each a different `label:`",
    );
    list.value
        .iter()
        .filter_map(|p| perturbation(ck, &p.value))
        .collect()
}

/// `options:` as parameters (none when absent).
pub(super) fn params_of(options: Option<&Spanned<RawOptions>>) -> Params {
    let mut params = Params::default();
    if let Some(opts) = options {
        for (k, v) in &opts.value.0 {
            params.0.insert(k.value.clone(), v.value.clone());
        }
    }
    params
}

/// One perturbation; `None` when it has problems (all of them reported).
fn perturbation(ck: &mut Checker, p: &RawPerturbation) -> Option<PerturbationPlan> {
    let errors_before = ck.errors.len();
    if let Some(l) = &p.label {
        ck.check_name("perturbation label", l);
    }
    let entry = match ck.ctx.catalog.perturbations.get(&p.name.value) {
        Ok(e) => Some(e),
        Err(e) => {
            ck.error(pos(&p.name), e.to_string());
            None
        }
    };

    let params = params_of(p.options.as_ref());
    let scale = if p.severity.is_some() {
        Scale::Severity
    } else {
        Scale::Parameter
    };
    let build = entry.and_then(|entry| build_of(ck, p, entry, scale));
    if let Some(build) = build
        && let Err(e) = build(&params)
    {
        options_error(ck, p, &e);
    }
    let points = grid(ck, p);
    if ck.errors.len() > errors_before {
        return None;
    }
    Some(PerturbationPlan {
        kind: p.name.value.clone(),
        label: p
            .label
            .as_ref()
            .map_or_else(|| p.name.value.clone(), |l| l.value.clone()),
        params,
        points: points?,
        scale,
    })
}

/// How `entry` builds the perturbation on `scale` (a severity scale only
/// when it has one).
fn build_of(
    ck: &mut Checker,
    p: &RawPerturbation,
    entry: &PerturbationEntry,
    scale: Scale,
) -> Option<Build> {
    match scale {
        Scale::Severity => match &entry.severity {
            Some(sev) => Some(sev.build),
            None => {
                ck.error(
                    p.severity.as_ref().map_or(pos(&p.name), pos),
                    format!(
                        "perturbation `{}` has no severity scale; sweep its parameter `{}` with `points:`",
                        p.name.value, entry.parameter.name
                    ),
                );
                None
            }
        },
        Scale::Parameter => Some(entry.build),
    }
}

/// Reports why the perturbation cannot be built from its options, at the
/// option the error is about when we can tell which.
fn options_error(ck: &mut Checker, p: &RawPerturbation, e: &CoreError) {
    let key_of = |key: &str| {
        p.options
            .as_ref()
            .and_then(|o| o.value.0.iter().find(|(k, _)| k.value == key))
    };
    let fallback = p.options.as_ref().map_or(pos(&p.name), pos);
    let (at, message) = match e {
        CoreError::InvalidParameter { name, .. } => (
            key_of(name).map_or(fallback, |(_, v)| pos(v)),
            format!("perturbation `{}`: {e}", p.name.value),
        ),
        CoreError::UnknownName { name, .. } => {
            // `Params::check_known` names it "key` of perturbation `x".
            let key = name.split('`').next().unwrap_or(name);
            (key_of(key).map_or(fallback, |(k, _)| pos(k)), e.to_string())
        }
        _ => (fallback, format!("perturbation `{}`: {e}", p.name.value)),
    };
    ck.error(at, message);
}

/// The perturbation's grid: `points:` (values of its parameter) or
/// `severity:` (levels), exactly one of them.
fn grid(ck: &mut Checker, p: &RawPerturbation) -> Option<Vec<f64>> {
    match (&p.points, &p.severity) {
        (Some(pts), None) => points(ck, pts),
        (None, Some(levels)) => severity_levels(ck, &p.name.value, levels),
        (Some(pts), Some(_)) => {
            ck.error(
                pos(pts),
                format!(
                    "perturbation `{}` has both `points:` and `severity:`; give one of them",
                    p.name.value
                ),
            );
            None
        }
        (None, None) => {
            ck.error(
                pos(&p.name),
                format!(
                    "perturbation `{}` needs `points:` (values of its parameter) or `severity:` (levels 1..5)",
                    p.name.value
                ),
            );
            None
        }
    }
}

/// `severity: [1, 2, 3]`: integer levels 0..=5, each once.
fn severity_levels(
    ck: &mut Checker,
    perturbation: &str,
    levels: &Spanned<Vec<Spanned<f64>>>,
) -> Option<Vec<f64>> {
    if levels.value.is_empty() {
        ck.error(pos(levels), "`severity` needs at least one level (1..5)");
        return None;
    }
    let mut out = Vec::with_capacity(levels.value.len());
    let mut ok = true;
    for v in &levels.value {
        match severity_level(perturbation, v.value) {
            Ok(_) if out.contains(&v.value) => {
                ck.error(pos(v), format!("severity level {} is repeated", v.value));
                ok = false;
            }
            Ok(_) => out.push(v.value),
            Err(e) => {
                ck.error(pos(v), e.to_string());
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

/// `points:`, a list of numbers or one generator, expanded.
fn points(ck: &mut Checker, points: &Spanned<RawPoints>) -> Option<Vec<f64>> {
    let spec = match &points.value {
        RawPoints::List(values) => {
            let mut ok = true;
            for v in values {
                if !v.value.is_finite() {
                    ck.error(pos(v), format!("point {} is not a finite number", v.value));
                    ok = false;
                }
            }
            if !ok {
                return None;
            }
            PointsSpec::List(values.iter().map(|v| v.value).collect())
        }
        RawPoints::Generator(g) => generator(ck, pos(points), g)?,
    };
    let at = match &points.value {
        RawPoints::List(_) => pos(points),
        RawPoints::Generator(g) => g
            .linspace
            .as_ref()
            .or(g.logspace.as_ref())
            .or(g.range.as_ref())
            .map_or(pos(points), pos),
    };
    match expand(&spec) {
        Ok(v) => Some(v),
        Err(why) => {
            ck.error(at, why.to_string());
            None
        }
    }
}

/// The one generator of `points:` (written at `at`) as a [`PointsSpec`].
fn generator(ck: &mut Checker, at: Pos, g: &RawGenerator) -> Option<PointsSpec> {
    let given: Vec<(&str, &Spanned<Vec<f64>>)> = [
        ("linspace", &g.linspace),
        ("logspace", &g.logspace),
        ("range", &g.range),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
    .collect();
    let (kind, triple) = match given.as_slice() {
        [one] => *one,
        [] => {
            ck.error(
                at,
                "`points` needs one of `linspace`, `logspace`, `range` (or a list of numbers)",
            );
            return None;
        }
        [_, (second, v), ..] => {
            ck.error(
                pos(v),
                format!("`points` takes one generator; `{second}` is a second one"),
            );
            return None;
        }
    };
    if let Some(b) = &g.base
        && kind != "logspace"
    {
        ck.error(pos(b), "`base` only applies to `logspace`");
        return None;
    }
    if let Some(b) = &g.base
        && !(b.value.is_finite() && b.value > 0.0)
    {
        ck.error(
            pos(b),
            format!("`base` must be a finite number > 0, got {}", b.value),
        );
        return None;
    }
    let what = if kind == "range" {
        "[start, stop, step]"
    } else {
        "[start, stop, num]"
    };
    let [start, stop, third] = match triple.value.as_slice() {
        [a, b, c] => [*a, *b, *c],
        other => {
            ck.error(
                pos(triple),
                format!("`{kind}` takes {what}, got {} values", other.len()),
            );
            return None;
        }
    };
    let num = |ck: &mut Checker| -> Option<usize> {
        if third.fract() != 0.0 || third < 0.0 {
            ck.error(
                pos(triple),
                format!("`{kind}` needs a whole number of points (num >= 1), got {third}"),
            );
            return None;
        }
        // Larger values are rejected by `expand`; saturate to keep them large.
        Some(if third > (MAX_POINTS + 1) as f64 {
            MAX_POINTS + 1
        } else {
            third as usize
        })
    };
    Some(match kind {
        "linspace" => PointsSpec::Linspace {
            start,
            stop,
            num: num(ck)?,
        },
        "logspace" => PointsSpec::Logspace {
            start,
            stop,
            num: num(ck)?,
            base: g.base.as_ref().map_or(10.0, |b| b.value),
        },
        _ => PointsSpec::Range {
            start,
            stop,
            step: third,
        },
    })
}
