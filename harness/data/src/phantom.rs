//! A deterministic synthetic cardiac short-axis MR phantom.
//!
//! [`CardiacPhantom`] is the embedded default data of sensibench: a stack of
//! 2D short-axis slices per synthetic subject, with an exact reference label
//! map (0 background, 1 LV cavity, 2 myocardium, 3 RV cavity).
//!
//! # What a slice contains
//! Coordinates are in millimetres in image space (`x` to the right, `y` down).
//! The field of view is always [`FOV_MM`] = 192 mm square, so the spacing is
//! `192 / size` mm in both directions (1.5 mm at `size` 128).
//!
//! * **Body**: an ellipse of soft tissue (muscle-like grey) with a bright
//!   subcutaneous fat rim; air (0) outside it.
//! * **Lungs**: two dark ellipses, left and right of the heart.
//! * **Liver**: a mid-grey ellipse below the heart that grows towards the apex
//!   (apical slices lie nearer to the diaphragm).
//! * **Descending aorta** (bright disc) and **vertebral body** (grey disc)
//!   posterior to the heart.
//! * **LV**: a bright blood pool (label 1) with two dark papillary muscles
//!   (labelled 1, as in ACDC), a trabeculated endocardial border, inside a dark
//!   myocardial ring (label 2), slightly elliptical and rotated.
//! * **RV**: a bright crescent (label 3) wrapping the LV on the side of the
//!   subject's RV direction: the inside of an ellipse minus the LV epicardium;
//!   its thin free wall is dark and labelled 0 (the RV myocardium is not a
//!   class, as in ACDC/M&Ms).
//! * **Epicardial fat**: a bright band of varying thickness around the heart (label 0).
//!
//! # Base to apex
//! [`CardiacPhantom::slice_position`] gives `t` in `[0, 1]` (0 = base, 1 =
//! apex). The LV cavity radius is `r_endo(t) = r_endo0 * (1 - 0.5 t^1.5)`,
//! the wall thickens slightly (`w(t) = w0 * (1 + 0.15 t)`), the RV
//! protrusion beyond the LV epicardium is `p(t) = p0 * (1 - t / t_v)` and the
//! RV is absent once `p(t) < 0.5` mm, i.e. just before `t_v` (`t_v` in
//! `[0.78, 0.92]` per subject).
//!
//! # Image formation
//! Each pixel is the mean of a 3x3 grid of sub-samples (anti-aliased edges),
//! each sub-sample taking its tissue's mean intensity. The label of a pixel is
//! the tissue class at the pixel centre (exact, not anti-aliased). The mean
//! image is multiplied by `(1 + a_c * T_c + a_f * T_f)` where `T_c`, `T_f` are
//! smooth random fields (coarse and fine; amplitudes per tissue), by a gain and
//! by a smooth bias field `exp(g1 x + g2 y + g3 x y + g4 (x² + y²))` (`x, y`
//! in `[-1, 1]`, `|g| <= 0.12`); finally Rician noise is added:
//! `|I + sigma (n1 + i n2)|`, `n1, n2 ~ N(0, 1)`, `sigma` = 1.5–3.5 % of the
//! blood intensity. Intensities are MR-like, roughly in `0..1000`.
//!
//! # Determinism
//! Subject parameters come from `SeededRng::new(derive_seed(seed,
//! &["phantom-cardiac", "sNN"]))` and per-slice randomness (texture, noise)
//! from `derive_seed(seed, &["phantom-cardiac", "sNN", "zNN"])`, so each slice
//! is reproducible alone and bit-for-bit on every platform that has IEEE f64
//! `sqrt`, `exp`, `ln`, `sin`, `cos`, `atan2` (the libm functions used).

use sensibench_core::{Error, Grid, Image, LabelMap, Result, SeededRng, derive_seed};

use crate::phantom_primitives::{
    Ellipse, SmoothField, check_counts, check_sample_index, impl_phantom_dataset,
};
pub use crate::phantom_primitives::{MAX_SIZE, MIN_SIZE};

/// The physical field of view of every phantom slice, in mm.
pub const FOV_MM: f64 = 192.0;

/// Sub-samples per pixel along each axis (anti-aliasing).
const SUPERSAMPLE: usize = 3;

/// The positions a stack may span: from above the base (the ring fully
/// open) to beyond the apex (the cap gone).
pub const POSITIONS: (f64, f64) = (-0.25, 1.35);

