#!/usr/bin/env python3
"""Fitted linear models on the exported training sets, as nnc reference fixtures.

Reads specs/data/*-train.csv (written by reference/export_datasets.py) and
writes into Tests/RuntimeTests/Fixtures/reference/:

  logistic-breast-cancer.json  binary logistic regression (scikit-learn)
  softmax-iris.json            multinomial logistic regression (scikit-learn)
  ridge-diabetes.json          ridge regression (closed form, numpy)

nnc's objective for a single dense layer is

    J(W, b) = (1/n) sum_i loss_i + (l2/2) ||W||_F^2      (b is not penalised)

scikit-learn's LogisticRegression minimises  C * sum_i loss_i + (1/2)||W||^2
with the intercept unpenalised.  Multiplying that by l2 gives J exactly when
C = 1 / (l2 * n).  The script does not take this on trust: it evaluates the
gradient of J at scikit-learn's solution and requires it to vanish.

Run from anywhere:  python3 reference/sklearn_references.py
"""

import os

# Single-threaded BLAS so that every run sums in the same order.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import csv  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression, Ridge  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_DIR = os.path.join(ROOT, "specs", "data")
OUT_DIR = os.path.join(ROOT, "Tests", "RuntimeTests", "Fixtures", "reference")
SCRIPT = "reference/sklearn_references.py"

GRADIENT_TOL = 1e-8


