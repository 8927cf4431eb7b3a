//! The bias field artefact: the kernel [`bias_field`] and the registered
//! [`BiasField`], after TorchIO 1.2.1 `BiasField` / `RandomBiasField`.

use sensibench_core::{
    Error, Image, LabelMap, Params, Perturbation, Result, SEVERITY_LEVELS, SeededRng,
};

use crate::mr::options::integer_option;
use crate::mr::parallel::for_each_chunk_batched;
use crate::mr::severity::{self, SeverityLevels};
use crate::options::{magnitude, unchanged};

/// The number of polynomial coefficients of a bias field of `order`:
/// `(order+1)(order+2)(order+3)/6`, TorchIO's count for a 3D field (also
/// used for 2D images, where the terms with a z power vanish).
pub fn bias_field_terms(order: usize) -> usize {
    (order + 1) * (order + 2) * (order + 3) / 6
}

/// The normalised coordinates of an axis of `n` voxels as TorchIO computes
/// them: `q_i = (i − (n−1)/2) / ((n−1)/2)` in `[−1, 1]`; all 0 when `n = 1`.
fn bias_coordinates(n: usize) -> Vec<f64> {
    let half = (n as f64 - 1.0) / 2.0;
    (0..n)
        .map(|i| {
            let q = i as f64 - half;
            if half > 0.0 { q / half } else { q }
        })
        .collect()
}

/// `powers[i * (order + 1) + p] = q_i^p` (with `0^0 = 1`, as numpy).
fn powers(q: &[f64], order: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(q.len() * (order + 1));
    for &v in q {
        let mut p = 1.0;
        for _ in 0..=order {
            out.push(p);
            p *= v;
        }
    }
    out
}

/// Multiplies `image` by the bias field `exp(Σ c_abc · Y^a · X^b · Z^c)`
/// (see [`BiasField`] for the coordinates and the coefficient order).
/// `coefficients` must hold [`bias_field_terms`]`(order)` finite values.
pub fn bias_field(image: &Image, order: usize, coefficients: &[f64]) -> Result<Image> {
    if order > BiasField::MAX_ORDER {
        return Err(Error::invalid(
            "bias_field.order",
            order,
            &format!("an order from 0 to {}", BiasField::MAX_ORDER),
        ));
    }
    let n_terms = bias_field_terms(order);
    if coefficients.len() != n_terms {
        return Err(Error::invalid(
            "bias_field.coefficients",
            format!("{} values", coefficients.len()),
            &format!("{n_terms} coefficients for order {order}"),
        ));
    }
    if coefficients.iter().any(|c| !c.is_finite()) {
        return Err(Error::invalid(
            "bias_field.coefficients",
            format!("{coefficients:?}"),
            "finite numbers",
        ));
    }
    let grid = image.grid();
    let [d, h, w] = grid.dims();
    let k = order + 1;
    let zp = powers(&bias_coordinates(d), order);
    let yp = powers(&bias_coordinates(h), order);
    let xp = powers(&bias_coordinates(w), order);
    // Per (z, y) row, the polynomial in X: p_b = Σ_{a,c} coef_abc · Y^a · Z^c.
    let src = image.data();
    let mut out = vec![0.0f32; src.len()];
    for_each_chunk_batched(&mut out, w, |row, dst| {
        let (z, y) = (row / h, row % h);
        let (zp, yp) = (&zp[z * k..(z + 1) * k], &yp[y * k..(y + 1) * k]);
        let mut buf = [0.0f64; BiasField::MAX_ORDER + 1];
        let poly = &mut buf[..k];
        // TorchIO's term order: y power a, then x power b, then z power c.
        let mut coef = coefficients.iter();
        for (a, ya) in yp.iter().enumerate() {
            for (b, pb) in poly.iter_mut().enumerate().take(k - a) {
                for zc in &zp[..k - a - b] {
                    // the count was checked above
                    *pb += coef.next().copied().unwrap_or(0.0) * ya * zc;
                }
            }
        }
        let srow = &src[row * w..(row + 1) * w];
        for (x, (o, &v)) in dst.iter_mut().zip(srow).enumerate() {
            let xs = &xp[x * k..(x + 1) * k];
            let mut s = 0.0;
            for (p, xv) in poly.iter().zip(xs) {
                s += p * xv;
            }
            *o = v * (s.exp() as f32);
        }
    });
    Image::new(grid.clone(), out)
}

