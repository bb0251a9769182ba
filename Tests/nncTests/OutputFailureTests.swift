import Foundation
import TestSupport
import Testing

/// Runs nnc with stdout going to `path` (a device) and stderr collected.
func nnc(_ arguments: [String], stdoutTo path: String) throws -> (status: Int32, stderr: String) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: nncBinary)
  process.arguments = arguments
  process.currentDirectoryURL = URL(fileURLWithPath: repositoryPath(""))
  process.standardOutput = try #require(FileHandle(forWritingAtPath: path))
  let err = Pipe()
  process.standardError = err
  try process.run()
  let errData = err.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: errData, as: UTF8.self))
}

@Test(
  "output that cannot be written is exit 5",
  .enabled(if: FileManager.default.fileExists(atPath: "/dev/full")),
  arguments: [["schema"], ["--help"], ["plan", "specs/iris-softmax.yaml"]])
func aFullStdoutIsAnOutputError(_ arguments: [String]) throws {
  let outcome = try nnc(arguments, stdoutTo: "/dev/full")
  #expect(outcome.status == 5)
  #expect(outcome.stderr.contains("could not write to standard output"))
}

@Test func anOptionIsNotAnotherOptionsValue() throws {
  let run = try nnc(["run", "specs/iris-softmax.yaml", "--output", "--quiet"])
  #expect(run.status == 2)
  #expect(run.stderr.contains("--output needs a value"))
}

@Test func predictionsWrittenToALinkReplaceItsTarget() throws {
  let folder = try temporaryDirectory()
  let run = try nnc(["run", "specs/iris-softmax.yaml", "--output", folder + "/run", "--quiet"])
  #expect(run.status == 0, "\(run.stderr)")
  try "old\n".write(toFile: folder + "/target.csv", atomically: true, encoding: .utf8)
  try FileManager.default.createSymbolicLink(
    atPath: folder + "/link.csv", withDestinationPath: folder + "/target.csv")
  let predict = try nnc([
    "predict", "specs/iris-softmax.yaml", "--weights", folder + "/run/weights.safetensors",
    "--input", "specs/data/iris-test.csv", "--output", folder + "/link.csv",
  ])
  #expect(predict.status == 0, "\(predict.stderr)")
  let link = try FileManager.default.destinationOfSymbolicLink(atPath: folder + "/link.csv")
  #expect(link == folder + "/target.csv")
  let written = try String(contentsOfFile: folder + "/target.csv", encoding: .utf8)
  #expect(written.hasPrefix("class,p_setosa,p_versicolor,p_virginica\n"))
}
