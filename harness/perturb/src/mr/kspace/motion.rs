//! The rigid-motion artefact: the kernels [`motion`] and
//! [`motion_with_centre`] and the registered [`Motion`], after TorchIO 1.2.1
//! `Motion` / `RandomMotion`.

use sensibench_core::{Image, LabelMap, Params, Perturbation, Result, SEVERITY_LEVELS, SeededRng};

use super::rigid::{Rigid, RigidMove, RotationCentre, moved_minus_unmoved};
use crate::mr::fft;
use crate::mr::options::{integer_option, number_option};
use crate::mr::parallel::sum_min;
use crate::mr::severity::{ApplyLevel, Severity, SeverityLevels};
use crate::options::{finite, invalid, magnitude, unchanged};

/// The motion kernel: [`motion_with_centre`] about [`RotationCentre::ImageCentre`].
pub fn motion(image: &Image, moves: &[RigidMove]) -> Result<Image> {
    motion_with_centre(image, moves, RotationCentre::ImageCentre)
}

/// The motion kernel (TorchIO `Motion.add_artifact`, Shaw et al. 2019):
///
/// 1. Images `I_0 = x` and `I_s = x ∘ T_s` (`s = 1..=N`), resampled like
///    SimpleITK's `ResampleImageFilter` with linear interpolation: with the
///    LPS direction `D = diag(−1, −1, 1)` and spacing `Sp` (TorchIO order)
///    that TorchIO's `nib_to_sitk` gives, the output index `u` samples the
///    input at `u' = A(u − c) + c + Sp⁻¹·D·t`, `A = Sp⁻¹·D·R·D·Sp`, `R` the
///    Euler matrix; `u'` outside `[−½, n − ½)` on any axis gives the default
///    value (the image minimum, TorchIO's choice), inside it is the
///    trilinear interpolation with indices clamped to `[0, n − 1]` (ITK's
///    `LinearInterpolateImageFunction`; where `u'_i ≥ n − 1` ours may
///    differ by one `f32` rounding, see `interpolate_row`). Rounded to
///    `f32` like SimpleITK's `sitkFloat32` output.
/// 2. TorchIO's `sort_spectra`: with `i` the first move whose time is
///    `> 0.5` (else `N`), image `I_0` and image `I_i` swap places in the list
///    (so the unmoved image fills the k-space band holding the centre).
/// 3. Along the segment axis (length `n`), list entry `p` fills the shifted
///    k-space positions `[⌊n·t_{p−1}⌋, ⌊n·t_p⌋)` (`t_{−1} = 0`, `t_N = 1`);
///    `x' = Re(ifftn(Σ_p M_p·fftn(I_p)))`, computed exactly as
///    `Σ_p Re(ifft_a(M_p·fft_a(I_p)))` (1D FFTs along the segment axis),
///    and, as the masks partition k-space (`Σ_p M_p = 1`), as
///    `x + Σ_{p : I_p ≠ x} Re(ifft_a(M_p·fft_a(I_p − x)))`: no FFT for the
///    unmoved image nor for a move with zero angles and shifts.
///
/// Differences from TorchIO, all deliberate:
/// - **Rotation centre**: TorchIO 1.2.1 computes the image centre but then
///   drops it (see [`RotationCentre::Origin`]), so its rotations turn about
///   the first voxel, and a few degrees move the far corner of a 256² image
///   by tens of voxels. We rotate about TorchIO's intended centre
///   (continuous index `size/2`, half a voxel past the geometric centre,
///   as TorchIO computes it); [`motion_with_centre`] with
///   [`RotationCentre::Origin`] reproduces TorchIO as released.
/// - **Segment axis of 2D images**: TorchIO segments along its last axis,
///   of size 1 for a 2D image, so its 2D output is just the last listed
///   image (a rigid move, no artefact). We segment along TorchIO's last axis
///   of size > 1: our `z` for 3D (as TorchIO), our `x` for 2D.
/// - For a 2D image only the in-plane part of each move is used
///   (`degrees[0..2]` and `translation[2]` are taken as 0), as TorchIO's
///   `RandomMotion` does for 2D images.
/// - `⌊n·t⌋` is taken in `f64` (TorchIO: `float32` times); this differs
///   only when `n·t` is within ~1e-7 of an integer.
///
/// Identity: no moves, or only moves with zero angles and shifts (the input
/// is returned unchanged; TorchIO would round-trip the FFT). Errors
/// (`motion.degrees`, `motion.translation`, `motion.time`): non-finite
/// angles or shifts, times outside `[0, 1]` or decreasing.
pub fn motion_with_centre(
    image: &Image,
    moves: &[RigidMove],
    centre: RotationCentre,
) -> Result<Image> {
    let mut previous = 0.0;
    for mv in moves {
        for &d in &mv.degrees {
            finite("motion", "degrees", d)?;
        }
        for &t in &mv.translation {
            finite("motion", "translation", t)?;
        }
        if !(mv.time.is_finite() && (previous..=1.0).contains(&mv.time)) {
            return Err(invalid(
                "motion",
                "time",
                mv.time,
                "times in [0, 1], non-decreasing",
            ));
        }
        previous = mv.time;
    }
    if moves.is_empty() {
        return Ok(image.clone());
    }
    let grid = image.grid();
    let dims = grid.dims();
    let is_2d = grid.ndim() == 2;
    // `Image::min_max().0` (NaN ignored), in one parallel pass; its rare
    // no-finite-minimum cases (all NaN or +∞) from `min_max` itself.
    let min = sum_min(image.data()).1;
    let min = if min < f32::INFINITY {
        min
    } else {
        image.min_max().0
    };
    let fill = f64::from(min);
    // D_s = I_s − I_0; `None` for a move that leaves the image unchanged.
    let moved: Vec<Option<Vec<f32>>> = moves
        .iter()
        .map(|mv| {
            let mut mv = *mv;
            if is_2d {
                mv.degrees[0] = 0.0;
                mv.degrees[1] = 0.0;
                mv.translation[2] = 0.0;
            }
            (!Rigid::is_identity(&mv))
                .then(|| moved_minus_unmoved(image, &Rigid::new(image, &mv, centre), fill))
        })
        .collect();
    // List of images after TorchIO's sort_spectra.
    let mut order: Vec<usize> = (0..=moves.len()).collect();
    let swap = moves
        .iter()
        .position(|m| m.time > 0.5)
        .unwrap_or(moves.len());
    order.swap(0, swap);
    let axis = if is_2d { 2 } else { 0 };
    let n = dims[axis];
    let mut bounds: Vec<usize> = moves
        .iter()
        .map(|m| ((n as f64 * m.time).floor() as usize).min(n))
        .collect();
    bounds.push(n);
    // The masks M_p partition k-space (Σ_p M_p = 1), so
    // Σ_p M_p·F(I_p) = F(I_0) + Σ_{p≠0} M_p·F(I_p − I_0): one FFT pass fewer,
    // and none at all for the unmoved image and unchanged copies.
    let mut terms: Vec<(&[f32], Vec<f64>)> = Vec::new();
    let mut ini = 0;
    for (&which, &fin) in order.iter().zip(&bounds) {
        if fin > ini
            && which != 0
            && let Some(diff) = &moved[which - 1]
        {
            let mask: Vec<f64> = (0..n)
                .map(|m| if (ini..fin).contains(&m) { 1.0 } else { 0.0 })
                .collect();
            terms.push((diff, fft::symmetrised(&mask)));
        }
        ini = fin;
    }
    if terms.is_empty() {
        return Ok(image.clone());
    }
    let refs: Vec<(&[f32], &[f64])> = terms.iter().map(|(d, w)| (*d, w.as_slice())).collect();
    let data = fft::filter_along_axis(dims, axis, &refs, Some(image.data()));
    Image::new(grid.clone(), data)
}

