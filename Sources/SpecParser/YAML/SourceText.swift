/// The raw bytes of a YAML file, with the position arithmetic diagnostics need.
///
/// Lines and columns follow libyaml: a line ends at LF, CR LF or a lone CR, and
/// a column counts Unicode scalars, not bytes. Both are 0-based here, as libyaml
/// marks are; `SourceLocation` adds one.
struct SourceText {
  let bytes: [UInt8]

  /// The byte offset of the first malformed UTF-8 sequence, or `nil` when the
  /// whole text is valid UTF-8.
  func firstInvalidUTF8Offset() -> Int? {
    var parser = Unicode.UTF8.ForwardParser()
    var iterator = bytes.makeIterator()
    var offset = 0
    while true {
      switch parser.parseScalar(from: &iterator) {
      case .valid(let encoded): offset += encoded.count
      case .emptyInput: return nil
      case .error: return offset
      }
    }
  }

  /// The 0-based line and column of the byte at `offset`.
  func lineAndColumn(ofByte offset: Int) -> (line: Int, column: Int) {
    var line = 0
    var column = 0
    var index = 0
    let end = min(max(offset, 0), bytes.count)
    while index < end {
      let byte = bytes[index]
      if byte == 0x0A || (byte == 0x0D && (index + 1 >= bytes.count || bytes[index + 1] != 0x0A)) {
        line += 1
        column = 0
      } else if byte & 0xC0 != 0x80 && byte != 0x0D {
        // Continuation bytes belong to the scalar already counted.
        column += 1
      }
      index += 1
    }
    return (line, column)
  }

  /// The scalars of 0-based line `line` up to (not including) column `column`,
  /// and the scalar at that column if there is one.
  func prefix(line: Int, column: Int) -> (before: [Unicode.Scalar], at: Unicode.Scalar?) {
    guard let start = startOfLine(line) else { return ([], nil) }
    var before: [Unicode.Scalar] = []
    var parser = Unicode.UTF8.ForwardParser()
    var iterator = bytes[start...].makeIterator()
    while true {
      switch parser.parseScalar(from: &iterator) {
      case .valid(let encoded):
        let scalar = Unicode.UTF8.decode(encoded)
        if scalar == "\n" || scalar == "\r" { return (before, nil) }
        if before.count == column { return (before, scalar) }
        before.append(scalar)
      case .emptyInput, .error:
        return (before, nil)
      }
    }
  }

  /// The byte offset where 0-based line `line` starts, `nil` past the end.
  private func startOfLine(_ line: Int) -> Int? {
    if line == 0 { return 0 }
    var seen = 0
    var index = 0
    while index < bytes.count {
      let byte = bytes[index]
      index += 1
      if byte == 0x0D, index < bytes.count, bytes[index] == 0x0A { index += 1 }
      if byte == 0x0A || byte == 0x0D {
        seen += 1
        if seen == line { return index }
      }
    }
    return nil
  }
}
