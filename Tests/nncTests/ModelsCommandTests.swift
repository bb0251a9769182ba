import Foundation
import TestSupport
import Testing

func number(_ object: Any?, _ key: String) -> Double? {
  ((object as? [String: Any])?[key] as? NSNumber)?.doubleValue
}

@Suite("The shipped model specs, end to end")
struct ModelsCommandTests {
  @Test("logistic regression by Newton's method converges in a few iterations")
  func breastCancerLogistic() throws {
    let output = try temporaryDirectory()
    let run = try nnc(["run", "specs/breast-cancer-logistic.yaml", "--output", output, "--quiet"])
    #expect(run.status == 0, "\(run.stderr)")
    let found = try metrics(in: output)
    #expect(found["stop_reason"] as? String == "weights_converged")
    #expect((number(found, "epochs") ?? 99) < 15)
    #expect(found["precision"] as? String == "float64")
    #expect((number(found["test"], "accuracy") ?? 0) > 0.95)
  }

  @Test("softmax regression by Newton's method")
  func irisSoftmaxNewton() throws {
    let output = try temporaryDirectory()
    let run = try nnc(["run", "specs/iris-softmax-newton.yaml", "--output", output, "--quiet"])
    #expect(run.status == 0, "\(run.stderr)")
    let found = try metrics(in: output)
    #expect(found["stop_reason"] as? String == "weights_converged")
    #expect((number(found["test"], "accuracy") ?? 0) >= 0.9)
  }

  @Test(
    "linear and network regression report MSE and R²",
    arguments: [
      "diabetes-ridge.yaml", "diabetes-mlp.yaml",
    ])
  func diabetes(_ spec: String) throws {
    let output = try temporaryDirectory()
    let run = try nnc(["run", "specs/" + spec, "--output", output, "--quiet"])
    #expect(run.status == 0, "\(run.stderr)")
    let found = try metrics(in: output)
    let test = found["test"]
    let mse = try #require(number(test, "mse"))
    // The loss is ½ the squared error per example: half the MSE for one target.
    #expect(abs((number(test, "loss") ?? 0) - mse / 2) <= 1e-9 * mse)
    // The diabetes data leave about half the variance unexplained.
    #expect((number(test, "r2") ?? 0) > 0.35)
    #expect(run.stdout.contains("R²"))
  }

  @Test("the deeper network stops early and restores its best weights")
  func digitsDeep() throws {
    let output = try temporaryDirectory()
    let run = try nnc(["run", "specs/digits-deep.yaml", "--output", output, "--quiet"])
    #expect(run.status == 0, "\(run.stderr)")
    let found = try metrics(in: output)
    #expect(["early_stopping", "epoch_limit"].contains(found["stop_reason"] as? String))
    #expect((number(found["test"], "accuracy") ?? 0) > 0.95)
    let history = try String(contentsOfFile: output + "/history.csv", encoding: .utf8)
    let lines = history.split(separator: "\n")
    let column = try #require(
      lines.first?.split(separator: ",").firstIndex(of: "validation_loss"))
    let validationLosses = lines.dropFirst().compactMap {
      Double($0.split(separator: ",", omittingEmptySubsequences: false)[column])
    }
    // The restored weights are those of the best validation epoch.
    let best = try #require(validationLosses.min())
    let final = try #require(number(found["validation"], "loss"))
    #expect(abs(final - best) <= 1e-6 * best)
  }

  @Test("separable data without L2 are detected and named")
  func separable() throws {
    let spec = try temporarySpec(
      """
      seed: 1
      data:
        train: {csv: DATA/breast-cancer-train.csv}
        label: diagnosis
        standardize: true
      model:
        layers:
          - {units: 1, activation: sigmoid}
      loss: nll
      optimizer: {kind: sgd, learning_rate: 1}
      training: {epochs: 100000, tolerance: 1.0e-9}
      """)
    let folder = (spec as NSString).deletingLastPathComponent
    let run = try nnc(["run", spec, "--output", folder + "/out", "--quiet"])
    #expect(run.status == 0, "\(run.stderr)")
    let found = try metrics(in: folder + "/out")
    #expect(found["stop_reason"] as? String == "separable")
    #expect(number(found, "epochs") == 1)
    #expect(run.stderr.contains("separates the training classes"))
    #expect(run.stderr.contains("regularization.l2"))
    #expect(run.stdout.hasPrefix("separable after 1 "))
  }

  @Test("Newton's method is refused for a network with a hidden layer")
  func newtonOnANetwork() throws {
    let spec = try temporarySpec(
      """
      seed: 1
      data:
        train: {csv: DATA/iris-train.csv}
        label: species
      model:
        layers:
          - {units: 5, activation: tanh}
          - {units: 3, activation: softmax}
      loss: nll
      optimizer: {kind: newton}
      training: {epochs: 10}
      """)
    let folder = (spec as NSString).deletingLastPathComponent
    let run = try nnc(["run", spec, "--output", folder + "/out"])
    #expect(run.status == 1)
    #expect(run.stderr.contains("spec.yaml:10:"), "\(run.stderr)")
    #expect(run.stderr.contains("Newton's method needs a convex model"))
  }

  @Test("Newton's method is refused for a Hessian over its memory budget")
  func newtonOverBudget() throws {
    // 9000 features: 9001 parameters, a 9001² Hessian and factor of 1.21 GiB.
    let folder = try temporaryDirectory()
    let header = (0..<9000).map { "x\($0)" }.joined(separator: ",") + ",y\n"
    var csv = header
    for row in 0..<4 {
      csv += (0..<9000).map { String(($0 + row) % 5) }.joined(separator: ",")
      csv += row % 2 == 0 ? ",yes\n" : ",no\n"
    }
    try csv.write(toFile: folder + "/wide.csv", atomically: true, encoding: .utf8)
    try """
    seed: 1
    data:
      train: {csv: wide.csv}
      label: y
    model:
      layers:
        - {units: 1, activation: sigmoid}
    loss: nll
    optimizer: {kind: newton}
    training: {epochs: 10}
    """.write(toFile: folder + "/wide.yaml", atomically: true, encoding: .utf8)
    let run = try nnc(["validate", folder + "/wide.yaml", "--max-memory", "1GiB"])
    #expect(run.status == 1)
    #expect(run.stderr.contains("(P = 9,001 parameters, 81,018,001 elements)"), "\(run.stderr)")
    #expect(run.stderr.contains("take 1.21 GiB"))
    #expect(run.stderr.contains("hint: use sgd or adam"))
  }
}
