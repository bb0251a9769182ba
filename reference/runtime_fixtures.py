#!/usr/bin/env python3
"""Reference forward pass, loss, gradient and one SGD step for tiny networks.

Writes one JSON file per case into Tests/RuntimeTests/Fixtures/reference/.
Everything is float64 numpy; the gradient is derived by plain backpropagation
and then checked against central finite differences of the loss, so every
fixture is verified independently of the code that produced it.

Conventions (the ones nnc uses):
  h0 = x (one example per row), z_l = h_{l-1} W_l + b_l, h_l = phi_l(z_l),
  W_l has shape (inputs, outputs) and is stored row-major.
  The flat parameter vector is, layer by layer, W_l row-major then b_l (only
  when the layer has a bias).
  L = mean over the batch of the per-example loss + l2/2 * sum_l ||W_l||_F^2
  (biases are never penalised).
    nll + softmax       : -log softmax(z)_y
    nll + 1 sigmoid unit: -[y log p + (1-y) log(1-p)], y in {0, 1}
    quadratic           : 1/2 ||t - h||^2
  One SGD step without momentum: theta <- theta - learning_rate * grad L.

Run from anywhere:  python3 reference/runtime_fixtures.py
"""

import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "Tests", "RuntimeTests", "Fixtures", "reference")
SCRIPT = "reference/runtime_fixtures.py"

FD_STEP = 1e-5          # central-difference step
FD_REL_TOL = 1e-7       # required agreement, relative to the largest gradient entry
RELU_MARGIN = 1e-3      # keep relu pre-activations away from the kink

ACTIVATIONS = ("identity", "sigmoid", "tanh", "relu", "softmax")


# ----------------------------------------------------------------------------
# Parameters

def parameter_shapes(layers):
    shapes = []
    for layer in layers:
        shapes.append(("W", (layer["inputs"], layer["outputs"])))
        if layer["bias"]:
            shapes.append(("b", (layer["outputs"],)))
    return shapes


def parameter_count(layers):
    return sum(int(np.prod(shape)) for _, shape in parameter_shapes(layers))


def unflatten(layers, theta):
    """Split the flat vector into a list of (W, b-or-None), one per layer."""
    assert theta.shape == (parameter_count(layers),)
    out = []
    offset = 0
    for layer in layers:
        n_in, n_out = layer["inputs"], layer["outputs"]
        weights = theta[offset:offset + n_in * n_out].reshape(n_in, n_out)
        offset += n_in * n_out
        bias = None
        if layer["bias"]:
            bias = theta[offset:offset + n_out]
            offset += n_out
        out.append((weights, bias))
    assert offset == theta.size
    return out


def flatten(pieces):
    parts = []
    for weights, bias in pieces:
        parts.append(np.ascontiguousarray(weights).reshape(-1))
        if bias is not None:
            parts.append(bias.reshape(-1))
    return np.concatenate(parts)


# ----------------------------------------------------------------------------
# Forward pass and loss

def activate(name, z):
    if name == "identity":
        return z.copy()
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "softmax":
        shifted = z - z.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        return e / e.sum(axis=1, keepdims=True)
    raise ValueError(name)


def activation_derivative(name, z, h):
    """Elementwise phi'(z) for the elementwise activations."""
    if name == "identity":
        return np.ones_like(z)
    if name == "sigmoid":
        return h * (1.0 - h)
    if name == "tanh":
        return 1.0 - h * h
    if name == "relu":
        return (z > 0.0).astype(np.float64)
    raise ValueError(f"{name} has no elementwise derivative")


def forward(case, theta):
    """Return the pre-activations z_l and activations h_l (h[0] is x)."""
    pieces = unflatten(case["layers"], theta)
    hs = [case["x"]]
    zs = []
    for layer, (weights, bias) in zip(case["layers"], pieces):
        z = hs[-1] @ weights
        if bias is not None:
            z = z + bias
        zs.append(z)
        hs.append(activate(layer["activation"], z))
    return zs, hs


