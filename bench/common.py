"""Shared parts of the peer benchmarks: the recipe, the data, the timing and the report.

Every peer trains the network of specs/fashion-mnist-mlp.yaml with the recipe nnc bench
times: 784-256-128-10, ReLU hidden layers, softmax output with the mean NLL over the
batch, float32, minibatches of 128 rows gathered from a fresh permutation of the 60 000
training rows each epoch (the last batch has the remaining 96 rows), SGD with momentum 0.9
at a fixed step size 0.05 (nnc bench holds the step size fixed too), and L2 1e-4 on the
weights only, added to the gradient as lambda * W:

    v <- momentum * v + g + lambda * W     (v <- momentum * v + g for a bias)
    W <- W - learning_rate * v

Initial weights are uniform: He's bound sqrt(6 / fan_in) under ReLU, Glorot's
sqrt(6 / (fan_in + fan_out)) for the softmax layer, as nnc draws them; biases start at 0.

Timing matches nnc bench: the data is loaded and converted first (timed apart), one
warm-up batch is run, then `rounds` epochs are timed one by one and the fastest is the
figure reported. Test accuracy is measured after the timed epochs, outside the timing, as
a check that the peer really trained.
"""

import argparse
import gzip
import json
import os
import resource
import sys
import time

import numpy as np

DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"
WIDTHS = (784, 256, 128, 10)
BATCH = 128
LEARNING_RATE = 0.05
MOMENTUM = 0.9
L2 = 1e-4
# The spec's `scale`, 1/255: pixels to [0, 1].
PIXEL_SCALE = 0.00392156862745098
FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
# Set in this environment for nnc's tests; they pin a slower OpenBLAS kernel in the
# peers' own OpenBLAS builds, so the peers run without them (compare.py unsets them).
PINNING_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def arguments(description):
    """Parses the options every peer script takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data", default=DEFAULT_DATA,
                        help="folder with the four Fashion-MNIST .gz IDX files")
    parser.add_argument("--rounds", type=int, default=3,
                        help="timed epochs; the fastest is reported (default 3)")
    parser.add_argument("--threads", type=int, default=2,
                        help="BLAS / intra-op threads (default 2)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    options = parser.parse_args()
    if options.rounds < 1 or options.threads < 1:
        parser.error("--rounds and --threads must be at least 1")
    # OpenBLAS and OpenMP read these when they load, so they are set before numpy or
    # torch is imported; threadpoolctl or torch.set_num_threads then confirm them.
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(options.threads)
    pinned = [name for name in PINNING_VARIABLES if name in os.environ]
    if pinned:
        print(f"note: {', '.join(pinned)} set; OpenBLAS may use a slower kernel "
              f"(run under `env -u {' -u '.join(pinned)}`)", file=sys.stderr)
    return options


def read_idx(path):
    """Reads a gzip IDX file of unsigned bytes: its array, shaped as the header says."""
    with gzip.open(path, "rb") as file:
        raw = file.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes")
    rank = raw[3]
    header = 4 + 4 * rank
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(rank))
    count = int(np.prod(shape))
    if len(raw) != header + count:
        raise ValueError(f"{path}: {len(raw) - header} data bytes, header says {count}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def load(folder, split):
    """One split as (X, y): X float32 (n, 784) in [0, 1], y int64 (n,) class indices."""
    images_name, labels_name = FILES[split]
    images = read_idx(os.path.join(folder, images_name))
    labels = read_idx(os.path.join(folder, labels_name))
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{split}: {images.shape[0]} images but {labels.shape[0]} labels")
    features = images.reshape(images.shape[0], -1).astype(np.float32)
    features *= np.float32(PIXEL_SCALE)
    return np.ascontiguousarray(features), labels.astype(np.int64)


def initial_weights(rng):
    """W_l (fan_in, fan_out) float32 with nnc's uniform bounds, and zero biases."""
    weights, biases = [], []
    last = len(WIDTHS) - 2
    for l, (fan_in, fan_out) in enumerate(zip(WIDTHS[:-1], WIDTHS[1:])):
        bound = np.sqrt(6 / fan_in) if l < last else np.sqrt(6 / (fan_in + fan_out))
        weights.append(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(np.float32))
        biases.append(np.zeros(fan_out, dtype=np.float32))
    return weights, biases


def peak_resident_bytes():
    """The process's peak resident set size (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run(name, options, build, blas):
    """Loads the data, builds the peer, times `options.rounds` epochs, reports.

    `build(X, y, rng)` returns an object with `warm_up(order)` (one batch),
    `epoch(order)` (one epoch in that row order; returns its mean batch loss) and
    `predict(X)` (class indices). `blas()` describes the BLAS the peer runs on.
    """
    started = time.perf_counter()
    x_train, y_train = load(options.data, "train")
    load_seconds = time.perf_counter() - started
    x_test, y_test = load(options.data, "test")

    rng = np.random.default_rng(options.seed)
    peer = build(x_train, y_train, rng)
    order = np.arange(x_train.shape[0])
    rng.shuffle(order)
    peer.warm_up(order[:BATCH])

    seconds, losses = [], []
    for _ in range(options.rounds):
        start = time.perf_counter()
        # The shuffle is part of the epoch, as in nnc's loop.
        rng.shuffle(order)
        losses.append(float(peer.epoch(order)))
        seconds.append(time.perf_counter() - start)

    predicted = np.concatenate(
        [peer.predict(x_test[i:i + 1024]) for i in range(0, x_test.shape[0], 1024)])
    report = {
        "implementation": name,
        "seconds_per_epoch": min(seconds),
        "round_seconds": seconds,
        "epoch_losses": losses,
        "test_accuracy": float(np.mean(predicted == y_test)),
        "data_load_seconds": load_seconds,
        "threads": options.threads,
        "blas": blas(),
        "peak_resident_bytes": peak_resident_bytes(),
    }
    emit(report, options.format)


def emit(report, output_format):
    """Prints a report as one JSON object, or as lines for people."""
    if output_format == "json":
        print(json.dumps(report))
        return
    if "skipped" in report:
        print(f"{report['implementation']}: skipped ({report['skipped']})")
        return
    print(f"{report['implementation']}: {report['threads']} threads, "
          f"{len(report['round_seconds'])} timed epochs")
    print(f"data load          {report['data_load_seconds']:.3f} s")
    rounds = ", ".join(f"{s:.3f}" for s in report["round_seconds"])
    print(f"seconds per epoch  {report['seconds_per_epoch']:.3f} (rounds: {rounds})")
    losses = ", ".join(f"{v:.4f}" for v in report["epoch_losses"])
    print(f"epoch mean loss    {losses}")
    print(f"test accuracy      {report['test_accuracy']:.4f}")
    print(f"BLAS               {report['blas']}")
    print(f"peak memory        {report['peak_resident_bytes'] // (1 << 20)} MiB")


def openblas_description(marker):
    """The OpenBLAS whose file path contains `marker`, as "OpenBLAS version kernel"."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (threadpoolctl not installed)"
    for info in threadpool_info():
        if info.get("internal_api") == "openblas" and marker in info.get("filepath", ""):
            version = ".".join(str(info.get("version")).split(".")[:3])
            return f"OpenBLAS {version} {info.get('architecture')}"
    return "unknown"
