import Foundation
import TestSupport
import Testing

/// Fashion-MNIST comes from a Debian package that CI installs; a checkout
/// without it skips the case rather than fail.
private let fashionMNIST = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"

@Test(
  "two runs of a shipped spec write the same bytes",
  arguments: [
    ("specs/iris-softmax.yaml", [String]()),
    ("specs/digits-mlp.yaml", []),
    // Two epochs keep the test short; every code path of the full run is taken.
    ("specs/fashion-mnist-mlp.yaml", ["--set", "training.epochs=2"]),
  ])
func runsAreByteIdentical(_ spec: String, _ extra: [String]) throws {
  if spec.contains("fashion"), !FileManager.default.fileExists(atPath: fashionMNIST) { return }
  let first = try trainedRun(spec, extra)
  let second = try trainedRun(spec, extra)
  for file in recordedFiles {
    let a = try contents(first + "/" + file)
    #expect(!a.isEmpty)
    #expect(a == (try contents(second + "/" + file)), "\(file) differs between two runs")
  }
}

@Test func theRunRecordTracesTheRun() throws {
  let folder = try trainedRun("specs/iris-softmax.yaml", ["--set", "training.epochs=5"])
  let record = try jsonObject(folder + "/run.json")
  #expect(record["nnc_version"] as? String != nil)
  #expect(record["overrides"] as? [String] == ["training.epochs=5"])
  #expect((record["threads"] as? NSNumber)?.intValue ?? 0 >= 1)
  let machine = try #require(record["machine"] as? [String: Any])
  #expect((machine["openblas"] as? String)?.contains("OpenBLAS") == true)

  // The hashes agree with coreutils' sha256sum, an independent implementation.
  let data = try #require(record["data"] as? [String: [String: Any]])
  #expect(Set(data.keys) == ["data.train.csv", "data.test.csv"])
  if FileManager.default.fileExists(atPath: "/usr/bin/sha256sum") {
    let files = [
      ("specs/iris-softmax.yaml", record["spec_sha256"] as? String),
      ("specs/data/iris-train.csv", data["data.train.csv"]?["sha256"] as? String),
    ]
    for (file, recorded) in files {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
      process.arguments = [repositoryPath(file)]
      let pipe = Pipe()
      process.standardOutput = pipe
      try process.run()
      let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      process.waitUntilExit()
      #expect(recorded != nil && output.hasPrefix(recorded ?? "-"), "\(file)")
    }
  }

  // The resolved spec has every default filled in, and the override applied.
  let spec = try #require(record["spec"] as? [String: Any])
  let optimizer = try #require(spec["optimizer"] as? [String: Any])
  #expect((optimizer["momentum"] as? NSNumber)?.doubleValue == 0)
  #expect(optimizer["nesterov"] as? Bool == false)
  #expect((optimizer["schedule"] as? [String: Any])?["kind"] as? String == "constant")
  let training = try #require(spec["training"] as? [String: Any])
  #expect((training["epochs"] as? NSNumber)?.intValue == 5)
  #expect(training["patience"] is NSNull)
  let features = (spec["data"] as? [String: Any])?["features"] as? [String]
  #expect(features == ["sepal_length", "sepal_width", "petal_length", "petal_width"])

  // JSON as the README promises: sorted keys, one value per line.
  let text = try String(contentsOfFile: folder + "/run.json", encoding: .utf8)
  #expect(text.hasPrefix("{\n  \"data\": {"))
  #expect(!text.contains(", "))
  #expect(try jsonObject(folder + "/metrics.json")["epochs"] as? NSNumber == 5)
}