def read_csv(name, label_column):
    path = os.path.join(DATA_DIR, name)
    with open(path, newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = list(reader)
    label_index = header.index(label_column)
    assert label_index == len(header) - 1
    features = np.array([[float(v) for v in row[:-1]] for row in rows],
                        dtype=np.float64)
    labels = [row[-1] for row in rows]
    return header[:-1], features, labels


def standardize(features):
    mean = features.mean(axis=0)
    std = features.std(axis=0, ddof=0)
    assert (std > 0).all()
    return (features - mean) / std, mean, std


def encode_sorted(labels):
    """Class index = position in byte-wise sorted order of the label strings."""
    classes = sorted(set(labels), key=lambda s: s.encode("utf-8"))
    lookup = {c: i for i, c in enumerate(classes)}
    return classes, np.array([lookup[v] for v in labels], dtype=np.int64)


def fit_logistic(x, y, l2, max_iter, solver="newton-cholesky"):
    n = x.shape[0]
    model = LogisticRegression(C=1.0 / (l2 * n), solver=solver, tol=1e-12,
                               max_iter=max_iter)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(x, y)
    return model


# ----------------------------------------------------------------------------
# nnc's objectives and their gradients, written out independently of sklearn

def sigmoid_objective(x, y, l2, w, b):
    z = x @ w + b
    data = np.mean(np.logaddexp(0.0, z) - y * z)
    p = 1.0 / (1.0 + np.exp(-z))
    residual = (p - y) / x.shape[0]
    grad_w = x.T @ residual + l2 * w
    grad_b = residual.sum()
    return data + 0.5 * l2 * (w @ w), grad_w, grad_b


def softmax_objective(x, y, l2, w, b):
    n, k = x.shape[0], w.shape[1]
    z = x @ w + b
    zmax = z.max(axis=1, keepdims=True)
    logsumexp = (zmax + np.log(np.exp(z - zmax).sum(axis=1, keepdims=True)))[:, 0]
    data = np.mean(logsumexp - z[np.arange(n), y])
    p = np.exp(z - logsumexp[:, None])
    onehot = np.zeros((n, k))
    onehot[np.arange(n), y] = 1.0
    residual = (p - onehot) / n
    grad_w = x.T @ residual + l2 * w
    grad_b = residual.sum(axis=0)
    return data + 0.5 * l2 * (w * w).sum(), grad_w, grad_b


def ridge_objective(x, t, l2, w, b):
    r = t - (x @ w + b)
    n = x.shape[0]
    objective = 0.5 * np.mean(r * r) + 0.5 * l2 * (w @ w)
    grad_w = -(x.T @ r) / n + l2 * w
    grad_b = -r.sum() / n
    return objective, grad_w, grad_b


def max_abs_gradient(grad_w, grad_b):
    return float(max(np.abs(grad_w).max(), np.abs(np.asarray(grad_b)).max()))


def write(name, doc):
    path = os.path.join(OUT_DIR, name)
    with open(path, "w") as handle:
        json.dump(doc, handle, indent=2, allow_nan=False)
        handle.write("\n")
    print(f"  wrote {os.path.relpath(path, ROOT)}")


# ----------------------------------------------------------------------------

def logistic_breast_cancer():
    l2 = 0.01
    train = "breast-cancer-train.csv"
    names, raw, labels = read_csv(train, "diagnosis")
    classes, y = encode_sorted(labels)
    assert classes == ["benign", "malignant"]
    x, mean, std = standardize(raw)
    n = x.shape[0]

    model = fit_logistic(x, y, l2, max_iter=100)
    assert list(model.classes_) == [0, 1]
    w = model.coef_[0].copy()
    b = float(model.intercept_[0])
    objective, grad_w, grad_b = sigmoid_objective(x, y.astype(np.float64), l2, w, b)
    objective = float(objective)
    grad = max_abs_gradient(grad_w, grad_b)
    assert grad < GRADIENT_TOL, f"gradient of nnc's objective is {grad:.3e}"
    iterations = int(model.n_iter_[0])
    print(f"logistic-breast-cancer: n={n}, C={1.0 / (l2 * n)!r}, "
          f"objective {objective!r}, {iterations} Newton iterations, "
          f"max |grad J| {grad:.3e}")
    write("logistic-breast-cancer.json", {
        "generated_by": SCRIPT,
        "train_file": "specs/data/" + train,
        "label_column": "diagnosis",
        "features": names,
        "classes": classes,
        "loss": "nll",
        "activation": "sigmoid",
        "l2": l2,
        "n": n,
        "C": 1.0 / (l2 * n),
        "solver": "newton-cholesky",
        "feature_mean": mean.tolist(),
        "feature_std": std.tolist(),
        "weights": w.tolist(),
        "bias": b,
        "objective": float(objective),
        "newton_iterations": iterations,
        "max_abs_gradient": grad,
    })


def softmax_iris():
    l2 = 0.01
    train = "iris-train.csv"
    names, raw, labels = read_csv(train, "species")
    classes, y = encode_sorted(labels)
    assert classes == ["setosa", "versicolor", "virginica"]
    x, mean, std = standardize(raw)
    n, d = x.shape
    k = len(classes)

    model = fit_logistic(x, y, l2, max_iter=10000)
    assert list(model.classes_) == list(range(k))
    assert model.coef_.shape == (k, d), "expected a multinomial fit"
    w = model.coef_.T.copy()            # (inputs, outputs) as nnc stores it
    b = model.intercept_.copy()
    # Softmax is unchanged by adding one constant to every bias, and the bias
    # is not penalised, so only the differences between biases are determined.
    # Store the representative whose entries sum to zero.
    b = b - b.mean()
    objective, grad_w, grad_b = softmax_objective(x, y, l2, w, b)
    objective = float(objective)
    grad = max_abs_gradient(grad_w, grad_b)
    assert grad < GRADIENT_TOL, f"gradient of nnc's objective is {grad:.3e}"
    iterations = int(np.max(model.n_iter_))
    print(f"softmax-iris: n={n}, C={1.0 / (l2 * n)!r}, objective {objective!r}, "
          f"{iterations} Newton iterations, max |grad J| {grad:.3e}")
    write("softmax-iris.json", {
        "generated_by": SCRIPT,
        "train_file": "specs/data/" + train,
        "label_column": "species",
        "features": names,
        "classes": classes,
        "loss": "nll",
        "activation": "softmax",
        "l2": l2,
        "n": n,
        "C": 1.0 / (l2 * n),
        "solver": "newton-cholesky",
        "feature_mean": mean.tolist(),
        "feature_std": std.tolist(),
        "weights": w.reshape(-1).tolist(),
        "bias": b.tolist(),
        "objective": float(objective),
        "newton_iterations": iterations,
        "max_abs_gradient": grad,
    })


def ridge_diabetes():
    l2 = 0.1
    train = "diabetes-train.csv"
    names, x, targets = read_csv(train, "progression")
    t = np.array([float(v) for v in targets])
    n, d = x.shape

    x_mean = x.mean(axis=0)
    t_mean = t.mean()
    xc = x - x_mean
    tc = t - t_mean
    w = np.linalg.solve(xc.T @ xc / n + l2 * np.eye(d), xc.T @ tc / n)
    b = float(t_mean - x_mean @ w)

    objective, grad_w, grad_b = ridge_objective(x, t, l2, w, b)
    objective = float(objective)
    grad = max_abs_gradient(grad_w, grad_b)
    assert grad < GRADIENT_TOL, f"gradient of nnc's objective is {grad:.3e}"

    # Cross-check against scikit-learn's Ridge, which minimises
    # ||t - Xw - b||^2 + alpha ||w||^2, i.e. 2n times J when alpha = l2 * n.
    ridge = Ridge(alpha=l2 * n, solver="cholesky").fit(x, t)
    assert np.allclose(ridge.coef_, w, rtol=1e-10, atol=1e-10)
    assert abs(ridge.intercept_ - b) < 1e-10 * max(1.0, abs(b))

    print(f"ridge-diabetes: n={n}, objective {objective!r}, "
          f"max |grad J| {grad:.3e}")
    write("ridge-diabetes.json", {
        "generated_by": SCRIPT,
        "train_file": "specs/data/" + train,
        "label_column": "progression",
        "features": names,
        "loss": "quadratic",
        "activation": "identity",
        "l2": l2,
        "n": n,
        "weights": w.tolist(),
        "bias": b,
        "objective": float(objective),
        "max_abs_gradient": grad,
    })


def main():
    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}")
    os.makedirs(OUT_DIR, exist_ok=True)
    logistic_breast_cancer()
    softmax_iris()
    ridge_diabetes()
    return 0


if __name__ == "__main__":
    sys.exit(main())
