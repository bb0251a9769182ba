import Foundation
import TestSupport
import Testing

/// `nnc plan --format json` read back as nested dictionaries.
func planJSON(
  _ arguments: [String], in folder: String = repositoryPath("")
) throws -> [String: Any] {
  let outcome = try nnc(["plan", "--format", "json"] + arguments, in: folder)
  #expect(outcome.status == 0, "\(outcome.stderr)")
  let object = try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8))
  guard let plan = object as? [String: Any] else { throw FixtureError.notAnObject("plan") }
  return plan
}

@Suite struct PlanTests {
  @Test func irisFiguresByHand() throws {
    let plan = try planJSON(["specs/iris-softmax.yaml"])
    // 120 training rows, full batch: B = 120, and evaluation needs no more rows.
    #expect(plan["batch_size"] as? Int == 120)
    #expect(plan["evaluation_batch_size"] as? Int == 120)

    let layers = try #require(plan["layers"] as? [[String: Any]])
    #expect(layers.count == 1)
    #expect(layers[0]["input_shape"] as? [Int] == [4])
    #expect(layers[0]["output_shape"] as? [Int] == [3])
    #expect(layers[0]["activation"] as? String == "softmax")
    #expect(layers[0]["parameters"] as? Int == 15)
    // λ = 0.01 touches the 12 weights, never the 3 biases.
    #expect(layers[0]["l2_blocks"] as? [String] == ["layers.0.weight"])
    #expect(layers[0]["l2_parameters"] as? Int == 12)

    let arena = try #require(plan["arena"] as? [String: Any])
    let buffers = try #require(arena["buffers"] as? [[String: Any]])
    #expect(
      buffers.map { "\($0["name"] ?? "") \($0["offset"] ?? "") \($0["count"] ?? "")" } == [
        "input 0 480", "layers.0.activations 480 360", "layers.0.deltas 840 360",
        "targets 1200 0", "ones 1200 120",
      ])

    let memory = try #require(plan["memory"] as? [String: Any])
    #expect(memory["parameters"] as? Int == 15 * 4)
    #expect(memory["gradient"] as? Int == 15 * 4)
    #expect(memory["optimizer_state"] as? Int == 0)
    #expect(memory["activations"] as? Int == 1320 * 4)
    #expect(memory["batch_labels"] as? Int == 120 * 4)
    #expect(memory["arena"] as? Int == 5880)
    #expect(memory["trainer"] as? Int == 15 * 4 + 120 * 4)
    // 150 examples of 4 float32 features and an Int32 label.
    #expect(memory["data"] as? Int == 150 * 20)
    #expect(memory["total"] as? Int == 9420)

    let flops = try #require(plan["flops"] as? [String: Any])
    // Forward 2·4·3 + 3; backward ∂W 2·4·3 and ∂b 2·3 (no layer below).
    #expect(flops["forward_per_example"] as? Int == 27)
    #expect(flops["backward_per_example"] as? Int == 30)
    #expect(flops["forward_per_epoch"] as? Int == 27 * 120)
    #expect(flops["backward_per_epoch"] as? Int == 30 * 120)
    #expect(flops["evaluation_per_epoch"] as? Int == 27 * 30)
  }

  @Test func newtonPlansShowTheHessian() throws {
    let plan = try planJSON(["valid/newton-logistic.yaml"], in: validateFixtures)
    // 30 features and a bias, one sigmoid unit: P = 31.
    let parameters = try #require(plan["parameters"] as? [String: Any])
    #expect(parameters["count"] as? Int == 31)
    #expect(parameters["hessian_count"] as? Int == 961)
    // validation = round(0.1 · 455) = 46 rows, so n = 409 training rows:
    // 8 · (2·961 + 2·409·31 + 31² + 2·409·1 + 4·31) bytes.
    let memory = try #require(plan["memory"] as? [String: Any])
    #expect(memory["newton"] as? Int == 8 * (1922 + 25_358 + 961 + 818 + 124))
    // 4·409·31 + (409·31 + 2·409·31²) + ⌊31³/3⌋ + 2·31².
    let flops = try #require(plan["flops"] as? [String: Any])
    #expect(flops["newton_per_iteration"] as? Int == 50_716 + 798_777 + 9930 + 1922)

    let text = try nnc(["plan", "valid/newton-logistic.yaml"], in: validateFixtures)
    #expect(text.stdout.contains("Newton's Hessian: P × P = 961 elements (hessianCount)"))
  }

  @Test func everyShippedSpecShowsMemoryAndOperations() throws {
    let specs = try FileManager.default.contentsOfDirectory(atPath: repositoryPath("specs"))
      .filter { $0.hasSuffix(".yaml") }.sorted()
    #expect(!specs.isEmpty)
    for spec in specs {
      let outcome = try nnc(["plan", "specs/" + spec])
      #expect(outcome.status == 0, "\(spec): \(outcome.stderr)")
      for part in ["layers:", "arena:", "memory:", "total", "FLOPs", "forward", "backward"] {
        #expect(outcome.stdout.contains(part), "\(spec) lacks \(part)")
      }
    }
  }

  @Test func aPlanOverTheBudgetFailsWithTheFigure() throws {
    // 300 kB holds the 212 kB training file but not the 1.08 MiB plan.
    let outcome = try nnc(["plan", "specs/digits-mlp.yaml", "--max-memory", "300kB"])
    #expect(outcome.status == 1)
    // 300 kB = 300,000 bytes = 293 KiB.
    #expect(
      outcome.stderr.contains("more than the memory budget of 293 KiB (set by --max-memory)"),
      "\(outcome.stderr)")
    #expect(outcome.stdout.isEmpty)
  }

  @Test func invalidSpecsAndDataFailAsInValidate() throws {
    let invalid = try nnc(["plan", "classes-vs-units.yaml"], in: validateFixtures)
    #expect(invalid.status == 1)
    #expect(invalid.stderr.contains("classes-vs-units.yaml:9:15: error:"))
    let missing = try nnc(["plan", "missing-train-file.yaml"], in: validateFixtures)
    #expect(missing.status == 3)
    #expect(try nnc(["plan", "--format", "yaml", "specs/iris-softmax.yaml"]).status == 2)
    #expect(try nnc(["plan", "specs/iris-softmax.yaml", "specs/digits-mlp.yaml"]).status == 2)
  }

  @Test func runRefusesAPlanOverTheBudgetBeforeTraining() throws {
    let output = try temporaryDirectory()
    let run = try nnc([
      "run", "specs/iris-softmax.yaml", "--output", output, "--max-memory", "5000",
    ])
    // 5000 bytes hold the 3.1 kB training file but not the 9.2 KiB plan.
    #expect(run.status == 1)
    #expect(run.stderr.contains("more than the memory budget of 4.88 KiB (set by --max-memory)"))
    #expect(!FileManager.default.fileExists(atPath: output + "/metrics.json"))
  }

  @Test func aDataFileOverTheBudgetIsRefusedBeforeItIsRead() throws {
    let run = try nnc(["run", "specs/iris-softmax.yaml", "--max-memory", "1000", "--quiet"])
    #expect(run.status == 3)
    #expect(
      run.stderr.contains("the file holds 3098 bytes, more than the memory budget of 1000 bytes"))
  }
}
