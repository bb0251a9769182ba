import CZlib

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where the data readers get a file's bytes, and how many one file may hold.
public struct DataFiles: Sendable {
  enum Storage: Sendable {
    case disk
    /// Paths as the spec resolves them, mapped to the files' raw bytes.
    case memory([String: [UInt8]])
  }

  var storage: Storage
  /// The most bytes one file may hold, on disk and again once inflated;
  /// `nil` for no limit. A file over the limit is refused without reading it
  /// (a gzip file's inflated size shows only while inflating, which stops
  /// at the limit).
  public var byteLimit: Int?

  /// The file system.
  public static func disk(byteLimit: Int? = nil) -> DataFiles {
    DataFiles(storage: .disk, byteLimit: byteLimit.map { max(0, $0) })
  }

  /// Files held in memory under the paths a spec names them by (for tests
  /// and fuzzing); a path missing from `files` is reported as no such file.
  public static func memory(_ files: [String: [UInt8]], byteLimit: Int? = nil) -> DataFiles {
    DataFiles(storage: .memory(files), byteLimit: byteLimit.map { max(0, $0) })
  }
}

/// Reads data files into memory, inflating gzip (magic 1f 8b) transparently.
///
/// Every file is read whole, except by `prefix(of:count:)`, which reads and
/// inflates only as much as it needs to return the first bytes: enough to
/// probe a header without paying for a 47 MB image file.
enum ByteInput {
  /// The file's bytes, inflated if it is gzip-compressed (several gzip
  /// members are concatenated, as `gzip -d` does).
  static func contents(
    of path: String, in files: DataFiles = .disk()
  ) throws(DataError) -> [UInt8] {
    try read(path, in: files, keepsTruncated: false).bytes
  }

  /// The file's bytes as `contents(of:in:)` reads them, except that gzip data
  /// that ends early is not an error: the bytes inflated up to that point come
  /// back with the `truncatedGzip` error, so a reader can say where they end.
  static func contentsUpToTruncation(
    of path: String, in files: DataFiles = .disk()
  ) throws(DataError) -> (bytes: [UInt8], truncation: DataError?) {
    try read(path, in: files, keepsTruncated: true)
  }

  private static func read(
    _ path: String, in files: DataFiles, keepsTruncated: Bool
  ) throws(DataError) -> (bytes: [UInt8], truncation: DataError?) {
    let raw: [UInt8]
    switch files.storage {
    case .disk:
      let file = try InputFile(path: path)
      try checkSize(file.sizeHint, of: path, limit: files.byteLimit)
      raw = try file.readToEnd(limit: files.byteLimit)
    case .memory(let contents):
      raw = try memoryFile(path, in: contents)
    }
    try checkSize(raw.count, of: path, limit: files.byteLimit)
    return try decode(raw, path: path, byteLimit: files.byteLimit, keepsTruncated: keepsTruncated)
  }

  /// `raw` itself, or inflated when it starts with the gzip magic; `path`
  /// only names the file in errors.
  static func decode(
    _ raw: [UInt8], path: String, byteLimit: Int? = nil
  ) throws(DataError) -> [UInt8] {
    try decode(raw, path: path, byteLimit: byteLimit, keepsTruncated: false).bytes
  }

  private static func decode(
    _ raw: [UInt8], path: String, byteLimit: Int?, keepsTruncated: Bool
  ) throws(DataError) -> (bytes: [UInt8], truncation: DataError?) {
    guard !raw.isEmpty else {
      throw DataError(.emptyFile, file: path, "the file is empty")
    }
    guard isGzip(raw) else { return (raw, nil) }

    var input = PendingInput(bytes: raw, file: nil)
    let (bytes, truncation) = try inflate(
      &input, path: path, prefix: nil, byteLimit: byteLimit,
      capacityHint: inflatedSizeHint(raw), keepsTruncated: keepsTruncated)
    guard !bytes.isEmpty else {
      throw truncation
        ?? DataError(.emptyFile, file: path, "the file decompresses to no bytes")
    }
    return (bytes, truncation)
  }

  /// The file's first `count` bytes (inflated if it is gzip-compressed), or
  /// all of them when there are fewer.
  static func prefix(
    of path: String, count: Int, in files: DataFiles = .disk()
  ) throws(DataError) -> [UInt8] {
    try start(of: path, count: count, in: files).bytes
  }

