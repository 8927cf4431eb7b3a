//! Single-frame grey DICOM images with native (uncompressed) pixel data.
//!
//! Decoding rules of [`load_dicom`]:
//! * Transfer syntax: any native one (Implicit/Explicit VR Little Endian,
//!   Explicit VR Big Endian, Deflated). Encapsulated (compressed) pixel data
//!   (JPEG, JPEG-LS, JPEG 2000, RLE, ...) is an error naming the syntax.
//! * `SamplesPerPixel` must be 1, `NumberOfFrames` absent or 1,
//!   `BitsAllocated` 8 or 16, `BitsStored` ≤ `BitsAllocated`.
//! * Stored value `s`: the low `BitsStored` bits of each sample (`HighBit` =
//!   `BitsStored - 1` is assumed), sign-extended when `PixelRepresentation`
//!   is 1 (two's complement), else unsigned.
//! * `MONOCHROME1` (minimum = white) is inverted on stored values: `s' =
//!   (smin + smax) - s` where `[smin, smax]` is the stored range (`[0,
//!   2^b - 1]` unsigned, `[-2^(b-1), 2^(b-1) - 1]` signed, `b` = BitsStored),
//!   so that larger output is always brighter.
//! * Output `v = RescaleSlope * s' + RescaleIntercept` (defaults 1 and 0).
//! * Spacing `(dy, dx)` = `PixelSpacing` (row spacing, column spacing), else
//!   `ImagerPixelSpacing`, else 1 mm.

use std::path::Path;

use dicom_core::header::HasLength as _;
use dicom_core::value::{DicomValueType as _, PrimitiveValue, Value};
use dicom_dictionary_std::tags;
use dicom_object::{DefaultDicomObject, OpenFileOptions, Tag};
use sensibench_core::{Grid, Image, Result};

use crate::file_errors::{decode_err, io_err};

fn open(path: &Path, until_pixels: bool) -> Result<DefaultDicomObject> {
    std::fs::metadata(path).map_err(|e| io_err(path, e))?;
    let opts = OpenFileOptions::new();
    let opts = if until_pixels {
        opts.read_until(tags::PIXEL_DATA)
    } else {
        opts
    };
    opts.open_file(path)
        .map_err(|e| decode_err(path, format!("cannot read as DICOM: {e}")))
}

fn opt_f64s(
    obj: &DefaultDicomObject,
    path: &Path,
    tag: Tag,
    name: &str,
) -> Result<Option<Vec<f64>>> {
    match obj.element_opt(tag) {
        Ok(Some(e)) => {
            if e.value().primitive().is_some_and(|p| p.is_empty()) {
                return Ok(None);
            }
            e.to_multi_float64()
                .map(Some)
                .map_err(|err| decode_err(path, format!("{name} {tag}: not numeric: {err}")))
        }
        Ok(None) => Ok(None),
        Err(err) => Err(decode_err(path, format!("{name} {tag}: {err}"))),
    }
}

fn opt_f64(obj: &DefaultDicomObject, path: &Path, tag: Tag, name: &str) -> Result<Option<f64>> {
    Ok(opt_f64s(obj, path, tag, name)?.and_then(|v| v.first().copied()))
}

fn req_u32(obj: &DefaultDicomObject, path: &Path, tag: Tag, name: &str) -> Result<u32> {
    let v = opt_f64(obj, path, tag, name)?
        .ok_or_else(|| decode_err(path, format!("missing required element {name} {tag}")))?;
    if v.fract() != 0.0 || !(0.0..=f64::from(u32::MAX)).contains(&v) {
        return Err(decode_err(
            path,
            format!("{name} {tag} = {v}: expected a non-negative integer"),
        ));
    }
    Ok(v as u32)
}

fn opt_str(obj: &DefaultDicomObject, tag: Tag) -> Option<String> {
    obj.element_opt(tag)
        .ok()
        .flatten()
        .and_then(|e| e.to_str().ok())
        .map(|s| s.trim().trim_end_matches('\0').trim().to_string())
}

