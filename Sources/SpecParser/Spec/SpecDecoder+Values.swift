// MARK: - Sections and typed values

/// One mapping of the spec, its keys already checked against those allowed.
struct Section {
  /// The mapping's key path, `""` for the document root.
  let path: String
  /// Where the mapping starts; missing keys are reported here.
  let location: SourceLocation
  /// Value nodes by key, null values included.
  let values: [String: YAMLNode]

  /// The key path of `key` inside this mapping.
  func path(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

  /// Whether `key` was written with a value that is not null.
  func hasValue(_ key: String) -> Bool {
    guard let node = values[key] else { return false }
    return ScalarValue(node) != .null
  }
}

/// A condition a number must meet, with how messages state it.
struct NumberRange {
  let phrase: String
  let contains: @Sendable (Double) -> Bool

  static let positive = NumberRange(phrase: "> 0") { $0 > 0 }
  static let nonNegative = NumberRange(phrase: "≥ 0") { $0 >= 0 }
  static let openUnit = NumberRange(phrase: "in (0, 1)") { $0 > 0 && $0 < 1 }
  static let zeroToBelowOne = NumberRange(phrase: "in [0, 1)") { $0 >= 0 && $0 < 1 }
  static let aboveZeroToOne = NumberRange(phrase: "in (0, 1]") { $0 > 0 && $0 <= 1 }
}

extension SpecDecoder {
  // MARK: Diagnostics

  mutating func error(
    _ message: String, at location: SourceLocation, path: String, hint: String? = nil
  ) {
    diagnostics.append(Diagnostic(.error, at: location, keyPath: path, message, hint: hint))
  }

  mutating func warning(
    _ message: String, at location: SourceLocation, path: String, hint: String? = nil
  ) {
    diagnostics.append(Diagnostic(.warning, at: location, keyPath: path, message, hint: hint))
  }

  /// Reports that `node` is not the `expected` kind of value.
  mutating func mismatch(
    expected: String, found node: YAMLNode, path: String, hint: String? = nil
  ) {
    let found = ScalarValue(node)
    var hint = hint
    switch found {
    case .quotedString(let text):
      switch ScalarValue.resolve(text) {
      case .number, .bool, .null:
        hint = hint ?? "remove the quotes: a quoted value is always a string"
      default: break
      }
    case .nonFinite:
      hint = hint ?? "infinities and NaN are not allowed in a spec"
    case .unsupportedTag:
      hint = hint ?? "remove the tag; nnc reads untagged values only"
    default: break
    }
    error("expected \(expected), found \(found.phrase)", at: node.location, path: path, hint: hint)
  }

  /// The last component of a key path, as messages name a value.
  func name(of path: String) -> String {
    guard let dot = path.lastIndex(of: ".") else { return path }
    return String(path[path.index(after: dot)...])
  }

  // MARK: Mappings and keys

  /// Opens `node` as a mapping allowing `keys`, reporting unknown keys with a
  /// near match; `nil` (reported) when `node` is not a mapping.
  mutating func section(
    _ node: YAMLNode, at path: String, keys: [String], hint: String? = nil
  ) -> Section? {
    guard case .mapping(let pairs) = node.kind else {
      mismatch(expected: "a mapping", found: node, path: path, hint: hint)
      return nil
    }
    var values: [String: YAMLNode] = [:]
    for pair in pairs {
      guard let key = pair.key.scalarText else {
        error(
          "a key must be a name, found \(ScalarValue(pair.key).phrase)", at: pair.key.location,
          path: path)
        continue
      }
      guard keys.contains(key) else {
        let keyPath = path.isEmpty ? key : "\(path).\(key)"
        let place = path.isEmpty ? "at the top level" : "in \(path)"
        let hint =
          NearestName.suggestion(for: key, among: keys).map { "did you mean '\($0)'?" }
          ?? "allowed keys \(place): \(keys.joined(separator: ", "))"
        error("unknown key '\(key)' \(place)", at: pair.key.location, path: keyPath, hint: hint)
        continue
      }
      values[key] = pair.value
    }
    return Section(path: path, location: node.location, values: values)
  }

  /// The value node of `key`, its location recorded; `nil` when the key is
  /// absent or null, which is reported when the key is `required`.
  ///
  /// `keepsNullWord` is for string fields: there `null` is the text "null"
  /// (a CSV column may be called that) and only `~` or nothing means no value.
  mutating func node(
    _ key: String, in section: Section, required: Bool = false, keepsNullWord: Bool = false
  ) -> YAMLNode? {
    let path = section.path(key)
    guard let value = section.values[key] else {
      if required {
        error("missing required key '\(key)'", at: section.location, path: path)
      }
      return nil
    }
    var isNull = ScalarValue(value) == .null
    if isNull, keepsNullWord, !required, !["", "~"].contains(value.scalarText ?? "") {
      isNull = false
    }
    if isNull {
      if required {
        error(
          "missing value for '\(key)'", at: value.location, path: path,
          hint: "write a value after '\(key):'")
      }
      return nil
    }
    locations[path] = value.location
    return value
  }

  // MARK: Typed values of one node

  /// A finite number in `range`.
  mutating func number(from node: YAMLNode, at path: String, _ range: NumberRange?) -> Double? {
    guard case .number(let value, let text, _) = ScalarValue(node) else {
      mismatch(expected: "a number", found: node, path: path)
      return nil
    }
    if let range, !range.contains(value) {
      error(
        "\(name(of: path)) must be \(range.phrase), found \(text)", at: node.location, path: path)
      return nil
    }
    return value
  }

