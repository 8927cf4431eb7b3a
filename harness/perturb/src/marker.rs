//! L/R side markers: drawing them (`marker_inject`), removing them by
//! inpainting (`marker_remove`), swapping L for R (`marker_swap`) and the
//! min–max clipping of the marker's extreme intensities (`minmax_clip`).
//!
//! The glyph convention is the one of `plugins/models/classifiers/markers.py`
//! (the shortcut models are trained with it) and is matched exactly:
//! - glyphs are 5 × 7 bitmaps ([`Glyph::bitmap`]); at height `size` (≥ 7) px
//!   a glyph is `width = (5·size + 3) / 7` px wide (integer division) and its
//!   pixel `(y, x)` is on when bitmap row `(7·y) / size`, column
//!   `(5·x) / width` is on;
//! - the marker region is the glyph plus `pad` px on each side,
//!   `(size + 2·pad) × (width + 2·pad)`, with its top-left corner at
//!   `(margin, margin)` (`top_left`), `(margin, W − margin − region_w)`
//!   (`top_right`), `(H − margin − region_h, margin)` (`bottom_left`),
//!   `(H − margin − region_h, W − margin − region_w)` (`bottom_right`) or an
//!   explicit `(y, x)`; it must lie inside the image;
//! - with `lo, hi` the image's min and max (before drawing): with a box every
//!   region pixel is set to `lo + box_intensity·(hi − lo)`, then every glyph
//!   on-pixel (offset by `pad`) to `lo + intensity·(hi − lo)`; arithmetic in
//!   `f64`, stored as `f32`.
//!
//! In classification suites the sample's mask is a *region map*: the pixels
//! of label `label` (default 1) are the marker region. `marker_inject` writes
//! it; a dataset may also give it (a CSV of hand-marked boxes). The
//! perturbations here are 2D only (a 3D image is an error, except at an
//! identity value, which returns the input unchanged bit for bit).

use sensibench_core::{
    Error, Grid, Image, LabelMap, Params, Perturbation, PerturbationEntry, Result, SeededRng,
    did_you_mean,
};

use crate::inpaint::{InpaintMethod, inpaint};
use crate::options::{entry, finite, invalid, parameter, unchanged};

/// A side-marker letter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Glyph {
    /// Left.
    L,
    /// Right.
    R,
}

impl Glyph {
    /// Parses `L` or `R` (either case); anything else is an
    /// [`Error::UnknownName`] of kind `glyph` with a did-you-mean.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "L" | "l" => Ok(Glyph::L),
            "R" | "r" => Ok(Glyph::R),
            other => Err(Error::UnknownName {
                kind: "glyph",
                name: other.to_string(),
                suggestion: did_you_mean(other, ["L", "R"]).or_else(|| {
                    match other.chars().next() {
                        Some('L' | 'l') => Some("L".to_string()),
                        Some('R' | 'r') => Some("R".to_string()),
                        _ => None,
                    }
                }),
            }),
        }
    }

    /// The other side's letter.
    pub fn other(self) -> Self {
        match self {
            Glyph::L => Glyph::R,
            Glyph::R => Glyph::L,
        }
    }

    /// The letter, `L` or `R`.
    pub fn name(self) -> &'static str {
        match self {
            Glyph::L => "L",
            Glyph::R => "R",
        }
    }

    /// The 5 × 7 bitmap (7 rows of 5 columns, `1` = on), as `GLYPHS` in
    /// `markers.py`.
    pub fn bitmap(self) -> [&'static str; 7] {
        match self {
            Glyph::L => [
                "10000", "10000", "10000", "10000", "10000", "10000", "11111",
            ],
            Glyph::R => [
                "11110", "10001", "10001", "11110", "10100", "10010", "10001",
            ],
        }
    }
}

