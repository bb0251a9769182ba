import Foundation
import Planner
import SpecParser
import TestSupport
import Testing

@testable import Runtime

// Reader behaviour the end-to-end catalogue cannot reach from the command line
// (the byte limit, files in memory), the loss kernels at logits far beyond
// exp's range, and the inputs the fuzzers found, replayed.

// MARK: - Byte limit

/// 16-byte header + 4 images of 2 × 2 pixels = 32 bytes; labels 8 + 4 = 12 bytes.
private let images = [0, 0, 8, 3, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0, 2] + [UInt8](1...16)
private let labels: [UInt8] = [0, 0, 8, 1, 0, 0, 0, 4, 0, 1, 2, 0]
private let idxData = DataSpec(train: .idx(images: "images", labels: "labels"))

@Test func aFileOverTheByteLimitIsRefusedBeforeItIsRead() throws {
  let path = try dataScratchFile("big.csv", "a,y\n" + String(repeating: "1,x\n", count: 100))
  // 4 + 100 × 4 = 404 bytes on disk.
  let data = DataSpec(train: .csv(path: path), label: "y")
  let error = #expect(throws: DataError.self) { try DataProbe.shape(of: data, byteLimit: 403) }
  #expect(error?.kind == .tooLarge)
  #expect(error?.message == "the file holds 404 bytes, more than the memory budget of 403 bytes")
  #expect(try DataProbe.shape(of: data, byteLimit: 404).trainCount == 100)
}

@Test func theByteLimitAppliesToTheIDXHeaderAtProbeTime() throws {
  let files = DataFiles.memory(["images": images, "labels": labels], byteLimit: 31)
  let error = #expect(throws: DataError.self) { try DataProbe.shape(of: idxData, in: files) }
  #expect(error?.kind == .tooLarge)
  #expect(error?.file == "images")
  let shape = try DataProbe.shape(
    of: idxData, in: .memory(["images": images, "labels": labels], byteLimit: 32))
  #expect(shape.trainCount == 4)
  #expect(shape.inputWidth == 4)
}

@Test func inflatingPastTheByteLimitStops() throws {
  // The stored bytes are not what counts once inflated: the limit must stop
  // the inflating output.
  let zeros = try ByteInput.contents(of: dataScratchFile("zeros.gz", bytes: gzipOfZeros))
  #expect(zeros == [UInt8](repeating: 0, count: zeroCount))
  let error = #expect(throws: DataError.self) {
    try ByteInput.decode(gzipOfZeros, path: "zeros.gz", byteLimit: 1000)
  }
  #expect(error?.kind == .tooLarge)
  #expect(error?.message == "the file inflates to more than the memory budget of 1000 bytes")
  let exact = try ByteInput.decode(gzipOfZeros, path: "zeros.gz", byteLimit: zeroCount)
  #expect(exact.count == zeroCount)
}

private let zeroCount = 1 << 17

/// A gzip member holding `zeroCount` zero bytes in stored (uncompressed)
/// deflate blocks, written out field by field from RFC 1951 and 1952.
private let gzipOfZeros: [UInt8] = {
  // Magic, deflate, no flags, mtime 0, no extra flags, unknown OS.
  var stream: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF]
  // Each stored block: BFINAL bit, LEN and its complement NLEN (little-endian), LEN bytes.
  var left = zeroCount
  while left > 0 {
    let n = min(left, 65_535)
    left -= n
    stream += [left == 0 ? 1 : 0, UInt8(n & 0xFF), UInt8(n >> 8)]
    stream += [UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
    stream += [UInt8](repeating: 0, count: n)
  }
  // CRC-32 of the data, then its length mod 2³², both little-endian.
  return stream + littleEndian(crc32OfZeros(count: zeroCount)) + littleEndian(UInt32(zeroCount))
}()

private func littleEndian(_ value: UInt32) -> [UInt8] {
  (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) }
}

/// The IEEE CRC-32 (reflected, polynomial 0xEDB88320) of `count` zero bytes, bit by bit.
private func crc32OfZeros(count: Int) -> UInt32 {
  var crc: UInt32 = 0xFFFF_FFFF
  for _ in 0..<count {
    for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
  }
  return ~crc
}

// MARK: - Files in memory

@Test func filesInMemoryReadLikeFilesOnDisk() throws {
  let csv = Array("a,b,y\n1,2,x\n3,,z\n5,6,x\n".utf8)
  let data = DataSpec(train: .csv(path: "t.csv"), label: "y", missing: .drop)
  let files = DataFiles.memory(["t.csv": csv])
  let shape = try DataProbe.shape(of: data, in: files)
  #expect(shape.trainCount == 2)
  #expect(shape.task == .classification(classes: ["x"]))
  let loaded = try DataLoader.load(data, shape: shape, as: Double.self, from: files)
  #expect(loaded.train.features == [1, 2, 5, 6])
  #expect(loaded.dropped == [DroppedRows(file: "t.csv", lines: [3], rowCount: 3)])

  let missing = #expect(throws: DataError.self) {
    try DataProbe.shape(of: DataSpec(train: .csv(path: "other.csv"), label: "y"), in: files)
  }
  #expect(missing?.kind == .fileNotFound)
}

