//! `input:`, `normalize:` and `augment:`: how images are prepared for a model
//! (or for the training of a study).

use serde_saphyr::Spanned;

use super::checker::{Checker, finite, finite_positive};
use crate::plan::{AugmentPlan, Fit, Normalize, Preprocess};
use crate::position::pos;
use crate::raw::{RawAugment, RawFit, RawInput, RawNormalize};

/// `input:` and `normalize:` of a model (or of the efficiency study).
pub(super) fn preprocess(
    ck: &mut Checker,
    input: Option<&Spanned<RawInput>>,
    normalize: Option<&Spanned<RawNormalize>>,
) -> Preprocess {
    let mut preprocess = Preprocess {
        size: None,
        fit: Fit::Resize,
        normalize: Normalize::None,
    };
    if let Some(input) = input {
        if let Some(size) = &input.value.size {
            match size.value.as_slice() {
                [h, w] if *h >= 1 && *w >= 1 => preprocess.size = Some([*h, *w]),
                other => ck.error(
                    pos(size),
                    format!("`size` must be [height, width], two integers >= 1; got {other:?}"),
                ),
            }
        }
        if let Some(RawFit::Pad) = input.value.fit {
            preprocess.fit = Fit::Pad;
        }
    }
    if let Some(n) = normalize {
        preprocess.normalize = match &n.value {
            RawNormalize::None => Normalize::None,
            RawNormalize::Zscore => Normalize::ZScore,
            RawNormalize::Minmax => Normalize::MinMax,
            RawNormalize::Fixed(f) => {
                let [mean, std] = centre_and_width(ck, ("mean", &f.mean), ("std", &f.std));
                Normalize::Fixed { mean, std }
            }
            RawNormalize::Window(w) => {
                let [level, width] = centre_and_width(ck, ("level", &w.level), ("width", &w.width));
                Normalize::Window { level, width }
            }
        };
    }
    preprocess
}

/// The two numbers of a `normalize:` form, each with its key: a finite
/// centre and a finite width > 0.
fn centre_and_width(
    ck: &mut Checker,
    centre: (&str, &Spanned<f64>),
    width: (&str, &Spanned<f64>),
) -> [f64; 2] {
    finite(ck, centre.0, centre.1);
    finite_positive(ck, width.0, width.1, false);
    [centre.1.value, width.1.value]
}

/// `augment:` of a study's training (none when absent); `scale` and `shift`
/// are finite numbers >= 0.
pub(super) fn augment(ck: &mut Checker, raw: Option<&Spanned<RawAugment>>) -> AugmentPlan {
    let amount = |ck: &mut Checker, key: &str, v: &Option<Spanned<f64>>| {
        v.as_ref().map_or(0.0, |v| {
            finite_positive(ck, key, v, true);
            v.value
        })
    };
    raw.map_or(AugmentPlan::default(), |a| {
        let a = &a.value;
        AugmentPlan {
            flip_x: a.flip_x,
            flip_y: a.flip_y,
            rot90: a.rot90,
            scale: amount(ck, "scale", &a.scale),
            shift: amount(ck, "shift", &a.shift),
        }
    })
}
