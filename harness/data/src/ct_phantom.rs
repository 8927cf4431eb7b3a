//! A deterministic synthetic axial abdominal CT phantom at the L3 level, in
//! Hounsfield units, with a skeletal-muscle reference mask and simulated
//! human observers.
//!
//! [`CtPhantom`] renders 2D axial slices of synthetic subjects around the
//! middle of the third lumbar vertebra, the level used for body-composition
//! (sarcopenia) studies. The label map has **0 background, 1 skeletal
//! muscle** (all muscle groups together).
//!
//! # Geometry and display convention
//! Coordinates are millimetres in image space: `x` to the right, `y` down.
//! The slice is shown in the radiological convention: anterior at the top,
//! the patient's right on the image's left (so the aorta lies right of the
//! midline in the image and the liver on the left). The field of view is
//! [`CT_FOV_MM`] = 400 mm square, so the pixel spacing is `400 / size` mm in
//! both directions (3.125 mm at `size` 128), stored in the returned grids.
//!
//! # Anatomy (outside in)
//! Everything is built around a **cavity** shape: an ellipse centred on the
//! midline with lateral semi-axis `a` (100–128 mm), anterior semi-axis
//! `b_ant` (62–92 mm) and posterior semi-axis `b_post` (reaching just behind
//! the paraspinal muscles), whose radius is modulated by
//! `1 + Σ_{k=2..4} A_k cos(kθ + φ_k)` (`A_k <= 0.03`). Outside it, along the
//! ray from its centre, lie (depths in mm):
//! * the **abdominal wall muscle ring** (label 1) of thickness `t(θ)`:
//!   the two **recti** either side of a 4–10 mm linea alba (lens-shaped,
//!   9–15 mm × `m` thick), a fatty linea semilunaris, then laterally the
//!   **obliques** (15–24 mm × `m`, tapering posteriorly) whose innermost 3–5 mm is
//!   the **transversus** separated from them by a 2–3 mm fat plane (label 0);
//!   no ring behind the posterior-lateral flanks;
//! * **subcutaneous fat** (−115 to −92 HU) of thickness `f(θ)` (base 6–35
//!   mm, thicker anteriorly and on the flanks, thinner at the back), measured
//!   from a smooth envelope of the ring so that the outline stays smooth;
//! * **skin** (1.5–2.5 mm, 20–50 HU); **air** (−1000 HU) outside.
//!
//! Inside the body, drawn first: the **L3 vertebra** (body: cortical shell
//! 550–850 HU over cancellous bone 120–260 HU, slightly waisted at mid-height;
//! spinal canal 5–25 HU; neural arch, spinous process and, within 5–9 mm of
//! the mid-level only, the transverse processes, all cortical), the two
//! **psoas** muscles beside the vertebral body (growing caudally by 1.2 %/mm),
//! the two **quadratus lumborum** muscles lateral to them and the two
//! **erector spinae** (paraspinal) muscles behind the transverse processes,
//! either side of a 1.5 mm midline septum (all label 1). Inside the cavity:
//! the **aorta** (35–50 HU) left-anterior of the vertebra, the **IVC**
//! (30–45 HU), the lower poles of the **kidneys** (28–40 HU, shrinking to
//! nothing below a per-subject level), in 60 % of subjects the **liver tip**
//! (48–62 HU, appearing above a per-subject level), up to 14–23 **bowel loops** and
//! the ascending / descending **colon** (wall 30–45 HU; content fluid 5–30
//! HU, gas ≈ −1000 HU, or mottled stool with gas pockets), small mesenteric
//! **vessels**, and **visceral fat** (−108 to −85 HU) everywhere else.
//! Skin, kidneys, liver, aorta, IVC, bowel wall and canal overlap the muscle
//! attenuation, so a threshold alone does not give the mask.
//!
//! Muscle attenuation: per subject a mean `μ` of 32–50 HU, or 10–25 HU for
//! the 25 % of subjects with **myosteatosis**; per group offsets (psoas
//! +2..+8, erector −8..0 or −12..−4 with myosteatosis, others ±4) and a
//! smooth texture. The muscle factor `m` (1.0–1.35) scales the size of every
//! muscle, giving cross-sectional areas of roughly 95–220 cm².
//!
//! # Along the body axis
//! Slice `z` of `slices_per_subject` lies at `z_mm = 15 - 30 z / (m - 1)` mm
//! from mid-L3 (positive = cranial; 0 for a single slice). With `z_mm` the
//! psoas scale by `1 - 0.012 z_mm`, the vertebral body widens away from its
//! waist, the transverse processes vanish beyond `|z_mm| > h` (`h` 5–9 mm),
//! the kidneys shrink as `sqrt(clamp((z_mm - z_k) / 20, 0, 1))`, the liver tip
//! likewise above its own level, the cavity widens by 0.2 %/mm and bowel
//! loops drift (up to 0.8 mm per mm): anatomy varies smoothly along `z`.
//!
//! # Image formation
//! The tissue at each pixel centre gives the label (exact, not
//! anti-aliased). Pixels whose four neighbours share their tissue take its
//! value; the others are the mean of 3x3 sub-samples (partial volume). Each
//! sample's value is `HU_tissue + c_t T_c + f_t T_f` with smooth random
//! fields `T_c` (8 cells) and `T_f` (48 cells) and per-tissue amplitudes
//! (stool content: `-150 + 120 T_f`, gas where `T_f > 1`). The clean image is
//! smoothed by the separable kernel `[0.15, 0.7, 0.15]` (edge replicated),
//! then white Gaussian noise of standard deviation `σ` (15–25 HU per subject)
//! is added and the result clamped to `[-1024, 3071]` HU.
//!
//! # Simulated observers
//! [`CtPhantom::render_observers`] gives `k` human-like muscle masks of a
//! slice. Observer `o` of slice `(s, z)` draws, from
//! `derive_seed(seed, &["phantom-ct", "sSS", "zZZ", "observer", "oOO"])`, a
//! boundary displacement amplitude `A_o` (uniform in [`OBSERVER_AMP_MM`]), a
//! bias `b_o` (uniform in `±`[`OBSERVER_BIAS_MM`]) and a smooth unit-variance
//! random field `F_o` (12 cells over the field of view, i.e. a correlation
//! length of about 30 mm). With `d(p)` the signed distance of pixel `p` to
//! the reference muscle boundary (pixel centres, in pixels: `+-0.5` next to the
//! boundary, negative inside; exact Euclidean distance transform), the
//! observer's mask is `d(p) < (b_o + A_o F_o(p)) / spacing`, i.e. the
//! boundary is pushed out (or in) by a smooth displacement of a few mm.
//! Then with probability [`OBSERVER_OMIT_P`] the observer omits one thin
//! part: the quadratus lumborum or the transversus on the image's left or
//! right side (four parts, chosen uniformly) (no omission if the
//! chosen part is absent from the slice). At size 128 the pairwise Dice of
//! observers is about 0.90–0.96 (mean about 0.93; single pairs 0.83–0.99),
//! chosen as a plausible human inter-observer range at this coarse
//! resolution (3.1 mm pixels).
//!
//! # Determinism
//! Subject parameters come from `SeededRng::new(derive_seed(seed,
//! &["phantom-ct", "sSS"]))` and per-slice randomness (texture, noise) from
//! `derive_seed(seed, &["phantom-ct", "sSS", "zZZ"])`, so each slice is
//! reproducible alone and bit-for-bit on platforms with IEEE f64 `sqrt`,
//! `ln`, `sin`, `cos`.

