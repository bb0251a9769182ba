import Planner

#if canImport(Glibc)
  import Glibc
#endif

/// What `nnc bench` measures: training steps on the spec's real data against
/// the same plan's matrix products alone, timed in the same process.
public struct BenchmarkResult: Sendable {
  public var steps: Int
  public var samples: Int
  public var stepsPerSecond: Double
  public var samplesPerSecond: Double
  /// Time for one pass over the training rows, from the fastest round.
  public var secondsPerEpoch: Double
  /// The GEMMs of one epoch replayed back to back, from the fastest round.
  public var gemmOnlySecondsPerEpoch: Double
  public var ratio: Double { secondsPerEpoch / gemmOnlySecondsPerEpoch }
  /// Share of a profiled stretch's time per phase name.
  public var phaseShares: [(name: String, share: Double)]
  /// The process's peak resident memory so far, in bytes.
  public var peakResidentBytes: Int
}

public enum Benchmark {
  /// Warms up, then runs `rounds` rounds of (`steps` training steps, the same
  /// steps' GEMMs alone), keeping each side's fastest round; then a profiled
  /// stretch of `steps` steps for the phase shares.
  public static func run<S: Scalar>(
    _ trainer: Trainer<S>, warmupSteps: Int, steps: Int, rounds: Int = 3
  ) -> BenchmarkResult {
    let plan = trainer.plan
    let eta = plan.optimizer.learningRate
    _ = trainer.runSteps(warmupSteps, learningRate: eta)

    var bestTrain = Double.infinity
    var bestGEMM = Double.infinity
    var samples = 0
    for _ in 0..<rounds {
      let start = PhaseTimer.now()
      samples = trainer.runSteps(steps, learningRate: eta)
      bestTrain = min(bestTrain, (PhaseTimer.now() - start) / Double(samples))

      let gemmStart = PhaseTimer.now()
      let gemmSamples = replayGEMMs(trainer.network, steps: steps, rows: plan.batchSize)
      bestGEMM = min(bestGEMM, (PhaseTimer.now() - gemmStart) / Double(gemmSamples))
    }

    let timer = PhaseTimer()
    trainer.network.timer = timer
    _ = trainer.runSteps(steps, learningRate: eta)
    trainer.network.timer = nil
    let total = timer.seconds.reduce(0, +)
    let shares = PhaseTimer.Phase.allCases.map {
      (name: $0.name, share: total > 0 ? timer.seconds[$0.rawValue] / total : 0)
    }

    let perEpoch = Double(trainer.train.count)
    return BenchmarkResult(
      steps: steps, samples: samples,
      stepsPerSecond: Double(samples) / Double(plan.batchSize) / (bestTrain * Double(samples)),
      samplesPerSecond: 1 / bestTrain, secondsPerEpoch: bestTrain * perEpoch,
      gemmOnlySecondsPerEpoch: bestGEMM * perEpoch, phaseShares: shares,
      peakResidentBytes: peakResidentBytes())
  }

  /// The GEMMs of `steps` training steps of `rows` rows, with the shapes and
  /// buffers a step uses, and nothing else. Returns the rows processed.
  static func replayGEMMs<S: Scalar>(_ network: Network<S>, steps: Int, rows: Int) -> Int {
    let plan = network.plan
    let arena = network.arena
    let input = UnsafePointer(arena.pointer(plan.arena.input))
    for _ in 0..<steps {
      var previous = input
      for layer in plan.layers {
        let h = arena.pointer(layer.activations)
        S.gemm(
          transposeA: false, transposeB: false, m: rows, n: layer.outputs, k: layer.inputs,
          alpha: 1, a: previous, lda: layer.inputs, b: arena.pointer(layer.weight),
          ldb: layer.outputs, beta: 0, c: h, ldc: layer.outputs)
        previous = UnsafePointer(h)
      }
      for layer in plan.layers.reversed() {
        let delta = arena.pointer(layer.deltas)
        let below =
          layer.index == 0
          ? input : UnsafePointer(arena.pointer(plan.layers[layer.index - 1].activations))
        S.gemm(
          transposeA: true, transposeB: false, m: layer.inputs, n: layer.outputs, k: rows,
          alpha: 1, a: below, lda: layer.inputs, b: delta, ldb: layer.outputs,
          beta: 0, c: arena.gradientPointer(layer.weight), ldc: layer.outputs)
        if layer.index > 0 {
          S.gemm(
            transposeA: false, transposeB: true, m: rows, n: layer.inputs, k: layer.outputs,
            alpha: 1, a: delta, lda: layer.outputs, b: arena.pointer(layer.weight),
            ldb: layer.outputs, beta: 0,
            c: arena.pointer(plan.layers[layer.index - 1].deltas), ldc: layer.inputs)
        }
      }
    }
    return steps * rows
  }
}

/// Peak resident set size of this process (getrusage's ru_maxrss, in KiB on Linux).
public func peakResidentBytes() -> Int {
  var usage = rusage()
  getrusage(RUSAGE_SELF.rawValue, &usage)
  return usage.ru_maxrss * 1024
}
