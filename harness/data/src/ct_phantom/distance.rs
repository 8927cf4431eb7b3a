//! Exact Euclidean distance transforms (Felzenszwalb & Huttenlocher), for
//! the signed distance to the muscle boundary the simulated observers use.

/// Squared Euclidean distance (in pixels) from every pixel to the nearest
/// pixel where `feature` is true (`1e20` when there is none), by the exact
/// two-pass algorithm of Felzenszwalb & Huttenlocher (2012).
pub(super) fn squared_edt(feature: &[bool], h: usize, w: usize) -> Vec<f64> {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use sensibench_core::SeededRng;

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
}
