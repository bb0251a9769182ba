import Planner
import SpecParser
import TestSupport
import Testing

@testable import Runtime

/// One convex single-layer model for the Newton solver's own tests.
struct NewtonCase: CustomTestStringConvertible, Sendable {
  var objective: Objective
  var bias: Bool
  var lambda: Double
  var testDescription: String {
    "\(objective.rawValue)\(bias ? "" : " without bias"), λ = \(lambda)"
  }
}

let newtonCases: [NewtonCase] = [Objective.sigmoidCrossEntropy, .softmaxCrossEntropy, .quadratic]
  .flatMap { objective in
    [true, false].flatMap { bias in
      [0, 0.3].map { NewtonCase(objective: objective, bias: bias, lambda: $0) }
    }
  }

/// A solver on 9 random rows of 3 features, at a random θ.
func newtonProblem(_ c: NewtonCase, seed: UInt64 = 3) throws -> (NewtonSolver, [Double]) {
  let rows = 9
  let inputs = 3
  var random = RandomStream(seed: seed, stream: c.testDescription)
  let x = (0..<rows * inputs).map { _ in 4 * random.nextUnit() - 2 }
  let layer: LayerSpec
  let task: Task
  let loss: LossKind
  var labels: [Int] = []
  var targets: [Double] = []
  switch c.objective {
  case .softmaxCrossEntropy:
    layer = LayerSpec(units: 3, activation: .softmax, bias: c.bias)
    task = .classification(classes: ["a", "b", "c"])
    loss = .nll
    labels = (0..<rows).map { $0 % 3 }
  case .sigmoidCrossEntropy:
    layer = LayerSpec(units: 1, activation: .sigmoid, bias: c.bias)
    task = .classification(classes: ["a", "b"])
    loss = .nll
    labels = (0..<rows).map { $0 % 2 }
  case .quadratic:
    layer = LayerSpec(units: 2, activation: .identity, bias: c.bias)
    task = .regression(targets: ["s", "t"])
    loss = .quadratic
    targets = (0..<rows * 2).map { _ in 3 * random.nextUnit() }
  }
  let plan = try syntheticPlan(
    inputs: inputs, task: task, rows: rows, layers: [layer], loss: loss, l2: c.lambda,
    optimizer: OptimizerSpec(kind: .newton, learningRate: 1), training: TrainingSpec(epochs: 1))
  let solver = NewtonSolver(
    plan: plan,
    train: examples(x, width: inputs, labels: labels, targets: targets, as: Double.self))
  let theta = (0..<plan.parameters.count).map { _ in 2 * random.nextUnit() - 1 }
  return (solver, theta)
}

@Suite("Newton's method")
struct NewtonTests {
  /// ∇J(θ) through the solver's own path.
  static func gradient(_ solver: NewtonSolver, at theta: [Double]) -> [Double] {
    var outputs = [Double](repeating: 0, count: solver.n * solver.K)
    _ = solver.objectiveValue(theta, outputs: &outputs)
    return solver.gradient(theta, outputs: outputs)
  }

  @Test("the gradient is the derivative of the objective", arguments: newtonCases)
  func gradientMatchesFiniteDifferences(_ c: NewtonCase) throws {
    let (solver, theta) = try newtonProblem(c)
    let g = Self.gradient(solver, at: theta)
    var outputs = [Double](repeating: 0, count: solver.n * solver.K)
    let h = 1e-6
    for i in 0..<theta.count {
      var plus = theta
      var minus = theta
      plus[i] += h
      minus[i] -= h
      let numeric =
        (solver.objectiveValue(plus, outputs: &outputs)
          - solver.objectiveValue(minus, outputs: &outputs)) / (2 * h)
      #expect(isClose(g[i], numeric, relative: 1e-7, absolute: 1e-9), "θ[\(i)]")
    }
  }

  @Test("the Hessian is the derivative of the gradient", arguments: newtonCases)
  func hessianMatchesFiniteDifferences(_ c: NewtonCase) throws {
    let (solver, theta) = try newtonProblem(c)
    let P = theta.count
    var outputs = [Double](repeating: 0, count: solver.n * solver.K)
    _ = solver.objectiveValue(theta, outputs: &outputs)
    let hessian = solver.hessian(outputs: outputs, fixingGauge: false)
    let h = 1e-6
    var worst = 0.0
    var largest = 0.0
    for column in 0..<P {
      var plus = theta
      var minus = theta
      plus[column] += h
      minus[column] -= h
      let gPlus = Self.gradient(solver, at: plus)
      let gMinus = Self.gradient(solver, at: minus)
      for row in 0..<P {
        let numeric = (gPlus[row] - gMinus[row]) / (2 * h)
        worst = max(worst, abs(hessian[column * P + row] - numeric))
        largest = max(largest, abs(numeric))
      }
    }
    #expect(largest > 0.01)
    #expect(worst < 1e-8 * max(largest, 1))
  }

