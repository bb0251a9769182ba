/// A JSON document with one fixed rendering: keys sorted, two-space indent,
/// one value per line, numbers in their shortest round-trip form. Two runs
/// that produce equal values produce equal bytes, and `git diff` reads well.
public indirect enum JSONValue: Sendable, Equatable {
  case null
  case bool(Bool)
  case number(Double)
  case integer(Int)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  /// The document, ending in a newline.
  public func rendered() -> String {
    var out = ""
    render(into: &out, indent: "")
    out += "\n"
    return out
  }

  /// The document on one line (for safetensors headers and machine output).
  public func compact() -> String {
    var out = ""
    render(into: &out, indent: nil)
    return out
  }

  private func render(into out: inout String, indent: String?) {
    switch self {
    case .null: out += "null"
    case .bool(let value): out += value ? "true" : "false"
    case .integer(let value): out += String(value)
    case .number(let value):
      // JSON has no NaN or infinity; they are written as null.
      if !value.isFinite {
        out += "null"
      } else if value == value.rounded(), abs(value) < 1e15 {
        out += String(Int(value))
      } else {
        out += "\(value)"
      }
    case .string(let text): out += Self.quoted(text)
    case .array(let items):
      guard !items.isEmpty else {
        out += "[]"
        return
      }
      out += "["
      let inner = indent.map { $0 + "  " }
      for (i, item) in items.enumerated() {
        if i > 0 { out += "," }
        if let inner { out += "\n" + inner }
        item.render(into: &out, indent: inner)
      }
      if let indent { out += "\n" + indent }
      out += "]"
    case .object(let members):
      guard !members.isEmpty else {
        out += "{}"
        return
      }
      out += "{"
      let inner = indent.map { $0 + "  " }
      for (i, member) in members.sorted(by: { $0.key < $1.key }).enumerated() {
        if i > 0 { out += "," }
        if let inner { out += "\n" + inner }
        out += Self.quoted(member.key) + (indent == nil ? ":" : ": ")
        member.value.render(into: &out, indent: inner)
      }
      if let indent { out += "\n" + indent }
      out += "}"
    }
  }

  private static func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20:
        let hex = String(scalar.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }
}
