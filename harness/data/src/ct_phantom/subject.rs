//! Everything random about one subject of the CT phantom, drawn step by step
//! (cavity, spine, back muscles, abdominal wall, fat, organs, bowel, vessels,
//! attenuation) from the subject's random stream, in a fixed order.

use std::f64::consts::TAU;

use sensibench_core::SeededRng;

use super::tissue::{N_TISSUES, Tissue};

/// The physical field of view of every CT phantom slice, in mm.
pub const CT_FOV_MM: f64 = 400.0;

/// A bowel loop: centre (mm, at mid-L3), drift per mm of z, radius, wall, content.
#[derive(Clone, Debug)]
pub(super) struct Loop {
    pub(super) x: f64,
    pub(super) y: f64,
    pub(super) vx: f64,
    pub(super) vy: f64,
    pub(super) r: f64,
    pub(super) wall: f64,
    pub(super) content: Tissue,
}

/// Everything random about one subject (mm unless stated).
#[derive(Clone, Debug)]
pub(super) struct Subject {
    pub(super) x0: f64,
    pub(super) yc: f64,
    pub(super) a_c: f64,
    pub(super) b_ant: f64,
    pub(super) b_post: f64,
    /// Cavity radius harmonics k = 2, 3, 4 as (A cos φ, A sin φ).
    pub(super) cav_harm: [(f64, f64); 3],
    /// Ring: half-width of the linea alba and extent of the recti (as |cos θ|),
    /// rectus thickness, linea semilunaris width (|cos θ|), oblique thickness,
    /// posterior end of the obliques (sin θ), transversus thickness, fat plane.
    pub(super) gap: f64,
    pub(super) c_rect: f64,
    pub(super) t_rect: f64,
    pub(super) semilunar: f64,
    pub(super) t_obl: f64,
    pub(super) s_end: f64,
    pub(super) t_tr: f64,
    pub(super) plane: f64,
    /// Subcutaneous fat: base, anterior, lateral and posterior factors, harmonics.
    pub(super) f0: f64,
    pub(super) f_ant: f64,
    pub(super) f_lat: f64,
    pub(super) f_post: f64,
    pub(super) fat_harm: [(f64, f64); 2],
    pub(super) skin: f64,
    /// Vertebral body centre y, semi-axes, cortical thickness.
    pub(super) vy: f64,
    pub(super) a_vb: f64,
    pub(super) b_vb: f64,
    pub(super) cort: f64,
    pub(super) canal: (f64, f64),
    pub(super) arch: f64,
    pub(super) sp_len: f64,
    pub(super) tp_len: f64,
    pub(super) tp_ang: f64,
    pub(super) tp_h: f64,
    /// Erector spinae: lateral offset, offset behind the canal, semi-axes, angle.
    pub(super) erector: (f64, f64, f64, f64, f64),
    /// Psoas: semi-axes, angle, y offset from the vertebral body centre.
    pub(super) psoas: (f64, f64, f64, f64),
    /// Quadratus lumborum: semi-axes, angle, extra lateral offset, y offset.
    pub(super) ql: (f64, f64, f64, f64, f64),
    /// Kidneys (image left, image right): dx, dy, a, b, angle, lower-pole z.
    pub(super) kidneys: [(f64, f64, f64, f64, f64, f64); 2],
    pub(super) aorta: (f64, f64, f64),
    pub(super) ivc: (f64, f64, f64, f64),
    /// Liver tip: dx, dy, a, b, angle, z where it appears.
    pub(super) liver: Option<(f64, f64, f64, f64, f64, f64)>,
    pub(super) loops: Vec<Loop>,
    /// Mesenteric vessels: x, y, r.
    pub(super) vessels: Vec<(f64, f64, f64)>,
    pub(super) hu: [f64; N_TISSUES],
    pub(super) tex_coarse: [f64; N_TISSUES],
    pub(super) tex_fine: [f64; N_TISSUES],
    pub(super) noise_sigma: f64,
}

/// The L3 vertebra: body centre y, semi-axes, cortical thickness, canal
/// semi-axes, neural arch thickness, spinous and transverse processes.
struct Spine {
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
}

/// The muscles behind the cavity (layout as in [`Subject`]).
struct BackMuscles {
    erector: (f64, f64, f64, f64, f64),
    psoas: (f64, f64, f64, f64),
    ql: (f64, f64, f64, f64, f64),
}

/// The abdominal wall muscle ring (fields as in [`Subject`]).
struct WallRing {
    gap: f64,
    c_rect: f64,
    t_rect: f64,
    semilunar: f64,
    t_obl: f64,
    s_end: f64,
    t_tr: f64,
    plane: f64,
}

