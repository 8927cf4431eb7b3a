//! NIfTI-1 volumes (`.nii`, `.nii.gz`) and 2D slicing.
//!
//! # Axis convention
//! NIfTI stores voxel `(i, j, k)` at linear index `i + nx * (j + ny * k)`
//! (column-major, `i` fastest). sensibench's grids are `(z, y, x)` row-major
//! with linear index `(z * ny + y) * nx + x`. The loaders map **`x = i`, `y =
//! j`, `z = k`**, so the two linear orders coincide and the voxel buffer is
//! taken as is: `image.at(k, j, i)` is NIfTI voxel `(i, j, k)`. Spacing is
//! `(dz, dy, dx) = (pixdim[3], pixdim[2], pixdim[1])` (absolute values),
//! converted to mm from the header's spatial unit (metres ×1000, microns
//! ×0.001; unknown is taken as mm). An axis of size 1 with a zero or invalid
//! pixdim gets 1 mm. The affine (qform/sform) is **not** applied: no
//! reorientation or resampling happens, so "axial" etc. below name voxel axes
//! and assume the usual acquisition where `k` runs along the body axis.
//!
//! # Intensity scaling
//! `value = scl_slope * stored + scl_inter` when `scl_slope` is finite and
//! non-zero; otherwise (0 or NaN, as nibabel) the stored value is used as is.
//! A non-finite `scl_inter` counts as 0. Supported stored types: u8, i8, u16,
//! i16, u32, i32, u64, i64, f32, f64 (not RGB or complex).
//!
//! Volumes with more than 3 dimensions are accepted only if the extra
//! dimensions have size 1.

use std::path::Path;

use nifti::{NiftiHeader, NiftiObject as _, NiftiType};
use sensibench_core::{Error, Grid, Image, LabelMap, Result};

use crate::file_errors::{decode_err, io_err};

/// A voxel axis along which a volume is cut into 2D slices.
///
/// With the `(z, y, x) = (k, j, i)` convention of this module: `Axial` fixes
/// `z` (slice rows `y`, columns `x`, spacing `(dy, dx)`), `Coronal` fixes `y`
/// (rows `z`, columns `x`, spacing `(dz, dx)`), `Sagittal` fixes `x` (rows
/// `z`, columns `y`, spacing `(dz, dy)`). Rows keep increasing index order
/// (no flip).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SliceAxis {
    /// Fixed `z` (`k`).
    Axial,
    /// Fixed `y` (`j`).
    Coronal,
    /// Fixed `x` (`i`).
    Sagittal,
}

impl SliceAxis {
    /// Number of slices of `grid` along this axis.
    pub fn count(self, grid: &Grid) -> usize {
        let [d, h, w] = grid.dims();
        match self {
            SliceAxis::Axial => d,
            SliceAxis::Coronal => h,
            SliceAxis::Sagittal => w,
        }
    }

    /// Lower-case name (`axial`, `coronal`, `sagittal`).
    pub fn name(self) -> &'static str {
        match self {
            SliceAxis::Axial => "axial",
            SliceAxis::Coronal => "coronal",
            SliceAxis::Sagittal => "sagittal",
        }
    }
}

fn nifti_err(path: &Path, e: nifti::NiftiError) -> Error {
    match e {
        nifti::NiftiError::Io(source) => {
            if source.kind() == std::io::ErrorKind::UnexpectedEof {
                decode_err(path, format!("truncated NIfTI file: {source}"))
            } else if source.kind() == std::io::ErrorKind::NotFound {
                io_err(path, source)
            } else {
                decode_err(path, format!("cannot read NIfTI: {source}"))
            }
        }
        nifti::NiftiError::IncompatibleLength(got, want) => decode_err(
            path,
            format!("truncated NIfTI file: voxel data has {got} bytes, header needs {want}"),
        ),
        other => decode_err(path, format!("invalid NIfTI: {other}")),
    }
}