  /// The first bytes of a file and what is known of its size without reading it all.
  struct Start {
    /// The first bytes, inflated when the file is gzip-compressed.
    var bytes: [UInt8]
    /// The file's size as stored (compressed, if it is); `nil` for a pipe.
    var storedSize: Int?
    var isCompressed: Bool

    /// The most bytes the whole file can hold once inflated: its size, or
    /// for gzip its size times deflate's largest ratio (about 1032:1).
    var largestSize: Int? {
      guard let storedSize else { return nil }
      guard isCompressed else { return storedSize }
      let (bound, overflow) = storedSize.multipliedReportingOverflow(by: 1032)
      return overflow ? Int.max : bound
    }
  }

  /// The file's first `count` bytes, as `prefix(of:count:in:)`, with its stored size.
  static func start(
    of path: String, count: Int, in files: DataFiles = .disk()
  ) throws(DataError) -> Start {
    precondition(count > 0, "prefix length must be positive, got \(count)")
    let file: InputFile?
    let first: [UInt8]
    let storedSize: Int?
    switch files.storage {
    case .disk:
      let opened = try InputFile(path: path)
      try checkSize(opened.sizeHint, of: path, limit: files.byteLimit)
      file = opened
      first = try opened.read(upTo: max(count, 2))
      storedSize = opened.isPipe ? nil : opened.sizeHint
    case .memory(let contents):
      file = nil
      first = try memoryFile(path, in: contents)
      try checkSize(first.count, of: path, limit: files.byteLimit)
      storedSize = first.count
    }
    guard !first.isEmpty else {
      throw DataError(.emptyFile, file: path, "the file is empty")
    }
    guard isGzip(first) else {
      var bytes = Array(first.prefix(count))
      if bytes.count < count, let file { bytes += try file.read(upTo: count - bytes.count) }
      return Start(bytes: bytes, storedSize: storedSize, isCompressed: false)
    }

    var input = PendingInput(bytes: first, file: file)
    let bytes = try inflate(
      &input, path: path, prefix: count, byteLimit: files.byteLimit, capacityHint: count
    ).bytes
    guard !bytes.isEmpty else {
      throw DataError(.emptyFile, file: path, "the file decompresses to no bytes")
    }
    return Start(bytes: bytes, storedSize: storedSize, isCompressed: true)
  }

  private static func memoryFile(
    _ path: String, in contents: [String: [UInt8]]
  ) throws(DataError) -> [UInt8] {
    guard let bytes = contents[path] else {
      throw DataError(.fileNotFound, file: path, "no such file")
    }
    return bytes
  }

  /// Refuses a file of `size` bytes when that is over `limit`.
  private static func checkSize(_ size: Int, of path: String, limit: Int?) throws(DataError) {
    guard let limit, size > limit else { return }
    throw tooLarge(
      path: path, "the file holds \(size) bytes, more than the memory budget of \(limit) bytes")
  }

  private static func tooLarge(path: String, _ message: String) -> DataError {
    DataError(
      .tooLarge, file: path, message, hint: "raise the memory budget or use a smaller file")
  }

  static func isGzip(_ bytes: [UInt8]) -> Bool {
    bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
  }

  /// The last member's ISIZE trailer (its length mod 2³²), bounded by what
  /// deflate can reach (about 1032:1) and by 256 MiB, so a forged trailer
  /// cannot make us allocate gigabytes. A starting capacity only: the output
  /// still grows as needed.
  private static func inflatedSizeHint(_ compressed: [UInt8]) -> Int {
    let n = compressed.count
    guard n >= 18 else { return 1 << 16 }
    var isize = 0
    for k in 0..<4 { isize |= Int(compressed[n - 4 + k]) << (8 * k) }
    let (reachable, overflow) = n.multipliedReportingOverflow(by: 1032)
    let bound = overflow ? Int.max : reachable
    return max(1 << 16, min(isize, bound, 1 << 28))
  }

  // MARK: - Inflating

