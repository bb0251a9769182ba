import Foundation
import Planner
import Runtime
import SpecParser

/// `nnc predict SPEC --weights FILE --input FILE`: predictions for new rows.
enum PredictCommand {
  static let help = """
    usage: nnc predict SPEC --weights FILE --input FILE [--output FILE]
                            [--set KEY.PATH=VALUE]...

    Runs the model SPEC describes, with the trained weights FILE (the
    weights.safetensors that nnc run wrote), on the rows of --input: a CSV
    file with the feature columns (other columns are ignored), or an IDX
    images file for a spec trained on IDX data. The features go through the
    preprocessing recorded in the weights, exactly as in training; the
    training data is not needed.

    Writes a CSV, one row per input row, to FILE (atomically) or stdout:
      classifiers  class,p_<class>,...   the most likely class and every
                                         class's probability
      regression   <target>,...          the predicted values

    Weights that do not fit the spec (layers, activations, features,
    classes or targets, preprocessing, precision) are refused with every
    difference named.

    options:
      --weights FILE          the trained weights
      --input FILE            the rows to predict
      --output FILE           where to write the predictions (default: stdout)
      --set KEY.PATH=VALUE    the overrides the weights were trained with
    """

  static func main(_ words: ArraySlice<String>) throws -> ExitCode {
    let arguments = try Arguments(
      words,
      shape: .init(
        options: ["weights", "input", "output", "set"], flags: ["help"], repeatable: ["set"]))
    if arguments.flags.contains("help") {
      print(help)
      return .success
    }
    guard arguments.positionals.count == 1, let specPath = arguments.positionals.first else {
      throw UsageError("predict takes one spec file")
    }
    guard let weightsPath = arguments.value("weights") else {
      throw UsageError("predict needs --weights FILE (a weights.safetensors from nnc run)")
    }
    guard let inputPath = arguments.value("input") else {
      throw UsageError("predict needs --input FILE (the rows to predict)")
    }
    let model = try TrainedModel.load(
      spec: specPath, overrides: try arguments.overrides(), weights: weightsPath)
    let source: DataSource
    switch model.spec.data.train {
    case .csv: source = .csv(path: inputPath)
    case .idx: source = .idx(images: inputPath, labels: "")
    }
    let csv: String
    switch model.spec.precision {
    case .float32: csv = try predict(model, source, as: Float.self)
    case .float64: csv = try predict(model, source, as: Double.self)
    }

    guard let output = arguments.value("output") else {
      print(csv, terminator: "")
      return .success
    }
    do {
      try writeAtomically(Data(csv.utf8), to: output)
    } catch {
      throw OutputError(message: "cannot write \(output): \(RunDirectory.reason(error))")
    }
    return .success
  }

  /// The predictions as CSV text. Numbers are printed in their shortest
  /// round-trip form at the model's precision.
  static func predict<S: Scalar>(
    _ model: TrainedModel, _ source: DataSource, as _: S.Type
  ) throws -> String {
    let examples = try model.examples(source, answers: false, as: S.self)
    let plan = try model.weights.plan(for: model.spec, rows: examples.count)
    let network = model.weights.network(plan, as: S.self)
    let K = plan.outputWidth

    var csv: String
    switch plan.task {
    case .classification(let classes):
      csv = (["class"] + classes.map { "p_" + $0 }).map(csvField).joined(separator: ",") + "\n"
    case .regression(let targets):
      csv = targets.map(csvField).joined(separator: ",") + "\n"
    }
    TrainedModel.forEachBatch(network, examples) { _, rows, predicted, outputs in
      for row in 0..<rows {
        var fields: [String] = []
        switch plan.task {
        case .classification(let classes):
          fields.append(csvField(classes[predicted[row]]))
          if plan.objective == .sigmoidCrossEntropy {
            // One unit holds p(class 1); class 0 has the rest.
            let p = outputs[row]
            fields += ["\(1 - p)", "\(p)"]
          } else {
            for k in 0..<K { fields.append("\(outputs[row * K + k])") }
          }
        case .regression:
          for k in 0..<K { fields.append("\(outputs[row * K + k])") }
        }
        csv += fields.joined(separator: ",") + "\n"
      }
    }
    return csv
  }
}
