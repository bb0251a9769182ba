#!/usr/bin/env python3
"""The Fashion-MNIST network of specs/fashion-mnist-mlp.yaml in numpy, backprop by hand.

Same network and recipe as nnc bench (see common.py). Written the way a careful numpy
user would: every buffer allocated once, matrix products into preallocated outputs
(np.matmul(..., out=...) goes to OpenBLAS sgemm, transposes as GEMM flags), element-wise
work in place. It is a fair peer, not a straw man.

Legend: B rows in the batch, H_0 = X (B x 784), Z_l = H_{l-1} W_l + b_l,
H_l = relu(Z_l) for l = 1, 2, P = softmax(Z_3), D_l = dL/dZ_l,
L = mean over the batch of -log P[y].

Run with the OpenBLAS pinning variables unset (compare.py does this):
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 bench/numpy_mlp.py
"""

import common

if __name__ == "__main__":
    # Before numpy is imported: this sets the BLAS thread variables.
    OPTIONS = common.arguments(__doc__.splitlines()[0])

import numpy as np  # noqa: E402


class NumpyMLP:
    def __init__(self, x, y, rng):
        self.x, self.y = x, y
        self.weights, self.biases = common.initial_weights(rng)
        self.weight_velocity = [np.zeros_like(w) for w in self.weights]
        self.bias_velocity = [np.zeros_like(b) for b in self.biases]
        self.weight_gradient = [np.empty_like(w) for w in self.weights]
        self.bias_gradient = [np.empty_like(b) for b in self.biases]
        self.scratch = [np.empty_like(w) for w in self.weights]
        batch, widths = common.BATCH, common.WIDTHS
        self.input = np.empty((batch, widths[0]), dtype=np.float32)
        # H_l (Z_l until activated; P for the last layer) and D_l, B x m_l each.
        self.activations = [np.empty((batch, m), dtype=np.float32) for m in widths[1:]]
        self.deltas = [np.empty((batch, m), dtype=np.float32) for m in widths[1:]]
        self.masks = [np.empty((batch, m), dtype=bool) for m in widths[1:-1]]
        self.row_max = np.empty((batch, 1), dtype=np.float32)
        self.row_sum = np.empty((batch, 1), dtype=np.float32)
        self.labels = np.empty(batch, dtype=np.int64)
        self.rows = np.arange(batch)

    def forward(self, x, y, rows):
        """Leaves P in the last activation buffer; returns P and the mean loss."""
        previous = x
        last = len(self.weights) - 1
        for l, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = self.activations[l][:rows]
            np.matmul(previous, w, out=h)
            h += b
            if l < last:
                np.maximum(h, 0, out=h)
            previous = h
        # Softmax over each row; the row max is subtracted so exp cannot overflow.
        z = previous
        row_max, row_sum = self.row_max[:rows], self.row_sum[:rows]
        np.max(z, axis=1, keepdims=True, out=row_max)
        z -= row_max
        # -log P[y] = log(sum exp(z - max)) - (z[y] - max), without forming log P.
        true_logits = z[self.rows[:rows], y]
        np.exp(z, out=z)
        np.sum(z, axis=1, keepdims=True, out=row_sum)
        loss = (np.log(row_sum[:, 0]) - true_logits).mean(dtype=np.float64)
        z /= row_sum
        return z, loss

    def step(self, batch):
        """One SGD step on the rows `batch` of the training set; returns the batch loss."""
        rows = batch.shape[0]
        x = self.input[:rows]
        y = self.labels[:rows]
        # Gather the batch into one contiguous matrix for the GEMMs.
        np.take(self.x, batch, axis=0, out=x, mode="clip")
        np.take(self.y, batch, out=y, mode="clip")
        p, loss = self.forward(x, y, rows)

        # D_3 = (P - onehot(y)) / B, from L = mean(-log softmax(Z_3)[y]).
        d = self.deltas[-1][:rows]
        np.copyto(d, p)
        d[self.rows[:rows], y] -= 1
        d *= np.float32(1 / rows)
        for l in range(len(self.weights) - 1, -1, -1):
            below = x if l == 0 else self.activations[l - 1][:rows]
            # dL/dW_l = H_{l-1}^T D_l, dL/db_l = column sums of D_l.
            np.matmul(below.T, d, out=self.weight_gradient[l])
            np.sum(d, axis=0, out=self.bias_gradient[l])
            if l == 0:
                break
            # D_{l-1} = (D_l W_l^T) * relu'(Z_{l-1}); relu' read from H_{l-1} > 0.
            d_below = self.deltas[l - 1][:rows]
            np.matmul(d, self.weights[l].T, out=d_below)
            mask = self.masks[l - 1][:rows]
            np.greater(below, 0, out=mask)
            np.multiply(d_below, mask, out=d_below)
            d = d_below
        self.update()
        return loss

    def update(self):
        """v <- mu v + g + lambda W (weights), v <- mu v + g (biases); W <- W - eta v."""
        eta, mu, lam = common.LEARNING_RATE, common.MOMENTUM, common.L2
        for w, v, g, s in zip(self.weights, self.weight_velocity, self.weight_gradient,
                              self.scratch):
            v *= mu
            v += g
            np.multiply(w, lam, out=s)
            v += s
            np.multiply(v, eta, out=s)
            w -= s
        for b, v, g in zip(self.biases, self.bias_velocity, self.bias_gradient):
            v *= mu
            v += g
            b -= eta * v

    def warm_up(self, batch):
        self.step(batch)

    def epoch(self, order):
        total, steps = 0.0, 0
        for start in range(0, order.shape[0], common.BATCH):
            total += self.step(order[start:start + common.BATCH])
            steps += 1
        return total / steps

    def predict(self, x):
        previous = x
        for l, (w, b) in enumerate(zip(self.weights, self.biases)):
            previous = previous @ w + b
            if l < len(self.weights) - 1:
                np.maximum(previous, 0, out=previous)
        return previous.argmax(axis=1)


def blas():
    return common.openblas_description("numpy")


if __name__ == "__main__":
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(limits=OPTIONS.threads, user_api="blas")
    except ImportError:
        pass  # OPENBLAS_NUM_THREADS, set by common.arguments, already limits it.
    common.run(f"numpy {np.__version__}, hand-written backprop", OPTIONS, NumpyMLP, blas)
