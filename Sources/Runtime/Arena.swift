import Planner

/// Owns every buffer a plan calls for, allocated once before training starts:
/// the flat parameter vector θ, its gradient, the optimizer state, and the
/// activation arena. Kernels get typed pointers into it and allocate nothing.
///
/// Every buffer comes from `allocate(capacity:)`, whose base address is never
/// nil, not even at capacity 0: the `baseAddress!` on them, here and in the
/// trainer, optimizer and writers, cannot trap whatever the spec or data.
public final class Arena<S: Scalar> {
  public let plan: Plan
  /// θ: every weight matrix and bias, at the offsets in `plan.parameters`.
  public let parameters: UnsafeMutableBufferPointer<S>
  /// ∂L/∂θ with θ's layout: overwritten by each backward pass.
  public let gradient: UnsafeMutableBufferPointer<S>
  /// Optimizer state: `plan.parameters.optimizerStateVectors` vectors of θ's size.
  public let state: UnsafeMutableBufferPointer<S>
  /// H_l, D_l, the input batch and targets, at the offsets in `plan.arena`.
  public let activations: UnsafeMutableBufferPointer<S>
  /// Class index of each row of the current batch (classifiers only).
  public let labels: UnsafeMutableBufferPointer<Int32>

  public init(plan: Plan) {
    self.plan = plan
    let count = plan.parameters.count
    parameters = .allocate(capacity: count)
    gradient = .allocate(capacity: count)
    state = .allocate(capacity: count * plan.parameters.optimizerStateVectors)
    activations = .allocate(capacity: plan.arena.count)
    labels = .allocate(capacity: plan.arena.input.rows)
    parameters.initialize(repeating: 0)
    gradient.initialize(repeating: 0)
    state.initialize(repeating: 0)
    activations.initialize(repeating: 0)
    labels.initialize(repeating: 0)
    let ones = activations.baseAddress! + plan.arena.ones.offset
    for row in 0..<plan.arena.ones.count { ones[row] = 1 }
  }

  deinit {
    parameters.deallocate()
    gradient.deallocate()
    state.deallocate()
    activations.deallocate()
    labels.deallocate()
  }

  /// Bytes held by the arena, for the plan's memory report.
  public var byteCount: Int {
    (parameters.count + gradient.count + state.count + activations.count)
      * MemoryLayout<S>.stride + labels.count * MemoryLayout<Int32>.stride
  }

  @inline(__always)
  public func pointer(_ buffer: ArenaBuffer) -> UnsafeMutablePointer<S> {
    activations.baseAddress! + buffer.offset
  }

  @inline(__always)
  public func pointer(_ block: ParameterBlock) -> UnsafeMutablePointer<S> {
    parameters.baseAddress! + block.offset
  }

  @inline(__always)
  public func gradientPointer(_ block: ParameterBlock) -> UnsafeMutablePointer<S> {
    gradient.baseAddress! + block.offset
  }

  /// The i-th optimizer state vector, θ's size.
  @inline(__always)
  public func statePointer(_ index: Int) -> UnsafeMutablePointer<S> {
    precondition(
      index < plan.parameters.optimizerStateVectors,
      "state vector \(index) of \(plan.parameters.optimizerStateVectors)")
    return state.baseAddress! + index * parameters.count
  }
}
