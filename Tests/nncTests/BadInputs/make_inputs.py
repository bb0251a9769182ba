#!/usr/bin/env python3
"""Writes the bad-input catalogue that BadInputTests.swift runs nnc on: one
folder per case with a spec.yaml and its data files, each carrying one fault
(or one valid oddity). Python standard library only; deterministic, so
rerunning it changes nothing. The expected exit codes and messages are in the
Swift test, next to each case's name."""

import gzip
import pathlib
import shutil
import struct

here = pathlib.Path(__file__).resolve().parent

# MARK: - Base data

# Three well separated clusters of two features: any sane training run
# classifies every row, training and test, correctly.
ROWS = [
    ("0.0", "0.1", "setosa"), ("0.2", "0.0", "setosa"), ("0.1", "0.3", "setosa"),
    ("2.0", "2.1", "versicolor"), ("2.2", "1.9", "versicolor"), ("1.9", "2.2", "versicolor"),
    ("4.0", "0.1", "virginica"), ("4.1", "0.3", "virginica"), ("3.9", "0.0", "virginica"),
]
TEST_ROWS = [("0.1", "0.1", "setosa"), ("2.1", "2.0", "versicolor"), ("4.0", "0.2", "virginica")]


def csv(rows, header="a,b,species", newline="\n"):
    return (header + newline + "".join(",".join(row) + newline for row in rows)).encode()


def numbered(rows, first):
    """The rows with each species replaced by its class number, counted from `first`."""
    names = ["setosa", "versicolor", "virginica"]
    return csv([(a, b, str(names.index(s) + first)) for a, b, s in rows])


def spec(data, layers="    - {units: 3, activation: softmax}", loss="nll",
         optimizer="{kind: sgd, learning_rate: 0.5}", epochs=200, extra=""):
    return f"""# One case of the bad-input catalogue; see BadInputTests.swift.
name: case
seed: 1
data:
{data}
model:
  layers:
{layers}
loss: {loss}
optimizer: {optimizer}
training: {{epochs: {epochs}}}
{extra}""".encode()


CSV_DATA = """  train: {csv: train.csv}
  test: {csv: test.csv}
  label: species
  standardize: true"""


def csv_case(train, test=None, data=CSV_DATA, **options):
    files = {"spec.yaml": spec(data, **options), "train.csv": train}
    files["test.csv"] = test if test is not None else csv(TEST_ROWS)
    return files


# IDX: four 2×2 images in three classes, and three test images.
IDX_DATA = """  train: {images: train-images.idx, labels: train-labels.idx}
  test: {images: test-images.idx, labels: test-labels.idx}
  scale: 0.00392156862745098"""
PIXELS = [250, 0, 0, 0, 0, 250, 0, 0, 0, 0, 250, 250, 240, 10, 0, 0]
LABELS = [0, 1, 2, 0]
TEST_PIXELS = [0, 240, 10, 0, 0, 0, 240, 240, 255, 0, 0, 0]
TEST_LABELS = [1, 2, 0]


def images(count, pixels, rows=2, columns=2, magic=0x0803):
    return struct.pack(">IIII", magic, count, rows, columns) + bytes(pixels)


def labels(values, magic=0x0801):
    return struct.pack(">II", magic, len(values)) + bytes(values)


def gz(data):
    # mtime=0 keeps the output identical from run to run.
    return gzip.compress(data, mtime=0)


def idx_case(data=IDX_DATA, **files):
    case = {
        "spec.yaml": spec(data),
        "train-images.idx": images(4, PIXELS),
        "train-labels.idx": labels(LABELS),
        "test-images.idx": images(3, TEST_PIXELS),
        "test-labels.idx": labels(TEST_LABELS),
    }
    for name, contents in files.items():
        name = name.replace("_", "-").replace("-idx", ".idx").replace(".idx-gz", ".idx.gz")
        if contents is None:
            case.pop(name, None)
        else:
            case[name] = contents
    return case


GZ_DATA = IDX_DATA.replace("train-images.idx", "train-images.idx.gz").replace(
    "train-labels.idx", "train-labels.idx.gz")

# MARK: - Cases

