/// xoshiro256** seeded through SplitMix64: small, fast, and the same sequence
/// on every machine. Each use of randomness draws from its own named stream,
/// so that, say, a new validation split does not change the initial weights.
public struct RandomStream: Sendable {
  private var s0, s1, s2, s3: UInt64

  /// The stream `name` of run seed `seed`.
  public init(seed: UInt64, stream name: String) {
    // FNV-1a of the name picks the stream; SplitMix64 spreads seed and stream
    // over the 256-bit state, which must not be all zero.
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in name.utf8 {
      hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }
    var mix = seed ^ hash
    func next() -> UInt64 {
      mix &+= 0x9e37_79b9_7f4a_7c15
      var z = mix
      z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
      z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
      return z ^ (z >> 31)
    }
    s0 = next()
    s1 = next()
    s2 = next()
    s3 = next()
  }

  /// The generator's 256-bit state, for a checkpoint; `init(state:)` continues
  /// the sequence exactly where it was taken.
  public var state: [UInt64] { [s0, s1, s2, s3] }

  /// The stream continuing from a saved `state`; `nil` unless it holds four
  /// words, not all zero (xoshiro's one state that never leaves itself).
  public init?(state: [UInt64]) {
    guard state.count == 4, state.contains(where: { $0 != 0 }) else { return nil }
    (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3])
  }

  public mutating func next() -> UInt64 {
    let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
    let t = s1 << 17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = s3 << 45 | s3 >> 19
    return result
  }

  /// Uniform in [0, 1) with 53 random bits.
  public mutating func nextUnit() -> Double {
    Double(next() >> 11) * 0x1.0p-53
  }

  /// Uniform in 0..<bound, without modulo bias (Lemire's multiply-shift with rejection).
  public mutating func next(below bound: Int) -> Int {
    precondition(bound > 0, "empty range")
    let range = UInt64(bound)
    var product = next().multipliedFullWidth(by: range)
    if product.low < range {
      let threshold = (0 &- range) % range
      while product.low < threshold {
        product = next().multipliedFullWidth(by: range)
      }
    }
    return Int(product.high)
  }

  /// Fisher–Yates shuffle in place.
  public mutating func shuffle<T>(_ items: UnsafeMutableBufferPointer<T>) {
    guard items.count > 1 else { return }
    for i in stride(from: items.count - 1, to: 0, by: -1) {
      items.swapAt(i, next(below: i + 1))
    }
  }
}
