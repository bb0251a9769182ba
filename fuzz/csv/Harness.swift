import Planner
import SpecParser

@testable import Runtime

// The CSV path as `nnc run` drives it, from memory: bytes (gzip-inflated
// when they start with its magic) → table → selected columns → shape probe →
// loaded, scaled examples. The file's last column is the one predicted, so
// that any file with a header gets past the column lookup.
//
// A form feed (0x0C) splits the input into a training and a test file;
// without one, both are the same bytes. The input's length picks the rest
// of the spec, so every choice is reachable from any content:
// bit 0 regression instead of classification, bit 1 `missing: drop`,
// bit 2 standardization, bit 3 float64 instead of float32, bit 4 a scale.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  let parts = bytes.split(separator: 0x0C, maxSplits: 1, omittingEmptySubsequences: false)
  let train = Array(parts[0])
  let test = parts.count > 1 ? Array(parts[1]) : train

  // A 1 MiB budget per file, so that inflating a gzip bomb is refused early.
  let files = DataFiles.memory(["train.csv": train, "test.csv": test], byteLimit: 1 << 20)
  guard let text = try? ByteInput.decode(train, path: "train.csv", byteLimit: 1 << 20),
    let table = try? CSVReader.parse(text, path: "train.csv"),
    let predicted = table.columns.last
  else { return 0 }

  let regression = size & 1 != 0
  let spec = DataSpec(
    train: .csv(path: "train.csv"), test: .csv(path: "test.csv"),
    label: regression ? nil : predicted, targets: regression ? [predicted] : nil,
    scale: size & 16 != 0 ? 0.5 : nil, standardize: size & 4 != 0,
    missing: size & 2 != 0 ? .drop : .error)
  do {
    let shape = try DataProbe.shape(of: spec, in: files)
    if size & 8 != 0 {
      let loaded = try DataLoader.load(spec, shape: shape, as: Double.self, from: files)
      for report in loaded.dropped { _ = report.description }
    } else {
      _ = try DataLoader.load(spec, shape: shape, as: Float.self, from: files)
    }
  } catch {
    _ = error.description
  }
  return 0
}
