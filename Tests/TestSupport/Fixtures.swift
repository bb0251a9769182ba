import Foundation

/// A JSON fixture as nested dictionaries and arrays, read without Python.
public struct JSONFixture {
  public let values: [String: Any]

  public init(_ relativePath: String) throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: repositoryPath(relativePath)))
    guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw FixtureError.notAnObject(relativePath)
    }
    values = object
  }

  public func double(_ key: String) throws -> Double {
    guard let number = values[key] as? NSNumber else { throw FixtureError.missing(key) }
    return number.doubleValue
  }

  public func doubles(_ key: String) throws -> [Double] {
    guard let array = values[key] as? [NSNumber] else { throw FixtureError.missing(key) }
    return array.map(\.doubleValue)
  }

  public func ints(_ key: String) throws -> [Int] {
    guard let array = values[key] as? [NSNumber] else { throw FixtureError.missing(key) }
    return array.map(\.intValue)
  }

  public func string(_ key: String) throws -> String {
    guard let text = values[key] as? String else { throw FixtureError.missing(key) }
    return text
  }

  public func objects(_ key: String) throws -> [[String: Any]] {
    guard let array = values[key] as? [[String: Any]] else { throw FixtureError.missing(key) }
    return array
  }
}

public enum FixtureError: Error {
  case notAnObject(String)
  case missing(String)
}
