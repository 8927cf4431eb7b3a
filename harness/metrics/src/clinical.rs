//! Clinical measures of one segmented class: its size (cross-sectional area
//! on a 2D slice, volume on a 3D grid) and its mean intensity (attenuation in
//! Hounsfield units on CT).
//!
//! **Size** ([`area_cm2`]): `N · v / k`, where `N` is the number of pixels
//! (voxels) labelled `class` and `v` the element size from the grid spacing
//! (mm, see [`sensibench_core::Grid`]):
//! - 2D grid (`ndim() == 2`): `v = dy · dx` mm², `k = 100` → **cm²** (the
//!   cross-sectional area, e.g. skeletal muscle area at L3);
//! - 3D grid (`ndim() == 3`): `v = dz · dy · dx` mm³, `k = 1000` → **cm³**
//!   (the volume). A 3D grid with one slice is a volume of thickness `dz`;
//!   take [`sensibench_core::LabelMap::slice_z`] first to get an area.
//!
//! [`ClinicalMeasure::unit_for_ndim`] gives the matching unit.
//!
//! **Mean intensity** ([`mean_intensity`]): `(1/N) Σ I(p)` over the pixels
//! `p` labelled `class`, summed in `f64`; NaN when the class is absent (no
//! pixel, so no mean), and NaN pixels of the image propagate. The image and
//! the label map must have the same dimensionality and sizes (the error names
//! both shapes); spacing is not compared. [`mean_intensity_in_range`]
//! restricts the mean to the pixels with `lo ≤ I(p) ≤ hi`, the usual
//! attenuation threshold for muscle ([`MUSCLE_HU_RANGE`], −29..150 HU).

use sensibench_core::{Error, Image, LabelMap, Result, did_you_mean};

use crate::shape::check_same_shape;

/// The Hounsfield-unit range commonly used to define skeletal muscle tissue
/// on CT (−29 to +150 HU inclusive; e.g. Mitsiopoulos et al. 1998 used
/// −30..150, most L3 body-composition studies −29..150).
pub const MUSCLE_HU_RANGE: (f64, f64) = (-29.0, 150.0);

/// A clinical measure of one class of a segmentation (see the module
/// documentation for the formulas).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClinicalMeasure {
    /// Area in cm² on a 2D grid (volume in cm³ on a 3D grid): [`area_cm2`].
    AreaCm2,
    /// Mean image value over the class (HU on CT): [`mean_intensity`].
    MeanHu,
}

impl ClinicalMeasure {
    /// Every measure, in a stable order.
    pub const ALL: &'static [ClinicalMeasure] =
        &[ClinicalMeasure::AreaCm2, ClinicalMeasure::MeanHu];

    /// The registry name (`"area_cm2"`, `"mean_hu"`).
    pub fn name(self) -> &'static str {
        match self {
            ClinicalMeasure::AreaCm2 => "area_cm2",
            ClinicalMeasure::MeanHu => "mean_hu",
        }
    }

    /// The measure called `name`; an unknown name is an error suggesting the
    /// closest one.
    pub fn from_name(name: &str) -> Result<ClinicalMeasure> {
        ClinicalMeasure::ALL
            .iter()
            .copied()
            .find(|m| m.name() == name)
            .ok_or_else(|| Error::UnknownName {
                kind: "clinical measure",
                name: name.to_string(),
                suggestion: did_you_mean(name, ClinicalMeasure::ALL.iter().map(|m| m.name())),
            })
    }

    /// Unit on a 2D slice: `"cm²"` for the area, `"HU"` for the mean
    /// intensity. See [`ClinicalMeasure::unit_for_ndim`] for 3D grids.
    pub fn unit(self) -> &'static str {
        self.unit_for_ndim(2)
    }

    /// Unit on a grid of dimensionality `ndim`: the size is `"cm²"` in 2D and
    /// `"cm³"` in 3D; the mean intensity is `"HU"` in both.
    pub fn unit_for_ndim(self, ndim: usize) -> &'static str {
        match (self, ndim) {
            (ClinicalMeasure::AreaCm2, 3) => "cm³",
            (ClinicalMeasure::AreaCm2, _) => "cm²",
            (ClinicalMeasure::MeanHu, _) => "HU",
        }
    }

    /// One line describing the measure (for `sensibench list`).
    pub fn summary(self) -> &'static str {
        match self {
            ClinicalMeasure::AreaCm2 => {
                "area of the class in cm² (pixels × dy·dx / 100); volume in cm³ on 3D grids"
            }
            ClinicalMeasure::MeanHu => {
                "mean image value (HU on CT) over the class's pixels; NaN if the class is absent"
            }
        }
    }

    /// The measure of class `class` of `labels` on `image` (the image is
    /// only read by [`ClinicalMeasure::MeanHu`], which fails if the grids'
    /// shapes differ).
    pub fn compute(self, image: &Image, labels: &LabelMap, class: u8) -> Result<f64> {
        match self {
            ClinicalMeasure::AreaCm2 => Ok(area_cm2(labels, class)),
            ClinicalMeasure::MeanHu => mean_intensity(image, labels, class),
        }
    }
}

