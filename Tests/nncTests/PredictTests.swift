import Foundation
import TestSupport
import Testing

@Test func predictionsAgreeWithTheRunsOwnTestFigures() throws {
  let folder = try trainedRun("specs/digits-mlp.yaml", ["--set", "training.epochs=5"])
  let output = folder + "/predictions.csv"
  let predict = try nnc([
    "predict", "specs/digits-mlp.yaml", "--weights", folder + "/weights.safetensors",
    "--input", "specs/data/digits-test.csv", "--output", output, "--set", "training.epochs=5",
  ])
  #expect(predict.status == 0, "\(predict.stderr)")
  #expect(predict.stderr.isEmpty, "the spec and overrides are those of the run")

  let rows = try csvRows(output)
  let classes = (0...9).map(String.init)
  #expect(rows.first == ["class"] + classes.map { "p_" + $0 })
  let truth = try csvRows(repositoryPath("specs/data/digits-test.csv"))
  let column = try #require(truth.first?.firstIndex(of: "digit"))
  #expect(rows.count == truth.count)
  var correct = 0
  for (row, answer) in zip(rows.dropFirst(), truth.dropFirst()) {
    let p = row.dropFirst().compactMap(Double.init)
    #expect(p.count == 10)
    #expect(abs(p.reduce(0, +) - 1) < 1e-5)
    // The class is the most probable one.
    let best = try #require(p.indices.max { p[$0] < p[$1] })
    #expect(row[0] == classes[best] || p[best] - p[Int(row[0]) ?? 0] < 1e-6)
    if row[0] == answer[column] { correct += 1 }
  }
  // Counted against the CSV's own labels, the accuracy is the one the run reported.
  let test = try #require(try jsonObject(folder + "/metrics.json")["test"] as? [String: Any])
  let accuracy = try #require((test["accuracy"] as? NSNumber)?.doubleValue)
  #expect(Double(correct) / Double(rows.count - 1) == accuracy)

  // Without --output the same text goes to stdout.
  let stdout = try nnc([
    "predict", "specs/digits-mlp.yaml", "--weights", folder + "/weights.safetensors",
    "--input", "specs/data/digits-test.csv",
  ])
  #expect(stdout.stdout == (try String(contentsOfFile: output, encoding: .utf8)))
  // Other overrides than the run's are worth a note, not an error.
  #expect(stdout.stderr.contains("was trained with the overrides: training.epochs=5"))
}

@Test func weightsThatDoNotFitTheSpecAreRefusedWithTheDifferenceNamed() throws {
  let digits = try trainedRun("specs/digits-mlp.yaml", ["--set", "training.epochs=1"])
  let iris = try trainedRun("specs/iris-softmax.yaml", ["--set", "training.epochs=1"])
  let cases: [([String], String)] = [
    (
      [
        "specs/digits-mlp.yaml", "--weights", digits + "/weights.safetensors",
        "--set", "model.layers[0].units=32",
      ],
      "model.layers[0].units is 32 in the spec, 64 in the weights"
    ),
    (
      [
        "specs/digits-mlp.yaml", "--weights", digits + "/weights.safetensors",
        "--set", "model.layers[0].activation=relu",
      ],
      "model.layers[0].activation is relu in the spec, tanh in the weights"
    ),
    (
      [
        "specs/iris-softmax.yaml", "--weights", iris + "/weights.safetensors",
        "--set", "data.standardize=false",
      ],
      "data.standardize is false in the spec, but the weights were trained on standardized"
    ),
    (
      ["specs/iris-softmax.yaml", "--weights", digits + "/weights.safetensors"],
      "the spec has 1 layers, the weights 2"
    ),
    (
      [
        "specs/iris-softmax.yaml", "--weights",
        repositoryPath(
          "Tests/RuntimeTests/Fixtures/reference/torch-mlp.safetensors"),
      ],
      "no nnc metadata"
    ),
  ]
  for (arguments, message) in cases {
    let run = try nnc(["predict"] + arguments + ["--input", "specs/data/iris-test.csv"])
    #expect(run.status == 3, "\(arguments)")
    #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
  }
}

@Test func regressionPredictsTheTargetColumns() throws {
  let spec = try temporarySpec(
    """
    name: diabetes-linear
    seed: 2
    data:
      train: {csv: \(repositoryPath("specs/data/diabetes-train.csv"))}
      test: {csv: \(repositoryPath("specs/data/diabetes-test.csv"))}
      targets: [progression]
      standardize: true
    model:
      layers: [{units: 1, activation: identity}]
    loss: quadratic
    optimizer: {kind: sgd, learning_rate: 0.1}
    training: {epochs: 200}
    """)
  let folder = try trainedRun(spec)
  let predict = try nnc([
    "predict", spec, "--weights", folder + "/weights.safetensors",
    "--input", "specs/data/diabetes-test.csv",
  ])
  #expect(predict.status == 0, "\(predict.stderr)")
  let rows = predict.stdout.split(separator: "\n")
  #expect(rows.first == "progression")
  let values = rows.dropFirst().compactMap { Double($0) }
  let truth = try csvRows(repositoryPath("specs/data/diabetes-test.csv")).dropFirst()
    .compactMap { $0.last.flatMap(Double.init) }
  #expect(values.count == truth.count && values.count > 50)

  // R² worked out here from the predictions agrees with the run's own.
  let mean = truth.reduce(0, +) / Double(truth.count)
  let residual = zip(truth, values).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
  let total = truth.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
  let test = try #require(try jsonObject(folder + "/metrics.json")["test"] as? [String: Any])
  let r2 = try #require((test["r2"] as? NSNumber)?.doubleValue)
  #expect(isClose(1 - residual / total, r2, relative: 1e-5))
}
