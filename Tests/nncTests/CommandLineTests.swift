import Foundation
import TestSupport
import Testing

/// The built `nnc`, beside the test bundle in the build products folder.
let nncBinary: String = {
  var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
  while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("nnc").path),
    folder.path != "/"
  {
    folder.deleteLastPathComponent()
  }
  return folder.appendingPathComponent("nnc").path
}()

struct Outcome {
  var status: Int32
  var stdout: String
  var stderr: String
}

/// Runs nnc with `arguments` in `directory` and collects its output.
func nnc(_ arguments: [String], in directory: String = repositoryPath("")) throws -> Outcome {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: nncBinary)
  process.arguments = arguments
  process.currentDirectoryURL = URL(fileURLWithPath: directory)
  let out = Pipe()
  let err = Pipe()
  process.standardOutput = out
  process.standardError = err
  try process.run()
  // Read both pipes to the end before waiting, so a full pipe cannot block nnc.
  let outData = out.fileHandleForReading.readDataToEndOfFile()
  let errData = err.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return Outcome(
    status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
    stderr: String(decoding: errData, as: UTF8.self))
}

func temporaryDirectory() throws -> String {
  let path = NSTemporaryDirectory() + "nnc-test-" + UUID().uuidString
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

@Test func versionAndHelp() throws {
  let version = try nnc(["--version"])
  #expect(version.status == 0)
  #expect(version.stdout.hasPrefix("nnc "))
  let help = try nnc(["--help"])
  #expect(help.status == 0)
  #expect(help.stdout.contains("usage: nnc <command>"))
  let runHelp = try nnc(["run", "--help"])
  #expect(runHelp.status == 0)
  #expect(runHelp.stdout.contains("usage: nnc run SPEC"))
}

@Test func usageErrorsExitWithTwo() throws {
  let unknown = try nnc(["valdate"])
  #expect(unknown.status == 2)
  #expect(unknown.stderr.contains("unknown command 'valdate'; did you mean 'validate'?"))
  let option = try nnc(["run", "specs/iris-softmax.yaml", "--ouptut", "x"])
  #expect(option.status == 2)
  #expect(option.stderr.contains("did you mean '--output'"))
  let none = try nnc(["run"])
  #expect(none.status == 2)
}

@Test func runWritesMetricsHistoryAndWeights() throws {
  let output = try temporaryDirectory()
  let run = try nnc(["run", "specs/iris-softmax.yaml", "--output", output, "--quiet"])
  #expect(run.status == 0, "\(run.stderr)")
  #expect(run.stdout.contains("results in \(output)"))

  let metricsData = try Data(contentsOf: URL(fileURLWithPath: output + "/metrics.json"))
  let metrics = try #require(try JSONSerialization.jsonObject(with: metricsData) as? [String: Any])
  let test = try #require(metrics["test"] as? [String: Any])
  let train = try #require(metrics["train"] as? [String: Any])
  #expect(test["loss"] is NSNumber && train["loss"] is NSNumber)
  let accuracy = try #require((test["accuracy"] as? NSNumber)?.doubleValue)
  // Softmax regression separates iris's 30 held-out flowers almost perfectly.
  #expect(accuracy >= 0.9)
  #expect(metrics["stop_reason"] as? String != nil)
  #expect((metrics["epochs"] as? NSNumber)?.intValue ?? 0 > 0)

  let history = try String(contentsOfFile: output + "/history.csv", encoding: .utf8)
  let lines = history.split(separator: "\n")
  #expect(lines.first?.hasPrefix("epoch,learning_rate,train_loss") == true)
  #expect(lines.count == ((metrics["epochs"] as? NSNumber)?.intValue ?? 0) + 1)

  // safetensors: 8-byte header length, JSON header naming each tensor.
  let weights = try Data(contentsOf: URL(fileURLWithPath: output + "/weights.safetensors"))
  let headerLength = weights.prefix(8).enumerated().reduce(0) {
    $0 | Int($1.element) << (8 * $1.offset)
  }
  let header = try #require(
    try JSONSerialization.jsonObject(with: weights.subdata(in: 8..<8 + headerLength))
      as? [String: Any])
  let weight = try #require(header["layers.0.weight"] as? [String: Any])
  #expect(weight["shape"] as? [Int] == [4, 3])
  #expect(weight["dtype"] as? String == "F32")
  #expect(weights.count == 8 + headerLength + (4 * 3 + 3) * 4)
}

@Test func anInvalidSpecExitsWithOneAndNamesThePosition() throws {
  let folder = try temporaryDirectory()
  let spec = folder + "/bad.yaml"
  try """
  data:
    train: {csv: \(repositoryPath("specs/data/iris-train.csv"))}
    label: species
  model:
    layers:
      - {units: 4, activation: softmax}
  loss: nll
  optimizer: {kind: sgd, learning_rate: 0.1}
  training: {epochs: 3}
  """.write(toFile: spec, atomically: true, encoding: .utf8)
  let run = try nnc(["run", spec, "--output", folder + "/out"])
  #expect(run.status == 1)
  // The output layer has 4 units for iris's 3 classes: reported at the units value.
  #expect(run.stderr.contains("bad.yaml:6:15: error:"), "\(run.stderr)")
  #expect(run.stderr.contains("3 classes"))
  #expect(!FileManager.default.fileExists(atPath: folder + "/out/metrics.json"))
}
