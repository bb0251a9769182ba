import Foundation
import Planner
import Runtime
import SpecParser

/// The files a run leaves behind. Every file is written to a temporary name
/// and renamed into place, so an interrupted run never leaves half a file.
enum RunDirectory {
  static func write<S: Scalar>(
    to directory: String, compiled: Compiled, outcome: TrainingOutcome, final: FinalEvaluations,
    parameters: UnsafeBufferPointer<S>, preprocessing: Preprocessing
  ) throws {
    do {
      try FileManager.default.createDirectory(
        atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw OutputError(message: "cannot create the output folder \(directory): \(reason(error))")
    }
    let plan = compiled.plan
    let files: [(String, Data)] = [
      ("metrics.json", Data(metrics(plan, outcome: outcome, final: final).rendered().utf8)),
      ("history.csv", Data(history(outcome.history).utf8)),
      (
        "weights.safetensors",
        Safetensors.encode(
          parameters, layout: plan.parameters,
          metadata: weightsMetadata(plan, preprocessing: preprocessing))
      ),
    ]
    for (name, data) in files {
      let path = directory + "/" + name
      do {
        try writeAtomically(data, to: path)
      } catch {
        throw OutputError(message: "cannot write \(path): \(reason(error))")
      }
    }
  }

  static func metrics(
    _ plan: Plan, outcome: TrainingOutcome, final: FinalEvaluations
  ) -> JSONValue {
    var root: [String: JSONValue] = [
      "name": .string(plan.name),
      "epochs": .integer(outcome.epochs),
      "epoch_limit": .integer(plan.training.epochs),
      "stop_reason": .string(outcome.stopReason.rawValue),
      "parameters": .integer(plan.parameters.count),
      "precision": .string(plan.precision.rawValue),
      "train": evaluation(final.train),
    ]
    if let validation = final.validation { root["validation"] = evaluation(validation) }
    if let test = final.test { root["test"] = evaluation(test) }
    if let divergence = outcome.divergence {
      root["divergence"] = .object([
        "epoch": .integer(divergence.epoch), "step": .integer(divergence.step),
        "layer": divergence.layer.map { .integer($0) } ?? .null,
        "quantity": .string(divergence.quantity),
      ])
    }
    return .object(root)
  }

  static func evaluation(_ evaluation: Evaluation) -> JSONValue {
    var object: [String: JSONValue] = [
      "examples": .integer(evaluation.count),
      "loss": .number(evaluation.loss),
    ]
    if let accuracy = evaluation.accuracy { object["accuracy"] = .number(accuracy) }
    if let mse = evaluation.meanSquaredError { object["mse"] = .number(mse) }
    if let r2 = evaluation.r2 { object["r2"] = .number(r2) }
    return .object(object)
  }

  /// One row per epoch. Wall-clock times are left out so that two runs of
  /// the same spec, seed and thread count write the same bytes.
  static func history(_ records: [EpochRecord]) -> String {
    var csv =
      "epoch,learning_rate,train_loss,weight_change,validation_loss,validation_accuracy,"
      + "test_loss,test_accuracy\n"
    func field(_ value: Double?) -> String { value.map { "\($0)" } ?? "" }
    for record in records {
      let fields = [
        String(record.epoch), field(record.learningRate), field(record.trainLoss),
        field(record.weightChange), field(record.validation?.loss),
        field(record.validation?.accuracy ?? record.validation?.r2),
        field(record.test?.loss), field(record.test?.accuracy ?? record.test?.r2),
      ]
      csv += fields.joined(separator: ",") + "\n"
    }
    return csv
  }

  /// What a reader of the weights needs besides the tensors: the layer
  /// layout, the classes or targets, and the preprocessing to apply.
  static func weightsMetadata(_ plan: Plan, preprocessing: Preprocessing) -> [String: String] {
    let layers = JSONValue.array(
      plan.layers.map {
        .object([
          "inputs": .integer($0.inputs), "outputs": .integer($0.outputs),
          "activation": .string($0.activation.rawValue), "bias": .bool($0.bias != nil),
        ])
      })
    var metadata = [
      "format": "nnc", "nnc_version": nncVersion, "name": plan.name,
      "layers": layers.compact(),
      "features": JSONValue.array(plan.featureNames.map { .string($0) }).compact(),
    ]
    switch plan.task {
    case .classification(let classes):
      metadata["classes"] = JSONValue.array(classes.map { .string($0) }).compact()
    case .regression(let targets):
      metadata["targets"] = JSONValue.array(targets.map { .string($0) }).compact()
    }
    var prep: [String: JSONValue] = [:]
    if let scale = preprocessing.scale { prep["scale"] = .number(scale) }
    if let mean = preprocessing.mean { prep["mean"] = .array(mean.map { .number($0) }) }
    if let std = preprocessing.std { prep["std"] = .array(std.map { .number($0) }) }
    metadata["preprocessing"] = JSONValue.object(prep).compact()
    return metadata
  }

  static func reason(_ error: Error) -> String {
    (error as NSError).localizedDescription
  }
}
