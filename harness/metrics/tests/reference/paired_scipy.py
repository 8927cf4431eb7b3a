"""Reference values for sensibench_metrics::paired (scipy 1.17).

Re-run from the repository root:
    .tools/train/bin/python harness/metrics/tests/reference/paired_scipy.py
Writes paired_scipy.json next to this script.
"""
import json
import os

import numpy as np
from scipy import stats

rng = np.random.default_rng(20261124)
cases = []


def wil(name, d):
    d = np.asarray(d, dtype=float)
    r = stats.wilcoxon(d)
    n = len(d)
    nz = int(np.count_nonzero(d == 0))
    absd = np.abs(d[d != 0])
    ties = len(np.unique(absd)) < len(absd)
    if n <= 50 and not ties and nz == 0:
        method = "exact"
    elif n <= 13:
        method = "permutation"
    else:
        method = "asymptotic"
    cases.append(dict(name=name, d=d.tolist(), statistic=float(r.statistic),
                      p_value=float(r.pvalue), n_zero=nz, method=method))


# exact: no ties or zeros
for n in (1, 2, 5, 9, 20, 37, 50):
    wil(f"exact_n{n}", rng.normal(0.02, 0.05, n))
wil("exact_shifted_n30", rng.normal(-0.03, 0.02, 30))
# > 50: asymptotic
wil("asym_n51", rng.normal(0.01, 0.05, 51))
wil("asym_n120_shift", rng.normal(-0.01, 0.03, 120))
# ties and zeros, small: permutation
wil("perm_ties_n8", np.round(rng.normal(0, 0.05, 8), 2) + [0.01, 0.01, -0.01, 0, 0, 0, 0, 0])
wil("perm_zeros_n10", [0.0, 0.0, 0.1, -0.2, 0.3, 0.15, 0.4, -0.05, 0.25, 0.6])
wil("perm_ties_n13", [1, 1, 2, 2, -2, 3, 3, 3, -1, 4, 5, 5, 6])
# ties / zeros, 14..50: asymptotic with tie correction
wil("asym_ties_n14", [1, 1, 2, 2, -2, 3, 3, 3, -1, 4, 5, 5, 6, 0])
wil("asym_ties_zeros_n40", np.round(rng.normal(0.01, 0.03, 40), 2))
wil("asym_ties_n200", np.round(rng.normal(-0.005, 0.03, 200), 2))
wil("asym_many_zeros_n60", np.concatenate([np.zeros(20), np.round(rng.normal(0.02, 0.03, 40), 2)]))

perm = []


def flip(name, d):
    d = np.asarray(d, dtype=float)
    r = stats.permutation_test((d,), lambda x, axis: np.abs(np.mean(x, axis=axis)),
                               permutation_type="samples", alternative="greater",
                               n_resamples=np.inf, vectorized=True)
    perm.append(dict(name=name, d=d.tolist(), p_value=float(r.pvalue)))


for n in (2, 4, 7, 12, 16):
    flip(f"flip_n{n}", rng.normal(0.02, 0.05, n))
flip("flip_ties_n10", [0.1, -0.1, 0.2, 0.2, 0.0, 0.3, -0.3, 0.1, 0.1, 0.05])
# exact value for a Monte Carlo check (n = 20 > 16)
flip("flip_mc_n20", rng.normal(0.015, 0.05, 20))

import scipy
out = dict(scipy=scipy.__version__, wilcoxon=cases, sign_flip=perm)
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "paired_scipy.json"), "w") as f:
    json.dump(out, f, indent=1)
print(len(cases), len(perm))