  /// Inflates gzip members from `input` until it ends or `prefix` bytes are
  /// out; more than `byteLimit` bytes out is an error.
  /// With `keepsTruncated`, gzip data that ends early is no error: the bytes
  /// inflated so far come back with the error that would have been thrown.
  private static func inflate(
    _ input: inout PendingInput, path: String, prefix: Int?, byteLimit: Int?,
    capacityHint: Int, keepsTruncated: Bool = false
  ) throws(DataError) -> (bytes: [UInt8], truncation: DataError?) {
    guard let inflater = Inflater() else {
      throw DataError(.corruptGzip, file: path, "zlib could not allocate its inflate state")
    }
    // The output never grows past one byte more than the limit: that byte
    // is how going over it shows.
    let limit = min(prefix ?? Int.max, byteLimit.map { $0 + ($0 < Int.max ? 1 : 0) } ?? Int.max)
    var output = [UInt8](repeating: 0, count: min(capacityHint, limit))
    var produced = 0
    var atMemberStart = false
    var truncation: DataError?

    inflating: while true {
      if let byteLimit, produced > byteLimit {
        throw tooLarge(
          path: path,
          "the file inflates to more than the memory budget of \(byteLimit) bytes")
      }
      if let prefix, produced >= prefix { break }

      // After a member's end: the file ends, another member starts, or zero
      // padding runs to the end (which gzip -d accepts too).
      if atMemberStart {
        let hasRoomForMagic = try input.fill(atLeast: 2)
        if input.remaining == 0 { break }
        if hasRoomForMagic && input.bytes[input.start] == 0x1f
          && input.bytes[input.start + 1] == 0x8b
        {
          inflater.reset()
          atMemberStart = false
        } else if try input.restIsZero() {
          break
        } else {
          throw trailingBytesError(path: path, offset: input.consumedTotal)
        }
      }

      if produced == output.count {
        let grown = min(limit, max(output.count * 2, 1 << 16))
        output.append(contentsOf: repeatElement(0, count: grown - output.count))
      }
      var exhausted = false
      if input.remaining == 0 { exhausted = try !input.fill(atLeast: 1) }

      let start = input.start
      let step = input.bytes.withUnsafeBufferPointer { source in
        output.withUnsafeMutableBufferPointer { target in
          inflater.run(
            from: UnsafeBufferPointer(rebasing: source[start...]),
            into: UnsafeMutableBufferPointer(rebasing: target[produced...]))
        }
      }
      input.advance(by: step.consumed)
      produced += step.produced

      switch step.status {
      case Z_STREAM_END:
        atMemberStart = true
      case Z_OK, Z_BUF_ERROR:
        guard step.consumed > 0 || step.produced > 0 else {
          if exhausted {
            let error = DataError(
              .truncatedGzip, file: path,
              "the gzip data ends early, after \(produced) inflated bytes",
              hint: "the file was probably cut off while downloading or copying")
            guard keepsTruncated else { throw error }
            truncation = error
            break inflating
          }
          throw DataError(.corruptGzip, file: path, "zlib made no progress inflating the file")
        }
      default:
        throw DataError(
          .corruptGzip, file: path,
          "corrupt gzip data at compressed byte \(input.consumedTotal): \(step.message)")
      }
    }

    output.removeSubrange(produced...)
    return (output, truncation)
  }

  private static func trailingBytesError(path: String, offset: Int) -> DataError {
    DataError(
      .corruptGzip, file: path,
      "the bytes after the gzip data at compressed byte \(offset) are not another gzip member")
  }
}

// MARK: - zlib

/// zlib's inflate state. It lives at one heap address for its whole life
/// because zlib keeps a pointer back to the stream and rejects a moved one.
private final class Inflater {
  private let stream: UnsafeMutablePointer<z_stream>

  /// `nil` when zlib cannot allocate its state.
  init?() {
    stream = .allocate(capacity: 1)
    stream.initialize(to: z_stream())
    // 15 + 32: the largest window, and accept a gzip or zlib header.
    let status = inflateInit2_(
      stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
    guard status == Z_OK else {
      stream.deallocate()
      return nil
    }
  }

  deinit {
    inflateEnd(stream)
    stream.deallocate()
  }

  /// Readies the state for the next gzip member.
  func reset() { inflateReset(stream) }

  /// One `inflate` call; the counts say how far each buffer was used.
  func run(
    from input: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<UInt8>
  ) -> (status: Int32, consumed: Int, produced: Int, message: String) {
    let availableIn = UInt32(clamping: input.count)
    let availableOut = UInt32(clamping: output.count)
    stream.pointee.next_in = input.baseAddress.map { UnsafeMutablePointer(mutating: $0) }
    stream.pointee.avail_in = availableIn
    stream.pointee.next_out = output.baseAddress
    stream.pointee.avail_out = availableOut
    let status = CZlib.inflate(stream, Z_NO_FLUSH)
    let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib status \(status)"
    return (
      status, Int(availableIn - stream.pointee.avail_in),
      Int(availableOut - stream.pointee.avail_out), message
    )
  }
}

// MARK: - Files

/// Compressed bytes not yet handed to zlib, topped up from `file` on demand
/// (`file` is `nil` when `bytes` already hold the whole file).
private struct PendingInput {
  var bytes: [UInt8]
  var start = 0
  /// Bytes handed to zlib before `bytes[start]`, counted from the file's start.
  var consumedTotal = 0
  let file: InputFile?

