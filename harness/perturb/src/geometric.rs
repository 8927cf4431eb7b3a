//! Geometric perturbations: rotate, zoom, crop, translate, dihedral, flip.
//!
//! Common conventions:
//! - They act on each `(y, x)` plane of the image; a 3D volume is treated
//!   slice by slice with the same transform (the z axis is never moved).
//! - Array row 0 is displayed at the top, column 0 at the left; "counter-
//!   clockwise" refers to that display.
//! - The centre of a plane of `h × w` pixels is the array centre
//!   `((h−1)/2, (w−1)/2)` in index coordinates.
//! - Intensities are interpolated bilinearly, the mask by nearest neighbour,
//!   both with scipy.ndimage's `mode='constant'` rule: an output whose source
//!   coordinate lies outside `[0, n−1]` on either axis takes the fill value
//!   (option `fill`, default the image minimum, see [`Fill`]) and label 0;
//!   inside, no interpolation towards the fill value happens. Nearest
//!   neighbour takes index `floor(c + 0.5)` (ties round up), as scipy's
//!   `order=0`.
//! - Transforms are in index space: with non-square pixels (`dy ≠ dx`) a
//!   rotation is not a physical rotation. Typical short-axis MR pixels are
//!   square, where the two agree.

use sensibench_core::{
    Image, LabelMap, Params, Perturbation, PerturbationEntry, Result, SeededRng,
};

use rayon::prelude::*;

use crate::interp::{Affine2d, warp_linear, warp_nearest};
use crate::options::{Fill, PlaneAxis, entry, finite, invalid, parameter, unchanged};

/// Resamples the image (bilinear, `fill`) and the mask (nearest, 0) through `map`.
fn warp_sample(
    image: &Image,
    mask: Option<&LabelMap>,
    map: &Affine2d,
    fill: Fill,
) -> Result<(Image, Option<LabelMap>)> {
    let grid = image.grid();
    let data = warp_linear(image.data(), grid.dims(), map, fill.resolve(image));
    let mask = mask
        .map(|m| {
            LabelMap::new(
                m.grid().clone(),
                warp_nearest(m.data(), grid.dims(), map, 0),
            )
        })
        .transpose()?;
    Ok((Image::new(grid.clone(), data)?, mask))
}

/// The array centre `((h−1)/2, (w−1)/2)` of the planes of `image`.
fn plane_centre(image: &Image) -> [f64; 2] {
    let [_, h, w] = image.grid().dims();
    [(h as f64 - 1.0) / 2.0, (w as f64 - 1.0) / 2.0]
}

/// `(cos, sin)` of an angle in degrees, exact at multiples of 90° (as
/// `scipy.special.cosdg`/`sindg`), so quarter turns map pixels onto pixels.
fn cos_sin_deg(angle: f64) -> (f64, f64) {
    let a = angle.rem_euclid(360.0);
    if a == 0.0 {
        (1.0, 0.0)
    } else if a == 90.0 {
        (0.0, 1.0)
    } else if a == 180.0 {
        (-1.0, 0.0)
    } else if a == 270.0 {
        (0.0, -1.0)
    } else {
        let r = a.to_radians();
        (r.cos(), r.sin())
    }
}

/// In-plane rotation by `angle` degrees about the array centre; positive is
/// counter-clockwise as displayed (row 0 at the top).
///
/// Output pixel `o = (oy, ox)` samples the input at `R·o + (c − R·c)` with
/// `R = [[cos θ, sin θ], [−sin θ, cos θ]]` and `c` the array centre. This is
/// exactly `scipy.ndimage.rotate(img, angle, reshape=False, order=1,
/// mode='constant', cval=fill)` (mask: `order=0`, `cval=0`), and for multiples
/// of 90° on a square plane it equals `np.rot90`.
/// Option `fill`: see [`Fill`]. Identity: 0.
#[derive(Clone, Debug)]
pub struct Rotate {
    /// Intensity outside the rotated field of view.
    pub fill: Fill,
}

impl Rotate {
    /// Registered name.
    pub const NAME: &'static str = "rotate";
    /// Binds options (`fill`).
    pub fn from_params(params: &Params) -> Result<Self> {
        params.check_known(Self::NAME, &["fill"])?;
        Ok(Rotate {
            fill: Fill::from_params(params)?,
        })
    }
}

