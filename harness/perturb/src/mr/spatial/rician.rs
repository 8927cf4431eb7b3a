//! The Rician noise artefact: the kernel [`rician`] with explicit draws
//! and the registered [`RicianNoise`] (MONAI 1.6 `RandRicianNoise`'s
//! formula), with its ziggurat normal sampler.

use sensibench_core::{
    Error, Image, LabelMap, Params, Perturbation, Result, SEVERITY_LEVELS, SeededRng,
};

use crate::mr::parallel::for_each_chunk_batched;
use crate::mr::severity::{self, SeverityLevels};
use crate::options::{invalid, noise_sigma, unchanged};

/// Standard normals by the ziggurat method (Doornik 2005, "An improved
/// ziggurat method to generate normal random samples" — ZIGNOR, 128
/// layers), consuming 64-bit words of a [`SeededRng`]: each try takes one
/// word (53 bits for the abscissa, the low 7 bits for the layer); about 1.2%
/// of tries need more (wedge or tail). Several times faster than
/// [`SeededRng::normal`]'s Box–Muller, which computes a logarithm, a square
/// root and two trigonometric functions per pair.
struct Ziggurat {
    /// Layer edges `x[0] = V/f(R) > x[1] = R > … > x[128] = 0`.
    x: [f64; 129],
    /// `x[i+1] / x[i]`: the rectangle test of layer `i`.
    ratio: [f64; 128],
}

impl Ziggurat {
    const R: f64 = 3.442_619_855_899;
    const V: f64 = 9.912_563_035_262_17e-3;

    fn new() -> Self {
        let f = |x: f64| (-0.5 * x * x).exp();
        let mut x = [0.0; 129];
        x[0] = Self::V / f(Self::R);
        x[1] = Self::R;
        for i in 2..128 {
            x[i] = (-2.0 * (Self::V / x[i - 1] + f(x[i - 1])).ln()).sqrt();
        }
        x[128] = 0.0;
        let mut ratio = [0.0; 128];
        for (i, r) in ratio.iter_mut().enumerate() {
            *r = x[i + 1] / x[i];
        }
        Ziggurat { x, ratio }
    }

    fn get() -> &'static Ziggurat {
        static TABLE: std::sync::OnceLock<Ziggurat> = std::sync::OnceLock::new();
        TABLE.get_or_init(Ziggurat::new)
    }

    /// One standard normal draw.
    #[inline]
    fn sample(&self, rng: &mut SeededRng) -> f64 {
        loop {
            let bits = rng.next_u64();
            let i = (bits & 0x7f) as usize;
            let u = 2.0 * ((bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)) - 1.0;
            if u.abs() < self.ratio[i] {
                return u * self.x[i];
            }
            if i == 0 {
                // the tail beyond R (Marsaglia 1964)
                loop {
                    let a = -(1.0 - rng.uniform()).ln() / Self::R;
                    let b = -(1.0 - rng.uniform()).ln();
                    if 2.0 * b > a * a {
                        return if u < 0.0 { -(Self::R + a) } else { Self::R + a };
                    }
                }
            }
            let xx = u * self.x[i];
            let f0 = (-0.5 * (self.x[i] * self.x[i] - xx * xx)).exp();
            let f1 = (-0.5 * (self.x[i + 1] * self.x[i + 1] - xx * xx)).exp();
            if f1 + rng.uniform() * (f0 - f1) < 1.0 {
                return xx;
            }
        }
    }
}

/// Voxels per independent random stream of [`RicianNoise`].
pub const RICIAN_STREAM_LEN: usize = 4096;

#[inline]
fn rician_value(x: f32, sigma: f64, n1: f64, n2: f64) -> f32 {
    let re = f64::from(x) + sigma * n1;
    let im = sigma * n2;
    (re * re + im * im).sqrt() as f32
}

/// Rician noise with explicit draws: `x' = sqrt((x + σ·n1)² + (σ·n2)²)`
/// per voxel, σ in intensity units, `n1`, `n2` the standard-normal draws
/// (one per voxel each, row-major). Computed in `f64`, rounded to `f32`.
pub fn rician(image: &Image, sigma: f64, n1: &[f32], n2: &[f32]) -> Result<Image> {
    if !sigma.is_finite() || sigma < 0.0 {
        return Err(invalid(
            RicianNoise::NAME,
            "sigma",
            sigma,
            "a standard deviation >= 0",
        ));
    }
    let n = image.data().len();
    if n1.len() != n || n2.len() != n {
        return Err(Error::Shape {
            what: "rician_noise draws".into(),
            expected: format!("{n} values each"),
            found: format!("{} and {}", n1.len(), n2.len()),
        });
    }
    let src = image.data();
    let mut out = vec![0.0f32; n];
    for_each_chunk_batched(&mut out, RICIAN_STREAM_LEN, |k, dst| {
        let off = k * RICIAN_STREAM_LEN;
        for (j, o) in dst.iter_mut().enumerate() {
            let i = off + j;
            *o = rician_value(src[i], sigma, f64::from(n1[i]), f64::from(n2[i]));
        }
    });
    Image::new(image.grid().clone(), out)
}

