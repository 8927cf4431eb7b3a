//! Label overlays for the prediction strips, and base64.

use image::ImageEncoder;
use image::codecs::png::PngEncoder;

use crate::ReportError;

/// The default label colours (Okabe–Ito, colour-blind safe): label `k ≥ 1`
/// gets `DEFAULT_LABEL_PALETTE[(k - 1) % 7]`.
pub const DEFAULT_LABEL_PALETTE: [[u8; 3]; 7] = [
    [0xE6, 0x9F, 0x00], // orange
    [0x56, 0xB4, 0xE9], // sky blue
    [0x00, 0x9E, 0x73], // bluish green
    [0xF0, 0xE4, 0x42], // yellow
    [0x00, 0x72, 0xB2], // blue
    [0xD5, 0x5E, 0x00], // vermillion
    [0xCC, 0x79, 0xA7], // reddish purple
];

/// Opacity of a label's colour inside the region.
pub const OVERLAY_ALPHA: f32 = 0.45;
/// Opacity of a label's colour on its contour.
pub const OVERLAY_CONTOUR_ALPHA: f32 = 0.9;

/// Draws `labels` over the grey `image` and encodes the result as an RGB PNG.
///
/// * `image` and `labels` are row-major `height × width` arrays.
/// * Grey level: the image is windowed to its 1st–99th percentile `[p1, p99]`
///   of the finite values (linear interpolation between order statistics, as
///   NumPy's default `np.percentile`): `g = round(255 · clamp((v − p1) / (p99 − p1), 0, 1))`.
///   Non-finite values are black; when `p99 ≤ p1` (a constant image) every
///   pixel `v > p1` is white and the others black.
/// * Label 0 is background and keeps its grey. A pixel with label `k ≥ 1` gets
///   colour `c = palette[(k − 1) % palette.len()]` (default
///   [`DEFAULT_LABEL_PALETTE`]) blended as `round((1 − α)·g + α·c)` per channel,
///   with `α =` [`OVERLAY_ALPHA`] inside the region and `α =`
///   [`OVERLAY_CONTOUR_ALPHA`] on its contour: a labelled pixel with a
///   4-neighbour inside the image whose label differs.
///
/// # Errors
/// [`ReportError::InvalidInput`] if a dimension is zero or too large for PNG,
/// if `image` or `labels` does not hold `height · width` values, or if the
/// palette is empty; [`ReportError::Png`] if encoding fails.
pub fn overlay_png(
    image: &[f32],
    height: usize,
    width: usize,
    labels: &[u8],
    palette: Option<&[[u8; 3]]>,
) -> Result<Vec<u8>, ReportError> {
    if height == 0 || width == 0 {
        return Err(ReportError::InvalidInput(format!(
            "image size {height}×{width}: expected both dimensions ≥ 1"
        )));
    }
    let (h32, w32) = match (u32::try_from(height), u32::try_from(width)) {
        (Ok(h), Ok(w)) => (h, w),
        _ => {
            return Err(ReportError::InvalidInput(format!(
                "image size {height}×{width}: too large for PNG"
            )));
        }
    };
    let n = height.checked_mul(width).ok_or_else(|| {
        ReportError::InvalidInput(format!("image size {height}×{width}: overflows"))
    })?;
    if image.len() != n {
        return Err(ReportError::InvalidInput(format!(
            "image has {} values, expected height·width = {height}·{width} = {n}",
            image.len()
        )));
    }
    if labels.len() != n {
        return Err(ReportError::InvalidInput(format!(
            "labels has {} values, expected height·width = {height}·{width} = {n}",
            labels.len()
        )));
    }
    let palette = palette.unwrap_or(&DEFAULT_LABEL_PALETTE);
    if palette.is_empty() {
        return Err(ReportError::InvalidInput(
            "palette is empty: expected at least one colour".to_string(),
        ));
    }

    let (p1, p99) = window(image);
    let mut rgb = Vec::with_capacity(n * 3);
    for r in 0..height {
        for c in 0..width {
            let i = r * width + c;
            let v = image[i];
            let g = if !v.is_finite() {
                0.0
            } else if p99 > p1 {
                255.0 * ((v - p1) / (p99 - p1)).clamp(0.0, 1.0)
            } else if v > p1 {
                255.0
            } else {
                0.0
            };
            let k = labels[i];
            if k == 0 {
                let g = g.round() as u8;
                rgb.extend_from_slice(&[g, g, g]);
                continue;
            }
            let contour = (r > 0 && labels[i - width] != k)
                || (r + 1 < height && labels[i + width] != k)
                || (c > 0 && labels[i - 1] != k)
                || (c + 1 < width && labels[i + 1] != k);
            let a = if contour {
                OVERLAY_CONTOUR_ALPHA
            } else {
                OVERLAY_ALPHA
            };
            let colour = palette[(usize::from(k) - 1) % palette.len()];
            for ch in colour {
                let out = (1.0 - a) * g + a * f32::from(ch);
                rgb.push(out.round().clamp(0.0, 255.0) as u8);
            }
        }
    }
    let mut png = Vec::new();
    PngEncoder::new(&mut png).write_image(&rgb, w32, h32, image::ExtendedColorType::Rgb8)?;
    Ok(png)
}

/// The 1st and 99th percentiles of the finite values (NumPy's linear method);
/// `(0, 0)` when there is none.
fn window(image: &[f32]) -> (f32, f32) {
    let mut v: Vec<f32> = image.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return (0.0, 0.0);
    }
    v.sort_by(f32::total_cmp);
    (percentile(&v, 1.0), percentile(&v, 99.0))
}

/// Percentile `p` (0–100) of sorted, non-empty `v` by linear interpolation
/// between the order statistics at rank `p/100 · (n − 1)`.
fn percentile(v: &[f32], p: f64) -> f32 {
    let rank = p / 100.0 * (v.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    let frac = rank - lo as f64;
    (f64::from(v[lo]) + frac * (f64::from(v[hi]) - f64::from(v[lo]))) as f32
}

/// Standard base64 (RFC 4648 §4, alphabet `A–Z a–z 0–9 + /`, `=` padding, no
/// line breaks), as used in `data:` URIs.
pub fn to_base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextet = |shift: u32| char::from(ALPHABET[((n >> shift) & 63) as usize]);
        out.push(sextet(18));
        out.push(sextet(12));
        out.push(if chunk.len() > 1 { sextet(6) } else { '=' });
        out.push(if chunk.len() > 2 { sextet(0) } else { '=' });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, expected) in cases {
            assert_eq!(to_base64(input.as_bytes()), expected, "input {input:?}");
        }
        assert_eq!(to_base64(&[0xFB, 0xFF, 0xBF]), "+/+/");
    }

    #[test]
    fn percentile_matches_numpy_linear() {
        // np.percentile(np.arange(101), [1, 99]) == [1, 99]
        let v: Vec<f32> = (0..=100).map(|x| x as f32).collect();
        assert_eq!(window(&v), (1.0, 99.0));
        // np.percentile([0, 10, 20, 30], [1, 99]) == [0.3, 29.7]
        let (p1, p99) = window(&[30.0, 0.0, 20.0, 10.0]);
        assert!(
            (p1 - 0.3).abs() < 1e-5 && (p99 - 29.7).abs() < 1e-4,
            "{p1} {p99}"
        );
    }
}
