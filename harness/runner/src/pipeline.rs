//! Declared pre- and post-processing around a model: fit the image to the
//! model's input (resize or pad), normalise intensities, turn the output into
//! labels (argmax, sigmoid + threshold, or labels as given) and map them back
//! onto the image's own grid.

use sensibench_core::tensor::first_non_finite;
use sensibench_core::{Error, Grid, Image, LabelMap, Result, TensorView};
use sensibench_perturb::resample::{resize_image, resize_labels};
use sensibench_suite::plan::{Fit, Normalize, Postprocess, Preprocess};

/// Intensity normalisation of `data` in place. Constant images map to 0 for
/// z-score and min-max (no division by zero).
pub fn normalize(data: &mut [f32], how: &Normalize) {
    match how {
        Normalize::None => {}
        Normalize::ZScore => {
            // two passes (mean, then squared deviations) accumulated in f64,
            // eight lanes wide so they vectorise; applied in f32
            let n = data.len() as f64;
            let mean = lane_sum(data, f64::from) / n;
            let var = lane_sum(data, |v| (f64::from(v) - mean).powi(2)) / n;
            let std = var.sqrt();
            if std > 0.0 {
                let (m, inv) = (mean as f32, (1.0 / std) as f32);
                data.iter_mut().for_each(|v| *v = (*v - m) * inv);
            } else {
                data.fill(0.0);
            }
        }
        Normalize::MinMax => {
            let (lo, hi) = data
                .iter()
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| {
                    (a.min(v), b.max(v))
                });
            let r = hi - lo;
            for v in data.iter_mut() {
                *v = if r > 0.0 { (*v - lo) / r } else { 0.0 };
            }
        }
        Normalize::Fixed { mean, std } => {
            for v in data.iter_mut() {
                *v = ((*v as f64 - mean) / std) as f32;
            }
        }
        Normalize::Window { level, width } => {
            let lo = level - width / 2.0;
            for v in data.iter_mut() {
                *v = (((*v as f64 - lo) / width).clamp(0.0, 1.0)) as f32;
            }
        }
    }
}

/// `Σ f(v)` over `data` in f64, in eight independent lanes (which lets the
/// compiler vectorise it without reordering any one lane's additions).
fn lane_sum(data: &[f32], f: impl Fn(f32) -> f64) -> f64 {
    let mut lanes = [0.0f64; 8];
    let chunks = data.chunks_exact(8);
    let rest: f64 = chunks.remainder().iter().map(|&v| f(v)).sum();
    for c in chunks {
        for (l, &v) in lanes.iter_mut().zip(c) {
            *l += f(v);
        }
    }
    lanes.iter().sum::<f64>() + rest
}

/// Copies the centre of a `h x w` plane into a `nh x nw` plane (zero-padding
/// or centre-cropping each axis); offsets as `(n - m) / 2` on both sides.
fn pad_or_crop<T: Copy + Default>(src: &[T], h: usize, w: usize, nh: usize, nw: usize) -> Vec<T> {
    let mut out = vec![T::default(); nh * nw];
    let (oy_src, oy_dst) = if nh >= h {
        (0, (nh - h) / 2)
    } else {
        ((h - nh) / 2, 0)
    };
    let (ox_src, ox_dst) = if nw >= w {
        (0, (nw - w) / 2)
    } else {
        ((w - nw) / 2, 0)
    };
    let ch = h.min(nh);
    let cw = w.min(nw);
    for y in 0..ch {
        let s = (y + oy_src) * w + ox_src;
        let d = (y + oy_dst) * nw + ox_dst;
        out[d..d + cw].copy_from_slice(&src[s..s + cw]);
    }
    out
}

/// The model-grid input of one 2D image (`1 x H x W` values).
pub fn prepare_input(image: &Image, pre: &Preprocess) -> Result<Vec<f32>> {
    check_2d(image.grid())?;
    let (h, w) = (image.grid().height(), image.grid().width());
    match (pre.size, pre.fit) {
        (None, _) => {
            let mut v = image.data().to_vec();
            normalize(&mut v, &pre.normalize);
            Ok(v)
        }
        (Some([mh, mw]), Fit::Resize) => {
            let mut v = if [mh, mw] == [h, w] {
                image.data().to_vec()
            } else {
                resize_image(image, mh, mw)?.into_data()
            };
            normalize(&mut v, &pre.normalize);
            Ok(v)
        }
        (Some([mh, mw]), Fit::Pad) => {
            let mut v = image.data().to_vec();
            normalize(&mut v, &pre.normalize);
            Ok(pad_or_crop(&v, h, w, mh, mw))
        }
    }
}

