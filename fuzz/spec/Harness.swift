import Planner
import SpecParser

// The spec front end as `nnc validate` drives it: bytes → YAML tree → typed
// spec → plan. The planner runs against fixed shapes (no data files are
// read) so that every spec the decoder accepts also exercises planning.

/// Shapes the planner sees: 3 classes, 2 classes (sigmoid outputs) and a
/// 2-target regression, each with 4 features.
private let shapes = [
  DataShape(
    trainCount: 120, testCount: 30, featureNames: ["a", "b", "c", "d"],
    task: .classification(classes: ["x", "y", "z"])),
  DataShape(
    trainCount: 7, testCount: nil, featureNames: ["a", "b", "c", "d"],
    task: .classification(classes: ["0", "1"])),
  DataShape(
    trainCount: 50, testCount: 10, featureNames: ["a", "b", "c", "d"],
    task: .regression(targets: ["t", "u"])),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSpec(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  let decoded: DecodedSpec
  do {
    decoded = try SpecReader.decode(bytes: bytes, file: "fuzz/spec.yaml")
  } catch {
    // Rendering is part of the path to the user: it must not trap either.
    _ = error.description
    return 0
  }
  for warning in decoded.warnings { _ = warning.description }
  for shape in shapes {
    do {
      _ = try Planner.plan(decoded.spec, shape: shape)
    } catch {
      _ = error.description
    }
  }
  return 0
}
