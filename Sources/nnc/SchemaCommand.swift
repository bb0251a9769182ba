import Runtime
import SpecParser

/// `nnc schema`: a JSON Schema of the spec format, for editors.
///
/// The schema is written by hand from the format documented on the spec
/// decoder, and checked against it by tests: every shipped spec validates,
/// and each mapping allows exactly the keys the decoder allows. Enumerations
/// come from the spec's own types, so a new activation or loss appears here
/// without an edit. What a schema cannot say (the output layer against the
/// loss, the data's shape) is left to `nnc validate`.
enum SchemaCommand {
  static let help = """
    usage: nnc schema

    Prints a JSON Schema (draft-07) of the spec format on stdout. Editors
    that use the YAML language server then complete keys and flag mistakes
    while you type:
      nnc schema > nnc-spec.schema.json
    and, as the first line of a spec,
      # yaml-language-server: $schema=nnc-spec.schema.json
    """

  static func main(_ words: ArraySlice<String>) throws -> ExitCode {
    let arguments = try Arguments(words, shape: .init(flags: ["help"]))
    if arguments.flags.contains("help") {
      print(help)
      return .success
    }
    guard arguments.positionals.isEmpty else { throw UsageError("schema takes no arguments") }
    print(schema.rendered(), terminator: "")
    return .success
  }

  // MARK: - The schema

  static var schema: JSONValue {
    .object([
      "$schema": "http://json-schema.org/draft-07/schema#",
      "title": "nnc model spec",
      "description": .string(
        "A dense network, its data and how to train it. Checked fully by 'nnc validate'."),
      "type": "object",
      "additionalProperties": false,
      "required": ["data", "model", "loss", "optimizer", "training"],
      "properties": .object([
        "name": text("The run's name; default: the spec file's name without extension."),
        "seed": integer(minimum: 0, "Seed of every random stream (default 0, with a warning)."),
        "precision": choice(Precision.self, "The floating-point type.", default: "float32"),
        "threads": integer(minimum: 1, "OpenBLAS threads; default: OpenBLAS's own."),
        "data": data,
        "model": model,
        "loss": choice(
          LossKind.self,
          "nll: negative log-likelihood (softmax or sigmoid output); "
            + "quadratic: ½‖y − h‖² for regression."),
        "regularization": object(
          ["l2": number(minimum: 0, "λ of λ/2‖w‖², on weights only.")],
          "Penalties on the weights."),
        "optimizer": optimizer,
        "training": training,
      ]),
      "allOf": [
        rule(
          if: ["training": ["required": ["patience"]]], required: ["training"],
          then: ["properties": ["data": ["required": ["validation"]]]])
      ],
      "definitions": .object([
        "source": source,
        "columns": .object([
          "description": "One column name, or a list of distinct ones.",
          "oneOf": [
            ["type": scalarTypes],
            ["type": "array", "minItems": 1, "uniqueItems": true, "items": ["type": scalarTypes]],
          ],
        ]),
        "layer": object(
          [
            "units": integer(minimum: 1, "Outputs of the layer."),
            "activation": choice(Activation.self, "φ of h = φ(wᵀx + b)."),
            "bias": boolean("Whether the layer adds a bias b.", default: true),
          ], "One dense layer.", required: ["units", "activation"]),
      ]),
    ])
  }

  private static var data: JSONValue {
    // draft-07 ignores keywords beside a $ref, so a described column list wraps it.
    let columns = { (description: String) -> JSONValue in
      ["description": .string(description), "allOf": [["$ref": "#/definitions/columns"]]]
    }
    var schema = object(
      [
        "train": ["$ref": "#/definitions/source"],
        "test": ["$ref": "#/definitions/source"],
        "label": text("CSV only: the column of class labels (classification)."),
        "targets": columns("CSV only: the columns to predict (regression)."),
        "features": columns("CSV only: the feature columns; default: every other column."),
        "scale": number(exclusiveMinimum: 0, "Every feature is multiplied by this."),
        "standardize": boolean(
          "Shift and scale features to mean 0, variance 1 (training statistics).",
          default: false),
        "validation": number(
          exclusiveMinimum: 0, exclusiveMaximum: 1,
          "Fraction of the training examples held out for validation."),
        "missing": choice(
          MissingValues.self,
          "CSV only: a row with a missing value in a column the model reads is an error, "
            + "or is dropped (and counted).", default: "error"),
      ], "Where the examples come from and how they are prepared.", required: ["train"])
    schema["not"] = ["required": ["label", "targets"]]
    schema["allOf"] = [
      // Column keys apply to CSV only, and train and test are read alike.
      rule(
        if: ["train": ["required": ["images"]]], required: ["train"],
        then: [
          "properties": [
            "label": false, "targets": false, "features": false,
            "test": ["not": ["required": ["csv"]]],
          ]
        ]),
      rule(
        if: ["train": ["required": ["csv"]]], required: ["train"],
        then: ["properties": ["test": ["required": ["csv"]]]]),
    ]
    return schema
  }

