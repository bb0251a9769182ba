import Foundation
import TestSupport
import Testing

/// A model shape for `nnc gradcheck`: hidden activation (nil: no hidden
/// layer), output activation with its loss, and bias on or off.
struct CheckedModel: CustomTestStringConvertible, Sendable {
  var hidden: String?
  var output: String
  var loss: String
  var bias: Bool
  var testDescription: String {
    "\(hidden ?? "no hidden") → \(output)/\(loss)\(bias ? "" : " without bias")"
  }
}

let checkedModels: [CheckedModel] = {
  let outputs = [
    ("softmax", "nll"), ("sigmoid", "nll"), ("identity", "quadratic"), ("sigmoid", "quadratic"),
    ("tanh", "quadratic"), ("relu", "quadratic"),
  ]
  var models: [CheckedModel] = []
  for hidden in [nil, "identity", "sigmoid", "tanh", "relu"] {
    for (output, loss) in outputs {
      for bias in [true, false] {
        models.append(CheckedModel(hidden: hidden, output: output, loss: loss, bias: bias))
      }
    }
  }
  return models
}()

/// A folder with three small CSV files (6 features, 24 rows): three string
/// classes, two string classes, and two numeric targets.
let gradientCheckData: String = {
  let folder = NSTemporaryDirectory() + "nnc-gradcheck-" + UUID().uuidString
  try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
  var three = "a,b,c,d,e,f,kind\n"
  var two = "a,b,c,d,e,f,kind\n"
  var numeric = "a,b,c,d,e,f,s,t\n"
  for row in 0..<24 {
    // Fixed, irregular values: no randomness in the test data itself.
    let x = (0..<6).map { j in Double((row * 7 + j * 13) % 17) / 8 - 1 }
    let text = x.map { String($0) }.joined(separator: ",")
    three += text + "," + ["cat", "dog", "eel"][row % 3] + "\n"
    two += text + "," + ["no", "yes"][(row / 2) % 2] + "\n"
    numeric += text + ",\(x[0] - x[3] + 0.5),\(x[1] * x[2])\n"
  }
  try? three.write(toFile: folder + "/three.csv", atomically: true, encoding: .utf8)
  try? two.write(toFile: folder + "/two.csv", atomically: true, encoding: .utf8)
  try? numeric.write(toFile: folder + "/numeric.csv", atomically: true, encoding: .utf8)
  return folder
}()

/// Writes the spec of `model` next to the data and returns its path.
func gradientCheckSpec(_ model: CheckedModel, name: String) throws -> String {
  let data: String
  let units: Int
  switch (model.output, model.loss) {
  case ("softmax", _): (data, units) = ("{csv: three.csv}\n  label: kind", 3)
  case (_, "nll"): (data, units) = ("{csv: two.csv}\n  label: kind", 1)
  default: (data, units) = ("{csv: numeric.csv}\n  targets: [s, t]", 2)
  }
  var layers = ""
  if let hidden = model.hidden {
    layers += "    - {units: 5, activation: \(hidden), bias: \(model.bias)}\n"
    layers += "    - {units: 4, activation: \(hidden), bias: \(model.bias)}\n"
  }
  layers += "    - {units: \(units), activation: \(model.output), bias: \(model.bias)}\n"
  let spec = """
    name: \(name)
    seed: 2
    data:
      train: \(data)
    model:
      layers:
    \(layers)loss: \(model.loss)
    regularization: {l2: 0.01}
    optimizer: {kind: sgd, learning_rate: 0.1, batch_size: 4}
    training: {epochs: 1}
    """
  let path = gradientCheckData + "/\(name).yaml"
  try spec.write(toFile: path, atomically: true, encoding: .utf8)
  return path
}

@Suite("nnc gradcheck")
struct GradientCheckCommandTests {
  @Test("passes on every activation, loss and bias combination", arguments: checkedModels)
  func everyCombination(_ model: CheckedModel) throws {
    let name = model.testDescription.map { $0.isLetter || $0.isNumber ? $0 : "-" }
    let spec = try gradientCheckSpec(model, name: String(name))
    // More rows than the spec's batch of 4: the check sizes its own batch.
    let run = try nnc(["gradcheck", spec, "--rows", "10"])
    #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
    #expect(run.stdout.contains("10 training rows"))
    #expect(run.stdout.hasSuffix("gradient check passed\n"))
    let layers = model.hidden == nil ? 1 : 3
    #expect(run.stdout.components(separatedBy: "\nlayer ").count == layers + 1)
    #expect(!run.stdout.contains("FAILED"))
  }

  @Test("passes on every shipped spec")
  func shippedSpecs() throws {
    let specs = try FileManager.default.contentsOfDirectory(atPath: repositoryPath("specs"))
      .filter { $0.hasSuffix(".yaml") }.sorted()
    #expect(specs.count >= 8)
    for spec in specs {
      if spec.hasPrefix("fashion-mnist"),
        !FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist")
      {
        continue
      }
      let run = try nnc(["gradcheck", "specs/" + spec])
      #expect(run.status == 0, "\(spec): \(run.stdout)\(run.stderr)")
      #expect(run.stdout.hasSuffix("gradient check passed\n"), "\(spec)")
    }
  }

  @Test("exits 6 and marks the layer when an error exceeds the threshold")
  func failure() throws {
    let spec = try gradientCheckSpec(
      CheckedModel(hidden: "tanh", output: "softmax", loss: "nll", bias: true), name: "strict")
    // Central differences in float64 are good to about 1e-10, never to 1e-20.
    let run = try nnc(["gradcheck", spec, "--threshold", "1e-20"])
    #expect(run.status == 6)
    #expect(run.stdout.contains("FAILED"))
    #expect(run.stdout.hasSuffix("gradient check failed\n"))
  }

  @Test("a large block is checked on evenly spaced entries")
  func sampledEntries() throws {
    let run = try nnc(["gradcheck", "specs/digits-mlp.yaml", "--entries", "100"])
    #expect(run.status == 0, "\(run.stderr)")
    // layers.0.weight is 64 × 64: every 41st entry.
    #expect(run.stdout.contains("over 100 of 4096 entries"), "\(run.stdout)")
    #expect(run.stdout.contains("over 64 of 64 entries"))
  }

  @Test("rejects bad options with the usage exit code")
  func usage() throws {
    for arguments in [
      ["--threshold", "0"], ["--threshold", "-1"], ["--threshold", "inf"],
      ["--threshold", "tiny"], ["--rows", "0"], ["--entries", "0"],
    ] {
      let run = try nnc(["gradcheck", "specs/iris-softmax.yaml"] + arguments)
      #expect(run.status == 2, "\(arguments)")
    }
    #expect(try nnc(["gradcheck"]).status == 2)
    #expect(try nnc(["gradcheck", "--help"]).stdout.contains("usage: nnc gradcheck SPEC"))
  }
}
