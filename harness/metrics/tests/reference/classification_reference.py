#!/usr/bin/env python3
"""Reference fixture for the classification metrics, paired tests and the
normal / chi-square / binomial tail functions of sensibench-metrics (read by
tests/classification_reference.rs).

Re-run from the repository root with the project's training Python (numpy,
scipy, scikit-learn, statsmodels):

    .tools/train/bin/python harness/metrics/tests/reference/classification_reference.py

Writes classification_reference.json next to this script with:
- classification: probability matrices (float32 values, stored exactly as
  float64) and labels: a seeded binary case and a seeded 6-class case of 200
  cases (duplicated rows give tied scores; class 4 is never predicted), a
  6-class case where class 2 is absent from truth and predictions, and small
  hand-sized cases. Expected: numpy argmax, sklearn confusion_matrix
  (labels=range(k)), accuracy_score, balanced_accuracy_score,
  f1_score(average="macro", zero_division=0), roc_auc_score (binary on
  column 1 for k = 2, multi_class="ovr", average="macro" otherwise; null
  when sklearn raises because a class is absent from the truth),
  cohen_kappa_score(weights=None|"linear"|"quadratic", labels=range(k)) and
  the same without labels (sklearn's default, which re-indexes the present
  classes), and a plain numpy top-label ECE with M = 15 and M = 10 bins
  (bins (b/M, (b+1)/M], confidence 0 in bin 0).
- delong: paired scores; AUCs, variances, covariance, z and two-sided p
  from an independent O(m*n) numpy implementation of DeLong's structural
  components (placement values V10/V01 from the full psi matrix, S10/S01
  with np.cov), checked against sklearn roc_auc_score; 95% CI of one AUC.
- stuart_maxwell: statsmodels SquareTable(table, shift_zeros=...)
  .homogeneity(); the p-value also as scipy chi2.sf. A case with a category
  absent from both ratings (statsmodels gives NaN with shift_zeros=False)
  carries the generalised-inverse value n d' pinv(V) d, df = rank(V).
- mcnemar: statsmodels mcnemar(table, exact=True) and
  (exact=False, correction=True).
- tails: scipy.stats.norm.sf / norm.cdf, chi2.sf, and the exact two-sided
  binomial p-value min(1, 2 binom.cdf(min(x, n-x), n, 0.5)).
"""

import json
import os
import warnings

import numpy as np
import scipy
import sklearn
import statsmodels
from scipy import stats
from sklearn import metrics as skm
from statsmodels.stats.contingency_tables import SquareTable, mcnemar

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20240611)


def f32_list(a):
    return [float(v) for v in np.asarray(a, dtype=np.float32).ravel()]


