//! Bradley–Terry aggregation of rankings into one ordinal score per image.
//!
//! **Comparisons.** A batch ranked `a1, a2, …, am` (basal to apical) implies
//! the `m(m − 1)/2` comparisons "`ai` is more basal than `aj`" for `i < j`
//! ([`pairwise`](crate::pairwise)). In Bradley–Terry terms the more apical
//! image "wins": `P(aj more apical than ai) = σ(θ_aj − θ_ai)` with
//! `σ(x) = 1 / (1 + e^{−x})`, so a larger score is more apical.
//!
//! **Estimator.** The maximum-likelihood estimate does not exist when an
//! image is never beaten (or never beats), so the scores minimise the
//! L2-penalised negative log-likelihood of `choix.opt_pairwise(n, data,
//! alpha)` (choix 0.4.1, `PairwiseFcts.objective`):
//!
//! `f(θ) = α Σ_i θ_i² + Σ_{(w, l)} log(1 + e^{−(θ_w − θ_l)})`
//!
//! over all comparisons `(winner w = more apical, loser l = more basal)`,
//! with `α > 0` ([`DEFAULT_ALPHA`] = 0.01; the MAP estimate under an
//! independent Gaussian prior `θ_i ~ N(0, 1/(2α))`). `f` is strictly convex,
//! so the minimiser is unique; since the likelihood term is invariant to a
//! common shift, its gradient sums to zero and at the optimum
//! `2α Σ θ_i = 0`: the scores have mean 0 (the fit subtracts the residual
//! mean of the solver, ≤ 1e-10/(2α), from the compared images). An image
//! that is never compared has score exactly 0.
//!
//! **Solver.** Newton's method from `θ = 0`: the step solves `H d = −∇f`
//! by conjugate gradients with a Jacobi preconditioner (relative residual
//! `1e-12`; `H = 2αI + Σ_pairs n_ij p_ij (1 − p_ij) (e_i − e_j)(e_i − e_j)ᵀ`
//! is a weighted graph Laplacian plus `2αI`, so positive definite), then an
//! Armijo backtracking line search (`c = 1e-4`, halving; an increase below
//! `1e-13 max(1, |f|)`, i.e. rounding, is accepted). Converged when
//! `max_i |∂f/∂θ_i| ≤ 1e-10`; at most 200 Newton iterations (not converging
//! is reported in [`BtFit::converged`], not an error). Because
//! `H ⪰ 2αI`, the distance to the optimum is at most `‖∇f‖₂ / (2α)`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sensibench_core::{Error, Result};

use crate::ranking::RankingSession;

/// Default L2 penalty `α` of [`bradley_terry`] (choix's `alpha`).
pub const DEFAULT_ALPHA: f64 = 0.01;

/// Gradient tolerance (max-norm) of the Newton solver.
const GRAD_TOL: f64 = 1e-10;
/// Newton iteration limit.
const MAX_NEWTON: usize = 200;

/// Bradley–Terry scores of a set of images.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BtFit {
    /// Image ids (lexicographically sorted for [`bradley_terry`]; the given
    /// order for [`bradley_terry_ids`]).
    pub ids: Vec<String>,
    /// Score per image (mean 0, larger = more apical).
    pub scores: Vec<f64>,
    /// Number of pairwise comparisons each image took part in (0 for an
    /// image never ranked: its score is 0).
    pub comparisons: Vec<usize>,
    /// Newton iterations used.
    pub iterations: usize,
    /// Whether the gradient tolerance was reached.
    pub converged: bool,
}

impl BtFit {
    /// The ids of images that took part in no comparison.
    pub fn unranked(&self) -> Vec<&str> {
        self.ids
            .iter()
            .zip(&self.comparisons)
            .filter(|&(_, &c)| c == 0)
            .map(|(id, _)| id.as_str())
            .collect()
    }

    /// The ids ordered by score, most basal first (ties by position in
    /// [`BtFit::ids`]).
    pub fn order(&self) -> Vec<&str> {
        let mut idx: Vec<usize> = (0..self.ids.len()).collect();
        idx.sort_by(|&a, &b| self.scores[a].total_cmp(&self.scores[b]).then(a.cmp(&b)));
        idx.into_iter().map(|i| self.ids[i].as_str()).collect()
    }
}

