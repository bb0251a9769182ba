#!/usr/bin/env python3
"""PyTorch reference for nnc's optimizers and step-size schedules, in float64.

Writes Tests/RuntimeTests/Fixtures/reference/optimizers-torch.json: one small
network (3 -> 4 tanh -> 3 softmax), its data, its initial parameters, and, for
each optimizer configuration below, the parameters after every one of six
full-batch steps taken by torch.optim with a torch.optim.lr_scheduler.

Conventions (the ones nnc uses):
  h0 = x, z_l = h_{l-1} W_l + b_l, W_l of shape (inputs, outputs);
  L = mean over the rows of -log softmax(z_2)_y + l2/2 * sum_l ||W_l||^2, the
  L2 term on weights only. torch.optim's weight_decay adds l2 * w to the
  gradient (plain L2, not AdamW's decoupled decay), so it is given to the
  weights' parameter group and 0 to the biases'.
  One epoch is one full-batch step; the scheduler steps after it, so epoch t
  (from 0) uses the rate the schedule gives for t:
    constant     lr
    inverse      lr * (1 + gamma t)^(-power)     LambdaLR
    step         lr * factor^floor(t / every)    StepLR(step_size=every)
    exponential  lr * gamma^t                    ExponentialLR

Keys: generated_by, torch_version, seed, layers, loss, l2, x (rows x 3,
row-major), labels, parameters (name -> flat row-major list), and cases: a
list of {name, optimizer (nnc's keys), schedule (nnc's keys), learning_rates
(the rate of each epoch as the scheduler reported it), losses (the data loss,
without the L2 term, at the start of each epoch), parameters_after_epochs
(one name -> list map per epoch)}.

Checks made before anything is written: each scheduler's rates equal the
closed form above to 1e-15 relative, and every case lowers the full
objective over its six steps.

Run from anywhere:  python3 reference/optimizer_reference.py
"""

import json
import math
import os
import sys

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "Tests", "RuntimeTests", "Fixtures", "reference")
SCRIPT = "reference/optimizer_reference.py"

SEED = 31337
ROWS = 10
LAYERS = [
    {"inputs": 3, "outputs": 4, "activation": "tanh", "bias": True},
    {"inputs": 4, "outputs": 3, "activation": "softmax", "bias": True},
]
L2 = 0.05
EPOCHS = 6

CASES = [
    {"name": "sgd-constant",
     "optimizer": {"kind": "sgd", "learning_rate": 0.5},
     "schedule": {"kind": "constant"}},
    {"name": "momentum-inverse",
     "optimizer": {"kind": "sgd", "learning_rate": 0.3, "momentum": 0.9},
     "schedule": {"kind": "inverse", "gamma": 0.5, "power": 0.75}},
    {"name": "nesterov-step",
     "optimizer": {"kind": "sgd", "learning_rate": 0.4, "momentum": 0.8,
                   "nesterov": True},
     "schedule": {"kind": "step", "every": 2, "factor": 0.5}},
    {"name": "adam-exponential",
     "optimizer": {"kind": "adam", "learning_rate": 0.05, "beta1": 0.9,
                   "beta2": 0.999, "epsilon": 1e-8},
     "schedule": {"kind": "exponential", "gamma": 0.9}},
    {"name": "adam-betas",
     "optimizer": {"kind": "adam", "learning_rate": 0.02, "beta1": 0.5,
                   "beta2": 0.9, "epsilon": 1e-3},
     "schedule": {"kind": "constant"}},
]


def names():
    out = []
    for index in range(len(LAYERS)):
        out += [f"layers.{index}.weight", f"layers.{index}.bias"]
    return out


def data_loss(params, x, y):
    h = x
    for index, layer in enumerate(LAYERS):
        z = h @ params[f"layers.{index}.weight"] + params[f"layers.{index}.bias"]
        h = torch.tanh(z) if layer["activation"] == "tanh" else z
    return F.cross_entropy(h, y)


def objective(params, x, y):
    penalty = sum((params[f"layers.{i}.weight"] ** 2).sum() for i in range(len(LAYERS)))
    return data_loss(params, x, y) + 0.5 * L2 * penalty


