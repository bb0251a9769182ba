/// The per-feature affine map x′ = x · slope[j] + offset[j] that `scale`
/// and `standardize` amount to, and its conversion to the compute type.
///
/// Legend: n examples, d features (`width`), x the value read from the file,
/// s the spec's scale (1 when unset), μ_j and σ_j the mean and population
/// standard deviation of s·x over the training examples. Then
///   scale only:           x′ = s·x
///   scale + standardize:  x′ = (s·x − μ_j) / σ_j = x · (s/σ_j) + (−μ_j/σ_j)
/// A constant feature (σ_j = 0) is centred and divided by 1 instead: it then
/// holds 0 everywhere in training, where dividing by 0 would give NaN.
struct FeatureScaling: Sendable {
  /// d slopes and d offsets.
  var slope: [Double]
  var offset: [Double]
  /// What was applied, for the same map at prediction time.
  var preprocessing: Preprocessing

  /// The map for the spec's `scale` and, when `statistics` is given (the
  /// mean and standard deviation of the *unscaled* training features),
  /// standardization with those statistics carried through the scale.
  init(width: Int, scale: Double?, statistics: (mean: [Double], std: [Double])?) {
    let s = scale ?? 1
    guard let statistics else {
      slope = [Double](repeating: s, count: width)
      offset = [Double](repeating: 0, count: width)
      preprocessing = Preprocessing(scale: scale)
      return
    }
    let mean = statistics.mean.map { s * $0 }
    let divisor = statistics.std.map { sigma in abs(s) * sigma == 0 ? 1 : abs(s) * sigma }
    slope = divisor.map { s / $0 }
    offset = zip(mean, divisor).map { -$0 / $1 }
    preprocessing = Preprocessing(scale: scale, mean: mean, std: divisor)
  }

  // MARK: - Training statistics

  /// Mean and population standard deviation of each feature of n × d bytes.
  ///
  /// The sums of x and x² are exact in integers (255² · n fits easily), so
  /// the variance n·Σx² − (Σx)² has no cancellation error when it fits in Int.
  static func statistics(
    ofBytes pixels: UnsafeBufferPointer<UInt8>, count n: Int, width d: Int
  ) -> (mean: [Double], std: [Double]) {
    precondition(pixels.count == n * d && n > 0, "statistics of \(pixels.count) bytes, \(n)×\(d)")
    var sum = [Int](repeating: 0, count: d)
    var sumOfSquares = [Int](repeating: 0, count: d)
    sum.withUnsafeMutableBufferPointer { sum in
      sumOfSquares.withUnsafeMutableBufferPointer { sumOfSquares in
        for i in 0..<n {
          let row = i * d
          for j in 0..<d {
            let x = Int(pixels[row + j])
            sum[j] &+= x
            sumOfSquares[j] &+= x &* x
          }
        }
      }
    }
    var mean = [Double](repeating: 0, count: d)
    var std = [Double](repeating: 0, count: d)
    for j in 0..<d {
      mean[j] = Double(sum[j]) / Double(n)
      let (scaledSquares, overflow1) = n.multipliedReportingOverflow(by: sumOfSquares[j])
      let (squaredSum, overflow2) = sum[j].multipliedReportingOverflow(by: sum[j])
      let variance =
        overflow1 || overflow2
        ? Double(sumOfSquares[j]) / Double(n) - mean[j] * mean[j]
        : Double(scaledSquares - squaredSum) / (Double(n) * Double(n))
      std[j] = max(variance, 0).squareRoot()
    }
    return (mean, std)
  }

  /// Mean and population standard deviation of each feature of n × d values,
  /// accumulated in Double in two passes (the mean, then squared deviations
  /// from it, which avoids the cancellation of Σx² − n·μ²).
  static func statistics(
    of values: [Double], count n: Int, width d: Int
  ) -> (mean: [Double], std: [Double]) {
    precondition(values.count == n * d && n > 0, "statistics of \(values.count) values, \(n)×\(d)")
    var sum = [Double](repeating: 0, count: d)
    var low = [Double](repeating: .infinity, count: d)
    var high = [Double](repeating: -.infinity, count: d)
    for i in 0..<n {
      for j in 0..<d {
        let x = values[i * d + j]
        sum[j] += x
        low[j] = min(low[j], x)
        high[j] = max(high[j], x)
      }
    }
    // A constant column's mean is its value; Σx / n may miss it by an ulp,
    // and the deviations would then make σ tiny instead of exactly 0.
    let mean = (0..<d).map { j in low[j] == high[j] ? low[j] : sum[j] / Double(n) }
    var squares = [Double](repeating: 0, count: d)
    for i in 0..<n {
      for j in 0..<d {
        let deviation = values[i * d + j] - mean[j]
        squares[j] += deviation * deviation
      }
    }
    return (mean, squares.map { ($0 / Double(n)).squareRoot() })
  }

  // MARK: - Conversion

  /// x′ for every value of n × d row-major bytes, in S (n × d, row-major).
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  func apply<S: Scalar>(to bytes: UnsafeBufferPointer<UInt8>, as _: S.Type) -> [S] {
    guard let a = slope.first, let c = offset.first,
      slope.allSatisfy({ $0 == a }), offset.allSatisfy({ $0 == c })
    else { return affine(bytes, as: S.self) }

    // Without standardization every feature maps the same way, so the 256
    // possible results are computed once and the conversion is a lookup.
    let table = (0...255).map { S(Double($0) * a + c) }
    return [S](unsafeUninitializedCapacity: bytes.count) { output, initialized in
      table.withUnsafeBufferPointer { table in
        for i in 0..<bytes.count {
          output.initializeElement(at: i, to: table[Int(bytes[i])])
        }
      }
      initialized = bytes.count
    }
  }

  /// x′ for every value of n × d row-major doubles, in S (n × d, row-major).
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  func apply<S: Scalar>(to values: UnsafeBufferPointer<Double>, as _: S.Type) -> [S] {
    affine(values, as: S.self)
  }

  @_specialize(where S == Float, Source == UInt8)
  @_specialize(where S == Double, Source == UInt8)
  @_specialize(where S == Float, Source == Double)
  @_specialize(where S == Double, Source == Double)
  private func affine<S: Scalar, Source: FeatureValue>(
    _ values: UnsafeBufferPointer<Source>, as _: S.Type
  ) -> [S] {
    let d = slope.count
    guard d > 0 else { return [] }
    precondition(values.count % d == 0, "\(values.count) values in rows of \(d)")
    let n = values.count / d
    return [S](unsafeUninitializedCapacity: n * d) { output, initialized in
      slope.withUnsafeBufferPointer { slope in
        offset.withUnsafeBufferPointer { offset in
          for i in 0..<n {
            let row = i * d
            for j in 0..<d {
              let x = values[row + j].doubleValue * slope[j] + offset[j]
              output.initializeElement(at: row + j, to: S(x))
            }
          }
        }
      }
      initialized = n * d
    }
  }
}

/// A value type features are read as: bytes (IDX) or doubles (CSV).
protocol FeatureValue: Sendable {
  var doubleValue: Double { get }
}

extension UInt8: FeatureValue {
  var doubleValue: Double { Double(self) }
}

extension Double: FeatureValue {
  var doubleValue: Double { self }
}