def per_example_loss(case, z_out, h_out):
    output = case["layers"][-1]
    if case["loss"] == "nll" and output["activation"] == "softmax":
        labels = case["labels"]
        rows = np.arange(z_out.shape[0])
        zmax = z_out.max(axis=1)
        logsumexp = zmax + np.log(np.exp(z_out - zmax[:, None]).sum(axis=1))
        return logsumexp - z_out[rows, labels]
    if case["loss"] == "nll" and output["activation"] == "sigmoid":
        assert output["outputs"] == 1
        y = case["labels"].astype(np.float64)
        z = z_out[:, 0]
        # -[y log s(z) + (1-y) log(1-s(z))] = log(1+e^z) - y z
        return np.logaddexp(0.0, z) - y * z
    if case["loss"] == "quadratic":
        diff = case["targets"] - h_out
        return 0.5 * (diff * diff).sum(axis=1)
    raise ValueError("unsupported loss/output combination")


def loss_value(case, theta):
    zs, hs = forward(case, theta)
    data_term = per_example_loss(case, zs[-1], hs[-1]).mean()
    penalty = sum((weights * weights).sum()
                  for weights, _ in unflatten(case["layers"], theta))
    return data_term + 0.5 * case["l2"] * penalty


# ----------------------------------------------------------------------------
# Backpropagation

def output_delta(case, z_out, h_out):
    """dL_data/dz for the output layer (already divided by the batch size)."""
    batch = z_out.shape[0]
    output = case["layers"][-1]
    if case["loss"] == "nll" and output["activation"] == "softmax":
        onehot = np.zeros_like(h_out)
        onehot[np.arange(batch), case["labels"]] = 1.0
        return (h_out - onehot) / batch
    if case["loss"] == "nll" and output["activation"] == "sigmoid":
        y = case["labels"].astype(np.float64)[:, None]
        return (h_out - y) / batch
    if case["loss"] == "quadratic":
        derivative = activation_derivative(output["activation"], z_out, h_out)
        return (h_out - case["targets"]) * derivative / batch
    raise ValueError("unsupported loss/output combination")


def gradient(case, theta):
    layers = case["layers"]
    pieces = unflatten(layers, theta)
    zs, hs = forward(case, theta)
    delta = output_delta(case, zs[-1], hs[-1])
    grads = [None] * len(layers)
    for index in range(len(layers) - 1, -1, -1):
        weights, bias = pieces[index]
        grad_w = hs[index].T @ delta + case["l2"] * weights
        grad_b = delta.sum(axis=0) if bias is not None else None
        grads[index] = (grad_w, grad_b)
        if index > 0:
            below = layers[index - 1]
            delta = (delta @ weights.T) * activation_derivative(
                below["activation"], zs[index - 1], hs[index])
    return flatten(grads)


def finite_difference_gradient(case, theta):
    out = np.empty_like(theta)
    for i in range(theta.size):
        plus = theta.copy()
        minus = theta.copy()
        plus[i] += FD_STEP
        minus[i] -= FD_STEP
        out[i] = (loss_value(case, plus) - loss_value(case, minus)) / (2 * FD_STEP)
    return out


# ----------------------------------------------------------------------------
# Cases

def make_case(name, seed, layers, loss, l2, learning_rate, batch,
              weight_scale=0.7):
    for layer in layers:
        assert layer["activation"] in ACTIVATIONS
    for below, above in zip(layers, layers[1:]):
        assert below["outputs"] == above["inputs"]
    for layer in layers[:-1]:
        assert layer["activation"] != "softmax", "softmax is output-only"

    rng = np.random.default_rng(seed)
    n_in = layers[0]["inputs"]
    n_out = layers[-1]["outputs"]
    case = {
        "name": name,
        "seed": seed,
        "layers": layers,
        "loss": loss,
        "l2": float(l2),
        "learning_rate": float(learning_rate),
        "batch": batch,
    }
    case["x"] = rng.normal(0.0, 1.0, size=(batch, n_in))
    pieces = []
    for layer in layers:
        weights = rng.normal(0.0, weight_scale,
                             size=(layer["inputs"], layer["outputs"]))
        bias = rng.normal(0.0, 0.3, size=layer["outputs"]) if layer["bias"] else None
        pieces.append((weights, bias))
    case["theta"] = flatten(pieces)

    if loss == "nll" and layers[-1]["activation"] == "softmax":
        labels = rng.integers(0, n_out, size=batch)
        labels[:n_out] = np.arange(n_out)  # every class appears at least once
        case["labels"] = labels
    elif loss == "nll" and layers[-1]["activation"] == "sigmoid":
        labels = rng.integers(0, 2, size=batch)
        labels[:2] = [0, 1]
        case["labels"] = labels
    elif loss == "quadratic":
        case["targets"] = rng.normal(0.0, 1.0, size=(batch, n_out))
    else:
        raise ValueError("unsupported loss/output combination")
    return case


