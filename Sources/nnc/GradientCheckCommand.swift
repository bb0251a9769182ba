import Foundation
import Planner
import Runtime
import SpecParser

/// `nnc gradcheck SPEC`: backprop against finite differences on the user's model.
enum GradientCheckCommand {
  static let help = """
    usage: nnc gradcheck SPEC [--rows N] [--threshold T] [--entries E]

    Builds SPEC's model in float64 and compares the backprop gradient of its
    objective (the mean loss over the first N training rows, default 8, plus
    the L2 term) with central finite differences, entry by entry (at most E
    evenly spaced entries per parameter block, default 200). The check
    runs at the spec's initial weights, except that every block that starts
    at zero (biases, and all of a single-layer model) is drawn at random, so
    that no part of the gradient vanishes by construction. Prints the worst
    relative error per layer and per parameter block, and exits 6 if any
    exceeds T (default 1e-6). Entries whose two evaluations put a ReLU on
    different sides of its kink have no derivative to compare; they are
    skipped and counted.
    """

  static func main(_ words: ArraySlice<String>) throws -> ExitCode {
    let arguments = try Arguments(
      words, shape: .init(options: ["rows", "threshold", "entries"], flags: ["help"]))
    if arguments.flags.contains("help") {
      print(help)
      return .success
    }
    guard arguments.positionals.count == 1, let path = arguments.positionals.first else {
      throw UsageError("gradcheck takes one spec file")
    }
    let rows = try arguments.integer("rows", atLeast: 1) ?? 8
    let entries = try arguments.integer("entries", atLeast: 1) ?? 200
    var threshold = 1e-6
    if let text = arguments.value("threshold") {
      guard let value = Double(text), value.isFinite, value > 0 else {
        throw UsageError("--threshold needs a positive number, not '\(text)'")
      }
      threshold = value
    }

    // The user's model in float64, on every training row (no validation
    // split), with batches wide enough for the sample.
    var compiled = try Compiled.load(path, quiet: true)
    let sampleRows = min(rows, compiled.shape.trainCount)
    compiled.decoded.spec.precision = .float64
    compiled.decoded.spec.data.validation = nil
    compiled.decoded.spec.training.patience = nil
    compiled.decoded.spec.optimizer.batchSize = .examples(sampleRows)
    compiled.plan = try Planner.plan(compiled.spec, shape: compiled.shape)
    let plan = compiled.plan
    let data = try DataLoader.load(compiled.spec.data, shape: compiled.shape, as: Double.self)
    let trainer = Trainer<Double>(plan: plan, data: data)
    // A few rows make GEMMs too small to share between threads.
    setBLASThreads(1)
    randomizeZeroBlocks(trainer.network.arena, plan: plan)

    let sample = trainer.train.selecting(Array(0..<sampleRows))
    let checks = sample.features.withUnsafeBufferPointer { x in
      sample.labels.withUnsafeBufferPointer { labels in
        sample.targets.withUnsafeBufferPointer { targets in
          trainer.network.checkGradient(
            input: x.baseAddress!, rows: sample.count,
            labels: labels.isEmpty ? nil : labels.baseAddress,
            targets: targets.isEmpty ? nil : targets.baseAddress, entriesPerBlock: entries)
        }
      }
    }

    print(
      "gradcheck \(plan.name): \(sample.count) training rows, float64, "
        + "central differences, threshold \(format(threshold, significant: 3))")
    var failed = false
    for layer in plan.layers {
      let blocks = checks.filter { $0.layer == layer.index }
      let worst = blocks.map(\.worstRelativeError).max() ?? 0
      let ok = worst <= threshold
      failed = failed || !ok
      var line = "layer \(layer.index) (\(layer.inputs) -> \(layer.outputs) "
      line += "\(layer.activation.rawValue)\(layer.bias == nil ? ", no bias" : "")): "
      line += "worst relative error \(String(format: "%.3e", worst))"
      print(line + (ok ? "" : "  FAILED"))
      for check in blocks {
        let total = plan.parameters.blocks.first { $0.name == check.name }?.count ?? 0
        var detail = "  \(check.name): \(String(format: "%.3e", check.worstRelativeError))"
        detail += " over \(check.compared) of \(total) entries"
        if check.skippedAtKinks > 0 {
          detail += " (\(check.skippedAtKinks) at ReLU kinks skipped)"
        }
        print(detail)
      }
    }
    print(failed ? "gradient check failed" : "gradient check passed")
    return failed ? .checkFailed : .success
  }

  /// Draws every all-zero parameter block uniformly from ±1/√inputs of its
  /// layer, with the spec's seed. A single-layer model starts at θ = 0, where
  /// softmax probabilities are all equal, the L2 term's gradient λW is 0, and
  /// a wrong factor on either would go unseen.
  static func randomizeZeroBlocks(_ arena: Arena<Double>, plan: Plan) {
    var random = RandomStream(seed: plan.seed, stream: "gradcheck")
    for layer in plan.layers {
      let bound = 1 / Double(layer.inputs).squareRoot()
      for block in [layer.weight] + (layer.bias.map { [$0] } ?? []) {
        let values = arena.pointer(block)
        guard (0..<block.count).allSatisfy({ values[$0] == 0 }) else { continue }
        for i in 0..<block.count { values[i] = (2 * random.nextUnit() - 1) * bound }
      }
    }
  }
}
