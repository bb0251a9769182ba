import Foundation
import TestSupport

/// A file under `Tests/RuntimeTests/Fixtures/data/`.
func dataFixture(_ name: String) -> String {
  repositoryPath("Tests/RuntimeTests/Fixtures/data/\(name)")
}

/// Pixel p of fixture training image k, as `make_fixtures.py` writes it.
func dataFixturePixel(_ k: Int, _ p: Int) -> UInt8 {
  UInt8((k * 40 + p * 7) % 256)
}

/// Writes `text` to a fresh file in a per-process scratch folder and returns its path.
func dataScratchFile(_ name: String, _ text: String) throws -> String {
  try dataScratchFile(name, bytes: Array(text.utf8))
}

func dataScratchFile(_ name: String, bytes: [UInt8]) throws -> String {
  let folder = FileManager.default.temporaryDirectory
    .appendingPathComponent("nnc-data-tests-\(ProcessInfo.processInfo.processIdentifier)")
  try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  let url = folder.appendingPathComponent("\(UUID().uuidString)-\(name)")
  try Data(bytes).write(to: url)
  return url.path
}

/// A deterministic generator for the fuzz tests (SplitMix64).
struct DataFuzzRandom: RandomNumberGenerator {
  var state: UInt64

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