/// Result of [`bt_pairwise`].
#[derive(Clone, Debug, PartialEq)]
pub struct BtSolve {
    /// Score per item index (mean 0).
    pub scores: Vec<f64>,
    /// Newton iterations used.
    pub iterations: usize,
    /// Whether the gradient tolerance was reached.
    pub converged: bool,
}

/// Bradley–Terry scores of every image that appears in `sessions` (ids
/// sorted lexicographically), with L2 penalty `alpha` (module
/// documentation; [`DEFAULT_ALPHA`]).
///
/// Errors if there are no sessions, a session is invalid
/// ([`RankingSession::validate`]) or `alpha` is not finite and `> 0`.
pub fn bradley_terry(sessions: &[RankingSession], alpha: f64) -> Result<BtFit> {
    if sessions.is_empty() {
        return Err(Error::invalid(
            "sessions",
            "[]",
            "at least one ranking session",
        ));
    }
    let ids: BTreeSet<&str> = sessions
        .iter()
        .flat_map(|s| s.items.iter().map(String::as_str))
        .collect();
    let ids: Vec<String> = ids.into_iter().map(str::to_string).collect();
    bradley_terry_ids(&ids, sessions, alpha)
}

/// Bradley–Terry scores of the images `ids` (in that order) from
/// `sessions`: images never ranked are kept, with score 0 and 0
/// comparisons ([`BtFit::unranked`]), never dropped.
///
/// Errors if `ids` is empty or repeats an id, a session is invalid, a
/// session names an image not in `ids`, or `alpha` is not finite and `> 0`.
pub fn bradley_terry_ids(ids: &[String], sessions: &[RankingSession], alpha: f64) -> Result<BtFit> {
    if ids.is_empty() {
        return Err(Error::invalid("ids", "[]", "at least one image id"));
    }
    let mut index = HashMap::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        if index.insert(id.as_str(), i).is_some() {
            return Err(Error::invalid("ids", id, "unique image ids"));
        }
    }
    let mut pairs = Vec::new();
    for s in sessions {
        s.validate().map_err(|e| {
            Error::invalid(
                "sessions",
                format!("annotator `{}` batch `{}`", s.annotator, s.batch),
                &e,
            )
        })?;
        let idx = s
            .items
            .iter()
            .map(|id| {
                index.get(id.as_str()).copied().ok_or_else(|| {
                    Error::invalid(
                        "sessions",
                        format!("annotator `{}` batch `{}`", s.annotator, s.batch),
                        &format!("image ids from the id list; `{id}` is not in it"),
                    )
                })
            })
            .collect::<Result<Vec<usize>>>()?;
        for (i, &basal) in idx.iter().enumerate() {
            for &apical in &idx[i + 1..] {
                pairs.push((apical, basal));
            }
        }
    }
    let mut comparisons = vec![0usize; ids.len()];
    for &(w, l) in &pairs {
        comparisons[w] += 1;
        comparisons[l] += 1;
    }
    let sol = bt_pairwise(ids.len(), &pairs, alpha)?;
    Ok(BtFit {
        ids: ids.to_vec(),
        scores: sol.scores,
        comparisons,
        iterations: sol.iterations,
        converged: sol.converged,
    })
}

/// Comparisons of one unordered pair `i < j`.
struct Edge {
    i: usize,
    j: usize,
    /// Times `i` beat `j`.
    wij: f64,
    /// Times `j` beat `i`.
    wji: f64,
}

/// Comparisons aggregated per unordered pair.
struct Pairs {
    edges: Vec<Edge>,
}