/// Subcutaneous fat and skin (fields as in [`Subject`]).
struct FatLayer {
    f0: f64,
    f_ant: f64,
    f_lat: f64,
    f_post: f64,
    fat_harm: [(f64, f64); 2],
    skin: f64,
}

/// The organs inside the cavity (fields as in [`Subject`]).
struct Organs {
    kidneys: [(f64, f64, f64, f64, f64, f64); 2],
    aorta: (f64, f64, f64),
    ivc: (f64, f64, f64, f64),
    liver: Option<(f64, f64, f64, f64, f64, f64)>,
}

/// The cavity's centre and semi-axes, which place the bowel.
struct Cavity {
    x0: f64,
    yc: f64,
    a_c: f64,
    b_ant: f64,
    b_post: f64,
}

/// `N` radius harmonics as `(A cos φ, A sin φ)`, `A` uniform in `[0, max_amp)`.
fn draw_harmonics<const N: usize>(rng: &mut SeededRng, max_amp: f64) -> [(f64, f64); N] {
    let mut harm = [(0.0, 0.0); N];
    for h in &mut harm {
        let amp = rng.range(0.0, max_amp);
        let ph = rng.range(0.0, TAU);
        *h = (amp * ph.cos(), amp * ph.sin());
    }
    harm
}

impl Spine {
    /// The vertebra, relative to the cavity centre `yc`.
    fn draw(rng: &mut SeededRng, yc: f64) -> Self {
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
        Spine {
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
        }
    }
}

impl BackMuscles {
    /// Erector spinae, psoas and quadratus lumborum, scaled by the muscle factor `m`.
    fn draw(rng: &mut SeededRng, m: f64) -> Self {
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
        BackMuscles { erector, psoas, ql }
    }
}

impl WallRing {
    /// The ring, its thicknesses scaled by the muscle factor `m`.
    fn draw(rng: &mut SeededRng, m: f64) -> Self {
        let gap = rng.range(0.03, 0.06);
        let c_rect = rng.range(0.38, 0.52);
        let t_rect = rng.range(9.0, 15.0) * m;
        let semilunar = rng.range(0.04, 0.08);
        let t_obl = rng.range(15.0, 24.0) * m;
        let s_end = rng.range(0.4, 0.65);
        let t_tr = rng.range(3.0, 5.0) * m;
        let plane = rng.range(2.0, 3.0);
        WallRing {
            gap,
            c_rect,
            t_rect,
            semilunar,
            t_obl,
            s_end,
            t_tr,
            plane,
        }
    }
}

impl FatLayer {
    /// The fat layer and skin, before [`FatLayer::fit_in_view`].
    fn draw(rng: &mut SeededRng) -> Self {
        let f0 = rng.range(6.0, 35.0);
        let f_ant = rng.range(0.2, 0.7);
        let f_lat = rng.range(0.1, 0.5);
        let f_post = rng.range(0.2, 0.5);
        let fat_harm = draw_harmonics(rng, 0.12);
        let skin = rng.range(1.5, 2.5);
        FatLayer {
            f0,
            f_ant,
            f_lat,
            f_post,
            fat_harm,
            skin,
        }
    }

    /// Thins the fat so that the body stays inside the field of view (a
    /// margin of 6 mm); at least 4 mm.
    fn fit_in_view(&mut self, cavity: &Cavity, ring: &WallRing) {
        let c = CT_FOV_MM / 2.0;
        let (x0, yc, a_c, b_ant, b_post) = (
            cavity.x0,
            cavity.yc,
            cavity.a_c,
            cavity.b_ant,
            cavity.b_post,
        );
        let (t_obl, t_rect, skin) = (ring.t_obl, ring.t_rect, self.skin);
        let room_lat = c - 6.0 - (x0 - c).abs() - a_c * 1.1 - t_obl - skin;
        let room_ant = yc - 6.0 - b_ant * 1.1 - t_rect - skin;
        let room_post = CT_FOV_MM - 6.0 - yc - b_post * 1.1 - skin;
        let f_max = (room_lat / ((1.0 + self.f_lat) * 1.12))
            .min(room_ant / ((1.0 + self.f_ant) * 1.12))
            .min(room_post / 1.12);
        self.f0 = self.f0.min(f_max).max(4.0);
    }
}

impl Organs {
    /// Kidneys, aorta, IVC and (in 60 % of subjects) the liver tip.
    fn draw(rng: &mut SeededRng, a_c: f64, b_ant: f64, b_vb: f64) -> Self {
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
        Organs {
            kidneys,
            aorta,
            ivc,
            liver,
        }
    }
}

