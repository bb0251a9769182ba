#!/usr/bin/env python3
"""Writes the small IDX, gzip and CSV fixtures the Data*Tests read.

Standard library only (struct, gzip). Run from anywhere:
    python3 Tests/RuntimeTests/Fixtures/data/make_fixtures.py
The output is deterministic (gzip mtime fixed at 0), so rerunning it leaves
the committed files unchanged.
"""
import gzip
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def gz(data):
    return gzip.compress(data, mtime=0)


def idx_images(images, rows, cols, magic=0x00000803):
    header = struct.pack(">IIII", magic, len(images), rows, cols)
    return header + b"".join(bytes(image) for image in images)


def idx_labels(labels, magic=0x00000801):
    return struct.pack(">II", magic, len(labels)) + bytes(labels)


def pixel(k, p):
    """Pixel p of training image k: distinct, easy to recompute in the tests."""
    return (k * 40 + p * 7) % 256


# Four 2×3 training images with labels 3, 0, 2, 3 (so K = 4), and two test
# images with labels 1, 3.
ROWS, COLS = 2, 3
train = [[pixel(k, p) for p in range(ROWS * COLS)] for k in range(4)]
test = [[255 - pixel(k, p) for p in range(ROWS * COLS)] for k in range(2)]
train_images = idx_images(train, ROWS, COLS)
train_labels = idx_labels([3, 0, 2, 3])

write("train-images.idx", train_images)
write("train-labels.idx", train_labels)
write("train-images.idx.gz", gz(train_images))
write("train-labels.idx.gz", gz(train_labels))
write("test-images.idx", idx_images(test, ROWS, COLS))
write("test-labels.idx", idx_labels([1, 3]))
# A test label (5) that is not among the training classes 0…3.
write("test-labels-unseen.idx", idx_labels([1, 5]))

# Two gzip members concatenated, as `cat a.gz b.gz` makes.
write("train-images-multi.idx.gz", gz(train_images[:30]) + gz(train_images[30:]))

# Broken files, one fault each.
write("wrong-magic.idx", struct.pack(">I", 0x12345678) + train_images[4:])
write("float-images.idx", struct.pack(">I", 0x00000D03) + train_images[4:])
# Ends 2 bytes into record 2 (each record is 6 bytes after a 16-byte header).
write("truncated-images.idx", train_images[: 16 + 2 * 6 + 2])
write("trailing-images.idx", train_images + b"\x00\x00\x00")
write("three-labels.idx", idx_labels([3, 0, 2]))
# Deflate data with bytes flipped in the middle of the compressed stream.
good = gz(train_images)
middle = len(good) // 2
write("corrupt.idx.gz", good[:middle] + bytes(b ^ 0xFF for b in good[middle:middle + 8])
      + good[middle + 8:])
write("truncated.idx.gz", good[: len(good) - 12])
write("empty.idx", b"")

# A CSV exercising quotes, "" escapes, an embedded comma and line break,
# CRLF and LF line ends, blank lines and blanks around unquoted fields.
write(
    "quoted.csv",
    b'x1, "x 2",name\r\n'
    b"1.5, 2 ,\"plain\"\r\n"
    b"\r\n"
    b'3,4,"a, ""quoted"" comma"\n'
    b"\n"
    b'-5e-1,6,"two\nlines"\n'
    b"  7  ,8,last",
)


# A gzip-compressed CSV: x = 1, 2 with labels a, b.
write("small.csv.gz", gz(b"x,y\n1,a\n2,b\n"))