impl Perturbation for Rotate {
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        value: f64,
        _rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        let angle = finite(Self::NAME, "angle", value)?;
        if angle == 0.0 {
            return Ok(unchanged(image, mask));
        }
        let (c, s) = cos_sin_deg(angle);
        let [cy, cx] = plane_centre(image);
        let map = Affine2d {
            m: [[c, s], [-s, c]],
            offset: [cy - (c * cy + s * cx), cx - (-s * cy + c * cx)],
        };
        warp_sample(image, mask, &map, self.fill)
    }
}

/// Magnification by `factor` about the array centre, keeping the shape:
/// factor 2 shows the central half of the field of view enlarged, factor 0.5
/// shows the whole image shrunk to half size inside a border of fill.
///
/// Output pixel `o` samples the input at `o/f + (c − c/f)` on both in-plane
/// axes, i.e. `scipy.ndimage.affine_transform(img, diag(1/f, 1/f),
/// offset=c − c/f, order=1, mode='constant', cval=fill)` (mask `order=0`).
/// Option `fill`: see [`Fill`]. Identity: 1. The factor must be > 0.
#[derive(Clone, Debug)]
pub struct Zoom {
    /// Intensity outside the zoomed-out field of view.
    pub fill: Fill,
}

impl Zoom {
    /// Registered name.
    pub const NAME: &'static str = "zoom";
    /// Binds options (`fill`).
    pub fn from_params(params: &Params) -> Result<Self> {
        params.check_known(Self::NAME, &["fill"])?;
        Ok(Zoom {
            fill: Fill::from_params(params)?,
        })
    }
}

impl Perturbation for Zoom {
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        value: f64,
        _rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        let factor = finite(Self::NAME, "factor", value)?;
        if factor <= 0.0 {
            return Err(invalid(Self::NAME, "factor", factor, "a factor > 0"));
        }
        if factor == 1.0 {
            return Ok(unchanged(image, mask));
        }
        let inv = 1.0 / factor;
        let [cy, cx] = plane_centre(image);
        let map = Affine2d {
            m: [[inv, 0.0], [0.0, inv]],
            offset: [cy - inv * cy, cx - inv * cx],
        };
        warp_sample(image, mask, &map, self.fill)
    }
}

/// Keeps a centred box covering `fraction` of the field of view along each
/// in-plane axis and blanks the rest (image = fill, mask = 0); the shape is
/// kept.
///
/// Along an axis of `n` pixels with centre `c = (n−1)/2`, pixel `i` is kept
/// iff its centre lies in the box: `|i − c| ≤ fraction·n/2` (a centre on the
/// edge is kept; a tolerance of 1e-9 absorbs rounding). The box is therefore
/// exactly symmetric, and keeps about `fraction·n` pixels (e.g. `n = 17`,
/// fraction 0.5: pixels 4..=12). Option `fill`: see [`Fill`]. Identity: 1;
/// the fraction must be in `(0, 1]`.
#[derive(Clone, Debug)]
pub struct Crop {
    /// Intensity outside the kept box.
    pub fill: Fill,
}

impl Crop {
    /// Registered name.
    pub const NAME: &'static str = "crop";
    /// Binds options (`fill`).
    pub fn from_params(params: &Params) -> Result<Self> {
        params.check_known(Self::NAME, &["fill"])?;
        Ok(Crop {
            fill: Fill::from_params(params)?,
        })
    }
}

/// Whether pixel `i` of an axis of `n` lies in the centred box of `fraction`.
fn in_centred_box(i: usize, n: usize, fraction: f64) -> bool {
    let c = (n as f64 - 1.0) / 2.0;
    (i as f64 - c).abs() <= fraction * n as f64 / 2.0 + 1e-9
}

/// Sets every voxel whose row or column is not kept to `fill`.
fn blank_outside<T: Copy>(data: &mut [T], rows: &[bool], cols: &[bool], fill: T) {
    for (r, row) in data.chunks_mut(cols.len()).enumerate() {
        if rows[r % rows.len()] {
            for (v, &keep) in row.iter_mut().zip(cols) {
                if !keep {
                    *v = fill;
                }
            }
        } else {
            row.fill(fill);
        }
    }
}