/// A corner of the image (option `corner`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Corner {
    /// `top_left`: row 0, column 0 as displayed.
    TopLeft,
    /// `top_right`.
    TopRight,
    /// `bottom_left`.
    BottomLeft,
    /// `bottom_right`.
    BottomRight,
}

impl Corner {
    /// The option values, in the order of the variants.
    pub const NAMES: [&'static str; 4] = ["top_left", "top_right", "bottom_left", "bottom_right"];

    /// Parses a corner name; an unknown one is an [`Error::UnknownName`]
    /// with a did-you-mean.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "top_left" => Ok(Corner::TopLeft),
            "top_right" => Ok(Corner::TopRight),
            "bottom_left" => Ok(Corner::BottomLeft),
            "bottom_right" => Ok(Corner::BottomRight),
            other => Err(Error::UnknownName {
                kind: "corner",
                name: other.to_string(),
                suggestion: did_you_mean(other, Self::NAMES),
            }),
        }
    }

    /// The option value of this corner.
    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

/// Where the marker region goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// In a corner, `margin` px from both image edges.
    Corner(Corner),
    /// With its top-left pixel at `(y, x)` (the margin is not used).
    At {
        /// Row of the region's top-left pixel.
        y: usize,
        /// Column of the region's top-left pixel.
        x: usize,
    },
}

/// Everything that defines one drawn marker (see the module documentation).
#[derive(Clone, Debug, PartialEq)]
pub struct MarkerSpec {
    /// The letter.
    pub glyph: Glyph,
    /// Glyph height in px (≥ 7).
    pub size: usize,
    /// Where the region goes.
    pub placement: Placement,
    /// Distance of a corner region from the image edges, in px.
    pub margin: usize,
    /// Background px around the glyph inside the region, on each side.
    pub pad: usize,
    /// Glyph intensity as a fraction of the image range: `lo + i·(hi − lo)`.
    pub intensity: f64,
    /// `Some(b)`: fill the whole region with `lo + b·(hi − lo)` first (a
    /// solid box behind the letter); `None`: draw the letter only.
    pub box_intensity: Option<f64>,
}

/// A box of pixels, rows `y0..y1` and columns `x0..x1` (end exclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Region {
    /// First row.
    pub y0: usize,
    /// First column.
    pub x0: usize,
    /// One past the last row.
    pub y1: usize,
    /// One past the last column.
    pub x1: usize,
}

impl Region {
    /// Number of rows.
    pub fn height(&self) -> usize {
        self.y1.saturating_sub(self.y0)
    }
    /// Number of columns.
    pub fn width(&self) -> usize {
        self.x1.saturating_sub(self.x0)
    }
    /// Whether `(y, x)` lies inside.
    pub fn contains(&self, y: usize, x: usize) -> bool {
        (self.y0..self.y1).contains(&y) && (self.x0..self.x1).contains(&x)
    }
    /// Fails unless the region is non-empty and inside an `h × w` image.
    fn check_inside(&self, h: usize, w: usize) -> Result<()> {
        if self.y0 >= self.y1 || self.x0 >= self.x1 || self.y1 > h || self.x1 > w {
            return Err(Error::Other(format!(
                "marker region rows {}..{}, columns {}..{} is empty or does not fit a {h}x{w} image",
                self.y0, self.y1, self.x0, self.x1
            )));
        }
        Ok(())
    }
}

/// The glyph width in px at height `size`: `(5·size + 3) / 7`.
fn glyph_width(size: usize) -> usize {
    (5 * size + 3) / 7
}

/// The on-pixels of `glyph` at height `size` (≥ 7): `(height, width,
/// on)` with `on` row-major `height × width` (see the module documentation).
pub fn glyph_mask(glyph: Glyph, size: usize) -> Result<(usize, usize, Vec<bool>)> {
    if size < 7 {
        return Err(Error::invalid(
            "marker size",
            size,
            "a glyph height of at least 7 px",
        ));
    }
    let width = glyph_width(size);
    let rows = glyph.bitmap();
    let mut on = Vec::with_capacity(size * width);
    for y in 0..size {
        let row = rows[(y * 7) / size].as_bytes();
        for x in 0..width {
            on.push(row[(x * 5) / width] == b'1');
        }
    }
    Ok((size, width, on))
}

