#!/usr/bin/env python3
"""Checks that the numpy and PyTorch peers do the same training work.

A benchmark is only fair if every implementation computes the same thing. This script
starts the hand-written numpy peer and the PyTorch peer (autograd and torch.optim.SGD,
written independently of it) from the same initial weights and runs them through the
same four steps: three full batches of 128 rows, so that momentum takes part, and one
batch of 96 rows, the size of every epoch's last batch. After each step it compares the
batch loss and every weight and bias; float32 on both sides, summed in different
orders, so it allows a relative difference of 1e-5 (against the largest magnitude of
each array; the two agree to about 3e-7). It runs twice: with the recipe's L2 of 1e-4,
and with L2 raised to 1e-2, because over four steps the recipe's penalty moves the
weights by only about 2e-5 relative, too little to show a missing or doubled L2 term.
Exits with status 1 on a mismatch. Needs torch; takes about two seconds.

    python3 bench/check_peers.py
"""

import os
import sys

import common

for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[name] = "1"

import numpy as np  # noqa: E402

import numpy_mlp  # noqa: E402

try:
    import torch  # noqa: E402

    import torch_mlp  # noqa: E402
except ImportError as error:
    print(f"skipped: torch not importable ({error})")
    sys.exit(0)

TOLERANCE = 1e-5


def worst_difference(a, b):
    """max |a - b| over max(|b|), the relative error of a whole array."""
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


def compare(x, y, l2):
    """Runs both peers through the four steps with L2 `l2`; returns the failed steps."""
    # Both peers read common.L2: torch when it builds its optimizer, numpy at each update.
    common.L2 = l2
    print(f"L2 {l2:g}:")
    peers = [numpy_mlp.NumpyMLP(x, y, np.random.default_rng(11)),
             torch_mlp.TorchMLP(x, y, np.random.default_rng(11))]
    order = np.random.default_rng(3).permutation(x.shape[0])
    sizes = [128, 128, 128, 96]
    failures = 0
    start = 0
    for step, rows in enumerate(sizes, start=1):
        batch = order[start:start + rows]
        start += rows
        ours = peers[0].step(batch)
        theirs = peers[1].step(torch.from_numpy(batch))
        loss_error = abs(ours - theirs) / abs(theirs)
        errors = [("loss", loss_error)]
        linears = [m for m in peers[1].model if isinstance(m, torch.nn.Linear)]
        for l, linear in enumerate(linears):
            errors.append((f"W_{l + 1}", worst_difference(
                peers[0].weights[l], linear.weight.detach().numpy().T)))
            errors.append((f"b_{l + 1}", worst_difference(
                peers[0].biases[l], linear.bias.detach().numpy())))
        worst_name, worst = max(errors, key=lambda item: item[1])
        status = "ok" if worst <= TOLERANCE else "MISMATCH"
        print(f"  step {step} ({rows} rows): loss {ours:.6f} vs {theirs:.6f}; "
              f"worst relative difference {worst:.2e} in {worst_name}: {status}")
        failures += worst > TOLERANCE
    # Weights that never moved would agree trivially.
    moved = worst_difference(peers[0].weights[0],
                             common.initial_weights(np.random.default_rng(11))[0][0])
    print(f"  W_1 moved by {moved:.2e} relative to its initial value")
    return failures + (moved < 1e-3)


def main():
    torch.set_num_threads(1)
    x, y = common.load(common.DEFAULT_DATA, "test")
    recipe = common.L2
    failures = compare(x, y, recipe) + compare(x, y, 1e-2)
    common.L2 = recipe
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
