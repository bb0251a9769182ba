import Foundation
import TestSupport
import Testing

/// The folder of `nnc validate`'s fixtures.
let validateFixtures = repositoryPath("Tests/nncTests/Fixtures/validate")

/// One diagnostic of `nnc validate --format json`.
struct Found: Sendable, Equatable {
  var severity: String
  var category: String?
  var file: String
  var line: Int
  var column: Int
  var keyPath: String
  var message: String
  var hint: String?

  /// Everything a person would read: message, key path and hint.
  var text: String { "\(message) (at \(keyPath)) \(hint ?? "")" }
}

/// `nnc validate --format json` read back: each spec's errors and warnings by file.
struct ValidateReport: Sendable {
  var status: Int32
  var errors: [String: [Found]] = [:]
  var warnings: [String: [Found]] = [:]
  var top: [String: String] = [:]

  init(_ arguments: [String], in folder: String = validateFixtures) throws {
    let outcome = try nnc(["validate", "--format", "json"] + arguments, in: folder)
    status = outcome.status
    let object = try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8))
    guard let report = object as? [String: Any], let specs = report["specs"] as? [[String: Any]]
    else { throw FixtureError.notAnObject("validate report") }
    for (key, value) in report where !(value is [Any]) { top[key] = "\(value)" }
    for spec in specs {
      let file = spec["file"] as? String ?? ""
      errors[file] = Self.found(spec["errors"])
      warnings[file] = Self.found(spec["warnings"])
    }
  }

  static func found(_ value: Any?) -> [Found] {
    (value as? [[String: Any]] ?? []).map {
      Found(
        severity: $0["severity"] as? String ?? "", category: $0["category"] as? String,
        file: $0["file"] as? String ?? "", line: $0["line"] as? Int ?? 0,
        column: $0["column"] as? Int ?? 0, keyPath: $0["key_path"] as? String ?? "",
        message: $0["message"] as? String ?? "", hint: $0["hint"] as? String)
    }
  }
}

/// A malformed spec in `Fixtures/validate/`, and the one error it must
/// produce. Line and column were read off the fixture by hand; the first
/// line of each file says what it exercises.
struct ValidateCase: Sendable, CustomTestStringConvertible {
  var file: String
  var line: Int
  var column: Int
  /// Found in the message, key path or hint.
  var fragment: String
  /// `spec` (exit code 1) or `data` (exit code 3).
  var category = "spec"
  /// The file the position is in, when it is a data file rather than the spec.
  var locatedIn: String?

  init(
    _ file: String, _ line: Int, _ column: Int, _ fragment: String, category: String = "spec",
    locatedIn: String? = nil
  ) {
    self.file = file
    self.line = line
    self.column = column
    self.fragment = fragment
    self.category = category
    self.locatedIn = locatedIn
  }

  var testDescription: String { file }
}