/// Fails unless `grid` is 2D; `what` names the operation.
fn require_2d(grid: &Grid, what: &str) -> Result<()> {
    if grid.ndim() == 2 {
        Ok(())
    } else {
        Err(Error::Other(format!(
            "{what} works on 2D images only, got a {} volume",
            grid.shape_string()
        )))
    }
}

/// The region of a marker of `spec` in an `h × w` image.
fn marker_region(spec: &MarkerSpec, h: usize, w: usize) -> Result<Region> {
    let width = glyph_width(spec.size);
    let (rh, rw) = (spec.size + 2 * spec.pad, width + 2 * spec.pad);
    let (m, rh_i, rw_i) = (spec.margin as isize, rh as isize, rw as isize);
    let (h_i, w_i) = (h as isize, w as isize);
    let (y0, x0) = match spec.placement {
        Placement::At { y, x } => (y as isize, x as isize),
        Placement::Corner(Corner::TopLeft) => (m, m),
        Placement::Corner(Corner::TopRight) => (m, w_i - m - rw_i),
        Placement::Corner(Corner::BottomLeft) => (h_i - m - rh_i, m),
        Placement::Corner(Corner::BottomRight) => (h_i - m - rh_i, w_i - m - rw_i),
    };
    if y0 < 0 || x0 < 0 || y0 + rh_i > h_i || x0 + rw_i > w_i {
        return Err(Error::Other(format!(
            "marker region {rh}x{rw} at ({y0}, {x0}) does not fit a {h}x{w} image \
             (glyph size {}, pad {}, margin {})",
            spec.size, spec.pad, spec.margin
        )));
    }
    let (y0, x0) = (y0 as usize, x0 as usize);
    Ok(Region {
        y0,
        x0,
        y1: y0 + rh,
        x1: x0 + rw,
    })
}

/// `lo + f·(hi − lo)` in `f64`, rounded to `f32`.
fn level(lo: f64, hi: f64, f: f64) -> f32 {
    (lo + f * (hi - lo)) as f32
}

/// Draws the on-pixels of `glyph` at height `size` with top-left `(y, x)` in
/// the `w`-wide plane `data`, at value `v`. The caller checks the fit.
fn draw_glyph(data: &mut [f32], w: usize, glyph: Glyph, size: usize, y: usize, x: usize, v: f32) {
    // `size >= 7` is checked by the callers before.
    let Ok((gh, gw, on)) = glyph_mask(glyph, size) else {
        return;
    };
    for gy in 0..gh {
        for gx in 0..gw {
            if on[gy * gw + gx] {
                data[(y + gy) * w + x + gx] = v;
            }
        }
    }
}

/// Draws the marker `spec` on the 2D `image` (see the module documentation
/// for the exact convention, that of `markers.py`); returns the marked image
/// and the marker region. Fails for a 3D image, a size below 7, non-finite
/// intensities or a region that does not fit the image.
pub fn inject_marker(image: &Image, spec: &MarkerSpec) -> Result<(Image, Region)> {
    let grid = image.grid();
    require_2d(grid, "marker injection")?;
    glyph_mask(spec.glyph, spec.size)?;
    if !spec.intensity.is_finite() {
        return Err(Error::invalid(
            "marker intensity",
            spec.intensity,
            "a finite number",
        ));
    }
    if let Some(b) = spec.box_intensity
        && !b.is_finite()
    {
        return Err(Error::invalid("marker box_intensity", b, "a finite number"));
    }
    let (h, w) = (grid.height(), grid.width());
    let region = marker_region(spec, h, w)?;
    let (lo, hi) = image.min_max();
    let (lo, hi) = (f64::from(lo), f64::from(hi));
    let mut out = image.clone();
    let data = out.data_mut();
    if let Some(b) = spec.box_intensity {
        let v = level(lo, hi, b);
        for y in region.y0..region.y1 {
            data[y * w + region.x0..y * w + region.x1].fill(v);
        }
    }
    draw_glyph(
        data,
        w,
        spec.glyph,
        spec.size,
        region.y0 + spec.pad,
        region.x0 + spec.pad,
        level(lo, hi, spec.intensity),
    );
    Ok((out, region))
}

