#!/usr/bin/env python3
"""Reference fixtures for the clinical measures, agreement statistics and the
Student-t quantile of sensibench-metrics (read by tests/clinical_reference.rs).

Re-run from the repository root with the project's training Python (needs
numpy, scipy, mpmath, medpy, statsmodels and matplotlib; the last two with
`.tools/train/bin/python -m pip install statsmodels matplotlib`):

    .tools/train/bin/python harness/metrics/tests/reference/make_clinical_reference.py

Writes clinical_agreement.json next to this script with:
- bland_altman: two fixed paired arrays (areas in cm², mean HU) with a NaN
  pair each. `statsmodels` holds what statsmodels.graphics.agreement.
  mean_diff_plot draws (mean line and the two limit lines, read back from
  the axes): statsmodels uses np.std (ddof=0), which the script asserts.
  `expected` holds the ddof=1 Bland-Altman values (numpy) with the 95% CIs
  from scipy.stats.t.ppf(0.975, n-1): bias ± t·s/√n, LoA ± t·s·√(3/n).
- t_quantiles: scipy.stats.t.ppf(p, df) for several df/p (real df too),
  each cross-checked against mpmath (40 digits) to 1e-12 relative;
  normal quantiles from scipy.stats.norm.ppf; t CDF values.
- fold_ci: scipy.stats.t.interval(level, n-1, loc=mean, scale=sem).
- band: pairwise Dice (medpy.metric.binary.dc) of three observers' masks,
  and the band mean ± SD (ddof=1).
- clinical: a small 2D and a 3D case: area = count·dy·dx/100 (cm²),
  volume = count·dz·dy·dx/1000 (cm³), mean over the class, and the mean
  restricted to [-29, 150] HU (float64 numpy on the float32 image).
"""

import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import mpmath as mp  # noqa: E402
import numpy as np  # noqa: E402
import scipy  # noqa: E402
import statsmodels  # noqa: E402
from medpy.metric import binary as mb  # noqa: E402
from scipy import stats  # noqa: E402
from statsmodels.graphics.agreement import mean_diff_plot  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
mp.mp.dps = 40


def nan_to_none(xs):
    return [None if np.isnan(x) else float(x) for x in xs]


def bland_altman_case(name, pred, ref):
    pred, ref = np.asarray(pred, float), np.asarray(ref, float)
    ok = np.isfinite(pred) & np.isfinite(ref)
    p, r = pred[ok], ref[ok]
    n = int(ok.sum())
    fig, ax = plt.subplots()
    mean_diff_plot(p, r, ax=ax)
    ys = [float(line.get_ydata()[0]) for line in ax.lines]
    plt.close(fig)
    sm_mean, sm_lower, sm_upper = ys
    d = p - r
    # statsmodels' limits use the population SD (ddof = 0): check it.
    sd0 = np.std(d)
    assert abs(sm_upper - (d.mean() + 1.96 * sd0)) < 1e-12, "statsmodels ddof"
    sd = np.std(d, ddof=1)
    t = stats.t.ppf(0.975, n - 1)
    bias = d.mean()
    lower, upper = bias - 1.96 * sd, bias + 1.96 * sd
    se_b, se_l = sd / np.sqrt(n), sd * np.sqrt(3.0 / n)
    return dict(
        name=name,
        pred=nan_to_none(pred),
        reference=nan_to_none(ref),
        statsmodels=dict(mean_diff=sm_mean, lower=sm_lower, upper=sm_upper, sd_limit=1.96),
        expected=dict(
            n=n,
            n_excluded=int((~ok).sum()),
            mean_diff=float(bias),
            sd_diff=float(sd),
            loa_lower=float(lower),
            loa_upper=float(upper),
            t_quantile=float(t),
            bias_ci=[float(bias - t * se_b), float(bias + t * se_b)],
            loa_lower_ci=[float(lower - t * se_l), float(lower + t * se_l)],
            loa_upper_ci=[float(upper - t * se_l), float(upper + t * se_l)],
            mean_abs_diff=float(np.abs(d).mean()),
            rms_diff=float(np.sqrt((d**2).mean())),
            mean_pred=float(p.mean()),
            mean_ref=float(r.mean()),
        ),
    )


def mp_t_ppf(p, df):
    """t quantile from mpmath's regularised incomplete beta (40 digits)."""
    p, df = mp.mpf(p), mp.mpf(df)
    q = min(p, 1 - p)

    def tail(t):
        return mp.betainc(df / 2, mp.mpf(1) / 2, 0, df / (df + t * t), regularized=True) / 2

    t0 = mp.mpf(abs(float(stats.t.ppf(float(q), float(df)))))
    t = mp.findroot(lambda x: mp.log(tail(x)) - mp.log(q), t0)
    return float(t if p > 0.5 else -t)


