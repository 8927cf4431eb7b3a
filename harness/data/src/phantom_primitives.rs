//! Building blocks of both synthetic phantoms ([`crate::CardiacPhantom`],
//! [`crate::CtPhantom`]): rotated ellipses, smooth random fields, the accepted
//! slice sizes and the checks of a phantom's counts and sample indices.

use sensibench_core::{Error, Result, SeededRng};

/// The smallest accepted `size`.
pub const MIN_SIZE: usize = 16;
/// The largest accepted `size`.
pub const MAX_SIZE: usize = 2048;

/// Checks the counts of a phantom: at least one subject and one slice per
/// subject, and a `size` within `MIN_SIZE..=MAX_SIZE`.
pub(crate) fn check_counts(subjects: usize, slices_per_subject: usize, size: usize) -> Result<()> {
    if subjects == 0 {
        return Err(Error::invalid("subjects", 0, "at least 1"));
    }
    if slices_per_subject == 0 {
        return Err(Error::invalid("slices_per_subject", 0, "at least 1"));
    }
    if !(MIN_SIZE..=MAX_SIZE).contains(&size) {
        return Err(Error::invalid(
            "size",
            size,
            &format!("between {MIN_SIZE} and {MAX_SIZE} pixels"),
        ));
    }
    Ok(())
}

/// Checks that `i` is one of the `n` samples of a phantom.
pub(crate) fn check_sample_index(i: usize, n: usize) -> Result<()> {
    if i >= n {
        return Err(Error::invalid(
            "sample index",
            i,
            &format!("< {n} (the phantom's number of samples)"),
        ));
    }
    Ok(())
}

/// The id `{prefix}-sSS-zZZ` of sample `i` of a phantom with
/// `slices_per_subject` slices per subject (two digits at least).
pub(crate) fn phantom_sample_id(prefix: &str, i: usize, slices_per_subject: usize) -> String {
    let m = slices_per_subject.max(1);
    format!("{prefix}-s{:02}-z{:02}", i / m, i % m)
}

/// Implements [`Dataset`](crate::Dataset) for a phantom type with the fields
/// `subjects` and `slices_per_subject` and a `render(i) -> Result<(Image,
/// LabelMap)>` method: `subjects * slices_per_subject` samples with ids
/// `{prefix}-sSS-zZZ`, every one with its mask.
macro_rules! impl_phantom_dataset {
    ($phantom:ty, $prefix:literal) => {
        impl $crate::Dataset for $phantom {
            fn len(&self) -> usize {
                self.subjects * self.slices_per_subject
            }

            fn sample_id(&self, i: usize) -> String {
                $crate::phantom_primitives::phantom_sample_id($prefix, i, self.slices_per_subject)
            }

            fn get(&self, i: usize) -> sensibench_core::Result<sensibench_core::Sample> {
                let (image, mask) = self.render(i)?;
                sensibench_core::Sample::new($crate::Dataset::sample_id(self, i), image, Some(mask))
            }

            fn has_masks(&self) -> bool {
                true
            }
        }
    };
}
pub(crate) use impl_phantom_dataset;

/// An ellipse given by centre, semi-axes and rotation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ellipse {
    cx: f64,
    cy: f64,
    cos: f64,
    sin: f64,
    inv_a2: f64,
    inv_b2: f64,
}

impl Ellipse {
    pub(crate) fn new(cx: f64, cy: f64, a: f64, b: f64, angle: f64) -> Self {
        Ellipse {
            cx,
            cy,
            cos: angle.cos(),
            sin: angle.sin(),
            inv_a2: 1.0 / (a * a),
            inv_b2: 1.0 / (b * b),
        }
    }
    /// `(u/a)² + (v/b)²` in the ellipse's frame: < 1 inside.
    #[inline]
    pub(crate) fn q(&self, x: f64, y: f64) -> f64 {
        let dx = x - self.cx;
        let dy = y - self.cy;
        let u = dx * self.cos + dy * self.sin;
        let v = -dx * self.sin + dy * self.cos;
        u * u * self.inv_a2 + v * v * self.inv_b2
    }
    #[inline]
    pub(crate) fn contains(&self, x: f64, y: f64) -> bool {
        self.q(x, y) < 1.0
    }
}

/// A smooth random field on `[0, size)²`: Gaussian values on a `(cells+1)²`
/// lattice, interpolated with smoothstep weights; zero-mean, unit-variance at
/// the lattice points.
pub(crate) struct SmoothField {
    cells: usize,
    values: Vec<f64>,
}

impl SmoothField {
    pub(crate) fn new(rng: &mut SeededRng, cells: usize) -> Self {
        let n = (cells + 1) * (cells + 1);
        SmoothField {
            cells,
            values: (0..n).map(|_| rng.normal()).collect(),
        }
    }
    /// Value at fractional position `(fy, fx)` in `[0, 1]²`.
    #[inline]
    pub(crate) fn at(&self, fy: f64, fx: f64) -> f64 {
        let c = self.cells as f64;
        let gy = (fy * c).clamp(0.0, c - 1e-9);
        let gx = (fx * c).clamp(0.0, c - 1e-9);
        let iy = gy as usize;
        let ix = gx as usize;
        let ty = gy - iy as f64;
        let tx = gx - ix as f64;
        let sy = ty * ty * (3.0 - 2.0 * ty);
        let sx = tx * tx * (3.0 - 2.0 * tx);
        let w = self.cells + 1;
        let v00 = self.values[iy * w + ix];
        let v01 = self.values[iy * w + ix + 1];
        let v10 = self.values[(iy + 1) * w + ix];
        let v11 = self.values[(iy + 1) * w + ix + 1];
        let a = v00 + (v01 - v00) * sx;
        let b = v10 + (v11 - v10) * sx;
        a + (b - a) * sy
    }
}
