//! The CT phantom itself: its samples, their positions along the body axis,
//! and the rendering of a slice in Hounsfield units with its muscle mask.

use sensibench_core::{Grid, Image, LabelMap, Result, SeededRng, derive_seed};

use crate::phantom_primitives::{
    SmoothField, check_counts, check_sample_index, impl_phantom_dataset,
};

use super::geometry::SliceGeom;
use super::subject::{CT_FOV_MM, Subject};
use super::tissue::Tissue;

/// Half of the range of slice positions around mid-L3, in mm.
pub const CT_Z_HALF_MM: f64 = 15.0;

/// Sub-samples per pixel along each axis (partial volume at edges).
const SUPERSAMPLE: usize = 3;

/// The deterministic synthetic abdominal CT phantom at L3 (see the module docs).
///
/// Sample `i` is subject `i / slices_per_subject`, slice `i %
/// slices_per_subject`, with id `ct-sSS-zZZ` (e.g. `ct-s03-z02`). Images are
/// in Hounsfield units; every sample has a mask (0 background, 1 skeletal
/// muscle).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CtPhantom {
    /// Seed of the whole phantom (e.g. the suite seed).
    pub seed: u64,
    /// Number of subjects (each with its own anatomy).
    pub subjects: usize,
    /// Number of slices per subject, spread evenly over ±15 mm around mid-L3.
    pub slices_per_subject: usize,
    /// Width and height of each slice in pixels (`MIN_SIZE..=MAX_SIZE`).
    pub size: usize,
}

/// Per-slice state shared by [`CtPhantom::render`] and
/// [`CtPhantom::render_observers`].
pub(super) struct SliceCtx {
    pub(super) subject: Subject,
    pub(super) z_mm: f64,
    pub(super) s_tag: String,
    pub(super) z_tag: String,
}

impl CtPhantom {
    /// A phantom; fails if a count is zero or `size` is outside `MIN_SIZE..=MAX_SIZE`.
    pub fn new(seed: u64, subjects: usize, slices_per_subject: usize, size: usize) -> Result<Self> {
        let p = CtPhantom {
            seed,
            subjects,
            slices_per_subject,
            size,
        };
        p.validate()?;
        Ok(p)
    }

    fn validate(&self) -> Result<()> {
        check_counts(self.subjects, self.slices_per_subject, self.size)
    }

    /// Number of samples (`subjects * slices_per_subject`).
    pub fn len(&self) -> usize {
        self.subjects * self.slices_per_subject
    }

    /// True when the phantom has no samples (never, for a validated phantom).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Pixel spacing in mm (`CT_FOV_MM / size`, the same in y and x).
    pub fn spacing(&self) -> f64 {
        CT_FOV_MM / self.size as f64
    }

    /// Position of sample `i` along the body axis in mm from mid-L3 (positive
    /// = cranial): `15 - 30 z / (slices_per_subject - 1)` for slice `z` of its
    /// subject, 0 when there is a single slice per subject.
    pub fn slice_z_mm(&self, i: usize) -> f64 {
        let m = self.slices_per_subject.max(1);
        let z = i % m;
        if m == 1 {
            0.0
        } else {
            CT_Z_HALF_MM - 2.0 * CT_Z_HALF_MM * z as f64 / (m - 1) as f64
        }
    }

    /// The subject of sample `i` and the slice's position and seed tags.
    pub(super) fn context(&self, i: usize) -> Result<SliceCtx> {
        self.validate()?;
        check_sample_index(i, self.len())?;
        let m = self.slices_per_subject;
        let s_tag = format!("s{:02}", i / m);
        let z_tag = format!("z{:02}", i % m);
        let mut srng = SeededRng::new(derive_seed(self.seed, &["phantom-ct", &s_tag]));
        Ok(SliceCtx {
            subject: Subject::draw(&mut srng),
            z_mm: self.slice_z_mm(i),
            s_tag,
            z_tag,
        })
    }