/// The reference labels on the model grid (for the null model), as `f32`.
pub fn prepare_reference(mask: &LabelMap, pre: &Preprocess) -> Result<Vec<f32>> {
    let (h, w) = (mask.grid().height(), mask.grid().width());
    let labels: Vec<u8> = match (pre.size, pre.fit) {
        (None, _) => mask.data().to_vec(),
        (Some([mh, mw]), Fit::Resize) => resize_labels(mask, mh, mw)?.into_data(),
        (Some([mh, mw]), Fit::Pad) => pad_or_crop(mask.data(), h, w, mh, mw),
    };
    Ok(labels.into_iter().map(f32::from).collect())
}

/// The input spatial size a model sees for `image`.
pub fn model_size(image: &Image, pre: &Preprocess) -> [usize; 2] {
    pre.size
        .unwrap_or([image.grid().height(), image.grid().width()])
}

fn check_2d(grid: &Grid) -> Result<()> {
    if grid.ndim() != 2 {
        return Err(Error::Other(format!(
            "2D models need 2D images; got a {} volume (slice it in the dataset)",
            grid.shape_string()
        )));
    }
    Ok(())
}

/// Turns item `i` of a model output (`N x K x H x W`) into labels on the
/// model grid, then maps them back onto `target` (the image's own grid).
pub fn labels_from_output(
    model: &str,
    output: TensorView<'_>,
    i: usize,
    post: Postprocess,
    pre: &Preprocess,
    target: &Grid,
) -> Result<LabelMap> {
    let shape = output.shape();
    let bad = |reason: String| Error::Model {
        model: model.to_string(),
        reason,
    };
    if shape.len() != 4 {
        return Err(bad(format!(
            "output has shape {shape:?}; expected N x K x H x W"
        )));
    }
    let (k, mh, mw) = (shape[1], shape[2], shape[3]);
    let item = output.item(i);
    let non_finite = |values: &[f32], offset: usize| match first_non_finite(values) {
        Some((pos, v)) => Err(bad(format!(
            "output of item {i} has a non-finite value ({v}) at flat index {}",
            offset + pos
        ))),
        None => Ok(()),
    };
    if post != Postprocess::Argmax {
        non_finite(item, 0)?;
    }
    let plane = mh * mw;
    let labels: Vec<u8> = match post {
        Postprocess::Softmax | Postprocess::Sigmoid | Postprocess::Probabilities => {
            return Err(bad(
                "a classifier's output (softmax, sigmoid, probabilities) is not a label map".into(),
            ));
        }
        Postprocess::Argmax => {
            if k < 2 {
                return Err(bad(format!(
                    "argmax needs at least 2 output channels, got {k} (declare `output: labels` or `sigmoid_threshold`)"
                )));
            }
            if k > 256 {
                return Err(bad(format!("{k} output channels: at most 256 classes")));
            }
            // channel by channel over contiguous planes; ties go to the
            // lower class (strict `>`), as numpy's argmax. Each channel is
            // checked for NaN and infinity just before it is read.
            non_finite(&item[..plane], 0)?;
            let mut labels = vec![0u8; plane];
            let mut best = item[..plane].to_vec();
            for c in 1..k {
                let channel = &item[c * plane..(c + 1) * plane];
                non_finite(channel, c * plane)?;
                let c = c as u8;
                for ((l, b), &v) in labels.iter_mut().zip(best.iter_mut()).zip(channel) {
                    let better = v > *b;
                    *b = if better { v } else { *b };
                    *l = if better { c } else { *l };
                }
            }
            labels
        }
        Postprocess::SigmoidThreshold { threshold } => {
            if k != 1 {
                return Err(bad(format!(
                    "sigmoid_threshold needs 1 output channel, got {k}"
                )));
            }
            item.iter()
                .map(|&v| u8::from(1.0 / (1.0 + (-(v as f64)).exp()) >= threshold))
                .collect()
        }
        Postprocess::Labels => {
            if k != 1 {
                return Err(bad(format!(
                    "`output: labels` needs 1 output channel, got {k}"
                )));
            }
            let mut out = Vec::with_capacity(plane);
            for &v in item {
                let r = v.round();
                if !(0.0..=255.0).contains(&r) {
                    return Err(bad(format!("label value {v} outside 0..=255")));
                }
                out.push(r as u8);
            }
            out
        }
    };
    let (th, tw) = (target.height(), target.width());
    let back = match (pre.size, pre.fit) {
        (None, _) => {
            if [mh, mw] != [th, tw] {
                return Err(bad(format!(
                    "output is {mh}x{mw} but the input was {th}x{tw}"
                )));
            }
            labels
        }
        (Some(s), _) if s != [mh, mw] => {
            return Err(bad(format!(
                "output is {mh}x{mw} but the declared input size is {}x{}",
                s[0], s[1]
            )));
        }
        (Some(_), _) if [mh, mw] == [th, tw] => labels,
        (Some(_), Fit::Resize) => {
            let on_model = LabelMap::new(Grid::new_2d(mh, mw, [1.0, 1.0])?, labels)?;
            resize_labels(&on_model, th, tw)?.into_data()
        }
        (Some(_), Fit::Pad) => pad_or_crop(&labels, mh, mw, th, tw),
    };
    LabelMap::new(target.clone(), back)
}

