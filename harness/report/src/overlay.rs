//! Label overlays for the prediction strips, saliency overlays and heat maps,
//! and base64.

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
    let (h32, w32, n) = dimensions("overlay_png", height, width)?;
    check_len("overlay_png", "image", image.len(), height, width)?;
    check_len("overlay_png", "labels", labels.len(), height, width)?;
    let palette = palette.unwrap_or(&DEFAULT_LABEL_PALETTE);
    if palette.is_empty() {
        return Err(ReportError::InvalidInput(
            "overlay_png: palette is empty: expected at least one colour".to_string(),
        ));
    }

    let (p1, p99) = window(image);
    let mut rgb = Vec::with_capacity(n * 3);
    for r in 0..height {
        for c in 0..width {
            let i = r * width + c;
            let g = grey(image[i], p1, p99);
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

/// Checks the size of an image (for `func`'s messages) and returns `(height, width)` as `u32` and the
/// pixel count.
fn dimensions(func: &str, height: usize, width: usize) -> Result<(u32, u32, usize), ReportError> {
    if height == 0 || width == 0 {
        return Err(ReportError::InvalidInput(format!(
            "{func}: image size {height}×{width}: expected both dimensions ≥ 1"
        )));
    }
    let (h32, w32) = match (u32::try_from(height), u32::try_from(width)) {
        (Ok(h), Ok(w)) => (h, w),
        _ => {
            return Err(ReportError::InvalidInput(format!(
                "{func}: image size {height}×{width}: too large for PNG"
            )));
        }
    };
    let n = height.checked_mul(width).ok_or_else(|| {
        ReportError::InvalidInput(format!("{func}: image size {height}×{width}: overflows"))
    })?;
    Ok((h32, w32, n))
}

/// Checks that the array `what` (an argument of `func`) holds `height · width` values.
fn check_len(
    func: &str,
    what: &str,
    len: usize,
    height: usize,
    width: usize,
) -> Result<(), ReportError> {
    let n = height * width;
    if len == n {
        Ok(())
    } else {
        Err(ReportError::InvalidInput(format!(
            "{func}: {what} has {len} values, expected height·width = {height}·{width} = {n}"
        )))
    }
}

/// The grey level (0–255, unrounded) of `v` in the window `[p1, p99]`.
fn grey(v: f32, p1: f32, p99: f32) -> f32 {
    if !v.is_finite() {
        0.0
    } else if p99 > p1 {
        255.0 * ((v - p1) / (p99 - p1)).clamp(0.0, 1.0)
    } else if v > p1 {
        255.0
    } else {
        0.0
    }
}

/// Matplotlib's `inferno` colour map sampled at `t = k/16`, `k = 0..=16`
/// (`round(255 · inferno(k/16))`): perceptually uniform, monotonic in
/// lightness and readable with colour-vision deficiencies.
const INFERNO: [[u8; 3]; 17] = [
    [0, 0, 4],
    [11, 7, 36],
    [33, 12, 74],
    [61, 9, 101],
    [87, 16, 110],
    [113, 25, 110],
    [138, 34, 106],
    [163, 44, 97],
    [188, 55, 84],
    [210, 70, 68],
    [228, 90, 49],
    [241, 115, 29],
    [249, 142, 9],
    [252, 172, 17],
    [249, 203, 53],
    [242, 234, 105],
    [252, 255, 164],
];

/// Largest opacity of the heat colour in [`saliency_png`] (at the map's maximum).
pub const SALIENCY_MAX_ALPHA: f32 = 0.6;

/// Colour of the region's outline in [`saliency_png`] (Okabe–Ito sky blue,
/// `#56B4E9`, absent from the heat scale).
pub const REGION_OUTLINE: [u8; 3] = [0x56, 0xB4, 0xE9];

/// The heat colour of `t ∈ [0, 1]` (unrounded channels): linear interpolation
/// between the two nearest entries of the 17-entry inferno table, at
/// `s = 16·t`: `(1 − (s − ⌊s⌋))·LUT[⌊s⌋] + (s − ⌊s⌋)·LUT[⌊s⌋ + 1]`.
fn heat_colour(t: f32) -> [f32; 3] {
    let s = t.clamp(0.0, 1.0) * 16.0;
    let lo = (s.floor() as usize).min(15);
    let f = s - lo as f32;
    let (a, b) = (INFERNO[lo], INFERNO[lo + 1]);
    [0, 1, 2].map(|c| (1.0 - f) * f32::from(a[c]) + f * f32::from(b[c]))
}

/// The map's positive part normalised by its maximum:
/// `t = max(m, 0) / max_j max(m_j, 0)`; non-finite values give `t = 0`, and
/// every `t` is 0 when no value is positive.
fn normalised_positive(map: &[f32]) -> Vec<f32> {
    let max = map
        .iter()
        .filter(|v| v.is_finite())
        .fold(0.0f32, |m, &v| m.max(v));
    map.iter()
        .map(|&v| {
            if max > 0.0 && v.is_finite() && v > 0.0 {
                (v / max).min(1.0)
            } else {
                0.0
            }
        })
        .collect()
}

/// Draws a saliency map as a heat colour over the grey `image`, outlines the
/// `region` (e.g. a marker box) and encodes the result as an RGB PNG.
///
/// * `image`, `map` and `region` are row-major `height × width` arrays.
/// * Grey level `g` as in [`overlay_png`]: the image windowed to its 1st–99th
///   percentile of the finite values, `g = 255 · clamp((v − p1) / (p99 − p1), 0, 1)`.
/// * Heat: the map's positive part normalised by its maximum,
///   `t = max(m, 0) / max_j max(m_j, 0)` (non-finite values and maps without a
///   positive value give `t = 0`), coloured by matplotlib's `inferno` map
///   (17 entries at `t = k/16`, linearly interpolated) and blended with
///   opacity `α = ` [`SALIENCY_MAX_ALPHA`]` · t`: each channel is
///   `round((1 − α)·g + α·inferno(t))`.
/// * Region: a region pixel whose 4-neighbour is outside the region or outside
///   the image is on the outline and is drawn opaque in [`REGION_OUTLINE`]
///   (so a box touching the image edge is closed along that edge).
///
/// # Errors
/// [`ReportError::InvalidInput`] if a dimension is zero or too large for PNG,
/// or if `image`, `map` or `region` does not hold `height · width` values;
/// [`ReportError::Png`] if encoding fails.
pub fn saliency_png(
    image: &[f32],
    height: usize,
    width: usize,
    map: &[f32],
    region: Option<&[bool]>,
) -> Result<Vec<u8>, ReportError> {
    let (h32, w32, n) = dimensions("saliency_png", height, width)?;
    check_len("saliency_png", "image", image.len(), height, width)?;
    check_len("saliency_png", "map", map.len(), height, width)?;
    if let Some(region) = region {
        check_len("saliency_png", "region", region.len(), height, width)?;
    }
    let (p1, p99) = window(image);
    let heat = normalised_positive(map);
    let mut rgb = Vec::with_capacity(n * 3);
    for r in 0..height {
        for c in 0..width {
            let i = r * width + c;
            let outline = region.is_some_and(|reg| {
                reg[i]
                    && (r == 0
                        || !reg[i - width]
                        || r + 1 == height
                        || !reg[i + width]
                        || c == 0
                        || !reg[i - 1]
                        || c + 1 == width
                        || !reg[i + 1])
            });
            if outline {
                rgb.extend_from_slice(&REGION_OUTLINE);
                continue;
            }
            let g = grey(image[i], p1, p99);
            let t = heat[i];
            let a = SALIENCY_MAX_ALPHA * t;
            for ch in heat_colour(t) {
                let out = (1.0 - a) * g + a * ch;
                rgb.push(out.round().clamp(0.0, 255.0) as u8);
            }
        }
    }
    let mut png = Vec::new();
    PngEncoder::new(&mut png).write_image(&rgb, w32, h32, image::ExtendedColorType::Rgb8)?;
    Ok(png)
}

/// Encodes a map alone as a heat-coloured RGB PNG (e.g. a class-mean saliency
/// map): each pixel is `round(inferno(t))` with `t = max(m, 0) / max_j
/// max(m_j, 0)` as in [`saliency_png`] (the same colour table; non-positive
/// and non-finite values are the scale's darkest colour `#000004`).
///
/// # Errors
/// [`ReportError::InvalidInput`] if a dimension is zero or too large for PNG,
/// or if `map` does not hold `height · width` values; [`ReportError::Png`] if
/// encoding fails.
pub fn heat_png(map: &[f32], height: usize, width: usize) -> Result<Vec<u8>, ReportError> {
    let (h32, w32, n) = dimensions("heat_png", height, width)?;
    check_len("heat_png", "map", map.len(), height, width)?;
    let mut rgb = Vec::with_capacity(n * 3);
    for t in normalised_positive(map) {
        for ch in heat_colour(t) {
            rgb.push(ch.round().clamp(0.0, 255.0) as u8);
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