fn transfer_syntax_name(uid: &str) -> &'static str {
    match uid {
        "1.2.840.10008.1.2" => "Implicit VR Little Endian",
        "1.2.840.10008.1.2.1" => "Explicit VR Little Endian",
        "1.2.840.10008.1.2.1.99" => "Deflated Explicit VR Little Endian",
        "1.2.840.10008.1.2.2" => "Explicit VR Big Endian",
        "1.2.840.10008.1.2.4.50" => "JPEG Baseline",
        "1.2.840.10008.1.2.4.51" => "JPEG Extended",
        "1.2.840.10008.1.2.4.57" | "1.2.840.10008.1.2.4.70" => "JPEG Lossless",
        "1.2.840.10008.1.2.4.80" => "JPEG-LS Lossless",
        "1.2.840.10008.1.2.4.81" => "JPEG-LS Near-Lossless",
        "1.2.840.10008.1.2.4.90" => "JPEG 2000 Lossless",
        "1.2.840.10008.1.2.4.91" => "JPEG 2000",
        "1.2.840.10008.1.2.5" => "RLE Lossless",
        _ => "unknown transfer syntax",
    }
}

/// Loads a single-frame grey DICOM file as a 2D [`Image`] (rules in the
/// [module docs](self)). Errors name the file and the offending element.
pub fn load_dicom(path: &Path) -> Result<Image> {
    let obj = open(path, false)?;
    let ts = obj.meta().transfer_syntax().to_string();
    let format = read_pixel_format(&obj, path)?;
    let (slope, inter) = read_rescale(&obj, path)?;
    let spacing_yx = read_spacing(&obj, path)?;
    let samples = read_samples(&obj, path, &ts, &format)?;
    let data = rescaled_values(&samples, &format, slope, inter);
    let grid = Grid::new_2d(format.rows, format.cols, spacing_yx)?;
    Image::new(grid, data)
}

/// How the pixels of an image are stored.
struct PixelFormat {
    rows: usize,
    cols: usize,
    /// `BitsAllocated`: 8 or 16.
    alloc: u32,
    /// `BitsStored`: `1..=alloc`.
    stored: u32,
    /// `PixelRepresentation` 1 (two's complement).
    signed: bool,
    /// `MONOCHROME1`: stored values are inverted.
    invert: bool,
}

/// The image size and the sample encoding (`Rows` to
/// `PhotometricInterpretation`, checked in that order).
fn read_pixel_format(obj: &DefaultDicomObject, path: &Path) -> Result<PixelFormat> {
    let rows = req_u32(obj, path, tags::ROWS, "Rows")? as usize;
    let cols = req_u32(obj, path, tags::COLUMNS, "Columns")? as usize;
    if rows == 0 || cols == 0 {
        return Err(decode_err(
            path,
            format!("empty image: {rows} rows x {cols} columns"),
        ));
    }
    let spp = opt_f64(obj, path, tags::SAMPLES_PER_PIXEL, "SamplesPerPixel")?.unwrap_or(1.0);
    if spp != 1.0 {
        return Err(decode_err(
            path,
            format!("SamplesPerPixel = {spp}: only single-sample (grey) images are supported"),
        ));
    }
    let frames = opt_f64(obj, path, tags::NUMBER_OF_FRAMES, "NumberOfFrames")?.unwrap_or(1.0);
    if frames != 1.0 {
        return Err(decode_err(
            path,
            format!("NumberOfFrames = {frames}: only single-frame images are supported"),
        ));
    }
    let alloc = req_u32(obj, path, tags::BITS_ALLOCATED, "BitsAllocated")?;
    if alloc != 8 && alloc != 16 {
        return Err(decode_err(
            path,
            format!("BitsAllocated = {alloc}: expected 8 or 16"),
        ));
    }
    let stored = match opt_f64(obj, path, tags::BITS_STORED, "BitsStored")? {
        Some(v) if v >= 1.0 && v <= f64::from(alloc) && v.fract() == 0.0 => v as u32,
        Some(v) => {
            return Err(decode_err(
                path,
                format!("BitsStored = {v}: expected an integer in 1..={alloc}"),
            ));
        }
        None => alloc,
    };
    let signed = match opt_f64(obj, path, tags::PIXEL_REPRESENTATION, "PixelRepresentation")? {
        None | Some(0.0) => false,
        Some(1.0) => true,
        Some(v) => {
            return Err(decode_err(
                path,
                format!("PixelRepresentation = {v}: expected 0 (unsigned) or 1 (signed)"),
            ));
        }
    };
    let photometric =
        opt_str(obj, tags::PHOTOMETRIC_INTERPRETATION).unwrap_or_else(|| "MONOCHROME2".to_string());
    let invert = match photometric.as_str() {
        "MONOCHROME2" => false,
        "MONOCHROME1" => true,
        other => {
            return Err(decode_err(
                path,
                format!("PhotometricInterpretation `{other}`: expected MONOCHROME1 or MONOCHROME2"),
            ));
        }
    };
    Ok(PixelFormat {
        rows,
        cols,
        alloc,
        stored,
        signed,
        invert,
    })
}