let validateCases: [ValidateCase] = [
  // YAML
  ValidateCase("yaml-syntax.yaml", 10, 10, "unexpected ':' — a mapping cannot start here"),
  ValidateCase("yaml-tab.yaml", 6, 1, "tabs are not allowed for indentation in YAML"),
  ValidateCase("yaml-duplicate-key.yaml", 9, 39, "duplicate key 'units' (first at 9:8)"),
  // 110 + 1110 + 11110 nodes before line 6, then 11111 per '*d': the 8th one passes 100000.
  ValidateCase("yaml-alias-bomb.yaml", 6, 36, "alias expansion exceeds 100000 nodes"),
  ValidateCase("yaml-undefined-alias.yaml", 11, 39, "undefined alias '*rate'"),
  ValidateCase("yaml-two-documents.yaml", 13, 1, "a second one starts here"),
  ValidateCase("yaml-empty.yaml", 1, 1, "empty document"),
  // Keys and types
  ValidateCase("unknown-key-near.yaml", 11, 44, "did you mean 'momentum'?"),
  ValidateCase("unknown-key-far.yaml", 13, 1, "allowed keys at the top level: name, seed"),
  ValidateCase("wrong-type.yaml", 11, 39, "expected a number, found the string \"fast\""),
  ValidateCase(
    "quoted-number.yaml", 11, 39, "remove the quotes: a quoted value is always a string"),
  ValidateCase("bool-yes.yaml", 7, 16, "\"yes\" (at data.standardize) write true or false"),
  ValidateCase("integer-fraction.yaml", 12, 20, "expected an integer, found the number 2.5"),
  ValidateCase("missing-required.yaml", 2, 1, "missing required key 'training'"),
  ValidateCase("missing-value.yaml", 10, 7, "missing value for 'loss'"),
  ValidateCase("unknown-enum.yaml", 9, 30, "did you mean 'relu'?"),
  // Ranges
  ValidateCase("negative-units.yaml", 9, 15, "units must be ≥ 1, found -3"),
  ValidateCase("zero-learning-rate.yaml", 11, 39, "learning_rate must be > 0, found 0"),
  ValidateCase("negative-learning-rate.yaml", 11, 39, "learning_rate must be > 0, found -0.1"),
  ValidateCase("momentum-one.yaml", 11, 54, "momentum must be in [0, 1), found 1"),
  ValidateCase("validation-range.yaml", 7, 15, "validation must be in (0, 1), found 1.5"),
  // -1e-3 is read as a number, so the range is what fails.
  ValidateCase("negative-l2.yaml", 11, 22, "l2 must be ≥ 0, found -1e-3"),
  ValidateCase("non-finite.yaml", 7, 10, "found the non-finite number .inf"),
  ValidateCase("zero-epochs.yaml", 12, 20, "epochs must be ≥ 1, found 0"),
  // Keys that contradict each other
  ValidateCase("nesterov-no-momentum.yaml", 11, 54, "nesterov needs momentum > 0"),
  ValidateCase("adam-key-on-sgd.yaml", 11, 51, "'beta1' applies to the adam optimizer only"),
  ValidateCase("patience-no-validation.yaml", 12, 33, "patience needs data.validation"),
  ValidateCase("label-and-targets.yaml", 7, 12, "'label' and 'targets' cannot both be given"),
  ValidateCase("csv-key-with-idx.yaml", 6, 10, "'label' applies to CSV data only"),
  ValidateCase("mixed-sources.yaml", 5, 9, "test data is IDX but train data is CSV"),
  // The output layer against the loss
  ValidateCase("nll-identity.yaml", 9, 30, "NLL needs a softmax or sigmoid output, not identity"),
  ValidateCase("softmax-one-unit.yaml", 9, 15, "a softmax over 1 unit always outputs 1"),
  ValidateCase("sigmoid-three-units.yaml", 9, 15, "needs exactly 1 unit (two classes), found 3"),
  ValidateCase("quadratic-softmax.yaml", 9, 30, "quadratic loss on a softmax output"),
  ValidateCase("hidden-softmax.yaml", 9, 30, "softmax is only supported on the output layer"),
  // Newton's method
  ValidateCase(
    "newton-network.yaml", 12, 19, "needs a convex model, but this network has 1 hidden"),
  ValidateCase(
    "newton-quadratic-sigmoid.yaml", 9, 30, "quadratic loss on a sigmoid output is not convex"),
  ValidateCase("newton-batch-size.yaml", 11, 39, "batch_size does not apply to newton"),
  // Step-size schedules. 0.1 · 0.001^t is about 1e-43 at t = 14, a float32
  // subnormal, and 1e-46 at t = 15, which rounds to zero: the 16th epoch.
  ValidateCase(
    "schedule-underflow.yaml", 11, 54, "makes the step size zero from epoch 16 of 200"),
  ValidateCase("schedule-negative-gamma.yaml", 11, 77, "gamma must be ≥ 0, found -0.5"),
  // 1 − 0.5 t reaches zero at t = 2, the third epoch.
  ValidateCase("schedule-negative-gamma.yaml", 11, 77, "1 + γt reaches zero at epoch 3"),
  ValidateCase(
    "schedule-zero-factor.yaml", 11, 85, "step size zero or negative after the first reduction"),
  // Data against the spec
  ValidateCase(
    "missing-train-file.yaml", 4, 16, "data file not found: ../../../../specs/data/iris-trian.csv",
    category: "data"),
  ValidateCase(
    "missing-train-file.yaml", 4, 16, "did you mean 'iris-train.csv'?", category: "data"),
  ValidateCase(
    "missing-test-folder.yaml", 5, 15, "is a folder, not a data file", category: "data"),
  ValidateCase(
    "label-column-absent.yaml", 6, 10, "the label column 'specis' is not in the header",
    category: "data"),
  ValidateCase("label-column-absent.yaml", 6, 10, "did you mean 'species'?", category: "data"),
  ValidateCase(
    "feature-column-absent.yaml", 7, 28, "the feature column 'petal_size' is not in the header",
    category: "data"),
  ValidateCase(
    "target-column-absent.yaml", 6, 12, "the target column 'progress' is not in the header",
    category: "data"),
  // The test file lacks a column the model reads: its input width does not fit.
  ValidateCase(
    "test-header-mismatch.yaml", 5, 15, "the feature column 'petal_width' is not in the header",
    category: "data"),
  ValidateCase(
    "classes-vs-units.yaml", 9, 15, "the softmax output has 4 units but the data has 3 classes"),
  ValidateCase(
    "targets-vs-units.yaml", 9, 15, "the output has 2 units but the data has 1 target column(s)"),
  ValidateCase(
    "batch-larger-than-data.yaml", 11, 56, "batch size 500 is larger than the 120 training"
  ),
  // round(0.001 · 120) = 0 examples.
  ValidateCase("validation-too-small.yaml", 7, 15, "leaves 0 of 120 examples for validation"),
  ValidateCase("nll-on-regression.yaml", 10, 7, "NLL needs class labels"),
  ValidateCase("quadratic-on-classes.yaml", 10, 7, "quadratic loss needs numeric targets"),
  ValidateCase(
    "bad-data-row.yaml", 3, 2, "expected a number in column 'sepal_width', found \"three\"",
    category: "data", locatedIn: "data/iris-bad-row.csv"),
  // The memory budget, 4 MiB for the whole table. Layer 0 holds 500,000
  // parameters × 4 bytes × 3 (θ, gradient, epoch-start copy) and
  // (120 + 120) rows × 100,000 × 4 bytes of buffers: 102,000,000 bytes.
  ValidateCase(
    "memory-budget.yaml", 9, 15,
    "more than the memory budget of 4.00 MiB (set by --max-memory); layer 0 (dense 4 → 100000, "
      + "relu) holds 97.3 MiB"),
  // P = 65 · 10 = 650; P² = 422,500; 2 · 422,500 · 8 bytes = 6.45 MiB.
  ValidateCase(
    "newton-hessian-budget.yaml", 11, 19,
    "(P = 650 parameters, 422,500 elements) and its Cholesky factor, as 8-byte doubles, "
      + "take 6.45 MiB"),
]

