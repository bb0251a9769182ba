#!/usr/bin/env python3
"""Writes the csv and idx seed corpora from the repository's data and test
fixtures, plus a few hand-made files that start the fuzzer near each fault
the readers know (Python standard library only; rerunning it changes nothing).
The spec corpus is copied as is from specs/ and the spec parser's fixtures."""

import gzip
import pathlib
import shutil
import struct

root = pathlib.Path(__file__).resolve().parent.parent
corpus = root / "fuzz" / "corpus"
fixtures = root / "Tests" / "RuntimeTests" / "Fixtures" / "data"


def fresh(name):
    folder = corpus / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def gz(data):
    # mtime=0 keeps the output identical from run to run.
    return gzip.compress(data, mtime=0)


# Specs: every example spec and every parser fixture, valid and malformed.
spec = fresh("spec")
for path in sorted((root / "specs").glob("*.yaml")):
    shutil.copy(path, spec / path.name)
for kind in ("valid", "malformed"):
    for path in sorted((root / "Tests" / "SpecParserTests" / "Fixtures" / kind).glob("*.yaml")):
        shutil.copy(path, spec / f"{kind}-{path.name}")

# Findings, kept as seeds so that every run replays them first.
(spec / "finding-units-overflow.yaml").write_bytes(
    b"data: {train: {csv: t.csv}, label: y}\n"
    b"model: {layers: [{units: 4611686018427387904, activation: relu},"
    b" {units: 3, activation: softmax}]}\n"
    b"loss: nll\noptimizer: {kind: sgd, learning_rate: 0.1}\ntraining: {epochs: 1}\n")

# CSV: the heads of the example data sets, the test fixtures, and one file per
# kind of oddity (a form feed would split train from test, see the harness).
csv = fresh("csv")
for path in sorted((root / "specs" / "data").glob("*.csv")):
    lines = path.read_bytes().splitlines(keepends=True)
    (csv / path.name).write_bytes(b"".join(lines[:12]))
shutil.copy(fixtures / "quoted.csv", csv / "quoted.csv")
shutil.copy(fixtures / "small.csv.gz", csv / "small.csv.gz")
made = {
    "crlf.csv": b"a,b,y\r\n1,2,x\r\n3,4,z\r\n",
    "bom.csv": b"\xef\xbb\xbfa,b,y\n1,2,x\n",
    "blank-lines.csv": b"a,b,y\n\n1,2,x\n \n3,4,z\n\n",
    "quoted-newline.csv": b'a,"b\nc",y\n"1","2",x\n"3,5",4,"z ""q"""\n',
    "missing.csv": b"a,b,y\n1,,x\n2,NA,x\n3,N/A,z\n4,null,z\n5,nan,x\n6,7,\n",
    "non-finite.csv": b"a,b,y\n1,inf,x\n-inf,2,x\n1e400,3,z\n",
    "text-in-number.csv": b"a,b,y\n1,abc,x\n2,\"1,5\",z\n",
    "no-header.csv": b"1,2,3\n4,5,6\n",
    "repeated-header.csv": b"a,b,y\n1,2,x\na,b,y\n3,4,z\n",
    "ragged.csv": b"a,b,y\n1,2\n3,4,5,6\n",
    "unclosed-quote.csv": b'a,b,y\n1,"2,x\n',
    "constant.csv": b"a,b,y\n1,5,x\n2,5,z\n3,5,x\n",
    "train-test.csv": b"a,b,y\n1,2,x\n3,4,z\n\x0ca,b,y\n5,6,w\n",
    "duplicate-column.csv": b"a,a,y\n1,2,x\n",
    "regression.csv": b"a,b,t\n1,2,0.5\n3,4,-1e-3\n",
    "compressed.csv.gz": gz(b"a,b,y\n1,2,x\n3,4,z\n"),
}
for name, data in made.items():
    (csv / name).write_bytes(data)

# IDX: pairs of (images, labels) in the harness's format, a 2-byte big-endian
# length of the images file first.
def pair(images, labels):
    return struct.pack(">H", len(images)) + images + labels


def read(name):
    return (fixtures / name).read_bytes()


def idx_images(count, rows, columns, pixels):
    return struct.pack(">IIII", 0x0803, count, rows, columns) + bytes(pixels)


def idx_labels(labels):
    return struct.pack(">II", 0x0801, len(labels)) + bytes(labels)


idx = fresh("idx")
pairs = {
    "plain": (read("train-images.idx"), read("train-labels.idx")),
    "gzip": (read("train-images.idx.gz"), read("train-labels.idx.gz")),
    "multi-member": (read("train-images-multi.idx.gz"), read("train-labels.idx")),
    "test-pair": (read("test-images.idx"), read("test-labels.idx")),
    "unseen": (read("test-images.idx"), read("test-labels-unseen.idx")),
    "count-mismatch": (read("train-images.idx"), read("three-labels.idx")),
    "trailing": (read("trailing-images.idx"), read("train-labels.idx")),
    "truncated": (read("truncated-images.idx"), read("train-labels.idx")),
    "truncated-gzip": (read("truncated.idx.gz"), read("train-labels.idx")),
    "corrupt-gzip": (read("corrupt.idx.gz"), read("train-labels.idx")),
    "wrong-magic": (read("wrong-magic.idx"), read("train-labels.idx")),
    "float": (read("float-images.idx"), read("train-labels.idx")),
    "empty": (b"", read("train-labels.idx")),
    "from-one": (idx_images(3, 2, 2, range(12)), idx_labels([1, 2, 3])),
    "constant-pixel": (idx_images(4, 1, 2, [7, 0, 7, 9, 7, 3, 7, 1]), idx_labels([0, 1, 0, 1])),
    "zero-images": (idx_images(0, 2, 2, []), idx_labels([])),
    "big-count": (struct.pack(">IIII", 0x0803, 0xFFFFFFFF, 0xFFFF, 0xFFFF), idx_labels([0])),
    "bomb": (gz(bytes(1 << 21)), idx_labels([0])),
}
for name, (images, labels) in pairs.items():
    (idx / name).write_bytes(pair(images, labels))
# The first IDX finding, as the fuzzer wrote it: a 24-byte images file whose
# header promises 4 images of 2 113 929 217 × 5 206 132 pixels.
(idx / "finding-huge-header").write_bytes(
    bytes.fromhex("001800000803000000047e000001004f7074696f6e616c03070100"
                  "0008010000000400010001"))
