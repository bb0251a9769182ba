import Foundation
import Planner
import Runtime
import SpecParser

/// `nnc run SPEC`: trains and writes the run directory.
enum RunCommand {
  static let help = """
    usage: nnc run SPEC [--output DIR] [--threads N] [--quiet]

    Trains the model SPEC describes on its data, printing one line per epoch,
    and writes to DIR (default: runs/<spec file name without extension>):
      metrics.json         final loss and accuracy (or MSE and R²) per data set,
                           epochs run and why training stopped
      history.csv          one row per epoch
      weights.safetensors  every weight matrix [inputs, outputs] and bias

    options:
      --output DIR   where to write the results
      --threads N    OpenBLAS threads (overrides the spec's threads)
      --quiet        no per-epoch lines
    """

  static func main(_ words: ArraySlice<String>) throws -> ExitCode {
    let arguments = try Arguments(
      words, shape: .init(options: ["output", "threads"], flags: ["help", "quiet"]))
    if arguments.flags.contains("help") {
      print(help)
      return .success
    }
    guard arguments.positionals.count == 1, let specPath = arguments.positionals.first else {
      throw UsageError("run takes one spec file")
    }
    let quiet = arguments.flags.contains("quiet")
    let compiled = try Compiled.load(specPath)
    let output =
      arguments.value("output")
      ?? "runs/" + URL(fileURLWithPath: specPath).deletingPathExtension().lastPathComponent
    if let threads = try arguments.integer("threads", atLeast: 1) ?? compiled.plan.threads {
      setBLASThreads(threads)
    }
    switch compiled.plan.precision {
    case .float32: return try train(Float.self, compiled, output: output, quiet: quiet)
    case .float64: return try train(Double.self, compiled, output: output, quiet: quiet)
    }
  }

  static func train<S: Scalar>(
    _: S.Type, _ compiled: Compiled, output: String, quiet: Bool
  ) throws -> ExitCode {
    let plan = compiled.plan
    let clock = ContinuousClock()
    let loadStart = clock.now
    let data = try DataLoader.load(compiled.spec.data, shape: compiled.shape, as: S.self)
    for dropped in data.dropped { printError(dropped.description) }
    let trainer = Trainer<S>(plan: plan, data: data)
    if !quiet {
      printError(
        "\(plan.name): \(plan.examples.train) training, \(plan.examples.validation) validation, "
          + "\(plan.examples.test) test examples; \(plan.parameters.count) parameters; "
          + "data read in \(format((clock.now - loadStart).seconds, digits: 2))s")
    }

    let outcome = trainer.run { record in
      if !quiet { print(epochLine(record, of: plan.training.epochs)) }
    }
    let final = FinalEvaluations(
      train: trainer.network.evaluate(trainer.train),
      validation: trainer.validation.map { trainer.network.evaluate($0) },
      test: trainer.test.map { trainer.network.evaluate($0) })
    try RunDirectory.write(
      to: output, compiled: compiled, outcome: outcome, final: final,
      parameters: UnsafeBufferPointer(trainer.network.arena.parameters),
      preprocessing: data.preprocessing)

    if let divergence = outcome.divergence {
      printError(divergenceMessage(divergence))
      printError("the weights of the last finite epoch are in \(output)")
      return .diverged
    }
    print(summaryLine(final, outcome: outcome, output: output))
    return .success
  }

  static func epochLine(_ record: EpochRecord, of epochs: Int) -> String {
    let width = String(epochs).count
    var line = "epoch \(String(repeating: " ", count: width - String(record.epoch).count))"
    line += "\(record.epoch)/\(epochs)  lr \(format(record.learningRate, significant: 4))"
    line += "  loss \(format(record.trainLoss, digits: 5))"
    for (name, evaluation) in [("val", record.validation), ("test", record.test)] {
      guard let evaluation else { continue }
      line += "  \(name)_loss \(format(evaluation.loss, digits: 5))"
      if let accuracy = evaluation.accuracy {
        line += "  \(name)_acc \(format(accuracy, digits: 4))"
      }
      if let r2 = evaluation.r2 { line += "  \(name)_r2 \(format(r2, digits: 4))" }
    }
    line += "  \(format(record.seconds, digits: 2))s"
    return line
  }

  static func summaryLine(
    _ final: FinalEvaluations, outcome: TrainingOutcome, output: String
  ) -> String {
    let set = final.test ?? final.validation ?? final.train
    let name = final.test != nil ? "test" : final.validation != nil ? "validation" : "train"
    var line = "\(outcome.stopReason.rawValue) after \(outcome.epochs) epochs: \(name) loss "
    line += format(set.loss, digits: 5)
    if let accuracy = set.accuracy { line += ", accuracy \(format(accuracy, digits: 4))" }
    if let r2 = set.r2 { line += ", R² \(format(r2, digits: 4))" }
    return line + "; results in \(output)"
  }

  static func divergenceMessage(_ divergence: Divergence) -> String {
    var text = "nnc: training diverged: the \(divergence.quantity) became NaN or infinite "
    text += "in epoch \(divergence.epoch), step \(divergence.step)"
    if let layer = divergence.layer { text += ", first in model.layers[\(layer)]" }
    return text + "\n  hint: lower optimizer.learning_rate (try a tenth of it) or add a schedule"
  }
}

/// The final figures of each data set, written to metrics.json.
struct FinalEvaluations {
  var train: Evaluation
  var validation: Evaluation?
  var test: Evaluation?
}

/// `value` with `digits` decimals.
func format(_ value: Double, digits: Int) -> String {
  String(format: "%.\(digits)f", value)
}

/// `value` with `significant` significant digits.
func format(_ value: Double, significant: Int) -> String {
  String(format: "%.\(significant)g", value)
}