def softmax(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def ece_numpy(probs, truth, bins):
    conf = probs.max(axis=1).astype(np.float64)
    pred = probs.argmax(axis=1)
    correct = (pred == truth).astype(np.float64)
    edges = np.arange(bins + 1) / bins
    n = len(truth)
    total = 0.0
    for b in range(bins):
        in_bin = (conf > edges[b]) & (conf <= edges[b + 1])
        if b == 0:
            in_bin |= conf == 0.0
        cnt = in_bin.sum()
        if cnt > 0:
            total += cnt / n * abs(correct[in_bin].mean() - conf[in_bin].mean())
    return float(total)


def roc_auc_ref(probs, truth, k):
    try:
        if k == 2:
            return float(skm.roc_auc_score(truth == 1, probs[:, 1].astype(np.float64)))
        return float(
            skm.roc_auc_score(
                truth, probs.astype(np.float64), multi_class="ovr", average="macro",
                labels=None,
            )
        )
    except ValueError:
        return None


def kappa(truth, pred, weights, labels):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        v = skm.cohen_kappa_score(truth, pred, weights=weights, labels=labels)
    v = float(v)
    return None if np.isnan(v) else v


def clf_case(name, probs, truth, k):
    probs = np.asarray(probs, dtype=np.float32).reshape(-1, k)
    truth = np.asarray(truth)
    pred = probs.argmax(axis=1)
    labels = list(range(k))
    exp = {
        "pred": pred.tolist(),
        "confusion": skm.confusion_matrix(truth, pred, labels=labels).ravel().tolist(),
        "accuracy": float(skm.accuracy_score(truth, pred)),
        "balanced_accuracy": float(skm.balanced_accuracy_score(truth, pred)),
        "macro_f1": float(skm.f1_score(truth, pred, average="macro", zero_division=0)),
        "roc_auc": roc_auc_ref(probs, truth, k),
        "ece15": ece_numpy(probs, truth, 15),
        "ece10": ece_numpy(probs, truth, 10),
    }
    for key, w in [("kappa", None), ("kappa_linear", "linear"), ("kappa_quadratic", "quadratic")]:
        exp[key] = kappa(truth, pred, w, labels)
        exp[key + "_sklearn_default_labels"] = kappa(truth, pred, w, None)
    present = sorted(set(truth.tolist()) | set(pred.tolist()))
    exp["present_classes_contiguous"] = present == list(range(len(present)))
    return {"name": name, "k": k, "truth": truth.tolist(), "probs": f32_list(probs), "expected": exp}


def classification_cases():
    cases = []
    # Binary, 200 cases, probabilities rounded to 0.05 (many ties).
    n = 200
    truth = rng.integers(0, 2, n)
    p1 = 1 / (1 + np.exp(-(1.2 * (2 * truth - 1) + rng.normal(0, 1.3, n))))
    p1 = np.round(p1 * 20) / 20
    probs = np.stack([1 - p1, p1], axis=1)
    cases.append(clf_case("binary_200_ties", probs, truth, 2))

    # 6 classes, 200 cases: 150 distinct rows, 50 duplicates (ties in every
    # column); class 4's logit is lowered so it is never predicted.
    k = 6
    truth = rng.integers(0, k, 150)
    logits = rng.normal(0, 1, (150, k)) + 1.6 * np.eye(k)[truth]
    logits[:, 4] -= 6.0
    probs = softmax(logits)
    dup = rng.integers(0, 150, 50)
    probs = np.concatenate([probs, probs[dup]])
    truth = np.concatenate([truth, truth[dup]])
    perm = rng.permutation(200)
    probs, truth = probs[perm], truth[perm]
    assert 4 not in probs.argmax(axis=1)
    cases.append(clf_case("six_class_200_ties_class4_never_predicted", probs, truth, k))

    # 6 classes, 120 cases, class 2 absent from truth and predictions: ROC AUC
    # undefined; sklearn's default-label weighted kappas re-index the classes.
    labels = np.array([0, 1, 3, 4, 5])
    truth = labels[rng.integers(0, 5, 120)]
    logits = rng.normal(0, 1, (120, k)) + 1.2 * np.eye(k)[truth]
    logits[:, 2] -= 8.0
    probs = softmax(logits)
    assert 2 not in probs.argmax(axis=1)
    cases.append(clf_case("six_class_120_class2_absent", probs, truth, k))

    # Small hand-sized cases.
    probs = [[0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [0.1, 0.3, 0.6], [0.4, 0.4, 0.2],
             [0.3, 0.3, 0.4], [0.6, 0.3, 0.1], [0.2, 0.2, 0.6], [0.1, 0.8, 0.1]]
    cases.append(clf_case("three_class_8", probs, [0, 1, 2, 1, 0, 0, 2, 2], 3))
    probs = [[0.5, 0.5]] * 3 + [[0.2, 0.8]] * 3
    cases.append(clf_case("binary_6_ties", probs, [0, 1, 0, 1, 1, 0], 2))
    probs = [[0.9, 0.1], [0.8, 0.2], [0.6, 0.4], [0.45, 0.55], [0.3, 0.7], [0.1, 0.9]]
    cases.append(clf_case("binary_6_separable", probs, [0, 0, 0, 1, 1, 1], 2))
    return cases


def delong_reference(a, b, pos):
    """DeLong 1988 from the full psi matrices (O(m n))."""
    out = {}
    v10s, v01s, aucs = [], [], []
    for s in (a, b):
        x, y = s[pos], s[~pos]
        psi = (x[:, None] > y[None, :]) + 0.5 * (x[:, None] == y[None, :])
        v10s.append(psi.mean(axis=1))
        v01s.append(psi.mean(axis=0))
        auc = psi.mean()
        assert abs(auc - skm.roc_auc_score(pos, s)) < 1e-13
        aucs.append(auc)
    m, n = pos.sum(), (~pos).sum()
    s10 = np.cov(np.stack(v10s))
    s01 = np.cov(np.stack(v01s))
    s = s10 / m + s01 / n
    var_a, var_b, cov = s[0, 0], s[1, 1], s[0, 1]
    se = np.sqrt(max(var_a + var_b - 2 * cov, 0.0))
    diff = aucs[1] - aucs[0]
    z = diff / se if se > 0 else 0.0
    out.update(
        auc_a=aucs[0], auc_b=aucs[1], diff=diff, var_a=var_a, var_b=var_b, cov=cov,
        se=se, z=z, p=float(2 * stats.norm.sf(abs(z))),
    )
    half = stats.norm.ppf(0.975) * np.sqrt(var_a)
    out["ci95_a"] = [aucs[0], max(0.0, aucs[0] - half), min(1.0, aucs[0] + half)]
    return {key: (val if isinstance(val, list) else float(val)) for key, val in out.items()}


def delong_cases():
    cases = []
    n = 200
    pos = rng.random(n) < 0.4
    latent = rng.normal(0, 1, n) + 1.0 * pos
    a = np.round(latent + rng.normal(0, 0.8, n), 1)  # ties
    b = np.round(latent + rng.normal(0, 0.5, n), 1)
    cases.append(("correlated_200_ties", a, b, pos))
    n = 60
    pos = rng.random(n) < 0.5
    a = rng.normal(0, 1, n) + 0.8 * pos
    b = rng.normal(0, 1, n) + 0.3 * pos
    cases.append(("independent_60", a, b, pos))
    n = 300
    pos = rng.random(n) < 0.3
    a = rng.normal(0, 1, n) + 2.0 * pos
    b = 0.5 * a + rng.normal(0, 1, n)
    cases.append(("strong_difference_300", a, b, pos))
    a = np.array([0.8, 0.4, 0.4, 0.1, 0.7, 0.3])
    b = np.array([0.6, 0.9, 0.2, 0.3, 0.5, 0.5])
    pos = np.array([True, True, False, False, True, False])
    cases.append(("hand_6", a, b, pos))
    return [
        {"name": nm, "scores_a": a.tolist(), "scores_b": b.tolist(), "positive": p.tolist(),
         "expected": delong_reference(a, b, p)}
        for nm, a, b, p in cases
    ]


def table_of(pa, pb, k):
    t = np.zeros((k, k))
    np.add.at(t, (pa, pb), 1)
    return t


def stuart_maxwell_cases():
    cases = []
    k = 6
    pa = rng.integers(0, k, 200)
    pb = np.where(rng.random(200) < 0.6, pa, rng.integers(0, k, 200))
    pb = np.where((pb == 3) & (rng.random(200) < 0.4), 4, pb)  # shift a margin
    cases.append(("six_200", pa, pb, k))
    pa = np.array([0, 0, 1, 1, 2, 2, 0, 1, 2, 0, 1, 1, 2, 0])
    pb = np.array([0, 1, 1, 2, 2, 0, 1, 1, 1, 0, 0, 2, 2, 1])
    cases.append(("three_14", pa, pb, 3))
    pa = np.array([0, 0, 0, 2, 2, 0, 2, 3, 3, 2, 0])
    pb = np.array([0, 2, 2, 2, 0, 2, 3, 3, 0, 2, 0])
    cases.append(("four_11_category1_absent", pa, pb, 4))
    out = []
    for nm, pa, pb, k in cases:
        exp = {}
        for shift in (False, True):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                r = SquareTable(table_of(pa, pb, k), shift_zeros=shift).homogeneity()
            stat = float(r.statistic)
            key = "shift" if shift else "noshift"
            if np.isnan(stat):
                # Generalised inverse on statsmodels' k-1 categories.
                t = table_of(pa, pb, k)
                n_obs = t.sum()
                pr = t / n_obs
                row, col = pr.sum(1)[:-1], pr.sum(0)[:-1]
                prr = pr[:-1, :-1]
                d = col - row
                v = -(prr + prr.T)
                np.fill_diagonal(v, row + col - 2 * np.diag(prr))
                stat = float(n_obs * d @ np.linalg.pinv(v) @ d)
                df = int(np.linalg.matrix_rank(v))
                exp[key] = {"statistic": stat, "df": df, "p_statsmodels": None,
                            "p_sf": float(stats.chi2.sf(stat, df)), "method": "pinv"}
            else:
                exp[key] = {"statistic": stat, "df": int(r.df),
                            "p_statsmodels": float(r.pvalue),
                            "p_sf": float(stats.chi2.sf(stat, r.df)), "method": "statsmodels"}
        out.append({"name": nm, "k": k, "pred_a": pa.tolist(), "pred_b": pb.tolist(),
                    "expected": exp})
    return out


def mcnemar_cases():
    out = []
    specs = [(200, 0.8, 0.7), (60, 0.5, 0.5), (400, 0.6, 0.62), (25, 0.9, 0.6), (300, 0.9, 0.55)]
    for n, qa, qb in specs:
        ca = rng.random(n) < qa
        cb = np.where(rng.random(n) < 0.5, ca, rng.random(n) < qb)
        t = np.array([[np.sum(ca & cb), np.sum(ca & ~cb)], [np.sum(~ca & cb), np.sum(~ca & ~cb)]])
        ex = mcnemar(t, exact=True)
        ch = mcnemar(t, exact=False, correction=True)
        out.append({
            "name": f"n{n}", "correct_a": ca.tolist(), "correct_b": cb.tolist(),
            "expected": {"b": int(t[0, 1]), "c": int(t[1, 0]), "p_exact": float(ex.pvalue),
                         "statistic": float(ch.statistic), "p_chi2": float(ch.pvalue)},
        })
    return out


def tails():
    xs = [-8.0, -3.0, -1.0, -0.2, 0.0, 0.5, 1.0, 1.959963984540054, 3.0, 5.0, 8.0, 12.0, 20.0, 37.0]
    normal = [{"x": x, "sf": float(stats.norm.sf(x)), "cdf": float(stats.norm.cdf(x))} for x in xs]
    chi2 = []
    for df in [1, 2, 3, 4, 5, 7, 10, 15, 25, 35, 0.5, 2.5]:
        for x in [1e-6, 0.01, 0.3, 1.0, 2.5, 5.0, 9.0, 20.0, 45.0, 100.0, 400.0]:
            chi2.append({"x": x, "df": df, "sf": float(stats.chi2.sf(x, df))})
    binom = []
    for x, n in [(0, 1), (1, 6), (3, 10), (0, 30), (7, 40), (20, 41), (45, 120), (150, 400),
                 (380, 400), (2, 1000), (480, 1000)]:
        m = min(x, n - x)
        binom.append({"x": x, "n": n, "p": float(min(1.0, 2 * stats.binom.cdf(m, n, 0.5)))})
    return {"normal": normal, "chi2": chi2, "binomial_two_sided": binom}


def main():
    fx = {
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__,
                     "sklearn": sklearn.__version__, "statsmodels": statsmodels.__version__},
        "classification": classification_cases(),
        "delong": delong_cases(),
        "stuart_maxwell": stuart_maxwell_cases(),
        "mcnemar": mcnemar_cases(),
        "tails": tails(),
    }
    path = os.path.join(HERE, "classification_reference.json")
    with open(path, "w") as f:
        json.dump(fx, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
