import Foundation
import Testing

@testable import Runtime

// The hashes a run records and the JSON reader that reads metadata back.

/// FIPS 180-2's SHA-256 examples (appendix B) and the empty message.
@Test(
  "SHA-256 matches the published examples",
  arguments: [
    ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    (
      "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    ),
  ])
func sha256Examples(_ message: String, _ digest: String) {
  #expect(SHA256.hex(of: Data(message.utf8)) == digest)
}

@Test func sha256OfAMillionAsInMemoryAndInAFile() throws {
  let digest = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
  let message = Data(repeating: UInt8(ascii: "a"), count: 1_000_000)
  #expect(SHA256.hex(of: message) == digest)
  let file = NSTemporaryDirectory() + "nnc-sha-" + UUID().uuidString
  try message.write(to: URL(fileURLWithPath: file))
  defer { try? FileManager.default.removeItem(atPath: file) }
  #expect(try SHA256.hex(ofFile: file) == digest)
}

@Test func jsonReadsBackWhatItWrites() throws {
  var random = RandomStream(seed: 4, stream: "json")
  // Doubles of every magnitude, as bit patterns, so rounding anywhere shows.
  let numbers = (0..<2000).compactMap { _ -> Double? in
    let value = Double(bitPattern: random.next())
    return value.isFinite ? value : nil
  }
  let document = JSONValue.object([
    "numbers": .array(numbers.map { .number($0) }),
    "text": .string("tab\t \"quoted\" \\ é 🎲 \u{1}"),
    "nested": .object(["empty": .array([]), "none": .null, "yes": .bool(true)]),
    "count": .integer(-42),
  ])
  for text in [document.rendered(), document.compact()] {
    var parsed = try JSONValue.parse(text).objectValue ?? [:]
    var members = document.objectValue ?? [:]
    // Whole numbers are written as integers, so the numbers are compared by bits.
    (parsed["numbers"], members["numbers"]) = (nil, nil)
    #expect(parsed == members)
    let items = try JSONValue.parse(text).objectValue?["numbers"]?.arrayValue ?? []
    let read = items.compactMap(\.doubleValue)
    #expect(read.map(\.bitPattern) == numbers.map(\.bitPattern))
  }
  #expect(try JSONValue.parse("\"\\ud83c\\udfb2\"") == .string("🎲"))
}

@Test(
  "malformed JSON is an error",
  arguments: [
    "", "{", "{\"a\" 1}", "tru", "01x", "\"open", "[1] 2", "\"\\ud83c\"", "nan",
  ])
func malformedJSON(_ text: String) {
  #expect(throws: JSONParseError.self) { _ = try JSONValue.parse(text) }
}
