import Foundation
import TestSupport
import Testing

@Test func evaluateReproducesTheRunsTestFiguresAndCountsEachClass() throws {
  let folder = try trainedRun("specs/iris-softmax.yaml", ["--set", "training.epochs=40"])
  let run = try nnc([
    "evaluate", "specs/iris-softmax.yaml", "--weights", folder + "/weights.safetensors",
    "--format", "json",
  ])
  #expect(run.status == 0, "\(run.stderr)")
  let report = try #require(
    try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
  let test = try #require(try jsonObject(folder + "/metrics.json")["test"] as? [String: Any])
  let loss = try #require((report["loss"] as? NSNumber)?.doubleValue)
  let expected = try #require((test["loss"] as? NSNumber)?.doubleValue)
  // Evaluation batches may be cut differently from the run's: equal to rounding.
  #expect(isClose(loss, expected, relative: 1e-6))
  #expect(report["accuracy"] as? NSNumber == test["accuracy"] as? NSNumber)

  // The confusion matrix against the test file's labels, counted here.
  let confusion = try #require(report["confusion"] as? [[Int]])
  let rows = try csvRows(repositoryPath("specs/data/iris-test.csv")).dropFirst()
  let classes = ["setosa", "versicolor", "virginica"]
  #expect(report["classes"] as? [String] == classes)
  for (k, name) in classes.enumerated() {
    #expect(confusion[k].reduce(0, +) == rows.filter { $0.last == name }.count)
  }
  let hits = (0..<3).reduce(0) { $0 + confusion[$1][$1] }
  let accuracy = try #require((test["accuracy"] as? NSNumber)?.doubleValue)
  #expect(isClose(Double(hits) / Double(rows.count), accuracy, relative: 1e-15))
  let perClass = try #require(report["per_class"] as? [String: [String: Any]])
  for (k, name) in classes.enumerated() {
    let predicted = (0..<3).reduce(0) { $0 + confusion[$1][k] }
    let precision = (perClass[name]?["precision"] as? NSNumber)?.doubleValue
    // JSONSerialization may miss the last bit of a decimal; hence the tolerance.
    #expect(
      predicted == 0
        || isClose(precision ?? -1, Double(confusion[k][k]) / Double(predicted), relative: 1e-15))
    let recall = (perClass[name]?["recall"] as? NSNumber)?.doubleValue ?? -1
    let support = Double(confusion[k].reduce(0, +))
    #expect(isClose(recall, Double(confusion[k][k]) / support, relative: 1e-15))
  }

  let text = try nnc([
    "evaluate", "specs/iris-softmax.yaml", "--weights", folder + "/weights.safetensors",
  ])
  #expect(text.stdout.contains("confusion matrix (rows: true class, columns: predicted class)"))
  #expect(text.stdout.contains("precision  recall  support"))
}

@Test func idxModelsPredictAndEvaluateImageFiles() throws {
  let data = repositoryPath("Tests/RuntimeTests/Fixtures/data")
  let spec = try temporarySpec(
    """
    seed: 1
    data:
      train: {images: \(data)/train-images.idx, labels: \(data)/train-labels.idx}
      test: {images: \(data)/test-images.idx, labels: \(data)/test-labels.idx}
      scale: 0.00392156862745098
      standardize: true
    model:
      layers: [{units: 5, activation: relu}, {units: 4, activation: softmax}]
    loss: nll
    optimizer: {kind: sgd, learning_rate: 0.3}
    training: {epochs: 20}
    """)
  let folder = try trainedRun(spec)
  let weights = folder + "/weights.safetensors"
  let predict = try nnc([
    "predict", spec, "--weights", weights, "--input", data + "/test-images.idx",
  ])
  #expect(predict.status == 0, "\(predict.stderr)")
  let lines = predict.stdout.split(separator: "\n")
  #expect(lines.first == "class,p_0,p_1,p_2,p_3")
  #expect(lines.count == 3)

  let evaluate = try nnc([
    "evaluate", spec, "--weights", weights, "--data", data + "/test-images.idx",
    "--labels", data + "/test-labels.idx", "--format", "json",
  ])
  #expect(evaluate.status == 0, "\(evaluate.stderr)")
  let report = try #require(
    try JSONSerialization.jsonObject(with: Data(evaluate.stdout.utf8)) as? [String: Any])
  let test = try #require(try jsonObject(folder + "/metrics.json")["test"] as? [String: Any])
  #expect(report["accuracy"] as? NSNumber == test["accuracy"] as? NSNumber)
  // Test labels 1 and 3 (make_fixtures.py): the predicted classes, counted.
  let predicted = lines.dropFirst().map { $0.split(separator: ",")[0] }
  let hits = zip(predicted, ["1", "3"]).filter { $0.0 == $0.1 }.count
  #expect(Double(hits) / 2 == (test["accuracy"] as? NSNumber)?.doubleValue)

  let missingLabels = try nnc([
    "evaluate", spec, "--weights", weights, "--data", data + "/test-images.idx",
  ])
  #expect(missingLabels.status == 2)
}
