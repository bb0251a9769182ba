#!/usr/bin/env python3
"""PyTorch reference for a 6 -> 5 tanh -> 4 relu -> 3 softmax network in float32.

Writes into Tests/RuntimeTests/Fixtures/reference/:
  torch-mlp.safetensors  the initial weights and biases (float32), named
                         layers.<l>.weight (inputs, outputs) and layers.<l>.bias;
  torch-mlp.json         the data, the initial full-batch loss and its gradient
                         (autograd), and the parameters after ten SGD steps with
                         momentum on minibatches of 8 rows.

Conventions (the ones nnc uses):
  h0 = x (one example per row), z_l = h_{l-1} W_l + b_l, h_l = phi_l(z_l),
  with W_l of shape (inputs, outputs) -- the transpose of torch.nn.Linear's
  weight, so the network is written with plain tensors and x @ W + b.
  L = mean over the rows of -log softmax(z_3)_y + l2/2 * sum_l ||W_l||_F^2
  (biases are not penalised).
  SGD with momentum, PyTorch's convention, written out by hand:
    g = grad L (includes l2 * W for weights only)
    v <- momentum * v + g        (v starts at 0, so v_1 = g_1)
    w <- w - learning_rate * v
  Step s (s = 0..9) uses rows (8 s mod 32) .. (8 s mod 32) + 7, in order.

Checks made before anything is written:
  - the autograd gradient equals a float64 numpy backpropagation of the same
    formulas (at the same float32 parameter values) to 1e-5 relative;
  - the ten hand-written steps, repeated in float64 numpy, reach the same
    parameters to 1e-4 relative;
  - torch.optim.SGD (momentum, weight_decay on the weights only) applied to the
    plain cross-entropy agrees with the hand-written steps to 1e-6 relative;
  - relu pre-activations stay at least 1e-3 away from 0 on every batch used,
    so a different summation order cannot flip a unit, and every relu unit
    sees both signs on the full batch;
  - the full-batch loss is lower after the ten steps.

Deterministic: fixed seed, torch.use_deterministic_algorithms(True), one
thread. Rerunning on the same machine gives byte-identical files.

Run from anywhere:  python3 reference/torch_reference.py
"""

import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "Tests", "RuntimeTests", "Fixtures", "reference")
SCRIPT = "reference/torch_reference.py"
NAME = "torch-mlp"

SEED = 20240
ROWS = 32
LAYERS = [
    {"inputs": 6, "outputs": 5, "activation": "tanh", "bias": True},
    {"inputs": 5, "outputs": 4, "activation": "relu", "bias": True},
    {"inputs": 4, "outputs": 3, "activation": "softmax", "bias": True},
]
L2 = 0.01
LEARNING_RATE = 0.1
MOMENTUM = 0.9
BATCH_SIZE = 8
STEPS = 10
WEIGHT_SCALE = 0.6
BIAS_SCALE = 0.3

GRAD_REL_TOL = 1e-5      # autograd (float32) vs numpy backprop (float64)
TRAJ_REL_TOL = 1e-4      # ten steps, float32 torch vs float64 numpy
OPTIM_REL_TOL = 1e-6     # hand-written steps vs torch.optim.SGD, both float32
RELU_MARGIN = 1e-3

DTYPE = torch.float32


def names():
    out = []
    for index in range(len(LAYERS)):
        out.append(f"layers.{index}.weight")
        out.append(f"layers.{index}.bias")
    return out


def is_weight(name):
    return name.endswith(".weight")


# ----------------------------------------------------------------------------
# Data and initial parameters

def make_data_and_parameters():
    generator = torch.Generator().manual_seed(SEED)
    x = torch.randn(ROWS, LAYERS[0]["inputs"], generator=generator, dtype=DTYPE)
    classes = LAYERS[-1]["outputs"]
    labels = torch.randint(0, classes, (ROWS,), generator=generator)
    labels[:classes] = torch.arange(classes)  # every class appears
    params = {}
    for index, layer in enumerate(LAYERS):
        shape = (layer["inputs"], layer["outputs"])
        params[f"layers.{index}.weight"] = (
            torch.randn(shape, generator=generator, dtype=DTYPE) * WEIGHT_SCALE)
        params[f"layers.{index}.bias"] = (
            torch.randn(layer["outputs"], generator=generator, dtype=DTYPE) * BIAS_SCALE)
    for c in range(classes):
        assert (labels == c).any(), f"class {c} missing"
    return x, labels, params