/// Up to 14–23 bowel loops in the cavity (kept out of the retroperitoneum),
/// then the ascending and descending colon.
fn draw_bowel(rng: &mut SeededRng, cavity: &Cavity, spine: &Spine) -> Vec<Loop> {
    let Cavity {
        x0,
        yc,
        a_c,
        b_ant,
        b_post,
    } = *cavity;
    let (vy, b_vb) = (spine.vy, spine.b_vb);
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
    loops
}

/// 5–10 small mesenteric vessels in front of the spine.
fn draw_vessels(rng: &mut SeededRng, x0: f64, spine: &Spine) -> Vec<(f64, f64, f64)> {
    let (vy, b_vb) = (spine.vy, spine.b_vb);
    let mut vessels = Vec::new();
    for _ in 0..5 + rng.below(6) {
        vessels.push((
            x0 + rng.range(-60.0, 60.0),
            vy - b_vb - rng.range(20.0, 70.0),
            rng.range(1.5, 3.5),
        ));
    }
    vessels
}

/// The mean attenuation (HU) of every tissue; muscle around a mean `μ`
/// drawn first (lower with `myosteatosis`).
fn draw_hu(rng: &mut SeededRng, myosteatosis: bool) -> [f64; N_TISSUES] {
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
    hu
}

/// The coarse and fine texture amplitudes (HU) of every tissue.
fn draw_textures(rng: &mut SeededRng, myosteatosis: bool) -> ([f64; N_TISSUES], [f64; N_TISSUES]) {
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
    (tex_coarse, tex_fine)
}

impl Subject {
    /// Draws a subject from its random stream, step by step in a fixed order.
    pub(super) fn draw(rng: &mut SeededRng) -> Self {
        let c = CT_FOV_MM / 2.0;
        let x0 = c + rng.range(-10.0, 10.0);
        let yc = c + rng.range(-12.0, 6.0);
        let m = rng.range(1.0, 1.35);
        let a_c = rng.range(100.0, 128.0);
        let b_ant = rng.range(62.0, 92.0);
        let cav_harm = draw_harmonics(rng, 0.03);
        let spine = Spine::draw(rng, yc);
        let back = BackMuscles::draw(rng, m);
        // Back of the erector spinae (mm below vy) fixes the posterior cavity extent.
        let (canal, erector) = (spine.canal, back.erector);
        let canal_back = spine.b_vb + 1.0 + 2.0 * canal.1;
        let er_back = canal_back - canal.1 + erector.1 + erector.3;
        let b_post =
            (spine.vy - yc) + er_back.max(canal_back + spine.arch + spine.sp_len - 4.0) + 3.0;
        let cavity = Cavity {
            x0,
            yc,
            a_c,
            b_ant,
            b_post,
        };
        let ring = WallRing::draw(rng, m);
        let mut fat = FatLayer::draw(rng);
        fat.fit_in_view(&cavity, &ring);
        let organs = Organs::draw(rng, a_c, b_ant, spine.b_vb);
        let loops = draw_bowel(rng, &cavity, &spine);
        let vessels = draw_vessels(rng, x0, &spine);
        let myosteatosis = rng.uniform() < 0.25;
        let hu = draw_hu(rng, myosteatosis);
        let (tex_coarse, tex_fine) = draw_textures(rng, myosteatosis);
        let noise_sigma = rng.range(15.0, 25.0);
        Subject {
            x0,
            yc,
            a_c,
            b_ant,
            b_post,
            cav_harm,
            gap: ring.gap,
            c_rect: ring.c_rect,
            t_rect: ring.t_rect,
            semilunar: ring.semilunar,
            t_obl: ring.t_obl,
            s_end: ring.s_end,
            t_tr: ring.t_tr,
            plane: ring.plane,
            f0: fat.f0,
            f_ant: fat.f_ant,
            f_lat: fat.f_lat,
            f_post: fat.f_post,
            fat_harm: fat.fat_harm,
            skin: fat.skin,
            vy: spine.vy,
            a_vb: spine.a_vb,
            b_vb: spine.b_vb,
            cort: spine.cort,
            canal: spine.canal,
            arch: spine.arch,
            sp_len: spine.sp_len,
            tp_len: spine.tp_len,
            tp_ang: spine.tp_ang,
            tp_h: spine.tp_h,
            erector: back.erector,
            psoas: back.psoas,
            ql: back.ql,
            kidneys: organs.kidneys,
            aorta: organs.aorta,
            ivc: organs.ivc,
            liver: organs.liver,
            loops,
            vessels,
            hu,
            tex_coarse,
            tex_fine,
            noise_sigma,
        }
    }
}
