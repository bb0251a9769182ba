import COpenBLAS

/// The float types the runtime computes in, each with its BLAS entry points.
public protocol Scalar: BinaryFloatingPoint, Sendable where Self.RawSignificand: FixedWidthInteger {
  static var precision: String { get }
}

extension Float: Scalar {
  public static var precision: String { "float32" }
}

extension Double: Scalar {
  public static var precision: String { "float64" }
}