/// The class probabilities of item `i` of a classifier's output (`N x K`),
/// as `post` declares:
/// - `softmax`: `K = n_classes >= 2` logits; `p_c = exp(x_c − max) / Σ exp(x_j − max)`;
/// - `sigmoid`: one logit for two classes (`[1 − σ(x), σ(x)]`), or
///   `K = n_classes` independent logits (`σ(x_c)` each, multi-label: they need
///   not sum to 1);
/// - `probabilities`: `K = n_classes` values within [0, 1] (±1e-4), kept.
///
/// Computed in f64, stored as f32. Non-finite outputs and a wrong `K` are
/// errors naming the model.
pub fn probabilities_from_output(
    model: &str,
    output: TensorView<'_>,
    i: usize,
    post: Postprocess,
    n_classes: usize,
) -> Result<Vec<f32>> {
    let bad = |reason: String| Error::Model {
        model: model.to_string(),
        reason,
    };
    let shape = output.shape();
    if shape.len() != 2 {
        return Err(bad(format!(
            "output has shape {shape:?}; a classifier returns N x K class scores"
        )));
    }
    let k = shape[1];
    let item = output.item(i);
    if let Some((pos, v)) = first_non_finite(item) {
        return Err(bad(format!(
            "output of item {i} has a non-finite value ({v}) at class {pos}"
        )));
    }
    let wrong_k = |what: &str| {
        bad(format!(
            "{what}: the model returns {k} scores per image but the suite has {n_classes} classes"
        ))
    };
    let sigmoid = |x: f32| 1.0 / (1.0 + (-f64::from(x)).exp());
    match post {
        Postprocess::Softmax => {
            if k != n_classes || k < 2 {
                return Err(wrong_k("softmax"));
            }
            let m = item.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
            let e: Vec<f64> = item.iter().map(|&x| f64::from(x - m).exp()).collect();
            let z: f64 = e.iter().sum();
            Ok(e.iter().map(|v| (v / z) as f32).collect())
        }
        Postprocess::Sigmoid => {
            if k == 1 && n_classes == 2 {
                let p = sigmoid(item[0]);
                Ok(vec![(1.0 - p) as f32, p as f32])
            } else if k == n_classes {
                Ok(item.iter().map(|&x| sigmoid(x) as f32).collect())
            } else {
                Err(wrong_k(
                    "sigmoid (one logit for two classes, or one per class)",
                ))
            }
        }
        Postprocess::Probabilities => {
            if k != n_classes {
                return Err(wrong_k("probabilities"));
            }
            if let Some(v) = item.iter().find(|v| !(-1e-4..=1.0 + 1e-4).contains(*v)) {
                return Err(bad(format!(
                    "`output: probabilities`, but the model returned {v}; declare `output: softmax` for logits"
                )));
            }
            Ok(item.iter().map(|v| v.clamp(0.0, 1.0)).collect())
        }
        Postprocess::Argmax | Postprocess::Labels | Postprocess::SigmoidThreshold { .. } => Err(
            bad("a classifier's `output` is softmax, sigmoid or probabilities".into()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sensibench_core::Tensor;

    #[test]
    fn pad_then_crop_is_identity() {
        let src: Vec<u8> = (0..15).collect(); // 3 x 5
        let padded = pad_or_crop(&src, 3, 5, 6, 8);
        assert_eq!(padded.len(), 48);
        // offsets (6-3)/2 = 1 row, (8-5)/2 = 1 col
        assert_eq!(padded[8 + 1], 0);
        assert_eq!(padded[8 + 5], 4);
        assert_eq!(pad_or_crop(&padded, 6, 8, 3, 5), src);
    }

    #[test]
    fn normalisations_by_hand() {
        let mut v = vec![1.0, 2.0, 3.0, 4.0];
        normalize(&mut v, &Normalize::ZScore);
        // mean 2.5, population std sqrt(1.25)
        let s = 1.25f32.sqrt();
        assert!((v[0] + 1.5 / s).abs() < 1e-6 && (v[3] - 1.5 / s).abs() < 1e-6);
        let mut v = vec![1.0, 2.0, 3.0];
        normalize(&mut v, &Normalize::MinMax);
        assert_eq!(v, vec![0.0, 0.5, 1.0]);
        let mut v = vec![-1100.0, 40.0, 240.0];
        normalize(
            &mut v,
            &Normalize::Window {
                level: 40.0,
                width: 400.0,
            },
        );
        assert_eq!(v, vec![0.0, 0.5, 1.0]);
        let mut c = vec![5.0; 4];
        normalize(&mut c, &Normalize::ZScore);
        assert_eq!(c, vec![0.0; 4]);
    }

    #[test]
    fn class_probabilities_by_hand() {
        let t = Tensor::new(vec![2, 3], vec![0.0, 1.0, 2.0, 5.0, 5.0, 5.0]).unwrap();
        // scipy.special.softmax([0, 1, 2]) = [0.09003057, 0.24472847, 0.66524096]
        let p = probabilities_from_output("m", t.view(), 0, Postprocess::Softmax, 3).unwrap();
        for (a, b) in p.iter().zip([0.090_030_57, 0.244_728_47, 0.665_240_96]) {
            assert!((a - b).abs() < 1e-6, "{p:?}");
        }
        let p = probabilities_from_output("m", t.view(), 1, Postprocess::Softmax, 3).unwrap();
        assert!(p.iter().all(|v| (v - 1.0 / 3.0).abs() < 1e-6));
        let e = probabilities_from_output("m", t.view(), 0, Postprocess::Softmax, 2)
            .unwrap_err()
            .to_string();
        assert!(e.contains("3 scores") && e.contains("2 classes"), "{e}");
        let one = Tensor::new(vec![1, 1], vec![0.0]).unwrap();
        let p = probabilities_from_output("m", one.view(), 0, Postprocess::Sigmoid, 2).unwrap();
        assert_eq!(p, vec![0.5, 0.5]);
        let e = probabilities_from_output("m", t.view(), 1, Postprocess::Probabilities, 3)
            .unwrap_err()
            .to_string();
        assert!(e.contains("declare `output: softmax`"), "{e}");
        let nan = Tensor::new(vec![1, 2], vec![f32::NAN, 0.0]).unwrap();
        assert!(probabilities_from_output("m", nan.view(), 0, Postprocess::Softmax, 2).is_err());
    }

    #[test]
    fn argmax_and_bad_outputs() {
        let pre = Preprocess {
            size: None,
            fit: Fit::Resize,
            normalize: Normalize::None,
        };
        let target = Grid::new_2d(1, 2, [1.0, 1.0]).unwrap();
        // N=1, K=3, 1x2: pixel0 -> class 2, pixel1 -> class 0
        let t = Tensor::new(vec![1, 3, 1, 2], vec![0.1, 0.9, 0.2, 0.0, 0.7, 0.0]).unwrap();
        let l = labels_from_output("m", t.view(), 0, Postprocess::Argmax, &pre, &target).unwrap();
        assert_eq!(l.data(), &[2, 0]);
        // ties go to the lower class, as numpy.argmax([[0.5, 0.5, 0.1]]) == 0
        let tie = Tensor::new(vec![1, 3, 1, 2], vec![0.5, 0.1, 0.5, 0.7, 0.1, 0.7]).unwrap();
        let l = labels_from_output("m", tie.view(), 0, Postprocess::Argmax, &pre, &target).unwrap();
        assert_eq!(l.data(), &[0, 1]);
        let nan = Tensor::new(vec![1, 1, 1, 2], vec![f32::NAN, 0.0]).unwrap();
        let e = labels_from_output("m", nan.view(), 0, Postprocess::Labels, &pre, &target)
            .unwrap_err()
            .to_string();
        assert!(e.contains("model `m`") && e.contains("non-finite"), "{e}");
        let wrong = Tensor::new(vec![1, 1, 2, 2], vec![0.0; 4]).unwrap();
        let e = labels_from_output("m", wrong.view(), 0, Postprocess::Labels, &pre, &target)
            .unwrap_err()
            .to_string();
        assert!(e.contains("2x2") && e.contains("1x2"), "{e}");
        let sig = Tensor::new(vec![1, 1, 1, 2], vec![-1.0, 1.0]).unwrap();
        let l = labels_from_output(
            "m",
            sig.view(),
            0,
            Postprocess::SigmoidThreshold { threshold: 0.5 },
            &pre,
            &target,
        )
        .unwrap();
        assert_eq!(l.data(), &[0, 1]);
    }
}
