//! Images and label maps on a grid with physical spacing.

use crate::{Error, Result};

/// The sampling grid of an image: sizes and spacing in `(z, y, x)` order.
///
/// A 2D image has depth 1 and `ndim() == 2`; its `spacing()[0]` is 1.0 and is
/// never used. Spacing is in millimetres.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Grid {
    dims: [usize; 3],
    spacing: [f64; 3],
    ndim: usize,
}

impl Grid {
    /// A 2D grid of `height` rows and `width` columns with spacing `(dy, dx)` in mm.
    pub fn new_2d(height: usize, width: usize, spacing_yx: [f64; 2]) -> Result<Self> {
        Self::checked([1, height, width], [1.0, spacing_yx[0], spacing_yx[1]], 2)
    }

    /// A 3D grid with sizes `(depth, height, width)` and spacing `(dz, dy, dx)` in mm.
    pub fn new_3d(dims: [usize; 3], spacing_zyx: [f64; 3]) -> Result<Self> {
        Self::checked(dims, spacing_zyx, 3)
    }

    fn checked(dims: [usize; 3], spacing: [f64; 3], ndim: usize) -> Result<Self> {
        if dims.contains(&0) {
            return Err(Error::invalid(
                "dims",
                format!("{dims:?}"),
                "every size must be at least 1",
            ));
        }
        if spacing.iter().any(|s| !s.is_finite() || *s <= 0.0) {
            return Err(Error::invalid(
                "spacing",
                format!("{spacing:?}"),
                "every spacing must be finite and > 0 mm",
            ));
        }
        Ok(Grid {
            dims,
            spacing,
            ndim,
        })
    }

    /// Sizes `(depth, height, width)`; depth is 1 for 2D.
    pub fn dims(&self) -> [usize; 3] {
        self.dims
    }
    /// Spacing `(dz, dy, dx)` in mm.
    pub fn spacing(&self) -> [f64; 3] {
        self.spacing
    }
    /// 2 or 3.
    pub fn ndim(&self) -> usize {
        self.ndim
    }
    pub fn depth(&self) -> usize {
        self.dims[0]
    }
    pub fn height(&self) -> usize {
        self.dims[1]
    }
    pub fn width(&self) -> usize {
        self.dims[2]
    }
    /// Number of voxels.
    pub fn len(&self) -> usize {
        self.dims.iter().product()
    }
    /// Always false: a grid has at least one voxel.
    pub fn is_empty(&self) -> bool {
        false
    }
    /// Linear index of `(z, y, x)` in row-major order.
    #[inline]
    pub fn index(&self, z: usize, y: usize, x: usize) -> usize {
        (z * self.dims[1] + y) * self.dims[2] + x
    }
    /// The same grid with other sizes and spacing, keeping the dimensionality.
    pub fn with_dims_spacing(&self, dims: [usize; 3], spacing: [f64; 3]) -> Result<Self> {
        Self::checked(dims, spacing, self.ndim)
    }
    /// Physical extent along each axis in mm.
    pub fn extent_mm(&self) -> [f64; 3] {
        [
            self.dims[0] as f64 * self.spacing[0],
            self.dims[1] as f64 * self.spacing[1],
            self.dims[2] as f64 * self.spacing[2],
        ]
    }
    /// Shape as a human-readable string (`HxW` or `DxHxW`).
    pub fn shape_string(&self) -> String {
        if self.ndim == 2 {
            format!("{}x{}", self.dims[1], self.dims[2])
        } else {
            format!("{}x{}x{}", self.dims[0], self.dims[1], self.dims[2])
        }
    }
}

/// A grey-level image (intensities as `f32`) on a [`Grid`].
#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    grid: Grid,
    data: Vec<f32>,
}

/// A label map (class index per voxel, 0 = background) on a [`Grid`].
#[derive(Clone, Debug, PartialEq)]
pub struct LabelMap {
    grid: Grid,
    data: Vec<u8>,
}

