import Planner
import SpecParser

@testable import Runtime

// The IDX path as `nnc run` drives it, from memory: an images file and a
// labels file, each raw or gzip-compressed, through the header-only probe
// and the full load. The input holds both files: a 2-byte big-endian length
// n, then the images file's n bytes, then the labels file (n is cut to what
// is there). The test set is the same pair. The input's length picks
// standardization (bit 0) and float64 (bit 1).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  guard bytes.count >= 2 else { return 0 }
  let rest = bytes[2...]
  let cut = min(Int(bytes[0]) << 8 | Int(bytes[1]), rest.count)
  let images = Array(rest.prefix(cut))
  let labels = Array(rest.dropFirst(cut))

  // The readers on their own, as both kinds, with no file system between.
  for file in [images, labels] {
    guard let decoded = try? ByteInput.decode(file, path: "file", byteLimit: 1 << 20) else {
      continue
    }
    _ = try? IDXReader.parse(decoded, as: .images, path: "file")
    _ = try? IDXReader.parse(decoded, as: .labels, path: "file").checkClassesPresent()
  }

  // A 1 MiB budget per file, so that inflating a gzip bomb is refused early.
  let files = DataFiles.memory(
    [
      "train-images": images, "train-labels": labels, "test-images": images,
      "test-labels": labels,
    ],
    byteLimit: 1 << 20)
  let spec = DataSpec(
    train: .idx(images: "train-images", labels: "train-labels"),
    test: .idx(images: "test-images", labels: "test-labels"),
    scale: 1.0 / 255, standardize: size & 1 != 0)
  do {
    let shape = try DataProbe.shape(of: spec, in: files)
    if size & 2 != 0 {
      _ = try DataLoader.load(spec, shape: shape, as: Double.self, from: files)
    } else {
      _ = try DataLoader.load(spec, shape: shape, as: Float.self, from: files)
    }
  } catch {
    _ = error.description
  }
  return 0
}