@Test func missingValueMarkersAreDroppedOnRequest() throws {
  let csv = Array("a,y\n1,x\nNA,x\nn/a,x\nnan,x\nNULL,x\n2,\n3,NA\n4,x\n".utf8)
  let files = DataFiles.memory(["m.csv": csv])
  let drop = DataSpec(train: .csv(path: "m.csv"), label: "y", missing: .drop)
  let loaded = try DataLoader.load(
    drop, shape: DataProbe.shape(of: drop, in: files), as: Double.self, from: files)
  #expect(loaded.train.features == [1, 4])
  #expect(loaded.dropped.first?.lines == [3, 4, 5, 6, 7, 8])

  let error = #expect(throws: DataError.self) {
    try DataProbe.shape(of: DataSpec(train: .csv(path: "m.csv"), label: "y"), in: files)
  }
  #expect(error?.kind == .missingValue)
  #expect(error?.row == 3)
  #expect(error?.message == "missing value in column 'a': expected a number, found \"NA\"")
}

@Test func aScaleThatOverflowsThePixelsIsADataError() throws {
  var data = idxData
  data.scale = 1e308
  let files = DataFiles.memory(["images": images, "labels": labels])
  let shape = try DataProbe.shape(of: data, in: files)
  // Float: 1 × 1e308 is already beyond float32's 3.4e38; the first pixel is 1.
  let float = #expect(throws: DataError.self) {
    try DataLoader.load(data, shape: shape, as: Float.self, from: files)
  }
  #expect(float?.record == 0)
  #expect(float?.message == "pixel 0 becomes inf when scaled and converted to float32")
  // Double: 1e308 fits, 2 × 1e308 does not; pixel 1 of image 0 holds 2.
  let double = #expect(throws: DataError.self) {
    try DataLoader.load(data, shape: shape, as: Double.self, from: files)
  }
  #expect(double?.record == 0)
  #expect(double?.message == "pixel 1 becomes inf when scaled and converted to float64")
}

@Test func aDeviceIsNotReadAsData() {
  let error = #expect(throws: DataError.self) { try ByteInput.contents(of: "/dev/zero") }
  #expect(error?.kind == .notAFile)
}

// MARK: - Losses at huge logits

/// Softmax NLL at logits ±1000, far past where e^z overflows (z ≈ 88.7 in
/// float32): ℓ = log Σ_k e^(z_k − m) + m − z_y with m the row max.
///   z = (1000, 0, −1000), y = 0:  ℓ = log(1 + e^−1000 + e^−2000) = 0 (to
///                                 float precision; e^−1000 underflows)
///   z = (1000, 0, −1000), y = 2:  ℓ = 0 + 1000 + 1000 = 2000
///   z = (−1000, −1000, −1000), y = 1: ℓ = log 3
@Test func softmaxLossIsExactAtHugeLogits() {
  var z: [Float] = [1000, 0, -1000, 1000, 0, -1000, -1000, -1000, -1000]
  let y: [Int32] = [0, 2, 1]
  var delta = [Float](repeating: .nan, count: 9)
  let sums = softmaxCrossEntropy(
    &z, rows: 3, classes: 3, labels: y, delta: &delta, scale: 1)
  #expect(isClose(sums.loss, 2000 + log(3.0), relative: 1e-6))
  #expect(sums.correct == 1)
  // ∂ℓ/∂z = softmax(z) − onehot(y): (0, 0, 0), (1, 0, −1), (⅓, −⅔, ⅓).
  let expected: [Float] = [0, 0, 0, 1, 0, -1, 1 / 3, -2 / 3, 1 / 3]
  for (value, reference) in zip(delta, expected) {
    #expect(abs(value - reference) < 1e-6, "\(delta)")
  }
}

/// Sigmoid NLL in the sign-split form ℓ = max(z, 0) − z·y + log(1 + e^−|z|):
///   z = 1000, y = 0: ℓ = 1000 + log(1 + e^−1000) = 1000
///   z = −1000, y = 1: ℓ = 0 + 1000 + log(1 + e^−1000) = 1000
///   z = 1000, y = 1: ℓ = 1000 − 1000 + ≈0 = 0
@Test func sigmoidLossIsExactAtHugeLogits() {
  var z: [Float] = [1000, -1000, 1000]
  let y: [Int32] = [0, 1, 1]
  var delta = [Float](repeating: .nan, count: 3)
  let sums = sigmoidCrossEntropy(&z, rows: 3, labels: y, delta: &delta, scale: 1)
  #expect(isClose(sums.loss, 2000, relative: 1e-6))
  #expect(sums.correct == 1)
  // ∂ℓ/∂z = σ(z) − y: 1, −1, 0.
  #expect(delta == [1, -1, 0])
}

// MARK: - Fuzzer findings, replayed

/// The first IDX finding: a 24-byte images file whose header promises 4
/// images of 2 113 929 217 × 5 206 132 pixels made the probe build one
/// feature name per promised pixel, which no allocator can satisfy, before
/// anything compared the header with the file's size. The probe now does
/// that first.
@Test func anIDXHeaderPromisingMoreThanTheFileIsCaughtByTheProbe() throws {
  // The fuzzer's input, split as the harness splits it (2-byte length first).
  let input = Array(
    Data(base64Encoded: "ABgAAAgDAAAABH4AAAEAT3B0aW9uYWwDBwEAAAgBAAAABAABAAE=") ?? Data())
  let cut = Int(input[0]) << 8 | Int(input[1])
  let files = DataFiles.memory([
    "images": Array(input[2..<(2 + cut)]), "labels": Array(input[(2 + cut)...]),
  ])
  let error = #expect(throws: DataError.self) { try DataProbe.shape(of: idxData, in: files) }
  #expect(error?.kind == .truncated)
  #expect(error?.record == 0)
  #expect(error?.file == "images")
}
