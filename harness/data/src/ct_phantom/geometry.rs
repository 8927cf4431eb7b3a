//! The geometry of one CT phantom slice: the subject's shapes placed at a
//! body-axis position, and the tissue at any point of the slice.

use crate::phantom_primitives::Ellipse;

use super::subject::Subject;
use super::tissue::Tissue;

/// The geometry of one slice, precomputed from the subject and `z_mm`.
pub(super) struct SliceGeom<'a> {
    s: &'a Subject,
    a_c: f64,
    b_ant: f64,
    b_post: f64,
    s_start: f64,
    vb: Ellipse,
    vb_in: Ellipse,
    canal: Ellipse,
    arch: Ellipse,
    spinous: Ellipse,
    tps: Option<[Ellipse; 2]>,
    psoas: [Ellipse; 2],
    ql: [Ellipse; 2],
    erector: [Ellipse; 2],
    /// Bounding box of the posterior structures: x half-width, y range.
    post_box: (f64, f64, f64),
    aorta: Ellipse,
    ivc: Ellipse,
    kidneys: Vec<Ellipse>,
    liver: Option<Ellipse>,
    loops: Vec<(Ellipse, Ellipse, Tissue)>,
    vessels: Vec<Ellipse>,
}

fn smoothstep(x: f64) -> f64 {
    let x = x.clamp(0.0, 1.0);
    x * x * (3.0 - 2.0 * x)
}

impl<'a> SliceGeom<'a> {
    pub(super) fn new(s: &'a Subject, z: f64) -> Self {
        let widen = 1.0 + 0.002 * z;
        let a_c = s.a_c * widen;
        let b_ant = s.b_ant * widen;
        let b_post = s.b_post;
        let s_start = -(1.0 - (s.c_rect + s.semilunar).powi(2)).max(0.0).sqrt();
        let (x0, vy) = (s.x0, s.vy);
        // Vertebral body: waisted at mid-height.
        let waist = 1.0 + 0.004 * z.abs();
        let (a_vb, b_vb) = (s.a_vb * waist, s.b_vb);
        let vb = Ellipse::new(x0, vy, a_vb, b_vb, 0.0);
        let vb_in = Ellipse::new(x0, vy, a_vb - s.cort, b_vb - s.cort, 0.0);
        let canal_cy = vy + b_vb + 1.0 + s.canal.1;
        let canal = Ellipse::new(x0, canal_cy, s.canal.0, s.canal.1, 0.0);
        let arch = Ellipse::new(x0, canal_cy, s.canal.0 + s.arch, s.canal.1 + s.arch, 0.0);
        let sp_top = canal_cy + s.canal.1 + s.arch - 4.0;
        let spinous = Ellipse::new(
            x0,
            sp_top + s.sp_len / 2.0 - 0.15 * z,
            3.5,
            s.sp_len / 2.0,
            0.0,
        );
        let tps = if z.abs() < s.tp_h {
            let th = 3.5 * (1.0 - (z / s.tp_h).powi(2)).sqrt();
            let th = th.max(0.8);
            Some([-1.0, 1.0].map(|side: f64| {
                let cx = x0 + side * (a_vb * 0.45 + s.tp_len / 2.0);
                Ellipse::new(cx, canal_cy - 2.0, s.tp_len / 2.0, th, -side * s.tp_ang)
            }))
        } else {
            None
        };
        let g = (1.0 - 0.012 * z).max(0.5);
        let (pa, pb, pang, pdy) = s.psoas;
        let psoas = [-1.0, 1.0].map(|side: f64| {
            Ellipse::new(
                x0 + side * (a_vb + pa * g * 0.7),
                vy + pdy,
                pa * g,
                pb * g,
                -side * pang,
            )
        });
        let (qa, qb, qang, qdx, qdy) = s.ql;
        let ql = [-1.0, 1.0].map(|side: f64| {
            Ellipse::new(
                x0 + side * (a_vb + 2.0 * pa * g + qa * 0.8 + qdx),
                vy + qdy,
                qa,
                qb,
                side * qang,
            )
        });
        let (eoff, edy, ea, eb, eang) = s.erector;
        let erector = [-1.0, 1.0]
            .map(|side: f64| Ellipse::new(x0 + side * eoff, canal_cy + edy, ea, eb, side * eang));
        let half_w = (a_vb + 2.0 * pa * g + 2.0 * qa + qdx + qb)
            .max(eoff + ea + eb)
            .max(a_vb * 0.45 + s.tp_len + 4.0)
            + 2.0;
        let post_box = (
            half_w,
            vy - b_vb - pb * g - 4.0,
            canal_cy + edy + ea.max(eb) + s.sp_len + 2.0,
        );
        let aorta = Ellipse::new(
            x0 + s.aorta.0,
            vy + s.aorta.1 - s.aorta.2,
            s.aorta.2,
            s.aorta.2,
            0.0,
        );
        let ivc = Ellipse::new(x0 + s.ivc.0, vy + s.ivc.1, s.ivc.2, s.ivc.3, 0.3);
        let kidneys = s
            .kidneys
            .iter()
            .filter_map(|&(dx, dy, a, b, ang, z_end)| {
                let k = ((z - z_end) / 20.0).clamp(0.0, 1.0).sqrt();
                (k > 0.15).then(|| Ellipse::new(x0 + dx, vy + dy, a * k, b * k, ang))
            })
            .collect();
        let liver = s.liver.and_then(|(dx, dy, a, b, ang, z_start)| {
            let k = ((z - z_start) / 25.0).clamp(0.0, 1.0).sqrt();
            (k > 0.15).then(|| Ellipse::new(x0 + dx, s.yc + dy, a * k, b * k, ang))
        });
        let loops = s
            .loops
            .iter()
            .map(|l| {
                let (cx, cy) = (l.x + l.vx * z, l.y + l.vy * z);
                (
                    Ellipse::new(cx, cy, l.r, l.r * 0.9, 0.0),
                    Ellipse::new(cx, cy, l.r - l.wall, l.r * 0.9 - l.wall, 0.0),
                    l.content,
                )
            })
            .collect();
        let vessels = s
            .vessels
            .iter()
            .map(|&(x, y, r)| Ellipse::new(x, y, r, r, 0.0))
            .collect();
        SliceGeom {
            s,
            a_c,
            b_ant,
            b_post,
            s_start,
            vb,
            vb_in,
            canal,
            arch,
            spinous,
            tps,
            psoas,
            ql,
            erector,
            post_box,
            aorta,
            ivc,
            kidneys,
            liver,
            loops,
            vessels,
        }
    }

