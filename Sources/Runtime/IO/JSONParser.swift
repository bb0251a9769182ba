/// A JSON text that could not be read, with the byte offset where reading stopped.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
  public var offset: Int
  public var message: String
  public var description: String { "\(message) at byte \(offset)" }
}

extension JSONValue {
  /// Reads a JSON document, such as a safetensors metadata value nnc wrote.
  ///
  /// Numbers are read with `Double(String)`, which rounds correctly, so a
  /// number written in its shortest round-trip form comes back with the same
  /// bits (Foundation's `JSONSerialization` does not promise that). A number
  /// written without fraction or exponent that fits an `Int` becomes
  /// `.integer`. Nesting deeper than 64 levels is refused rather than risk
  /// the stack on hostile input.
  public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
    var parser = JSONParser(bytes: Array(text.utf8))
    let value = try parser.value(depth: 0)
    parser.skipSpace()
    guard parser.index == parser.bytes.count else { throw parser.fail("unexpected text") }
    return value
  }

  /// The members of an object, `nil` for any other value.
  public var objectValue: [String: JSONValue]? {
    if case .object(let members) = self { return members }
    return nil
  }

  /// The items of an array, `nil` for any other value.
  public var arrayValue: [JSONValue]? {
    if case .array(let items) = self { return items }
    return nil
  }

  /// A number or integer as a Double, `nil` for any other value.
  public var doubleValue: Double? {
    switch self {
    case .number(let value): value
    case .integer(let value): Double(value)
    default: nil
    }
  }

  /// An integer, or a number with no fraction that fits an Int.
  public var integerValue: Int? {
    switch self {
    case .integer(let value): value
    case .number(let value): Int(exactly: value)
    default: nil
    }
  }

  public var stringValue: String? {
    if case .string(let text) = self { return text }
    return nil
  }
}

private struct JSONParser {
  let bytes: [UInt8]
  var index = 0

  init(bytes: [UInt8]) { self.bytes = bytes }

  func fail(_ message: String) -> JSONParseError {
    JSONParseError(offset: index, message: message)
  }

  mutating func skipSpace() {
    while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
  }

  mutating func value(depth: Int) throws(JSONParseError) -> JSONValue {
    guard depth < 64 else { throw fail("nesting deeper than 64 levels") }
    skipSpace()
    guard index < bytes.count else { throw fail("unexpected end of text") }
    switch bytes[index] {
    case UInt8(ascii: "{"):
      index += 1
      var members: [String: JSONValue] = [:]
      skipSpace()
      if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
        index += 1
        return .object(members)
      }
      while true {
        skipSpace()
        let key = try string()
        skipSpace()
        try expect(UInt8(ascii: ":"))
        members[key] = try value(depth: depth + 1)
        skipSpace()
        if try separator(closing: UInt8(ascii: "}")) { return .object(members) }
      }
    case UInt8(ascii: "["):
      index += 1
      var items: [JSONValue] = []
      skipSpace()
      if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
        index += 1
        return .array(items)
      }
      while true {
        items.append(try value(depth: depth + 1))
        skipSpace()
        if try separator(closing: UInt8(ascii: "]")) { return .array(items) }
      }
    case UInt8(ascii: "\""):
      return .string(try string())
    case UInt8(ascii: "t"):
      try word("true")
      return .bool(true)
    case UInt8(ascii: "f"):
      try word("false")
      return .bool(false)
    case UInt8(ascii: "n"):
      try word("null")
      return .null
    default:
      return try number()
    }
  }

  /// After an item: `true` at the closing bracket, `false` after a comma.
  mutating func separator(closing: UInt8) throws(JSONParseError) -> Bool {
    guard index < bytes.count else { throw fail("unexpected end of text") }
    if bytes[index] == closing {
      index += 1
      return true
    }
    try expect(UInt8(ascii: ","))
    return false
  }

  mutating func expect(_ byte: UInt8) throws(JSONParseError) {
    guard index < bytes.count, bytes[index] == byte else {
      throw fail("expected '\(Character(Unicode.Scalar(byte)))'")
    }
    index += 1
  }

  mutating func word(_ text: String) throws(JSONParseError) {
    let expected = Array(text.utf8)
    guard bytes.count - index >= expected.count,
      Array(bytes[index..<index + expected.count]) == expected
    else { throw fail("expected \(text)") }
    index += expected.count
  }

  mutating func number() throws(JSONParseError) -> JSONValue {
    let start = index
    var isInteger = true
    while index < bytes.count {
      let byte = bytes[index]
      if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
        || byte == UInt8(ascii: "+")
      {
        index += 1
      } else if [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(byte) {
        isInteger = false
        index += 1
      } else {
        break
      }
    }
    let text = String(decoding: bytes[start..<index], as: UTF8.self)
    if isInteger, let value = Int(text) { return .integer(value) }
    // Double(String) also takes "inf" and hex floats; JSON's grammar does not,
    // and the loop above only gathers digits, signs, '.', 'e' and 'E'.
    guard !text.isEmpty, let value = Double(text), value.isFinite else {
      index = start
      throw fail("expected a value")
    }
    return .number(value)
  }

  mutating func string() throws(JSONParseError) -> String {
    try expect(UInt8(ascii: "\""))
    var scalars = String.UnicodeScalarView()
    var run: [UInt8] = []
    func flush() {
      scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars)
      run.removeAll()
    }
    while index < bytes.count {
      let byte = bytes[index]
      index += 1
      switch byte {
      case UInt8(ascii: "\""):
        flush()
        return String(scalars)
      case UInt8(ascii: "\\"):
        flush()
        guard index < bytes.count else { throw fail("unexpected end of text") }
        let escape = bytes[index]
        index += 1
        switch escape {
        case UInt8(ascii: "\""): scalars.append("\"")
        case UInt8(ascii: "\\"): scalars.append("\\")
        case UInt8(ascii: "/"): scalars.append("/")
        case UInt8(ascii: "b"): scalars.append("\u{8}")
        case UInt8(ascii: "f"): scalars.append("\u{C}")
        case UInt8(ascii: "n"): scalars.append("\n")
        case UInt8(ascii: "r"): scalars.append("\r")
        case UInt8(ascii: "t"): scalars.append("\t")
        case UInt8(ascii: "u"):
          var code = try hexQuad()
          if (0xD800..<0xDC00).contains(code) {
            // A high surrogate must be followed by an escaped low one.
            try expect(UInt8(ascii: "\\"))
            try expect(UInt8(ascii: "u"))
            let low = try hexQuad()
            guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate") }
            code = 0x10000 + (code - 0xD800) << 10 + (low - 0xDC00)
          }
          guard let scalar = Unicode.Scalar(code) else { throw fail("invalid \\u escape") }
          scalars.append(scalar)
        default:
          throw fail("invalid escape")
        }
      default:
        run.append(byte)
      }
    }
    throw fail("unterminated string")
  }

  mutating func hexQuad() throws(JSONParseError) -> UInt32 {
    guard bytes.count - index >= 4,
      let code = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16)
    else { throw fail("expected four hexadecimal digits") }
    index += 4
    return code
  }
}
