//! Simulated human observers of a CT phantom slice: the reference muscle
//! boundary pushed out or in by a smooth random displacement, and at times a
//! thin muscle part left out.

use sensibench_core::{Grid, LabelMap, Result, SeededRng, derive_seed};

use crate::phantom_primitives::SmoothField;

use super::distance::squared_edt;
use super::geometry::SliceGeom;
use super::slices::CtPhantom;
use super::tissue::Tissue;

/// Range of the per-observer boundary displacement amplitude `A_o`, in mm.
pub const OBSERVER_AMP_MM: (f64, f64) = (1.0, 2.0);
/// Bound of the per-observer boundary bias `b_o` (uniform in `±` this), in mm.
pub const OBSERVER_BIAS_MM: f64 = 0.6;
/// Probability that an observer omits one thin muscle part of a slice.
pub const OBSERVER_OMIT_P: f64 = 0.3;

impl CtPhantom {
    /// `k` simulated human observers' muscle masks (0/1) of sample `i`, by
    /// the noise model of the [module docs](crate::ct_phantom#simulated-observers).
    /// Observer `o` is the same whatever `k` (observer streams are seeded by
    /// their index), and `k = 0` gives an empty list.
    pub fn render_observers(&self, i: usize, k: usize) -> Result<Vec<LabelMap>> {
        let ctx = self.context(i)?;
        let geom = SliceGeom::new(&ctx.subject, ctx.z_mm);
        let n = self.size;
        let sp = self.spacing();
        let centre = self.centre_tissues(&geom);
        let inside: Vec<bool> = centre.iter().map(|t| t.is_muscle()).collect();
        let outside: Vec<bool> = inside.iter().map(|&b| !b).collect();
        let d_in = squared_edt(&inside, n, n);
        let d_out = squared_edt(&outside, n, n);
        // Signed distance in pixels (pixel centres), +-0.5 next to the boundary.
        let sdf: Vec<f64> = (0..n * n)
            .map(|p| {
                if inside[p] {
                    0.5 - d_out[p].sqrt()
                } else {
                    d_in[p].sqrt() - 0.5
                }
            })
            .collect();
        let x0 = ctx.subject.x0;
        let mid_col = x0 / sp - 0.5;
        let parts: [(Tissue, bool); 4] = [
            (Tissue::QuadLumb, false),
            (Tissue::QuadLumb, true),
            (Tissue::Transversus, false),
            (Tissue::Transversus, true),
        ];
        let grid = Grid::new_2d(n, n, [sp, sp])?;
        let mut out = Vec::with_capacity(k);
        for o in 0..k {
            let o_tag = format!("o{o:02}");
            let mut rng = SeededRng::new(derive_seed(
                self.seed,
                &["phantom-ct", &ctx.s_tag, &ctx.z_tag, "observer", &o_tag],
            ));
            let amp = rng.range(OBSERVER_AMP_MM.0, OBSERVER_AMP_MM.1) / sp;
            let bias = rng.range(-OBSERVER_BIAS_MM, OBSERVER_BIAS_MM) / sp;
            let field = SmoothField::new(&mut rng, 12);
            let omit = if rng.uniform() < OBSERVER_OMIT_P {
                Some(parts[rng.below(4) as usize])
            } else {
                None
            };
            let mut mask = vec![0u8; n * n];
            for py in 0..n {
                let fy = (py as f64 + 0.5) / n as f64;
                for px in 0..n {
                    let idx = py * n + px;
                    let fx = (px as f64 + 0.5) / n as f64;
                    let d = bias + amp * field.at(fy, fx);
                    let omitted = omit.is_some_and(|(t, right)| {
                        centre[idx] == t && ((px as f64 > mid_col) == right)
                    });
                    mask[idx] = u8::from(sdf[idx] < d && !omitted);
                }
            }
            out.push(LabelMap::new(grid.clone(), mask)?);
        }
        Ok(out)
    }
}
