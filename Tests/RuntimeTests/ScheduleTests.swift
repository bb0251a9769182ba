import Planner
import SpecParser
import TestSupport
import Testing

@testable import Runtime

@Suite("Step-size schedules")
struct ScheduleTests {
  func rates(_ schedule: Schedule, epochs: Int) throws -> [Double] {
    let optimizer = try syntheticPlan(
      inputs: 1, task: .regression(targets: ["t"]), rows: 1,
      layers: [LayerSpec(units: 1, activation: .identity)], loss: .quadratic,
      optimizer: OptimizerSpec(kind: .sgd, learningRate: 0.2, schedule: schedule),
      training: TrainingSpec(epochs: epochs)
    ).optimizer
    return (0..<epochs).map { optimizer.learningRate(epoch: $0) }
  }

  @Test func constant() throws {
    #expect(try rates(.constant, epochs: 3) == [0.2, 0.2, 0.2])
  }

  @Test func inverseDecay() throws {
    // η₀ (1 + γt)^(−p), γ = 0.5, p = 2: 0.2 / 1, 0.2 / 1.5², 0.2 / 2², 0.2 / 2.5².
    let found = try rates(.inverse(gamma: 0.5, power: 2), epochs: 4)
    #expect(worstRelativeError(found, [0.2, 0.2 / 2.25, 0.05, 0.032]) < 1e-15)
  }

  @Test func stepDecay() throws {
    // η₀ · 0.1^⌊t/3⌋: three epochs at each rate, the first at η₀.
    let found = try rates(.step(every: 3, factor: 0.1), epochs: 7)
    #expect(worstRelativeError(found, [0.2, 0.2, 0.2, 0.02, 0.02, 0.02, 0.002]) < 1e-15)
  }

  @Test func exponentialDecay() throws {
    let found = try rates(.exponential(gamma: 0.5), epochs: 4)
    #expect(worstRelativeError(found, [0.2, 0.1, 0.05, 0.025]) < 1e-15)
  }

  @Test("training uses the schedule's rate in each epoch, the first at η₀")
  func trainingFollowsTheSchedule() throws {
    let schedule = Schedule.step(every: 2, factor: 0.5)
    let plan = try syntheticPlan(
      inputs: 1, task: .regression(targets: ["t"]), rows: 1,
      layers: [LayerSpec(units: 1, activation: .identity, bias: false)], loss: .quadratic,
      optimizer: OptimizerSpec(kind: .sgd, learningRate: 0.2, schedule: schedule),
      training: TrainingSpec(epochs: 5))
    let trainer = Trainer(
      plan: plan,
      data: LoadedData(
        train: examples([1], width: 1, targets: [0], as: Double.self), test: nil,
        preprocessing: Preprocessing()))
    trainer.network.arena.parameters[0] = 1
    let outcome = trainer.run()
    #expect(outcome.history.map(\.learningRate) == [0.2, 0.2, 0.1, 0.1, 0.05])
    // J = ½w²: each epoch multiplies w by 1 − η.
    #expect(
      isClose(trainer.network.arena.parameters[0], 0.8 * 0.8 * 0.9 * 0.9 * 0.95, relative: 1e-15))
  }
}
