/// One problem found in a spec, with where it is and, when known, how to fix it.
public struct Diagnostic: Sendable, Equatable, Error, CustomStringConvertible {
  public enum Severity: String, Sendable, Equatable {
    case error, warning
  }

  public var severity: Severity
  public var location: SourceLocation
  /// The key path the problem is about, `""` for the document itself.
  public var keyPath: String
  public var message: String
  public var hint: String?

  public init(
    _ severity: Severity = .error, at location: SourceLocation, keyPath: String,
    _ message: String, hint: String? = nil
  ) {
    self.severity = severity
    self.location = location
    self.keyPath = keyPath
    self.message = message
    self.hint = hint
  }

  /// `file:line:column: error: message (at key.path)` plus the hint.
  public var description: String {
    var text = "\(location): \(severity.rawValue): \(message)"
    if !keyPath.isEmpty { text += " (at \(keyPath))" }
    if let hint { text += "\n  hint: \(hint)" }
    return text
  }
}

/// Every problem found while reading or checking a spec; thrown when any is an error.
public struct SpecErrors: Error, Sendable, Equatable, CustomStringConvertible {
  public var diagnostics: [Diagnostic]

  public init(_ diagnostics: [Diagnostic]) {
    self.diagnostics = diagnostics.sorted { $0.location < $1.location }
  }

  public var description: String {
    diagnostics.map(\.description).joined(separator: "\n")
  }
}