  @Test("the softmax gauge term changes no Newton step")
  func gaugeFixLeavesTheStep() throws {
    for lambda in [0, 0.3] {
      let c = NewtonCase(objective: .softmaxCrossEntropy, bias: true, lambda: lambda)
      var (solver, theta) = try newtonProblem(c)
      // A θ whose class columns sum to 0 in every row, as the zero start gives.
      let K = solver.K
      for j in 0..<solver.widthWithBias {
        let mean = (0..<K).map { theta[j * K + $0] }.reduce(0, +) / Double(K)
        for k in 0..<K { theta[j * K + k] -= mean }
      }
      var outputs = [Double](repeating: 0, count: solver.n * K)
      _ = solver.objectiveValue(theta, outputs: &outputs)
      let g = solver.gradient(theta, outputs: outputs)
      let raw = solver.hessian(outputs: outputs, fixingGauge: false)
      let step = try #require(
        NewtonSolver.solve(hessian: solver.hessian(outputs: outputs), gradient: g))
      // The step solves the Newton equation with the true (singular) Hessian…
      let P = theta.count
      for row in 0..<P {
        var product = 0.0
        for column in 0..<P { product += raw[column * P + row] * step[column] }
        #expect(isClose(product, g[row], relative: 1e-9, absolute: 1e-12), "row \(row)")
      }
      // …and keeps every row of θ summing to 0.
      for j in 0..<solver.widthWithBias {
        let sum = (0..<K).map { step[j * K + $0] }.reduce(0, +)
        #expect(abs(sum) < 1e-12)
      }
    }
  }

  @Test("a singular Hessian is solved where it can see, with 0 where it cannot")
  func singularHessian() throws {
    // H = [[2, 0], [0, 0]] (column-major), g = (4, 0): Δ = (2, 0).
    let step = try #require(NewtonSolver.solve(hessian: [2, 0, 0, 0], gradient: [4, 0]))
    #expect(isClose(step[0], 2, relative: 1e-9))
    #expect(step[1] == 0)
    // H = [[1, 1], [1, 1]], g = (2, 2): any Δ with Δ₀ + Δ₁ = 2 solves it.
    let twin = try #require(NewtonSolver.solve(hessian: [1, 1, 1, 1], gradient: [2, 2]))
    #expect(isClose(twin[0] + twin[1], 2, relative: 1e-9))
    #expect(NewtonSolver.solve(hessian: [.nan, 0, 0, 1], gradient: [1, 1]) == nil)
  }

  @Test("step halving keeps Newton's method descending from a bad start")
  func stepHalving() throws {
    // One feature, classes that overlap, λ = 0. From (w, b) = (−6, 3) a full
    // Newton step raises J from 4.84 to 45 (worked out by hand in numpy).
    let x: [Double] = [-2, -1, -0.5, 0.5, 1, 2, 0.2, -0.3]
    let y = [0, 0, 1, 0, 1, 1, 0, 1]
    let plan = try syntheticPlan(
      inputs: 1, task: .classification(classes: ["0", "1"]), rows: 8,
      layers: [LayerSpec(units: 1, activation: .sigmoid)], loss: .nll,
      optimizer: OptimizerSpec(kind: .newton, learningRate: 1),
      training: TrainingSpec(epochs: 50, tolerance: 1e-12))
    let data = LoadedData(
      train: examples(x, width: 1, labels: y, as: Double.self), test: nil,
      preprocessing: Preprocessing())
    let fromZero = Trainer(plan: plan, data: data)
    #expect(fromZero.run().stopReason == .weightsConverged)
    let optimum = Array(fromZero.network.arena.parameters)

    let badStart = Trainer(plan: plan, data: data)
    badStart.network.arena.parameters[0] = -6
    badStart.network.arena.parameters[1] = 3
    let outcome = badStart.run()
    #expect(outcome.stopReason == .weightsConverged)
    #expect(isClose(outcome.history[0].trainLoss, 4.838203875677185, relative: 1e-12))
    for (before, after) in zip(outcome.history, outcome.history.dropFirst()) {
      #expect(after.trainLoss < before.trainLoss)
    }
    #expect(worstRelativeError(Array(badStart.network.arena.parameters), optimum) < 1e-9)
  }

  @Test("an unregularized fit with a constant feature converges, ignoring the feature")
  func constantFeature() throws {
    // Versicolor against virginica overlap, so λ = 0 has a minimum; a feature
    // of zeros (what standardization makes of a constant) makes H singular.
    let data = try ShippedModel("iris-softmax-newton.yaml").data.train
    var x: [Double] = []
    var padded: [Double] = []
    var y: [Int] = []
    for i in 0..<data.count where data.labels[i] != 0 {
      let row = Array(data.features[i * 4..<(i + 1) * 4])
      x += row
      padded += row + [0]
      y.append(Int(data.labels[i]) - 1)
    }
    func fit(_ features: [Double], width: Int) throws -> (TrainingOutcome, [Double]) {
      let plan = try syntheticPlan(
        inputs: width, task: .classification(classes: ["versicolor", "virginica"]),
        rows: y.count, layers: [LayerSpec(units: 1, activation: .sigmoid)], loss: .nll,
        optimizer: OptimizerSpec(kind: .newton, learningRate: 1),
        training: TrainingSpec(epochs: 30, tolerance: 1e-11))
      let trainer = Trainer(
        plan: plan,
        data: LoadedData(
          train: examples(features, width: width, labels: y, as: Double.self), test: nil,
          preprocessing: Preprocessing()))
      return (trainer.run(), Array(trainer.network.arena.parameters))
    }
    let (plain, theta) = try fit(x, width: 4)
    let (withZeros, thetaPadded) = try fit(padded, width: 5)
    #expect(plain.stopReason == .weightsConverged)
    #expect(withZeros.stopReason == .weightsConverged)
    #expect(withZeros.epochs < 20)
    #expect(thetaPadded[4] == 0)
    let matched = Array(thetaPadded[0..<4]) + [thetaPadded[5]]
    #expect(worstRelativeError(matched, theta) < 1e-8)
  }

  @Test("linear regression with two targets recovers the generating weights")
  func exactLinearTargets() throws {
    // t = x W* + b* exactly, λ = 0: the minimum is W*, b*, with J = 0.
    let wStar: [Double] = [1.5, -2, 0.25, 3, -0.5, 1]  // 3 × 2
    let bStar: [Double] = [0.7, -1.1]
    var random = RandomStream(seed: 9, stream: "exact")
    let x = (0..<12 * 3).map { _ in 2 * random.nextUnit() - 1 }
    var t: [Double] = []
    for i in 0..<12 {
      for k in 0..<2 {
        var value = bStar[k]
        for j in 0..<3 { value += x[i * 3 + j] * wStar[j * 2 + k] }
        t.append(value)
      }
    }
    let plan = try syntheticPlan(
      inputs: 3, task: .regression(targets: ["s", "t"]), rows: 12,
      layers: [LayerSpec(units: 2, activation: .identity)], loss: .quadratic,
      optimizer: OptimizerSpec(kind: .newton, learningRate: 1),
      training: TrainingSpec(epochs: 10))
    let trainer = Trainer(
      plan: plan,
      data: LoadedData(
        train: examples(x, width: 3, targets: t, as: Double.self), test: nil,
        preprocessing: Preprocessing()))
    let outcome = trainer.run()
    #expect(outcome.stopReason == .weightsConverged)
    // The first step is exact; with J ≈ 1e-30 after it, a second may still
    // shave rounding off before no step lowers J at all.
    #expect(outcome.epochs <= 2)
    #expect(worstRelativeError(Array(trainer.network.arena.parameters), wStar + bStar) < 1e-12)
    #expect(
      trainer.network.evaluate(trainer.train).r2.map { isClose($0, 1, relative: 1e-12) } == true)
  }
}

