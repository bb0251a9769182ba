/// One CSV record: the line it starts on and its fields, unquoted and trimmed.
struct CSVRecord: Sendable, Equatable {
  /// 1-based line number of the record's first character in the file.
  var line: Int
  var fields: [String]
}

/// A CSV file's header row and its records, each exactly as wide as the header.
struct CSVTable: Sendable, Equatable {
  var path: String
  /// Column names from the header row, in file order.
  var columns: [String]
  var headerLine: Int
  var records: [CSVRecord]
}

/// Reads comma-separated files in the spirit of RFC 4180.
///
/// - Records end at LF, CRLF or a lone CR; blank lines are skipped.
/// - A field in double quotes may hold commas and line breaks; `""` inside
///   it stands for one quote. Spaces and tabs outside the quotes are ignored.
/// - Spaces and tabs around an unquoted field are trimmed; a quote inside an
///   unquoted field is kept as an ordinary character.
/// - The first record is the header; it must name every column, uniquely.
/// - A UTF-8 byte-order mark at the start is skipped.
enum CSVReader {
  static func read(_ path: String, in files: DataFiles = .disk()) throws(DataError) -> CSVTable {
    try parse(ByteInput.contents(of: path, in: files), path: path)
  }

  static func parse(_ bytes: [UInt8], path: String) throws(DataError) -> CSVTable {
    var records = try bytes.withUnsafeBufferPointer { buffer throws(DataError) in
      var tokenizer = CSVTokenizer(bytes: buffer, path: path)
      return try tokenizer.records()
    }
    guard !records.isEmpty else {
      throw DataError(
        .missingHeader, file: path, "the file has no header row, only blank lines",
        hint: "the first row must name the columns")
    }
    let header = records.removeFirst()
    try checkHeader(header, path: path)

    for record in records where record.fields.count != header.fields.count {
      throw fieldCountError(record, header: header.fields, path: path)
    }
    return CSVTable(
      path: path, columns: header.fields, headerLine: header.line, records: records)
  }

  private static func checkHeader(_ header: CSVRecord, path: String) throws(DataError) {
    if header.fields.allSatisfy({ Double($0) != nil }) {
      throw DataError(
        .invalidHeader, file: path, row: header.line,
        "the first row looks like data; a header row naming the columns is required",
        hint: "add a first line such as '"
          + (1...header.fields.count).map { "x\($0)" }.joined(separator: ",") + "'")
    }
    var firstColumn: [String: Int] = [:]
    for (index, name) in header.fields.enumerated() {
      guard !name.isEmpty else {
        throw DataError(
          .invalidHeader, file: path, row: header.line, column: index + 1,
          "column \(index + 1) has no name in the header row",
          hint: "every column needs a name, even one the spec does not use")
      }
      if let earlier = firstColumn[name] {
        throw DataError(
          .invalidHeader, file: path, row: header.line, column: index + 1,
          "column name '\(name)' appears twice in the header, as columns \(earlier) "
            + "and \(index + 1)")
      }
      firstColumn[name] = index + 1
    }
  }

  private static func fieldCountError(
    _ record: CSVRecord, header: [String], path: String
  ) -> DataError {
    let found = record.fields.count
    let expected = header.count
    if found > expected {
      return DataError(
        .fieldCount, file: path, row: record.line, column: expected + 1,
        "too many fields: expected \(expected) as in the header, found \(found)",
        hint: "a field that contains a comma must be in double quotes")
    }
    return DataError(
      .fieldCount, file: path, row: record.line, column: found + 1,
      "too few fields: expected \(expected) as in the header, found \(found); "
        + "column '\(header[found])' is missing")
  }
}

// MARK: - Tokenizer

/// Splits bytes into records and fields; the grammar is on `CSVReader`.
private struct CSVTokenizer {
  let bytes: UnsafeBufferPointer<UInt8>
  let path: String
  /// The next byte to read.
  var position = 0
  /// The 1-based line `position` is on.
  var line = 1

  init(bytes: UnsafeBufferPointer<UInt8>, path: String) {
    self.bytes = bytes
    self.path = path
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
  }

  mutating func records() throws(DataError) -> [CSVRecord] {
    var records: [CSVRecord] = []
    while position < bytes.count {
      let start = line
      var fields: [String] = []
      var sawQuote = false
      while true {
        skipBlanks()
        if position < bytes.count && bytes[position] == quote {
          fields.append(try quotedField(row: start, column: fields.count + 1))
          sawQuote = true
          skipBlanks()
        } else {
          fields.append(unquotedField())
        }
        guard position < bytes.count else { break }
        let byte = bytes[position]
        if byte == comma {
          position += 1
          continue
        }
        if byte == lineFeed || byte == carriageReturn {
          endLine()
          break
        }
        throw DataError(
          .unexpectedCharacter, file: path, row: start, column: fields.count,
          "expected a comma or the end of the line after the closing quote, found "
            + describe(byte),
          hint: "a quote inside a quoted field is written twice: \"\"")
      }
      let isBlank = fields.count == 1 && fields[0].isEmpty && !sawQuote
      if !isBlank { records.append(CSVRecord(line: start, fields: fields)) }
    }
    return records
  }

  /// A field in double quotes, starting at its opening quote.
  private mutating func quotedField(row: Int, column: Int) throws(DataError) -> String {
    position += 1
    var value: [UInt8] = []
    while position < bytes.count {
      let byte = bytes[position]
      if byte == quote {
        if position + 1 < bytes.count && bytes[position + 1] == quote {
          value.append(quote)
          position += 2
          continue
        }
        position += 1
        return String(decoding: value, as: UTF8.self)
      }
      if byte == lineFeed || byte == carriageReturn {
        // Keep the break as written, but count it as one line.
        let end = position
        endLine()
        value.append(contentsOf: bytes[end..<position])
        continue
      }
      value.append(byte)
      position += 1
    }
    throw DataError(
      .unclosedQuote, file: path, row: row, column: column,
      "the quoted field starting here is never closed",
      hint: "add the closing double quote")
  }

  /// An unquoted field: up to the next comma or line break, blanks trimmed.
  private mutating func unquotedField() -> String {
    let start = position
    while position < bytes.count {
      let byte = bytes[position]
      if byte == comma || byte == lineFeed || byte == carriageReturn { break }
      position += 1
    }
    var end = position
    while end > start && isBlank(bytes[end - 1]) { end -= 1 }
    return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
  }

  private mutating func skipBlanks() {
    while position < bytes.count && isBlank(bytes[position]) { position += 1 }
  }

  /// Steps over one LF, CRLF or lone CR.
  private mutating func endLine() {
    if bytes[position] == carriageReturn && position + 1 < bytes.count
      && bytes[position + 1] == lineFeed
    {
      position += 1
    }
    position += 1
    line += 1
  }
}

private let comma = UInt8(ascii: ",")
private let quote = UInt8(ascii: "\"")
private let lineFeed = UInt8(ascii: "\n")
private let carriageReturn = UInt8(ascii: "\r")

private func isBlank(_ byte: UInt8) -> Bool {
  byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
}

/// `'x'` for a printable ASCII byte, `byte 0xNN` otherwise.
private func describe(_ byte: UInt8) -> String {
  (0x20..<0x7F).contains(byte)
    ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(hex(byte, digits: 2))"
}
