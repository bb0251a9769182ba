/// Everything reading a spec found, for checkers that report all problems
/// at once (`nnc validate`): the spec as far as it could be decoded, with
/// every error and warning.
public struct SpecCheck: Sendable, Equatable {
  /// The decoded spec, also when errors were found, as long as every
  /// required part could be read; a value in error is left at its default.
  /// Later stages may check it against the data to report more problems in
  /// the same run, dropping what they find at a key path that already holds
  /// an error (see `overlaps`), since that value is a stand-in.
  public var spec: Spec?
  /// Errors sorted by position.
  public var errors: [Diagnostic]
  /// Warnings sorted by position.
  public var warnings: [Diagnostic]

  public init(spec: Spec?, errors: [Diagnostic], warnings: [Diagnostic]) {
    self.spec = spec
    self.errors = SpecErrors(errors).diagnostics
    self.warnings = SpecErrors(warnings).diagnostics
  }

  /// Whether `keyPath` is, contains or lies inside a key path with an error.
  public func overlaps(_ keyPath: String) -> Bool {
    errors.contains {
      Self.isPrefix($0.keyPath, of: keyPath) || Self.isPrefix(keyPath, of: $0.keyPath)
    }
  }

  /// Whether `path` equals `other` or is one of its ancestors ("" is the root).
  static func isPrefix(_ path: String, of other: String) -> Bool {
    guard other.hasPrefix(path) else { return false }
    if path.isEmpty || other.count == path.count { return true }
    let next = other[other.index(other.startIndex, offsetBy: path.count)]
    return next == "." || next == "["
  }
}

extension SpecReader {
  /// Reads and decodes the spec file at `path` without stopping at the
  /// first failing stage: a YAML error that leaves no tree leaves no spec,
  /// but other errors come back beside the spec decoded as far as it could be.
  public static func check(path: String) -> SpecCheck {
    do {
      return check(bytes: try readFile(path), file: path)
    } catch {
      return SpecCheck(spec: nil, errors: [error], warnings: [])
    }
  }

  /// `check(path:)` for bytes already read; `file` names them in diagnostics.
  public static func check(bytes: [UInt8], file: String) -> SpecCheck {
    let (root, problems) = YAMLReader.readCollecting(bytes: bytes, file: file)
    guard let root else { return SpecCheck(spec: nil, errors: problems, warnings: []) }
    let yaml = SpecCheck(spec: nil, errors: problems, warnings: [])

    var decoder = SpecDecoder(file: file)
    let spec = decoder.decode(root)
    var errors = decoder.diagnostics.filter { $0.severity == .error }
    if spec == nil, errors.isEmpty, problems.isEmpty {
      // Every path that returns no spec reports why; this guards that promise.
      errors.append(
        Diagnostic(
          at: root.location, keyPath: "", "the spec could not be decoded for an unknown reason"))
    }
    // A value the reader dropped (a duplicate, a merge, an undefined alias)
    // is missing or null to the decoder: what it says there repeats the
    // reader's error.
    errors.removeAll { yaml.overlaps($0.keyPath) }
    return SpecCheck(
      spec: spec, errors: problems + errors,
      warnings: decoder.diagnostics.filter { $0.severity == .warning })
  }
}