def check_and_describe(case):
    theta = case["theta"]
    zs, hs = forward(case, theta)
    for layer, z in zip(case["layers"], zs):
        if layer["activation"] == "relu":
            assert np.abs(z).min() > RELU_MARGIN, "relu input too near the kink"
            assert (z > 0).any() and (z < 0).any(), "relu should see both signs"

    analytic = gradient(case, theta)
    numeric = finite_difference_gradient(case, theta)
    scale = np.abs(analytic).max()
    error = np.abs(analytic - numeric).max()
    assert error <= FD_REL_TOL * scale, (
        f"{case['name']}: finite differences disagree ({error:.3e} vs scale {scale:.3e})")
    # Entry by entry as well, with a floor so that near-zero entries are judged
    # against the gradient's overall size rather than against themselves.
    floor = np.maximum(np.abs(analytic), 1e-3 * scale)
    worst_entry = (np.abs(analytic - numeric) / floor).max()
    assert worst_entry <= FD_REL_TOL, (
        f"{case['name']}: an entry disagrees with finite differences ({worst_entry:.3e})")

    loss = float(loss_value(case, theta))
    after = theta - case["learning_rate"] * analytic
    # The step must lower the loss for these small learning rates.
    assert loss_value(case, after) < loss

    print(f"{case['name']}: {theta.size} parameters, loss {loss!r}")
    print(f"  max |x|          {np.abs(case['x']).max():.6g}")
    print(f"  max |theta|      {np.abs(theta).max():.6g}")
    print(f"  max |output|     {np.abs(hs[-1]).max():.6g}")
    print(f"  max |gradient|   {scale:.6g}")
    print(f"  max |theta'|     {np.abs(after).max():.6g}")
    print(f"  max |grad - fd|  {error:.3e}  (relative {error / scale:.3e}, "
          f"worst entry {worst_entry:.3e})")
    return hs[-1], loss, analytic, after


def to_json(case, output, loss, grad, after):
    doc = {
        "generated_by": SCRIPT,
        "seed": case["seed"],
        "layers": case["layers"],
        "loss": case["loss"],
        "l2": case["l2"],
        "learning_rate": case["learning_rate"],
        "batch_size": case["batch"],
        "x": case["x"].reshape(-1).tolist(),
    }
    if "labels" in case:
        doc["labels"] = [int(v) for v in case["labels"]]
    else:
        doc["targets"] = case["targets"].reshape(-1).tolist()
    doc["parameters"] = case["theta"].tolist()
    doc["output"] = output.reshape(-1).tolist()
    doc["loss_value"] = float(loss)
    doc["gradient"] = grad.tolist()
    doc["parameters_after_step"] = after.tolist()
    return doc


def layer(inputs, outputs, activation, bias=True):
    return {"inputs": inputs, "outputs": outputs,
            "activation": activation, "bias": bias}


CASES = [
    dict(name="mlp-relu-softmax", seed=101,
         layers=[layer(4, 5, "relu"), layer(5, 3, "softmax")],
         loss="nll", l2=0.01, learning_rate=0.1, batch=6),
    dict(name="mlp-tanh-sigmoid", seed=202,
         layers=[layer(3, 4, "tanh"), layer(4, 1, "sigmoid")],
         loss="nll", l2=0.001, learning_rate=0.5, batch=5),
    dict(name="mlp-sigmoid-identity", seed=303,
         layers=[layer(3, 4, "sigmoid"), layer(4, 2, "identity")],
         loss="quadratic", l2=0.0, learning_rate=0.05, batch=5),
    dict(name="mlp-nobias", seed=404,
         layers=[layer(4, 5, "relu", bias=False), layer(5, 3, "softmax")],
         loss="nll", l2=0.01, learning_rate=0.1, batch=6),
]


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    for spec in CASES:
        case = make_case(**spec)
        output, loss, grad, after = check_and_describe(case)
        doc = to_json(case, output, loss, grad, after)
        path = os.path.join(OUT_DIR, case["name"] + ".json")
        with open(path, "w") as handle:
            json.dump(doc, handle, indent=2, allow_nan=False)
            handle.write("\n")
        print(f"  wrote {os.path.relpath(path, ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
