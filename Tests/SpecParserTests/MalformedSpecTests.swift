import Testing

@testable import SpecParser

/// A fixture in `Fixtures/malformed/` and the one error it must produce. Line and
/// column were read off the fixture by hand.
struct MalformedCase: Sendable, CustomTestStringConvertible {
  var file: String
  var line: Int
  var column: Int
  /// Found in the diagnostic's text (message, key path or hint).
  var fragment: String

  init(_ file: String, _ line: Int, _ column: Int, _ fragment: String) {
    self.file = file
    self.line = line
    self.column = column
    self.fragment = fragment
  }

  var testDescription: String { file }
}

let malformedCases: [MalformedCase] = [
  MalformedCase("unknown-key.yaml", 12, 3, "did you mean 'learning_rate'?"),
  MalformedCase("wrong-type.yaml", 12, 18, "expected a number, found the string \"abc\""),
  MalformedCase("missing-key.yaml", 8, 7, "missing required key 'activation'"),
  MalformedCase("missing-value.yaml", 9, 7, "missing value for 'loss'"),
  MalformedCase("momentum-range.yaml", 13, 13, "momentum must be in [0, 1), found 1.5"),
  MalformedCase("validation-range.yaml", 6, 15, "validation must be in (0, 1), found 1"),
  MalformedCase("units-range.yaml", 8, 15, "units must be ≥ 1, found 0"),
  MalformedCase("negative-seed.yaml", 2, 7, "seed must be ≥ 0, found -4"),
  MalformedCase("bad-enum.yaml", 8, 31, "unknown activation 'rellu' (allowed: identity, sigmoid"),
  MalformedCase("duplicate-key.yaml", 10, 7, "duplicate key 'units' (first at 8:7)"),
  MalformedCase("tab-indentation.yaml", 5, 1, "tabs are not allowed for indentation in YAML"),
  MalformedCase(
    "alias-bomb.yaml", 6, 36, "alias expansion exceeds 100000 nodes — possible alias bomb"),
  // The root mapping is the first of the 256 levels, so the 256th '[' (column 6 + 256) fails.
  MalformedCase("deep-nesting.yaml", 2, 262, "nesting is deeper than 256 levels"),
  MalformedCase("undefined-alias.yaml", 10, 39, "undefined alias '*rate'"),
  MalformedCase("syntax-error.yaml", 8, 1, "expected ',' or ']'"),
  MalformedCase("yes-in-bool.yaml", 6, 16, "hint: write true or false"),
  MalformedCase("quoted-number.yaml", 10, 39, "found the quoted string \"0.1\""),
  MalformedCase("non-finite.yaml", 6, 10, "found the non-finite number .inf"),
  MalformedCase("fractional-integer.yaml", 8, 15, "expected an integer, found the number 2.5"),
  MalformedCase("empty.yaml", 1, 1, "empty document"),
  MalformedCase("two-documents.yaml", 12, 1, "a second one starts here"),
  MalformedCase("merge-key.yaml", 9, 7, "merge keys ('<<') are not supported"),
  MalformedCase("not-utf8.yaml", 2, 10, "not valid UTF-8 (byte 0xE9)"),
  MalformedCase("csv-key-with-idx.yaml", 6, 10, "'label' applies to CSV data only"),
  MalformedCase("mixed-sources.yaml", 5, 9, "test data is IDX but train data is CSV"),
  MalformedCase("label-and-targets.yaml", 7, 12, "'label' and 'targets' cannot both be given"),
  MalformedCase("patience-without-validation.yaml", 11, 33, "patience needs data.validation"),
  MalformedCase("nesterov-without-momentum.yaml", 10, 54, "nesterov needs momentum > 0"),
  MalformedCase("adam-key-with-sgd.yaml", 10, 51, "'beta1' applies to the adam optimizer only"),
  MalformedCase(
    "schedule-parameter.yaml", 13, 56, "'power' is not a parameter of the step schedule"),
  // Combinations the spec alone decides.
  MalformedCase("softmax-one-unit.yaml", 9, 15, "a softmax over 1 unit always outputs 1"),
  MalformedCase(
    "nll-identity-output.yaml", 10, 30, "NLL needs a softmax or sigmoid output, not identity"),
  MalformedCase(
    "sigmoid-nll-units.yaml", 9, 15,
    "NLL on a sigmoid output needs exactly 1 unit (two classes), found 3"),
  MalformedCase(
    "quadratic-softmax.yaml", 9, 30, "quadratic loss on a softmax output is not supported"),
  MalformedCase("hidden-softmax.yaml", 9, 31, "softmax is only supported on the output layer"),
  MalformedCase("newton-network.yaml", 12, 19, "but this network has 1 hidden layer(s)"),
  MalformedCase(
    "newton-quadratic-tanh.yaml", 9, 30, "quadratic loss on a tanh output is not convex"),
  MalformedCase("newton-batch-size.yaml", 11, 39, "batch_size does not apply to newton"),
  // 0.1 · 0.01^t is 1e-323 at t = 161 and rounds to 0 at t = 162, the 163rd epoch.
  MalformedCase(
    "schedule-underflow.yaml", 15, 13,
    "the schedule makes the step size zero from epoch 163 of 500"),
  MalformedCase(
    "learning-rate-float32.yaml", 11, 40, "learning rate 1e-50 is below the smallest float32"),
]