/// The deterministic synthetic cardiac short-axis phantom (see the module docs).
///
/// Sample `i` is subject `i / slices_per_subject`, slice `i %
/// slices_per_subject`, with id `phantom-sSS-zZZ` (two digits at least, e.g.
/// `phantom-s03-z02`). Every sample has a mask.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardiacPhantom {
    /// Seed of the whole phantom (e.g. the suite seed).
    pub seed: u64,
    /// Number of subjects (each with its own anatomy).
    pub subjects: usize,
    /// Number of slices per subject, spread evenly from base to apex.
    pub slices_per_subject: usize,
    /// Width and height of each slice in pixels (`MIN_SIZE..=MAX_SIZE`).
    pub size: usize,
}

/// Tissue classes used while rendering; the order is the index into the
/// per-subject intensity tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
enum Tissue {
    Air = 0,
    Muscle,
    SubcutFat,
    Lung,
    Liver,
    Aorta,
    Spine,
    EpiFat,
    RvWall,
    RvBlood,
    Myo,
    LvBlood,
    Papillary,
    Bone,
    Vessel,
}
const N_TISSUES: usize = 15;

impl Tissue {
    fn label(self) -> u8 {
        match self {
            Tissue::LvBlood | Tissue::Papillary => 1,
            Tissue::Myo => 2,
            Tissue::RvBlood => 3,
            _ => 0,
        }
    }
}

/// Everything random about one subject.
#[derive(Clone, Debug)]
struct Subject {
    /// LV centre at the base, mm.
    lv_c: [f64; 2],
    /// Drift of the LV centre from base to apex, mm.
    drift: [f64; 2],
    r_endo0: f64,
    wall0: f64,
    /// LV ellipticity (ratio of axes) and its angle.
    lv_ratio: f64,
    lv_angle: f64,
    /// Direction from LV centre to RV (radians, image frame).
    rv_dir: f64,
    /// RV protrusion beyond the LV epicardium at the base, mm.
    rv_p0: f64,
    /// RV width factor (perpendicular semi-axis / LV epicardial radius).
    rv_kb: f64,
    rv_wall: f64,
    /// Slice position at which the RV disappears.
    rv_tv: f64,
    /// Trabeculation harmonics: (amplitude, frequency, phase).
    trab: [(f64, f64, f64); 3],
    /// Epicardial fat thickness harmonics: mean, (amp, phase) for k=1, 2.
    fat0: f64,
    fat1: (f64, f64),
    fat2: (f64, f64),
    /// Papillary muscles: angle offsets from the side opposite the RV, radius.
    pap_angles: [f64; 2],
    pap_r: f64,
    /// Body ellipse (centre offset from LV centre, semi-axes, angle), fat rim fraction.
    body: (f64, f64, f64, f64, f64),
    body_fat: f64,
    /// Lungs: (offset along/perp to the rv direction, semi-axes, angle).
    lungs: [(f64, f64, f64, f64, f64); 2],
    liver: (f64, f64, f64, f64, f64),
    aorta: (f64, f64, f64),
    spine: (f64, f64, f64),
    /// Mean intensity per tissue.
    intensity: [f64; N_TISSUES],
    /// Coarse and fine texture amplitudes per tissue (relative).
    tex_coarse: [f64; N_TISSUES],
    tex_fine: [f64; N_TISSUES],
    gain: f64,
    bias: [f64; 4],
    noise_frac: f64,
    /// Lung vessels: (lung, u, v in the lung's unit disc, radius mm).
    vessels: Vec<(usize, f64, f64, f64)>,
}