  private static var source: JSONValue {
    let path: JSONValue = [
      "type": "string", "minLength": 1,
      "description": "Resolved against the spec file's folder.",
    ]
    return [
      "oneOf": [
        object(
          ["images": path, "labels": path],
          "IDX image and label files (MNIST layout), gzip-compressed or not.",
          required: ["images", "labels"]),
        object(["csv": path], "A CSV file with a header row.", required: ["csv"]),
      ]
    ]
  }

  private static var model: JSONValue {
    object(
      [
        "layers": [
          "type": "array", "minItems": 1, "items": ["$ref": "#/definitions/layer"],
          "description": "The dense layers in order; the last one is the output.",
        ]
      ], "The network.", required: ["layers"])
  }

  private static var optimizer: JSONValue {
    let belowOne = { (text: String) in
      number(minimum: 0, exclusiveMaximum: 1, text)
    }
    var schema = object(
      [
        "kind": choice(OptimizerKind.self, "The training method."),
        "learning_rate": number(
          exclusiveMinimum: 0, "Step size η₀; required for sgd and adam, newton default 1."),
        "momentum": belowOne("sgd: momentum μ, default 0."),
        "nesterov": boolean("sgd: Nesterov momentum; needs momentum > 0.", default: false),
        "beta1": belowOne("adam: first-moment decay, default 0.9."),
        "beta2": belowOne("adam: second-moment decay, default 0.999."),
        "epsilon": number(exclusiveMinimum: 0, "adam: denominator guard, default 1e-8."),
        "batch_size": [
          "description": "Rows per step, or full (every example); default full.",
          "oneOf": [["type": "integer", "minimum": 1], ["const": "full"]],
        ],
        "schedule": schedule,
      ], "How the parameters are fitted.", required: ["kind"])
    let kind = { (names: [String]) -> [String: JSONValue] in
      ["kind": ["enum": .array(names.map { .string($0) })]]
    }
    schema["allOf"] = [
      rule(if: kind(["sgd", "adam"]), required: ["kind"], then: ["required": ["learning_rate"]]),
      rule(
        if: kind(["sgd"]), required: ["kind"],
        then: ["properties": ["beta1": false, "beta2": false, "epsilon": false]]),
      rule(
        if: kind(["adam"]), required: ["kind"],
        then: ["properties": ["momentum": false, "nesterov": false]]),
      rule(
        if: kind(["newton"]), required: ["kind"],
        then: [
          "properties": [
            "momentum": false, "nesterov": false, "beta1": false, "beta2": false,
            "epsilon": false, "batch_size": ["const": "full"],
          ]
        ]),
    ]
    return schema
  }

  private static var schedule: JSONValue {
    func kind(_ name: String, _ parameters: [String: JSONValue], required: [String] = [])
      -> JSONValue
    {
      var properties = parameters
      properties["kind"] = ["const": .string(name)]
      return object(
        properties, "The \(name) schedule.", required: ["kind"] + required)
    }
    return [
      "description": "How the step size moves with the epoch t (0 first); default constant.",
      "oneOf": [
        ["const": "constant"],
        kind("constant", [:]),
        kind(
          "inverse",
          [
            "gamma": number(minimum: 0, "η₀ (1 + γt)^(−p)."),
            "power": number(exclusiveMinimum: 0, "p, default 1."),
          ], required: ["gamma"]),
        kind(
          "step",
          [
            "every": integer(minimum: 1, "Epochs between reductions."),
            "factor": number(exclusiveMinimum: 0, maximum: 1, "η₀ · factor^⌊t / every⌋."),
          ], required: ["every", "factor"]),
        kind(
          "exponential",
          ["gamma": number(exclusiveMinimum: 0, maximum: 1, "η₀ · γ^t.")],
          required: ["gamma"]),
      ],
    ]
  }

