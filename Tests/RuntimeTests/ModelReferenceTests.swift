import Planner
import SpecParser
import TestSupport
import Testing

@testable import Runtime

/// The shipped single-layer specs, trained on the shipped CSV files through
/// the real data path, against scikit-learn and numpy fixtures made by
/// `reference/sklearn_references.py` (λ ↔ C: C = 1/(λ n), see reference/README.md).
@Suite("Models against scikit-learn and numpy")
struct ModelReferenceTests {
  static let fixtures = "Tests/RuntimeTests/Fixtures/reference/"

  @Test(
    "standardization uses the training mean and population standard deviation",
    arguments: [
      ("breast-cancer-logistic.yaml", "logistic-breast-cancer.json"),
      ("iris-softmax-newton.yaml", "softmax-iris.json"),
    ])
  func standardization(spec: String, fixture: String) throws {
    let model = try ShippedModel(spec)
    let reference = try JSONFixture(Self.fixtures + fixture)
    let mean = try #require(model.data.preprocessing.mean)
    let std = try #require(model.data.preprocessing.std)
    // numpy's ddof = 0; a sample standard deviation would be off by
    // √(n/(n − 1)) ≈ 1 + 1/(2n), far outside this tolerance.
    #expect(worstRelativeError(mean, try reference.doubles("feature_mean")) < 1e-12)
    #expect(worstRelativeError(std, try reference.doubles("feature_std")) < 1e-12)
  }

  @Test("string classes are in byte-wise order, integer classes in numeric order")
  func classOrder() throws {
    let cancer = try ShippedModel("breast-cancer-logistic.yaml")
    #expect(cancer.plan.task == .classification(classes: ["benign", "malignant"]))
    let iris = try ShippedModel("iris-softmax-newton.yaml")
    #expect(iris.plan.task == .classification(classes: ["setosa", "versicolor", "virginica"]))
    let digits = try SpecReader.load(path: repositoryPath("specs/digits-mlp.yaml")).spec
    #expect(
      try DataProbe.shape(of: digits.data).task
        == .classification(classes: (0..<10).map(String.init)))
  }

  @Test("logistic regression by Newton's method matches scikit-learn's newton-cholesky")
  func logisticNewton() throws {
    let model = try ShippedModel("breast-cancer-logistic.yaml")
    let reference = try JSONFixture(Self.fixtures + "logistic-breast-cancer.json")
    #expect(model.plan.optimizer.l2 == (try reference.double("l2")))
    #expect(model.plan.examples.train == Int(try reference.double("n")))

    let outcome = model.trainer.run()
    #expect(outcome.stopReason == .weightsConverged)
    #expect(outcome.epochs < 15)
    #expect(worstRelativeError(model.weights, try reference.doubles("weights")) < 1e-6)
    #expect(worstRelativeError(model.bias, [try reference.double("bias")]) < 1e-6)
    let objective =
      model.trainer.network.evaluate(model.trainer.train).loss
      + model.trainer.network.l2Penalty()
    #expect(isClose(objective, try reference.double("objective"), relative: 1e-12))
  }

  @Test("softmax regression by Newton's method matches scikit-learn's multinomial fit")
  func softmaxNewton() throws {
    let model = try ShippedModel("iris-softmax-newton.yaml")
    let reference = try JSONFixture(Self.fixtures + "softmax-iris.json")
    #expect(model.plan.optimizer.l2 == (try reference.double("l2")))

    let outcome = model.trainer.run()
    #expect(outcome.stopReason == .weightsConverged)
    #expect(outcome.epochs < 15)
    #expect(worstRelativeError(model.weights, try reference.doubles("weights")) < 1e-5)
    #expect(worstRelativeError(centred(model.bias), try reference.doubles("bias")) < 1e-5)
  }

  @Test("softmax regression by full-batch gradient descent reaches the same fit")
  func softmaxGradientDescent() throws {
    // The shipped spec in float64, run until the weights stop moving.
    let model = try ShippedModel("iris-softmax.yaml") { spec in
      spec.precision = .float64
      spec.training.epochs = 100_000
      spec.training.tolerance = 1e-12
    }
    let reference = try JSONFixture(Self.fixtures + "softmax-iris.json")
    #expect(model.plan.optimizer.kind == .sgd)

    let outcome = model.trainer.run()
    #expect(outcome.stopReason == .weightsConverged)
    #expect(worstRelativeError(model.weights, try reference.doubles("weights")) < 1e-5)
    #expect(worstRelativeError(centred(model.bias), try reference.doubles("bias")) < 1e-5)
  }

  @Test("ridge regression by Newton's method lands on the closed form in one step")
  func ridgeNewton() throws {
    let reference = try JSONFixture(Self.fixtures + "ridge-diabetes.json")
    let lambda = try reference.double("l2")
    let model = try ShippedModel("diabetes-ridge.yaml") { $0.regularization.l2 = lambda }

    let outcome = model.trainer.run()
    #expect(outcome.stopReason == .weightsConverged)
    // The objective is quadratic: the first step is exact, the second finds
    // nothing left to lower.
    #expect(outcome.epochs == 1)
    #expect(worstRelativeError(model.weights, try reference.doubles("weights")) < 1e-6)
    #expect(worstRelativeError(model.bias, [try reference.double("bias")]) < 1e-6)
  }

  @Test("ridge regression by full-batch gradient descent converges to the closed form")
  func ridgeGradientDescent() throws {
    let reference = try JSONFixture(Self.fixtures + "ridge-diabetes.json")
    let lambda = try reference.double("l2")
    let model = try ShippedModel("diabetes-ridge.yaml") { spec in
      spec.regularization.l2 = lambda
      spec.optimizer = OptimizerSpec(kind: .sgd, learningRate: 1, batchSize: .full)
      spec.training = TrainingSpec(epochs: 100_000, tolerance: 1e-13)
    }

    let outcome = model.trainer.run()
    #expect(outcome.stopReason == .weightsConverged)
    #expect(worstRelativeError(model.weights, try reference.doubles("weights")) < 1e-6)
    #expect(worstRelativeError(model.bias, [try reference.double("bias")]) < 1e-6)
  }

  @Test("regression reports the mean squared error and R² of its predictions")
  func regressionMetrics() throws {
    let reference = try JSONFixture(Self.fixtures + "ridge-diabetes.json")
    let model = try ShippedModel("diabetes-ridge.yaml")
    let w = try reference.doubles("weights")
    let b = try reference.double("bias")
    for (i, value) in w.enumerated() { model.trainer.network.arena.parameters[i] = value }
    model.trainer.network.arena.parameters[w.count] = b
    let test = try #require(model.trainer.test)

    // Written out: predictions, residuals, and R² = 1 − SSE/SST.
    var squaredError = 0.0
    var mean = 0.0
    for i in 0..<test.count { mean += test.targets[i] / Double(test.count) }
    var total = 0.0
    for i in 0..<test.count {
      var prediction = b
      for j in 0..<w.count { prediction += test.features[i * w.count + j] * w[j] }
      squaredError += (test.targets[i] - prediction) * (test.targets[i] - prediction)
      total += (test.targets[i] - mean) * (test.targets[i] - mean)
    }
    let evaluation = model.trainer.network.evaluate(test)
    #expect(isClose(try #require(evaluation.meanSquaredError), squaredError / 89, relative: 1e-12))
    #expect(isClose(try #require(evaluation.r2), 1 - squaredError / total, relative: 1e-12))
    #expect(isClose(evaluation.loss, squaredError / 89 / 2, relative: 1e-12))
  }
}