impl Subject {
    fn draw(rng: &mut SeededRng) -> Self {
        let c = FOV_MM / 2.0;
        let lv_c = [c + rng.range(-12.0, 14.0), c + rng.range(-12.0, 10.0)];
        let drift = [rng.range(-6.0, 6.0), rng.range(-4.0, 8.0)];
        let r_endo0 = rng.range(18.0, 25.0);
        let wall0 = rng.range(7.5, 11.0);
        let lv_ratio = rng.range(0.88, 1.12);
        let lv_angle = rng.range(0.0, std::f64::consts::PI);
        // RV on the left of the image, mostly a little anterior (up).
        let rv_dir = std::f64::consts::PI + rng.range(-0.15, 0.6);
        let rv_p0 = rng.range(16.0, 26.0);
        let rv_kb = rng.range(1.15, 1.45);
        let rv_wall = rng.range(2.0, 3.0);
        let rv_tv = rng.range(0.78, 0.92);
        let mut trab = [(0.0, 0.0, 0.0); 3];
        for (k, t) in trab.iter_mut().enumerate() {
            let freq = [3.0, 5.0, 8.0][k];
            *t = (
                rng.range(0.01, 0.045) / (1.0 + k as f64 * 0.5),
                freq,
                rng.range(0.0, std::f64::consts::TAU),
            );
        }
        let fat0 = rng.range(0.3, 2.0);
        let fat1 = (rng.range(0.5, 2.5), rng.range(0.0, std::f64::consts::TAU));
        let fat2 = (rng.range(0.5, 2.0), rng.range(0.0, std::f64::consts::TAU));
        let pap_angles = [rng.range(0.45, 0.85), -rng.range(0.45, 0.85)];
        let pap_r = rng.range(2.8, 4.2);
        let body = (
            rng.range(-15.0, 5.0),
            rng.range(5.0, 22.0),
            rng.range(135.0, 165.0),
            rng.range(98.0, 118.0),
            rng.range(-0.12, 0.12),
        );
        let body_fat = rng.range(0.07, 0.13);
        let lungs = [
            // (along rv_dir, perpendicular, semi-axis a, semi-axis b, angle):
            // the right lung beyond the RV, the left lung lateral to the LV.
            (
                rng.range(72.0, 84.0),
                rng.range(-20.0, 5.0),
                rng.range(30.0, 40.0),
                rng.range(60.0, 75.0),
                rng.range(-0.3, 0.3),
            ),
            (
                -rng.range(60.0, 70.0),
                rng.range(-20.0, 5.0),
                rng.range(28.0, 36.0),
                rng.range(55.0, 70.0),
                rng.range(-0.3, 0.3),
            ),
        ];
        let liver = (
            rng.range(-5.0, 25.0),
            rng.range(62.0, 75.0),
            rng.range(55.0, 75.0),
            rng.range(22.0, 32.0),
            rng.range(-0.25, 0.1),
        );
        let aorta = (
            rng.range(15.0, 30.0),
            rng.range(45.0, 55.0),
            rng.range(8.0, 11.0),
        );
        let spine = (
            aorta.0 - rng.range(12.0, 20.0),
            aorta.1 + rng.range(16.0, 22.0),
            rng.range(13.0, 16.0),
        );
        let intensity = Self::draw_intensities(rng);
        let vessels = Self::draw_lung_vessels(rng);
        let (tex_coarse, tex_fine) = Self::draw_textures(rng);
        let gain = rng.range(0.8, 1.2);
        let mut bias = [0.0; 4];
        for b in &mut bias {
            *b = rng.range(-0.12, 0.12);
        }
        let noise_frac = rng.range(0.015, 0.035);
        Subject {
            lv_c,
            drift,
            r_endo0,
            wall0,
            lv_ratio,
            lv_angle,
            rv_dir,
            rv_p0,
            rv_kb,
            rv_wall,
            rv_tv,
            trab,
            fat0,
            fat1,
            fat2,
            pap_angles,
            pap_r,
            body,
            body_fat,
            lungs,
            liver,
            aorta,
            spine,
            intensity,
            tex_coarse,
            tex_fine,
            gain,
            bias,
            noise_frac,
            vessels,
        }
    }

    /// The mean intensity of every tissue.
    fn draw_intensities(rng: &mut SeededRng) -> [f64; N_TISSUES] {
        let blood = rng.range(560.0, 720.0);
        let mut intensity = [0.0; N_TISSUES];
        intensity[Tissue::Air as usize] = 0.0;
        intensity[Tissue::Muscle as usize] = rng.range(200.0, 270.0);
        intensity[Tissue::SubcutFat as usize] = rng.range(620.0, 800.0);
        intensity[Tissue::Lung as usize] = rng.range(25.0, 55.0);
        intensity[Tissue::Liver as usize] = rng.range(240.0, 330.0);
        intensity[Tissue::Aorta as usize] = blood * rng.range(0.85, 1.05);
        intensity[Tissue::Spine as usize] = rng.range(280.0, 380.0);
        intensity[Tissue::EpiFat as usize] = rng.range(480.0, 680.0);
        intensity[Tissue::RvWall as usize] = rng.range(140.0, 220.0);
        intensity[Tissue::RvBlood as usize] = blood * rng.range(0.88, 1.02);
        intensity[Tissue::Myo as usize] = rng.range(130.0, 200.0);
        intensity[Tissue::LvBlood as usize] = blood;
        intensity[Tissue::Papillary as usize] = intensity[Tissue::Myo as usize] * 1.15;
        intensity[Tissue::Bone as usize] = rng.range(50.0, 100.0);
        intensity[Tissue::Vessel as usize] = rng.range(250.0, 420.0);
        intensity
    }

