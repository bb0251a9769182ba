#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A decoded spec and the warnings found while decoding it.
public struct DecodedSpec: Sendable, Equatable {
  public var spec: Spec
  /// Problems that do not stop a run (no seed, no test data, …), sorted by position.
  public var warnings: [Diagnostic]

  public init(spec: Spec, warnings: [Diagnostic]) {
    self.spec = spec
    self.warnings = warnings
  }
}

/// Reads spec files: YAML text to a typed `Spec`, or every problem found.
///
/// The format is documented on `SpecDecoder`. Errors are thrown together as
/// `SpecErrors`, sorted by position; warnings come back in `DecodedSpec`.
public enum SpecReader {
  /// Reads and decodes a spec file, with `overrides` applied to its YAML tree
  /// first. Relative data paths are resolved against the spec file's folder.
  public static func load(
    path: String, overrides: [SpecOverride] = []
  ) throws(SpecErrors) -> DecodedSpec {
    let bytes: [UInt8]
    do {
      bytes = try readFile(path)
    } catch {
      throw SpecErrors([error])
    }
    return try decode(bytes: bytes, file: path, overrides: overrides)
  }

  /// Decodes spec text; `file` names it in diagnostics and anchors relative paths.
  public static func decode(_ text: String, file: String) throws(SpecErrors) -> DecodedSpec {
    try decode(bytes: Array(text.utf8), file: file)
  }

  /// Decodes spec bytes, which must be UTF-8; `file` names them in diagnostics
  /// and anchors relative paths. `overrides` replace values in the YAML tree
  /// before decoding, so they are checked like the file. Never traps, whatever
  /// the bytes.
  public static func decode(
    bytes: [UInt8], file: String, overrides: [SpecOverride] = []
  ) throws(SpecErrors) -> DecodedSpec {
    let root = try SpecOverride.apply(
      overrides, to: YAMLReader.read(bytes: bytes, file: file))
    var decoder = SpecDecoder(file: file)
    let spec = decoder.decode(root)
    let errors = decoder.diagnostics.filter { $0.severity == .error }
    guard errors.isEmpty, let spec else {
      if errors.isEmpty {
        // Every path that returns no spec reports why; this guards that promise.
        throw SpecErrors([
          Diagnostic(
            at: root.location, keyPath: "", "the spec could not be decoded for an unknown reason")
        ])
      }
      throw SpecErrors(errors)
    }
    let warnings = SpecErrors(decoder.diagnostics.filter { $0.severity == .warning }).diagnostics
    return DecodedSpec(spec: spec, warnings: warnings)
  }

  /// The bytes of the file at `path`, or a diagnostic at `path:1:1` with the OS's reason.
  static func readFile(_ path: String) throws(Diagnostic) -> [UInt8] {
    func failure(_ code: Int32) -> Diagnostic {
      let reason = String(cString: strerror(code))
      return Diagnostic(
        at: SourceLocation(file: path, line: 1, column: 1), keyPath: "",
        "cannot read the spec file: \(reason)")
    }

    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else { throw failure(errno) }
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
      if count == 0 { return bytes }
      if count < 0 {
        if errno == EINTR { continue }
        throw failure(errno)
      }
      bytes.append(contentsOf: chunk[..<count])
      // A spec is a small text file; without a bound, a path such as
      // /dev/zero would be read until memory ran out.
      guard bytes.count <= maximumSpecBytes else {
        throw Diagnostic(
          at: SourceLocation(file: path, line: 1, column: 1), keyPath: "",
          "the spec file is larger than \(maximumSpecBytes >> 20) MiB; is it really a spec?")
      }
    }
  }

  /// The most bytes a spec file may hold.
  static let maximumSpecBytes = 16 << 20
}

/// Lexical path arithmetic for data paths written in a spec.
enum SpecPaths {
  /// `path` as written when absolute; otherwise joined to the folder of
  /// `specFile` and standardized.
  static func resolve(_ path: String, relativeTo specFile: String) -> String {
    if path.hasPrefix("/") { return path }
    return standardized(folder(of: specFile) + "/" + path)
  }

  /// The folder part of `file`: `"."` when it has none, `"/"` for a file at the root.
  static func folder(of file: String) -> String {
    guard let slash = file.lastIndex(of: "/") else { return "." }
    return slash == file.startIndex ? "/" : String(file[..<slash])
  }

  /// `path` without empty and `.` components, and with each `..` cancelling
  /// the component before it where there is one. Symbolic links are not read,
  /// so `link/..` becomes the folder holding `link`.
  static func standardized(_ path: String) -> String {
    let isAbsolute = path.hasPrefix("/")
    var parts: [Substring] = []
    for part in path.split(separator: "/") where part != "." {
      if part == ".." {
        if let last = parts.last, last != ".." {
          parts.removeLast()
          continue
        }
        // "/.." is "/"; a relative path keeps the ".." that leads out of it.
        if isAbsolute { continue }
      }
      parts.append(part)
    }
    let joined = parts.joined(separator: "/")
    return isAbsolute ? "/" + joined : (joined.isEmpty ? "." : joined)
  }
}