impl Perturbation for Crop {
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        value: f64,
        _rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        let fraction = finite(Self::NAME, "fraction", value)?;
        if !(fraction > 0.0 && fraction <= 1.0) {
            return Err(invalid(
                Self::NAME,
                "fraction",
                fraction,
                "a fraction in (0, 1]",
            ));
        }
        if fraction == 1.0 {
            return Ok(unchanged(image, mask));
        }
        let [_, h, w] = image.grid().dims();
        let rows: Vec<bool> = (0..h).map(|i| in_centred_box(i, h, fraction)).collect();
        let cols: Vec<bool> = (0..w).map(|i| in_centred_box(i, w, fraction)).collect();
        let mut out = image.clone();
        blank_outside(out.data_mut(), &rows, &cols, self.fill.resolve(image));
        let mask = mask.map(|m| {
            let mut m = m.clone();
            blank_outside(m.data_mut(), &rows, &cols, 0);
            m
        });
        Ok((out, mask))
    }
}

/// Translation by `shift` millimetres along one in-plane axis; positive moves
/// the content towards increasing index (right for `x`, down for `y`).
///
/// With `s = shift / spacing` pixels along the axis, output pixel `o` samples
/// the input at `o − s` (linear interpolation for the image, nearest for the
/// mask), i.e. `scipy.ndimage.shift(img, s, order=1, mode='constant',
/// cval=fill)` along that axis. Options: `axis` (`x` default, or `y`), `fill`
/// (see [`Fill`]). Identity: 0.
#[derive(Clone, Debug)]
pub struct Translate {
    /// The axis moved along.
    pub axis: PlaneAxis,
    /// Intensity of the uncovered border.
    pub fill: Fill,
}

impl Translate {
    /// Registered name.
    pub const NAME: &'static str = "translate";
    /// Binds options (`axis`, `fill`).
    pub fn from_params(params: &Params) -> Result<Self> {
        params.check_known(Self::NAME, &["axis", "fill"])?;
        Ok(Translate {
            axis: PlaneAxis::from_params(params)?,
            fill: Fill::from_params(params)?,
        })
    }
}

impl Perturbation for Translate {
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        value: f64,
        _rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        let shift = finite(Self::NAME, "shift", value)?;
        if shift == 0.0 {
            return Ok(unchanged(image, mask));
        }
        let pixels = shift / image.grid().spacing()[self.axis.index()];
        let offset = match self.axis {
            PlaneAxis::Y => [-pixels, 0.0],
            PlaneAxis::X => [0.0, -pixels],
        };
        let map = Affine2d {
            m: [[1.0, 0.0], [0.0, 1.0]],
            offset,
        };
        warp_sample(image, mask, &map, self.fill)
    }
}

/// Reorders every plane by the element `k` of the dihedral group: output
/// `(i, j)` of an `h × w` plane (output `oh × ow`) reads the input at the
/// returned `(y, x)`.
fn dihedral_source(k: u8, h: usize, w: usize, ow: usize, i: usize, j: usize) -> (usize, usize) {
    let j = if k >= 4 { ow - 1 - j } else { j };
    match k % 4 {
        0 => (i, j),
        1 => (j, w - 1 - i),
        2 => (h - 1 - i, w - 1 - j),
        _ => (h - 1 - j, i),
    }
}

/// Applies dihedral element `k` to every plane of `data` (sizes `dims`).
fn dihedral_planes<T: Copy + Default + Send + Sync>(data: &[T], dims: [usize; 3], k: u8) -> Vec<T> {
    let [_, h, w] = dims;
    let (oh, ow) = if k % 2 == 1 { (w, h) } else { (h, w) };
    let mut out = vec![T::default(); data.len()];
    out.par_chunks_mut(oh * ow)
        .zip(data.par_chunks(h * w))
        .for_each(|(dst, src)| {
            for i in 0..oh {
                for j in 0..ow {
                    let (y, x) = dihedral_source(k, h, w, ow, i, j);
                    dst[i * ow + j] = src[y * w + x];
                }
            }
        });
    out
}

/// Applies dihedral element `k` to image and mask, swapping the in-plane
/// spacing (and the shape of a non-square plane) for odd `k`.
fn dihedral_apply(
    image: &Image,
    mask: Option<&LabelMap>,
    k: u8,
) -> Result<(Image, Option<LabelMap>)> {
    let grid = image.grid();
    let [d, h, w] = grid.dims();
    let [sz, sy, sx] = grid.spacing();
    let grid = if k % 2 == 1 {
        grid.with_dims_spacing([d, w, h], [sz, sx, sy])?
    } else {
        grid.clone()
    };
    let data = dihedral_planes(image.data(), [d, h, w], k);
    let mask = mask
        .map(|m| LabelMap::new(grid.clone(), dihedral_planes(m.data(), [d, h, w], k)))
        .transpose()?;
    Ok((Image::new(grid, data)?, mask))
}

