import Foundation
import TestSupport
import Testing

@testable import SpecParser

/// The path of a fixture below `Tests/SpecParserTests/Fixtures`.
func fixturePath(_ name: String) -> String {
  repositoryPath("Tests/SpecParserTests/Fixtures/\(name)")
}

/// The errors `body` throws, or `nil` (recorded as a failure) when it succeeds.
func thrownErrors(
  _ body: () throws(SpecErrors) -> DecodedSpec,
  sourceLocation: Testing.SourceLocation = #_sourceLocation
) -> SpecErrors? {
  do {
    let decoded = try body()
    Issue.record("expected errors, decoded \(decoded.spec.name)", sourceLocation: sourceLocation)
    return nil
  } catch {
    return error
  }
}

@Suite struct ValidSpecTests {
  @Test func fullSpecDecodesToTheExpectedValue() throws {
    let file = fixturePath("valid/full.yaml")
    let folder = fixturePath("valid")
    let fixtures = fixturePath("")
    let decoded = try SpecReader.load(path: file)

    // Positions read off the fixture, line by line.
    func at(_ line: Int, _ column: Int) -> SpecParser.SourceLocation {
      SpecParser.SourceLocation(file: file, line: line, column: column)
    }
    let locations: [String: SpecParser.SourceLocation] = [
      "": at(2, 1),
      "name": at(2, 7),
      "seed": at(3, 7),
      "precision": at(4, 12),
      "threads": at(5, 10),
      "data": at(7, 3),
      "data.train": at(7, 10),
      "data.train.images": at(7, 19),
      "data.train.labels": at(7, 52),
      "data.test": at(9, 5),
      "data.test.images": at(9, 13),
      "data.test.labels": at(10, 13),
      "data.scale": at(11, 10),
      "data.standardize": at(12, 16),
      "data.validation": at(13, 15),
      "model": at(15, 3),
      "model.layers": at(16, 5),
      "model.layers[0]": at(16, 7),
      "model.layers[0].units": at(16, 15),
      "model.layers[0].activation": at(16, 32),
      "model.layers[0].bias": at(16, 44),
      "model.layers[1]": at(17, 7),
      "model.layers[1].units": at(17, 14),
      "model.layers[1].activation": at(18, 19),
      "model.layers[1].bias": at(19, 13),
      "loss": at(20, 7),
      "regularization": at(21, 17),
      "regularization.l2": at(21, 22),
      "optimizer": at(23, 3),
      "optimizer.kind": at(23, 9),
      "optimizer.learning_rate": at(24, 18),
      "optimizer.momentum": at(25, 13),
      "optimizer.nesterov": at(26, 13),
      "optimizer.batch_size": at(27, 15),
      "optimizer.schedule": at(28, 13),
      "optimizer.schedule.kind": at(28, 20),
      "optimizer.schedule.gamma": at(28, 36),
      "optimizer.schedule.power": at(28, 49),
      "training": at(30, 3),
      "training.epochs": at(30, 11),
      "training.tolerance": at(31, 14),
      "training.loss_tolerance": at(32, 19),
      "training.patience": at(33, 13),
    ]
    let expected = Spec(
      file: file, name: "fashion-mnist-mlp", seed: 7, precision: .float64, threads: 2,
      data: DataSpec(
        train: .idx(
          images: fixtures + "/data/train-images.gz", labels: fixtures + "/data/train-labels.gz"),
        test: .idx(images: "/data/fashion/t10k-images.gz", labels: folder + "/t10k-labels.gz"),
        scale: 0.00392156862745098, standardize: true, validation: 0.1),
      model: ModelSpec(layers: [
        LayerSpec(units: 256, activation: .relu, bias: true),
        LayerSpec(units: 10, activation: .softmax, bias: false),
      ]),
      loss: .nll,
      regularization: RegularizationSpec(l2: 1.0e-4),
      optimizer: OptimizerSpec(
        kind: .sgd, learningRate: 0.05, momentum: 0.9, nesterov: true,
        batchSize: .examples(128), schedule: .inverse(gamma: 0.25, power: 2)),
      training: TrainingSpec(epochs: 20, tolerance: 1.0e-6, lossTolerance: 1e-9, patience: 5),
      locations: locations)

    #expect(decoded.warnings == [])
    #expect(decoded.spec.locations == expected.locations)
    #expect(decoded.spec == expected)
  }

  @Test func defaultsAreFilledIn() throws {
    let text = try String(contentsOfFile: fixturePath("valid/minimal.yaml"), encoding: .utf8)
    let decoded = try SpecReader.decode(text, file: "specs/minimal.yaml")
    var expected = Spec(
      file: "specs/minimal.yaml", name: "minimal", seed: nil, precision: .float32, threads: nil,
      data: DataSpec(train: .csv(path: "specs/iris.csv")),
      model: ModelSpec(layers: [LayerSpec(units: 3, activation: .softmax, bias: true)]),
      loss: .nll, regularization: RegularizationSpec(l2: 0),
      optimizer: OptimizerSpec(
        kind: .newton, learningRate: 1.0, momentum: 0, nesterov: false, beta1: 0.9,
        beta2: 0.999, epsilon: 1e-8, batchSize: .full, schedule: .constant),
      training: TrainingSpec(epochs: 5), locations: [:])
    expected.locations = decoded.spec.locations
    #expect(decoded.spec == expected)

    // Only what was written is located; a default has no position.
    #expect(decoded.spec.locations["optimizer.kind"]?.line == 7)
    #expect(decoded.spec.locations["optimizer.learning_rate"] == nil)
    #expect(decoded.spec.location(of: "optimizer.learning_rate").line == 7)
    #expect(decoded.spec.locations["seed"] == nil)

    let warnings = decoded.warnings.map {
      "\($0.location.line):\($0.location.column) \($0.message)"
    }
    #expect(warnings == ["2:1 no seed: runs use seed 0", "3:3 no test data"])
    #expect(decoded.warnings.allSatisfy { $0.severity == .warning })
  }