    /// Lung vessels: (lung index, position in the lung's unit disc, radius).
    fn draw_lung_vessels(rng: &mut SeededRng) -> Vec<(usize, f64, f64, f64)> {
        let mut vessels = Vec::with_capacity(24);
        for _ in 0..rng.below(10) + 14 {
            // (lung index, position in the lung's unit disc, radius)
            let r = rng.uniform().sqrt() * 0.9;
            let a = rng.range(0.0, std::f64::consts::TAU);
            vessels.push((
                rng.below(2) as usize,
                r * a.cos(),
                r * a.sin(),
                rng.range(1.0, 2.6),
            ));
        }
        vessels
    }

    /// The coarse and fine texture amplitudes of every tissue.
    fn draw_textures(rng: &mut SeededRng) -> ([f64; N_TISSUES], [f64; N_TISSUES]) {
        let mut tex_coarse = [0.0; N_TISSUES];
        let mut tex_fine = [0.0; N_TISSUES];
        for i in 1..N_TISSUES {
            tex_coarse[i] = rng.range(0.03, 0.08);
            tex_fine[i] = rng.range(0.02, 0.05);
        }
        // Lungs carry vessel-like fine structure, liver and muscle a little more grain.
        tex_fine[Tissue::Lung as usize] = rng.range(0.35, 0.6);
        tex_fine[Tissue::Liver as usize] = rng.range(0.05, 0.09);
        tex_fine[Tissue::Muscle as usize] = rng.range(0.05, 0.1);
        tex_coarse[Tissue::LvBlood as usize] = rng.range(0.04, 0.09);
        tex_coarse[Tissue::RvBlood as usize] = rng.range(0.05, 0.1);
        (tex_coarse, tex_fine)
    }
}

/// The geometry of one slice, precomputed from the subject and `t`.
struct SliceGeom<'a> {
    s: &'a Subject,
    lv_c: [f64; 2],
    r_endo: f64,
    r_epi: f64,
    /// LV frame: rotation and axis scales (ratio) so that radii are elliptical.
    lv_cos: f64,
    lv_sin: f64,
    lv_sx: f64,
    lv_sy: f64,
    rv_outer: Option<Ellipse>,
    rv_inner: Option<Ellipse>,
    paps: [Ellipse; 2],
    body: Ellipse,
    body_inner: Ellipse,
    lungs: [Ellipse; 2],
    liver: Ellipse,
    aorta: Ellipse,
    spine: Ellipse,
    spine_marrow: Ellipse,
    vessels: Vec<(usize, Ellipse)>,
    /// Largest radius (LV frame) where the heart or its fat can be.
    heart_reach: f64,
    /// Above the base (position < 0): half-angle (rad) of the opening of the
    /// myocardial ring into the outflow tract / atrium; 0 otherwise.
    gap: f64,
    /// Direction (rad, image frame) of that opening.
    gap_dir: f64,
}

/// Positions beyond the base (< 0) over which the ring opens fully.
const BASAL_OPENING: f64 = 0.25;
/// Positions beyond the apex (> 1) over which the cavity closes.
const APICAL_CAVITY: f64 = 0.1;
/// Positions beyond the apex (> 1) over which the myocardial cap vanishes.
const APICAL_CAP: f64 = 0.35;