# ----------------------------------------------------------------------------
# PyTorch forward pass and loss (float32)

def torch_preactivations(params, x):
    zs = []
    h = x
    for index, layer in enumerate(LAYERS):
        z = h @ params[f"layers.{index}.weight"] + params[f"layers.{index}.bias"]
        zs.append(z)
        if layer["activation"] == "tanh":
            h = torch.tanh(z)
        elif layer["activation"] == "relu":
            h = torch.relu(z)
        elif layer["activation"] == "softmax":
            h = None  # folded into cross_entropy; output layer only
        else:
            raise ValueError(layer["activation"])
    return zs


def torch_loss(params, x, labels, include_l2=True):
    logits = torch_preactivations(params, x)[-1]
    loss = F.cross_entropy(logits, labels)  # mean over the rows
    if include_l2:
        penalty = sum((params[n] * params[n]).sum() for n in names() if is_weight(n))
        loss = loss + 0.5 * L2 * penalty
    return loss


def torch_loss_and_gradient(params, x, labels):
    leaves = {n: p.detach().clone().requires_grad_(True) for n, p in params.items()}
    loss = torch_loss(leaves, x, labels)
    grads = torch.autograd.grad(loss, [leaves[n] for n in names()])
    return loss.detach(), {n: g.detach() for n, g in zip(names(), grads)}


def check_relu_margin(params, x, what):
    with torch.no_grad():
        zs = torch_preactivations(params, x)
    smallest = float("inf")
    for layer, z in zip(LAYERS, zs):
        if layer["activation"] == "relu":
            margin = float(z.abs().min())
            assert margin > RELU_MARGIN, f"{what}: relu input {margin:.3e} too near 0"
            smallest = min(smallest, margin)
    return smallest


def minibatch_rows(step):
    start = (BATCH_SIZE * step) % ROWS
    return slice(start, start + BATCH_SIZE)


def torch_sgd_by_hand(params, x, labels):
    """Ten momentum steps, written out; returns the parameters and the step losses."""
    current = {n: p.clone() for n, p in params.items()}
    velocity = {n: torch.zeros_like(p) for n, p in params.items()}
    step_losses = []
    margins = []
    for step in range(STEPS):
        rows = minibatch_rows(step)
        xb, yb = x[rows], labels[rows]
        margins.append(check_relu_margin(current, xb, f"step {step}"))
        loss, grads = torch_loss_and_gradient(current, xb, yb)
        step_losses.append(loss)
        with torch.no_grad():
            for n in names():
                velocity[n] = MOMENTUM * velocity[n] + grads[n]
                current[n] = current[n] - LEARNING_RATE * velocity[n]
    return current, step_losses, min(margins)


def torch_sgd_with_optim(params, x, labels):
    """The same steps through torch.optim.SGD: weight_decay on the weights only."""
    leaves = {n: p.detach().clone().requires_grad_(True) for n, p in params.items()}
    optimizer = torch.optim.SGD(
        [{"params": [leaves[n] for n in names() if is_weight(n)], "weight_decay": L2},
         {"params": [leaves[n] for n in names() if not is_weight(n)], "weight_decay": 0.0}],
        lr=LEARNING_RATE, momentum=MOMENTUM, dampening=0.0, nesterov=False)
    for step in range(STEPS):
        rows = minibatch_rows(step)
        optimizer.zero_grad()
        torch_loss(leaves, x[rows], labels[rows], include_l2=False).backward()
        optimizer.step()
    return {n: p.detach() for n, p in leaves.items()}


# ----------------------------------------------------------------------------
# Independent float64 numpy backpropagation

