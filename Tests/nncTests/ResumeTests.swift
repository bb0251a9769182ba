import Foundation
import TestSupport
import Testing

/// The files that say where training ended: equal bytes mean equal runs.
private let resultFiles = ["metrics.json", "history.csv", "weights.safetensors", "curves.svg"]

@Test func resumingFromAPeriodicCheckpointEndsWithTheSameBits() throws {
  // The overrides are recorded in the weights' metadata, so both runs name the same.
  let uninterrupted = try trainedRun(
    "specs/digits-mlp.yaml", ["--set", "training.epochs=6", "--set", "training.checkpoint=2"])

  // Four epochs with a checkpoint every two, then resumed with six.
  let folder = try trainedRun(
    "specs/digits-mlp.yaml", ["--set", "training.epochs=4", "--set", "training.checkpoint=2"])
  #expect(FileManager.default.fileExists(atPath: folder + "/checkpoint.safetensors"))
  let resume = try nnc([
    "run", "specs/digits-mlp.yaml", "--output", folder, "--resume", "--quiet",
    "--set", "training.epochs=6", "--set", "training.checkpoint=2",
  ])
  #expect(resume.status == 0, "\(resume.stderr)")
  for file in resultFiles {
    #expect(try contents(folder + "/" + file) == contents(uninterrupted + "/" + file), "\(file)")
  }
  let record = try jsonObject(folder + "/run.json")
  #expect((record["resumed_from"] as? [String: Any])?["epoch"] as? NSNumber == 4)

  // The checkpoint belongs to this spec: another learning rate is refused,
  // the difference named.
  let other = try nnc([
    "run", "specs/digits-mlp.yaml", "--output", folder, "--resume",
    "--set", "training.epochs=6", "--set", "optimizer.learning_rate=0.2",
  ])
  #expect(other.status == 3)
  #expect(other.stderr.contains("optimizer.learning_rate is 0.1 in the checkpoint but 0.2 now"))
}

@Test func resumingWithoutACheckpointIsAUsageError() throws {
  let run = try nnc([
    "run", "specs/iris-softmax.yaml", "--output", try temporaryDirectory(), "--resume",
  ])
  #expect(run.status == 2)
  #expect(run.stderr.contains("nothing to resume"))
}

@Test func ctrlCSavesACheckpointThatResumesToTheSameBits() throws {
  let epochs = ["--set", "training.epochs=60"]
  let uninterrupted = try trainedRun("specs/digits-mlp.yaml", epochs)

  // Interrupt as soon as the first epoch line is out: well inside an epoch.
  let folder = try temporaryDirectory() + "/run"
  let process = Process()
  process.executableURL = URL(fileURLWithPath: nncBinary)
  process.arguments = ["run", "specs/digits-mlp.yaml", "--output", folder] + epochs
  process.currentDirectoryURL = URL(fileURLWithPath: repositoryPath(""))
  let out = Pipe()
  let err = Pipe()
  process.standardOutput = out
  process.standardError = err
  try process.run()
  var printed = Data()
  while !printed.contains(UInt8(ascii: "\n")) {
    let piece = out.fileHandleForReading.availableData
    if piece.isEmpty { break }
    printed.append(piece)
  }
  process.interrupt()
  printed.append(out.fileHandleForReading.readDataToEndOfFile())
  let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
  process.waitUntilExit()

  #expect(process.terminationStatus == 130, "\(stderr)")
  #expect(stderr.contains("continue with: nnc run specs/digits-mlp.yaml --resume"))
  let metrics = try jsonObject(folder + "/metrics.json")
  #expect(metrics["stop_reason"] as? String == "interrupted")
  let epochsDone = try #require((metrics["epochs"] as? NSNumber)?.intValue)
  #expect(epochsDone < 60)
  #expect(try csvRows(folder + "/history.csv").count == epochsDone + 1)

  // The checkpoint loads and continues to exactly the uninterrupted result.
  let resume = try nnc(
    ["run", "specs/digits-mlp.yaml", "--output", folder, "--resume", "--quiet"] + epochs)
  #expect(resume.status == 0, "\(resume.stderr)")
  for file in resultFiles {
    #expect(try contents(folder + "/" + file) == contents(uninterrupted + "/" + file), "\(file)")
  }
  // No temporary file was left behind by the atomic writes, and the finished
  // run keeps no checkpoint that a second --resume would retrain from.
  let left = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
  #expect(left == (resultFiles + ["run.json"]).sorted())
}

@Test func aNewRunRemovesAStaleCheckpoint() throws {
  // An interrupted run's checkpoint, then a new run (no --resume) into the
  // same folder: the old state must not be left for a later --resume.
  let folder = try trainedRun(
    "specs/digits-mlp.yaml", ["--set", "training.epochs=2", "--set", "training.checkpoint=1"])
  #expect(FileManager.default.fileExists(atPath: folder + "/checkpoint.safetensors"))
  let again = try nnc([
    "run", "specs/digits-mlp.yaml", "--output", folder, "--quiet", "--set", "training.epochs=1",
  ])
  #expect(again.status == 0, "\(again.stderr)")
  #expect(!FileManager.default.fileExists(atPath: folder + "/checkpoint.safetensors"))
  let resume = try nnc(["run", "specs/digits-mlp.yaml", "--output", folder, "--resume"])
  #expect(resume.status == 2)
  #expect(resume.stderr.contains("nothing to resume"))
}