/// `log(1 + e^x)` without overflow.
fn softplus(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// `σ(x) = 1 / (1 + e^{−x})`.
fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

impl Pairs {
    fn objective(&self, theta: &[f64], alpha: f64) -> f64 {
        let mut f = alpha * theta.iter().map(|t| t * t).sum::<f64>();
        for e in &self.edges {
            let d = theta[e.i] - theta[e.j];
            f += e.wij * softplus(-d) + e.wji * softplus(d);
        }
        f
    }

    /// Gradient into `g`; per-pair Hessian weights `n p (1 − p)` into `c`.
    fn gradient(&self, theta: &[f64], alpha: f64, g: &mut [f64], c: &mut [f64]) {
        for (gi, t) in g.iter_mut().zip(theta) {
            *gi = 2.0 * alpha * t;
        }
        for (e, ck) in self.edges.iter().zip(c.iter_mut()) {
            let p = sigmoid(theta[e.i] - theta[e.j]); // P(i beats j)
            let n = e.wij + e.wji;
            let gk = n * p - e.wij;
            g[e.i] += gk;
            g[e.j] -= gk;
            *ck = n * p * (1.0 - p);
        }
    }

    fn hess_mul(&self, c: &[f64], alpha: f64, v: &[f64], out: &mut [f64]) {
        for (o, x) in out.iter_mut().zip(v) {
            *o = 2.0 * alpha * x;
        }
        for (e, ck) in self.edges.iter().zip(c) {
            let d = ck * (v[e.i] - v[e.j]);
            out[e.i] += d;
            out[e.j] -= d;
        }
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Solves `H x = b` by Jacobi-preconditioned conjugate gradients.
fn cg(pairs: &Pairs, c: &[f64], alpha: f64, b: &[f64]) -> Vec<f64> {
    let n = b.len();
    let mut diag = vec![2.0 * alpha; n];
    for (e, ck) in pairs.edges.iter().zip(c) {
        diag[e.i] += ck;
        diag[e.j] += ck;
    }
    let mut x = vec![0.0; n];
    let mut r = b.to_vec();
    let bnorm = dot(b, b).sqrt();
    if bnorm == 0.0 {
        return x;
    }
    let mut z: Vec<f64> = r.iter().zip(&diag).map(|(r, d)| r / d).collect();
    let mut p = z.clone();
    let mut rz = dot(&r, &z);
    let mut hp = vec![0.0; n];
    for _ in 0..(10 * n + 50) {
        pairs.hess_mul(c, alpha, &p, &mut hp);
        let php = dot(&p, &hp);
        if php <= 0.0 || !php.is_finite() {
            break;
        }
        let a = rz / php;
        for i in 0..n {
            x[i] += a * p[i];
            r[i] -= a * hp[i];
        }
        if dot(&r, &r).sqrt() <= 1e-12 * bnorm {
            break;
        }
        for i in 0..n {
            z[i] = r[i] / diag[i];
        }
        let rz_new = dot(&r, &z);
        let beta = rz_new / rz;
        rz = rz_new;
        for i in 0..n {
            p[i] = z[i] + beta * p[i];
        }
    }
    x
}

/// Penalised Bradley–Terry fit of `n` items from comparisons
/// `(winner, loser)` (item indices; here the winner is the more apical
/// image), exactly `choix.opt_pairwise(n, pairs, alpha)` at convergence
/// (module documentation).
///
/// Errors if `n == 0`, an index is `≥ n`, a pair compares an item with
/// itself, or `alpha` is not finite and `> 0`.
pub fn bt_pairwise(n: usize, pairs: &[(usize, usize)], alpha: f64) -> Result<BtSolve> {
    if !(alpha.is_finite() && alpha > 0.0) {
        return Err(Error::invalid(
            "alpha",
            alpha,
            "a finite penalty > 0 (the maximum likelihood without penalty is undefined when an image is never beaten)",
        ));
    }
    if n == 0 {
        return Err(Error::invalid("n", 0, "at least one item"));
    }
    let mut agg: BTreeMap<(usize, usize), (f64, f64)> = BTreeMap::new();
    for (k, &(w, l)) in pairs.iter().enumerate() {
        if w >= n || l >= n || w == l {
            return Err(Error::invalid(
                "pairs",
                format!("pair {k} = ({w}, {l})"),
                &format!("two different item indices in 0..{n}"),
            ));
        }
        if w < l {
            agg.entry((w, l)).or_default().0 += 1.0;
        } else {
            agg.entry((l, w)).or_default().1 += 1.0;
        }
    }
    let p = Pairs {
        edges: agg
            .into_iter()
            .map(|((i, j), (wij, wji))| Edge { i, j, wij, wji })
            .collect(),
    };

    let mut theta = vec![0.0; n];
    let mut g = vec![0.0; n];
    let mut c = vec![0.0; p.edges.len()];
    let mut f = p.objective(&theta, alpha);
    let mut iterations = 0;
    let mut converged = false;
    loop {
        p.gradient(&theta, alpha, &mut g, &mut c);
        if g.iter().all(|x| x.abs() <= GRAD_TOL) {
            converged = true;
            break;
        }
        if iterations == MAX_NEWTON {
            break;
        }
        iterations += 1;
        let neg: Vec<f64> = g.iter().map(|x| -x).collect();
        let d = cg(&p, &c, alpha, &neg);
        let slope = dot(&g, &d);
        let mut t = 1.0;
        let mut trial = vec![0.0; n];
        loop {
            for i in 0..n {
                trial[i] = theta[i] + t * d[i];
            }
            let ft = p.objective(&trial, alpha);
            if ft <= f + 1e-4 * t * slope + 1e-13 * f.abs().max(1.0) || t < 1e-20 {
                f = ft;
                break;
            }
            t *= 0.5;
        }
        theta.copy_from_slice(&trial);
    }
    // The optimum has mean 0 up to the solver tolerance; remove the residual
    // and keep never-compared items at exactly 0 (their optimum).
    let mean = theta.iter().sum::<f64>() / n as f64;
    let mut compared = vec![false; n];
    for e in &p.edges {
        compared[e.i] = true;
        compared[e.j] = true;
    }
    for (t, c) in theta.iter_mut().zip(compared) {
        *t = if c { *t - mean } else { 0.0 };
    }
    Ok(BtSolve {
        scores: theta,
        iterations,
        converged,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_items_closed_form() {
        // One comparison, item 1 beats item 0. By symmetry θ = (−t, t) with
        // ∂f/∂t = 4αt − σ(−2t)·2 = 0, i.e. 2αt = σ(−2t). For α = 0.25:
        // t = 2σ(−2t) → solve by bisection here independently.
        let alpha = 0.25;
        let (mut lo, mut hi) = (0.0f64, 2.0f64);
        for _ in 0..200 {
            let m = 0.5 * (lo + hi);
            if 2.0 * alpha * m - 1.0 / (1.0 + (2.0 * m).exp()) > 0.0 {
                hi = m;
            } else {
                lo = m;
            }
        }
        let s = bt_pairwise(2, &[(1, 0)], alpha).unwrap();
        assert!(s.converged);
        assert!((s.scores[1] - lo).abs() < 1e-12, "{:?} {lo}", s.scores);
        assert!((s.scores[0] + lo).abs() < 1e-12);
    }

    #[test]
    fn ids_variant_keeps_unranked_and_orients_apical_up() {
        let s = RankingSession {
            annotator: "A".into(),
            batch: "b".into(),
            items: vec!["x".into(), "y".into(), "z".into()],
        };
        let ids: Vec<String> = ["z", "w", "y", "x"].iter().map(|s| s.to_string()).collect();
        let fit = bradley_terry_ids(&ids, std::slice::from_ref(&s), DEFAULT_ALPHA).unwrap();
        assert_eq!(fit.comparisons, [2, 0, 2, 2]);
        assert_eq!(fit.unranked(), ["w"]);
        assert_eq!(fit.scores[1], 0.0);
        assert_eq!(fit.order(), ["x", "w", "y", "z"]);
        assert!(fit.scores.iter().sum::<f64>().abs() < 1e-12);
        assert!(bradley_terry_ids(&ids[..2], std::slice::from_ref(&s), 0.01).is_err());
        assert!(bradley_terry(std::slice::from_ref(&s), 0.0).is_err());
        assert!(bradley_terry(&[s], f64::NAN).is_err());
        assert!(bradley_terry(&[], 0.01).is_err());
        assert!(bt_pairwise(2, &[(0, 0)], 0.01).is_err());
        assert!(bt_pairwise(2, &[(0, 2)], 0.01).is_err());
    }
}