/// MR bias field (smooth multiplicative intensity inhomogeneity), TorchIO
/// `RandomBiasField`/`BiasField`:
///
/// `x' = x · f32(exp(Σ_{a+b+c ≤ order} k_abc · Y^a · X^b · Z^c))`,
///
/// with normalised coordinates per axis of `n` voxels `q_i = (i − (n−1)/2) /
/// ((n−1)/2)` ∈ [−1, 1] (TorchIO's `np.arange(-n/2, n/2) + 0.5` divided by
/// its maximum); Y, X, Z are our y, x, z (TorchIO's meshes of spatial axes
/// 0, 1, 2 after its transpose). The coefficients are listed in TorchIO's
/// loop order: `a` (y power) outermost, then `b` (x), then `c` (z), `a, b,
/// c ≥ 0`, [`bias_field_terms`]`(order)` of them. The field is evaluated in
/// `f64`, exponentiated, rounded to `f32` and multiplied in `f32`, as
/// TorchIO does. Random draws: every coefficient uniform in `[−c, c)`
/// ([`SeededRng::range`]) in that order (TorchIO: `U(−c, c)` per
/// coefficient). The mask is unchanged. Identity: 0 (no draws); c ≥ 0.
///
/// Differences from TorchIO: none in the formula. On a 2D image (one z
/// voxel) TorchIO's z coordinate is 0 (its normalisation skips a zero
/// maximum), so only terms with `c = 0` act; we keep TorchIO's coefficient
/// count and draws (the z terms are drawn and have no effect). Fixtures
/// agree to ≤ 1e-5 relative (order 1 and 3, 2D and 3D).
///
/// Severity (levels 1..=5): order 3 with c = 0.1, 0.2, 0.3, 0.4, 0.5. Level
/// 5 is TorchIO's default `RandomBiasField(coefficients=0.5, order=3)`
/// (also ROOD-MRI's strongest bias setting is of this magnitude); lower
/// levels scale the coefficient bound linearly, so the log-field's amplitude
/// grows linearly with the level.
#[derive(Clone, Debug)]
pub struct BiasField {
    /// Polynomial order (TorchIO `order`).
    pub order: usize,
}

impl BiasField {
    /// Registered name.
    pub const NAME: &'static str = "bias_field";
    /// Highest accepted order (TorchIO has no limit; 12 already gives 455 terms).
    pub const MAX_ORDER: usize = 12;
    /// Severity levels 1..=5: the coefficient bound at order 3.
    pub const LEVELS: [f64; 5] = severity::parameters(&Self::SCALE);
    /// Binds options (`order`, an integer 0..=12, default 3).
    pub fn from_params(params: &Params) -> Result<Self> {
        params.check_known(Self::NAME, &["order"])?;
        Ok(BiasField {
            order: integer_option(params, Self::NAME, "order", 3, 0, Self::MAX_ORDER)?,
        })
    }
}

impl Perturbation for BiasField {
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        value: f64,
        rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        let Some(c) = magnitude(
            Self::NAME,
            "coefficients",
            value,
            "a coefficient bound >= 0",
        )?
        else {
            return Ok(unchanged(image, mask));
        };
        let coefficients: Vec<f64> = (0..bias_field_terms(self.order))
            .map(|_| rng.range(-c, c))
            .collect();
        Ok((bias_field(image, self.order, &coefficients)?, mask.cloned()))
    }
}

impl SeverityLevels for BiasField {
    type Level = f64;
    const NAME: &'static str = BiasField::NAME;
    /// The coefficient bound at order 3.
    const SCALE: [(&'static str, f64); SEVERITY_LEVELS] = [
        ("coefficients 0.1, order 3", 0.1),
        ("coefficients 0.2, order 3", 0.2),
        ("coefficients 0.3, order 3", 0.3),
        ("coefficients 0.4, order 3", 0.4),
        ("coefficients 0.5, order 3", 0.5),
    ];
    /// No options; order 3.
    fn bind_severity(params: &Params) -> Result<Self> {
        params.check_known(BiasField::NAME, &[])?;
        Ok(BiasField { order: 3 })
    }
}