/// Every fixture of the table validated in one run.
let tableReport: Result<ValidateReport, any Error> = Result {
  try ValidateReport(
    ["--max-memory", "4MiB"] + Array(Set(validateCases.map(\.file))).sorted())
}

@Suite struct ValidateTableTests {
  @Test(arguments: validateCases)
  func reportsOneLocatedError(_ example: ValidateCase) throws {
    let report = try tableReport.get()
    let errors = report.errors[example.file] ?? []
    #expect(errors.count == 1, "\(errors.map(\.text))")
    let error = try #require(errors.first)
    #expect(error.severity == "error")
    #expect(error.category == example.category)
    #expect(error.file == example.locatedIn ?? example.file)
    #expect(error.line == example.line, "\(error.text)")
    #expect(error.column == example.column, "\(error.text)")
    #expect(error.text.contains(example.fragment), "\(error.text)")
  }

  @Test func theTableCoversFortyFixturesAndFailsWithOne() throws {
    let report = try tableReport.get()
    #expect(Set(validateCases.map(\.file)).count >= 40)
    #expect(report.status == 1)
    #expect(report.top["valid"] == "0")
    #expect(report.top["error_count"] == String(Set(validateCases.map(\.file)).count))
  }
}

@Suite struct ValidateTests {
  @Test func everyProblemIsReportedAtOnceSortedByPosition() throws {
    let report = try ValidateReport(["several-errors.yaml"])
    let found = (report.errors["several-errors.yaml"] ?? []).map {
      "\($0.line):\($0.column) \($0.keyPath)"
    }
    // Two from the decoder (momentum, the misspelt key) and two from the
    // planner against the data (units against classes, the batch size).
    #expect(
      found == [
        "10:15 model.layers[1].units", "12:54 optimizer.momentum", "12:71 optimizer.batch_size",
        "13:23 training.tolerence",
      ])
    #expect(report.status == 1)
  }

  @Test func aYAMLErrorDoesNotHideTheOthers() throws {
    let report = try ValidateReport(["yaml-and-spec-errors.yaml"])
    let found = (report.errors["yaml-and-spec-errors.yaml"] ?? []).map {
      "\($0.line):\($0.column) \($0.message)"
    }
    #expect(
      found == [
        "11:56 batch size 500 is larger than the 120 training examples",
        "11:61 unknown key 'momentom' in optimizer",
        "12:23 duplicate key 'epochs' (first at 12:12)",
      ])
  }

  @Test func validButUnusualSpecsAreAccepted() throws {
    let files = [
      "valid/unusual-yaml.yaml", "valid/newton-logistic.yaml", "valid/regression-float64.yaml",
    ]
    let report = try ValidateReport(files)
    #expect(report.status == 0)
    for file in files {
      #expect(report.errors[file] == [], "\(report.errors[file]?.map(\.text) ?? [])")
    }
    // The learning rate 9.5 is below the warning's threshold of 10.
    #expect(report.warnings["valid/regression-float64.yaml"] == [])
  }

  @Test func everyShippedSpecIsValid() throws {
    let specs = try FileManager.default.contentsOfDirectory(atPath: repositoryPath("specs"))
      .filter { $0.hasSuffix(".yaml") }.sorted().map { "specs/" + $0 }
    #expect(!specs.isEmpty)
    let outcome = try nnc(["validate"] + specs)
    #expect(outcome.status == 0, "\(outcome.stderr)")
    for spec in specs { #expect(outcome.stdout.contains("\(spec): valid")) }
  }

  @Test func warningsFailOnlyUnderStrict() throws {
    let relaxed = try ValidateReport(["warnings.yaml"])
    #expect(relaxed.status == 0)
    #expect(relaxed.errors["warnings.yaml"] == [])
    #expect(
      relaxed.warnings["warnings.yaml"]?.map { "\($0.line):\($0.column) \($0.message)" } == [
        "2:1 no seed: runs use seed 0", "3:3 no test data", "9:39 learning rate 50 is above 10",
      ])

    let strict = try ValidateReport(["--strict", "warnings.yaml"])
    #expect(strict.status == 1)
    #expect(strict.top["strict"] == "1")
    #expect(strict.errors["warnings.yaml"]?.count == 3)
    #expect(strict.warnings["warnings.yaml"] == [])
  }
}