/// `RescaleSlope` and `RescaleIntercept` (defaults 1 and 0), finite.
fn read_rescale(obj: &DefaultDicomObject, path: &Path) -> Result<(f64, f64)> {
    let slope = opt_f64(obj, path, tags::RESCALE_SLOPE, "RescaleSlope")?.unwrap_or(1.0);
    let inter = opt_f64(obj, path, tags::RESCALE_INTERCEPT, "RescaleIntercept")?.unwrap_or(0.0);
    if !slope.is_finite() || !inter.is_finite() {
        return Err(decode_err(
            path,
            format!("RescaleSlope/Intercept = {slope}/{inter}: expected finite numbers"),
        ));
    }
    Ok((slope, inter))
}

/// `(dy, dx)` from `PixelSpacing`, else `ImagerPixelSpacing`, else 1 mm.
fn read_spacing(obj: &DefaultDicomObject, path: &Path) -> Result<[f64; 2]> {
    let spacing = match opt_f64s(obj, path, tags::PIXEL_SPACING, "PixelSpacing")? {
        Some(v) => Some(v),
        None => opt_f64s(obj, path, tags::IMAGER_PIXEL_SPACING, "ImagerPixelSpacing")?,
    };
    let spacing_yx = match spacing.as_deref() {
        None => [1.0, 1.0],
        Some([dy, dx, ..]) if *dy > 0.0 && *dx > 0.0 && dy.is_finite() && dx.is_finite() => {
            [*dy, *dx]
        }
        Some(v) => {
            return Err(decode_err(
                path,
                format!("PixelSpacing {v:?}: expected two positive numbers (row, column) in mm"),
            ));
        }
    };
    Ok(spacing_yx)
}

