import Foundation
import Planner
import Runtime
import SpecParser

/// The folder a run writes:
///
///   metrics.json            final figures per data set, epochs, stop reason
///   history.csv             one row per epoch
///   weights.safetensors     the trained parameters, with what predict needs
///   curves.svg              loss and accuracy (or R²) per epoch
///   run.json                what the run was made from (`RunRecord`)
///   checkpoint.safetensors  the training state, when the spec asks for
///                           checkpoints or the run was interrupted
///
/// Every file is written to a temporary name in the folder and renamed into
/// place, so an interrupted or crashing run never leaves half a file. Nothing
/// written depends on the clock: the same spec, seed and thread count give
/// the same bytes.
struct RunDirectory {
  let path: String

  static let checkpointName = "checkpoint.safetensors"

  /// The folder at `path`, created with its parents when missing.
  init(creating path: String) throws(OutputError) {
    self.path = path
    do {
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
      throw OutputError(
        message: "cannot create the output folder \(path): "
          + (Self.fileInTheWay(of: path).map { "\($0) is a file, not a folder" }
            ?? Self.reason(error)))
    }
  }

  /// The first existing path on the way to `path` that is not a folder.
  static func fileInTheWay(of path: String) -> String? {
    var prefix = path.hasPrefix("/") ? "" : "."
    for component in path.split(separator: "/") {
      prefix += "/" + component
      var isFolder: ObjCBool = false
      guard FileManager.default.fileExists(atPath: prefix, isDirectory: &isFolder) else {
        return nil
      }
      if !isFolder.boolValue { return prefix }
    }
    return nil
  }

  var checkpointPath: String { path + "/" + Self.checkpointName }

  /// Writes `data` to the file `name` in the folder, atomically.
  func write(_ name: String, _ data: Data) throws(OutputError) {
    let file = path + "/" + name
    do {
      try writeAtomically(data, to: file)
    } catch {
      throw OutputError(message: "cannot write \(file): \(Self.reason(error))")
    }
  }

  /// Writes the results of a finished, diverged or interrupted run.
  func writeResults<S: Scalar>(
    compiled: Compiled, record: RunRecord, outcome: TrainingOutcome, final: FinalEvaluations,
    parameters: UnsafeBufferPointer<S>, preprocessing: Preprocessing
  ) throws(OutputError) {
    let plan = compiled.plan
    let history = Self.history(outcome.history, task: plan.task)
    let curves = Curves.chart(
      title: "\(plan.name): \(outcome.epochs) epoch\(outcome.epochs == 1 ? "" : "s")",
      runs: [(plan.name, HistoryTable(csv: history))])
    let files: [(String, Data)] = [
      ("metrics.json", Data(Self.metrics(plan, outcome: outcome, final: final).rendered().utf8)),
      ("history.csv", Data(history.utf8)),
      (
        "weights.safetensors",
        Safetensors.encode(
          parameters, layout: plan.parameters,
          metadata: Self.weightsMetadata(plan, preprocessing: preprocessing, record: record))
      ),
      ("curves.svg", Data(curves.svg().utf8)),
      ("run.json", Data(record.json.rendered().utf8)),
    ]
    for (name, data) in files { try write(name, data) }
  }

  func writeCheckpoint<S: Scalar>(_ checkpoint: TrainingCheckpoint<S>) throws(OutputError) {
    try write(Self.checkpointName, checkpoint.encoded())
  }

  /// Removes the folder's checkpoint: one left by an earlier run must not be
  /// resumed into this one, and a finished run has nothing left to resume.
  func removeCheckpoint() throws(OutputError) {
    guard FileManager.default.fileExists(atPath: checkpointPath) else { return }
    do {
      try FileManager.default.removeItem(atPath: checkpointPath)
    } catch {
      throw OutputError(message: "cannot remove \(checkpointPath): \(Self.reason(error))")
    }
  }

  /// The checkpoint in the folder, or `nil` when there is none.
  func readCheckpoint<S: Scalar>(as _: S.Type) throws -> TrainingCheckpoint<S>? {
    guard FileManager.default.fileExists(atPath: checkpointPath) else { return nil }
    let bytes: Data
    do {
      bytes = try Data(contentsOf: URL(fileURLWithPath: checkpointPath))
    } catch {
      throw CheckpointError(file: checkpointPath, message: "cannot read: \(Self.reason(error))")
    }
    return try TrainingCheckpoint<S>(decoding: bytes, file: checkpointPath)
  }

  // MARK: - Contents

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

  /// One row per epoch; accuracy columns for classifiers, R² columns for
  /// regression; an empty field where a set or figure is absent. Wall-clock
  /// times are left out so that two runs write the same bytes.
  static func history(_ records: [EpochRecord], task: Task) -> String {
    var isClassifier = false
    if case .classification = task { isClassifier = true }
    let figure = isClassifier ? "accuracy" : "r2"
    var columns = ["epoch", "learning_rate", "train_loss"]
    if isClassifier { columns.append("train_accuracy") }
    columns += [
      "weight_change", "validation_loss", "validation_\(figure)", "test_loss", "test_\(figure)",
    ]
    var csv = columns.joined(separator: ",") + "\n"
    func field(_ value: Double?) -> String { value.map { "\($0)" } ?? "" }
    func figureOf(_ evaluation: Evaluation?) -> Double? {
      isClassifier ? evaluation?.accuracy : evaluation?.r2
    }
    for record in records {
      var fields = [String(record.epoch), field(record.learningRate), field(record.trainLoss)]
      if isClassifier { fields.append(field(record.trainAccuracy)) }
      fields += [
        field(record.weightChange), field(record.validation?.loss),
        field(figureOf(record.validation)), field(record.test?.loss), field(figureOf(record.test)),
      ]
      csv += fields.joined(separator: ",") + "\n"
    }
    return csv
  }

  /// What a reader of the weights needs besides the tensors: the layer
  /// layout and activations, the features, the classes or targets, the
  /// preprocessing to apply, and which spec made them.
  static func weightsMetadata(
    _ plan: Plan, preprocessing: Preprocessing, record: RunRecord
  ) -> [String: String] {
    let layers = JSONValue.array(
      plan.layers.map {
        .object([
          "inputs": .integer($0.inputs), "outputs": .integer($0.outputs),
          "activation": .string($0.activation.rawValue), "bias": .bool($0.bias != nil),
        ])
      })
    var metadata = [
      "format": "nnc", "nnc_version": nncVersion, "name": plan.name,
      "precision": plan.precision.rawValue, "objective": plan.objective.rawValue,
      "layers": layers.compact(),
      "features": JSONValue.array(plan.featureNames.map { .string($0) }).compact(),
      "spec_sha256": record.specHash,
      "overrides": JSONValue.array(record.overrides.map { .string($0.description) }).compact(),
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

  /// Why a file operation failed, in the operating system's words where it
  /// gave some (Foundation's own text can be "The operation could not be
  /// completed").
  static func reason(_ error: Error) -> String {
    let error = error as NSError
    let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError
    for candidate in [underlying, error].compactMap({ $0 })
    where candidate.domain == NSPOSIXErrorDomain {
      return String(cString: strerror(Int32(candidate.code)))
    }
    return error.localizedDescription
  }
}