@Suite struct MalformedSpecTests {
  @Test(arguments: malformedCases)
  func reportsOneLocatedError(_ example: MalformedCase) {
    let path = fixturePath("malformed/\(example.file)")
    let errors = thrownErrors { () throws(SpecErrors) in try SpecReader.load(path: path) }
    guard let errors else { return }

    #expect(errors.diagnostics.count == 1, "\(errors)")
    guard let diagnostic = errors.diagnostics.first else { return }
    #expect(diagnostic.severity == .error)
    #expect(diagnostic.location.file == path)
    #expect(diagnostic.location.line == example.line, "\(diagnostic)")
    #expect(diagnostic.location.column == example.column, "\(diagnostic)")
    #expect(diagnostic.description.contains(example.fragment), "\(diagnostic)")
  }

  @Test func reportsEveryErrorSortedByPosition() {
    let path = fixturePath("malformed/several-errors.yaml")
    let errors = thrownErrors { () throws(SpecErrors) in try SpecReader.load(path: path) }
    let found = errors?.diagnostics.map {
      "\($0.location.line):\($0.location.column) \($0.message) [\($0.hint ?? "")]"
    }
    #expect(
      found == [
        "2:1 missing required key 'loss' []",
        "3:12 unknown precision 'float16' (allowed: float32, float64) [did you mean 'float32'?]",
        "5:10 missing required key 'labels' []",
        "9:46 expected true or false, found the string \"on\" [write true or false]",
        "10:39 learning_rate must be > 0, found -0.1 []",
        "11:23 unknown key 'tolerence' in training [did you mean 'tolerance'?]",
      ])
    #expect(
      errors?.diagnostics.map(\.keyPath) == [
        "loss", "precision", "data.train.labels", "model.layers[0].bias",
        "optimizer.learning_rate",
        "training.tolerence",
      ])
  }
}

@Suite struct SpecCheckTests {
  @Test func keepsTheSpecBesideItsErrors() {
    let yaml = """
      seed: 1
      data: {train: {csv: t.csv}, test: {csv: t.csv}, label: y}
      model:
        layers: [{units: 3, activation: softmax}]
      loss: nll
      optimizer: {kind: sgd, learning_rate: 0.1, momentum: 2, batch_size: 8}
      training: {epochs: 3, patiense: 2}
      """
    let checked = SpecReader.check(bytes: Array(yaml.utf8), file: "s.yaml")
    #expect(checked.errors.map(\.keyPath) == ["optimizer.momentum", "training.patiense"])
    #expect(checked.warnings.isEmpty)
    // The values in error are left at their defaults; the rest is as written.
    #expect(checked.spec?.optimizer.momentum == 0)
    #expect(checked.spec?.optimizer.batchSize == .examples(8))
    #expect(checked.overlaps("optimizer"))
    #expect(checked.overlaps("optimizer.momentum"))
    #expect(!checked.overlaps("optimizer.batch_size"))
    #expect(!checked.overlaps("optimizer.moment"))
    #expect(!checked.overlaps("data"))
  }

  @Test func leavesNoSpecWhenAPartIsMissingOrTheYAMLIsBroken() {
    let missing = SpecReader.check(bytes: Array("seed: 1\n".utf8), file: "m.yaml")
    #expect(missing.spec == nil)
    #expect(missing.errors.count == 5)
    #expect(missing.errors.allSatisfy { $0.message.hasPrefix("missing required key") })

    let broken = SpecReader.check(path: fixturePath("malformed/syntax-error.yaml"))
    #expect(broken.spec == nil)
    #expect(broken.errors.count == 1)

    let absent = SpecReader.check(path: fixturePath("no-such-spec.yaml"))
    #expect(absent.errors.first?.message.hasPrefix("cannot read the spec file") == true)
  }
}