  /// A whole number (written as digits, or as a number with no fraction) ≥ `minimum`.
  mutating func integer(from node: YAMLNode, at path: String, minimum: Int) -> Int? {
    guard case .number(let value, let text, let isInteger) = ScalarValue(node) else {
      mismatch(expected: "an integer", found: node, path: path)
      return nil
    }
    let integer: Int
    if isInteger, let exact = Int(text) {
      integer = exact
    } else if !isInteger, value.rounded() == value, abs(value) < 0x1p53 {
      integer = Int(value)
    } else if isInteger || value.rounded() == value {
      error("integer \(text) is too large", at: node.location, path: path)
      return nil
    } else {
      mismatch(expected: "an integer", found: node, path: path)
      return nil
    }
    guard integer >= minimum else {
      error(
        "\(name(of: path)) must be ≥ \(minimum), found \(text)", at: node.location, path: path)
      return nil
    }
    return integer
  }

  /// A 64-bit seed: digits, 0 through 2⁶⁴ − 1.
  mutating func seed(from node: YAMLNode, at path: String) -> UInt64? {
    guard case .number(let value, let text, let isInteger) = ScalarValue(node) else {
      mismatch(expected: "an integer", found: node, path: path)
      return nil
    }
    if value < 0 {
      error("\(name(of: path)) must be ≥ 0, found \(text)", at: node.location, path: path)
      return nil
    }
    if isInteger {
      // The value is ≥ 0 here, so a "-" can only precede zero.
      let digits = text.first == "+" || text.first == "-" ? text.dropFirst() : Substring(text)
      if let exact = UInt64(digits) { return exact }
      error("\(name(of: path)) \(text) is larger than 2^64 - 1", at: node.location, path: path)
      return nil
    }
    guard value.rounded() == value, value < 0x1p53 else {
      mismatch(expected: "an integer", found: node, path: path)
      return nil
    }
    return UInt64(value)
  }

  /// `true` or `false`, written plain.
  mutating func bool(from node: YAMLNode, at path: String) -> Bool? {
    if case .bool(let value) = ScalarValue(node) { return value }
    mismatch(expected: "true or false", found: node, path: path, hint: "write true or false")
    return nil
  }

  /// Any scalar's text: a string field keeps `no`, `yes`, `on` or `5` as written.
  mutating func string(from node: YAMLNode, at path: String) -> String? {
    switch ScalarValue(node) {
    case .sequence, .mapping, .unsupportedTag:
      mismatch(expected: "a string", found: node, path: path)
      return nil
    default:
      return node.scalarText
    }
  }

  /// One of `Choice`'s raw values, with the allowed ones and a near match on error.
  mutating func choice<Choice: RawRepresentable & CaseIterable>(
    from node: YAMLNode, at path: String, what: String
  ) -> Choice? where Choice.RawValue == String {
    let allowed = Choice.allCases.map(\.rawValue)
    let list = allowed.joined(separator: ", ")
    switch ScalarValue(node) {
    case .plainString(let text), .quotedString(let text):
      if let value = Choice(rawValue: text) { return value }
      let hint = NearestName.suggestion(for: text, among: allowed).map { "did you mean '\($0)'?" }
      error(
        "unknown \(what) '\(text)' (allowed: \(list))", at: node.location, path: path, hint: hint)
      return nil
    default:
      mismatch(expected: "one of \(list)", found: node, path: path)
      return nil
    }
  }

  /// A non-empty list of distinct column names; a single string is a list of one.
  mutating func columns(from node: YAMLNode, at path: String) -> [String]? {
    guard case .sequence(let items) = node.kind else {
      return string(from: node, at: path).map { [$0] }
    }
    guard !items.isEmpty else {
      error(
        "\(name(of: path)) is empty", at: node.location, path: path,
        hint: "name at least one column")
      return nil
    }
    var names: [String] = []
    var allRead = true
    for (index, item) in items.enumerated() {
      let itemPath = "\(path)[\(index)]"
      locations[itemPath] = item.location
      if item.isPlainScalar, ["", "~"].contains(item.scalarText ?? "") {
        error("missing column name", at: item.location, path: itemPath)
        allRead = false
      } else if let name = string(from: item, at: itemPath) {
        if names.contains(name) {
          error("column '\(name)' is listed twice", at: item.location, path: itemPath)
          allRead = false
        }
        names.append(name)
      } else {
        allRead = false
      }
    }
    return allRead ? names : nil
  }

  // MARK: Typed values of one key

  mutating func number(
    _ key: String, in section: Section, required: Bool = false, _ range: NumberRange? = nil
  ) -> Double? {
    node(key, in: section, required: required).flatMap {
      number(from: $0, at: section.path(key), range)
    }
  }

  mutating func integer(
    _ key: String, in section: Section, required: Bool = false, minimum: Int
  ) -> Int? {
    node(key, in: section, required: required).flatMap {
      integer(from: $0, at: section.path(key), minimum: minimum)
    }
  }

  mutating func bool(_ key: String, in section: Section) -> Bool? {
    node(key, in: section).flatMap { bool(from: $0, at: section.path(key)) }
  }

  mutating func string(_ key: String, in section: Section, required: Bool = false) -> String? {
    node(key, in: section, required: required, keepsNullWord: true).flatMap {
      string(from: $0, at: section.path(key))
    }
  }

  mutating func choice<Choice: RawRepresentable & CaseIterable>(
    _ key: String, in section: Section, required: Bool = false, what: String
  ) -> Choice? where Choice.RawValue == String {
    node(key, in: section, required: required).flatMap {
      choice(from: $0, at: section.path(key), what: what)
    }
  }

  mutating func columns(_ key: String, in section: Section) -> [String]? {
    node(key, in: section, keepsNullWord: true).flatMap {
      columns(from: $0, at: section.path(key))
    }
  }
}