impl<'a> SliceGeom<'a> {
    fn new(s: &'a Subject, t: f64) -> Self {
        let lv_c = [s.lv_c[0] + s.drift[0] * t, s.lv_c[1] + s.drift[1] * t];
        // Within [0, 1] (base to apex) `tc == t`; beyond, the heart changes
        // shape: above the base the ring opens and the cavity widens into
        // the atrium, beyond the apex the cavity closes, then the cap shrinks.
        let tc = t.clamp(0.0, 1.0);
        let mut r_endo = s.r_endo0 * (1.0 - 0.5 * tc.powf(1.5));
        let wall = s.wall0 * (1.0 + 0.15 * tc);
        let mut r_epi = r_endo + wall;
        let mut gap = 0.0;
        if t < 0.0 {
            let a = (-t / BASAL_OPENING).min(1.0);
            gap = a * 0.45 * std::f64::consts::PI;
            r_endo *= 1.0 + 0.35 * a;
            r_epi = r_endo + wall * (1.0 - 0.3 * a);
        } else if t > 1.0 {
            let cavity = 1.0 - ((t - 1.0) / APICAL_CAVITY).min(1.0);
            let cap = 1.0 - ((t - 1.0) / APICAL_CAP).min(1.0);
            r_epi *= cap;
            r_endo = (r_endo * cavity).min(r_epi);
        }
        let sq = s.lv_ratio.sqrt();
        let (ux, uy) = (s.rv_dir.cos(), s.rv_dir.sin());
        // Rotate offsets given as (along rv_dir, perpendicular) into the image frame.
        let place = |along: f64, perp: f64| -> (f64, f64) {
            (
                lv_c[0] + along * ux - perp * uy,
                lv_c[1] + along * uy + perp * ux,
            )
        };
        let p = s.rv_p0 * (1.0 - t / s.rv_tv);
        let (rv_outer, rv_inner) = if p > 0.5 {
            // Ellipse whose far edge along rv_dir lies at r_epi + p from the LV
            // centre and whose near edge is at the LV centre; wide perpendicular.
            let a = 0.5 * (r_epi + p);
            let b = r_epi * s.rv_kb * (0.55 + 0.45 * (1.0 - t / s.rv_tv).sqrt());
            let (cx, cy) = place(a, 0.0);
            let outer = Ellipse::new(cx, cy, a, b, s.rv_dir);
            let w = s.rv_wall;
            let inner = Ellipse::new(cx, cy, (a - w).max(0.5), (b - w).max(0.5), s.rv_dir);
            (Some(outer), Some(inner))
        } else {
            (None, None)
        };
        let opp = s.rv_dir + std::f64::consts::PI;
        let paps = s.pap_angles.map(|da| {
            let ang = opp + da;
            let rr = r_endo * 0.72;
            let pr = s.pap_r * (0.7 + 0.5 * t.min(0.7));
            let pr = if t > 1.0 {
                pr * (r_endo / s.r_endo0).min(1.0)
            } else {
                pr
            };
            Ellipse::new(
                lv_c[0] + rr * ang.cos(),
                lv_c[1] + rr * ang.sin(),
                pr,
                pr * 1.3,
                ang,
            )
        });
        let (bx, by, ba, bb, bang) = s.body;
        let body = Ellipse::new(lv_c[0] + bx, lv_c[1] + by, ba, bb, bang);
        let f = 1.0 - s.body_fat;
        let body_inner = Ellipse::new(lv_c[0] + bx, lv_c[1] + by, ba * f, bb * f, bang);
        let lungs = s.lungs.map(|(al, pe, a, b, ang)| {
            let (cx, cy) = place(al, pe);
            // Lungs narrow a little towards the apex.
            Ellipse::new(cx, cy, a * (1.0 - 0.15 * t), b, ang + s.rv_dir)
        });
        let (lx, ly, la, lb, lang) = s.liver;
        let liver_grow = 0.6 + 0.6 * t;
        let liver = Ellipse::new(
            lv_c[0] + lx,
            lv_c[1] + ly - 10.0 * t,
            la * liver_grow,
            lb * liver_grow,
            lang,
        );
        let aorta = Ellipse::new(
            lv_c[0] + s.aorta.0,
            lv_c[1] + s.aorta.1,
            s.aorta.2,
            s.aorta.2,
            0.0,
        );
        let spine = Ellipse::new(
            lv_c[0] + s.spine.0,
            lv_c[1] + s.spine.1,
            s.spine.2 * 1.15,
            s.spine.2,
            0.0,
        );
        let spine_marrow = Ellipse::new(
            lv_c[0] + s.spine.0,
            lv_c[1] + s.spine.1,
            s.spine.2 * 0.8,
            s.spine.2 * 0.65,
            0.0,
        );
        let vessels = s
            .vessels
            .iter()
            .map(|&(l, u, v, r)| {
                let (la, pe, a, b, _) = s.lungs[l];
                let (cx, cy) = place(la + u * a * (1.0 - 0.15 * t), pe + v * b);
                (l, Ellipse::new(cx, cy, r, r, 0.0))
            })
            .collect();
        let heart_reach = r_epi * 1.2 + s.fat0 + s.fat1.0 + s.fat2.0 + 2.0;
        SliceGeom {
            s,
            lv_c,
            r_endo,
            r_epi,
            lv_cos: s.lv_angle.cos(),
            lv_sin: s.lv_angle.sin(),
            lv_sx: 1.0 / sq,
            lv_sy: sq,
            rv_outer,
            rv_inner,
            paps,
            body,
            body_inner,
            lungs,
            liver,
            aorta,
            spine,
            spine_marrow,
            vessels,
            heart_reach,
            gap,
            // the outflow opens opposite the RV, towards the aorta's side
            gap_dir: s.rv_dir + 0.5 * std::f64::consts::PI,
        }
    }