/// `mask` (or an all-zero map on `grid` when `None`) with every pixel of
/// `region` set to `label`; other pixels are kept. Fails for a 3D grid, a
/// mask on another grid, label 0 or a region outside the grid.
pub fn mark_region(
    mask: Option<&LabelMap>,
    grid: &Grid,
    region: Region,
    label: u8,
) -> Result<LabelMap> {
    require_2d(grid, "marking a marker region")?;
    if label == 0 {
        return Err(Error::invalid(
            "region label",
            0,
            "a label in 1..=255 (0 is the background)",
        ));
    }
    let (h, w) = (grid.height(), grid.width());
    region.check_inside(h, w)?;
    let mut out = match mask {
        None => LabelMap::filled(grid.clone(), 0),
        Some(m) => {
            if m.grid().dims() != grid.dims() {
                return Err(Error::Shape {
                    what: "region mask".to_string(),
                    expected: grid.shape_string(),
                    found: m.grid().shape_string(),
                });
            }
            m.clone()
        }
    };
    let data = out.data_mut();
    for y in region.y0..region.y1 {
        data[y * w + region.x0..y * w + region.x1].fill(label);
    }
    Ok(out)
}

/// The bounding box of the pixels of `label` in `mask` (over all slices of
/// a volume, in-plane), or `None` when there are none.
pub fn region_of(mask: &LabelMap, label: u8) -> Option<Region> {
    let [_, h, w] = mask.grid().dims();
    let mut r: Option<Region> = None;
    for (k, &v) in mask.data().iter().enumerate() {
        if v != label {
            continue;
        }
        let (y, x) = ((k / w) % h, k % w);
        r = Some(match r {
            None => Region {
                y0: y,
                x0: x,
                y1: y + 1,
                x1: x + 1,
            },
            Some(r) => Region {
                y0: r.y0.min(y),
                x0: r.x0.min(x),
                y1: r.y1.max(y + 1),
                x1: r.x1.max(x + 1),
            },
        });
    }
    r
}

// ---------------------------------------------------------------------------
// Option and value parsing.

/// Option `key` as a whole number in `0..=max` (default `default`).
fn whole_option(
    params: &Params,
    pert: &str,
    key: &str,
    default: usize,
    max: usize,
) -> Result<usize> {
    let v = params.number(key, default as f64)?;
    if !v.is_finite() || v < 0.0 || v.fract() != 0.0 || v > max as f64 {
        return Err(invalid(
            pert,
            key,
            v,
            &format!("a whole number in 0..={max}"),
        ));
    }
    Ok(v as usize)
}

/// Option `key` as a finite number (default `default`).
fn finite_option(params: &Params, pert: &str, key: &str, default: f64) -> Result<f64> {
    let v = params.number(key, default)?;
    if !v.is_finite() {
        return Err(invalid(pert, key, v, "a finite number"));
    }
    Ok(v)
}

/// Option `label`: the region label, a whole number in 1..=255 (default 1).
fn label_option(params: &Params, pert: &str) -> Result<u8> {
    let v = whole_option(params, pert, "label", 1, 255)?;
    if v == 0 {
        return Err(invalid(
            pert,
            "label",
            0.0,
            "a label in 1..=255 (0 is the background)",
        ));
    }
    Ok(v as u8)
}