  private static var training: JSONValue {
    object(
      [
        "epochs": integer(minimum: 1, "Epoch limit (Newton: iteration limit)."),
        "tolerance": number(
          exclusiveMinimum: 0, "Stop when the largest weight change of an epoch is below this."),
        "loss_tolerance": number(
          exclusiveMinimum: 0, "Stop when the training loss changes relatively less than this."),
        "patience": integer(
          minimum: 1, "Stop after this many epochs without a better validation loss."),
        "checkpoint": integer(
          minimum: 1, "Save the full training state every this many epochs."),
      ], "When training stops.", required: ["epochs"])
  }

  // MARK: - Building blocks

  /// String keys take any scalar as text (a column may be called `5` or
  /// `no`); null means the key is not written.
  private static let scalarTypes: JSONValue = ["string", "number", "boolean", "null"]

  private static func text(_ description: String) -> JSONValue {
    ["type": scalarTypes, "description": .string(description)]
  }

  private static func object(
    _ properties: [String: JSONValue], _ description: String, required: [String] = []
  ) -> JSONValue {
    var members: [String: JSONValue] = [
      "type": "object", "additionalProperties": false, "properties": .object(properties),
      "description": .string(description),
    ]
    if !required.isEmpty { members["required"] = .array(required.map { .string($0) }) }
    return .object(members)
  }

  private static func integer(minimum: Int, _ description: String) -> JSONValue {
    ["type": "integer", "minimum": .integer(minimum), "description": .string(description)]
  }

  private static func number(
    minimum: Double? = nil, exclusiveMinimum: Double? = nil, maximum: Double? = nil,
    exclusiveMaximum: Double? = nil, _ description: String
  ) -> JSONValue {
    var members: [String: JSONValue] = ["type": "number", "description": .string(description)]
    let bounds = [
      ("minimum", minimum), ("exclusiveMinimum", exclusiveMinimum), ("maximum", maximum),
      ("exclusiveMaximum", exclusiveMaximum),
    ]
    for (name, bound) in bounds {
      if let bound { members[name] = .number(bound) }
    }
    return .object(members)
  }

  private static func boolean(_ description: String, default value: Bool) -> JSONValue {
    ["type": "boolean", "default": .bool(value), "description": .string(description)]
  }

  private static func choice<Choice: RawRepresentable & CaseIterable>(
    _: Choice.Type, _ description: String, default value: String? = nil
  ) -> JSONValue where Choice.RawValue == String {
    var members: [String: JSONValue] = [
      "enum": .array(Choice.allCases.map { .string($0.rawValue) }),
      "description": .string(description),
    ]
    if let value { members["default"] = .string(value) }
    return .object(members)
  }

  /// `if` the mapping's `properties` match (with `required` keys present)
  /// `then` the mapping must also match `then`.
  private static func rule(
    if properties: [String: JSONValue], required: [String], then: JSONValue
  ) -> JSONValue {
    [
      "if": ["properties": .object(properties), "required": .array(required.map { .string($0) })],
      "then": then,
    ]
  }
}

// Literals, so the schema reads as the JSON it prints.
extension JSONValue: ExpressibleByStringLiteral,
  ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral,
  ExpressibleByDictionaryLiteral, ExpressibleByIntegerLiteral
{
  public init(stringLiteral value: String) { self = .string(value) }
  public init(booleanLiteral value: Bool) { self = .bool(value) }
  public init(integerLiteral value: Int) { self = .integer(value) }
  public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
  public init(dictionaryLiteral elements: (String, JSONValue)...) {
    self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
  }
}

extension JSONValue {
  /// An object's member, for adding keywords to a schema built by a helper.
  fileprivate subscript(key: String) -> JSONValue? {
    get {
      if case .object(let members) = self { return members[key] }
      return nil
    }
    set {
      guard case .object(var members) = self else { return }
      members[key] = newValue
      self = .object(members)
    }
  }
}
