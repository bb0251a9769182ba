#!/usr/bin/env python3
"""The Fashion-MNIST network of specs/fashion-mnist-mlp.yaml as scikit-learn's MLPClassifier.

Optional peer. MLPClassifier(solver="sgd") runs the same architecture and update rule
(classical momentum 0.9 at a constant step size 0.05, batches of 128, a fresh shuffle
per epoch, float32 kept as float32), trained one epoch per partial_fit call, so the
timing covers only the epoch. What it cannot match exactly, and why it does not matter
for speed:
  - initialisation is scikit-learn's own (Glorot-style bound for every layer, random
    biases); the work per step is the same;
  - its L2 term is alpha * W / rows_in_batch, so alpha = 1e-4 * 128 gives lambda = 1e-4
    on the full batches (the last batch of 96 rows sees 1e-4 * 128 / 96);
  - partial_fit checks the whole input array once per call (finite values, dtype),
    which stays inside the timed epoch: a few tens of milliseconds.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 bench/sklearn_mlp.py
"""

import sys
import warnings

import common

# Before numpy is imported: this sets the BLAS thread variables.
OPTIONS = common.arguments(__doc__.splitlines()[0])

try:
    import sklearn
    from sklearn.neural_network import MLPClassifier
except ImportError as error:
    common.emit({"implementation": "scikit-learn",
                 "skipped": f"scikit-learn not importable: {error}"}, OPTIONS.format)
    sys.exit(0)

import numpy as np  # noqa: E402 (after the thread variables are set)


class SklearnMLP:
    def __init__(self, x, y, rng):
        self.x, self.y = x, y
        self.classes = np.arange(common.WIDTHS[-1])
        self.model = MLPClassifier(
            hidden_layer_sizes=common.WIDTHS[1:-1], activation="relu", solver="sgd",
            alpha=common.L2 * common.BATCH, batch_size=common.BATCH,
            learning_rate="constant", learning_rate_init=common.LEARNING_RATE,
            momentum=common.MOMENTUM, nesterovs_momentum=False, shuffle=True,
            random_state=int(rng.integers(2**31)))

    def warm_up(self, order):
        # The first partial_fit builds the weights and the optimizer.
        self.model.partial_fit(self.x[order], self.y[order], classes=self.classes)

    def epoch(self, order):
        # partial_fit draws its own permutation; `order` is not used.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.model.partial_fit(self.x, self.y)
        return self.model.loss_

    def predict(self, x):
        return self.model.predict(x)


def blas():
    # MLPClassifier's products go through numpy, hence numpy's OpenBLAS.
    return common.openblas_description("numpy")


if __name__ == "__main__":
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=OPTIONS.threads, user_api="blas")
    name = f"scikit-learn {sklearn.__version__} MLPClassifier (sgd)"
    common.run(name, OPTIONS, SklearnMLP, blas)
