"""nnc's weights.safetensors is a standard file: numpy and the `safetensors`
package alone reproduce what `nnc predict` prints.

The test trains a shipped spec with nnc's release binary, predicts its test
file with `nnc predict`, and then does the same prediction here from the
weights file only: the tensors through `safetensors.numpy`, the layer layout,
features, classes and preprocessing from the file's `__metadata__`. It is
skipped when `.build/release/nnc` has not been built
(`swift build -c release`).

Run from the repository root:  python3 -m pytest -q tests/python
"""
import csv
import json
import os
import subprocess

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import load_file

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NNC = os.path.join(ROOT, ".build", "release", "nnc")

pytestmark = pytest.mark.skipif(
    not os.access(NNC, os.X_OK), reason="no release build: swift build -c release"
)


def activate(name, z):
    if name == "identity":
        return z
    if name == "relu":
        return np.maximum(z, 0)
    if name == "tanh":
        return np.tanh(z)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-z))
    if name == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    raise ValueError(name)


def predict_with_numpy(weights_path, data_path):
    """Class probabilities for the rows of a CSV file, from the weights file alone."""
    tensors = load_file(weights_path)
    with safe_open(weights_path, framework="numpy") as f:
        meta = f.metadata()
    assert meta["format"] == "nnc"
    layers = json.loads(meta["layers"])
    features = json.loads(meta["features"])
    classes = json.loads(meta["classes"])
    prep = json.loads(meta["preprocessing"])

    with open(data_path, newline="") as f:
        rows = list(csv.DictReader(f))
    x = np.array([[float(row[name]) for name in features] for row in rows])
    # x' = x * slope + offset in float64, then float32: the order nnc uses.
    scale = prep.get("scale", 1.0)
    if "mean" in prep:
        std = np.array(prep["std"])
        slope, offset = scale / std, -np.array(prep["mean"]) / std
    else:
        slope, offset = np.full(len(features), scale), np.zeros(len(features))
    h = (x * slope + offset).astype(np.float32)

    for index, layer in enumerate(layers):
        w = tensors[f"layers.{index}.weight"]
        assert w.dtype == np.float32
        assert w.shape == (layer["inputs"], layer["outputs"])
        z = h @ w
        if layer["bias"]:
            z = z + tensors[f"layers.{index}.bias"]
        h = activate(layer["activation"], z)
    return classes, h.astype(np.float64)


@pytest.mark.parametrize(
    "spec, data",
    [
        ("specs/iris-softmax.yaml", "specs/data/iris-test.csv"),
        ("specs/digits-mlp.yaml", "specs/data/digits-test.csv"),
    ],
)
def test_numpy_reproduces_nnc_predict(spec, data, tmp_path):
    run = tmp_path / "run"
    subprocess.run(
        [NNC, "run", spec, "--output", str(run), "--quiet"], cwd=ROOT, check=True
    )
    weights = str(run / "weights.safetensors")
    output = tmp_path / "predictions.csv"
    subprocess.run(
        [NNC, "predict", spec, "--weights", weights, "--input", data,
         "--output", str(output)],
        cwd=ROOT, check=True,
    )

    classes, expected = predict_with_numpy(weights, os.path.join(ROOT, data))
    with open(output, newline="") as f:
        printed = list(csv.reader(f))
    assert printed[0] == ["class"] + ["p_" + name for name in classes]
    probabilities = np.array([[float(v) for v in row[1:]] for row in printed[1:]])
    assert probabilities.shape == expected.shape
    # float32 arithmetic summed in another order: equal to a few ulps.
    np.testing.assert_allclose(probabilities, expected, rtol=1e-4, atol=1e-6)
    predicted = [row[0] for row in printed[1:]]
    ranked = np.sort(expected, axis=1)
    for row, name in enumerate(predicted):
        # The same class, unless the two most likely are too close to call.
        if ranked[row, -1] - ranked[row, -2] > 1e-5:
            assert name == classes[int(np.argmax(expected[row]))]
