import Foundation
import Planner
import Runtime
import SpecParser

/// `nnc bench SPEC`: training speed against the plan's GEMM-only time.
enum BenchCommand {
  static let help = """
    usage: nnc bench SPEC [--steps N] [--warmup N] [--rounds N] [--threads N] [--format text|json]

    Loads SPEC's data, runs N warm-up steps (default 20), then R rounds
    (default 3) of a timed stretch of training steps (default: one epoch's
    worth) and of the same steps' matrix products alone, and reports the
    fastest round of each: steps and samples per second, seconds per epoch,
    the GEMM-only seconds per epoch and their ratio, the share of a step
    spent per kind of work, and peak memory.
    """

  static func main(_ words: ArraySlice<String>) throws -> ExitCode {
    let arguments = try Arguments(
      words,
      shape: .init(options: ["steps", "warmup", "rounds", "threads", "format"], flags: ["help"]))
    if arguments.flags.contains("help") {
      print(help)
      return .success
    }
    guard arguments.positionals.count == 1, let path = arguments.positionals.first else {
      throw UsageError("bench takes one spec file")
    }
    let outputFormat = arguments.value("format") ?? "text"
    guard ["text", "json"].contains(outputFormat) else {
      throw UsageError("--format is text or json, not '\(outputFormat)'")
    }
    let compiled = try Compiled.load(path, quiet: true)
    let threads = try arguments.integer("threads", atLeast: 1) ?? compiled.plan.threads
    if let threads { setBLASThreads(threads) }
    let plan = compiled.plan
    guard plan.optimizer.kind != .newton else {
      throw UsageError("bench measures minibatch training; \(path) uses Newton's method")
    }
    let steps =
      try arguments.integer("steps", atLeast: 1)
      ?? (plan.examples.train + plan.batchSize - 1) / plan.batchSize
    let warmup = try arguments.integer("warmup", atLeast: 0) ?? 20
    let rounds = try arguments.integer("rounds", atLeast: 1) ?? 3

    let result: BenchmarkResult
    let loadSeconds: Double
    let clock = ContinuousClock()
    let started = clock.now
    switch plan.precision {
    case .float32:
      let data = try DataLoader.load(compiled.spec.data, shape: compiled.shape, as: Float.self)
      loadSeconds = (clock.now - started).seconds
      let trainer = Trainer(plan: plan, data: data)
      result = Benchmark.run(trainer, warmupSteps: warmup, steps: steps, rounds: rounds)
    case .float64:
      let data = try DataLoader.load(compiled.spec.data, shape: compiled.shape, as: Double.self)
      loadSeconds = (clock.now - started).seconds
      let trainer = Trainer(plan: plan, data: data)
      result = Benchmark.run(trainer, warmupSteps: warmup, steps: steps, rounds: rounds)
    }

    if outputFormat == "json" {
      var shares: [String: JSONValue] = [:]
      for phase in result.phaseShares { shares[phase.name] = .number(phase.share) }
      let report = JSONValue.object([
        "spec": .string(path), "threads": threads.map { .integer($0) } ?? .null,
        "batch_size": .integer(plan.batchSize), "steps": .integer(result.steps),
        "rounds": .integer(rounds), "data_load_seconds": .number(loadSeconds),
        "steps_per_second": .number(result.stepsPerSecond),
        "samples_per_second": .number(result.samplesPerSecond),
        "seconds_per_epoch": .number(result.secondsPerEpoch),
        "gemm_only_seconds_per_epoch": .number(result.gemmOnlySecondsPerEpoch),
        "ratio": .number(result.ratio), "phase_shares": .object(shares),
        "peak_resident_bytes": .integer(result.peakResidentBytes),
      ])
      print(report.rendered(), terminator: "")
      return .success
    }
    print("\(plan.name): batch \(plan.batchSize), \(result.steps) steps × \(rounds) rounds")
    print("data load          \(format(loadSeconds, digits: 3)) s")
    print("steps per second   \(format(result.stepsPerSecond, digits: 1))")
    print("samples per second \(format(result.samplesPerSecond, digits: 0))")
    print("seconds per epoch  \(format(result.secondsPerEpoch, digits: 3))")
    print("GEMM-only epoch    \(format(result.gemmOnlySecondsPerEpoch, digits: 3)) s")
    print("ratio              \(format(result.ratio, digits: 3))")
    for phase in result.phaseShares {
      let padded = phase.name.padding(toLength: 18, withPad: " ", startingAt: 0)
      print("  \(padded)\(format(100 * phase.share, digits: 1)) %")
    }
    print("peak memory        \(result.peakResidentBytes / (1 << 20)) MiB")
    return .success
  }
}
