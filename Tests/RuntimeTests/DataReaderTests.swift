import Foundation
import TestSupport
import Testing

@testable import Runtime

// MARK: - Bytes and gzip

@Test(arguments: ["train-images.idx.gz", "train-images-multi.idx.gz"])
func gzipInflatesToThePlainFile(_ name: String) throws {
  let plain = try ByteInput.contents(of: dataFixture("train-images.idx"))
  #expect(plain.count == 16 + 4 * 6)
  #expect(try ByteInput.contents(of: dataFixture(name)) == plain)
}

@Test func prefixInflatesOnlyTheStart() throws {
  let plain = try ByteInput.contents(of: dataFixture("train-images.idx"))
  for name in ["train-images.idx", "train-images.idx.gz", "train-images-multi.idx.gz"] {
    let path = dataFixture(name)
    #expect(try ByteInput.prefix(of: path, count: 16) == Array(plain.prefix(16)), "\(name)")
    // Across the boundary between the two gzip members (at byte 30).
    #expect(try ByteInput.prefix(of: path, count: 35) == Array(plain.prefix(35)), "\(name)")
    #expect(try ByteInput.prefix(of: path, count: 1000) == plain, "\(name)")
  }
}

@Test func gzipToleratesZeroPaddingButNotOtherTrailingBytes() throws {
  let compressed = try Data(contentsOf: URL(fileURLWithPath: dataFixture("train-images.idx.gz")))
  for padding in [[0], [0, 0, 0, 0]] as [[UInt8]] {
    #expect(try ByteInput.decode(Array(compressed) + padding, path: "padded.gz").count == 40)
  }

  let error = #expect(throws: DataError.self) {
    try ByteInput.decode(Array(compressed) + [0, 7], path: "junk.gz")
  }
  #expect(error?.kind == .corruptGzip)
  #expect(error?.message.contains("not another gzip member") == true)
}

struct DataFileFault: Sendable, CustomStringConvertible {
  var description: String
  var path: String
  var kind: DataError.Kind
  var messagePart: String
}

@Test(arguments: [
  DataFileFault(
    description: "empty", path: dataFixture("empty.idx"), kind: .emptyFile,
    messagePart: "the file is empty"),
  DataFileFault(
    description: "directory", path: dataFixture(""), kind: .notAFile,
    messagePart: "is a directory"),
  DataFileFault(
    description: "missing", path: dataFixture("no-such-file.idx"), kind: .fileNotFound,
    messagePart: "no such file"),
  DataFileFault(
    description: "corrupt gzip", path: dataFixture("corrupt.idx.gz"), kind: .corruptGzip,
    messagePart: "corrupt gzip data"),
  DataFileFault(
    description: "truncated gzip", path: dataFixture("truncated.idx.gz"),
    kind: .truncatedGzip, messagePart: "ends early"),
])
func unreadableFilesAreNamed(_ fault: DataFileFault) {
  let error = #expect(throws: DataError.self) { try ByteInput.contents(of: fault.path) }
  #expect(error?.kind == fault.kind)
  #expect(error?.file == fault.path)
  #expect(error?.message.contains(fault.messagePart) == true, "\(error?.message ?? "")")
}

@Test func corruptGzipCarriesZlibsMessage() {
  let error = #expect(throws: DataError.self) {
    try ByteInput.contents(of: dataFixture("corrupt.idx.gz"))
  }
  // zlib's own words, e.g. "invalid block type" or "incorrect data check".
  #expect(error?.message.contains(": ") == true)
  #expect(error?.message.contains("zlib status") == false)
}

// MARK: - IDX

@Test(arguments: ["train-images.idx", "train-images.idx.gz", "train-images-multi.idx.gz"])
func idxImagesRoundTrip(_ name: String) throws {
  let file = try IDXReader.read(dataFixture(name), as: .images)
  #expect(file.header.count == 4)
  #expect(file.header.recordShape == [2, 3])
  #expect(file.header.recordSize == 6)
  let pixels = Array(file.bytes[file.header.headerSize...])
  let expected = (0..<4).flatMap { k in (0..<6).map { p in dataFixturePixel(k, p) } }
  #expect(pixels == expected)
}

@Test(arguments: ["train-labels.idx", "train-labels.idx.gz"])
func idxLabelsRoundTrip(_ name: String) throws {
  let file = try IDXReader.read(dataFixture(name), as: .labels)
  #expect(file.header.count == 4)
  #expect(Array(file.labelBytes) == [3, 0, 2, 3])
}

@Test func idxHeaderAloneFromGzip() throws {
  let header = try IDXReader.readHeader(dataFixture("train-images.idx.gz"), as: .images)
  #expect(header.count == 4)
  #expect(header.recordShape == [2, 3])
  #expect(header.fileSize == 40)
}

struct DataIDXFault: Sendable, CustomStringConvertible {
  var description: String
  var file: String
  var kind: IDXKind
  var error: DataError.Kind
  var record: Int?
  var messageParts: [String]
}