use sensibench_core::{Error, Grid, Image, LabelMap, Result, Sample, SeededRng, derive_seed};

use crate::Dataset;
use crate::phantom::{Ellipse, MAX_SIZE, MIN_SIZE, SmoothField};

/// The physical field of view of every CT phantom slice, in mm.
pub const CT_FOV_MM: f64 = 400.0;

/// Half of the range of slice positions around mid-L3, in mm.
pub const CT_Z_HALF_MM: f64 = 15.0;

/// Range of the per-observer boundary displacement amplitude `A_o`, in mm.
pub const OBSERVER_AMP_MM: (f64, f64) = (1.0, 2.0);
/// Bound of the per-observer boundary bias `b_o` (uniform in `±` this), in mm.
pub const OBSERVER_BIAS_MM: f64 = 0.6;
/// Probability that an observer omits one thin muscle part of a slice.
pub const OBSERVER_OMIT_P: f64 = 0.3;

/// Sub-samples per pixel along each axis (partial volume at edges).
const SUPERSAMPLE: usize = 3;

/// Tissue classes; the order is the index into the per-subject tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
enum Tissue {
    Air = 0,
    Skin,
    SubcutFat,
    VisceralFat,
    Rectus,
    Oblique,
    Transversus,
    Psoas,
    QuadLumb,
    Erector,
    Cortical,
    Cancellous,
    Canal,
    Aorta,
    Ivc,
    Kidney,
    Liver,
    BowelWall,
    BowelFluid,
    BowelGas,
    BowelStool,
    Vessel,
}
const N_TISSUES: usize = 22;