  @Test func stringFieldsKeepBooleanAndNullLookingWords() throws {
    let file = fixturePath("valid/columns.yaml")
    let decoded = try SpecReader.load(path: file)
    #expect(decoded.spec.name == "no")
    #expect(
      decoded.spec.data
        == DataSpec(
          train: .csv(path: "/srv/data/survey.csv"),
          test: .csv(path: fixturePath("valid/survey-test.csv")), label: "yes",
          features: ["no", "on", "off", "null", "true", "5", "Null"], standardize: false))
    #expect(decoded.spec.seed == 0)
    #expect(
      decoded.spec.optimizer
        == OptimizerSpec(kind: .adam, learningRate: 1e-3, beta1: 0.8, beta2: 0.99, epsilon: 1e-7))
    #expect(decoded.spec.locations["data.features[6]"]?.column == 44)
    #expect(decoded.warnings == [])
  }

  @Test func anchorsAndAliasesExpand() throws {
    let decoded = try SpecReader.decode(
      String(contentsOfFile: fixturePath("valid/anchors.yaml"), encoding: .utf8),
      file: "/specs/anchors.yaml")
    let spec = decoded.spec
    #expect(spec.data.train == .csv(path: "/specs/shared.csv"))
    #expect(spec.data.test == .csv(path: "/specs/shared.csv"))
    #expect(spec.data.targets == ["y"])
    #expect(
      spec.model.layers == [
        LayerSpec(units: 64, activation: .tanh), LayerSpec(units: 64, activation: .tanh),
        LayerSpec(units: 1, activation: .identity, bias: true),
      ])
    #expect(spec.loss == .quadratic)
    #expect(spec.regularization.l2 == 0.001)
    #expect(
      spec.optimizer
        == OptimizerSpec(
          kind: .sgd, learningRate: 0.001, momentum: 0.5, nesterov: true, batchSize: .full,
          schedule: .step(every: 10, factor: 0.5)))
    #expect(spec.training == TrainingSpec(epochs: 100, tolerance: 0.001))

    // An alias is located where it is written; what it copies keeps its own positions.
    #expect(spec.locations["model.layers[1]"]?.line == 10)
    #expect(spec.locations["model.layers[1]"]?.column == 7)
    #expect(spec.locations["model.layers[1].units"]?.line == 9)
    #expect(spec.locations["data.test"]?.line == 5)
    #expect(spec.locations["optimizer.learning_rate"]?.line == 16)
  }

  @Test func targetsAcceptOneStringOrAList() throws {
    func targets(_ written: String) throws -> [String]? {
      let text = """
        seed: 1
        data: {train: {csv: t.csv}, test: {csv: u.csv}, targets: \(written)}
        model: {layers: [{units: 1, activation: identity}]}
        loss: quadratic
        optimizer: {kind: adam, learning_rate: 0.01, batch_size: 32}
        training: {epochs: 2}
        """
      return try SpecReader.decode(text, file: "t.yaml").spec.data.targets
    }
    #expect(try targets("y") == ["y"])
    #expect(try targets("[y1, 'y2']") == ["y1", "y2"])
  }

  @Test func largeLearningRateIsAWarning() throws {
    let text = """
      seed: 1
      data: {train: {csv: t.csv}, test: {csv: u.csv}}
      model: {layers: [{units: 1, activation: sigmoid}]}
      loss: nll
      optimizer: {kind: sgd, learning_rate: 20}
      training: {epochs: 2}
      """
    let decoded = try SpecReader.decode(text, file: "t.yaml")
    #expect(decoded.spec.optimizer.learningRate == 20)
    #expect(decoded.warnings.count == 1)
    #expect(decoded.warnings.first?.message.contains("learning rate 20 is above 10") == true)
    #expect(decoded.warnings.first?.location.column == 39)
  }

  @Test func numbersNeedNoDotBeforeTheExponent() throws {
    for (written, value) in [("1e-3", 1e-3), ("1.0e-4", 1.0e-4), ("0.1", 0.1), ("5", 5.0)] {
      let text = """
        seed: 1
        data: {train: {csv: t.csv}, test: {csv: u.csv}}
        model: {layers: [{units: 1, activation: sigmoid}]}
        loss: nll
        optimizer: {kind: adam, learning_rate: \(written)}
        training: {epochs: 2}
        """
      #expect(try SpecReader.decode(text, file: "t.yaml").spec.optimizer.learningRate == value)
    }
  }

  @Test func unreadableFileIsADiagnosticAtItsFirstLine() {
    let path = fixturePath("valid/does-not-exist.yaml")
    let errors = thrownErrors { () throws(SpecErrors) in try SpecReader.load(path: path) }
    #expect(errors?.diagnostics.count == 1)
    let diagnostic = errors?.diagnostics.first
    #expect(diagnostic?.location == SpecParser.SourceLocation(file: path, line: 1, column: 1))
    #expect(diagnostic?.message.contains("No such file or directory") == true)
  }
}
