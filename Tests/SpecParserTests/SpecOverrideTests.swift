import Testing

@testable import SpecParser

// `--set key.path=value`: applied to the YAML tree, then decoded like the file.

private let spec = """
  seed: 1
  data:
    train: {csv: train.csv}
    label: y
  model:
    layers:
      - {units: 8, activation: relu}
      - {units: 3, activation: softmax}
  loss: nll
  optimizer: {kind: sgd, learning_rate: 0.1}
  training: {epochs: 5}
  """

private func decode(_ overrides: String...) throws -> Spec {
  try SpecReader.decode(
    bytes: Array(spec.utf8), file: "spec.yaml",
    overrides: overrides.map { try SpecOverride(parsing: $0) }
  ).spec
}

private func errors(_ overrides: String...) -> [Diagnostic] {
  do {
    _ = try SpecReader.decode(
      bytes: Array(spec.utf8), file: "spec.yaml",
      overrides: overrides.map { try SpecOverride(parsing: $0) })
    Issue.record("expected errors for \(overrides)")
    return []
  } catch {
    return (error as? SpecErrors)?.diagnostics ?? []
  }
}

@Test func overridesReplaceAndAddValues() throws {
  let decoded = try decode(
    "optimizer.learning_rate=0.01", "model.layers[0].units=32", "training.patience=3",
    "data.validation=0.25", "regularization.l2=1e-4",
    "optimizer.schedule={kind: exponential, "
      + "gamma: 0.9}", "seed=2", "seed=7")
  #expect(decoded.optimizer.learningRate == 0.01)
  #expect(decoded.model.layers[0] == LayerSpec(units: 32, activation: .relu))
  #expect(decoded.model.layers[1].units == 3)
  #expect(decoded.training.patience == 3)
  #expect(decoded.data.validation == 0.25)
  #expect(decoded.regularization.l2 == 1e-4)
  #expect(decoded.optimizer.schedule == .exponential(gamma: 0.9))
  // The last override of a key wins.
  #expect(decoded.seed == 7)
  // The value's position is the override's: column 25 of the argument.
  #expect(
    decoded.locations["optimizer.learning_rate"]
      == SourceLocation(file: "--set", line: 1, column: 25))
  // Untouched values keep their place in the file.
  #expect(decoded.locations["loss"] == SourceLocation(file: "spec.yaml", line: 9, column: 7))
}

@Test func anEmptyValueUnsetsAnOptionalKey() throws {
  #expect(try decode("seed=~").seed == nil)
  #expect(try decode("data.label=").data.label == nil)
}

@Test(
  "overrides are checked like the spec",
  arguments: [
    ("training.epochs=2.5", "--set:1:17", "expected an integer"),
    ("optimizer.learning_rate=-1", "--set:1:25", "learning_rate must be > 0"),
    ("optimizer.kind=adamw", "--set:1:16", "did you mean 'adam'?"),
    ("trainig.epochs=3", "--set:1:1", "did you mean 'training'?"),
    ("model.layers[2].units=4", "--set:1:13", "has 2 items, so [2] is out of range"),
    ("loss.kind=nll", "--set:1:6", "'loss' is the scalar \"nll\", not a mapping"),
    ("model.layers.units=4", "--set:1:14", "'model.layers' is a sequence, not a mapping"),
    ("model..units=4", "--set:1:7", "expected a key name"),
    ("model.layers[x]=4", "--set:1:13", "expected an index such as [0]"),
    ("=4", "--set:1:1", "the key path is empty"),
    ("seed", "--set:1:1", "expected key.path=value"),
    // The end of the argument: where the sequence should have been closed.
    ("seed=[1", "--set:1:8", "expected ',' or ']'"),
  ])
func overrideErrors(_ override: String, _ place: String, _ message: String) {
  let found = errors(override)
  #expect(found.count == 1, "\(found)")
  let text = found.first?.description ?? ""
  #expect(text.hasPrefix(place), "\(text)")
  #expect(text.contains(message), "\(text)")
}
