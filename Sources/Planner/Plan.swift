import SpecParser

/// A compiled, checked spec: every shape, offset and buffer size that training
/// needs, fixed before the first step. Printing it shows what a run will cost;
/// two plans compare equal exactly when they would train the same way.
///
/// Legend, used here and in the runtime's kernels:
///   B   rows of a batch (training batch or evaluation batch)
///   m_l width of layer l's output; m_0 is the input width
///   W_l weight matrix, m_{l-1} × m_l, row-major;  b_l bias, m_l
///   H_l activations of layer l, B × m_l;  H_0 is the input batch X
///   D_l deltas ∂L/∂Z_l of layer l, B × m_l
public struct Plan: Sendable, Equatable {
  public var name: String
  public var precision: Precision
  public var seed: UInt64
  public var threads: Int?
  public var task: Task
  public var featureNames: [String]
  public var layers: [LayerPlan]
  public var objective: Objective
  public var optimizer: OptimizerPlan
  public var training: TrainingSpec
  public var examples: ExampleCounts
  /// Rows per training step.
  public var batchSize: Int
  /// Rows per evaluation step (evaluation needs no deltas, so it runs wider).
  public var evaluationBatchSize: Int
  /// Parameters, gradient and optimizer state: one flat vector each, same layout.
  public var parameters: ParameterLayout
  /// Activation, delta and batch buffers, placed in one arena.
  public var arena: ArenaLayout

  public var inputWidth: Int { featureNames.count }
  public var outputWidth: Int { layers.last?.outputs ?? 0 }
}

/// The examples each phase sees after the validation split.
public struct ExampleCounts: Sendable, Equatable {
  public var train: Int
  public var validation: Int
  public var test: Int

  public init(train: Int, validation: Int, test: Int) {
    self.train = train
    self.validation = validation
    self.test = test
  }
}

/// One dense layer and where its parameters and buffers live.
public struct LayerPlan: Sendable, Equatable {
  public var index: Int
  public var inputs: Int
  public var outputs: Int
  public var activation: Activation
  /// W_l: inputs × outputs, row-major, in the parameter vector. L2 applies to it.
  public var weight: ParameterBlock
  /// b_l: outputs, in the parameter vector. Never regularized.
  public var bias: ParameterBlock?
  /// H_l in the arena; Z_l is formed in place here before φ is applied,
  /// since every φ′ nnc supports can be computed from H_l = φ(Z_l) alone.
  public var activations: ArenaBuffer
  /// D_l in the arena.
  public var deltas: ArenaBuffer

  public var parameterCount: Int { weight.count + (bias?.count ?? 0) }
}

/// A named range of the flat parameter vector.
public struct ParameterBlock: Sendable, Equatable {
  public let name: String
  public let offset: Int
  /// [rows, columns] for a weight matrix, [count] for a bias.
  public let shape: [Int]
  /// Elements in the block; stored, as the optimizer reads it every step.
  public let count: Int

  public init(name: String, offset: Int, shape: [Int]) {
    self.name = name
    self.offset = offset
    self.shape = shape
    count = shape.reduce(1, *)
  }
}

public struct ParameterLayout: Sendable, Equatable {
  public var blocks: [ParameterBlock]
  public var count: Int
  /// Extra parameter-sized vectors the optimizer keeps (velocity; Adam's two moments).
  public var optimizerStateVectors: Int
  /// Newton: P², the elements of the P × P Hessian; 0 otherwise. The
  /// runtime holds the Hessian and its Cholesky factor, both in Double
  /// whatever the precision (see `MemoryUse.newton`).
  public var hessianCount: Int
}

/// A range of the activation arena, `rows × columns` row-major.
public struct ArenaBuffer: Sendable, Equatable {
  public var name: String
  public var offset: Int
  public var rows: Int
  public var columns: Int
  public var count: Int { rows * columns }
}

public struct ArenaLayout: Sendable, Equatable {
  public var buffers: [ArenaBuffer]
  /// X: the gathered input batch, B × m_0.
  public var input: ArenaBuffer
  /// Y: regression targets of the batch, B × m_L (empty for classifiers,
  /// whose labels are class indices kept beside the arena).
  public var targets: ArenaBuffer
  /// A column of B ones: D_lᵀ·1 gives the bias gradient as one GEMV.
  public var ones: ArenaBuffer
  public var count: Int
}

/// The loss with the output activation it is fused with.
public enum Objective: String, Sendable, Equatable {
  /// Softmax output, categorical NLL; D_L = (H_L − Y) / B.
  case softmaxCrossEntropy
  /// One sigmoid unit, Bernoulli NLL from the logit; D_L = (H_L − y) / B.
  case sigmoidCrossEntropy
  /// ½‖y − h‖² on any element-wise output; D_L = (H_L − Y) ⊙ φ′ / B.
  case quadratic
}

public struct OptimizerPlan: Sendable, Equatable {
  public var kind: OptimizerKind
  public var learningRate: Double
  public var momentum: Double
  public var nesterov: Bool
  public var beta1: Double
  public var beta2: Double
  public var epsilon: Double
  public var schedule: Schedule
  /// λ of the λ/2‖w‖² penalty, applied to weight blocks only.
  public var l2: Double

  /// The step size for epoch `t` (0-based).
  public func learningRate(epoch t: Int) -> Double {
    let t = Double(t)
    switch schedule {
    case .constant: return learningRate
    case .inverse(let gamma, let power):
      return learningRate * pow(1 + gamma * t, -power)
    case .step(let every, let factor):
      return learningRate * pow(factor, (t / Double(every)).rounded(.down))
    case .exponential(let gamma):
      return learningRate * pow(gamma, t)
    }
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