impl Tissue {
    fn is_muscle(self) -> bool {
        matches!(
            self,
            Tissue::Rectus
                | Tissue::Oblique
                | Tissue::Transversus
                | Tissue::Psoas
                | Tissue::QuadLumb
                | Tissue::Erector
        )
    }
}

/// A bowel loop: centre (mm, at mid-L3), drift per mm of z, radius, wall, content.
#[derive(Clone, Debug)]
struct Loop {
    x: f64,
    y: f64,
    vx: f64,
    vy: f64,
    r: f64,
    wall: f64,
    content: Tissue,
}

/// Everything random about one subject (mm unless stated).
#[derive(Clone, Debug)]
struct Subject {
    x0: f64,
    yc: f64,
    a_c: f64,
    b_ant: f64,
    b_post: f64,
    /// Cavity radius harmonics k = 2, 3, 4 as (A cos φ, A sin φ).
    cav_harm: [(f64, f64); 3],
    /// Ring: half-width of the linea alba and extent of the recti (as |cos θ|),
    /// rectus thickness, linea semilunaris width (|cos θ|), oblique thickness,
    /// posterior end of the obliques (sin θ), transversus thickness, fat plane.
    gap: f64,
    c_rect: f64,
    t_rect: f64,
    semilunar: f64,
    t_obl: f64,
    s_end: f64,
    t_tr: f64,
    plane: f64,
    /// Subcutaneous fat: base, anterior, lateral and posterior factors, harmonics.
    f0: f64,
    f_ant: f64,
    f_lat: f64,
    f_post: f64,
    fat_harm: [(f64, f64); 2],
    skin: f64,
    /// Vertebral body centre y, semi-axes, cortical thickness.
    vy: f64,
    a_vb: f64,
    b_vb: f64,
    cort: f64,
    canal: (f64, f64),
    arch: f64,
    sp_len: f64,
    tp_len: f64,
    tp_ang: f64,
    tp_h: f64,
    /// Erector spinae: lateral offset, offset behind the canal, semi-axes, angle.
    erector: (f64, f64, f64, f64, f64),
    /// Psoas: semi-axes, angle, y offset from the vertebral body centre.
    psoas: (f64, f64, f64, f64),
    /// Quadratus lumborum: semi-axes, angle, extra lateral offset, y offset.
    ql: (f64, f64, f64, f64, f64),
    /// Kidneys (image left, image right): dx, dy, a, b, angle, lower-pole z.
    kidneys: [(f64, f64, f64, f64, f64, f64); 2],
    aorta: (f64, f64, f64),
    ivc: (f64, f64, f64, f64),
    /// Liver tip: dx, dy, a, b, angle, z where it appears.
    liver: Option<(f64, f64, f64, f64, f64, f64)>,
    loops: Vec<Loop>,
    /// Mesenteric vessels: x, y, r.
    vessels: Vec<(f64, f64, f64)>,
    hu: [f64; N_TISSUES],
    tex_coarse: [f64; N_TISSUES],
    tex_fine: [f64; N_TISSUES],
    noise_sigma: f64,
}

