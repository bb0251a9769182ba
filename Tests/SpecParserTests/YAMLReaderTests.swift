import Foundation
import Testing

@testable import SpecParser

/// The errors reading `text` throws, `[]` when it reads.
private func readErrors(_ text: String) -> [Diagnostic] {
  do {
    _ = try YAMLReader.read(text, file: "t.yaml")
    return []
  } catch {
    return error.diagnostics
  }
}

private func scalar(
  _ text: String, _ line: Int, _ column: Int, style: YAMLNode.ScalarStyle = .plain,
  tag: String? = nil
) -> YAMLNode {
  YAMLNode(
    location: SourceLocation(file: "t.yaml", line: line, column: column),
    kind: .scalar(text, style: style, tag: tag))
}

@Suite struct YAMLReaderTests {
  @Test func buildsALocatedTreeInWrittenOrder() throws {
    let text = """
      zeta: 'one'
      alpha:
        - "two"
        - !!str 3
      block: |
        line
      """
    let root = try YAMLReader.read(text, file: "t.yaml")
    let here = SourceLocation(file: "t.yaml", line: 1, column: 1)
    let expected = YAMLNode(
      location: here,
      kind: .mapping([
        YAMLNode.Pair(key: scalar("zeta", 1, 1), value: scalar("one", 1, 7, style: .singleQuoted)),
        YAMLNode.Pair(
          key: scalar("alpha", 2, 1),
          value: YAMLNode(
            location: SourceLocation(file: "t.yaml", line: 3, column: 3),
            kind: .sequence([
              scalar("two", 3, 5, style: .doubleQuoted),
              scalar("3", 4, 5, tag: "tag:yaml.org,2002:str"),
            ]))),
        YAMLNode.Pair(key: scalar("block", 5, 1), value: scalar("line", 5, 8, style: .literal)),
      ]))
    #expect(root == expected)
  }

  @Test func aliasIsReplacedByTheAnchoredNode() throws {
    let root = try YAMLReader.read("a: &x [1, {b: 2}]\nc: *x\n", file: "t.yaml")
    guard case .mapping(let pairs) = root.kind, pairs.count == 2 else {
      Issue.record("expected a two-entry mapping, got \(root)")
      return
    }
    #expect(pairs[1].value.kind == pairs[0].value.kind)
    #expect(pairs[1].value.location == SourceLocation(file: "t.yaml", line: 2, column: 4))
  }

  @Test func everyDuplicateKeyIsReported() {
    let errors = readErrors("a: 1\nb: {c: 1, c: 2}\na: 3\n")
    #expect(
      errors.map(\.message) == [
        "duplicate key 'c' (first at 2:5)", "duplicate key 'a' (first at 1:1)",
      ])
    #expect(errors.map(\.keyPath) == ["b.c", "a"])
  }

  @Test func aliasesThatContainThemselvesAreRejected() {
    let errors = readErrors("a: &x [1, *x]\n")
    #expect(errors.map(\.message) == ["alias '*x' refers to a node that contains it"])
  }

  @Test func emptyDocumentMarkerIsAnEmptyDocument() {
    #expect(readErrors("---\n").first?.message.hasPrefix("empty document") == true)
    #expect(readErrors("").first?.message.hasPrefix("empty document") == true)
  }

  @Test func tabAfterContentIsNamedAsATab() {
    // libyaml accepts a tab between a key and its value but not inside a flow indentation.
    #expect(readErrors("a:\tb\n") == [])
    let errors = readErrors("a: 1\n\t- b\n")
    #expect(errors.first?.message == "tabs are not allowed for indentation in YAML; use spaces")
    #expect(errors.first?.location.line == 2)
  }

  @Test func controlCharacterIsReportedWhereItIs() {
    let errors = readErrors("a: b\nc: d\u{7}\n")
    #expect(errors.map(\.message) == ["control character U+0007 is not allowed in YAML"])
    #expect(errors.first.map { ($0.location.line, $0.location.column) } ?? (0, 0) == (2, 5))
  }

  /// Truncating, splicing and flipping bytes of every fixture must give a tree
  /// or diagnostics, never a trap: a small, deterministic stand-in for fuzzing.
  @Test func mangledInputNeverTraps() throws {
    let folder = fixturePath("")
    let names = try FileManager.default.subpathsOfDirectory(atPath: folder)
      .filter { $0.hasSuffix(".yaml") }.sorted()
    #expect(names.count > 30)
    var generator = SplitMix64(seed: 42)
    for name in names {
      let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name)))
      for _ in 0..<200 where !original.isEmpty {
        var bytes = original
        for _ in 0..<Int(generator.next() % 4 + 1) {
          let index = Int(generator.next() % UInt64(bytes.count))
          switch generator.next() % 3 {
          case 0: bytes[index] = UInt8(truncatingIfNeeded: generator.next())
          case 1: bytes.removeSubrange(index...)
          default:
            bytes.insert(
              contentsOf: Array("*&[{\t-: \"'".utf8).shuffled(using: &generator).prefix(2),
              at: index)
          }
          if bytes.isEmpty { break }
        }
        _ = try? SpecReader.decode(bytes: bytes, file: "mangled.yaml")
      }
    }
  }
}