impl std::fmt::Display for ClinicalMeasure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for ClinicalMeasure {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        ClinicalMeasure::from_name(s)
    }
}

/// Size of class `class`: `count · dy · dx / 100` cm² on a 2D grid,
/// `count · dz · dy · dx / 1000` cm³ on a 3D grid. 0 when the class is absent.
pub fn area_cm2(labels: &LabelMap, class: u8) -> f64 {
    let grid = labels.grid();
    let [dz, dy, dx] = grid.spacing();
    let n = labels.count(class) as f64;
    if grid.ndim() == 3 {
        n * (dz * dy * dx) / 1000.0
    } else {
        n * (dy * dx) / 100.0
    }
}

/// Mean of `image` over the pixels where `labels == class`: `Σ I(p) / N`
/// (in `f64`); NaN when the class is absent. Fails if the image and the label
/// map differ in dimensionality or sizes (the error names both shapes).
pub fn mean_intensity(image: &Image, labels: &LabelMap, class: u8) -> Result<f64> {
    mean_where(image, labels, class, |_| true)
}

/// [`mean_intensity`] restricted to the pixels of the class whose value lies
/// in the closed range `[lo, hi]` (e.g. [`MUSCLE_HU_RANGE`]); NaN when no
/// pixel qualifies. Fails on a shape mismatch, or if `lo`/`hi` is NaN or
/// `lo > hi`.
pub fn mean_intensity_in_range(
    image: &Image,
    labels: &LabelMap,
    class: u8,
    lo: f64,
    hi: f64,
) -> Result<f64> {
    if lo.is_nan() || hi.is_nan() || lo > hi {
        return Err(Error::invalid(
            "intensity range",
            format!("[{lo}, {hi}]"),
            "lo <= hi, both numbers (e.g. -29..150 HU for muscle)",
        ));
    }
    mean_where(image, labels, class, |v| lo <= v && v <= hi)
}