@Test(arguments: [
  DataIDXFault(
    description: "wrong magic", file: "wrong-magic.idx", kind: .images, error: .wrongMagic,
    messageParts: ["expected the IDX images magic number 0x00000803", "found 0x12345678"]),
  DataIDXFault(
    description: "labels read as images", file: "train-labels.idx", kind: .images,
    error: .wrongMagic, messageParts: ["found 0x00000801"]),
  DataIDXFault(
    description: "images read as labels", file: "train-images.idx", kind: .labels,
    error: .wrongMagic, messageParts: ["0x00000801", "found 0x00000803"]),
  DataIDXFault(
    description: "float elements", file: "float-images.idx", kind: .images,
    error: .unsupportedType, messageParts: ["32-bit floats", "type 0x0D"]),
  DataIDXFault(
    description: "truncated", file: "truncated-images.idx", kind: .images, error: .truncated,
    record: 2, messageParts: ["record 2 of 4", "promises 40 bytes, the file has 30"]),
  DataIDXFault(
    description: "trailing bytes", file: "trailing-images.idx", kind: .images,
    error: .trailingBytes, messageParts: ["3 unexpected bytes after the last of 4"]),
])
func idxFaultsAreReported(_ fault: DataIDXFault) {
  let path = dataFixture(fault.file)
  let error = #expect(throws: DataError.self) { try IDXReader.read(path, as: fault.kind) }
  #expect(error?.kind == fault.error)
  #expect(error?.file == path)
  #expect(error?.record == fault.record)
  for part in fault.messageParts {
    #expect(error?.message.contains(part) == true, "\(error?.message ?? "") lacks \(part)")
  }
}

@Test func swappedIDXFilesGetAHint() {
  let error = #expect(throws: DataError.self) {
    try IDXReader.read(dataFixture("train-labels.idx"), as: .images)
  }
  #expect(error?.hint?.contains("swapped") == true)
}

@Test func idxHeadersThatOverflowAreRejected() {
  // 2³² − 1 images of (2³² − 1) × (2³² − 1) pixels.
  let header: [UInt8] = [0, 0, 8, 3] + [UInt8](repeating: 0xFF, count: 12)
  let error = #expect(throws: DataError.self) {
    try IDXReader.parseHeader(header, as: .images, path: "huge.idx")
  }
  #expect(error?.kind == .invalidHeader)
}

// MARK: - Errors

@Test func errorDescriptionsPointAtTheirPlace() {
  let cell = DataError(
    .notANumber, file: "iris.csv", row: 12, column: 3,
    "expected a number in column 'sepal_length', found \"abc\"")
  #expect(
    cell.description
      == "iris.csv:12:3: error: expected a number in column 'sepal_length', found \"abc\"")

  let record = DataError(
    .truncated, file: "train.idx", record: 59999, "the file ends", hint: "download it again")
  #expect(
    record.description == "train.idx: record 59999: error: the file ends\n"
      + "  hint: download it again")

  let file = DataError(.emptyFile, file: "a.csv", "the file is empty")
  #expect(file.description == "a.csv: error: the file is empty")
}

// MARK: - Fuzzing

/// Mutated fixtures must make every reader return or throw, never trap.
@Test func readersSurviveMutatedBytes() throws {
  var random = DataFuzzRandom(state: 42)
  let seeds: [[UInt8]] =
    try [
      "train-images.idx", "train-images.idx.gz", "train-images-multi.idx.gz",
      "train-labels.idx", "quoted.csv",
    ].map { try ByteInput.contents(of: dataFixture($0)) } + [
      Array(try Data(contentsOf: URL(fileURLWithPath: dataFixture("train-images.idx.gz"))))
    ]
  for round in 0..<3000 {
    var bytes = seeds[round % seeds.count]
    switch Int.random(in: 0..<4, using: &random) {
    case 0:
      bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &random)))
    case 1:
      for _ in 0..<Int.random(in: 1...4, using: &random) where !bytes.isEmpty {
        bytes[Int.random(in: 0..<bytes.count, using: &random)] = .random(
          in: 0...255, using: &random)
      }
    case 2:
      bytes += (0..<Int.random(in: 1...20, using: &random)).map { _ in
        UInt8.random(in: 0...255, using: &random)
      }
    default:
      bytes = (0..<Int.random(in: 0...64, using: &random)).map { _ in
        [0x00, 0x08, 0x03, 0x01, 0x1F, 0x8B, 0x22, 0x2C, 0x0A, 0x0D, 0xFF]
          .randomElement(using: &random) ?? 0
      }
    }
    let decoded = (try? ByteInput.decode(bytes, path: "fuzz")) ?? bytes
    _ = try? IDXReader.parse(decoded, as: .images, path: "fuzz")
    _ = try? IDXReader.parse(decoded, as: .labels, path: "fuzz").checkLabels(below: 3)
    _ = try? CSVReader.parse(decoded, path: "fuzz")
  }
}