def t_quantiles():
    rows = []
    dfs = [0.5, 1, 2, 2.5, 3, 4, 5, 7, 10, 19, 30, 100, 1000, 1e5]
    ps = [1e-6, 0.0005, 0.005, 0.025, 0.05, 0.1, 0.25, 0.4, 0.75, 0.9, 0.95, 0.975, 0.995, 0.9995]
    for df in dfs:
        for p in ps:
            want = float(stats.t.ppf(p, df))
            check = mp_t_ppf(p, df)
            assert abs(want - check) <= 1e-12 * abs(check), (df, p, want, check)
            rows.append(dict(p=p, df=float(df), t=want))
    normal = [dict(p=p, z=float(stats.norm.ppf(p))) for p in [1e-300, 1e-20, 1e-6, 0.01, 0.3, 0.5, 0.8, 0.975, 0.999999]]
    cdf = []
    for df in [1, 3, 4.5, 12, 60]:
        for t in [-40.0, -3.0, -0.7, 0.0, 0.2, 1.5, 2.0, 8.0]:
            cdf.append(dict(t=t, df=float(df), cdf=float(stats.t.cdf(t, df))))
    return dict(quantiles=rows, normal=normal, cdf=cdf)


def fold_cis():
    out = []
    for values, level in [
        ([0.81, 0.84, 0.79, 0.86], 0.95),
        ([0.62, 0.71, 0.55, 0.68, 0.74], 0.9),
        ([12.5, 14.0, 13.1], 0.99),
        ([0.9, 0.91], 0.95),
    ]:
        v = np.asarray(values)
        n = len(v)
        lo, hi = stats.t.interval(level, n - 1, loc=v.mean(), scale=stats.sem(v))
        out.append(dict(values=values, level=level, mean=float(v.mean()), lo=float(lo), hi=float(hi)))
    return out


def disc(shape, cy, cx, ry, rx):
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return (((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0).astype(np.uint8)


def band():
    shape = (16, 18)
    masks = [disc(shape, 7.5, 8.0, 5.0, 6.0), disc(shape, 8.0, 8.6, 4.6, 6.2), disc(shape, 7.2, 7.6, 5.3, 5.5)]
    scores = []
    for i in range(len(masks)):
        for j in range(i + 1, len(masks)):
            scores.append(float(mb.dc(masks[i], masks[j])))
    s = np.asarray(scores)
    return dict(
        dims=[1, *shape],
        masks=[m.ravel().tolist() for m in masks],
        dice=scores,
        value=float(s.mean()),
        spread=float(s.std(ddof=1)),
    )


def clinical():
    rng = np.random.default_rng(31)
    cases = []
    # 2D slice: label 1 ring-ish region, label 2 a block; HU-like values.
    lab = np.zeros((9, 11), np.uint8)
    lab[2:7, 1:9] = 1
    lab[3:6, 3:7] = 2
    img = rng.normal(40.0, 60.0, size=lab.shape).astype(np.float32)
    cases.append((lab, img, (0.78125, 0.9), 2))
    lab3 = (rng.random((3, 6, 7)) < 0.4).astype(np.uint8)
    lab3[rng.random(lab3.shape) < 0.2] = 2
    img3 = rng.normal(0.0, 120.0, size=lab3.shape).astype(np.float32)
    cases.append((lab3, img3, (2.5, 0.7, 0.8), 3))
    out = []
    for lab, img, spacing, ndim in cases:
        exp = {}
        for c in [1, 2, 3]:
            m = lab == c
            cnt = int(m.sum())
            size = cnt * float(np.prod(spacing)) / (100.0 if ndim == 2 else 1000.0)
            vals = img[m].astype(np.float64)
            inr = vals[(vals >= -29.0) & (vals <= 150.0)]
            exp[str(c)] = dict(
                size=size,
                mean=float(vals.mean()) if cnt else None,
                mean_in_range=float(inr.mean()) if inr.size else None,
            )
        out.append(
            dict(
                ndim=ndim,
                dims=list(lab.shape) if ndim == 3 else [1, *lab.shape],
                spacing=list(spacing),
                labels=lab.ravel().tolist(),
                image=[float(v) for v in img.ravel()],
                expected=exp,
            )
        )
    return out


def main():
    ba = [
        bland_altman_case(
            "area_cm2",
            [152.3, 140.1, 171.8, 128.4, 160.0, np.nan, 149.7, 133.2, 181.5, 158.9, 144.4, 166.0],
            [150.0, 143.5, 168.2, 131.0, 157.6, 139.9, 151.2, 129.8, 178.0, 161.3, 140.2, 163.1],
        ),
        bland_altman_case(
            "mean_hu",
            [38.2, 41.5, 29.9, 45.1, 36.0, 33.3, 40.7],
            [36.9, 43.0, 31.2, 44.0, 34.8, np.nan, 38.5],
        ),
    ]
    fixture = dict(
        generator="make_clinical_reference.py",
        versions=dict(
            numpy=np.__version__,
            scipy=scipy.__version__,
            statsmodels=statsmodels.__version__,
            mpmath=mp.__version__,
        ),
        bland_altman=ba,
        t=t_quantiles(),
        fold_ci=fold_cis(),
        band=band(),
        clinical=clinical(),
    )
    with open(os.path.join(HERE, "clinical_agreement.json"), "w") as f:
        json.dump(fixture, f, indent=1)


if __name__ == "__main__":
    main()