    /// The tissue at a point (mm, image frame).
    fn tissue(&self, x: f64, y: f64) -> Tissue {
        let dx = x - self.lv_c[0];
        let dy = y - self.lv_c[1];
        // LV frame: rotate, then scale the axes (area-preserving) for ellipticity.
        let u = (dx * self.lv_cos + dy * self.lv_sin) * self.lv_sx;
        let v = (-dx * self.lv_sin + dy * self.lv_cos) * self.lv_sy;
        let rho = (u * u + v * v).sqrt();
        if rho < self.heart_reach {
            let theta = dy.atan2(dx);
            // Endocardium: trabeculated.
            let mut mod_endo = 1.0;
            for &(a, f, ph) in &self.s.trab {
                mod_endo += a * (f * theta + ph).sin();
            }
            if self.gap > 0.0 && rho < self.r_epi {
                let d = (theta - self.gap_dir).rem_euclid(2.0 * std::f64::consts::PI);
                let d = d.min(2.0 * std::f64::consts::PI - d);
                if d < self.gap {
                    return Tissue::LvBlood;
                }
            }
            if rho < self.r_endo * mod_endo {
                if self.paps.iter().any(|p| p.contains(x, y)) {
                    return Tissue::Papillary;
                }
                return Tissue::LvBlood;
            }
            if rho < self.r_epi {
                return Tissue::Myo;
            }
            if let (Some(outer), Some(inner)) = (&self.rv_outer, &self.rv_inner) {
                if inner.contains(x, y) && rho >= self.r_epi {
                    return Tissue::RvBlood;
                }
                if outer.contains(x, y) {
                    return Tissue::RvWall;
                }
            }
            let s = self.s;
            let fat = (s.fat0
                + s.fat1.0 * (theta - s.fat1.1).cos()
                + s.fat2.0 * (2.0 * theta - s.fat2.1).cos())
            .max(0.0);
            if rho < self.r_epi + fat {
                return Tissue::EpiFat;
            }
            if let Some(outer) = &self.rv_outer {
                // Fat around the RV free wall: an inflated copy of its ellipse.
                let q = outer.q(x, y);
                let grow = 1.0 + 0.6 * fat / self.r_epi;
                if q < grow * grow {
                    return Tissue::EpiFat;
                }
            }
        }
        if self.aorta.contains(x, y) {
            return Tissue::Aorta;
        }
        if self.spine.contains(x, y) {
            return if self.spine_marrow.contains(x, y) {
                Tissue::Spine
            } else {
                Tissue::Bone
            };
        }
        if !self.body.contains(x, y) {
            return Tissue::Air;
        }
        for (li, l) in self.lungs.iter().enumerate() {
            if l.contains(x, y) {
                let vessel = self
                    .vessels
                    .iter()
                    .any(|(vl, e)| *vl == li && e.contains(x, y));
                return if vessel { Tissue::Vessel } else { Tissue::Lung };
            }
        }
        if self.liver.contains(x, y) {
            return Tissue::Liver;
        }
        if self.body_inner.contains(x, y) {
            Tissue::Muscle
        } else {
            Tissue::SubcutFat
        }
    }
}

