import COpenBLAS
import Foundation

/// The float types the runtime computes in, each with its BLAS entry points.
/// Every matrix is row-major, as the plan lays it out.
public protocol Scalar: BinaryFloatingPoint, Sendable
where Self.RawSignificand: FixedWidthInteger {
  static var precisionName: String { get }
  /// The safetensors dtype name.
  static var safetensorsType: String { get }

  /// C = α op(A) op(B) + β C, row-major; op is a transpose when the flag is set.
  /// A is M × K after op, B is K × N after op, C is M × N.
  static func gemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Self, a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
    beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)

  /// y = α op(A) x + β y, row-major A of M × N before op.
  static func gemv(
    transposeA: Bool, m: Int, n: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
    x: UnsafePointer<Self>, beta: Self, y: UnsafeMutablePointer<Self>)

  static func exp(_ x: Self) -> Self
  static func log(_ x: Self) -> Self
  static func log1p(_ x: Self) -> Self
  static func tanh(_ x: Self) -> Self
}

@inline(__always)
private func transpose(_ flag: Bool) -> CBLAS_TRANSPOSE {
  flag ? CblasTrans : CblasNoTrans
}

extension Float: Scalar {
  public static var precisionName: String { "float32" }
  public static var safetensorsType: String { "F32" }

  @inline(__always)
  public static func gemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    cblas_sgemm(
      CblasRowMajor, transpose(transposeA), transpose(transposeB),
      Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
  }

  @inline(__always)
  public static func gemv(
    transposeA: Bool, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
    x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>
  ) {
    cblas_sgemv(
      CblasRowMajor, transpose(transposeA), Int32(m), Int32(n), alpha, a, Int32(lda),
      x, 1, beta, y, 1)
  }

  @inline(__always) public static func exp(_ x: Float) -> Float { expf(x) }
  @inline(__always) public static func log(_ x: Float) -> Float { logf(x) }
  @inline(__always) public static func log1p(_ x: Float) -> Float { log1pf(x) }
  @inline(__always) public static func tanh(_ x: Float) -> Float { tanhf(x) }
}

extension Double: Scalar {
  public static var precisionName: String { "float64" }
  public static var safetensorsType: String { "F64" }

  @inline(__always)
  public static func gemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Double, a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
    beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
  ) {
    cblas_dgemm(
      CblasRowMajor, transpose(transposeA), transpose(transposeB),
      Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
  }

  @inline(__always)
  public static func gemv(
    transposeA: Bool, m: Int, n: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
    x: UnsafePointer<Double>, beta: Double, y: UnsafeMutablePointer<Double>
  ) {
    cblas_dgemv(
      CblasRowMajor, transpose(transposeA), Int32(m), Int32(n), alpha, a, Int32(lda),
      x, 1, beta, y, 1)
  }

  @inline(__always) public static func exp(_ x: Double) -> Double { Foundation.exp(x) }
  @inline(__always) public static func log(_ x: Double) -> Double { Foundation.log(x) }
  @inline(__always) public static func log1p(_ x: Double) -> Double { Foundation.log1p(x) }
  @inline(__always) public static func tanh(_ x: Double) -> Double { Foundation.tanh(x) }
}

/// Sets OpenBLAS's thread count for every later BLAS call in the process.
public func setBLASThreads(_ count: Int) {
  openblas_set_num_threads(Int32(count))
}