@Test func overridesAreCheckedLikeTheSpec() throws {
  let folder = try temporaryDirectory()
  let cases: [([String], String)] = [
    // Column 25: where the value starts in "optimizer.learning_rate=fast".
    (["optimizer.learning_rate=fast"], "--set:1:25: error: expected a number"),
    (["optimizer.learnig_rate=0.1"], "did you mean 'learning_rate'?"),
    (["model.layers[3].units=8"], "'model.layers' has 1 item, so [3] is out of range"),
    (["training.epochs"], "expected key.path=value"),
    // Checked against the data too: the planner points at the override.
    (["optimizer.batch_size=5000"], "--set:1:22: error: batch size 5000 is larger"),
  ]
  for (overrides, message) in cases {
    let run = try nnc(
      ["run", "specs/iris-softmax.yaml", "--output", folder + "/out"]
        + overrides.flatMap { ["--set", $0] })
    #expect(run.status == 1, "\(overrides)")
    #expect(run.stderr.contains(message), "\(overrides): \(run.stderr)")
  }
  #expect(!FileManager.default.fileExists(atPath: folder + "/out/metrics.json"))

  // Keys that are not written in the file are added; later overrides win.
  let run = try nnc([
    "run", "specs/digits-mlp.yaml", "--output", folder + "/ok", "--quiet",
    "--set", "training.epochs=9", "--set", "training.epochs=3",
    "--set", "data.validation=0.2", "--set",
    "optimizer.schedule={kind: step, every: 1, factor: 0.5}",
  ])
  #expect(run.status == 0, "\(run.stderr)")
  let metrics = try jsonObject(folder + "/ok/metrics.json")
  #expect((metrics["epochs"] as? NSNumber)?.intValue == 3)
  #expect(metrics["validation"] != nil)
  let rates = try csvRows(folder + "/ok/history.csv").dropFirst().map { Double($0[1]) }
  #expect(rates == [0.1, 0.05, 0.025])
}

@Test func curvesAreDrawnAndReportsCompareRuns() throws {
  let first = try trainedRun("specs/digits-mlp.yaml", ["--set", "training.epochs=4"])
  let second = try trainedRun(
    "specs/digits-mlp.yaml", ["--set", "training.epochs=6", "--set", "data.validation=0.1"])
  let curves = try String(contentsOfFile: first + "/curves.svg", encoding: .utf8)
  #expect(curves.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
  #expect(curves.contains(">Loss</text>") && curves.contains(">Accuracy</text>"))
  // Training and test, in each panel.
  #expect(curves.components(separatedBy: "<polyline").count - 1 == 4)

  let chart = try temporaryDirectory() + "/both.svg"
  let report = try nnc(["report", first, second, "--output", chart])
  #expect(report.status == 0, "\(report.stderr)")
  let svg = try String(contentsOfFile: chart, encoding: .utf8)
  // Both runs are called digits-mlp, so their folders label them; the
  // second adds validation lines: 2 + 3 lines per panel.
  #expect(svg.components(separatedBy: "<polyline").count - 1 == 10)
  #expect(svg.contains(first) && svg.contains(second))
  #expect(report.stdout.contains("epoch_limit"))
  #expect(report.stdout.split(separator: "\n").count == 4)

  let missing = try nnc(["report", first + "/nothing"])
  #expect(missing.status == 2)
}

@Test func progressIsABarOnATerminalAndLinesElsewhere() throws {
  // Not a terminal: plain epoch lines on stdout, no escape codes anywhere.
  let plain = try nnc([
    "run", "specs/digits-mlp.yaml", "--set", "training.epochs=2",
    "--output", try temporaryDirectory(),
  ])
  #expect(plain.status == 0)
  #expect(plain.stdout.contains("epoch 2/2"))
  #expect(!plain.stdout.contains("\u{1B}") && !plain.stderr.contains("\u{1B}"))
  #expect(!plain.stderr.contains("\r"))

  // A terminal, through script(1)'s pseudo-terminal: the bar, coloured
  // unless NO_COLOR is set, and nothing with --quiet.
  guard FileManager.default.fileExists(atPath: "/usr/bin/script") else { return }
  func onTerminal(_ arguments: String, environment: [String: String] = [:]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
    let command =
      "\(nncBinary) run specs/digits-mlp.yaml --set training.epochs=2 "
      + "--output \(try temporaryDirectory()) \(arguments)"
    process.arguments = ["-qec", command, "/dev/null"]
    process.currentDirectoryURL = URL(fileURLWithPath: repositoryPath(""))
    var variables = ProcessInfo.processInfo.environment
    variables["TERM"] = "xterm"
    variables["NO_COLOR"] = nil
    variables.merge(environment) { _, new in new }
    process.environment = variables
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: output, as: UTF8.self)
  }
  let colored = try onTerminal("")
  #expect(colored.contains("steps/s") && colored.contains("━"))
  #expect(colored.contains("\u{1B}[32m"))
  let uncolored = try onTerminal("", environment: ["NO_COLOR": "1"])
  #expect(uncolored.contains("steps/s"))
  #expect(!uncolored.contains("\u{1B}[32m"))
  let quiet = try onTerminal("--quiet")
  #expect(!quiet.contains("steps/s") && !quiet.contains("epoch 1/2"))
}