impl Subject {
    fn draw(rng: &mut SeededRng) -> Self {
        use std::f64::consts::TAU;
        let c = CT_FOV_MM / 2.0;
        let x0 = c + rng.range(-10.0, 10.0);
        let yc = c + rng.range(-12.0, 6.0);
        let m = rng.range(1.0, 1.35);
        let a_c = rng.range(100.0, 128.0);
        let b_ant = rng.range(62.0, 92.0);
        let mut cav_harm = [(0.0, 0.0); 3];
        for h in &mut cav_harm {
            let amp = rng.range(0.0, 0.03);
            let ph = rng.range(0.0, TAU);
            *h = (amp * ph.cos(), amp * ph.sin());
        }
        // Spine, relative to the cavity centre.
        let vy = yc + rng.range(8.0, 24.0);
        let a_vb = rng.range(21.0, 26.0);
        let b_vb = rng.range(14.0, 18.0);
        let cort = rng.range(1.5, 2.5);
        let canal = (rng.range(9.0, 12.0), rng.range(7.0, 9.0));
        let arch = rng.range(4.0, 6.0);
        let sp_len = rng.range(26.0, 36.0);
        let tp_len = rng.range(26.0, 38.0);
        let tp_ang = rng.range(0.05, 0.25);
        let tp_h = rng.range(5.0, 9.0);
        let erector = (
            rng.range(27.0, 33.0) * m.sqrt(),
            rng.range(20.0, 26.0),
            rng.range(26.0, 32.0) * m,
            rng.range(22.0, 28.0) * m,
            rng.range(-0.2, 0.2),
        );
        let psoas = (
            rng.range(12.0, 16.0) * m,
            rng.range(14.0, 19.0) * m,
            rng.range(0.2, 0.5),
            rng.range(-4.0, 4.0),
        );
        let ql = (
            rng.range(8.0, 12.0) * m,
            rng.range(15.0, 20.0) * m,
            rng.range(0.3, 0.7),
            rng.range(0.0, 6.0),
            rng.range(8.0, 16.0),
        );
        // Back of the erector spinae (mm below vy) fixes the posterior cavity extent.
        let canal_back = b_vb + 1.0 + 2.0 * canal.1;
        let er_back = canal_back - canal.1 + erector.1 + erector.3;
        let b_post = (vy - yc) + er_back.max(canal_back + arch + sp_len - 4.0) + 3.0;
        let gap = rng.range(0.03, 0.06);
        let c_rect = rng.range(0.38, 0.52);
        let t_rect = rng.range(9.0, 15.0) * m;
        let semilunar = rng.range(0.04, 0.08);
        let t_obl = rng.range(15.0, 24.0) * m;
        let s_end = rng.range(0.4, 0.65);
        let t_tr = rng.range(3.0, 5.0) * m;
        let plane = rng.range(2.0, 3.0);
        let mut f0 = rng.range(6.0, 35.0);
        let f_ant = rng.range(0.2, 0.7);
        let f_lat = rng.range(0.1, 0.5);
        let f_post = rng.range(0.2, 0.5);
        let mut fat_harm = [(0.0, 0.0); 2];
        for h in &mut fat_harm {
            let amp = rng.range(0.0, 0.12);
            let ph = rng.range(0.0, TAU);
            *h = (amp * ph.cos(), amp * ph.sin());
        }
        let skin = rng.range(1.5, 2.5);
        // Keep the body inside the field of view (a margin of 6 mm).
        let room_lat = c - 6.0 - (x0 - c).abs() - a_c * 1.1 - t_obl - skin;
        let room_ant = yc - 6.0 - b_ant * 1.1 - t_rect - skin;
        let room_post = CT_FOV_MM - 6.0 - yc - b_post * 1.1 - skin;
        let f_max = (room_lat / ((1.0 + f_lat) * 1.12))
            .min(room_ant / ((1.0 + f_ant) * 1.12))
            .min(room_post / 1.12);
        f0 = f0.min(f_max).max(4.0);
        let mut kidneys = [(0.0, 0.0, 0.0, 0.0, 0.0, 0.0); 2];
        for (k, kid) in kidneys.iter_mut().enumerate() {
            let side = if k == 0 { -1.0 } else { 1.0 };
            *kid = (
                side * rng.range(58.0, 72.0),
                rng.range(-12.0, 4.0),
                rng.range(18.0, 26.0),
                rng.range(22.0, 30.0),
                side * rng.range(0.3, 0.6),
                rng.range(-30.0, 10.0),
            );
        }
        let aorta = (
            rng.range(6.0, 16.0),
            -(b_vb + rng.range(9.0, 14.0)),
            rng.range(8.0, 12.0),
        );
        let ivc = (
            -rng.range(18.0, 28.0),
            -(b_vb + rng.range(8.0, 13.0)),
            rng.range(10.0, 14.0),
            rng.range(6.0, 9.0),
        );
        let liver = if rng.uniform() < 0.6 {
            Some((
                -a_c * rng.range(0.5, 0.7),
                -b_ant * rng.range(0.0, 0.35),
                rng.range(25.0, 45.0),
                rng.range(20.0, 35.0),
                rng.range(-0.5, 0.5),
                rng.range(-10.0, 20.0),
            ))
        } else {
            None
        };
        let mut loops = Vec::new();
        let n_loops = 14 + rng.below(10) as usize;
        let mut tries = 0;
        while loops.len() < n_loops && tries < 400 {
            tries += 1;
            let r = rng.uniform().sqrt() * 0.9;
            let ang = rng.range(0.0, TAU);
            let (u, v) = (r * ang.cos(), r * ang.sin());
            let x = x0 + u * a_c;
            let y = yc + v * if v < 0.0 { b_ant } else { b_post };
            let rad = rng.range(8.0, 17.0);
            let content = match rng.below(10) {
                0..=5 => Tissue::BowelFluid,
                6 => Tissue::BowelGas,
                _ => Tissue::BowelStool,
            };
            let (vx, vyy) = (rng.range(-0.8, 0.8), rng.range(-0.8, 0.8));
            let wall = rng.range(2.0, 3.5);
            // Keep loops out of the retroperitoneum (spine, psoas, kidneys).
            if y + rad > vy - b_vb - 6.0 && (x - x0).abs() < 95.0 + rad {
                continue;
            }
            loops.push(Loop {
                x,
                y,
                vx,
                vy: vyy,
                r: rad,
                wall,
                content,
            });
        }
        // Ascending colon (image left) and descending colon (image right).
        for side in [-1.0, 1.0] {
            let r = if side < 0.0 {
                rng.range(14.0, 22.0)
            } else {
                rng.range(10.0, 16.0)
            };
            loops.push(Loop {
                x: x0 + side * (a_c - r - rng.range(4.0, 12.0)),
                y: yc + rng.range(-0.2, 0.25) * b_ant,
                vx: rng.range(-0.2, 0.2),
                vy: rng.range(-0.2, 0.2),
                r,
                wall: rng.range(1.5, 2.5),
                content: if rng.uniform() < 0.5 {
                    Tissue::BowelGas
                } else {
                    Tissue::BowelStool
                },
            });
        }
        let mut vessels = Vec::new();
        for _ in 0..5 + rng.below(6) {
            vessels.push((
                x0 + rng.range(-60.0, 60.0),
                vy - b_vb - rng.range(20.0, 70.0),
                rng.range(1.5, 3.5),
            ));
        }
        let myosteatosis = rng.uniform() < 0.25;
        let mu = if myosteatosis {
            rng.range(10.0, 25.0)
        } else {
            rng.range(32.0, 50.0)
        };
        let mut hu = [0.0; N_TISSUES];
        hu[Tissue::Air as usize] = -1000.0;
        hu[Tissue::Skin as usize] = rng.range(20.0, 50.0);
        hu[Tissue::SubcutFat as usize] = rng.range(-115.0, -92.0);
        hu[Tissue::VisceralFat as usize] = rng.range(-108.0, -85.0);
        hu[Tissue::Rectus as usize] = mu + rng.range(-3.0, 3.0);
        hu[Tissue::Oblique as usize] = mu + rng.range(-4.0, 2.0);
        hu[Tissue::Transversus as usize] = hu[Tissue::Oblique as usize];
        hu[Tissue::Psoas as usize] = mu + rng.range(2.0, 8.0);
        hu[Tissue::QuadLumb as usize] = mu + rng.range(-3.0, 3.0);
        hu[Tissue::Erector as usize] = mu
            + if myosteatosis {
                rng.range(-12.0, -4.0)
            } else {
                rng.range(-8.0, 0.0)
            };
        hu[Tissue::Cortical as usize] = rng.range(550.0, 850.0);
        hu[Tissue::Cancellous as usize] = rng.range(120.0, 260.0);
        hu[Tissue::Canal as usize] = rng.range(5.0, 25.0);
        hu[Tissue::Aorta as usize] = rng.range(35.0, 50.0);
        hu[Tissue::Ivc as usize] = rng.range(30.0, 45.0);
        hu[Tissue::Kidney as usize] = rng.range(28.0, 40.0);
        hu[Tissue::Liver as usize] = rng.range(48.0, 62.0);
        hu[Tissue::BowelWall as usize] = rng.range(30.0, 45.0);
        hu[Tissue::BowelFluid as usize] = rng.range(5.0, 30.0);
        hu[Tissue::BowelGas as usize] = rng.range(-1000.0, -950.0);
        hu[Tissue::BowelStool as usize] = -150.0;
        hu[Tissue::Vessel as usize] = rng.range(35.0, 48.0);
        let mut tex_coarse = [2.0; N_TISSUES];
        let mut tex_fine = [1.0; N_TISSUES];
        tex_coarse[Tissue::Air as usize] = 0.0;
        tex_fine[Tissue::Air as usize] = 0.0;
        for t in [Tissue::SubcutFat, Tissue::VisceralFat] {
            tex_coarse[t as usize] = rng.range(4.0, 8.0);
        }
        let (mc, mf) = if myosteatosis {
            (rng.range(6.0, 10.0), rng.range(4.0, 8.0))
        } else {
            (rng.range(3.0, 6.0), rng.range(2.0, 4.0))
        };
        for t in [
            Tissue::Rectus,
            Tissue::Oblique,
            Tissue::Transversus,
            Tissue::Psoas,
            Tissue::QuadLumb,
            Tissue::Erector,
        ] {
            tex_coarse[t as usize] = mc;
            tex_fine[t as usize] = mf;
        }
        tex_coarse[Tissue::Liver as usize] = 4.0;
        tex_coarse[Tissue::Kidney as usize] = 4.0;
        tex_coarse[Tissue::BowelFluid as usize] = 8.0;
        tex_coarse[Tissue::Cancellous as usize] = 30.0;
        tex_fine[Tissue::Cancellous as usize] = 25.0;
        tex_coarse[Tissue::Cortical as usize] = 60.0;
        tex_fine[Tissue::BowelStool as usize] = 120.0;
        let noise_sigma = rng.range(15.0, 25.0);
        Subject {
            x0,
            yc,
            a_c,
            b_ant,
            b_post,
            cav_harm,
            gap,
            c_rect,
            t_rect,
            semilunar,
            t_obl,
            s_end,
            t_tr,
            plane,
            f0,
            f_ant,
            f_lat,
            f_post,
            fat_harm,
            skin,
            vy,
            a_vb,
            b_vb,
            cort,
            canal,
            arch,
            sp_len,
            tp_len,
            tp_ang,
            tp_h,
            erector,
            psoas,
            ql,
            kidneys,
            aorta,
            ivc,
            liver,
            loops,
            vessels,
            hu,
            tex_coarse,
            tex_fine,
            noise_sigma,
        }
    }
}

