import SpecParser

/// What a plan costs: the bytes its training run holds and the floating-point
/// operations it does, computed from the plan's shapes alone.
///
/// Legend (as in `Plan`): e bytes per element (4 for float32, 8 for float64),
/// P parameters, s optimizer state vectors, m_l layer widths (m_0 the input),
/// B rows per training step, R rows per evaluation step (R ≥ B; the arena's
/// activation buffers are R rows, its delta buffers B rows), t regression
/// targets, n training examples after the validation split.

// MARK: - Memory

/// The bytes a training run holds, by what holds them.
///
/// `arena` is exactly what the runtime's `Arena` allocates before the first
/// step. The other parts are what the trainer, the loaded examples and
/// Newton's method add; they are counted from the same shapes, but the data
/// figure leaves out the buffers used while reading files.
public struct MemoryUse: Sendable, Equatable {
  public var elementBytes: Int
  /// θ: P · e.
  public var parameters: Int
  /// ∂L/∂θ: P · e.
  public var gradient: Int
  /// Momentum's velocity or Adam's two moments: s · P · e.
  public var optimizerState: Int
  /// The arena's activation, delta, input, target and ones buffers.
  public var activations: Int
  /// Class indices of one batch, R four-byte integers.
  public var batchLabels: Int
  /// θ at the start of each epoch, the best θ when early stopping, and the
  /// n-entry row order: P · e · (1 or 2) + 4n.
  public var trainer: Int
  /// The prepared examples (features, then labels or targets) of the
  /// training and test sets, plus the training and validation copies made
  /// by the validation split.
  public var data: Int
  /// Newton's method, in doubles: the P × P Hessian and its Cholesky factor
  /// (2 · hessianCount), the design matrix X̃ and its scaled copy (2 n m̃),
  /// one m̃ × m̃ block, outputs and residuals (2 n K) and four P-vectors.
  public var newton: Int
  /// Bytes per layer: its parameters with their gradient, state and trainer
  /// copies, and its activation and delta buffers. Used to name the layer
  /// responsible when a plan does not fit.
  public var layers: [Int]
  /// The arena's input, target and ones buffers and the batch labels.
  public var inputBuffers: Int

  /// What `Arena` allocates: parameters, gradient, state, activations, labels.
  public var arena: Int {
    Saturating.sum([parameters, gradient, optimizerState, activations, batchLabels])
  }

  public var total: Int { Saturating.sum([arena, trainer, data, newton]) }

  /// True when a figure did not fit in an `Int`: the plan cannot be addressed.
  public var isSaturated: Bool { total == Int.max }
}

/// The figures memory is counted from, gathered before the layout exists so
/// that a plan too large to lay out can be refused first.
struct PlanSizing {
  var elementBytes: Int
  /// m_0 … m_L.
  var widths: [Int]
  /// Whether layer l (1-based in `widths`, 0-based here) has a bias.
  var biases: [Bool]
  var batchRows: Int
  var evaluationRows: Int
  /// Columns of the arena's target buffer: t for regression, 0 for classes.
  var targetColumns: Int
  var stateVectors: Int
  var keepsBest: Bool
  var examples: ExampleCounts
  var isClassification: Bool
  var isNewton: Bool

  /// Parameters of layer l (0-based): m_l · m_{l+1} + bias.
  func parameterCount(layer l: Int) -> Int {
    Saturating.sum([
      Saturating.product([widths[l], widths[l + 1]]), biases[l] ? widths[l + 1] : 0,
    ])
  }

  var parameterCount: Int {
    Saturating.sum(biases.indices.map { parameterCount(layer: $0) })
  }

  var memory: MemoryUse {
    let e = elementBytes
    let P = parameterCount
    let R = max(batchRows, evaluationRows)
    let B = batchRows
    let copies = keepsBest ? 2 : 1
    let product = Saturating.product

    var layers: [Int] = []
    var layerElements: [Int] = []
    for l in biases.indices {
      let buffers = product([Saturating.sum([R, B]), widths[l + 1]])
      layerElements.append(buffers)
      let parameterBytes = product([parameterCount(layer: l), e, 2 + stateVectors + copies])
      layers.append(Saturating.sum([parameterBytes, product([buffers, e])]))
    }
    // input (R × m_0), targets (R × t) and ones (R × 1), as the planner places them.
    let inputElements = Saturating.sum([
      product([R, widths[0]]), product([R, targetColumns]), R,
    ])
    let activationElements = Saturating.sum(layerElements + [inputElements])
    let batchLabels = product([R, 4])

    let everyTraining = Saturating.sum([examples.train, examples.validation])
    let perExample = Saturating.sum([
      product([widths[0], e]), isClassification ? 4 : product([targetColumns, e]),
    ])
    let loaded = product([Saturating.sum([everyTraining, examples.test]), perExample])
    let splitCopies = examples.validation > 0 ? product([everyTraining, perExample]) : 0
    let order = product([examples.train, 4])

    var newton = 0
    if isNewton, let outputs = widths.last {
      let n = examples.train
      let widthWithBias = widths[0] + (biases.first == true ? 1 : 0)
      newton = product([
        8,
        Saturating.sum([
          product([2, P, P]), product([2, n, widthWithBias]),
          product([widthWithBias, widthWithBias]), product([2, n, outputs]), product([4, P]),
        ]),
      ])
    }

    return MemoryUse(
      elementBytes: e, parameters: product([P, e]), gradient: product([P, e]),
      optimizerState: product([stateVectors, P, e]),
      activations: product([activationElements, e]), batchLabels: batchLabels,
      trainer: Saturating.sum([product([P, e, copies]), order]),
      data: Saturating.sum([loaded, splitCopies]), newton: newton, layers: layers,
      inputBuffers: Saturating.sum([product([inputElements, e]), batchLabels]))
  }
}

