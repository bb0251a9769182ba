import SpecParser

/// What the planner needs to know about the data: read from file headers
/// (IDX) or a header row and label column (CSV), never the whole training run.
public struct DataShape: Sendable, Equatable {
  /// Examples in the training file, before any validation split.
  public var trainCount: Int
  public var testCount: Int?
  /// Feature columns after preparation (784 for 28×28 images).
  public var featureNames: [String]
  /// What is predicted: class names in index order, or regression target names.
  public var task: Task

  public init(trainCount: Int, testCount: Int?, featureNames: [String], task: Task) {
    self.trainCount = trainCount
    self.testCount = testCount
    self.featureNames = featureNames
    self.task = task
  }

  public var inputWidth: Int { featureNames.count }
}

public enum Task: Sendable, Equatable {
  /// Class names in index order; IDX labels are named "0"…"K−1".
  case classification(classes: [String])
  case regression(targets: [String])

  /// Output units the data asks for: K classes (1 when K = 2 and the output
  /// is a sigmoid), or the number of targets.
  public var width: Int {
    switch self {
    case .classification(let classes): classes.count
    case .regression(let targets): targets.count
    }
  }
}