/// Reads the header and calls `sink` with every scaled voxel value in file
/// order; returns the grid.
fn read_nifti(path: &Path, mut sink: impl FnMut(f64) -> Result<()>) -> Result<Grid> {
    // Opening the file ourselves first gives a plain "not found" error.
    std::fs::metadata(path).map_err(|e| io_err(path, e))?;
    let obj = nifti::ReaderOptions::new()
        .read_file(path)
        .map_err(|e| nifti_err(path, e))?;
    let header: NiftiHeader = obj.header().clone();
    let grid = grid_from_header(path, &header)?;
    let datatype = header.data_type().map_err(|e| nifti_err(path, e))?;
    let slope = f64::from(header.scl_slope);
    let inter = f64::from(header.scl_inter);
    let (slope, inter) = if slope.is_finite() && slope != 0.0 {
        (slope, if inter.is_finite() { inter } else { 0.0 })
    } else {
        (1.0, 0.0)
    };
    let vol = obj.into_volume();
    let n = grid.len();
    macro_rules! each {
        ($t:ty) => {{
            let v: Vec<$t> = vol
                .into_nifti_typed_data::<$t>()
                .map_err(|e| nifti_err(path, e))?;
            if v.len() != n {
                return Err(decode_err(
                    path,
                    format!("voxel count {} does not match dims {}", v.len(), n),
                ));
            }
            for x in v {
                sink(x as f64 * slope + inter)?;
            }
        }};
    }
    match datatype {
        NiftiType::Uint8 => each!(u8),
        NiftiType::Int8 => each!(i8),
        NiftiType::Uint16 => each!(u16),
        NiftiType::Int16 => each!(i16),
        NiftiType::Uint32 => each!(u32),
        NiftiType::Int32 => each!(i32),
        NiftiType::Uint64 => each!(u64),
        NiftiType::Int64 => each!(i64),
        NiftiType::Float32 => each!(f32),
        NiftiType::Float64 => each!(f64),
        other => {
            return Err(decode_err(
                path,
                format!("unsupported NIfTI datatype {other:?} (expected an integer or float type)"),
            ));
        }
    }
    Ok(grid)
}

fn grid_from_header(path: &Path, h: &NiftiHeader) -> Result<Grid> {
    let dims = h.dim().map_err(|e| nifti_err(path, e))?;
    if let Some((k, &d)) = dims.iter().enumerate().skip(3).find(|&(_, &d)| d > 1) {
        return Err(decode_err(
            path,
            format!(
                "{}D volume with dim[{}] = {d}: only 2D/3D volumes are supported",
                dims.len(),
                k + 1
            ),
        ));
    }
    let size = |a: usize| dims.get(a).map_or(1, |&d| usize::from(d));
    let (nx, ny, nz) = (size(0), size(1), size(2));
    let unit = match h.xyzt_units & 0x07 {
        1 => 1000.0, // metres
        3 => 0.001,  // microns
        _ => 1.0,    // mm or unknown
    };
    let mut sp = [1.0f64; 3];
    for (axis, n) in [(1usize, nx), (2, ny), (3, nz)] {
        let p = f64::from(h.pixdim[axis]).abs() * unit;
        sp[axis - 1] = if p.is_finite() && p > 0.0 {
            p
        } else if n == 1 {
            1.0
        } else {
            return Err(decode_err(
                path,
                format!(
                    "pixdim[{axis}] = {} is not a valid spacing for an axis of size {n}",
                    h.pixdim[axis]
                ),
            ));
        };
    }
    Grid::new_3d([nz, ny, nx], [sp[2], sp[1], sp[0]])
}

/// Loads a NIfTI volume as a 3D [`Image`] (a 2D file gives depth 1), with
/// the axis, spacing and scaling conventions of the [module docs](self).
pub fn load_nifti_image(path: &Path) -> Result<Image> {
    let mut data = Vec::new();
    let grid = read_nifti(path, |v| {
        data.push(v as f32);
        Ok(())
    })?;
    Image::new(grid, data)
}

/// Loads a NIfTI label volume as a 3D [`LabelMap`]. Every scaled value must
/// be an integer in `0..=255`; anything else (fractions, negatives, > 255,
/// NaN) is an error naming the first offending voxel `(i, j, k)`.
pub fn load_nifti_labels(path: &Path) -> Result<LabelMap> {
    let mut data = Vec::new();
    let mut first_bad: Option<(usize, f64)> = None;
    let grid = read_nifti(path, |v| {
        if v.is_finite() && v.fract() == 0.0 && (0.0..=255.0).contains(&v) {
            data.push(v as u8);
        } else {
            if first_bad.is_none() {
                first_bad = Some((data.len(), v));
            }
            data.push(0);
        }
        Ok(())
    })?;
    if let Some((idx, v)) = first_bad {
        let (nx, ny) = (grid.width(), grid.height());
        let (i, j, k) = (idx % nx, (idx / nx) % ny, idx / (nx * ny));
        return Err(decode_err(
            path,
            format!(
                "voxel (i={i}, j={j}, k={k}) has value {v}: labels must be integers in 0..=255"
            ),
        ));
    }
    LabelMap::new(grid, data)
}

fn header_for(grid: &Grid, datatype: NiftiType) -> NiftiHeader {
    let [dz, dy, dx] = grid.spacing();
    let (dx, dy, dz) = (dx as f32, dy as f32, dz as f32);
    NiftiHeader {
        pixdim: [1.0, dx, dy, dz, 1.0, 1.0, 1.0, 1.0],
        xyzt_units: 2, // mm
        datatype: datatype as i16,
        qform_code: 0,
        sform_code: 1, // scanner anatomical
        srow_x: [dx, 0.0, 0.0, 0.0],
        srow_y: [0.0, dy, 0.0, 0.0],
        srow_z: [0.0, 0.0, dz, 0.0],
        scl_slope: 1.0,
        scl_inter: 0.0,
        ..NiftiHeader::default()
    }
}