    /// The muscle-ring tissue at depth `depth` mm outside the cavity in the
    /// direction `(c, s)`, and the ring thickness there.
    fn ring(&self, c: f64, s: f64, depth: f64) -> (f64, Tissue) {
        let p = self.s;
        let ac = c.abs();
        if s < 0.0 && ac < p.c_rect {
            if ac <= p.gap {
                return (0.0, Tissue::SubcutFat);
            }
            let x = (ac - p.gap) / (p.c_rect - p.gap);
            let t = p.t_rect * (1.0 - (2.0 * x - 1.0).powi(2)).max(0.0).sqrt();
            return (t, Tissue::Rectus);
        }
        if s > self.s_start && s < p.s_end {
            let x = (s - self.s_start) / (p.s_end - self.s_start);
            let taper = smoothstep(x / 0.12) * smoothstep((1.0 - x) / 0.3);
            let t = p.t_obl * taper;
            // The transversus runs in the middle of the arc, inside the obliques.
            let tr = p.t_tr * smoothstep((x - 0.05) / 0.1) * smoothstep((0.8 - x) / 0.1);
            let tissue = if tr > 1.0 && t > tr + p.plane + 3.0 {
                if depth < tr {
                    Tissue::Transversus
                } else if depth < tr + p.plane {
                    Tissue::VisceralFat
                } else {
                    Tissue::Oblique
                }
            } else {
                Tissue::Oblique
            };
            return (t, tissue);
        }
        (0.0, Tissue::SubcutFat)
    }