macro_rules! grid_array {
    ($t:ident, $elem:ty, $what:literal) => {
        impl $t {
            /// Wraps `data` (row-major, `(z, y, x)`) on `grid`; the length must match.
            pub fn new(grid: Grid, data: Vec<$elem>) -> Result<Self> {
                if data.len() != grid.len() {
                    return Err(Error::Shape {
                        what: concat!($what, " data length").to_string(),
                        expected: format!("{} ({})", grid.len(), grid.shape_string()),
                        found: data.len().to_string(),
                    });
                }
                Ok(Self { grid, data })
            }
            /// A constant array on `grid`.
            pub fn filled(grid: Grid, value: $elem) -> Self {
                let n = grid.len();
                Self {
                    grid,
                    data: vec![value; n],
                }
            }
            pub fn grid(&self) -> &Grid {
                &self.grid
            }
            pub fn data(&self) -> &[$elem] {
                &self.data
            }
            pub fn data_mut(&mut self) -> &mut [$elem] {
                &mut self.data
            }
            pub fn into_data(self) -> Vec<$elem> {
                self.data
            }
            #[inline]
            pub fn at(&self, z: usize, y: usize, x: usize) -> $elem {
                self.data[self.grid.index(z, y, x)]
            }
            /// Replaces the spacing (e.g. after reading it from a header), keeping the sizes.
            pub fn with_spacing(mut self, spacing: [f64; 3]) -> Result<Self> {
                self.grid = self.grid.with_dims_spacing(self.grid.dims(), spacing)?;
                Ok(self)
            }
            /// The 2D slice `z` of a 3D array (spacing `(dy, dx)` kept).
            pub fn slice_z(&self, z: usize) -> Result<Self> {
                let [d, h, w] = self.grid.dims();
                if z >= d {
                    return Err(Error::invalid("slice", z, &format!("< depth {d}")));
                }
                let s = self.grid.spacing();
                let grid = Grid::new_2d(h, w, [s[1], s[2]])?;
                Ok(Self {
                    grid,
                    data: self.data[z * h * w..(z + 1) * h * w].to_vec(),
                })
            }
        }
    };
}
grid_array!(Image, f32, "image");
grid_array!(LabelMap, u8, "label map");

impl Image {
    /// Minimum and maximum intensity (NaN ignored); `(0, 0)` if all NaN.
    pub fn min_max(&self) -> (f32, f32) {
        let mut lo = f32::INFINITY;
        let mut hi = f32::NEG_INFINITY;
        for &v in &self.data {
            if v < lo {
                lo = v;
            }
            if v > hi {
                hi = v;
            }
        }
        if lo > hi { (0.0, 0.0) } else { (lo, hi) }
    }
}

impl LabelMap {
    /// Largest label present (0 if all background).
    pub fn max_label(&self) -> u8 {
        self.data.iter().copied().max().unwrap_or(0)
    }
    /// Number of voxels carrying `label`.
    pub fn count(&self, label: u8) -> usize {
        self.data.iter().filter(|&&v| v == label).count()
    }
}

/// One item of a dataset: an image, an optional label map on the same grid
/// (the reference segmentation; in classification suites, the region map of
/// e.g. a side marker), the image-level class of classification datasets,
/// and an identifier that is stable across runs (it seeds perturbations).
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub id: String,
    pub image: Image,
    pub mask: Option<LabelMap>,
    /// The class index (into the suite's `classes:`) of a classification
    /// sample; `None` for segmentation samples and unlabelled images.
    pub label: Option<u32>,
}

impl Sample {
    /// A sample; fails if the mask's grid differs from the image's.
    pub fn new(id: impl Into<String>, image: Image, mask: Option<LabelMap>) -> Result<Self> {
        let id = id.into();
        if let Some(m) = &mask
            && m.grid().dims() != image.grid().dims()
        {
            return Err(Error::Shape {
                what: format!("mask of sample `{id}`"),
                expected: image.grid().shape_string(),
                found: m.grid().shape_string(),
            });
        }
        Ok(Sample {
            id,
            image,
            mask,
            label: None,
        })
    }

    /// The same sample with image-level class `label`.
    pub fn with_label(mut self, label: Option<u32>) -> Self {
        self.label = label;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_rejects_bad_input() {
        assert!(Grid::new_2d(0, 3, [1.0, 1.0]).is_err());
        assert!(Grid::new_2d(3, 3, [0.0, 1.0]).is_err());
        assert!(Grid::new_3d([2, 2, 2], [1.0, f64::NAN, 1.0]).is_err());
        let g = Grid::new_3d([2, 3, 4], [2.0, 1.0, 0.5]).unwrap();
        assert_eq!(g.len(), 24);
        assert_eq!(g.index(1, 2, 3), 23);
        assert_eq!(g.extent_mm(), [4.0, 3.0, 2.0]);
    }

    #[test]
    fn image_length_and_slices() {
        let g = Grid::new_3d([2, 2, 2], [3.0, 1.0, 1.0]).unwrap();
        assert!(Image::new(g.clone(), vec![0.0; 7]).is_err());
        let im = Image::new(g, (0..8).map(|v| v as f32).collect()).unwrap();
        let s = im.slice_z(1).unwrap();
        assert_eq!(s.data(), &[4.0, 5.0, 6.0, 7.0]);
        assert_eq!(s.grid().ndim(), 2);
        assert!(im.slice_z(2).is_err());
        assert_eq!(im.min_max(), (0.0, 7.0));
    }

    #[test]
    fn sample_checks_mask_shape() {
        let im = Image::filled(Grid::new_2d(4, 4, [1.0, 1.0]).unwrap(), 0.0);
        let m = LabelMap::filled(Grid::new_2d(4, 5, [1.0, 1.0]).unwrap(), 0);
        let e = Sample::new("a", im, Some(m)).unwrap_err().to_string();
        assert!(e.contains("4x4") && e.contains("4x5"), "{e}");
    }
}