fn mean_where(
    image: &Image,
    labels: &LabelMap,
    class: u8,
    keep: impl Fn(f64) -> bool,
) -> Result<f64> {
    check_same_shape(
        "image vs label map for the mean intensity",
        (image.grid(), "image"),
        (labels.grid(), "label map"),
    )?;
    let (mut sum, mut n) = (0.0_f64, 0usize);
    for (&v, &l) in image.data().iter().zip(labels.data()) {
        let v = f64::from(v);
        if l == class && keep(v) {
            sum += v;
            n += 1;
        }
    }
    Ok(if n == 0 { f64::NAN } else { sum / n as f64 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sensibench_core::Grid;

    #[test]
    fn names_round_trip() {
        for &m in ClinicalMeasure::ALL {
            assert_eq!(ClinicalMeasure::from_name(m.name()).unwrap(), m);
            assert_eq!(m.name().parse::<ClinicalMeasure>().unwrap(), m);
            assert_eq!(
                serde_json::to_string(&m).unwrap(),
                format!("\"{}\"", m.name())
            );
            assert!(!m.summary().is_empty());
        }
        let e = ClinicalMeasure::from_name("mean_hv")
            .unwrap_err()
            .to_string();
        assert!(e.contains("did you mean `mean_hu`"), "{e}");
        assert_eq!(ClinicalMeasure::AreaCm2.unit(), "cm²");
        assert_eq!(ClinicalMeasure::AreaCm2.unit_for_ndim(3), "cm³");
        assert_eq!(ClinicalMeasure::MeanHu.unit_for_ndim(3), "HU");
    }

    #[test]
    fn hand_worked_area_and_mean() {
        // 3x4 slice, spacing dy = 0.8, dx = 0.75 mm (0.6 mm² per pixel).
        // Class 1 at 5 pixels: 3 mm² = 0.03 cm². Values there:
        // 40, -10, 60, 200, -100 -> mean 38; in [-29, 150]: 40, -10, 60 -> 30.
        let g = Grid::new_2d(3, 4, [0.8, 0.75]).unwrap();
        let labels = LabelMap::new(g.clone(), vec![1, 1, 0, 2, 1, 0, 0, 2, 1, 1, 0, 0]).unwrap();
        let image = Image::new(
            g,
            vec![
                40.0, -10.0, 999.0, 5.0, 60.0, 999.0, 999.0, 7.0, 200.0, -100.0, 999.0, 999.0,
            ],
        )
        .unwrap();
        assert!((area_cm2(&labels, 1) - 0.03).abs() < 1e-15);
        assert!((area_cm2(&labels, 2) - 0.012).abs() < 1e-15);
        assert_eq!(area_cm2(&labels, 3), 0.0);
        assert_eq!(mean_intensity(&image, &labels, 1).unwrap(), 38.0);
        assert_eq!(mean_intensity(&image, &labels, 2).unwrap(), 6.0);
        assert!(mean_intensity(&image, &labels, 3).unwrap().is_nan());
        let (lo, hi) = MUSCLE_HU_RANGE;
        assert_eq!(
            mean_intensity_in_range(&image, &labels, 1, lo, hi).unwrap(),
            30.0
        );
        assert!(
            mean_intensity_in_range(&image, &labels, 1, 300.0, 400.0)
                .unwrap()
                .is_nan()
        );
        assert!(mean_intensity_in_range(&image, &labels, 1, 1.0, 0.0).is_err());
        assert!(mean_intensity_in_range(&image, &labels, 1, f64::NAN, 0.0).is_err());
        assert_eq!(
            ClinicalMeasure::MeanHu.compute(&image, &labels, 1).unwrap(),
            38.0
        );
    }

    #[test]
    fn volume_on_3d_grids_and_shape_errors() {
        // 2 slices of 2x2, spacing (2.5, 1, 2) mm: 5 mm³ per voxel.
        let g = Grid::new_3d([2, 2, 2], [2.5, 1.0, 2.0]).unwrap();
        let labels = LabelMap::new(g, vec![1, 1, 0, 0, 1, 0, 1, 1]).unwrap();
        assert!((area_cm2(&labels, 1) - 0.025).abs() < 1e-15);
        // Slicing gives the area of one slice: 2 px × 2 mm² = 0.04 cm².
        assert!((area_cm2(&labels.slice_z(0).unwrap(), 1) - 0.04).abs() < 1e-15);
        let img = Image::filled(Grid::new_2d(2, 3, [1.0, 1.0]).unwrap(), 0.0);
        let lab = LabelMap::filled(Grid::new_2d(3, 2, [1.0, 1.0]).unwrap(), 1);
        let e = mean_intensity(&img, &lab, 1).unwrap_err().to_string();
        assert!(e.contains("2x3") && e.contains("3x2"), "{e}");
        let img3 = Image::filled(Grid::new_3d([1, 3, 2], [1.0; 3]).unwrap(), 0.0);
        assert!(mean_intensity(&img3, &lab, 1).is_err());
    }
}