/// The 8 symmetries of the square: `k % 4` quarter turns counter-clockwise
/// (`np.rot90(img, k % 4, axes=(-2, -1))`), then for `k ≥ 4` a left-right
/// flip (`np.flip(axis=-1)`). Exact (no interpolation); image and mask alike.
///
/// `k` must be an integer in `0..=7`. An odd `k` swaps the in-plane axes
/// and their spacings, so a non-square `H x W` plane becomes `W x H`, exactly
/// as `np.rot90` does; the mask turns with it and the runner scores the
/// prediction on the turned grid. Identity: 0.
#[derive(Clone, Debug, Default)]
pub struct Dihedral;

impl Dihedral {
    /// Registered name.
    pub const NAME: &'static str = "dihedral";
    /// Binds options (none).
    pub fn from_params(params: &Params) -> Result<Self> {
        params.check_known(Self::NAME, &[])?;
        Ok(Dihedral)
    }
}

impl Perturbation for Dihedral {
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        value: f64,
        _rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        if !(value.fract() == 0.0 && (0.0..=7.0).contains(&value)) {
            return Err(invalid(Self::NAME, "k", value, "an integer in 0..=7"));
        }
        let k = value as u8;
        if k == 0 {
            return Ok(unchanged(image, mask));
        }
        dihedral_apply(image, mask, k)
    }
}

/// Mirror image along one in-plane axis when the value is 1: `axis: x`
/// reverses the columns (`np.flip(axis=-1)`, left-right), `axis: y` the rows
/// (`np.flip(axis=-2)`, up-down). Image and mask alike, exact.
/// The value must be 0 (identity) or 1.
#[derive(Clone, Debug)]
pub struct Flip {
    /// The axis reversed.
    pub axis: PlaneAxis,
}

impl Flip {
    /// Registered name.
    pub const NAME: &'static str = "flip";
    /// Binds options (`axis`).
    pub fn from_params(params: &Params) -> Result<Self> {
        params.check_known(Self::NAME, &["axis"])?;
        Ok(Flip {
            axis: PlaneAxis::from_params(params)?,
        })
    }
}

impl Perturbation for Flip {
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        value: f64,
        _rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        if value == 0.0 {
            return Ok(unchanged(image, mask));
        }
        if value != 1.0 {
            return Err(invalid(Self::NAME, "flip", value, "0 or 1"));
        }
        // flip x = no turn + left-right flip; flip y = half turn + left-right flip
        let k = match self.axis {
            PlaneAxis::X => 4,
            PlaneAxis::Y => 6,
        };
        dihedral_apply(image, mask, k)
    }
}

/// The registry entries of this module.
pub(crate) fn entries() -> Vec<PerturbationEntry> {
    vec![
        entry(
            Rotate::NAME,
            "in-plane rotation about the image centre (deg, counter-clockwise)",
            parameter("angle", "deg", Some(0.0)),
            |p| Ok(Box::new(Rotate::from_params(p)?)),
        ),
        entry(
            Zoom::NAME,
            "magnification about the image centre, shape kept (factor > 1 enlarges)",
            parameter("factor", "factor", Some(1.0)),
            |p| Ok(Box::new(Zoom::from_params(p)?)),
        ),
        entry(
            Crop::NAME,
            "keep a centred box of a fraction of the field of view, blank the rest",
            parameter("fraction", "fraction", Some(1.0)),
            |p| Ok(Box::new(Crop::from_params(p)?)),
        ),
        entry(
            Translate::NAME,
            "in-plane shift along x or y (mm, positive towards increasing index)",
            parameter("shift", "mm", Some(0.0)),
            |p| Ok(Box::new(Translate::from_params(p)?)),
        ),
        entry(
            Dihedral::NAME,
            "the 8 square symmetries: k%4 quarter turns counter-clockwise, then a left-right flip if k >= 4",
            parameter("k", "", Some(0.0)),
            |p| Ok(Box::new(Dihedral::from_params(p)?)),
        ),
        entry(
            Flip::NAME,
            "mirror along x (left-right) or y (up-down) when the value is 1",
            parameter("flip", "", Some(0.0)),
            |p| Ok(Box::new(Flip::from_params(p)?)),
        ),
    ]
}