    /// The tissue at every pixel centre, row-major.
    pub(super) fn centre_tissues(&self, geom: &SliceGeom) -> Vec<Tissue> {
        let n = self.size;
        let sp = self.spacing();
        let mut out = Vec::with_capacity(n * n);
        for py in 0..n {
            let y = (py as f64 + 0.5) * sp;
            for px in 0..n {
                out.push(geom.tissue((px as f64 + 0.5) * sp, y));
            }
        }
        out
    }

    /// Renders sample `i` as `(image in HU, muscle mask)`.
    pub fn render(&self, i: usize) -> Result<(Image, LabelMap)> {
        let ctx = self.context(i)?;
        let subject = &ctx.subject;
        let geom = SliceGeom::new(subject, ctx.z_mm);
        let mut rng = SeededRng::new(derive_seed(
            self.seed,
            &["phantom-ct", &ctx.s_tag, &ctx.z_tag],
        ));
        let coarse = SmoothField::new(&mut rng, 8);
        let fine = SmoothField::new(&mut rng, 48);

        let n = self.size;
        let sp = self.spacing();
        let ss = SUPERSAMPLE;
        let sub = sp / ss as f64;
        let inv_ss2 = 1.0 / (ss * ss) as f64;
        let centre = self.centre_tissues(&geom);
        let value = |t: Tissue, tc: f64, tf: f64| -> f64 {
            let k = t as usize;
            if t == Tissue::BowelStool {
                if tf > 1.0 {
                    subject.hu[Tissue::BowelGas as usize]
                } else {
                    subject.hu[k] + subject.tex_fine[k] * tf
                }
            } else {
                subject.hu[k] + subject.tex_coarse[k] * tc + subject.tex_fine[k] * tf
            }
        };
        let mut clean = vec![0f64; n * n];
        let mut lab = vec![0u8; n * n];
        for py in 0..n {
            let fy = (py as f64 + 0.5) / n as f64;
            for px in 0..n {
                let idx = py * n + px;
                let fx = (px as f64 + 0.5) / n as f64;
                let tc = coarse.at(fy, fx);
                let tf = fine.at(fy, fx);
                let t = centre[idx];
                lab[idx] = u8::from(t.is_muscle());
                let uniform = (py == 0 || centre[idx - n] == t)
                    && (py + 1 == n || centre[idx + n] == t)
                    && (px == 0 || centre[idx - 1] == t)
                    && (px + 1 == n || centre[idx + 1] == t);
                clean[idx] = if uniform {
                    value(t, tc, tf)
                } else {
                    let (x0, y0) = (px as f64 * sp, py as f64 * sp);
                    let mut acc = 0.0;
                    for sy in 0..ss {
                        let y = y0 + (sy as f64 + 0.5) * sub;
                        for sx in 0..ss {
                            let tt = if sy == ss / 2 && sx == ss / 2 {
                                t
                            } else {
                                geom.tissue(x0 + (sx as f64 + 0.5) * sub, y)
                            };
                            acc += value(tt, tc, tf);
                        }
                    }
                    acc * inv_ss2
                };
            }
        }
        // Mild separable blur [w, 1 - 2w, w] (edges replicated), then noise.
        const W: f64 = 0.15;
        let mut tmp = vec![0f64; n * n];
        for py in 0..n {
            let row = &clean[py * n..(py + 1) * n];
            for px in 0..n {
                let l = row[px.saturating_sub(1)];
                let r = row[(px + 1).min(n - 1)];
                tmp[py * n + px] = W * (l + r) + (1.0 - 2.0 * W) * row[px];
            }
        }
        let sigma = subject.noise_sigma;
        let mut img = vec![0f32; n * n];
        for py in 0..n {
            let up = py.saturating_sub(1) * n;
            let dn = (py + 1).min(n - 1) * n;
            for px in 0..n {
                let v = W * (tmp[up + px] + tmp[dn + px]) + (1.0 - 2.0 * W) * tmp[py * n + px];
                let noisy = v + sigma * rng.normal();
                img[py * n + px] = noisy.clamp(-1024.0, 3071.0) as f32;
            }
        }
        let grid = Grid::new_2d(n, n, [sp, sp])?;
        Ok((Image::new(grid.clone(), img)?, LabelMap::new(grid, lab)?))
    }
}

impl_phantom_dataset!(CtPhantom, "ct");
