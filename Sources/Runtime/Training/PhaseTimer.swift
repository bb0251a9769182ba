#if canImport(Glibc)
  import Glibc
#endif

/// Attributes wall time to the kinds of work in a training step, for
/// `nnc bench`. Each `mark` charges the time since the previous mark to the
/// phase just finished; a network without a timer skips the clock entirely.
public final class PhaseTimer {
  public enum Phase: Int, CaseIterable, Sendable {
    case data, forwardGEMM, backwardGEMM, elementwise, optimizer

    public var name: String {
      switch self {
      case .data: "data"
      case .forwardGEMM: "forward_gemm"
      case .backwardGEMM: "backward_gemm"
      case .elementwise: "elementwise"
      case .optimizer: "optimizer"
      }
    }
  }

  public private(set) var seconds = [Double](repeating: 0, count: Phase.allCases.count)
  private var last: Double

  public init() {
    last = PhaseTimer.now()
  }

  /// Starts a new interval without charging the time before it.
  public func restart() {
    last = Self.now()
  }

  @inline(__always)
  public func mark(_ phase: Phase) {
    let now = Self.now()
    seconds[phase.rawValue] += now - last
    last = now
  }

  @inline(__always)
  static func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
  }
}