/// Draws `count` moves like TorchIO's `RandomMotion.get_params`: all angles
/// (`count × 3`, row-major), then all shifts, then the time jitter; times
/// `t_i = (i + 1)/(count + 1) + U(−0.3, 0.3)/(count + 1)`. Each angle /
/// shift component is `U(−hi, hi)` when `lo` is `None`, else `±U(lo, hi)`
/// with a random sign (the sign drawn after the magnitude).
fn draw_moves(
    rng: &mut SeededRng,
    count: usize,
    degrees: (Option<f64>, f64),
    shift: (Option<f64>, f64),
) -> Vec<RigidMove> {
    let component = |rng: &mut SeededRng, (lo, hi): (Option<f64>, f64)| match lo {
        None => rng.range(-hi, hi),
        Some(lo) => {
            let m = rng.range(lo, hi);
            if rng.uniform() < 0.5 { -m } else { m }
        }
    };
    let angles: Vec<[f64; 3]> = (0..count)
        .map(|_| std::array::from_fn(|_| component(rng, degrees)))
        .collect();
    let shifts: Vec<[f64; 3]> = (0..count)
        .map(|_| std::array::from_fn(|_| component(rng, shift)))
        .collect();
    let step = 1.0 / (count + 1) as f64;
    angles
        .into_iter()
        .zip(shifts)
        .enumerate()
        .map(|(i, (degrees, translation))| RigidMove {
            degrees,
            translation,
            time: (i + 1) as f64 * step + rng.range(-0.3 * step, 0.3 * step),
        })
        .collect()
}