def numpy_loss_and_gradient(params, x, labels):
    """params: name -> float64 array. Returns (loss, name -> gradient)."""
    batch = x.shape[0]
    hs = [x]
    zs = []
    for index, layer in enumerate(LAYERS):
        z = hs[-1] @ params[f"layers.{index}.weight"] + params[f"layers.{index}.bias"]
        zs.append(z)
        if layer["activation"] == "tanh":
            hs.append(np.tanh(z))
        elif layer["activation"] == "relu":
            hs.append(np.maximum(z, 0.0))
        elif layer["activation"] == "softmax":
            shifted = z - z.max(axis=1, keepdims=True)
            e = np.exp(shifted)
            hs.append(e / e.sum(axis=1, keepdims=True))
        else:
            raise ValueError(layer["activation"])

    logits = zs[-1]
    zmax = logits.max(axis=1)
    logsumexp = zmax + np.log(np.exp(logits - zmax[:, None]).sum(axis=1))
    data_term = (logsumexp - logits[np.arange(batch), labels]).mean()
    penalty = sum((params[n] ** 2).sum() for n in names() if is_weight(n))
    loss = data_term + 0.5 * L2 * penalty

    onehot = np.zeros_like(hs[-1])
    onehot[np.arange(batch), labels] = 1.0
    delta = (hs[-1] - onehot) / batch  # dL/dz for softmax + cross-entropy
    grads = {}
    for index in range(len(LAYERS) - 1, -1, -1):
        weights = params[f"layers.{index}.weight"]
        grads[f"layers.{index}.weight"] = hs[index].T @ delta + L2 * weights
        grads[f"layers.{index}.bias"] = delta.sum(axis=0)
        if index > 0:
            below = LAYERS[index - 1]["activation"]
            h = hs[index]
            if below == "tanh":
                derivative = 1.0 - h * h
            elif below == "relu":
                derivative = (zs[index - 1] > 0.0).astype(np.float64)
            else:
                raise ValueError(below)
            delta = (delta @ weights.T) * derivative
    return loss, grads


def numpy_sgd(params, x, labels):
    current = {n: p.copy() for n, p in params.items()}
    velocity = {n: np.zeros_like(p) for n, p in params.items()}
    for step in range(STEPS):
        rows = minibatch_rows(step)
        _, grads = numpy_loss_and_gradient(current, x[rows], labels[rows])
        for n in names():
            velocity[n] = MOMENTUM * velocity[n] + grads[n]
            current[n] = current[n] - LEARNING_RATE * velocity[n]
    return current


def relative_error(reference, other):
    """max |a - b| / max |a| over all tensors."""
    scale = max(float(np.abs(reference[n]).max()) for n in names())
    worst = max(float(np.abs(reference[n] - other[n]).max()) for n in names())
    return worst / scale


def entrywise_relative_error(reference, other):
    """Entry by entry, with a floor of 1e-3 x the largest entry."""
    scale = max(float(np.abs(reference[n]).max()) for n in names())
    worst = 0.0
    for n in names():
        floor = np.maximum(np.abs(reference[n]), 1e-3 * scale)
        worst = max(worst, float((np.abs(reference[n] - other[n]) / floor).max()))
    return worst


# ----------------------------------------------------------------------------

def flat(tensor):
    # float32 -> Python float is exact, so repr gives the float64 spelling of
    # the float32 value.
    return [float(v) for v in tensor.reshape(-1).tolist()]


