//! CAM and CRM for a classifier whose head is global average pooling
//! followed by one linear layer.

use crate::map::{SaliencyMap, upsample_bilinear};

/// Validates the shapes shared by [`cam`] and [`crm`].
fn check_shapes(
    what: &str,
    features: &[f32],
    (k, h, w): (usize, usize, usize),
    head_weight: &[f32],
    classes: usize,
) -> Result<(), String> {
    if k == 0 || h == 0 || w == 0 || classes == 0 {
        return Err(format!(
            "{what}: features K x h x w = {k} x {h} x {w} and classes = {classes} must be positive"
        ));
    }
    if features.len() != k * h * w {
        return Err(format!(
            "{what}: features: expected K x h x w = {k} x {h} x {w} = {} values, found {}",
            k * h * w,
            features.len()
        ));
    }
    if head_weight.len() != classes * k {
        return Err(format!(
            "{what}: head_weight: expected classes x K = {classes} x {k} = {} values, found {}",
            classes * k,
            head_weight.len()
        ));
    }
    Ok(())
}

/// `Σ_k W[c, k] · F_k(l, m)` for every location, in `f64` (`h·w` values).
fn class_score_map(
    features: &[f32],
    k: usize,
    hw: usize,
    head_weight: &[f32],
    c: usize,
) -> Vec<f64> {
    let row = &head_weight[c * k..(c + 1) * k];
    let mut out = vec![0.0f64; hw];
    for (kk, &wk) in row.iter().enumerate() {
        let fmap = &features[kk * hw..(kk + 1) * hw];
        for (o, &f) in out.iter_mut().zip(fmap) {
            *o += f64::from(wk) * f64::from(f);
        }
    }
    out
}

/// Class Activation Mapping (Zhou et al., CVPR 2016) of one item:
/// `CAM_c(l, m) = Σ_k W[c, k] · F_k(l, m)` on the `h x w` feature grid, then
/// upsampled to `out_h x out_w` with [`upsample_bilinear`] (torch's
/// `interpolate(mode="bilinear", align_corners=False)`).
///
/// `features` is one item's `K x h x w` feature maps (row-major, the last
/// convolutional block's output before GAP), `head_weight` the linear head's
/// `classes x K` weight (row-major, as `nn.Linear.weight`). The bias is not
/// part of CAM. The map is **signed** and not normalised (the GAP factor
/// `1/(h·w)` is not applied, as in Zhou et al.): negative values are evidence
/// against the class; use [`crate::to_unit`] for display.
#[allow(clippy::too_many_arguments)]
pub fn cam(
    features: &[f32],
    k: usize,
    h: usize,
    w: usize,
    head_weight: &[f32],
    classes: usize,
    class: usize,
    out_h: usize,
    out_w: usize,
) -> Result<SaliencyMap, String> {
    check_shapes("CAM", features, (k, h, w), head_weight, classes)?;
    if class >= classes {
        return Err(format!("CAM: class {class} out of range 0..{classes}"));
    }
    let low: Vec<f32> = class_score_map(features, k, h * w, head_weight, class)
        .into_iter()
        .map(|v| v as f32)
        .collect();
    upsample_bilinear(&low, h, w, out_h, out_w)
}

/// Class-selective Relevance Mapping (Kim et al., Diagnostics 2019) of one
/// item, in closed form for a GAP + linear head.
///
/// The relevance of a feature location `(l, m)` is the squared change of the
/// outputs when that location is zeroed in all `K` feature maps. With GAP,
/// zeroing `(l, m)` changes logit `c` by `Δ_c(l, m) = −(1/(h·w)) · Σ_k
/// W[c, k] · F_k(l, m)` (the bias cancels), so
///
/// - all-class form (`class = None`): `CRM(l, m) = Σ_c Δ_c(l, m)²`
///   `= (1/(h·w))² · Σ_c (Σ_k W[c, k] F_k(l, m))²`;
/// - class-specific form (`class = Some(c)`): `CRM_c(l, m) = Δ_c(l, m)²`.
///
/// The constant `1/(h·w)²` is **kept**: the values are exactly the squared
/// logit changes of the brute-force definition (the tests check this
/// against a brute-force PyTorch reference). CRM is non-negative. The
/// `h x w` map is then upsampled to `out_h x out_w` with
/// [`upsample_bilinear`] (torch's `interpolate(mode="bilinear",
/// align_corners=False)`), which keeps it non-negative. Arguments as in
/// [`cam`].
#[allow(clippy::too_many_arguments)]
pub fn crm(
    features: &[f32],
    k: usize,
    h: usize,
    w: usize,
    head_weight: &[f32],
    classes: usize,
    class: Option<usize>,
    out_h: usize,
    out_w: usize,
) -> Result<SaliencyMap, String> {
    check_shapes("CRM", features, (k, h, w), head_weight, classes)?;
    let selected: Vec<usize> = match class {
        Some(c) if c >= classes => {
            return Err(format!("CRM: class {c} out of range 0..{classes}"));
        }
        Some(c) => vec![c],
        None => (0..classes).collect(),
    };
    let hw = h * w;
    let scale = 1.0 / hw as f64;
    let mut acc = vec![0.0f64; hw];
    for c in selected {
        for (a, s) in acc
            .iter_mut()
            .zip(class_score_map(features, k, hw, head_weight, c))
        {
            let d = s * scale;
            *a += d * d;
        }
    }
    let low: Vec<f32> = acc.into_iter().map(|v| v as f32).collect();
    upsample_bilinear(&low, h, w, out_h, out_w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked_cam_and_crm() {
        // K = 2, h = 1, w = 2; F_0 = [1, 0], F_1 = [0, 2]; W = [[1, 1], [2, -1]].
        let f = [1.0, 0.0, 0.0, 2.0];
        let wt = [1.0, 1.0, 2.0, -1.0];
        // scores per location: class 0 -> [1, 2], class 1 -> [2, -2]
        let c0 = cam(&f, 2, 1, 2, &wt, 2, 0, 1, 2).expect("cam");
        assert_eq!(c0.data, vec![1.0, 2.0]);
        let c1 = cam(&f, 2, 1, 2, &wt, 2, 1, 1, 2).expect("cam");
        assert_eq!(c1.data, vec![2.0, -2.0]);
        // all-class CRM: (1/2)^2 * (1 + 4, 4 + 4) = (1.25, 2)
        let r = crm(&f, 2, 1, 2, &wt, 2, None, 1, 2).expect("crm");
        assert_eq!(r.data, vec![1.25, 2.0]);
        let r1 = crm(&f, 2, 1, 2, &wt, 2, Some(1), 1, 2).expect("crm");
        assert_eq!(r1.data, vec![1.0, 1.0]);
    }

    #[test]
    fn shape_errors_name_the_argument() {
        let e = crm(&[0.0; 3], 2, 1, 2, &[0.0; 4], 2, None, 2, 2).unwrap_err();
        assert!(e.contains("features"), "{e}");
        let e = crm(&[0.0; 4], 2, 1, 2, &[0.0; 3], 2, None, 2, 2).unwrap_err();
        assert!(e.contains("head_weight"), "{e}");
        let e = cam(&[0.0; 4], 2, 1, 2, &[0.0; 4], 2, 2, 2, 2).unwrap_err();
        assert!(e.contains("class 2"), "{e}");
    }
}