extension Plan {
  var sizing: PlanSizing {
    var isClassification = true
    if case .regression = task { isClassification = false }
    return PlanSizing(
      elementBytes: precision == .float32 ? 4 : 8,
      widths: [inputWidth] + layers.map(\.outputs), biases: layers.map { $0.bias != nil },
      batchRows: batchSize, evaluationRows: evaluationBatchSize,
      targetColumns: arena.targets.columns, stateVectors: parameters.optimizerStateVectors,
      keepsBest: training.patience != nil, examples: examples,
      isClassification: isClassification, isNewton: optimizer.kind == .newton)
  }

  /// The bytes this plan's training run holds; `memory.arena` is what
  /// `Arena(plan:)` allocates.
  public var memory: MemoryUse { sizing.memory }

  /// The floating-point operations of one example and one epoch.
  public var flops: FLOPCount { FLOPCount(self) }
}

// MARK: - Operations

/// Floating-point operations, counted as BLAS does: 2 per multiply-add in a
/// matrix product (GEMM) or matrix-vector product (GEMV), 1 per element for
/// a bias addition and for the φ′ product of the backward pass. Activation
/// functions, the loss and the optimizer's update are not counted: they are
/// O(m) per example against the products' O(m²).
///
/// Per example, for the dense layer l with inputs m_{l−1} and outputs m_l:
///   forward   Z_l = H_{l−1} W_l + b_l             2 m_{l−1} m_l + m_l
///   backward  ∂W_l = H_{l−1}ᵀ D_l                 2 m_{l−1} m_l
///             ∂b_l = D_lᵀ 1                       2 m_l
///             D_{l−1} = (D_l W_lᵀ) ⊙ φ′ (l > 1)   2 m_{l−1} m_l + m_{l−1}
public struct FLOPCount: Sendable, Equatable {
  public var forwardPerExample: Int
  public var backwardPerExample: Int
  /// Forward over the n training examples of one epoch.
  public var forwardPerEpoch: Int
  public var backwardPerEpoch: Int
  /// Forward over the validation and test examples, evaluated every epoch.
  public var evaluationPerEpoch: Int
  /// Newton's method, per iteration: the objective and gradient products
  /// (4 n m̃ K), the Hessian's blocks (each n m̃ for the scaling and
  /// 2 n m̃² for X̃ᵀ diag(c) X̃; K(K+1)/2 blocks for softmax, K for a
  /// quadratic loss, 1 for a sigmoid), the Cholesky factorization (P³/3)
  /// and the two triangular solves (2 P²). Line-search evaluations beyond
  /// the first are not counted. `nil` for first-order optimizers.
  public var newtonPerIteration: Int?

  init(_ plan: Plan) {
    let product = Saturating.product
    var forward = 0
    var backward = 0
    for layer in plan.layers {
      let gemm = product([2, layer.inputs, layer.outputs])
      let hasBias = layer.bias != nil
      forward = Saturating.sum([forward, gemm, hasBias ? layer.outputs : 0])
      backward = Saturating.sum([backward, gemm, hasBias ? product([2, layer.outputs]) : 0])
      if layer.index > 0 {
        backward = Saturating.sum([backward, gemm, layer.inputs])
      }
    }
    forwardPerExample = forward
    backwardPerExample = backward
    forwardPerEpoch = product([forward, plan.examples.train])
    backwardPerEpoch = product([backward, plan.examples.train])
    evaluationPerEpoch = product([
      forward, Saturating.sum([plan.examples.validation, plan.examples.test]),
    ])

    guard plan.optimizer.kind == .newton, let layer = plan.layers.first else {
      newtonPerIteration = nil
      return
    }
    let n = plan.examples.train
    let width = layer.inputs + (layer.bias == nil ? 0 : 1)
    let K = layer.outputs
    let P = plan.parameters.count
    let blocks: Int
    switch plan.objective {
    case .softmaxCrossEntropy: blocks = product([K, Saturating.sum([K, 1])]) / 2
    case .quadratic: blocks = K
    case .sigmoidCrossEntropy: blocks = 1
    }
    let perBlock = Saturating.sum([product([n, width]), product([2, n, width, width])])
    newtonPerIteration = Saturating.sum([
      product([4, n, width, K]), product([blocks, perBlock]), product([P, P, P]) / 3,
      product([2, P, P]),
    ])
  }
}

// MARK: - Saturating arithmetic

/// Sums and products of sizes that come from a spec, which may hold any
/// number a user writes: a result that does not fit saturates at `Int.max`
/// instead of trapping, and the planner refuses such a plan.
enum Saturating {
  static func product(_ factors: [Int]) -> Int {
    var result = 1
    for factor in factors {
      precondition(factor >= 0, "sizes are never negative, found \(factor)")
      let (value, overflow) = result.multipliedReportingOverflow(by: factor)
      if overflow { return factors.contains(0) ? 0 : Int.max }
      result = value
    }
    return result
  }

  static func sum(_ terms: [Int]) -> Int {
    var result = 0
    for term in terms {
      let (value, overflow) = result.addingReportingOverflow(term)
      if overflow { return Int.max }
      result = value
    }
    return result
  }
}