def main():
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)

    x, labels, params = make_data_and_parameters()
    initial_margin = check_relu_margin(params, x, "initial full batch")
    with torch.no_grad():
        zs = torch_preactivations(params, x)
    for layer, z in zip(LAYERS, zs):
        if layer["activation"] == "relu":
            assert bool((z > 0).any(0).all() and (z < 0).any(0).all()), (
                "every relu unit should see both signs on the full batch")

    loss, grads = torch_loss_and_gradient(params, x, labels)
    after, step_losses, step_margin = torch_sgd_by_hand(params, x, labels)
    with torch.no_grad():
        loss_after = float(torch_loss(after, x, labels))
    assert loss_after < float(loss), "ten steps should lower the full-batch loss"

    # Cross-check 1: float64 numpy backprop at the same float32 parameters.
    x64 = x.double().numpy()
    y64 = labels.numpy()
    p64 = {n: p.double().numpy() for n, p in params.items()}
    np_loss, np_grads = numpy_loss_and_gradient(p64, x64, y64)
    t_grads = {n: g.double().numpy() for n, g in grads.items()}
    loss_error = abs(float(loss) - np_loss) / abs(np_loss)
    grad_error = relative_error(np_grads, t_grads)
    grad_entry_error = entrywise_relative_error(np_grads, t_grads)
    assert loss_error <= GRAD_REL_TOL, f"loss disagrees with numpy ({loss_error:.3e})"
    assert grad_error <= GRAD_REL_TOL, f"gradient disagrees with numpy ({grad_error:.3e})"
    assert grad_entry_error <= GRAD_REL_TOL, (
        f"a gradient entry disagrees with numpy ({grad_entry_error:.3e})")

    # Cross-check 2: the same ten steps in float64 numpy.
    np_after = numpy_sgd(p64, x64, y64)
    t_after = {n: p.double().numpy() for n, p in after.items()}
    traj_error = relative_error(np_after, t_after)
    assert traj_error <= TRAJ_REL_TOL, f"ten steps disagree with numpy ({traj_error:.3e})"

    # Cross-check 3: the hand-written update is PyTorch's own SGD convention.
    optim_after = {n: p.double().numpy() for n, p in
                   torch_sgd_with_optim(params, x, labels).items()}
    optim_error = relative_error(optim_after, t_after)
    assert optim_error <= OPTIM_REL_TOL, f"torch.optim.SGD disagrees ({optim_error:.3e})"

    os.makedirs(OUT_DIR, exist_ok=True)
    weights_path = os.path.join(OUT_DIR, NAME + ".safetensors")
    save_file({n: params[n].contiguous() for n in names()}, weights_path,
              metadata={"generated_by": SCRIPT})
    reread = load_file(weights_path)
    assert sorted(reread) == sorted(names())
    for n in names():
        assert reread[n].dtype == DTYPE and torch.equal(reread[n], params[n]), n

    doc = {
        "generated_by": SCRIPT,
        "torch_version": torch.__version__,
        "seed": SEED,
        "layers": LAYERS,
        "loss": "nll",
        "l2": L2,
        "learning_rate": LEARNING_RATE,
        "momentum": MOMENTUM,
        "batch_size": BATCH_SIZE,
        "steps": STEPS,
        "x": flat(x),
        "labels": [int(v) for v in labels.tolist()],
        "parameters": {n: flat(params[n]) for n in names()},
        "loss_value": float(loss),
        "gradients": {n: flat(grads[n]) for n in names()},
        "step_losses": [float(v) for v in step_losses],
        "parameters_after_steps": {n: flat(after[n]) for n in names()},
        "loss_after_steps": loss_after,
    }
    json_path = os.path.join(OUT_DIR, NAME + ".json")
    with open(json_path, "w") as handle:
        json.dump(doc, handle, indent=2, allow_nan=False)
        handle.write("\n")

    scale = max(float(g.abs().max()) for g in grads.values())
    print(f"{NAME}: torch {torch.__version__}, seed {SEED}")
    print(f"  loss {float(loss)!r} -> {loss_after!r} after {STEPS} steps")
    print(f"  max |gradient|                 {scale:.6g}")
    print(f"  smallest relu |z|              {initial_margin:.3e} (full batch), "
          f"{step_margin:.3e} (minibatches)")
    print(f"  loss vs numpy float64          {loss_error:.3e}")
    print(f"  gradient vs numpy float64      {grad_error:.3e} "
          f"(worst entry {grad_entry_error:.3e})")
    print(f"  after steps vs numpy float64   {traj_error:.3e}")
    print(f"  after steps vs torch.optim.SGD {optim_error:.3e}")
    print(f"  wrote {os.path.relpath(weights_path, ROOT)}")
    print(f"  wrote {os.path.relpath(json_path, ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
