import Planner

/// How a model does on one set of examples, with its current parameters.
public struct Evaluation: Sendable, Equatable {
  public var count: Int
  /// Mean data loss per example (no penalty term).
  public var loss: Double
  /// Classifiers: the fraction of examples whose most likely class is the label.
  public var accuracy: Double?
  /// Regression: mean over examples and targets of (y − h)².
  public var meanSquaredError: Double?
  /// Regression: 1 − SSE/SST per target column, averaged over the columns.
  public var r2: Double?
}

extension Network {
  /// Evaluates `examples` in batches of the plan's evaluation width, reading
  /// rows in place (no gather, no allocation).
  public func evaluate(_ examples: Examples<S>) -> Evaluation {
    let rows = plan.evaluationBatchSize
    let width = examples.width
    let K = plan.outputWidth
    var sums = LossSums()
    let regression = plan.objective == .quadratic
    // R² per target column: Σ(y − h)² against Σ(y − ȳ)², with ȳ found in a
    // first pass so the total is not a difference of two large sums.
    var columnError = [Double](repeating: 0, count: regression ? K : 0)
    var columnMean = columnError
    var columnTotal = columnError
    if regression, examples.count > 0 {
      for i in 0..<examples.count * K { columnMean[i % K] += Double(examples.targets[i]) }
      for k in 0..<K { columnMean[k] /= Double(examples.count) }
      for i in 0..<examples.count * K {
        let centred = Double(examples.targets[i]) - columnMean[i % K]
        columnTotal[i % K] += centred * centred
      }
    }
    examples.features.withUnsafeBufferPointer { features in
      examples.labels.withUnsafeBufferPointer { labels in
        examples.targets.withUnsafeBufferPointer { targets in
          var start = 0
          // Inside the loop count > 0, so the features (count × width, width ≥ 1)
          // and the labels or targets are non-empty and their base addresses set.
          while start < examples.count {
            let n = min(rows, examples.count - start)
            let input = features.baseAddress! + start * width
            forward(input: input, rows: n)
            let targetRows = regression ? targets.baseAddress! + start * K : nil
            sums += finishOutput(
              rows: n, labels: regression ? nil : labels.baseAddress! + start,
              targets: targetRows, writeDeltas: false)
            if let targetRows {
              let h = outputs
              for i in 0..<n * K {
                let r = Double(targetRows[i]) - Double(h[i])
                columnError[i % K] += r * r
              }
            }
            start += n
          }
        }
      }
    }
    let count = max(examples.count, 1)
    var result = Evaluation(count: examples.count, loss: sums.loss / Double(count))
    if regression {
      result.meanSquaredError = sums.squaredError / Double(count * K)
      var r2 = 0.0
      for k in 0..<K {
        r2 += columnTotal[k] > 0 ? 1 - columnError[k] / columnTotal[k] : 0
      }
      result.r2 = r2 / Double(K)
    } else {
      result.accuracy = Double(sums.correct) / Double(count)
    }
    return result
  }
}