  init(bytes: [UInt8], file: InputFile?) {
    self.bytes = bytes
    self.file = file
  }

  var remaining: Int { bytes.count - start }

  mutating func advance(by count: Int) {
    start += count
    consumedTotal += count
  }

  /// Reads on until `count` bytes are pending; `false` if the file ends first.
  mutating func fill(atLeast count: Int) throws(DataError) -> Bool {
    while remaining < count {
      guard let file else { return false }
      let more = try file.read(upTo: 1 << 16)
      if more.isEmpty { return false }
      bytes.removeSubrange(..<start)
      start = 0
      bytes += more
    }
    return true
  }

  /// Whether every byte from here to the end of the file is zero.
  mutating func restIsZero() throws(DataError) -> Bool {
    repeat {
      guard bytes[start...].allSatisfy({ $0 == 0 }) else { return false }
      advance(by: remaining)
    } while try fill(atLeast: 1)
    return true
  }
}

/// An open file descriptor, closed when the object goes away.
private final class InputFile {
  let path: String
  private let descriptor: Int32
  /// The size `fstat` reported (0 for a pipe): a starting capacity, not a promise.
  let sizeHint: Int
  let isPipe: Bool

  init(path: String) throws(DataError) {
    self.path = path
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw Self.openError(path: path, code: errno) }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else {
      let code = errno
      close(descriptor)
      throw Self.openError(path: path, code: code)
    }
    switch status.st_mode & S_IFMT {
    case S_IFREG, S_IFIFO:
      // A pipe is fine: `<(zcat file)` hands one over, and it ends.
      break
    case S_IFDIR:
      close(descriptor)
      throw DataError(
        .notAFile, file: path, "the path is a directory, not a data file",
        hint: "name the file inside it")
    default:
      // A device such as /dev/zero or a terminal may never end.
      close(descriptor)
      throw DataError(
        .notAFile, file: path, "the path is a device or socket, not a data file")
    }
    self.descriptor = descriptor
    self.sizeHint = Int(clamping: status.st_size)
    self.isPipe = status.st_mode & S_IFMT == S_IFIFO
  }

  deinit { close(descriptor) }

  /// Everything from the current position to the end of the file, or the
  /// first `limit` + 1 bytes when it holds more than `limit`.
  func readToEnd(limit: Int? = nil) throws(DataError) -> [UInt8] {
    let cap = limit.map { $0 < Int.max ? $0 + 1 : $0 } ?? Int.max
    // One byte more than fstat said, so that an unchanged file ends the first read.
    var chunk = min(max(min(sizeHint, 1 << 34) + 1, 1 << 12), cap)
    var bytes: [UInt8] = []
    while true {
      let more = try read(upTo: chunk)
      if bytes.isEmpty { bytes = more } else { bytes += more }
      // `read(upTo:)` comes back short only at the end of the file.
      if more.count < chunk || bytes.count >= cap { return bytes }
      chunk = min(max(bytes.count, 1 << 16), cap - bytes.count)
    }
  }

  /// The next `count` bytes, or fewer only when the file ends.
  func read(upTo count: Int) throws(DataError) -> [UInt8] {
    guard count > 0 else { return [] }
    var failure: Int32 = 0
    let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
      guard let base = buffer.baseAddress else { return }
      while initialized < count {
        let n = systemRead(descriptor, base + initialized, count - initialized)
        if n > 0 {
          initialized += n
        } else if n == 0 {
          return
        } else if errno != EINTR {
          failure = errno
          return
        }
      }
    }
    guard failure == 0 else {
      throw DataError(
        .unreadable, file: path, "cannot read the file: \(String(cString: strerror(failure)))")
    }
    return bytes
  }

  private static func openError(path: String, code: Int32) -> DataError {
    switch code {
    case ENOENT, ENOTDIR:
      DataError(
        .fileNotFound, file: path, "no such file",
        hint: "data paths are resolved against the spec file's folder")
    default:
      DataError(
        .unreadable, file: path, "cannot open the file: \(String(cString: strerror(code)))")
    }
  }
}

/// POSIX `read`, named apart from `InputFile.read(upTo:)`.
private func systemRead(
  _ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int
) -> Int {
  read(descriptor, buffer, count)
}
