#!/usr/bin/env python3
"""Export four of scikit-learn's bundled data sets as train/test CSV files.

Only the copies that ship inside the scikit-learn package are used
(load_iris, load_breast_cancer, load_digits, load_diabetes); nothing is
downloaded.  Each set is split 80/20 with a fixed seed (stratified by class for
the three classification sets) and written to specs/data/ as

    <name>-train.csv, <name>-test.csv

Numbers are written with Python's repr, the shortest text that reads back as
the identical float64, so nothing is lost.  Integer-valued columns (the digit
pixels and the digit label) are written as integers.

Run from anywhere:  python3 reference/export_datasets.py
"""

import csv
import os
import sys

import numpy as np
from sklearn import datasets
from sklearn.model_selection import train_test_split

SEED = 20240601
TEST_FRACTION = 0.2

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "specs", "data")


def fmt_float(value):
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"non-finite value {value!r}")
    return repr(value)


def fmt_int(value):
    as_int = int(value)
    if as_int != value:
        raise ValueError(f"expected an integer, got {value!r}")
    return str(as_int)


def snake_case(name):
    out = []
    for ch in name.lower():
        out.append(ch if ch.isalnum() else "_")
    text = "".join(out)
    while "__" in text:
        text = text.replace("__", "_")
    return text.strip("_")


def write_csv(path, header, rows):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def check_round_trip(path, header, features, labels):
    """Read the file back and require bit-identical features and labels."""
    with open(path, newline="") as handle:
        reader = csv.reader(handle)
        assert next(reader) == header
        rows = list(reader)
    assert len(rows) == features.shape[0]
    parsed = np.array([[float(v) for v in row[:-1]] for row in rows])
    assert parsed.dtype == features.dtype == np.float64
    assert np.array_equal(parsed.view(np.uint64),
                          np.ascontiguousarray(features).view(np.uint64))
    for row, label in zip(rows, labels.tolist()):
        if isinstance(label, str):
            assert row[-1] == label
        else:
            assert float(row[-1]) == label


def export(name, features, feature_fmt, feature_names, labels, label_fmt,
           label_name, stratify):
    assert features.shape[1] == len(feature_names)
    assert len(set(feature_names + [label_name])) == len(feature_names) + 1
    index = np.arange(features.shape[0])
    train_idx, test_idx = train_test_split(
        index,
        test_size=TEST_FRACTION,
        random_state=SEED,
        shuffle=True,
        stratify=labels if stratify else None,
    )
    header = list(feature_names) + [label_name]
    for part, rows_idx in (("train", train_idx), ("test", test_idx)):
        rows = []
        for i in rows_idx:
            row = [feature_fmt(v) for v in features[i]]
            row.append(label_fmt(labels[i]))
            rows.append(row)
        path = os.path.join(OUT_DIR, f"{name}-{part}.csv")
        write_csv(path, header, rows)
        check_round_trip(path, header, features[rows_idx], labels[rows_idx])
        print(f"{os.path.relpath(path, ROOT)}: {len(rows)} rows, "
              f"{len(header)} columns")


def main():
    os.makedirs(OUT_DIR, exist_ok=True)

    iris = datasets.load_iris()
    species = np.asarray(iris.target_names)[iris.target]
    export("iris", iris.data, fmt_float,
           ["sepal_length", "sepal_width", "petal_length", "petal_width"],
           species, str, "species", stratify=True)

    cancer = datasets.load_breast_cancer()
    diagnosis = np.asarray(cancer.target_names)[cancer.target]
    assert set(diagnosis) == {"malignant", "benign"}
    export("breast-cancer", cancer.data, fmt_float,
           [snake_case(n) for n in cancer.feature_names],
           diagnosis, str, "diagnosis", stratify=True)

    digits = datasets.load_digits()
    export("digits", digits.data, fmt_int,
           [f"p{i}" for i in range(digits.data.shape[1])],
           digits.target, fmt_int, "digit", stratify=True)

    diabetes = datasets.load_diabetes(scaled=True)
    export("diabetes", diabetes.data, fmt_float,
           list(diabetes.feature_names),
           diabetes.target, fmt_float, "progression", stratify=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
