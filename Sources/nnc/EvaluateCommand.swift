import Foundation
import Planner
import Runtime
import SpecParser

/// `nnc evaluate SPEC --weights FILE`: how trained weights do on labelled data.
enum EvaluateCommand {
  static let help = """
    usage: nnc evaluate SPEC --weights FILE [--data FILE [--labels FILE]]
                             [--format text|json] [--set KEY.PATH=VALUE]...

    Measures the trained weights FILE (the weights.safetensors that nnc run
    wrote) on labelled examples: the spec's test set, or --data (a CSV file
    with the feature and label or target columns; for IDX specs an images
    file, with its labels file in --labels). Features are preprocessed as
    recorded in the weights.

    Classifiers: loss, accuracy, each class's precision and recall, and the
    confusion matrix (rows: true class, columns: predicted class).
    Regression: loss, mean squared error and R².

    options:
      --weights FILE          the trained weights
      --data FILE             the examples (default: the spec's data.test)
      --labels FILE           IDX specs: the labels of --data
      --format text|json      output for people (default) or machines
      --set KEY.PATH=VALUE    the overrides the weights were trained with
    """

  /// The figures `evaluate` reports.
  struct Report {
    var data: String
    var evaluation: Evaluation
    var classes: [String] = []
    /// confusion[true][predicted]: examples counted.
    var confusion: [[Int]] = []
  }

  static func main(_ words: ArraySlice<String>) throws -> ExitCode {
    let arguments = try Arguments(
      words,
      shape: .init(
        options: ["weights", "data", "labels", "format", "set"], flags: ["help"],
        repeatable: ["set"]))
    if arguments.flags.contains("help") {
      print(help)
      return .success
    }
    guard arguments.positionals.count == 1, let specPath = arguments.positionals.first else {
      throw UsageError("evaluate takes one spec file")
    }
    guard let weightsPath = arguments.value("weights") else {
      throw UsageError("evaluate needs --weights FILE (a weights.safetensors from nnc run)")
    }
    let outputFormat = arguments.value("format") ?? "text"
    guard ["text", "json"].contains(outputFormat) else {
      throw UsageError("--format is text or json, not '\(outputFormat)'")
    }
    let model = try TrainedModel.load(
      spec: specPath, overrides: try arguments.overrides(), weights: weightsPath)
    let source = try dataSource(model.spec, arguments: arguments, specPath: specPath)

    let report: Report
    switch model.spec.precision {
    case .float32: report = try evaluate(model, source, as: Float.self)
    case .float64: report = try evaluate(model, source, as: Double.self)
    }
    print(outputFormat == "json" ? json(report).rendered() : text(report), terminator: "")
    return .success
  }

  /// --data (and --labels), or the spec's test set.
  static func dataSource(
    _ spec: Spec, arguments: Arguments, specPath: String
  ) throws(UsageError) -> DataSource {
    let labels = arguments.value("labels")
    guard let data = arguments.value("data") else {
      if labels != nil { throw UsageError("--labels goes with --data") }
      guard let test = spec.data.test else {
        throw UsageError(
          "\(specPath) names no test data; give the examples to evaluate with --data FILE")
      }
      return test
    }
    switch spec.data.train {
    case .csv:
      if labels != nil {
        throw UsageError("--labels is for IDX data; the CSV file holds its own label column")
      }
      return .csv(path: data)
    case .idx:
      guard let labels else {
        throw UsageError("\(specPath) reads IDX files: give the labels file with --labels")
      }
      return .idx(images: data, labels: labels)
    }
  }

  static func evaluate<S: Scalar>(
    _ model: TrainedModel, _ source: DataSource, as _: S.Type
  ) throws -> Report {
    let examples = try model.examples(source, answers: true, as: S.self)
    let plan = try model.weights.plan(for: model.spec, rows: examples.count)
    let network = model.weights.network(plan, as: S.self)
    var report = Report(
      data: source.paths.first ?? "", evaluation: network.evaluate(examples))
    guard case .classification(let classes) = plan.task else { return report }

    report.classes = classes
    report.confusion = Array(
      repeating: Array(repeating: 0, count: classes.count), count: classes.count)
    TrainedModel.forEachBatch(network, examples) { start, rows, predicted, _ in
      for row in 0..<rows {
        report.confusion[Int(examples.labels[start + row])][predicted[row]] += 1
      }
    }
    return report
  }

  /// Precision TP / (TP + FP) and recall TP / (TP + FN) of class `k`; `nil`
  /// where nothing was predicted (precision) or present (recall) to divide by.
  static func precisionAndRecall(_ confusion: [[Int]], _ k: Int) -> (Double?, Double?) {
    let hits = Double(confusion[k][k])
    let predicted = confusion.reduce(0) { $0 + $1[k] }
    let actual = confusion[k].reduce(0, +)
    return (
      predicted > 0 ? hits / Double(predicted) : nil, actual > 0 ? hits / Double(actual) : nil
    )
  }

  static func text(_ report: Report) -> String {
    let e = report.evaluation
    var out = "\(report.data): \(e.count) examples\n"
    out += "loss      \(format(e.loss, digits: 5))\n"
    if let accuracy = e.accuracy { out += "accuracy  \(format(accuracy, digits: 4))\n" }
    if let mse = e.meanSquaredError { out += "mse       \(format(mse, digits: 5))\n" }
    if let r2 = e.r2 { out += "r2        \(format(r2, digits: 4))\n" }
    guard !report.classes.isEmpty else { return out }

    let width = max(8, report.classes.map(\.count).max() ?? 0) + 2
    func pad(_ text: String, _ count: Int, left: Bool = false) -> String {
      let space = String(repeating: " ", count: max(0, count - text.count))
      return left ? space + text : text + space
    }
    func figure(_ value: Double?) -> String { value.map { format($0, digits: 4) } ?? "-" }
    out += "\n" + pad("class", width) + "precision  recall  support\n"
    for (k, name) in report.classes.enumerated() {
      let (precision, recall) = precisionAndRecall(report.confusion, k)
      out += pad(name, width) + pad(figure(precision), 11) + pad(figure(recall), 8)
      out += "\(report.confusion[k].reduce(0, +))\n"
    }
    out += "\nconfusion matrix (rows: true class, columns: predicted class)\n"
    let cell = max(6, report.classes.map(\.count).max() ?? 0) + 1
    out += pad("", width) + report.classes.map { pad($0, cell, left: true) }.joined() + "\n"
    for (k, name) in report.classes.enumerated() {
      out += pad(name, width)
      out += report.confusion[k].map { pad(String($0), cell, left: true) }.joined() + "\n"
    }
    return out
  }

  static func json(_ report: Report) -> JSONValue {
    var root = RunDirectory.evaluation(report.evaluation).objectValue ?? [:]
    root["data"] = .string(report.data)
    guard !report.classes.isEmpty else { return .object(root) }
    var perClass: [String: JSONValue] = [:]
    for (k, name) in report.classes.enumerated() {
      let (precision, recall) = precisionAndRecall(report.confusion, k)
      perClass[name] = .object([
        "precision": precision.map { .number($0) } ?? .null,
        "recall": recall.map { .number($0) } ?? .null,
        "support": .integer(report.confusion[k].reduce(0, +)),
      ])
    }
    root["classes"] = .array(report.classes.map { .string($0) })
    root["per_class"] = .object(perClass)
    root["confusion"] = .array(report.confusion.map { .array($0.map { .integer($0) }) })
    return .object(root)
  }
}
