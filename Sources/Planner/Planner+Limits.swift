import SpecParser

extension Planner {
  /// The most bytes a plan may lay out: 2⁶⁰ (1 EiB). Past it no machine has
  /// the memory, and, more to the point here, element counts times 8-byte
  /// elements would come near `Int.max`, where the layout arithmetic traps.
  static let addressableBytes = 0x1000_0000_0000_0000

  /// Reports a model whose parameters, optimizer state, Hessian or buffers
  /// would need more than `addressableBytes`, before the layout multiplies
  /// any of those sizes in `Int`.
  ///
  /// The sizes are added up in Double, which cannot overflow; its rounding is
  /// far below the margin between 2⁶⁰ bytes and `Int.max` elements. This is
  /// a bound for the arithmetic, not the memory budget, which is much lower.
  static func checkAddressable(
    _ spec: Spec, shape: DataShape, rows: Int, batchSize: Int,
    fail: (String, String, String?) -> Void
  ) {
    let rows = Double(rows)
    var parameters = 0.0
    var buffers = rows * Double(shape.inputWidth) + rows
    var width = Double(shape.inputWidth)
    for (index, layer) in spec.model.layers.enumerated() {
      let units = Double(layer.units)
      parameters += width * units + (layer.bias ? units : 0)
      buffers += (rows + Double(batchSize)) * units
      width = units
      // θ, its gradient, up to two state vectors, and the targets buffer.
      let bytes = 8 * (4 * parameters + buffers + rows * width)
      if bytes > Double(addressableBytes) {
        fail(
          "model.layers[\(index)].units",
          "with \(layer.units) units here the model would need more than 2^60 bytes "
            + "(1 EiB) of memory, more than any machine can address",
          "use fewer units")
        return
      }
    }
    // Newton's P × P Hessian and the copy its Cholesky factor is made in.
    // P passed the loop's check, so it is below 2⁵⁵ and converts to Int.
    if spec.optimizer.kind == .newton, 8 * 2 * parameters * parameters > Double(addressableBytes) {
      fail(
        "optimizer.kind",
        "Newton's method would need a \(Int(parameters)) × \(Int(parameters)) Hessian, more "
          + "memory than any machine can address",
        "use sgd or adam for a model this large")
    }
  }
}