def closed_form_rate(schedule, rate, t):
    kind = schedule["kind"]
    if kind == "constant":
        return rate
    if kind == "inverse":
        return rate * (1 + schedule["gamma"] * t) ** (-schedule["power"])
    if kind == "step":
        return rate * schedule["factor"] ** (t // schedule["every"])
    return rate * schedule["gamma"] ** t


def make_optimizer(case, params):
    weights = [params[n] for n in names() if n.endswith("weight")]
    biases = [params[n] for n in names() if n.endswith("bias")]
    groups = [{"params": weights, "weight_decay": L2},
              {"params": biases, "weight_decay": 0.0}]
    spec = case["optimizer"]
    if spec["kind"] == "sgd":
        return torch.optim.SGD(groups, lr=spec["learning_rate"],
                               momentum=spec.get("momentum", 0.0),
                               nesterov=spec.get("nesterov", False))
    return torch.optim.Adam(groups, lr=spec["learning_rate"],
                            betas=(spec["beta1"], spec["beta2"]), eps=spec["epsilon"])


def make_scheduler(case, optimizer):
    schedule = case["schedule"]
    kind = schedule["kind"]
    if kind == "constant":
        return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: 1.0)
    if kind == "inverse":
        gamma, power = schedule["gamma"], schedule["power"]
        return torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda t: (1 + gamma * t) ** (-power))
    if kind == "step":
        return torch.optim.lr_scheduler.StepLR(
            optimizer, step_size=schedule["every"], gamma=schedule["factor"])
    return torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=schedule["gamma"])


def flat(params):
    return {n: params[n].detach().reshape(-1).tolist() for n in names()}


def main():
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(SEED)
    dtype = torch.float64
    x = torch.randn(ROWS, 3, generator=generator, dtype=dtype)
    y = torch.arange(ROWS) % 3
    initial = {}
    for index, layer in enumerate(LAYERS):
        initial[f"layers.{index}.weight"] = 0.7 * torch.randn(
            layer["inputs"], layer["outputs"], generator=generator, dtype=dtype)
        initial[f"layers.{index}.bias"] = 0.2 * torch.randn(
            layer["outputs"], generator=generator, dtype=dtype)

    cases = []
    for case in CASES:
        params = {n: t.clone().requires_grad_(True) for n, t in initial.items()}
        optimizer = make_optimizer(case, params)
        scheduler = make_scheduler(case, optimizer)
        rates, losses, after = [], [], []
        start = float(objective(params, x, y).detach())
        for t in range(EPOCHS):
            rate = optimizer.param_groups[0]["lr"]
            expected = closed_form_rate(case["schedule"],
                                        case["optimizer"]["learning_rate"], t)
            assert math.isclose(rate, expected, rel_tol=1e-15), (case["name"], t)
            rates.append(rate)
            optimizer.zero_grad()
            loss = data_loss(params, x, y)
            losses.append(float(loss.detach()))
            loss.backward()
            optimizer.step()
            scheduler.step()
            after.append(flat(params))
        end = float(objective(params, x, y).detach())
        assert end < start, f"{case['name']}: objective {start} -> {end}"
        print(f"{case['name']}: objective {start:.6f} -> {end:.6f}")
        cases.append({
            "name": case["name"],
            "optimizer": case["optimizer"],
            "schedule": case["schedule"],
            "learning_rates": rates,
            "losses": losses,
            "parameters_after_epochs": after,
        })

    doc = {
        "generated_by": SCRIPT,
        "torch_version": torch.__version__,
        "seed": SEED,
        "layers": LAYERS,
        "loss": "nll",
        "l2": L2,
        "x": x.reshape(-1).tolist(),
        "labels": y.tolist(),
        "parameters": flat(initial),
        "cases": cases,
    }
    path = os.path.join(OUT_DIR, "optimizers-torch.json")
    with open(path, "w") as handle:
        json.dump(doc, handle, indent=2, allow_nan=False)
        handle.write("\n")
    print(f"  wrote {os.path.relpath(path, ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