/// Option `key` as a glyph (default `default`).
fn glyph_option(params: &Params, key: &str, default: &str) -> Result<Glyph> {
    Glyph::parse(params.text(key, default)?)
}

/// The swept value as a whole number ≥ `min`.
fn whole_value(pert: &str, param: &str, value: f64, min: usize) -> Result<usize> {
    let v = finite(pert, param, value)?;
    if v < min as f64 || v.fract() != 0.0 || v > 1e9 {
        return Err(invalid(
            pert,
            param,
            v,
            &format!("a whole number of px >= {min}"),
        ));
    }
    Ok(v as usize)
}

/// The swept value of an on/off perturbation: false at 0, true at 1.
fn switch_value(pert: &str, param: &str, value: f64) -> Result<bool> {
    let v = finite(pert, param, value)?;
    if v == 0.0 {
        Ok(false)
    } else if v == 1.0 {
        Ok(true)
    } else {
        Err(invalid(pert, param, v, "0 or 1"))
    }
}

/// The pixels of `label` in `mask`, or the error saying where a region comes from.
fn region_pixels(pert: &str, mask: Option<&LabelMap>, label: u8) -> Result<Vec<bool>> {
    let hole: Option<Vec<bool>> =
        mask.map(|m| m.data().iter().map(|&v| v == label).collect::<Vec<_>>());
    match hole {
        Some(h) if h.contains(&true) => Ok(h),
        _ => Err(Error::Other(format!(
            "{pert} needs the marker region: give the dataset a regions CSV or inject the \
             marker first (marker_inject or the dataset's markers:) (no pixel of label \
             {label} in the sample's {})",
            if mask.is_some() {
                "mask"
            } else {
                "mask, which is absent"
            }
        ))),
    }
}

/// Grows `hole` (an `h × w` plane) by `r` px in the Chebyshev metric (a
/// `(2r+1)²` square structuring element).
fn dilate(hole: &[bool], h: usize, w: usize, r: usize) -> Vec<bool> {
    if r == 0 {
        return hole.to_vec();
    }
    // Rows then columns: a square is separable. Prefix counts keep it O(n).
    let run = |get: &dyn Fn(usize) -> bool, n: usize, out: &mut dyn FnMut(usize, bool)| {
        let mut prefix = vec![0usize; n + 1];
        for i in 0..n {
            prefix[i + 1] = prefix[i] + usize::from(get(i));
        }
        for i in 0..n {
            let (a, b) = (i.saturating_sub(r), (i + r + 1).min(n));
            out(i, prefix[b] > prefix[a]);
        }
    };
    let mut rows = vec![false; h * w];
    for y in 0..h {
        run(&|x| hole[y * w + x], w, &mut |x, v| rows[y * w + x] = v);
    }
    let mut out = vec![false; h * w];
    for x in 0..w {
        run(&|y| rows[y * w + x], h, &mut |y, v| out[y * w + x] = v);
    }
    out
}

// ---------------------------------------------------------------------------
// Perturbations.

/// Draws an L/R side marker (the exact convention of `markers.py`, see the
/// module documentation) and records its region in the mask: pixels of the
/// region get label `label`, the rest of the mask is kept (an absent mask
/// becomes an all-zero map first).
///
/// Swept parameter `size`: the glyph height in px, a whole number ≥ 7; 0 is
/// the identity (no marker; input returned unchanged). Options: `glyph`
/// (`L`|`R`, default `L`), `corner` (default `top_left`), `y` and `x` (both
/// or neither: the region's top-left pixel, overriding `corner`), `margin`
/// (px, default 2), `pad` (px, default 2), `intensity` (fraction of the
/// image range, default 1.0), `box` (default false) with `box_intensity`
/// (default 0.0), `label` (default 1). A region that does not fit is an error.
#[derive(Clone, Debug)]
pub struct MarkerInject {
    /// The marker without its size (`size` is replaced at each point).
    pub spec: MarkerSpec,
    /// The label the region gets in the mask.
    pub label: u8,
}

