/// Relative closeness with an absolute floor, for comparing floats against references:
/// |a − b| ≤ rtol · max(|a|, |b|) + atol.
public func isClose(
  _ a: Double, _ b: Double, relative rtol: Double, absolute atol: Double = 0
) -> Bool {
  guard a.isFinite, b.isFinite else { return a == b }
  return abs(a - b) <= rtol * max(abs(a), abs(b)) + atol
}

/// The largest relative difference |a − b| / max(|a|, |b|, floor) over two equal-length arrays.
public func worstRelativeError(_ a: [Double], _ b: [Double], floor: Double = 1e-12) -> Double {
  precondition(a.count == b.count, "compared arrays differ in length: \(a.count) vs \(b.count)")
  var worst = 0.0
  for (x, y) in zip(a, b) {
    worst = max(worst, abs(x - y) / max(abs(x), abs(y), floor))
  }
  return worst
}