cases = {
    # Valid input, for the oddities to be compared with.
    "csv-plain": csv_case(csv(ROWS)),
    "csv-quoted-crlf-blank-lines-bom": csv_case(
        b"\xef\xbb\xbf" + b'"a", "b" ,species\r\n\r\n'
        + b"".join(f'"{a}",{b} ,"{s}"\r\n'.encode() + (b"\r\n" if i == 4 else b"")
                   for i, (a, b, s) in enumerate(ROWS))),
    "csv-integer-labels": csv_case(numbered(ROWS, 0), numbered(TEST_ROWS, 0)),
    "csv-labels-from-one": csv_case(numbered(ROWS, 1), numbered(TEST_ROWS, 1)),
    "csv-constant-feature": csv_case(
        csv([(a, b, "7.5", s) for a, b, s in ROWS], header="a,b,c,species"),
        csv([(a, b, "7.5", s) for a, b, s in TEST_ROWS], header="a,b,c,species")),
    "csv-missing-drop": csv_case(
        csv(ROWS[:2] + [("", "0.2", "setosa")] + ROWS[2:6] + [("2.0", "NA", "versicolor")]
            + ROWS[6:]),
        data=CSV_DATA + "\n  missing: drop"),
    "idx-gzip": idx_case(
        data=GZ_DATA, train_images_idx_gz=gz(images(4, PIXELS)),
        train_labels_idx_gz=gz(labels(LABELS)), train_images_idx=None, train_labels_idx=None),

    # CSV shape.
    "csv-too-many-fields": csv_case(csv(ROWS[:2] + [("0.1", "0.3", "setosa", "9")] + ROWS[3:])),
    "csv-too-few-fields": csv_case(csv(ROWS[:4] + [("2.2", "versicolor")] + ROWS[5:])),
    "csv-header-looks-like-data": csv_case(
        csv(ROWS, header="1.0,2.0,3.0"), data=CSV_DATA.replace("label: species", "label: '3.0'")),
    "csv-no-header-row": csv_case(csv(ROWS[1:], header=",".join(ROWS[0]))),
    "csv-repeated-header": csv_case(csv(ROWS[:5] + [("a", "b", "species")] + ROWS[5:])),
    "csv-unclosed-quote": csv_case(csv(ROWS[:6]) + b'4.0,"0.1,virginica\n4.1,0.3,virginica\n'),
    "csv-duplicate-column": csv_case(csv(ROWS, header="a,a,species")),
    "csv-only-header": csv_case(b"a,b,species\n"),
    "csv-empty-file": csv_case(b""),

    # CSV values.
    "csv-empty-value": csv_case(csv(ROWS[:2] + [("0.1", "", "setosa")] + ROWS[3:])),
    "csv-na-value": csv_case(csv(ROWS[:6] + [("NA", "0.1", "virginica")] + ROWS[7:])),
    "csv-nan-value": csv_case(csv(ROWS[:3] + [("2.0", "NaN", "versicolor")] + ROWS[4:])),
    "csv-inf-value": csv_case(csv(ROWS[:7] + [("-inf", "0.3", "virginica")] + ROWS[8:])),
    "csv-text-in-number": csv_case(csv(ROWS[:1] + [("0.2", "low", "setosa")] + ROWS[2:])),
    # Swift's Double("0x10") is 16; a CSV number is a plain decimal.
    "csv-hex-number": csv_case(csv(ROWS[:1] + [("0x10", "0.1", "setosa")] + ROWS[2:])),
    "csv-decimal-comma": csv_case(csv(ROWS[:4]) + b'"2,2",1.9,versicolor\n' + csv(ROWS[5:])[12:]),
    "csv-missing-label": csv_case(csv(ROWS[:8] + [("3.9", "0.0", "")])),
    "csv-all-rows-missing-drop": csv_case(
        csv([(a, "", s) for a, b, s in ROWS]), data=CSV_DATA + "\n  missing: drop"),

    # CSV labels.
    "csv-more-classes-than-units": csv_case(
        csv(ROWS), layers="    - {units: 2, activation: softmax}"),
    "csv-unseen-test-class": csv_case(
        csv(ROWS[:6]), csv(TEST_ROWS), layers="    - {units: 2, activation: softmax}"),

    # Files.
    "csv-missing-file": {"spec.yaml": spec(CSV_DATA), "test.csv": csv(TEST_ROWS)},
    "csv-directory": {"spec.yaml": spec(CSV_DATA), "test.csv": csv(TEST_ROWS),
                      "train.csv/README": b"A folder where the spec expects a CSV file.\n"},

    # IDX.
    "idx-truncated": idx_case(train_images_idx=images(4, PIXELS)[:16 + 9]),
    "idx-truncated-gzip": idx_case(
        data=GZ_DATA, train_images_idx_gz=gz(images(4, PIXELS))[:-12],
        train_labels_idx_gz=gz(labels(LABELS)), train_images_idx=None, train_labels_idx=None),
    "idx-corrupt-gzip": idx_case(
        data=GZ_DATA,
        train_images_idx_gz=(lambda z: z[:14] + bytes(b ^ 0x55 for b in z[14:20]) + z[20:])(
            gz(images(4, PIXELS))),
        train_labels_idx_gz=gz(labels(LABELS)), train_images_idx=None, train_labels_idx=None),
    "idx-wrong-magic": idx_case(train_images_idx=images(4, PIXELS, magic=0x0802)),
    "idx-not-idx": idx_case(train_images_idx=b"P5\n2 2\n255\n" + bytes(range(40))),
    "idx-swapped": idx_case(
        data=IDX_DATA.replace("{images: train-images.idx, labels: train-labels.idx}",
                              "{images: train-labels.idx, labels: train-images.idx}")),
    "idx-count-mismatch": idx_case(train_labels_idx=labels(LABELS[:3])),
    "idx-trailing-bytes": idx_case(train_images_idx=images(4, PIXELS) + bytes(3)),
    "idx-float-pixels": idx_case(
        train_images_idx=struct.pack(">IIII", 0x0D03, 1, 1, 1) + struct.pack(">f", 0.5)),
    "idx-empty-file": idx_case(train_labels_idx=b""),
    "idx-directory": idx_case(
        train_images_idx=None, **{"train-images.idx/README": b"A folder, not an IDX file.\n"}),
    "idx-labels-from-one": idx_case(train_labels_idx=labels([v + 1 for v in LABELS])),
    "idx-unseen-test-class": idx_case(test_labels_idx=labels([1, 3, 0])),

    "csv-beyond-float32": csv_case(
        csv(ROWS[:2] + [("1e39", "0.3", "setosa")] + ROWS[3:]),
        data=CSV_DATA.replace("standardize: true", "standardize: false")),

    # Found by fuzzing: a 24-byte images file whose header promises 4 images of
    # 2 113 929 217 × 5 206 132 pixels.
    "idx-header-promises-too-much": idx_case(
        train_images_idx=struct.pack(">IIII", 0x0803, 4, 0x7E000001, 0x004F7074)
        + b"Optional"),

    # Runs.
    "run-diverges": {
        "spec.yaml": spec(
            "  train: {csv: train.csv}\n  targets: [t]",
            layers="    - {units: 4, activation: tanh}\n    - {units: 1, activation: identity}",
            loss="quadratic", optimizer="{kind: sgd, learning_rate: 5, batch_size: 2}",
            epochs=50),
        "train.csv": b"a,b,t\n0,1,1\n1,3,2\n2,5,3\n3,7,5\n4,9,4\n5,11,6\n",
    },
    "run-huge-logits": csv_case(
        csv([(str(float(a) * 1e4), str(float(b) * 1e4), s) for a, b, s in ROWS]),
        csv([(str(float(a) * 1e4), str(float(b) * 1e4), s) for a, b, s in TEST_ROWS]),
        data=CSV_DATA.replace("standardize: true", "standardize: false"),
        optimizer="{kind: sgd, learning_rate: 0.1}", epochs=20),

    # A huge epoch limit is a limit, not a size: the run stops by tolerance.
    # With L2 the fit is unique, so the tolerance, not separability, ends it.
    "run-huge-epoch-limit": csv_case(
        csv(ROWS), optimizer="{kind: sgd, learning_rate: 0.5}",
        epochs="9223372036854775807, tolerance: 1.0e-3", extra="regularization: {l2: 0.01}\n"),

    # Specs as people edit them.
    "spec-units-overflow": csv_case(
        csv(ROWS),
        layers="    - {units: 4611686018427387904, activation: relu}\n"
        "    - {units: 3, activation: softmax}"),
    "spec-tab-indentation": {
        "spec.yaml": spec(CSV_DATA).replace(b"  label: species", b"\tlabel: species"),
        "train.csv": csv(ROWS), "test.csv": csv(TEST_ROWS)},
    "spec-misspelt-key": {
        "spec.yaml": spec(CSV_DATA).replace(b"epochs:", b"epoch:"),
        "train.csv": csv(ROWS), "test.csv": csv(TEST_ROWS)},
    "spec-not-utf8": {
        "spec.yaml": spec(CSV_DATA).replace(b"name: case", b"name: caf\xe9"),
        "train.csv": csv(ROWS), "test.csv": csv(TEST_ROWS)},
    "spec-unknown-missing-policy": csv_case(csv(ROWS), data=CSV_DATA + "\n  missing: fill"),
}

# The same cluster layout scaled by 1e4 without standardization gives logits in
# the thousands at the first step: log-sum-exp keeps the loss finite.

for name in sorted(p.name for p in here.iterdir() if p.is_dir()):
    if name not in cases:
        shutil.rmtree(here / name)
for name, files in cases.items():
    folder = here / name
    shutil.rmtree(folder, ignore_errors=True)
    for path, contents in files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(contents)