/// The geometry of one slice, precomputed from the subject and `z_mm`.
struct SliceGeom<'a> {
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
    fn new(s: &'a Subject, z: f64) -> Self {
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
    fn tissue(&self, x: f64, y: f64) -> Tissue {
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
struct SliceCtx {
    subject: Subject,
    z_mm: f64,
    s_tag: String,
    z_tag: String,
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
        if self.subjects == 0 {
            return Err(Error::invalid("subjects", 0, "at least 1"));
        }
        if self.slices_per_subject == 0 {
            return Err(Error::invalid("slices_per_subject", 0, "at least 1"));
        }
        if !(MIN_SIZE..=MAX_SIZE).contains(&self.size) {
            return Err(Error::invalid(
                "size",
                self.size,
                &format!("between {MIN_SIZE} and {MAX_SIZE} pixels"),
            ));
        }
        Ok(())
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

    fn context(&self, i: usize) -> Result<SliceCtx> {
        self.validate()?;
        let n = self.len();
        if i >= n {
            return Err(Error::invalid(
                "sample index",
                i,
                &format!("< {n} (the phantom's number of samples)"),
            ));
        }
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
    fn centre_tissues(&self, geom: &SliceGeom) -> Vec<Tissue> {
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

    /// `k` simulated human observers' muscle masks (0/1) of sample `i`, by
    /// the noise model of the [module docs](self#simulated-observers).
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

/// Squared Euclidean distance (in pixels) from every pixel to the nearest
/// pixel where `feature` is true (`1e20` when there is none), by the exact
/// two-pass algorithm of Felzenszwalb & Huttenlocher (2012).
fn squared_edt(feature: &[bool], h: usize, w: usize) -> Vec<f64> {
    const INF: f64 = 1e20;
    let mut d: Vec<f64> = feature.iter().map(|&f| if f { 0.0 } else { INF }).collect();
    let len = h.max(w);
    let mut f = vec![0f64; len];
    let mut out = vec![0f64; len];
    let mut v = vec![0usize; len];
    let mut z = vec![0f64; len + 1];
    // Columns.
    for x in 0..w {
        for y in 0..h {
            f[y] = d[y * w + x];
        }
        edt_1d(&f[..h], &mut out[..h], &mut v, &mut z);
        for y in 0..h {
            d[y * w + x] = out[y];
        }
    }
    // Rows.
    for y in 0..h {
        f[..w].copy_from_slice(&d[y * w..(y + 1) * w]);
        edt_1d(&f[..w], &mut out[..w], &mut v, &mut z);
        d[y * w..(y + 1) * w].copy_from_slice(&out[..w]);
    }
    d
}

/// 1D squared distance transform of the sampled function `f` (lower envelope
/// of parabolas).
fn edt_1d(f: &[f64], d: &mut [f64], v: &mut [usize], z: &mut [f64]) {
    let n = f.len();
    if n == 0 {
        return;
    }
    let mut k = 0usize;
    v[0] = 0;
    z[0] = f64::NEG_INFINITY;
    z[1] = f64::INFINITY;
    for q in 1..n {
        let qf = q as f64;
        let mut s;
        loop {
            let p = v[k];
            let pf = p as f64;
            s = ((f[q] + qf * qf) - (f[p] + pf * pf)) / (2.0 * (qf - pf));
            // z[0] is -inf, so this never steps below 0.
            if s <= z[k] && k > 0 {
                k -= 1;
            } else {
                break;
            }
        }
        k += 1;
        v[k] = q;
        z[k] = s;
        z[k + 1] = f64::INFINITY;
    }
    let mut k = 0usize;
    for (q, dq) in d.iter_mut().enumerate() {
        let qf = q as f64;
        while z[k + 1] < qf {
            k += 1;
        }
        let p = v[k] as f64;
        *dq = (qf - p) * (qf - p) + f[v[k]];
    }
}

impl Dataset for CtPhantom {
    fn len(&self) -> usize {
        self.subjects * self.slices_per_subject
    }

    fn sample_id(&self, i: usize) -> String {
        let m = self.slices_per_subject.max(1);
        format!("ct-s{:02}-z{:02}", i / m, i % m)
    }

    fn get(&self, i: usize) -> Result<Sample> {
        let (image, mask) = self.render(i)?;
        Sample::new(self.sample_id(i), image, Some(mask))
    }

    fn has_masks(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn edt_matches_brute_force() {
        let (h, w) = (13, 17);
        let mut rng = SeededRng::new(5);
        for density in [0.02, 0.2, 0.7] {
            let feat: Vec<bool> = (0..h * w).map(|_| rng.uniform() < density).collect();
            let d = squared_edt(&feat, h, w);
            for y in 0..h {
                for x in 0..w {
                    let mut best = 1e20f64;
                    for yy in 0..h {
                        for xx in 0..w {
                            if feat[yy * w + xx] {
                                let dy = y as f64 - yy as f64;
                                let dx = x as f64 - xx as f64;
                                best = best.min(dy * dy + dx * dx);
                            }
                        }
                    }
                    assert_eq!(d[y * w + x], best, "({y}, {x}) density {density}");
                }
            }
        }
        // No feature at all: everything stays "infinitely" far.
        assert!(squared_edt(&[false; 6], 2, 3).iter().all(|&v| v >= 1e19));
    }

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
