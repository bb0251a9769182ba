import Foundation

/// A JSON text that could not be read, with Foundation's reason.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
  public var message: String
  public var description: String { message }
}

extension JSONValue: Decodable {
  /// Reads a JSON document, such as a safetensors metadata value nnc wrote.
  ///
  /// Foundation's `JSONDecoder` reads numbers with correct rounding, so a
  /// number written in its shortest round-trip form comes back with the same
  /// bits (`JSONSerialization` does not: it misses the last bit of about one
  /// double in seven). A number without fraction or exponent that fits an
  /// `Int` becomes `.integer`.
  public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
    do {
      return try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    } catch {
      throw JSONParseError(message: "not valid JSON: \(error)")
    }
  }

  public init(from decoder: Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      self = .null
    } else if let value = try? container.decode(Bool.self) {
      self = .bool(value)
    } else if let value = try? container.decode(Int.self) {
      self = .integer(value)
    } else if let value = try? container.decode(Double.self) {
      self = .number(value)
    } else if let value = try? container.decode(String.self) {
      self = .string(value)
    } else if let value = try? container.decode([JSONValue].self) {
      self = .array(value)
    } else {
      self = .object(try container.decode([String: JSONValue].self))
    }
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