@Suite("Newton's method is refused where it does not apply")
struct NewtonRefusalTests {
  func problems(
    inputs: Int, layers: [LayerSpec], loss: LossKind, task: Task
  ) -> [Diagnostic] {
    do {
      _ = try syntheticPlan(
        inputs: inputs, task: task, rows: 20, layers: layers, loss: loss,
        optimizer: OptimizerSpec(kind: .newton, learningRate: 1),
        training: TrainingSpec(epochs: 5))
      return []
    } catch {
      return error.diagnostics
    }
  }

  @Test func aNetworkWithAHiddenLayer() {
    let found = problems(
      inputs: 4,
      layers: [
        LayerSpec(units: 5, activation: .tanh), LayerSpec(units: 3, activation: .softmax),
      ],
      loss: .nll, task: .classification(classes: ["a", "b", "c"]))
    #expect(found.count == 1)
    #expect(found.first?.keyPath == "optimizer.kind")
    #expect(found.first?.message.contains("1 hidden layer") == true)
  }

  @Test func quadraticLossOnANonLinearOutput() {
    for activation in [Activation.sigmoid, .tanh, .relu] {
      let found = problems(
        inputs: 4, layers: [LayerSpec(units: 1, activation: activation)], loss: .quadratic,
        task: .regression(targets: ["y"]))
      #expect(found.count == 1)
      #expect(found.first?.keyPath == "model.layers[0].activation")
      #expect(found.first?.message.contains("is not convex in the weights") == true)
      #expect(found.first?.hint?.contains("identity output") == true)
    }
  }
}
