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

/// The name in `candidates` closest to `name` by edit distance, when it is
/// close enough to be a likely typo (case differences count as typos too).
func closestName(to name: String, among candidates: [String]) -> String? {
  let target = Array(name.lowercased())
  let allowed = max(1, min(3, target.count / 3))
  var best: (name: String, distance: Int)?
  for candidate in candidates {
    let distance = editDistance(target, Array(candidate.lowercased()))
    if distance <= allowed, distance < (best?.distance ?? Int.max) {
      best = (candidate, distance)
    }
  }
  return best?.name
}

/// Levenshtein distance: insertions, deletions and substitutions cost 1.
private func editDistance(_ a: [Character], _ b: [Character]) -> Int {
  if a.isEmpty { return b.count }
  if b.isEmpty { return a.count }
  // One row of the dynamic-programming table; previous[j] is d(a[..<i], b[..<j]).
  var previous = Array(0...b.count)
  var current = [Int](repeating: 0, count: b.count + 1)
  for i in 1...a.count {
    current[0] = i
    for j in 1...b.count {
      let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
      current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
    }
    swap(&previous, &current)
  }
  return previous[b.count]
}

/// `"a"`, `"a, b, c"` or `"a, b, … (n more)"` for lists in messages.
func listing(_ names: [String], limit: Int = 12) -> String {
  let quoted = names.prefix(limit).map { "'\($0)'" }
  let rest = names.count - quoted.count
  return quoted.joined(separator: ", ") + (rest > 0 ? ", … (\(rest) more)" : "")
}