/// The `rows x cols` samples of `PixelData` as u16 words (8-bit samples
/// widened); compressed pixel data (transfer syntax `ts`) is refused.
fn read_samples(
    obj: &DefaultDicomObject,
    path: &Path,
    ts: &str,
    format: &PixelFormat,
) -> Result<Vec<u16>> {
    let PixelFormat {
        rows, cols, alloc, ..
    } = *format;
    let pixel = obj
        .element_opt(tags::PIXEL_DATA)
        .map_err(|e| decode_err(path, format!("PixelData: {e}")))?
        .ok_or_else(|| decode_err(path, "no PixelData element"))?;
    let n = rows * cols;
    // Samples as u16 words (8-bit samples widened), little-endian byte pairs when raw bytes.
    let samples: Vec<u16> = match pixel.value() {
        Value::PixelSequence(_) => {
            return Err(decode_err(
                path,
                format!(
                    "compressed pixel data ({}, transfer syntax {ts}) is not supported; \
                     decompress it first (e.g. `gdcmconv --raw` or `dcmdjpeg`)",
                    transfer_syntax_name(ts)
                ),
            ));
        }
        Value::Sequence(_) => return Err(decode_err(path, "PixelData is a sequence")),
        Value::Primitive(p) => match (p, alloc) {
            (PrimitiveValue::U8(b), 8) => b.iter().map(|&v| u16::from(v)).collect(),
            (PrimitiveValue::U8(b), _) => b
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect(),
            (PrimitiveValue::U16(w), 16) => w.to_vec(),
            (PrimitiveValue::I16(w), 16) => w.iter().map(|&v| v as u16).collect(),
            (PrimitiveValue::U16(w), _) => w
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .map(u16::from)
                .collect(),
            (PrimitiveValue::I16(w), _) => w
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .map(u16::from)
                .collect(),
            (other, _) => {
                return Err(decode_err(
                    path,
                    format!(
                        "PixelData has unexpected value type {:?}",
                        other.value_type()
                    ),
                ));
            }
        },
    };
    if samples.len() < n {
        return Err(decode_err(
            path,
            format!(
                "truncated PixelData: {} samples for {rows}x{cols} = {n} pixels",
                samples.len()
            ),
        ));
    }
    Ok(samples)
}

/// The output values `RescaleSlope * s' + RescaleIntercept` of the first
/// `rows x cols` samples (stored bits, sign, inversion: module docs).
fn rescaled_values(samples: &[u16], format: &PixelFormat, slope: f64, inter: f64) -> Vec<f32> {
    let PixelFormat {
        rows,
        cols,
        stored,
        signed,
        invert,
        ..
    } = *format;
    let n = rows * cols;
    let b = stored;
    let mask: u32 = if b >= 32 { u32::MAX } else { (1u32 << b) - 1 };
    let (smin, smax) = if signed {
        (-(1i64 << (b - 1)), (1i64 << (b - 1)) - 1)
    } else {
        (0, (1i64 << b) - 1)
    };
    samples[..n]
        .iter()
        .map(|&w| {
            let raw = u32::from(w) & mask;
            let mut s = if signed && b > 0 && raw >> (b - 1) & 1 == 1 {
                i64::from(raw) - (1i64 << b)
            } else {
                i64::from(raw)
            };
            if invert {
                s = smin + smax - s;
            }
            (slope * s as f64 + inter) as f32
        })
        .collect()
}

/// The position of a DICOM slice along the stack axis, in mm, read without
/// loading the pixel data: `SliceLocation` (0020,1041) when present;
/// otherwise the projection of `ImagePositionPatient` on the slice normal
/// `row × column` from `ImageOrientationPatient`; `None` if neither is
/// available. Errors only for unreadable files or non-numeric values.
pub fn dicom_slice_location(path: &Path) -> Result<Option<f64>> {
    let obj = open(path, true)?;
    if let Some(v) = opt_f64(&obj, path, tags::SLICE_LOCATION, "SliceLocation")? {
        return Ok(Some(v));
    }
    let ipp = opt_f64s(
        &obj,
        path,
        tags::IMAGE_POSITION_PATIENT,
        "ImagePositionPatient",
    )?;
    let iop = opt_f64s(
        &obj,
        path,
        tags::IMAGE_ORIENTATION_PATIENT,
        "ImageOrientationPatient",
    )?;
    match (ipp.as_deref(), iop.as_deref()) {
        (Some([px, py, pz, ..]), Some([r0, r1, r2, c0, c1, c2, ..])) => {
            let nx = r1 * c2 - r2 * c1;
            let ny = r2 * c0 - r0 * c2;
            let nz = r0 * c1 - r1 * c0;
            Ok(Some(px * nx + py * ny + pz * nz))
        }
        _ => Ok(None),
    }
}
