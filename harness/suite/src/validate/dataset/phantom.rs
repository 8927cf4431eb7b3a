//! The generated (phantom) sources: `phantom_cardiac`, `phantom_ct`,
//! `phantom_classes` and `phantom_stacks`.

use serde_saphyr::Spanned;

use super::entry::Entry;
use crate::plan::DatasetSource;
use crate::position::pos;
use crate::raw::{RawObservers, SourceKind};
use crate::validate::checker::Checker;

/// The phantom's size limits (those of `sensibench-data`'s phantom), checked
/// here so a bad size is reported at its line.
const PHANTOM_SIZE: std::ops::RangeInclusive<usize> = 16..=2048;

/// Checks a phantom's `size` against [`PHANTOM_SIZE`].
fn phantom_size(ck: &mut Checker, size: Option<&Spanned<usize>>) {
    if let Some(s) = size
        && !PHANTOM_SIZE.contains(&s.value)
    {
        ck.error(
            pos(s),
            format!(
                "phantom `size` must be between {} and {} pixels, got {}",
                PHANTOM_SIZE.start(),
                PHANTOM_SIZE.end(),
                s.value
            ),
        );
    }
}

/// `source: phantom_cardiac` and `source: phantom_ct`: subjects of slices
/// with masks.
pub(super) fn phantom_slices(ck: &mut Checker, e: &Entry) -> DatasetSource {
    let d = e.d;
    e.require(ck, "subjects", d.subjects.is_some());
    e.require(ck, "slices_per_subject", d.slices_per_subject.is_some());
    e.require(ck, "size", d.size.is_some());
    for (key, v) in [
        ("subjects", &d.subjects),
        ("slices_per_subject", &d.slices_per_subject),
    ] {
        if let Some(v) = v
            && v.value == 0
        {
            ck.error(pos(v), format!("`{key}` must be at least 1"));
        }
    }
    phantom_size(ck, d.size.as_ref());
    let subjects = d.subjects.as_ref().map_or(0, |v| v.value);
    let slices_per_subject = d.slices_per_subject.as_ref().map_or(0, |v| v.value);
    let size = d.size.as_ref().map_or(0, |v| v.value);
    if e.kind == SourceKind::PhantomCt {
        DatasetSource::PhantomCt {
            subjects,
            slices_per_subject,
            size,
            observers: ct_observers(ck, e),
        }
    } else {
        DatasetSource::PhantomCardiac {
            subjects,
            slices_per_subject,
            size,
        }
    }
}

/// `observers:` of a CT phantom: a number of simulated observers, 0 or >= 2.
fn ct_observers(ck: &mut Checker, e: &Entry) -> usize {
    match e.d.observers.as_ref() {
        None => 0,
        Some(o) => match &o.value {
            RawObservers::Count(1) => {
                ck.error(
                    pos(o),
                    "`observers` must be 0 (none) or at least 2: agreement needs pairs",
                );
                0
            }
            RawObservers::Count(n) => usize::try_from(*n).unwrap_or(usize::MAX),
            RawObservers::Folders(_) => {
                ck.error(
                    pos(o),
                    "a phantom's `observers` is a number of simulated observers",
                );
                0
            }
        },
    }
}

/// `source: phantom_classes`: generated images of each class.
pub(super) fn phantom_classes(ck: &mut Checker, e: &Entry) -> DatasetSource {
    let d = e.d;
    e.require(ck, "per_class", d.per_class.is_some());
    e.require(ck, "size", d.size.is_some());
    if let Some(n) = &d.per_class
        && n.value == 0
    {
        ck.error(pos(n), "`per_class` must be at least 1");
    }
    phantom_size(ck, d.size.as_ref());
    DatasetSource::PhantomClasses {
        per_class: d.per_class.as_ref().map_or(1, |n| n.value),
        size: d.size.as_ref().map_or(64, |n| n.value),
    }
}

/// `source: phantom_stacks`: slice stacks whose class is the slice's
/// position along the long axis, cut at `cuts`.
pub(super) fn phantom_stacks(ck: &mut Checker, e: &Entry, n_classes: usize) -> DatasetSource {
    let d = e.d;
    e.require(ck, "subjects", d.subjects.is_some());
    e.require(ck, "slices_per_subject", d.slices_per_subject.is_some());
    e.require(ck, "size", d.size.is_some());
    e.require(ck, "cuts", d.cuts.is_some());
    if let Some(v) = &d.subjects
        && v.value < 2
    {
        ck.error(pos(v), "`subjects` must be at least 2");
    }
    if let Some(v) = &d.slices_per_subject
        && v.value < 2
    {
        ck.error(
            pos(v),
            "`slices_per_subject` must be at least 2 (base to apex)",
        );
    }
    phantom_size(ck, d.size.as_ref());
    let cuts: Vec<f64> = d
        .cuts
        .as_ref()
        .map(|c| c.value.iter().map(|x| x.value).collect())
        .unwrap_or_default();
    let positions = stack_positions(ck, e);
    if let Some(c) = &d.cuts {
        check_cuts(ck, c, &cuts, positions, n_classes);
    }
    DatasetSource::PhantomStacks {
        subjects: d.subjects.as_ref().map_or(2, |n| n.value),
        slices_per_subject: d.slices_per_subject.as_ref().map_or(2, |n| n.value),
        size: d.size.as_ref().map_or(64, |n| n.value),
        positions,
        cuts,
        split: e.split(),
    }
}

/// `positions:` of a stack, the first and last slice's position (`[0, 1]`
/// when absent or wrong).
fn stack_positions(ck: &mut Checker, e: &Entry) -> [f64; 2] {
    let (lo, hi) = crate::plan::STACK_POSITIONS;
    match &e.d.positions {
        None => [0.0, 1.0],
        Some(p) => match p.value.as_slice() {
            [a, b] if a.value >= lo && b.value <= hi && a.value < b.value => [a.value, b.value],
            _ => {
                ck.error(
                    pos(p),
                    format!(
                        "`positions` takes the first and last slice's position, increasing, within [{lo}, {hi}] (0 = base, 1 = apex)"
                    ),
                );
                [0.0, 1.0]
            }
        },
    }
}

/// `cuts:` (written at `c`, values `cuts`): increasing, inside `positions`,
/// one fewer than the classes.
fn check_cuts(
    ck: &mut Checker,
    c: &Spanned<Vec<Spanned<f64>>>,
    cuts: &[f64],
    positions: [f64; 2],
    n_classes: usize,
) {
    let [first, last] = positions;
    let ok = cuts
        .iter()
        .all(|x| x.is_finite() && *x > first && *x < last)
        && cuts.windows(2).all(|w| w[0] < w[1]);
    if !ok {
        ck.error(
            pos(c),
            format!(
                "`cuts` must be increasing positions inside `positions` ({first}, {last}) (0 = base, 1 = apex)"
            ),
        );
    } else if cuts.len() + 1 != n_classes {
        ck.error(
            pos(c),
            format!(
                "`cuts` has {} points, giving {} classes; the suite has {n_classes} classes",
                cuts.len(),
                cuts.len() + 1
            ),
        );
    }
}
