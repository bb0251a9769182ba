// Scratch copy of the data reader's announced types, removed when the readers land.
public struct Examples<S: Scalar>: Sendable {
  public var count: Int
  public var width: Int
  public var features: [S]
  public var labels: [Int32]
  public var targets: [S]
}
public struct Preprocessing: Sendable, Equatable {
  public var scale: Double?
  public var mean: [Double]?
  public var std: [Double]?
}
public struct LoadedData<S: Scalar>: Sendable {
  public var train: Examples<S>
  public var test: Examples<S>?
  public var preprocessing: Preprocessing
}