impl MarkerInject {
    /// Registered name.
    pub const NAME: &'static str = "marker_inject";
    /// Binds the options.
    pub fn from_params(params: &Params) -> Result<Self> {
        const N: &str = MarkerInject::NAME;
        params.check_known(
            N,
            &[
                "glyph",
                "corner",
                "y",
                "x",
                "margin",
                "pad",
                "intensity",
                "box",
                "box_intensity",
                "label",
            ],
        )?;
        const MAX: usize = 1 << 20;
        let placement = match (params.0.contains_key("y"), params.0.contains_key("x")) {
            (true, true) => Placement::At {
                y: whole_option(params, N, "y", 0, MAX)?,
                x: whole_option(params, N, "x", 0, MAX)?,
            },
            (false, false) => Placement::Corner(Corner::parse(params.text("corner", "top_left")?)?),
            _ => {
                return Err(Error::invalid(
                    &format!("{N}.y/x"),
                    "only one of them",
                    "both `y` and `x` (the region's top-left pixel) or neither",
                ));
            }
        };
        let box_intensity = finite_option(params, N, "box_intensity", 0.0)?;
        Ok(MarkerInject {
            spec: MarkerSpec {
                glyph: glyph_option(params, "glyph", "L")?,
                size: 7,
                placement,
                margin: whole_option(params, N, "margin", 2, MAX)?,
                pad: whole_option(params, N, "pad", 2, MAX)?,
                intensity: finite_option(params, N, "intensity", 1.0)?,
                box_intensity: params.flag("box", false)?.then_some(box_intensity),
            },
            label: label_option(params, N)?,
        })
    }
}

impl Perturbation for MarkerInject {
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        value: f64,
        _rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        let v = finite(Self::NAME, "size", value)?;
        if v == 0.0 {
            return Ok(unchanged(image, mask));
        }
        let size = whole_value(Self::NAME, "size", v, 7)?;
        require_2d(image.grid(), Self::NAME)?;
        let spec = MarkerSpec {
            size,
            ..self.spec.clone()
        };
        let (out, region) = inject_marker(image, &spec)
            .map_err(|e| Error::Other(format!("{}: {e}", Self::NAME)))?;
        let mask = mark_region(mask, image.grid(), region, self.label)?;
        Ok((out, Some(mask)))
    }
}

/// Removes the marker: inpaints the region (mask pixels of `label`) grown
/// by `dilate` px in the Chebyshev metric (a square structuring element of
/// side `2·dilate + 1`, as `scipy.ndimage.binary_dilation` with a full
/// square). The mask is returned unchanged.
///
/// Swept parameter `dilate`: a whole number of px ≥ 0; there is no identity
/// (dilate 0 still inpaints the region). Options: `method` (`biharmonic`,
/// default, or `telea`, see [`InpaintMethod`]), `label` (default 1). A sample
/// without a mask or without a pixel of the label is an error.
#[derive(Clone, Debug)]
pub struct MarkerRemove {
    /// How the region is filled.
    pub method: InpaintMethod,
    /// The region's label in the mask.
    pub label: u8,
}

impl MarkerRemove {
    /// Registered name.
    pub const NAME: &'static str = "marker_remove";
    /// Binds the options (`method`, `label`).
    pub fn from_params(params: &Params) -> Result<Self> {
        params.check_known(Self::NAME, &["method", "label"])?;
        Ok(MarkerRemove {
            method: InpaintMethod::from_params(params)?,
            label: label_option(params, Self::NAME)?,
        })
    }
}

impl Perturbation for MarkerRemove {
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        value: f64,
        _rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        let r = whole_value(Self::NAME, "dilate", value, 0)?;
        require_2d(image.grid(), Self::NAME)?;
        let hole = region_pixels(Self::NAME, mask, self.label)?;
        let (h, w) = (image.grid().height(), image.grid().width());
        let hole = dilate(&hole, h, w, r.min(h.max(w)));
        let out = inpaint(image, &hole, self.method)
            .map_err(|e| Error::Other(format!("{}: {e}", Self::NAME)))?;
        Ok((out, mask.cloned()))
    }
}

