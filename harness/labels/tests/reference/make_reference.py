"""Reference values for sensibench-labels, from independent libraries.

Writes reference.json next to this script:
- "bt": Bradley-Terry scores from choix.opt_pairwise (the L2-penalised ML,
  objective alpha * sum(theta^2) + sum log(1 + exp(-(theta_w - theta_l)))),
  where a batch ranked a1 < a2 < ... (basal to apical) gives, for i < j, the
  comparison (winner = aj, loser = ai). Scores centred (the optimum already
  has mean 0). Each data set is solved to a gradient max-norm < 1e-9.
- "kappa": sklearn.metrics.cohen_kappa_score(a, b, weights=...,
  labels=range(k)) for unweighted, linear and quadratic weights.
- "spearman": scipy.stats.spearmanr.

Re-run (from the repository root):
    .tools/train/bin/python harness/labels/tests/reference/make_reference.py
"""

import json
import os

import choix
import numpy as np
import scipy
import sklearn
from choix.opt import PairwiseFcts
from scipy.stats import spearmanr
from sklearn.metrics import cohen_kappa_score


def pairs_of(ids, sessions):
    index = {x: i for i, x in enumerate(ids)}
    data = []
    for s in sessions:
        idx = [index[x] for x in s]
        for i in range(len(idx)):
            for j in range(i + 1, len(idx)):
                data.append((idx[j], idx[i]))  # (winner = more apical, loser)
    return data


def bt_case(name, ids, sessions, alpha):
    data = pairs_of(ids, sessions)
    n = len(ids)
    x = choix.opt_pairwise(n, data, alpha=alpha, method="Newton-CG", tol=1e-12)
    fcts = PairwiseFcts(data, alpha)
    for _ in range(20):  # polish with plain Newton steps if needed
        g = fcts.gradient(x.copy())
        if np.max(np.abs(g)) < 1e-11:
            break
        x = x - np.linalg.solve(fcts.hessian(x.copy()), g)
    g = fcts.gradient(x.copy())
    assert np.max(np.abs(g)) < 1e-9, (name, np.max(np.abs(g)))
    x = x - x.mean()
    return {
        "name": name,
        "alpha": alpha,
        "ids": ids,
        "sessions": sessions,
        "scores": x.tolist(),
        "max_abs_gradient": float(np.max(np.abs(g))),
    }


def main():
    rng = np.random.default_rng(20230601)
    bt = []

    # 1. Hand-made: "e" is always the most apical (never beaten), "a" always
    # the most basal (never beats), "f" is never ranked (score 0).
    ids = ["a", "b", "c", "d", "e", "f"]
    sessions = [["a", "b", "c"], ["b", "d", "e"], ["a", "c", "e"], ["c", "d"]]
    bt.append(bt_case("never_beaten", ids, sessions, 0.01))
    bt.append(bt_case("never_beaten_alpha_0.5", ids, sessions, 0.5))

    # 2. Two annotators who disagree: 10 images, 8 batches of 4.
    ids = [f"img{i:02d}" for i in range(10)]
    truth = np.linspace(0, 1, 10)
    sessions = []
    for _ in range(8):
        batch = rng.choice(10, size=4, replace=False)
        seen = truth[batch] + rng.normal(0, 0.25, size=4)
        sessions.append([ids[i] for i in batch[np.argsort(seen, kind="stable")]])
    bt.append(bt_case("inconsistent", ids, sessions, 0.01))

    # 3. A noisy protocol-like set: 40 images, 3 rounds of batches of 8.
    ids = [f"s{i:03d}" for i in range(40)]
    pos = rng.uniform(0, 1, size=40)
    sessions = []
    for _ in range(3):
        perm = rng.permutation(40)
        for b in range(5):
            batch = perm[8 * b : 8 * b + 8]
            seen = pos[batch] + rng.normal(0, 0.1, size=8)
            sessions.append([ids[i] for i in batch[np.argsort(seen, kind="stable")]])
    bt.append(bt_case("protocol_40", ids, sessions, 0.01))

    kappa = []
    for name, k, n, agree in [("k3_n30", 3, 30, 0.6), ("k4_n50", 4, 50, 0.8), ("k5_n40", 5, 40, 0.5)]:
        a = rng.integers(0, k, size=n)
        b = np.where(rng.uniform(size=n) < agree, a, rng.integers(0, k, size=n))
        kappa.append({"name": name, "k": k, "a": a.tolist(), "b": b.tolist()})
    # Class 1 of 3 used by neither rater (labels=range(k) keeps the distances).
    kappa.append({"name": "k3_middle_absent", "k": 3, "a": [0, 2, 2, 0, 2, 0, 0], "b": [0, 2, 0, 0, 2, 2, 0]})
    for case in kappa:
        labels = list(range(case["k"]))
        for key, w in [("unweighted", None), ("linear", "linear"), ("quadratic", "quadratic")]:
            case[key] = float(cohen_kappa_score(case["a"], case["b"], weights=w, labels=labels))

    spear = []
    x = rng.normal(size=25)
    y = x + rng.normal(scale=0.7, size=25)
    spear.append({"a": x.tolist(), "b": y.tolist(), "rho": float(spearmanr(x, y).statistic)})
    x = [1.0, 2.0, 2.0, 3.0, 5.0, 5.0, 5.0, 0.0]
    y = [2.0, 1.0, 3.0, 3.0, 4.0, 6.0, 4.0, 0.5]
    spear.append({"a": x, "b": y, "rho": float(spearmanr(x, y).statistic)})

    out = {
        "generator": "harness/labels/tests/reference/make_reference.py",
        "versions": {
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "sklearn": sklearn.__version__,
            "choix": "0.4.1",
        },
        "bt": bt,
        "kappa": kappa,
        "spearman": spear,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