impl CardiacPhantom {
    /// A phantom; fails if a count is zero or `size` is outside `MIN_SIZE..=MAX_SIZE`.
    pub fn new(seed: u64, subjects: usize, slices_per_subject: usize, size: usize) -> Result<Self> {
        let p = CardiacPhantom {
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

    /// Pixel spacing in mm (`FOV_MM / size`, the same in y and x).
    pub fn spacing(&self) -> f64 {
        FOV_MM / self.size as f64
    }

    /// Position of sample `i` along the long axis: `z / (slices_per_subject -
    /// 1)` for slice `z` of its subject (0 = base, 1 = apex; 0.5 when there is
    /// a single slice per subject).
    pub fn slice_position(&self, i: usize) -> f64 {
        let m = self.slices_per_subject.max(1);
        let z = i % m;
        if m == 1 {
            0.5
        } else {
            z as f64 / (m - 1) as f64
        }
    }

    fn check_index(&self, i: usize) -> Result<()> {
        self.validate()?;
        check_sample_index(i, self.subjects * self.slices_per_subject)
    }

    /// Renders sample `i` as `(image, mask)`.
    pub fn render(&self, i: usize) -> Result<(Image, LabelMap)> {
        self.render_at(i, self.slice_position(i))
    }

    /// Renders sample `i` (its subject's anatomy and noise) at long-axis
    /// position `t`: 0 = base, 1 = apex as in [`CardiacPhantom::render`];
    /// below 0 the slice lies above the base (the myocardial ring opens into
    /// the outflow tract and atrium over `t ∈ [−0.25, 0]`), above 1 beyond
    /// the apex (the cavity closes by 1.1, the myocardial cap vanishes by
    /// 1.35). Fails for `t` outside `[−0.25, 1.35]` ([`crate::POSITIONS`]).
    pub fn render_at(&self, i: usize, t: f64) -> Result<(Image, LabelMap)> {
        if !(POSITIONS.0..=POSITIONS.1).contains(&t) {
            return Err(Error::invalid(
                "position",
                t,
                &format!(
                    "a long-axis position within [{}, {}]",
                    POSITIONS.0, POSITIONS.1
                ),
            ));
        }
        self.check_index(i)?;
        let m = self.slices_per_subject;
        let subj = i / m;
        let z = i % m;
        let s_tag = format!("s{subj:02}");
        let z_tag = format!("z{z:02}");
        let mut srng = SeededRng::new(derive_seed(self.seed, &["phantom-cardiac", &s_tag]));
        let subject = Subject::draw(&mut srng);
        let mut rng = SeededRng::new(derive_seed(self.seed, &["phantom-cardiac", &s_tag, &z_tag]));
        let geom = SliceGeom::new(&subject, t);
        let coarse = SmoothField::new(&mut rng, 6);
        let fine = SmoothField::new(&mut rng, 40);

        let n = self.size;
        let sp = self.spacing();
        let ss = SUPERSAMPLE;
        let sub = sp / ss as f64;
        let inv_ss2 = 1.0 / (ss * ss) as f64;
        let sigma = subject.noise_frac * subject.intensity[Tissue::LvBlood as usize];
        let mut img = vec![0f32; n * n];
        let mut lab = vec![0u8; n * n];
        for py in 0..n {
            let y0 = py as f64 * sp;
            let fy = (py as f64 + 0.5) / n as f64;
            let by = 2.0 * fy - 1.0;
            for px in 0..n {
                let x0 = px as f64 * sp;
                let fx = (px as f64 + 0.5) / n as f64;
                let bx = 2.0 * fx - 1.0;
                let tc = coarse.at(fy, fx);
                let tf = fine.at(fy, fx);
                let mut acc = 0.0;
                for sy in 0..ss {
                    let y = y0 + (sy as f64 + 0.5) * sub;
                    for sx in 0..ss {
                        let x = x0 + (sx as f64 + 0.5) * sub;
                        let k = geom.tissue(x, y) as usize;
                        acc += subject.intensity[k]
                            * (1.0 + subject.tex_coarse[k] * tc + subject.tex_fine[k] * tf);
                    }
                }
                let centre = geom.tissue(x0 + 0.5 * sp, y0 + 0.5 * sp);
                lab[py * n + px] = centre.label();
                let b = subject.bias;
                let bias =
                    (b[0] * bx + b[1] * by + b[2] * bx * by + b[3] * (bx * bx + by * by)).exp();
                let clean = (acc * inv_ss2).max(0.0) * bias * subject.gain;
                let re = clean + sigma * rng.normal();
                let im = sigma * rng.normal();
                img[py * n + px] = (re * re + im * im).sqrt() as f32;
            }
        }
        let grid = Grid::new_2d(n, n, [sp, sp])?;
        Ok((Image::new(grid.clone(), img)?, LabelMap::new(grid, lab)?))
    }
}

impl_phantom_dataset!(CardiacPhantom, "phantom");
