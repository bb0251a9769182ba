import CZlib

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reads data files into memory, inflating gzip (magic 1f 8b) transparently.
///
/// Every file is read whole, except by `prefix(of:count:)`, which reads and
/// inflates only as much as it needs to return the first bytes: enough to
/// probe a header without paying for a 47 MB image file.
enum ByteInput {
  /// The file's bytes, inflated if it is gzip-compressed (several gzip
  /// members are concatenated, as `gzip -d` does).
  static func contents(of path: String) throws(DataError) -> [UInt8] {
    try decode(InputFile(path: path).readToEnd(), path: path)
  }

  /// `raw` itself, or inflated when it starts with the gzip magic; `path`
  /// only names the file in errors.
  static func decode(_ raw: [UInt8], path: String) throws(DataError) -> [UInt8] {
    guard !raw.isEmpty else {
      throw DataError(.emptyFile, file: path, "the file is empty")
    }
    guard isGzip(raw) else { return raw }

    var input = PendingInput(bytes: raw, file: nil)
    let bytes = try inflate(
      &input, path: path, limit: nil, capacityHint: inflatedSizeHint(raw))
    guard !bytes.isEmpty else {
      throw DataError(.emptyFile, file: path, "the file decompresses to no bytes")
    }
    return bytes
  }

  /// The file's first `count` bytes (inflated if it is gzip-compressed), or
  /// all of them when there are fewer.
  static func prefix(of path: String, count: Int) throws(DataError) -> [UInt8] {
    precondition(count > 0, "prefix length must be positive, got \(count)")
    let file = try InputFile(path: path)
    let first = try file.read(upTo: max(count, 2))
    guard !first.isEmpty else {
      throw DataError(.emptyFile, file: path, "the file is empty")
    }
    guard isGzip(first) else {
      if first.count > count { return Array(first.prefix(count)) }
      return first + (first.count < count ? try file.read(upTo: count - first.count) : [])
    }

    var input = PendingInput(bytes: first, file: file)
    let bytes = try inflate(&input, path: path, limit: count, capacityHint: count)
    guard !bytes.isEmpty else {
      throw DataError(.emptyFile, file: path, "the file decompresses to no bytes")
    }
    return bytes
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

  /// Inflates gzip members from `input` until it ends or `limit` bytes are out.
  private static func inflate(
    _ input: inout PendingInput, path: String, limit: Int?, capacityHint: Int
  ) throws(DataError) -> [UInt8] {
    guard let inflater = Inflater() else {
      throw DataError(.corruptGzip, file: path, "zlib could not allocate its inflate state")
    }
    var output = [UInt8](repeating: 0, count: min(capacityHint, limit ?? Int.max))
    var produced = 0
    var atMemberStart = false

    while true {
      if let limit, produced >= limit { break }

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
        let grown = min(limit ?? Int.max, max(output.count * 2, 1 << 16))
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
            throw DataError(
              .truncatedGzip, file: path,
              "the gzip data ends early, after \(produced) inflated bytes",
              hint: "the file was probably cut off while downloading or copying")
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
    return output
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
  /// The size `fstat` reported: a starting capacity, not a promise.
  private let sizeHint: Int

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
    guard status.st_mode & S_IFMT != S_IFDIR else {
      close(descriptor)
      throw DataError(
        .notAFile, file: path, "the path is a directory, not a data file",
        hint: "name the file inside it")
    }
    self.descriptor = descriptor
    self.sizeHint = Int(clamping: status.st_size)
  }

  deinit { close(descriptor) }

  /// Everything from the current position to the end of the file.
  func readToEnd() throws(DataError) -> [UInt8] {
    // One byte more than fstat said, so that an unchanged file ends the first read.
    var chunk = max(min(sizeHint, 1 << 34) + 1, 1 << 12)
    var bytes: [UInt8] = []
    while true {
      let more = try read(upTo: chunk)
      if bytes.isEmpty { bytes = more } else { bytes += more }
      // `read(upTo:)` comes back short only at the end of the file.
      if more.count < chunk { return bytes }
      chunk = max(bytes.count, 1 << 16)
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
