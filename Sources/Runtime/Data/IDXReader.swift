/// The two IDX layouts nnc reads (the MNIST files): images stored as
/// count × rows × columns unsigned bytes, and labels as count unsigned bytes.
///
/// An IDX file starts with a big-endian u32 magic `00 00 tt nn` (tt the
/// element type, nn the number of dimensions), then nn big-endian u32
/// dimensions, then the elements in row-major order.
enum IDXKind: Sendable {
  case images, labels

  var dimensionCount: Int {
    switch self {
    case .images: 3
    case .labels: 1
    }
  }

  /// Unsigned-byte elements (type 0x08) with `dimensionCount` dimensions.
  var magic: UInt32 { 0x0800 | UInt32(dimensionCount) }

  var noun: String {
    switch self {
    case .images: "images"
    case .labels: "labels"
    }
  }
}

/// An IDX header after checking: the record count and each record's size.
struct IDXHeader: Sendable, Equatable {
  /// The first dimension: images or labels in the file.
  var count: Int
  /// The remaining dimensions: [rows, columns] for images, [] for labels.
  var recordShape: [Int]
  /// Bytes per record (rows × columns for images, 1 for labels).
  var recordSize: Int
  /// Bytes before the first record: the magic and the dimensions.
  var headerSize: Int
  /// Bytes the header promises in all: headerSize + count × recordSize.
  var fileSize: Int
}

/// An IDX file read whole and checked against its header.
struct IDXFile: Sendable {
  var path: String
  var header: IDXHeader
  /// The whole (inflated) file; record i is
  /// `bytes[header.headerSize + i * header.recordSize ..< … + header.recordSize]`.
  var bytes: [UInt8]
}

enum IDXReader {
  /// The largest header: the magic and three dimensions.
  static let largestHeaderSize = 16

  /// Reads and checks a whole IDX file: its header, then that its length
  /// matches the header exactly.
  static func read(
    _ path: String, as kind: IDXKind, in files: DataFiles = .disk()
  ) throws(DataError) -> IDXFile {
    let (bytes, truncation) = try ByteInput.contentsUpToTruncation(of: path, in: files)
    guard let truncation else { return try parse(bytes, as: kind, path: path) }

    // Gzip data that ends early: name the record it ends in, when the header got through.
    guard let header = try? parseHeader(bytes, as: kind, path: path) else { throw truncation }
    let record = min(max(0, bytes.count - header.headerSize) / header.recordSize, header.count)
    throw DataError(
      .truncatedGzip, file: path, record: record,
      "the gzip data ends early, inside \(kind.noun) record \(record) of \(header.count), "
        + "after \(bytes.count) of the \(header.fileSize) bytes the header promises",
      hint: truncation.hint)
  }

  /// Checks a whole file's bytes; `path` only names the file in errors.
  static func parse(
    _ bytes: [UInt8], as kind: IDXKind, path: String
  ) throws(DataError) -> IDXFile {
    let header = try parseHeader(bytes, as: kind, path: path)

    if bytes.count < header.fileSize {
      throw truncated(header, kind: kind, byteCount: bytes.count, path: path)
    }
    if bytes.count > header.fileSize {
      throw trailingBytes(header, kind: kind, byteCount: bytes.count, path: path)
    }
    return IDXFile(path: path, header: header, bytes: bytes)
  }