/// MR rigid-motion artefact, swept by `degrees` (the largest |rotation| of a
/// movement): TorchIO `RandomMotion(degrees, translation, num_transforms)`
/// with the kernel [`motion`] (formula, rotation centre, 2D segment axis and
/// other differences from TorchIO documented there).
///
/// Draws, from the rng, `movements` moves like TorchIO: each angle
/// `U(−degrees, degrees)`, each shift `U(−translation, translation)` mm, times
/// `i/(movements+1)` jittered by `±0.3/(movements+1)` (see TorchIO
/// `get_params`; for a 2D image the out-of-plane components are drawn and
/// then zeroed, as TorchIO does). Options: `translation` (mm, ≥ 0, default
/// 0), `movements` (integer `1..=16`, default 2; TorchIO `num_transforms`).
/// Identity: 0 degrees, whatever `translation` (a motion sweep sweeps the
/// rotation; the shifts ride along with every non-zero point). No numbers
/// are drawn at the identity.
///
/// Severity scale ([`Severity<Motion>`](Severity), no options): 2
/// movements, every
/// angle component `±U(lo, hi)` degrees and every shift component
/// `±U(lo, hi)` mm (random sign, drawn from the rng), at the fixed times
/// `0.5 ∓ w/2`, so the unmoved image fills the central band of width `w`
/// of k-space along the segment axis:
///
/// | level | `[lo, hi]` (deg and mm) | `w` |
/// |---|---|---|
/// | 1 | [0, 2] | 0.8 |
/// | 2 | [2, 4] | 0.5 |
/// | 3 | [4, 6] | 0.3 |
/// | 4 | [6, 8] | 0.15 |
/// | 5 | [8, 10] | 0.05 |
///
/// Level 5 reaches TorchIO's `RandomMotion` defaults (degrees 10,
/// translation 10, 2 transforms). Why the band: the moved copies only
/// supply the k-space outside the central band, and there (periods of a few
/// voxels) a shift of a voxel or two already wraps the phase, so with
/// TorchIO's times (about 1/3 and 2/3) the change does not grow with the
/// move size (measured on a smooth phantom: level 5 could be weaker than
/// level 1). Narrowing the band as the moves grow makes the levels ordered
/// draw by draw (tested on 16 seeds per level, 2D and 3D).
#[derive(Clone, Debug)]
pub struct Motion {
    /// Largest |shift| per axis, mm.
    pub translation: f64,
    /// Number of movements.
    pub movements: usize,
}

impl Motion {
    /// Registered name.
    pub const NAME: &'static str = "motion";
    /// Binds options (`translation`, `movements`).
    pub fn from_params(params: &Params) -> Result<Self> {
        params.check_known(Self::NAME, &["translation", "movements"])?;
        Ok(Motion {
            translation: number_option(params, Self::NAME, "translation", 0.0, 0.0, 1e6)?,
            movements: integer_option(params, Self::NAME, "movements", 2, 1, 16)?,
        })
    }
}

impl Perturbation for Motion {
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        value: f64,
        rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        let Some(degrees) = magnitude(Self::NAME, "degrees", value, "an angle >= 0")? else {
            return Ok(unchanged(image, mask));
        };
        let moves = draw_moves(
            rng,
            self.movements,
            (None, degrees),
            (None, self.translation),
        );
        Ok((motion(image, &moves)?, mask.cloned()))
    }
}

/// Motion movements of every severity level.
const LEVEL_MOVES: usize = 2;

impl SeverityLevels for Motion {
    /// `(lo, hi, band)`: every |angle| component (deg) and |shift| component
    /// (mm) in `[lo, hi]`, and the width of the central k-space band kept
    /// from the unmoved image.
    type Level = (f64, f64, f64);
    const NAME: &'static str = Motion::NAME;
    const SCALE: [(&'static str, (f64, f64, f64)); SEVERITY_LEVELS] = [
        (
            "2 moves, |angles| 0-2 deg, |shifts| 0-2 mm, unmoved k-space band 0.8",
            (0.0, 2.0, 0.8),
        ),
        (
            "2 moves, |angles| 2-4 deg, |shifts| 2-4 mm, unmoved k-space band 0.5",
            (2.0, 4.0, 0.5),
        ),
        (
            "2 moves, |angles| 4-6 deg, |shifts| 4-6 mm, unmoved k-space band 0.3",
            (4.0, 6.0, 0.3),
        ),
        (
            "2 moves, |angles| 6-8 deg, |shifts| 6-8 mm, unmoved k-space band 0.15",
            (6.0, 8.0, 0.15),
        ),
        (
            "2 moves, |angles| 8-10 deg, |shifts| 8-10 mm, unmoved k-space band 0.05",
            (8.0, 10.0, 0.05),
        ),
    ];
    /// No options; the level sets the moves.
    fn bind_severity(params: &Params) -> Result<Self> {
        params.check_known(Motion::NAME, &[])?;
        Ok(Motion {
            translation: 0.0,
            movements: LEVEL_MOVES,
        })
    }
}

/// `LEVEL_MOVES` (2) moves with every angle and shift component `±U(lo, hi)`,
/// at the times `0.5 ∓ band/2`.
impl ApplyLevel<(f64, f64, f64)> for Motion {
    fn apply_level(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        level: (f64, f64, f64),
        rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        let (lo, hi, w) = level;
        let mut moves = draw_moves(rng, LEVEL_MOVES, (Some(lo), hi), (Some(lo), hi));
        moves[0].time = 0.5 - w / 2.0;
        moves[1].time = 0.5 + w / 2.0;
        Ok((motion(image, &moves)?, mask.cloned()))
    }
}

/// [`Motion`] bound to its severity scale (the swept value is the level
/// 0..=5); no options.
pub type MotionSeverity = Severity<Motion>;
