//! 2D raster images (PNG, JPEG) and label maps (PNG, or NIfTI by extension).

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use sensibench_core::{Grid, Image, LabelMap, Result};

use crate::file_errors::{decode_err, io_err};
use crate::nifti_io;

/// ITU-R BT.601 luma of one RGB triple: `0.299 R + 0.587 G + 0.114 B`.
#[inline]
pub fn luma_bt601(r: f64, g: f64, b: f64) -> f32 {
    (0.299 * r + 0.587 * g + 0.114 * b) as f32
}

/// Loads a PNG or JPEG file as a 2D grey [`Image`] with spacing `(dy, dx)` in mm.
///
/// The format is detected from the content (falling back to the extension).
/// Values keep their stored range, with no normalisation: 8-bit files give
/// `0..=255`, 16-bit files `0..=65535`. Grey(+alpha) files use the grey
/// channel; RGB(A) files are converted to grey with the ITU-R BT.601 luma
/// [`luma_bt601`] `Y = 0.299 R + 0.587 G + 0.114 B` (computed in f64, stored
/// as f32). Alpha is ignored everywhere. Palette PNGs are expanded to RGB by
/// the decoder and then converted the same way.
///
/// Errors: the file cannot be opened ([`Error::Io`]), is not a decodable
/// PNG/JPEG, or has an unsupported pixel type ([`Error::Decode`]); a bad
/// spacing gives [`Error::InvalidParameter`].
///
/// [`Error::Io`]: sensibench_core::Error::Io
/// [`Error::Decode`]: sensibench_core::Error::Decode
/// [`Error::InvalidParameter`]: sensibench_core::Error::InvalidParameter
pub fn load_image(path: &Path, spacing_yx: [f64; 2]) -> Result<Image> {
    let reader = image::ImageReader::open(path)
        .map_err(|e| io_err(path, e))?
        .with_guessed_format()
        .map_err(|e| io_err(path, e))?;
    let img = reader
        .decode()
        .map_err(|e| decode_err(path, format!("cannot decode as PNG/JPEG: {e}")))?;
    let (w, h) = (img.width() as usize, img.height() as usize);
    use image::DynamicImage as D;
    let data: Vec<f32> = match &img {
        D::ImageLuma8(b) => b.as_raw().iter().map(|&v| f32::from(v)).collect(),
        D::ImageLumaA8(b) => b
            .as_raw()
            .chunks_exact(2)
            .map(|p| f32::from(p[0]))
            .collect(),
        D::ImageLuma16(b) => b.as_raw().iter().map(|&v| f32::from(v)).collect(),
        D::ImageLumaA16(b) => b
            .as_raw()
            .chunks_exact(2)
            .map(|p| f32::from(p[0]))
            .collect(),
        D::ImageRgb8(b) => rgb_to_grey(b.as_raw(), 3),
        D::ImageRgba8(b) => rgb_to_grey(b.as_raw(), 4),
        D::ImageRgb16(b) => rgb_to_grey(b.as_raw(), 3),
        D::ImageRgba16(b) => rgb_to_grey(b.as_raw(), 4),
        other => {
            return Err(decode_err(
                path,
                format!(
                    "unsupported pixel type {:?} (expected 8/16-bit grey or RGB(A))",
                    other.color()
                ),
            ));
        }
    };
    let grid = Grid::new_2d(h, w, spacing_yx)?;
    Image::new(grid, data)
}

fn rgb_to_grey<T: Copy + Into<f64>>(raw: &[T], channels: usize) -> Vec<f32> {
    raw.chunks_exact(channels)
        .map(|p| luma_bt601(p[0].into(), p[1].into(), p[2].into()))
        .collect()
}

/// Loads a label map: PNG (`.png`) or NIfTI (`.nii`, `.nii.gz`), chosen by the
/// file extension (case-insensitive).
///
/// * **PNG**: read with no colour transformation. Grey files of bit depth
///   1/2/4/8/16 give their stored value; grey+alpha uses the grey channel;
///   palette (indexed) files give the palette **index** (the usual encoding of
///   colour-coded masks); RGB(A) files are accepted only if `R == G == B` in
///   every pixel (the value is then `R`). Any value above 255 is an error.
///   `spacing_yx` is the pixel spacing `(dy, dx)` in mm.
/// * **NIfTI**: see [`nifti_io::load_nifti_labels`] (integer values 0..=255);
///   the spacing comes from the header and `spacing_yx` is ignored. A volume
///   of depth 1 is returned as a 2D map, deeper volumes as 3D maps.
///
/// JPEG masks are refused (lossy compression alters labels).
pub fn load_label_map(path: &Path, spacing_yx: [f64; 2]) -> Result<LabelMap> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if name.ends_with(".nii") || name.ends_with(".nii.gz") {
        let m = nifti_io::load_nifti_labels(path)?;
        if m.grid().depth() == 1 {
            return m.slice_z(0);
        }
        return Ok(m);
    }
    if name.ends_with(".png") {
        return load_png_labels(path, spacing_yx);
    }
    Err(decode_err(
        path,
        "unsupported label map format: expected .png, .nii or .nii.gz",
    ))
}

fn load_png_labels(path: &Path, spacing_yx: [f64; 2]) -> Result<LabelMap> {
    let file = File::open(path).map_err(|e| io_err(path, e))?;
    let mut decoder = png::Decoder::new(BufReader::new(file));
    decoder.set_transformations(png::Transformations::IDENTITY);
    let bad = |e: png::DecodingError| decode_err(path, format!("cannot decode as PNG: {e}"));
    let mut reader = decoder.read_info().map_err(bad)?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| decode_err(path, "PNG image too large"))?;
    let mut buf = vec![0u8; size];
    let info = reader.next_frame(&mut buf).map_err(bad)?;
    let (w, h) = (info.width as usize, info.height as usize);
    let depth = info.bit_depth as usize; // 1, 2, 4, 8 or 16
    let channels = match info.color_type {
        png::ColorType::Grayscale | png::ColorType::Indexed => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
    };
    let line = info.line_size;
    let mut data = Vec::with_capacity(w * h);
    for y in 0..h {
        let row = buf
            .get(y * line..(y + 1) * line)
            .ok_or_else(|| decode_err(path, "PNG data shorter than its header says"))?;
        for x in 0..w {
            let sample = |c: usize| -> u32 {
                let k = x * channels + c;
                match depth {
                    16 => u32::from(row[2 * k]) << 8 | u32::from(row[2 * k + 1]),
                    8 => u32::from(row[k]),
                    d => {
                        // Sub-byte samples, packed from the most significant bit.
                        let bit = k * d;
                        let byte = row[bit / 8];
                        let shift = 8 - d - bit % 8;
                        u32::from((byte >> shift) & ((1u8 << d) - 1))
                    }
                }
            };
            let v = sample(0);
            if channels >= 3 && (sample(1) != v || sample(2) != v) {
                return Err(decode_err(
                    path,
                    format!(
                        "colour label map: pixel (y={y}, x={x}) is RGB ({v}, {}, {}); \
                         expected grey, palette, or RGB with R == G == B",
                        sample(1),
                        sample(2)
                    ),
                ));
            }
            if v > 255 {
                return Err(decode_err(
                    path,
                    format!("label {v} at (y={y}, x={x}) exceeds 255 (labels are stored as u8)"),
                ));
            }
            data.push(v as u8);
        }
    }
    let grid = Grid::new_2d(h, w, spacing_yx)?;
    LabelMap::new(grid, data)
}