  /// Reads only the header, inflating no more of a gzip file than it needs,
  /// and checks that the file can hold what the header promises: exactly the
  /// file's size, or for gzip no more than its size times deflate's largest
  /// ratio, and no more than `files.byteLimit`. The inflated length of a gzip
  /// file is checked by `read(_:as:in:)`.
  static func readHeader(
    _ path: String, as kind: IDXKind, in files: DataFiles = .disk()
  ) throws(DataError) -> IDXHeader {
    let start = try ByteInput.start(of: path, count: largestHeaderSize, in: files)
    let header = try parseHeader(start.bytes, as: kind, path: path)
    if !start.isCompressed, let size = start.storedSize, size > header.fileSize {
      throw trailingBytes(header, kind: kind, byteCount: size, path: path)
    }
    if let largest = start.largestSize, header.fileSize > largest {
      guard start.isCompressed else {
        throw truncated(header, kind: kind, byteCount: largest, path: path)
      }
      throw DataError(
        .truncated, file: path,
        "the header promises \(header.count) \(kind.noun) in \(header.fileSize) bytes, but "
          + "the gzip file's \(start.storedSize ?? 0) bytes cannot inflate to that many",
        hint: "the file was probably cut off while downloading or copying")
    }
    if let limit = files.byteLimit, header.fileSize > limit {
      throw DataError(
        .tooLarge, file: path,
        "the header promises \(header.count) \(kind.noun) in \(header.fileSize) bytes, more "
          + "than the memory budget of \(limit) bytes",
        hint: "raise the memory budget or use a smaller file")
    }
    return header
  }

  /// Checks the magic and the dimensions at the start of `bytes`.
  static func parseHeader(
    _ bytes: [UInt8], as kind: IDXKind, path: String
  ) throws(DataError) -> IDXHeader {
    guard bytes.count >= 4 else {
      throw DataError(
        .truncated, file: path,
        "the file is \(bytes.count) bytes long, too short for an IDX magic number")
    }
    let magic = bigEndianUInt32(bytes, at: 0)
    let typeCode = bytes[2]
    let dimensionCount = Int(bytes[3])

    guard bytes[0] == 0, bytes[1] == 0, let typeName = idxTypeNames[typeCode] else {
      throw wrongMagic(found: magic, expected: kind, path: path)
    }
    guard typeCode == 0x08 else {
      throw DataError(
        .unsupportedType, file: path,
        "the \(kind.noun) are stored as \(typeName) (IDX type 0x\(hex(typeCode, digits: 2))); "
          + "only unsigned bytes (type 0x08) are supported")
    }
    guard dimensionCount == kind.dimensionCount else {
      throw wrongMagic(found: magic, expected: kind, path: path)
    }

    let headerSize = 4 + 4 * dimensionCount
    guard bytes.count >= headerSize else {
      throw DataError(
        .truncated, file: path,
        "the file ends inside its header: \(headerSize) bytes expected, found \(bytes.count)")
    }
    let dimensions = (0..<dimensionCount).map { Int(bigEndianUInt32(bytes, at: 4 + 4 * $0)) }
    let recordShape = Array(dimensions.dropFirst())
    var recordSize = 1
    var overflow = false
    for extent in recordShape {
      let (product, overflowed) = recordSize.multipliedReportingOverflow(by: extent)
      recordSize = product
      overflow = overflow || overflowed
    }
    guard !overflow else { throw tooLarge(dimensions, path: path) }
    guard recordSize > 0 else {
      throw DataError(
        .invalidHeader, file: path,
        "the header gives images of \(recordShape.map(String.init).joined(separator: " × ")) "
          + "pixels; each image needs at least one pixel")
    }
    let (dataSize, dataOverflow) = dimensions[0].multipliedReportingOverflow(by: recordSize)
    guard !dataOverflow, dataSize <= Int.max - headerSize else {
      throw tooLarge(dimensions, path: path)
    }
    return IDXHeader(
      count: dimensions[0], recordShape: recordShape, recordSize: recordSize,
      headerSize: headerSize, fileSize: headerSize + dataSize)
  }

  /// Checks that an images file and its labels file describe as many examples.
  static func checkCounts(
    images: IDXHeader, imagesPath: String, labels: IDXHeader, labelsPath: String
  ) throws(DataError) {
    guard images.count != labels.count else { return }
    throw DataError(
      .countMismatch, file: imagesPath,
      "the images file '\(imagesPath)' holds \(images.count) images but the labels file "
        + "'\(labelsPath)' holds \(labels.count) labels",
      hint: "check that the images and labels files belong together")
  }

