import Foundation
import Planner
import Runtime
import SpecParser

/// `nnc gradcheck SPEC`: backprop against finite differences on the user's model.
enum GradientCheckCommand {
  static let help = """
    usage: nnc gradcheck SPEC [--rows N] [--threshold T]

    Builds SPEC's model in float64 with its initial weights, takes N training
    rows (default 8), and compares the backprop gradient of every parameter
    with central finite differences. Prints the worst relative error per
    parameter block; exits 6 if any exceeds T (default 1e-6). Entries where a
    ReLU sits at its kink are skipped and counted.
    """

  static func main(_ words: ArraySlice<String>) throws -> ExitCode {
    let arguments = try Arguments(
      words, shape: .init(options: ["rows", "threshold"], flags: ["help"]))
    if arguments.flags.contains("help") {
      print(help)
      return .success
    }
    guard arguments.positionals.count == 1, let path = arguments.positionals.first else {
      throw UsageError("gradcheck takes one spec file")
    }
    let rows = try arguments.integer("rows", atLeast: 1) ?? 8
    var threshold = 1e-6
    if let text = arguments.value("threshold") {
      guard let value = Double(text), value > 0 else {
        throw UsageError("--threshold needs a positive number, not '\(text)'")
      }
      threshold = value
    }

    var compiled = try Compiled.load(path, quiet: true)
    compiled.decoded.spec.precision = .float64
    compiled.decoded.spec.data.validation = nil
    compiled.decoded.spec.training.patience = nil
    compiled.plan = try Planner.plan(compiled.spec, shape: compiled.shape)
    let data = try DataLoader.load(compiled.spec.data, shape: compiled.shape, as: Double.self)
    let trainer = Trainer<Double>(plan: compiled.plan, data: data)
    // rows ≥ 1 and the readers leave at least one training row, so the
    // sample's features are not empty and have a base address.
    let sample = trainer.train.selecting(Array(0..<min(rows, trainer.train.count)))
    let checks = sample.features.withUnsafeBufferPointer { x in
      sample.labels.withUnsafeBufferPointer { labels in
        sample.targets.withUnsafeBufferPointer { targets in
          trainer.network.checkGradient(
            input: x.baseAddress!, rows: sample.count,
            labels: labels.isEmpty ? nil : labels.baseAddress,
            targets: targets.isEmpty ? nil : targets.baseAddress)
        }
      }
    }
    var failed = false
    for check in checks {
      let ok = check.worstRelativeError <= threshold
      failed = failed || !ok
      var line = "\(check.name): worst relative error "
      line += String(format: "%.3e", check.worstRelativeError)
      line += " over \(check.compared) entries"
      if check.skippedAtKinks > 0 { line += " (\(check.skippedAtKinks) at ReLU kinks skipped)" }
      print(line + (ok ? "" : "  FAILED"))
    }
    print(failed ? "gradient check failed (threshold \(threshold))" : "gradient check passed")
    return failed ? .checkFailed : .success
  }
}