@Suite struct ScalarValueTests {
  @Test(arguments: [
    ("5", ScalarValue.number(5, text: "5", isInteger: true)),
    ("-2", .number(-2, text: "-2", isInteger: true)),
    ("1e-3", .number(1e-3, text: "1e-3", isInteger: false)),
    ("1.0e-4", .number(1e-4, text: "1.0e-4", isInteger: false)),
    (".5", .number(0.5, text: ".5", isInteger: false)),
    ("1e999", .nonFinite("1e999")),
    ("-.inf", .nonFinite("-.inf")),
    (".NaN", .nonFinite(".NaN")),
    ("1e", .plainString("1e")),
    ("0x10", .plainString("0x10")),
    ("1_000", .plainString("1_000")),
    ("-", .plainString("-")),
    ("yes", .plainString("yes")),
    ("True", .plainString("True")),
    ("true", .bool(true)),
    ("~", .null),
    ("", .null),
  ])
  func resolvesPlainScalars(_ text: String, _ expected: ScalarValue) {
    #expect(ScalarValue.resolve(text) == expected)
  }
}

@Suite struct HelperTests {
  @Test func editDistance() {
    #expect(NearestName.editDistance(Array("kitten"), Array("sitting")) == 3)
    #expect(NearestName.editDistance(Array(""), Array("abc")) == 3)
    #expect(NearestName.editDistance(Array("same"), Array("same")) == 0)
  }

  @Test func suggestionsStayNear() {
    let keys = ["kind", "learning_rate", "momentum", "batch_size"]
    #expect(NearestName.suggestion(for: "learning-rate", among: keys) == "learning_rate")
    #expect(NearestName.suggestion(for: "Momentum", among: keys) == "momentum")
    #expect(NearestName.suggestion(for: "lr", among: keys) == nil)
    #expect(NearestName.suggestion(for: "epochs", among: keys) == nil)
  }

  @Test func pathsResolveAgainstTheSpecFolder() {
    #expect(SpecPaths.resolve("/abs/x.csv", relativeTo: "specs/a.yaml") == "/abs/x.csv")
    #expect(SpecPaths.resolve("x.csv", relativeTo: "a.yaml") == "x.csv")
    #expect(SpecPaths.resolve("../data/./x.csv", relativeTo: "/r/specs/a.yaml") == "/r/data/x.csv")
    #expect(SpecPaths.resolve("../../x", relativeTo: "s/a.yaml") == "../x")
    #expect(SpecPaths.resolve("x", relativeTo: "/a.yaml") == "/x")
    #expect(SpecDecoder.defaultName(forFile: "specs/mnist.mlp.yaml") == "mnist.mlp")
    #expect(SpecDecoder.defaultName(forFile: "spec") == "spec")
  }
}

/// A tiny seeded generator so the mangling test is the same on every run.
private struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