  /// The file of `byteCount` bytes goes on after the `header.fileSize` its header promises.
  private static func trailingBytes(
    _ header: IDXHeader, kind: IDXKind, byteCount: Int, path: String
  ) -> DataError {
    DataError(
      .trailingBytes, file: path,
      "\(byteCount - header.fileSize) unexpected bytes after the last of \(header.count) "
        + "\(kind.noun) records: the header promises \(header.fileSize) bytes, the file has "
        + "\(byteCount)")
  }

  /// The file of `byteCount` bytes ends before the `header.fileSize` its header promises.
  private static func truncated(
    _ header: IDXHeader, kind: IDXKind, byteCount: Int, path: String
  ) -> DataError {
    let record = max(0, byteCount - header.headerSize) / header.recordSize
    return DataError(
      .truncated, file: path, record: record,
      "the file ends inside \(kind.noun) record \(record) of \(header.count): the header "
        + "promises \(header.fileSize) bytes, the file has \(byteCount)",
      hint: "the file was probably cut off while downloading or copying")
  }

  private static func tooLarge(_ dimensions: [Int], path: String) -> DataError {
    DataError(
      .invalidHeader, file: path,
      "the header's dimensions \(dimensions) describe more bytes than can be addressed")
  }

  private static func wrongMagic(
    found: UInt32, expected kind: IDXKind, path: String
  ) -> DataError {
    let other: IDXKind = kind == .images ? .labels : .images
    let hint =
      if found == other.magic {
        "this is an IDX \(other.noun) file; are 'images' and 'labels' swapped in the spec?"
      } else if found >> 16 != 0 {
        "this does not look like an IDX file at all"
      } else {
        String?.none
      }
    return DataError(
      .wrongMagic, file: path,
      "expected the IDX \(kind.noun) magic number 0x\(hex(kind.magic, digits: 8)) "
        + "(unsigned bytes, \(kind.dimensionCount) dimension"
        + "\(kind.dimensionCount == 1 ? "" : "s")), found 0x\(hex(found, digits: 8))",
      hint: hint)
  }
}

extension IDXFile {
  /// The label bytes after the header (the whole data of a labels file).
  var labelBytes: ArraySlice<UInt8> { bytes[header.headerSize...] }

  /// The class count K of a training labels file: one more than its largest
  /// label. IDX labels are class indices, so labels that never use 0 most
  /// likely count from 1, which would leave output 0 untaught: that is an
  /// error. A gap higher up is accepted (a class the data set lacks).
  func checkClassesPresent() throws(DataError) -> Int {
    guard let smallest = labelBytes.min(), let largest = labelBytes.max() else {
      throw DataError(.noExamples, file: path, "the labels file holds no labels")
    }
    guard smallest == 0 else {
      throw DataError(
        .missingClass, file: path,
        "the labels run from \(smallest) to \(largest), so class 0 has no training example; "
          + "IDX labels must be the class indices 0…K−1",
        hint: smallest == 1
          ? "the labels seem to count from 1: subtract 1 from every label"
          : "renumber the classes from 0")
    }
    return Int(largest) + 1
  }

  /// Checks that every label of this labels file is below `classCount`.
  func checkLabels(below classCount: Int) throws(DataError) {
    guard let offending = labelBytes.firstIndex(where: { Int($0) >= classCount }) else {
      return
    }
    let record = offending - header.headerSize
    throw DataError(
      .labelOutOfRange, file: path, record: record,
      "label \(bytes[offending]) is not one of the \(classCount) classes 0…\(classCount - 1) "
        + "found in the training labels",
      hint: "the test set may only use classes that occur in the training set")
  }
}

/// The IDX element types by their code, for messages.
private let idxTypeNames: [UInt8: String] = [
  0x08: "unsigned bytes", 0x09: "signed bytes", 0x0B: "16-bit integers",
  0x0C: "32-bit integers", 0x0D: "32-bit floats", 0x0E: "64-bit floats",
]

/// The big-endian u32 at `bytes[offset..<offset + 4]`; the caller checks the bounds.
private func bigEndianUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
  bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
}

func hex<T: BinaryInteger>(_ value: T, digits: Int) -> String {
  let text = String(value, radix: 16, uppercase: true)
  return String(repeating: "0", count: max(0, digits - text.count)) + text
}
