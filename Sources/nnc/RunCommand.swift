import Foundation
import Planner
import Runtime
import SpecParser

/// `nnc run SPEC`: trains and writes the run directory.
enum RunCommand {
  static let help = """
    usage: nnc run SPEC [--output DIR] [--set KEY.PATH=VALUE]... [--threads N] [--resume]
                        [--quiet] [--max-memory SIZE]

    Trains the model SPEC describes on its data, printing one line per epoch
    (and, on a terminal, a progress bar), and writes to DIR (default:
    runs/<spec file name without extension>):
      metrics.json            final loss and accuracy (or MSE and R²) per data set,
                              epochs run and why training stopped
      history.csv             one row per epoch
      weights.safetensors     every weight matrix [inputs, outputs] and bias, with
                              the layers, features, classes and preprocessing
      curves.svg              loss and accuracy (or R²) per epoch
      run.json                the resolved spec, overrides, hashes of the spec and
                              data files, nnc version, machine and thread count
      checkpoint.safetensors  the training state, every training.checkpoint epochs
                              and when interrupted

    The same spec, seed and thread count write the same bytes every time.
    Ctrl-C finishes the current step, saves a checkpoint and the results so
    far, and exits with 130; --resume continues from the checkpoint and ends
    with exactly the weights of an uninterrupted run.

    options:
      --output DIR            where to write the results
      --set KEY.PATH=VALUE    override a spec value (repeatable), checked like
                              the spec: --set optimizer.learning_rate=0.01,
                              --set model.layers[0].units=128
      --threads N             OpenBLAS threads (overrides the spec's threads)
      --resume                continue from DIR/checkpoint.safetensors
      --quiet                 no per-epoch lines or progress bar
    \(MemoryBudget.optionHelp)
    """

  struct Options {
    var spec: String
    var output: String
    var overrides: [SpecOverride]
    var quiet: Bool
    var resume: Bool
  }

  static func main(_ words: ArraySlice<String>) throws -> ExitCode {
    let arguments = try Arguments(
      words,
      shape: .init(
        options: ["output", "threads", "set", "max-memory"], flags: ["help", "quiet", "resume"],
        repeatable: ["set"]))
    if arguments.flags.contains("help") {
      print(help)
      return .success
    }
    guard arguments.positionals.count == 1, let specPath = arguments.positionals.first else {
      throw UsageError("run takes one spec file")
    }
    let threadOption = try arguments.integer("threads", atLeast: 1)
    let overrides = try arguments.overrides()
    let compiled = try Compiled.load(
      specPath, overrides: overrides, budget: MemoryBudget.from(arguments))
    let options = Options(
      spec: specPath,
      output: arguments.value("output")
        ?? "runs/" + URL(fileURLWithPath: specPath).deletingPathExtension().lastPathComponent,
      overrides: overrides, quiet: arguments.flags.contains("quiet"),
      resume: arguments.flags.contains("resume"))
    if let threads = threadOption ?? compiled.plan.threads {
      setBLASThreads(threads)
    }
    switch compiled.plan.precision {
    case .float32: return try train(Float.self, compiled, options)
    case .float64: return try train(Double.self, compiled, options)
    }
  }

