import Foundation
import SpecParser
import TestSupport
import Testing

/// `nnc schema`'s output, parsed.
func printedSchema() throws -> [String: Any] {
  let outcome = try nnc(["schema"])
  #expect(outcome.status == 0, "\(outcome.stderr)")
  let object = try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8))
  guard let schema = object as? [String: Any] else { throw FixtureError.notAnObject("schema") }
  return schema
}

// MARK: - YAML as an editor reads it

/// A YAML value as the YAML language server sees it: YAML 1.2's core schema,
/// resolved here independently of nnc's own reader.
indirect enum EditorValue {
  case null
  case bool(Bool)
  case number(Double, isInteger: Bool)
  case string(String)
  case array([EditorValue])
  case object([(key: String, value: EditorValue)])

  init(_ node: YAMLNode) {
    switch node.kind {
    case .sequence(let items): self = .array(items.map(EditorValue.init))
    case .mapping(let pairs):
      self = .object(pairs.map { (key: $0.key.scalarText ?? "", value: EditorValue($0.value)) })
    case .scalar(let text, let style, let tag):
      guard style == .plain, tag == nil else {
        self = .string(text)
        return
      }
      self = Self.resolve(text)
    }
  }

  /// The core schema's tag resolution of a plain scalar.
  static func resolve(_ text: String) -> EditorValue {
    switch text {
    case "", "~", "null", "Null", "NULL": return .null
    case "true", "True", "TRUE": return .bool(true)
    case "false", "False", "FALSE": return .bool(false)
    default: break
    }
    let integer = #/[-+]?[0-9]+/#
    let float = #/[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?/#
    if text.wholeMatch(of: integer) != nil, let value = Double(text) {
      return .number(value, isInteger: true)
    }
    if text.wholeMatch(of: float) != nil, let value = Double(text) {
      return .number(value, isInteger: false)
    }
    return .string(text)
  }

  static func load(_ path: String) throws -> EditorValue {
    EditorValue(try YAMLReader.read(String(contentsOfFile: path, encoding: .utf8), file: path))
  }
}

// MARK: - A JSON Schema validator for the keywords nnc's schema uses

/// Validates values against a draft-07 schema; every keyword the schema
/// uses must be one it knows, so that none is silently skipped.
struct SchemaValidator {
  let root: [String: Any]

  static let annotations: Set<String> = [
    "$schema", "title", "description", "default", "definitions",
  ]
  static let keywords: Set<String> = [
    "$ref", "type", "enum", "const", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "minLength", "minItems", "uniqueItems", "items", "properties",
    "additionalProperties", "required", "oneOf", "anyOf", "allOf", "not", "if", "then", "else",
  ]

  /// Problems of `value` against `schema`, each with the path it is at.
  func problems(_ value: EditorValue, _ schema: Any, at path: String = "") -> [String] {
    guard let schema = schema as? [String: Any] else {
      return (schema as? Bool) == false ? ["\(path): not allowed"] : []
    }
    var found: [String] = []
    for key in schema.keys
    where !Self.keywords.contains(key) && !Self.annotations.contains(key) {
      found.append("\(path): unsupported keyword \(key)")
    }
    if let reference = schema["$ref"] as? String {
      found += problems(value, resolve(reference), at: path)
    }
    if let types = schema["type"] {
      let names = (types as? [String]) ?? [(types as? String) ?? ""]
      if !names.contains(where: { value.isA($0) }) {
        found.append("\(path): not of type \(names)")
      }
    }
    if let options = schema["enum"] as? [Any], !options.contains(where: { value.equals($0) }) {
      found.append("\(path): not one of \(options)")
    }
    if let constant = schema["const"], !value.equals(constant) {
      found.append("\(path): not \(constant)")
    }
    found += boundProblems(value, schema, at: path)
    found += containerProblems(value, schema, at: path)
    for key in ["oneOf", "anyOf"] {
      guard let branches = schema[key] as? [Any] else { continue }
      let matching = branches.filter { problems(value, $0, at: path).isEmpty }.count
      if key == "oneOf" ? matching != 1 : matching == 0 {
        found.append("\(path): \(matching) branches of \(key) match")
      }
    }
    for branch in schema["allOf"] as? [Any] ?? [] {
      found += problems(value, branch, at: path)
    }
    if let negated = schema["not"], problems(value, negated, at: path).isEmpty {
      found.append("\(path): matches a schema it must not")
    }
    if let condition = schema["if"] {
      let branch = problems(value, condition, at: path).isEmpty ? schema["then"] : schema["else"]
      if let branch { found += problems(value, branch, at: path) }
    }
    return found
  }

  private func boundProblems(_ value: EditorValue, _ schema: [String: Any], at path: String)
    -> [String]
  {
    var found: [String] = []
    if case .number(let number, _) = value {
      let checks: [(String, (Double) -> Bool)] = [
        ("minimum", { number >= $0 }), ("maximum", { number <= $0 }),
        ("exclusiveMinimum", { number > $0 }), ("exclusiveMaximum", { number < $0 }),
      ]
      for (name, holds) in checks {
        if let bound = (schema[name] as? NSNumber)?.doubleValue, !holds(bound) {
          found.append("\(path): \(number) fails \(name) \(bound)")
        }
      }
    }
    if case .string(let text) = value, let minimum = schema["minLength"] as? Int,
      text.count < minimum
    {
      found.append("\(path): shorter than \(minimum)")
    }
    return found
  }

