import SpecParser

/// A problem with a data file, located as precisely as the format allows:
/// a CSV row (1-based line of the record's start) and column (1-based field
/// index), or an IDX record index (0-based, as the records are numbered in
/// the file).
public struct DataError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What went wrong, for callers and tests that branch on it.
  public enum Kind: String, Sendable, Equatable {
    // Reading bytes.
    case fileNotFound, notAFile, unreadable, emptyFile, tooLarge
    case corruptGzip, truncatedGzip
    // IDX.
    case wrongMagic, unsupportedType, truncated, trailingBytes, countMismatch
    case labelOutOfRange, missingClass
    // CSV.
    case unclosedQuote, unexpectedCharacter, fieldCount, missingHeader
    case invalidHeader, missingValue, notANumber, missingColumn
    case unseenLabel
    // Either format, or the spec's view of it.
    case noExamples, invalidSpec, shapeMismatch
  }

  public var kind: Kind
  /// The data file's path as given in the spec.
  public var file: String
  /// CSV: the 1-based line on which the record starts.
  public var row: Int?
  /// CSV: the 1-based field index within the record.
  public var column: Int?
  /// IDX: the 0-based record (image or label) index.
  public var record: Int?
  public var message: String
  /// How to fix it, when that is known.
  public var hint: String?

  public init(
    _ kind: Kind, file: String, row: Int? = nil, column: Int? = nil, record: Int? = nil,
    _ message: String, hint: String? = nil
  ) {
    self.kind = kind
    self.file = file
    self.row = row
    self.column = column
    self.record = record
    self.message = message
    self.hint = hint
  }

  /// `file:row:column: error: message`, `file: record 7: error: message` or
  /// `file: error: message`, followed by an indented hint line when there is one.
  public var description: String {
    var text = file
    if let row {
      text += ":\(row)"
      if let column { text += ":\(column)" }
    } else if let record {
      text += ": record \(record)"
    }
    text += ": error: \(message)"
    if let hint { text += "\n  hint: \(hint)" }
    return text
  }
}

// MARK: - Near-miss names

/// The candidate a misspelt name was probably meant to be, as the spec
/// parser suggests them.
func closestName(to name: String, among candidates: [String]) -> String? {
  NearestName.suggestion(for: name, among: candidates)
}

/// `"a"`, `"a, b, c"` or `"a, b, … (n more)"` for lists in messages.
func listing(_ names: [String], limit: Int = 12) -> String {
  let quoted = names.prefix(limit).map { "'\($0)'" }
  let rest = names.count - quoted.count
  return quoted.joined(separator: ", ") + (rest > 0 ? ", … (\(rest) more)" : "")
}