    /// The tissue at a point (mm, image frame).
    pub(super) fn tissue(&self, x: f64, y: f64) -> Tissue {
        let p = self.s;
        let dx = x - p.x0;
        let dy = y - p.yc;
        let b = if dy < 0.0 { self.b_ant } else { self.b_post };
        let u = dx / self.a_c;
        let v = dy / b;
        let rho = (u * u + v * v).sqrt();
        let (c, s) = if rho > 1e-9 {
            (u / rho, v / rho)
        } else {
            (1.0, 0.0)
        };
        // cos/sin of 2θ, 3θ, 4θ by recurrence.
        let (c2, s2) = (c * c - s * s, 2.0 * c * s);
        let (c3, s3) = (c * c2 - s * s2, s * c2 + c * s2);
        let (c4, s4) = (c2 * c2 - s2 * s2, 2.0 * c2 * s2);
        let h = p.cav_harm;
        let r_mod =
            1.0 + h[0].0 * c2 - h[0].1 * s2 + h[1].0 * c3 - h[1].1 * s3 + h[2].0 * c4 - h[2].1 * s4;
        let rn = rho / r_mod;
        let mut ring = None;
        if rn >= 1.0 {
            let r_phys = (self.a_c * self.a_c * c * c + b * b * s * s).sqrt() * r_mod;
            let depth = (rn - 1.0) * r_phys;
            let (t, tissue) = self.ring(c, s, depth);
            let fh = p.fat_harm;
            let f = (p.f0
                * (1.0 + p.f_ant * (-s).max(0.0) + p.f_lat * c * c - p.f_post * s.max(0.0))
                * (1.0 + fh[0].0 * c2 - fh[0].1 * s2 + fh[1].0 * c3 - fh[1].1 * s3))
                .max(4.0);
            // The outline follows a smooth envelope of the ring, not its bumps.
            let env =
                (p.t_rect + (p.t_obl - p.t_rect) * c * c) * smoothstep((p.s_end + 0.25 - s) / 0.45);
            let outer = (env + f).max(t + 4.0);
            if depth >= outer + p.skin {
                return Tissue::Air;
            }
            ring = Some(if depth < t {
                tissue
            } else if depth < outer {
                Tissue::SubcutFat
            } else {
                Tissue::Skin
            });
        }
        let (hw, y_lo, y_hi) = self.post_box;
        if dx.abs() < hw && y > y_lo && y < y_hi {
            if self.vb.contains(x, y) {
                return if self.vb_in.contains(x, y) {
                    Tissue::Cancellous
                } else {
                    Tissue::Cortical
                };
            }
            if self.canal.contains(x, y) {
                return Tissue::Canal;
            }
            if self.arch.contains(x, y) || self.spinous.contains(x, y) {
                return Tissue::Cortical;
            }
            if self
                .tps
                .as_ref()
                .is_some_and(|tps| tps.iter().any(|e| e.contains(x, y)))
            {
                return Tissue::Cortical;
            }
            if self.psoas.iter().any(|e| e.contains(x, y)) {
                return Tissue::Psoas;
            }
            if self.ql.iter().any(|e| e.contains(x, y)) {
                return Tissue::QuadLumb;
            }
            if dx.abs() > 0.75 && self.erector.iter().any(|e| e.contains(x, y)) {
                return Tissue::Erector;
            }
        }
        if let Some(t) = ring {
            return t;
        }
        if self.aorta.contains(x, y) {
            return Tissue::Aorta;
        }
        if self.ivc.contains(x, y) {
            return Tissue::Ivc;
        }
        if self.kidneys.iter().any(|e| e.contains(x, y)) {
            return Tissue::Kidney;
        }
        if self.liver.as_ref().is_some_and(|l| l.contains(x, y)) {
            return Tissue::Liver;
        }
        for (outer, inner, content) in &self.loops {
            if outer.contains(x, y) {
                return if inner.contains(x, y) {
                    *content
                } else {
                    Tissue::BowelWall
                };
            }
        }
        if self.vessels.iter().any(|e| e.contains(x, y)) {
            return Tissue::Vessel;
        }
        Tissue::VisceralFat
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use sensibench_core::{SeededRng, derive_seed};

    use super::*;

    #[test]
    fn anatomy_at_known_points_and_hu_tables() {
        for seed in 0..20u64 {
            let mut rng = SeededRng::new(derive_seed(seed, &["phantom-ct", "s00"]));
            let s = Subject::draw(&mut rng);
            for z in [-15.0, 0.0, 15.0] {
                let g = SliceGeom::new(&s, z);
                assert_eq!(g.tissue(1.0, 1.0), Tissue::Air);
                assert_eq!(g.tissue(s.x0, s.vy), Tissue::Cancellous, "seed {seed}");
                let canal_y = s.vy + s.b_vb + 1.0 + s.canal.1;
                assert_eq!(g.tissue(s.x0, canal_y), Tissue::Canal);
                // Psoas beside the vertebral body, erector spinae behind the canal.
                let (pa, _, _, pdy) = s.psoas;
                let g_ps = 1.0 - 0.012 * z;
                for side in [-1.0, 1.0] {
                    let px = s.x0 + side * (s.a_vb * (1.0 + 0.004 * f64::abs(z)) + pa * g_ps * 0.7);
                    assert_eq!(g.tissue(px, s.vy + pdy), Tissue::Psoas, "seed {seed} z {z}");
                    let ex = s.x0 + side * s.erector.0;
                    assert_eq!(g.tissue(ex, canal_y + s.erector.1), Tissue::Erector);
                }
                // Anterior midline: skin, then subcutaneous fat, then linea alba (no muscle).
                let top = (0..4000)
                    .map(|k| k as f64 * 0.1)
                    .find(|&y| g.tissue(s.x0, y) != Tissue::Air)
                    .unwrap();
                assert_eq!(g.tissue(s.x0, top + 0.5), Tissue::Skin);
                assert_eq!(g.tissue(s.x0, top + s.skin + 1.0), Tissue::SubcutFat);
            }
            let hu = |t: Tissue| s.hu[t as usize];
            assert_eq!(hu(Tissue::Air), -1000.0);
            assert!((-115.0..-92.0).contains(&hu(Tissue::SubcutFat)));
            assert!((-108.0..-85.0).contains(&hu(Tissue::VisceralFat)));
            assert!((550.0..850.0).contains(&hu(Tissue::Cortical)));
            assert!((120.0..260.0).contains(&hu(Tissue::Cancellous)));
            for t in [
                Tissue::Rectus,
                Tissue::Oblique,
                Tissue::Psoas,
                Tissue::QuadLumb,
            ] {
                assert!((7.0..58.0).contains(&hu(t)), "{t:?} {}", hu(t));
            }
            for t in [
                Tissue::Kidney,
                Tissue::Aorta,
                Tissue::Ivc,
                Tissue::BowelWall,
            ] {
                assert!((28.0..50.0).contains(&hu(t)), "{t:?}");
            }
            assert!((48.0..62.0).contains(&hu(Tissue::Liver)));
            assert!((15.0..25.0).contains(&s.noise_sigma));
        }
    }
}
