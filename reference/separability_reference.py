#!/usr/bin/env python3
"""Linear-programming verdicts on separability, for nnc's separable-data test.

Writes Tests/RuntimeTests/Fixtures/reference/separability-lp.json: small sets
of margin rows a_i (one per example of a logistic regression, a_i = s_i x_i
with s_i = +1 or -1 its class sign) and, for each, whether a direction d with
A d >= 0 and A d != 0 exists, i.e. whether the loss without L2 has no minimum.

The verdict comes from scipy's HiGHS linear-programming solver, a method
independent of nnc's (a non-negative least-squares problem): maximise
sum_i a_i . d subject to A d >= 0 and -1 <= d_j <= 1. The optimum is 0 exactly
when no such d exists, and clearly positive otherwise; the script asserts it
is either below 1e-9 or above 1e-4 so that no case sits at the solver's
tolerance.

Cases cycle through three kinds: labels from a random hyperplane (completely
separable), those labels with a pair of points on the hyperplane given both
signs (quasi-complete separation: still no minimum), and labels with noise
on more rows (overlapping, as it turns out for every noisy case here).

Keys: generated_by, scipy_version, seed, cases: list of {kind, count, width,
rows (count x width, row-major), separable}.

Run from anywhere:  python3 reference/separability_reference.py
"""

import json
import os
import sys

import numpy as np
import scipy
from scipy.optimize import linprog

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "Tests", "RuntimeTests", "Fixtures", "reference")
SCRIPT = "reference/separability_reference.py"
SEED = 424242
CASES = 48


def main():
    rng = np.random.default_rng(SEED)
    cases = []
    for index in range(CASES):
        kind = ["complete", "quasi-complete", "noisy"][index % 3]
        n = int(rng.integers(20, 50) if kind == "noisy" else rng.integers(6, 30))
        width = int(rng.integers(1, 6))
        x = np.round(rng.normal(size=(n, width)), 3)
        w = rng.normal(size=width)
        if kind == "noisy":
            sign = np.sign(x @ w + 1.5 * rng.normal(size=n))
        else:
            sign = np.sign(x @ w)
        sign[sign == 0] = 1.0
        if kind == "quasi-complete":
            # A point on the hyperplane w . x = 0, once with each sign.
            z = rng.normal(size=width)
            z -= (z @ w) / (w @ w) * w
            x = np.vstack([x, z, z])
            sign = np.concatenate([sign, [1.0, -1.0]])
        rows = x * sign[:, None]
        result = linprog(-rows.sum(axis=0), A_ub=-rows, b_ub=np.zeros(len(rows)),
                         bounds=[(-1, 1)] * width, method="highs")
        assert result.status == 0, result.message
        optimum = -result.fun
        assert optimum < 1e-9 or optimum > 1e-4, f"case {index}: optimum {optimum}"
        cases.append({
            "kind": kind,
            "count": int(rows.shape[0]),
            "width": width,
            "rows": rows.reshape(-1).tolist(),
            "separable": bool(optimum > 1e-4),
        })
    separable = sum(case["separable"] for case in cases)
    print(f"{separable} of {len(cases)} cases separable")
    doc = {"generated_by": SCRIPT, "scipy_version": scipy.__version__, "seed": SEED,
           "cases": cases}
    path = os.path.join(OUT_DIR, "separability-lp.json")
    with open(path, "w") as handle:
        json.dump(doc, handle, indent=1, allow_nan=False)
        handle.write("\n")
    print(f"  wrote {os.path.relpath(path, ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