/// Swaps the marker's letter: inpaints the bounding box of the region (mask
/// pixels of `label`), then draws glyph `to` in that box at intensity
/// `lo + intensity·(hi − lo)`, with `lo, hi` the min and max of the *input*
/// image (so a marker that set the maximum keeps its brightness).
///
/// The glyph height is `box height − 2·pad`, reduced if needed until the
/// glyph plus `pad` on each side fits the box width; the glyph is centred in
/// the box (offsets `(box − glyph) / 2`, rounded down), which for a region
/// written by `marker_inject` with the same `pad` is exactly that marker's
/// place. A glyph below 7 px is an error. The mask is returned unchanged.
///
/// Swept parameter `swap`: 0 (identity, unchanged) or 1. Options: `to`
/// (`L`|`R`, default `R`), `pad` (px, default 2), `intensity` (default 1.0),
/// `method` (default `biharmonic`), `label` (default 1).
#[derive(Clone, Debug)]
pub struct MarkerSwap {
    /// The letter drawn.
    pub to: Glyph,
    /// Background px around the glyph inside the box.
    pub pad: usize,
    /// Glyph intensity as a fraction of the input's range.
    pub intensity: f64,
    /// How the box is cleared.
    pub method: InpaintMethod,
    /// The region's label in the mask.
    pub label: u8,
}

impl MarkerSwap {
    /// Registered name.
    pub const NAME: &'static str = "marker_swap";
    /// Binds the options.
    pub fn from_params(params: &Params) -> Result<Self> {
        const N: &str = MarkerSwap::NAME;
        params.check_known(N, &["to", "pad", "intensity", "method", "label"])?;
        Ok(MarkerSwap {
            to: glyph_option(params, "to", "R")?,
            pad: whole_option(params, N, "pad", 2, 1 << 20)?,
            intensity: finite_option(params, N, "intensity", 1.0)?,
            method: InpaintMethod::from_params(params)?,
            label: label_option(params, N)?,
        })
    }
}

impl Perturbation for MarkerSwap {
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        value: f64,
        _rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        const N: &str = MarkerSwap::NAME;
        if !switch_value(N, "swap", value)? {
            return Ok(unchanged(image, mask));
        }
        require_2d(image.grid(), N)?;
        region_pixels(N, mask, self.label)?;
        let Some(region) = mask.and_then(|m| region_of(m, self.label)) else {
            return Err(Error::Other(format!("{N}: no marker region")));
        };
        let (h, w) = (image.grid().height(), image.grid().width());
        let (bh, bw) = (region.height(), region.width());
        let mut size = bh.saturating_sub(2 * self.pad);
        while size >= 7 && glyph_width(size) + 2 * self.pad > bw {
            size -= 1;
        }
        if size < 7 {
            return Err(Error::Other(format!(
                "{N}: the marker box {bh}x{bw} with pad {} leaves room for a glyph below 7 px",
                self.pad
            )));
        }
        let hole: Vec<bool> = (0..h * w).map(|k| region.contains(k / w, k % w)).collect();
        let mut out =
            inpaint(image, &hole, self.method).map_err(|e| Error::Other(format!("{N}: {e}")))?;
        let (lo, hi) = image.min_max();
        let v = level(f64::from(lo), f64::from(hi), self.intensity);
        let gy = region.y0 + (bh - size) / 2;
        let gx = region.x0 + (bw - glyph_width(size)) / 2;
        draw_glyph(out.data_mut(), w, self.to, size, gy, gx, v);
        Ok((out, mask.cloned()))
    }
}