fn check_nifti_out_path(path: &Path) -> Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if name.ends_with(".nii") || name.ends_with(".nii.gz") {
        Ok(())
    } else {
        Err(decode_err(
            path,
            "output must end in .nii or .nii.gz (gzip for .nii.gz)",
        ))
    }
}

macro_rules! write_array {
    ($path:expr, $grid:expr, $data:expr, $datatype:expr) => {{
        let path: &Path = $path;
        let grid: &Grid = $grid;
        check_nifti_out_path(path)?;
        let [d, h, w] = grid.dims();
        for n in [d, h, w] {
            if n > usize::from(u16::MAX) {
                return Err(decode_err(
                    path,
                    format!("size {n} exceeds NIfTI-1's limit of 65535 per axis"),
                ));
            }
        }
        let arr = ndarray::ArrayView3::from_shape((d, h, w), $data)
            .map_err(|e| decode_err(path, format!("internal shape error: {e}")))?;
        // (z, y, x) row-major reversed is (i, j, k) = (x, y, z): what the writer expects.
        let arr = arr.reversed_axes();
        let header = header_for(grid, $datatype);
        nifti::writer::WriterOptions::new(path)
            .reference_header(&header)
            .write_nifti(&arr)
            .map_err(|e| match e {
                nifti::NiftiError::Io(source) => io_err(path, source),
                other => decode_err(path, format!("cannot write NIfTI: {other}")),
            })
    }};
}

/// Writes `image` as NIfTI-1 float32 (`.nii`, or gzip-compressed `.nii.gz`),
/// with the inverse of the loader's mapping (`i = x`, `j = y`, `k = z`),
/// `pixdim = (dx, dy, dz)` in mm, and `sform = diag(dx, dy, dz)` (code 1).
/// A 2D image is written with depth 1.
pub fn save_nifti_image(path: &Path, image: &Image) -> Result<()> {
    write_array!(path, image.grid(), image.data(), NiftiType::Float32)
}

/// Writes `labels` as NIfTI-1 uint8, with the conventions of [`save_nifti_image`].
pub fn save_nifti_labels(path: &Path, labels: &LabelMap) -> Result<()> {
    write_array!(path, labels.grid(), labels.data(), NiftiType::Uint8)
}

fn slice_generic<T: Copy>(
    what: &str,
    grid: &Grid,
    data: &[T],
    axis: SliceAxis,
    index: usize,
) -> Result<(Grid, Vec<T>)> {
    let [d, h, w] = grid.dims();
    let [dz, dy, dx] = grid.spacing();
    let count = axis.count(grid);
    if index >= count {
        return Err(Error::invalid(
            "slice index",
            index,
            &format!(
                "< {count} ({} slices of the {what} of shape {})",
                axis.name(),
                grid.shape_string()
            ),
        ));
    }
    let at = |z: usize, y: usize, x: usize| data[(z * h + y) * w + x];
    let (g, v) = match axis {
        SliceAxis::Axial => (
            Grid::new_2d(h, w, [dy, dx])?,
            data[index * h * w..(index + 1) * h * w].to_vec(),
        ),
        SliceAxis::Coronal => {
            let mut v = Vec::with_capacity(d * w);
            for z in 0..d {
                for x in 0..w {
                    v.push(at(z, index, x));
                }
            }
            (Grid::new_2d(d, w, [dz, dx])?, v)
        }
        SliceAxis::Sagittal => {
            let mut v = Vec::with_capacity(d * h);
            for z in 0..d {
                for y in 0..h {
                    v.push(at(z, y, index));
                }
            }
            (Grid::new_2d(d, h, [dz, dy])?, v)
        }
    };
    Ok((g, v))
}

/// The 2D slice `index` of `vol` along `axis` (see [`SliceAxis`] for the
/// resulting rows, columns and spacing). Errors if `index` is out of range.
pub fn slice_image(vol: &Image, axis: SliceAxis, index: usize) -> Result<Image> {
    let (g, v) = slice_generic("image", vol.grid(), vol.data(), axis, index)?;
    Image::new(g, v)
}

/// The 2D slice `index` of `vol` along `axis` (as [`slice_image`]).
pub fn slice_labels(vol: &LabelMap, axis: SliceAxis, index: usize) -> Result<LabelMap> {
    let (g, v) = slice_generic("label map", vol.grid(), vol.data(), axis, index)?;
    LabelMap::new(g, v)
}