@Suite struct ValidateExitCodeTests {
  @Test func exitCodes() throws {
    #expect(try nnc(["validate", "valid/unusual-yaml.yaml"], in: validateFixtures).status == 0)
    #expect(try nnc(["validate", "zero-epochs.yaml"], in: validateFixtures).status == 1)
    // A malformed data file, with a valid spec, is a data error.
    #expect(try nnc(["validate", "bad-data-row.yaml"], in: validateFixtures).status == 3)
    #expect(try nnc(["validate", "missing-train-file.yaml"], in: validateFixtures).status == 3)
    // An invalid spec outranks a data error.
    let both = try nnc(
      ["validate", "bad-data-row.yaml", "zero-epochs.yaml"], in: validateFixtures)
    #expect(both.status == 1)

    for usage in [
      ["validate"], ["validate", "--format", "xml", "warnings.yaml"],
      ["validate", "--max-memory", "lots", "warnings.yaml"], ["validate", "--strictly", "x.yaml"],
    ] {
      let outcome = try nnc(usage, in: validateFixtures)
      #expect(outcome.status == 2, "\(usage)")
      #expect(outcome.stderr.contains("Run 'nnc --help' for usage."))
    }
  }

  @Test func textFormatPrintsCompilerStyleLines() throws {
    let outcome = try nnc(
      ["validate", "unknown-key-near.yaml", "warnings.yaml"], in: validateFixtures)
    #expect(outcome.status == 1)
    #expect(
      outcome.stderr.contains(
        "unknown-key-near.yaml:11:44: error: unknown key 'momentun' in optimizer "
          + "(at optimizer.momentun)\n  hint: did you mean 'momentum'?\n"))
    #expect(outcome.stderr.contains("warnings.yaml:2:1: warning: no seed: runs use seed 0"))
    #expect(
      outcome.stdout
        == """
        unknown-key-near.yaml: invalid (1 error)
        warnings.yaml: valid (3 warnings)
        2 specs: 1 valid, 1 invalid

        """)
  }

  @Test func githubFormatAnnotatesThePullRequestLines() throws {
    let outcome = try nnc(
      ["validate", "--format", "github", "unknown-key-near.yaml", "bad-data-row.yaml"],
      in: validateFixtures)
    #expect(outcome.status == 1)
    let lines = outcome.stdout.split(separator: "\n").map(String.init)
    // Newlines in the message are %0A; ':' and ',' in properties are %3A and %2C.
    #expect(
      lines == [
        "::error file=unknown-key-near.yaml,line=11,col=44,title=nnc validate::unknown key "
          + "'momentun' in optimizer (at optimizer.momentun)%0Ahint: did you mean 'momentum'?",
        "::error file=data/iris-bad-row.csv,line=3,col=2,title=nnc validate::expected a number "
          + "in column 'sepal_width', found \"three\" (at data.train.csv)",
        "nnc validate: 2 specs, 2 errors, 0 warnings",
      ])
  }

  @Test func githubPropertiesAreEscaped() throws {
    let folder = try temporaryDirectory() + "/a,b:c"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try "seed: 1\n".write(toFile: folder + "/s.yaml", atomically: true, encoding: .utf8)
    let outcome = try nnc(["validate", "--format", "github", folder + "/s.yaml"])
    let escaped = folder.replacingOccurrences(of: ",", with: "%2C")
      .replacingOccurrences(of: ":", with: "%3A")
    #expect(outcome.stdout.hasPrefix("::error file=\(escaped)/s.yaml,line=1,col=1,"))
  }
}

@Test func anInvalidEpochLimitDoesNotHideAMissingDataFile() throws {
  let spec = try temporarySpec(
    """
    seed: 1
    data:
      train: {csv: nothere.csv}
      label: y
    model:
      layers:
        - {units: 3, activation: softmax}
    loss: nll
    optimizer: {kind: sgd, learning_rate: 0.1}
    training: {epochs: -4}
    """)
  let outcome = try nnc(["validate", spec])
  #expect(outcome.status == 1)
  #expect(
    outcome.stderr.contains("spec.yaml:3:16: error: data file not found"), "\(outcome.stderr)")
  #expect(outcome.stderr.contains("spec.yaml:10:20: error: epochs must be ≥ 1, found -4"))
}