/// The "clipped" input of the CMPB 2022 side-marker study: inpaints the
/// region (mask pixels of `label`) with `method`, takes the min and max of
/// the inpainted image, and clips the *original* image to that range. The
/// marker's extreme intensities are removed; every pixel already within the
/// range keeps its value bit for bit. The mask is returned unchanged.
///
/// Swept parameter `clip`: 0 (identity, unchanged) or 1. Options: `method`
/// (default `biharmonic`), `label` (default 1).
#[derive(Clone, Debug)]
pub struct MinmaxClip {
    /// How the region is filled to find the range.
    pub method: InpaintMethod,
    /// The region's label in the mask.
    pub label: u8,
}

impl MinmaxClip {
    /// Registered name.
    pub const NAME: &'static str = "minmax_clip";
    /// Binds the options (`method`, `label`).
    pub fn from_params(params: &Params) -> Result<Self> {
        params.check_known(Self::NAME, &["method", "label"])?;
        Ok(MinmaxClip {
            method: InpaintMethod::from_params(params)?,
            label: label_option(params, Self::NAME)?,
        })
    }
}

impl Perturbation for MinmaxClip {
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        value: f64,
        _rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        const N: &str = MinmaxClip::NAME;
        if !switch_value(N, "clip", value)? {
            return Ok(unchanged(image, mask));
        }
        require_2d(image.grid(), N)?;
        let hole = region_pixels(N, mask, self.label)?;
        let filled =
            inpaint(image, &hole, self.method).map_err(|e| Error::Other(format!("{N}: {e}")))?;
        let (lo, hi) = filled.min_max();
        let mut out = image.clone();
        for v in out.data_mut() {
            if *v < lo {
                *v = lo;
            } else if *v > hi {
                *v = hi;
            }
        }
        Ok((out, mask.cloned()))
    }
}

/// The registry entries of this module.
pub(crate) fn entries() -> Vec<PerturbationEntry> {
    vec![
        entry(
            MarkerInject::NAME,
            "draws an L/R side marker of height `size` px (0 = none) and records its region in the mask",
            parameter("size", "px", Some(0.0)),
            |p| Ok(Box::new(MarkerInject::from_params(p)?)),
        ),
        entry(
            MarkerRemove::NAME,
            "inpaints the marker region (mask == label) grown by `dilate` px",
            parameter("dilate", "px", None),
            |p| Ok(Box::new(MarkerRemove::from_params(p)?)),
        ),
        entry(
            MarkerSwap::NAME,
            "at 1: inpaints the marker region's box and draws glyph `to` (default R) in it",
            parameter("swap", "", Some(0.0)),
            |p| Ok(Box::new(MarkerSwap::from_params(p)?)),
        ),
        entry(
            MinmaxClip::NAME,
            "at 1: clips the image to the min/max of the image with the marker region inpainted",
            parameter("clip", "", Some(0.0)),
            |p| Ok(Box::new(MinmaxClip::from_params(p)?)),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dilation_is_a_chebyshev_square() {
        let mut hole = vec![false; 49];
        hole[3 * 7 + 3] = true;
        let d = dilate(&hole, 7, 7, 2);
        for y in 0..7 {
            for x in 0..7 {
                let inside = (1..=5).contains(&y) && (1..=5).contains(&x);
                assert_eq!(d[y * 7 + x], inside, "({y}, {x})");
            }
        }
        let mut edge = vec![false; 49];
        edge[0] = true;
        let d = dilate(&edge, 7, 7, 1);
        assert_eq!(d.iter().filter(|&&v| v).count(), 4);
    }

    #[test]
    fn glyph_l_at_seven_is_the_bitmap() {
        let (h, w, on) = glyph_mask(Glyph::L, 7).unwrap();
        assert_eq!((h, w), (7, 5));
        assert_eq!(on.iter().filter(|&&v| v).count(), 11);
        assert!(glyph_mask(Glyph::R, 6).is_err());
    }
}