  static func train<S: Scalar>(
    _: S.Type, _ compiled: Compiled, _ options: Options
  ) throws -> ExitCode {
    let plan = compiled.plan
    let clock = ContinuousClock()
    let loadStart = clock.now
    let data = try DataLoader.load(
      compiled.spec.data, shape: compiled.shape, as: S.self, byteLimit: compiled.budget.bytes)
    for dropped in data.dropped { printError(dropped.description) }
    let trainer = Trainer<S>(plan: plan, data: data)
    var record = try RunRecord(
      compiled, specFile: options.spec, overrides: options.overrides,
      threads: Machine.blasThreads)
    let directory = try RunDirectory(creating: options.output)
    if !options.quiet {
      printError(
        "\(plan.name): \(plan.examples.train) training, \(plan.examples.validation) validation, "
          + "\(plan.examples.test) test examples; \(plan.parameters.count) parameters; "
          + "data read in \(format((clock.now - loadStart).seconds, digits: 2))s")
    }
    if !options.resume {
      try directory.removeCheckpoint()
    } else {
      let progress = try resume(trainer, from: directory, record: record)
      record.resumedFrom = (progress.epoch, progress.step)
      if !options.quiet {
        printError(
          "resuming at epoch \(progress.epoch + 1)"
            + (progress.step > 0 ? ", step \(progress.step + 1)" : "")
            + " from \(directory.checkpointPath)")
      }
    }

    Interrupt.install()
    let bar = ProgressBar(
      epochs: plan.training.epochs, quiet: options.quiet,
      environment: ProcessInfo.processInfo.environment)
    var checkpointFailure: OutputError?
    let metadata = record.checkpointMetadata
    let control = TrainingControl<S>(
      checkpointEvery: plan.training.checkpoint,
      onCheckpoint: { checkpoint in
        var checkpoint = checkpoint
        checkpoint.metadata = metadata
        do {
          try directory.writeCheckpoint(checkpoint)
        } catch {
          let failure = error as? OutputError ?? OutputError(message: "\(error)")
          bar.clear()
          printError("nnc: \(failure.message)")
          checkpointFailure = failure
        }
      },
      shouldStop: { Interrupt.requested },
      onStep: { done, total in bar.step(done, of: total, epoch: trainer.progress.epoch + 1) })

    let outcome = trainer.run(
      onEpoch: { epoch in
        bar.clear()
        bar.endEpoch()
        guard !options.quiet else { return }
        print(epochLine(epoch, of: plan.training.epochs))
        // Flushed per line, so that a pipe or log sees each epoch as it ends.
        fflush(nil)
      }, control: control)
    bar.clear()

    let final = FinalEvaluations(
      train: trainer.network.evaluate(trainer.train),
      validation: trainer.validation.map { trainer.network.evaluate($0) },
      test: trainer.test.map { trainer.network.evaluate($0) })
    try directory.writeResults(
      compiled: compiled, record: record, outcome: outcome, final: final,
      parameters: UnsafeBufferPointer(trainer.network.arena.parameters),
      preprocessing: data.preprocessing)
    if let checkpointFailure { throw checkpointFailure }
    switch outcome.stopReason {
    case .interrupted, .diverged:
      break
    case .epochLimit where plan.training.checkpoint != nil:
      // The end of the epoch limit: `--resume` with a higher limit continues
      // from here exactly.
      var checkpoint = trainer.checkpoint()
      checkpoint.metadata = metadata
      try directory.writeCheckpoint(checkpoint)
    default:
      // A finished run has nothing to resume; a checkpoint left from an
      // interruption would retrain epochs that are done.
      try directory.removeCheckpoint()
    }

    switch outcome.stopReason {
    case .interrupted:
      let progress = trainer.progress
      var resume = "nnc run \(options.spec) --resume"
      if options.output != "runs/"
        + URL(fileURLWithPath: options.spec)
        .deletingPathExtension().lastPathComponent
      {
        resume += " --output \(options.output)"
      }
      resume += options.overrides.map { " --set \($0)" }.joined()
      printError(
        "nnc: stopped in epoch \(progress.epoch + 1) after \(progress.step) of its steps; "
          + "the checkpoint and the results so far are in \(options.output)\n"
          + "  continue with: \(resume)")
      return .interrupted
    case .diverged:
      if let divergence = outcome.divergence { printError(divergenceMessage(divergence)) }
      printError("the weights of the last finite epoch are in \(options.output)")
      return .diverged
    default:
      if outcome.stopReason == .separable {
        printError(
          "nnc: the layer separates the training classes, so without L2 the loss has no "
            + "minimum and more epochs would only grow the weights\n"
            + "  hint: set regularization.l2 (1.0e-4, say) for a finite, unique fit")
      }
      print(summaryLine(final, outcome: outcome, output: options.output))
      return .success
    }
  }

  /// Restores `trainer` from the folder's checkpoint after checking that it
  /// was taken from this run: the same resolved spec (but for the epoch
  /// limit, checkpoint interval and threads) and the same data files.
  static func resume<S: Scalar>(
    _ trainer: Trainer<S>, from directory: RunDirectory, record: RunRecord
  ) throws -> TrainingProgress {
    guard let checkpoint = try directory.readCheckpoint(as: S.self) else {
      throw UsageError(
        "nothing to resume: \(directory.checkpointPath) does not exist "
          + "(set training.checkpoint, or interrupt a run with Ctrl-C, to make one)")
    }
    let differences = record.differences(from: checkpoint.metadata)
    guard differences.isEmpty else {
      throw CheckpointError(
        file: directory.checkpointPath,
        message: "the checkpoint belongs to another run: "
          + differences.joined(separator: "; "))
    }
    try trainer.restore(checkpoint, file: directory.checkpointPath)
    return checkpoint.progress
  }

  static func epochLine(_ record: EpochRecord, of epochs: Int) -> String {
    let width = String(epochs).count
    var line = "epoch \(String(repeating: " ", count: max(0, width - String(record.epoch).count)))"
    line += "\(record.epoch)/\(epochs)  lr \(format(record.learningRate, significant: 4))"
    line += "  loss \(format(record.trainLoss, digits: 5))"
    if let accuracy = record.trainAccuracy { line += "  acc \(format(accuracy, digits: 4))" }
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
    let epochs = outcome.epochs == 1 ? "1 epoch" : "\(outcome.epochs) epochs"
    var line = "\(outcome.stopReason.rawValue) after \(epochs): \(name) loss "
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

extension Arguments {
  /// Every `--set KEY.PATH=VALUE`, parsed; the malformed ones reported together.
  func overrides() throws(SpecErrors) -> [SpecOverride] {
    var overrides: [SpecOverride] = []
    var problems: [Diagnostic] = []
    for text in values["set"] ?? [] {
      do {
        overrides.append(try SpecOverride(parsing: text))
      } catch {
        problems += error.diagnostics
      }
    }
    guard problems.isEmpty else { throw SpecErrors(problems) }
    return overrides
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