  private func containerProblems(_ value: EditorValue, _ schema: [String: Any], at path: String)
    -> [String]
  {
    var found: [String] = []
    switch value {
    case .array(let items):
      if let minimum = schema["minItems"] as? Int, items.count < minimum {
        found.append("\(path): fewer than \(minimum) items")
      }
      if schema["uniqueItems"] as? Bool == true {
        for (index, item) in items.enumerated()
        where items[..<index].contains(where: { $0.sameAs(item) }) {
          found.append("\(path)[\(index)]: repeats an earlier item")
        }
      }
      if let itemSchema = schema["items"] {
        for (index, item) in items.enumerated() {
          found += problems(item, itemSchema, at: "\(path)[\(index)]")
        }
      }
    case .object(let members):
      let properties = schema["properties"] as? [String: Any] ?? [:]
      for (key, member) in members {
        if let property = properties[key] {
          found += problems(member, property, at: path.isEmpty ? key : "\(path).\(key)")
        } else if (schema["additionalProperties"] as? Bool) == false {
          found.append("\(path): unknown key \(key)")
        }
      }
      for key in schema["required"] as? [String] ?? []
      where !members.contains(where: { $0.key == key }) {
        found.append("\(path): missing \(key)")
      }
    default:
      break
    }
    return found
  }

  func resolve(_ reference: String) -> Any {
    var node: Any = root
    for part in reference.dropFirst(2).split(separator: "/") {
      node = (node as? [String: Any])?[String(part)] ?? [String: Any]()
    }
    return node
  }
}

extension EditorValue {
  func isA(_ type: String) -> Bool {
    switch (self, type) {
    case (.null, "null"), (.bool, "boolean"), (.number, "number"), (.string, "string"),
      (.array, "array"), (.object, "object"):
      return true
    case (.number(let value, _), "integer"):
      return value.rounded() == value
    default:
      return false
    }
  }

  func equals(_ json: Any) -> Bool {
    switch self {
    case .string(let text): return (json as? String) == text
    case .number(let value, _): return (json as? NSNumber)?.doubleValue == value
    default: return false
    }
  }

  func sameAs(_ other: EditorValue) -> Bool {
    switch (self, other) {
    case (.null, .null): return true
    case (.bool(let a), .bool(let b)): return a == b
    case (.number(let a, _), .number(let b, _)): return a == b
    case (.string(let a), .string(let b)): return a == b
    default: return false
    }
  }
}

// MARK: - Tests

/// Specs that must validate: the shipped ones and the valid fixtures. The
/// spec parser's `columns.yaml` is left out on purpose: it names columns
/// `null` and `Null`, which nnc reads as two names but YAML 1.2 (and so an
/// editor) reads as the same null, repeated.
func validSpecPaths() throws -> [String] {
  let manager = FileManager.default
  var paths = try manager.contentsOfDirectory(atPath: repositoryPath("specs"))
    .filter { $0.hasSuffix(".yaml") }.map { repositoryPath("specs/" + $0) }
  paths += try manager.contentsOfDirectory(atPath: validateFixtures + "/valid")
    .filter { $0.hasSuffix(".yaml") }.map { validateFixtures + "/valid/" + $0 }
  paths += ["full.yaml", "minimal.yaml", "anchors.yaml"].map {
    repositoryPath("Tests/SpecParserTests/Fixtures/valid/" + $0)
  }
  return paths.sorted()
}

@Suite struct SchemaTests {
  @Test func everyShippedSpecValidatesAgainstTheSchema() throws {
    let schema = try printedSchema()
    let validator = SchemaValidator(root: schema)
    #expect(schema["$schema"] as? String == "http://json-schema.org/draft-07/schema#")
    for path in try validSpecPaths() {
      let problems = validator.problems(try EditorValue.load(path), schema)
      #expect(problems.isEmpty, "\(path): \(problems)")
    }
  }

  @Test(
    arguments: [
      "unknown-key-near.yaml", "unknown-key-far.yaml", "wrong-type.yaml", "quoted-number.yaml",
      "bool-yes.yaml", "integer-fraction.yaml", "missing-required.yaml", "unknown-enum.yaml",
      "negative-units.yaml", "zero-learning-rate.yaml", "momentum-one.yaml",
      "validation-range.yaml", "negative-l2.yaml", "zero-epochs.yaml", "adam-key-on-sgd.yaml",
      "patience-no-validation.yaml", "label-and-targets.yaml", "csv-key-with-idx.yaml",
      "mixed-sources.yaml", "newton-batch-size.yaml", "schedule-negative-gamma.yaml",
      "schedule-zero-factor.yaml",
    ])
  func theSchemaFlagsMistakesEditorsCanSee(_ file: String) throws {
    let schema = try printedSchema()
    let problems = SchemaValidator(root: schema).problems(
      try EditorValue.load(validateFixtures + "/" + file), schema)
    #expect(!problems.isEmpty)
  }

