/// What a YAML node means to the spec decoder.
///
/// nnc reads YAML with a deliberately small schema, close to YAML 1.2's core
/// schema but stricter, so that a value never changes type by surprise:
/// - only plain scalars resolve; quoted and block scalars are always strings,
/// - null is `~`, `null`, `Null`, `NULL` or nothing at all,
/// - booleans are exactly `true` and `false`; YAML 1.1's `yes`/`no`/`on`/`off`
///   are strings, which a boolean field rejects with a hint,
/// - numbers are decimal, `[-+]?(digits[.digits]|.digits)([eE][-+]?digits)?`;
///   an exponent needs no dot (`1e-3` is a number) and `.inf`/`.nan` are
///   recognised only to be rejected.
enum ScalarValue: Equatable {
  case null
  case bool(Bool)
  /// A finite number as written; `isInteger` when written as digits alone.
  case number(Double, text: String, isInteger: Bool)
  /// `.inf`, `-.inf`, `.nan` and numbers too large for a Double, as written.
  case nonFinite(String)
  /// Any other plain scalar: text that is not a null, boolean or number.
  case plainString(String)
  /// A quoted or block scalar, or one tagged `!!str` or `!`.
  case quotedString(String)
  case sequence
  case mapping
  /// A scalar with a tag nnc does not read, such as `!path`.
  case unsupportedTag(String)

  init(_ node: YAMLNode) {
    switch node.kind {
    case .sequence: self = .sequence
    case .mapping: self = .mapping
    case .scalar(let text, let style, let tag):
      switch tag {
      case nil where style == .plain: self = Self.resolve(text)
      case nil, "!", "tag:yaml.org,2002:str": self = .quotedString(text)
      case "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float":
        self = Self.resolve(text)
      case .some(let other): self = .unsupportedTag(other)
      }
    }
  }

  /// The meaning of a plain scalar's text.
  static func resolve(_ text: String) -> ScalarValue {
    switch text {
    case "", "~", "null", "Null", "NULL": return .null
    case "true": return .bool(true)
    case "false": return .bool(false)
    default: break
    }
    if isNonFiniteSpelling(text) { return .nonFinite(text) }
    guard let isInteger = numberShape(text) else { return .plainString(text) }
    guard let value = Double(text), value.isFinite else { return .nonFinite(text) }
    return .number(value, text: text, isInteger: isInteger)
  }

  /// Whether `text` is a decimal number, and if so whether it has only digits;
  /// `nil` when it is not a number.
  static func numberShape(_ text: String) -> Bool? {
    let bytes = Array(text.utf8)
    var index = 0
    func skipSign() {
      let signs: [UInt8] = [UInt8(ascii: "-"), UInt8(ascii: "+")]
      if index < bytes.count, signs.contains(bytes[index]) {
        index += 1
      }
    }
    func skipDigits() -> Int {
      let start = index
      while index < bytes.count, bytes[index] >= UInt8(ascii: "0"),
        bytes[index] <= UInt8(ascii: "9")
      {
        index += 1
      }
      return index - start
    }

    skipSign()
    var digits = skipDigits()
    var hasDot = false
    if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
      hasDot = true
      index += 1
      digits += skipDigits()
    }
    guard digits > 0 else { return nil }
    var hasExponent = false
    let exponentMarks: [UInt8] = [UInt8(ascii: "e"), UInt8(ascii: "E")]
    if index < bytes.count, exponentMarks.contains(bytes[index]) {
      hasExponent = true
      index += 1
      skipSign()
      guard skipDigits() > 0 else { return nil }
    }
    guard index == bytes.count else { return nil }
    return !hasDot && !hasExponent
  }

  private static func isNonFiniteSpelling(_ text: String) -> Bool {
    var word = Substring(text.lowercased())
    if word.hasPrefix("-") || word.hasPrefix("+") { word = word.dropFirst() }
    if word.hasPrefix(".") { word = word.dropFirst() }
    return word == "inf" || word == "infinity" || word == "nan"
  }

  /// How a found value is named in "expected …, found …" messages.
  var phrase: String {
    switch self {
    case .null: "no value"
    case .bool(let value): "the boolean \(value)"
    case .number(_, let text, _): "the number \(text)"
    case .nonFinite(let text): "the non-finite number \(text)"
    case .plainString(let text): "the string \(Self.quote(text))"
    case .quotedString(let text): "the quoted string \(Self.quote(text))"
    case .sequence: "a sequence"
    case .mapping: "a mapping"
    case .unsupportedTag(let tag): "a value tagged '\(tag)'"
    }
  }

  /// `text` in double quotes, shortened and with line breaks escaped.
  static func quote(_ text: String) -> String {
    var shown = text.count > 40 ? String(text.prefix(37)) + "..." : text
    shown = shown.replacingOccurrences("\\", "\\\\").replacingOccurrences("\"", "\\\"")
      .replacingOccurrences("\n", "\\n").replacingOccurrences("\t", "\\t")
    return "\"\(shown)\""
  }
}

extension String {
  /// `self` with every `target` replaced, without pulling in Foundation.
  fileprivate func replacingOccurrences(_ target: Character, _ replacement: String) -> String {
    var result = ""
    for character in self {
      if character == target { result += replacement } else { result.append(character) }
    }
    return result
  }
}