/// Rician noise (the magnitude of complex data with Gaussian noise in both
/// channels), MONAI `RandRicianNoise`'s formula:
///
/// `x' = sqrt((x + σ_a·n1)² + (σ_a·n2)²)`, `n1, n2 ~ N(0, 1)` per voxel,
///
/// with `σ_a = σ·(max − min)` of the image (default, like `gaussian_noise`)
/// or `σ_a = σ` with option `absolute: true`. Computed in `f64`, rounded to
/// `f32` (see [`rician`]). The mask is unchanged. Identity: 0 (no draws;
/// note the formula itself at σ = 0 would return `|x|`); σ ≥ 0. Intended
/// for non-negative magnitude images: a negative `x` comes out as a
/// magnitude too.
///
/// Random draws: the voxels are split into consecutive runs of
/// [`RICIAN_STREAM_LEN`]; for each run in order one `u64` is drawn from the
/// passed rng and seeds an independent [`SeededRng`], which gives `n1` then
/// `n2` for each voxel of the run, standard normals by the ziggurat method
/// (Doornik's ZIGNOR, 128 layers, on [`SeededRng::next_u64`]; faster than
/// the Box–Muller of [`SeededRng::normal`]). The result is independent of
/// the number of threads.
///
/// Differences from MONAI: TorchIO has no Rician transform. MONAI's
/// `relative=True` scales its `std` by the image's standard deviation and
/// its `sample_std=True` (default) draws the std uniformly in `[0, std]`;
/// we use a fixed σ relative to the intensity range, as our
/// `gaussian_noise` does, and `mean = 0`. MONAI draws all `n1` then all `n2`
/// from numpy and computes in `f32`; fixtures agree to ≤ 1e-6 of the range.
///
/// Severity (levels 1..=5): σ = 0.01, 0.025, 0.05, 0.075, 0.1 of the range
/// (`absolute` not allowed). MR magnitude images typically have an SNR of
/// 10 to 100 relative to tissue; ROOD-MRI-style noise levels span roughly 1%
/// to 10% of the intensity range, level 3 is the bench case (0.05).
#[derive(Clone, Debug, Default)]
pub struct RicianNoise {
    /// σ in intensity units instead of a fraction of the range.
    pub absolute: bool,
}

impl RicianNoise {
    /// Registered name.
    pub const NAME: &'static str = "rician_noise";
    /// Severity levels 1..=5: σ as a fraction of the range.
    pub const LEVELS: [f64; 5] = severity::parameters(&Self::SCALE);
    /// Binds options (`absolute`, default false).
    pub fn from_params(params: &Params) -> Result<Self> {
        params.check_known(Self::NAME, &["absolute"])?;
        Ok(RicianNoise {
            absolute: params.flag("absolute", false)?,
        })
    }
}

impl Perturbation for RicianNoise {
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        value: f64,
        rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        let Some(scale) = noise_sigma(Self::NAME, value, self.absolute, image)? else {
            return Ok(unchanged(image, mask));
        };
        let src = image.data();
        let seeds: Vec<u64> = (0..src.len().div_ceil(RICIAN_STREAM_LEN))
            .map(|_| rng.next_u64())
            .collect();
        let zig = Ziggurat::get();
        let mut out = vec![0.0f32; src.len()];
        for_each_chunk_batched(&mut out, RICIAN_STREAM_LEN, |k, dst| {
            let mut r = SeededRng::new(seeds[k]);
            let s = &src[k * RICIAN_STREAM_LEN..];
            for (o, &x) in dst.iter_mut().zip(s) {
                let n1 = zig.sample(&mut r);
                let n2 = zig.sample(&mut r);
                *o = rician_value(x, scale, n1, n2);
            }
        });
        Ok((Image::new(image.grid().clone(), out)?, mask.cloned()))
    }
}

impl SeverityLevels for RicianNoise {
    type Level = f64;
    const NAME: &'static str = RicianNoise::NAME;
    /// σ as a fraction of the range.
    const SCALE: [(&'static str, f64); SEVERITY_LEVELS] = [
        ("sigma 0.01 of range", 0.01),
        ("sigma 0.025 of range", 0.025),
        ("sigma 0.05 of range", 0.05),
        ("sigma 0.075 of range", 0.075),
        ("sigma 0.1 of range", 0.1),
    ];
    /// No options (`absolute` not allowed).
    fn bind_severity(params: &Params) -> Result<Self> {
        params.check_known(RicianNoise::NAME, &[])?;
        Ok(RicianNoise { absolute: false })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ziggurat_is_standard_normal() {
        let zig = Ziggurat::get();
        // the layers close: the last edge before 0 is tiny, the areas agree
        assert!(zig.x[127] > 0.0 && zig.x[127] < 0.3, "{}", zig.x[127]);
        let mut rng = SeededRng::new(42);
        let n = 400_000;
        let (mut s1, mut s2, mut s4) = (0.0, 0.0, 0.0);
        let (mut beyond1, mut beyond3) = (0usize, 0usize);
        for _ in 0..n {
            let z = zig.sample(&mut rng);
            s1 += z;
            s2 += z * z;
            s4 += z * z * z * z;
            beyond1 += usize::from(z.abs() > 1.0);
            beyond3 += usize::from(z.abs() > 3.0);
        }
        let nf = n as f64;
        // standard errors: mean 1/sqrt(n) = 0.0016, var sqrt(2/n) = 0.0022
        assert!((s1 / nf).abs() < 0.008, "mean {}", s1 / nf);
        assert!((s2 / nf - 1.0).abs() < 0.011, "variance {}", s2 / nf);
        assert!((s4 / nf - 3.0).abs() < 0.06, "fourth moment {}", s4 / nf);
        // P(|z| > 1) = 0.31731, P(|z| > 3) = 0.0026998
        let p1 = beyond1 as f64 / nf;
        let p3 = beyond3 as f64 / nf;
        assert!((p1 - 0.31731).abs() < 0.004, "P(|z|>1) {p1}");
        assert!((p3 - 0.0026998).abs() < 0.0005, "P(|z|>3) {p3}");
    }
}