  /// Each mapping of the format, with a spec that has an unknown key there.
  static let places: [(path: String, marker: String)] = [
    ("", "ROOT"), ("data", "DATA"), ("data.train", "TRAIN"), ("data.test", "TEST"),
    ("model", "MODEL"), ("model.layers[]", "LAYER"), ("regularization", "REGULARIZATION"),
    ("optimizer", "OPTIMIZER"), ("optimizer.schedule", "SCHEDULE"), ("training", "TRAINING"),
  ]

  /// A valid spec with a marker in every mapping; block mappings take the
  /// unknown key on a line of its own, flow mappings after a comma.
  static let template = """
    seed: 1
    data: {train: {csv: a.csv<TRAIN>}, test: {csv: b.csv<TEST>}, label: y<DATA>}
    model: {layers: [{units: 3, activation: softmax<LAYER>}]<MODEL>}
    loss: nll
    regularization: {l2: 0.1<REGULARIZATION>}
    optimizer:
      kind: sgd
      learning_rate: 0.1
      schedule: {kind: step, every: 2, factor: 0.5<SCHEDULE>}<OPTIMIZER>
    training: {epochs: 3<TRAINING>}
    <ROOT>
    """

  /// The keys the parser allows at `marker`, read from its "allowed keys" hint.
  func parserKeys(at marker: String) throws -> Set<String> {
    var text = Self.template
    for (_, other) in Self.places {
      var insertion = ""
      if other == marker {
        switch marker {
        case "ROOT": insertion = "zz_unknown: 1"
        case "OPTIMIZER": insertion = "\n  zz_unknown: 1"
        default: insertion = ", zz_unknown: 1"
        }
      }
      text = text.replacingOccurrences(of: "<\(other)>", with: insertion)
    }
    do {
      _ = try SpecReader.decode(text, file: "keys.yaml")
    } catch {
      let unknown = error.diagnostics.first { $0.message.hasPrefix("unknown key 'zz_unknown'") }
      let hint = try #require(unknown?.hint)
      let list = try #require(hint.split(separator: ": ", maxSplits: 1).last)
      return Set(list.split(separator: ", ").map(String.init))
    }
    Issue.record("the unknown key at \(marker) was accepted")
    return []
  }

  /// The keys the schema allows at a key path: the object schema's
  /// properties, or the union over its `oneOf` branches.
  func schemaKeys(at path: String, in schema: [String: Any]) -> Set<String> {
    let validator = SchemaValidator(root: schema)
    func open(_ node: Any?) -> [String: Any] {
      var node = node as? [String: Any] ?? [:]
      if let reference = node["$ref"] as? String {
        node = validator.resolve(reference) as? [String: Any] ?? [:]
      }
      return node
    }
    var node = schema
    for part in path.split(separator: ".") {
      let name = part.hasSuffix("[]") ? String(part.dropLast(2)) : String(part)
      node = open((node["properties"] as? [String: Any])?[name])
      if part.hasSuffix("[]") { node = open(node["items"]) }
    }
    let branches = (node["oneOf"] as? [Any] ?? []).map(open) + [node]
    return Set(branches.flatMap { ($0["properties"] as? [String: Any] ?? [:]).keys })
  }

  @Test func theSchemaAndTheParserAllowTheSameKeys() throws {
    let schema = try printedSchema()
    for (path, marker) in Self.places {
      let parser = try parserKeys(at: marker)
      #expect(!parser.isEmpty)
      #expect(schemaKeys(at: path, in: schema) == parser, "at '\(path)'")
    }
  }

  @Test func theSchemaAndTheParserNameTheSameSchedules() throws {
    let schema = try printedSchema()
    let text = Self.template.replacingOccurrences(of: "kind: step,", with: "kind: stepp,")
      .replacingOccurrences(of: #"<[A-Z]+>"#, with: "", options: .regularExpression)
    var parser: Set<String> = []
    do {
      _ = try SpecReader.decode(text, file: "schedule.yaml")
    } catch {
      let message = error.diagnostics.first { $0.message.hasPrefix("unknown schedule") }?.message
      let list = try #require(message?.split(separator: "(allowed: ").last?.dropLast())
      parser = Set(list.split(separator: ", ").map(String.init))
    }
    let optimizer = (schema["properties"] as? [String: Any])?["optimizer"] as? [String: Any]
    let schedule = (optimizer?["properties"] as? [String: Any])?["schedule"] as? [String: Any]
    let names = (schedule?["oneOf"] as? [[String: Any]] ?? []).compactMap {
      ($0["const"] as? String)
        ?? (($0["properties"] as? [String: Any])?["kind"] as? [String: Any])?["const"] as? String
    }
    #expect(Set(names) == parser)
    #expect(parser.count == 4)
  }
}
