#!/usr/bin/env python3
"""The Fashion-MNIST network of specs/fashion-mnist-mlp.yaml in PyTorch, eager mode.

Same network and recipe as nnc bench (see common.py), written as PyTorch users write
it: nn.Sequential of nn.Linear and nn.ReLU, F.cross_entropy (mean over the batch),
autograd, and torch.optim.SGD with momentum 0.9 and weight_decay 1e-4 on the weights
only (PyTorch adds weight_decay * W to the gradient before the momentum, as nnc does).
Intra-op threads are set with torch.set_num_threads. The data lives in one float32
tensor; each batch is gathered with index_select into a preallocated tensor.

Optional: when torch cannot be imported the script prints that it was skipped and
exits with status 0, so compare.py can go on without it.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 bench/torch_mlp.py
"""

import re
import sys

import common

if __name__ == "__main__":
    # Before torch is imported: this sets the BLAS and OpenMP thread variables.
    OPTIONS = common.arguments(__doc__.splitlines()[0])

try:
    import torch
    import torch.nn.functional as F
    from torch import nn
except ImportError as error:
    if __name__ != "__main__":
        raise
    common.emit({"implementation": "PyTorch", "skipped": f"torch not importable: {error}"},
                OPTIONS.format)
    sys.exit(0)


class TorchMLP:
    def __init__(self, x, y, rng):
        self.x = torch.from_numpy(x)
        self.y = torch.from_numpy(y)
        weights, _ = common.initial_weights(rng)
        layers = []
        for l, w in enumerate(weights):
            linear = nn.Linear(w.shape[0], w.shape[1])
            with torch.no_grad():
                # nn.Linear keeps W transposed, (fan_out, fan_in).
                linear.weight.copy_(torch.from_numpy(w.T.copy()))
                linear.bias.zero_()
            layers.append(linear)
            if l < len(weights) - 1:
                layers.append(nn.ReLU())
        self.model = nn.Sequential(*layers)
        linears = [m for m in self.model if isinstance(m, nn.Linear)]
        self.optimizer = torch.optim.SGD(
            [{"params": [m.weight for m in linears], "weight_decay": common.L2},
             {"params": [m.bias for m in linears], "weight_decay": 0.0}],
            lr=common.LEARNING_RATE, momentum=common.MOMENTUM)
        self.input = torch.empty(common.BATCH, x.shape[1], dtype=torch.float32)
        self.labels = torch.empty(common.BATCH, dtype=torch.int64)

    def step(self, batch):
        rows = batch.shape[0]
        x, y = self.input[:rows], self.labels[:rows]
        torch.index_select(self.x, 0, batch, out=x)
        torch.index_select(self.y, 0, batch, out=y)
        self.optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(self.model(x), y)
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def warm_up(self, order):
        self.step(torch.from_numpy(order))

    def epoch(self, order):
        order = torch.from_numpy(order)
        total, steps = 0.0, 0
        for start in range(0, order.shape[0], common.BATCH):
            total += self.step(order[start:start + common.BATCH])
            steps += 1
        return total / steps

    def predict(self, x):
        with torch.no_grad():
            return self.model(torch.from_numpy(x)).argmax(dim=1).numpy()


def blas():
    config = torch.__config__.show()
    found = re.search(r"BLAS_INFO=(\w+)", config)
    version = re.search(r"Math Kernel Library Version ([\d.]+)", config)
    name = found.group(1) if found else "unknown"
    if name == "mkl" and version:
        name = f"MKL {version.group(1)}"
    return f"{name}, {torch.backends.cpu.get_cpu_capability()}"


if __name__ == "__main__":
    torch.set_num_threads(OPTIONS.threads)
    torch.manual_seed(OPTIONS.seed)
    common.run(f"PyTorch {torch.__version__}, eager", OPTIONS, TorchMLP, blas)
