/// A model spec as the user wrote it, decoded and typed but not yet checked
/// against data. Defaults are filled in here, so a `Spec` is complete.
///
/// Every value the user wrote keeps its position in `locations`, keyed by its
/// key path (`model.layers[1].units`), so that later stages can point at it.
public struct Spec: Sendable, Equatable {
  /// The spec file's path as given by the user.
  public var file: String
  public var name: String
  /// Seed of every random stream; `nil` means a fixed default (0) with a warning.
  public var seed: UInt64?
  public var precision: Precision
  /// OpenBLAS thread count; `nil` leaves OpenBLAS's own default.
  public var threads: Int?
  public var data: DataSpec
  public var model: ModelSpec
  public var loss: LossKind
  public var regularization: RegularizationSpec
  public var optimizer: OptimizerSpec
  public var training: TrainingSpec
  /// Where each key path was written: `"optimizer.learning_rate"` -> 12:5.
  public var locations: [String: SourceLocation]

  public init(
    file: String, name: String, seed: UInt64?, precision: Precision, threads: Int?,
    data: DataSpec, model: ModelSpec, loss: LossKind, regularization: RegularizationSpec,
    optimizer: OptimizerSpec, training: TrainingSpec, locations: [String: SourceLocation]
  ) {
    self.file = file
    self.name = name
    self.seed = seed
    self.precision = precision
    self.threads = threads
    self.data = data
    self.model = model
    self.loss = loss
    self.regularization = regularization
    self.optimizer = optimizer
    self.training = training
    self.locations = locations
  }

  /// The position of `keyPath`, or of its nearest written ancestor, or the file.
  public func location(of keyPath: String) -> SourceLocation {
    var path = Substring(keyPath)
    while !path.isEmpty {
      if let found = locations[String(path)] { return found }
      guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
      path = path[..<cut]
    }
    return locations[""] ?? SourceLocation(file: file, line: 1, column: 1)
  }
}

public enum Precision: String, Sendable, Equatable, CaseIterable {
  case float32, float64
}

// MARK: - Data

/// Where the examples come from and how they are prepared.
public struct DataSpec: Sendable, Equatable {
  public var train: DataSource
  public var test: DataSource?
  /// CSV: the column holding class labels (classification).
  public var label: String?
  /// CSV: the numeric target columns (regression with quadratic loss).
  public var targets: [String]?
  /// CSV: the feature columns; `nil` means every column that is not a label or target.
  public var features: [String]?
  /// Every feature is multiplied by this after reading (pixels to [0, 1]).
  public var scale: Double?
  /// Features are shifted and scaled to mean 0, variance 1 with training statistics.
  public var standardize: Bool
  /// Fraction of the training examples held out for validation, in (0, 1).
  public var validation: Double?
  /// CSV: what a row with a missing value in a column the spec reads gets.
  public var missing: MissingValues

  public init(
    train: DataSource, test: DataSource? = nil, label: String? = nil,
    targets: [String]? = nil, features: [String]? = nil, scale: Double? = nil,
    standardize: Bool = false, validation: Double? = nil, missing: MissingValues = .error
  ) {
    self.train = train
    self.test = test
    self.label = label
    self.targets = targets
    self.features = features
    self.scale = scale
    self.standardize = standardize
    self.validation = validation
    self.missing = missing
  }
}

/// The policy for CSV rows with a missing value (an empty field, `NA`, `N/A`,
/// `NaN` or `null`) in a column the spec reads.
public enum MissingValues: String, Sendable, Equatable, CaseIterable {
  /// The first such row is a data error.
  case error
  /// Such rows are left out of the data set, and the run reports how many.
  case drop
}

/// One data file set. Paths are resolved against the spec file's folder.
public enum DataSource: Sendable, Equatable {
  /// IDX image and label files (MNIST layout), gzip-compressed or not.
  case idx(images: String, labels: String)
  /// A CSV file with a header row.
  case csv(path: String)

  public var paths: [String] {
    switch self {
    case .idx(let images, let labels): [images, labels]
    case .csv(let path): [path]
    }
  }
}

// MARK: - Model

public struct ModelSpec: Sendable, Equatable {
  public var layers: [LayerSpec]
  public init(layers: [LayerSpec]) { self.layers = layers }
}

/// One dense layer: h = φ(wᵀ h_prev + b), w is inputs × units.
public struct LayerSpec: Sendable, Equatable {
  public var units: Int
  public var activation: Activation
  public var bias: Bool

  public init(units: Int, activation: Activation, bias: Bool = true) {
    self.units = units
    self.activation = activation
    self.bias = bias
  }
}

public enum Activation: String, Sendable, Equatable, CaseIterable {
  case identity, sigmoid, tanh, relu, softmax
}

public enum LossKind: String, Sendable, Equatable, CaseIterable {
  /// Negative log-likelihood: categorical with softmax, Bernoulli with sigmoid.
  case nll
  /// ½‖y − h‖² for regression targets.
  case quadratic
}

public struct RegularizationSpec: Sendable, Equatable {
  /// λ in λ/2‖w‖², summed over weights, never biases.
  public var l2: Double
  public init(l2: Double = 0) { self.l2 = l2 }
}

// MARK: - Optimizer and training

public enum OptimizerKind: String, Sendable, Equatable, CaseIterable {
  case sgd, adam, newton
}

public enum BatchSize: Sendable, Equatable {
  /// Every training example in one step: full-batch gradient descent.
  case full
  case examples(Int)
}

/// How the step size moves with the epoch count t (0 for the first epoch).
public enum Schedule: Sendable, Equatable {
  case constant
  /// η₀ (1 + γ t)^(−p)
  case inverse(gamma: Double, power: Double)
  /// η₀ · factor^⌊t / every⌋
  case step(every: Int, factor: Double)
  /// η₀ · γ^t
  case exponential(gamma: Double)
}

public struct OptimizerSpec: Sendable, Equatable {
  public var kind: OptimizerKind
  public var learningRate: Double
  public var momentum: Double
  public var nesterov: Bool
  /// Adam's decay rates and denominator guard.
  public var beta1: Double
  public var beta2: Double
  public var epsilon: Double
  public var batchSize: BatchSize
  public var schedule: Schedule

  public init(
    kind: OptimizerKind, learningRate: Double, momentum: Double = 0, nesterov: Bool = false,
    beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
    batchSize: BatchSize = .full, schedule: Schedule = .constant
  ) {
    self.kind = kind
    self.learningRate = learningRate
    self.momentum = momentum
    self.nesterov = nesterov
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.batchSize = batchSize
    self.schedule = schedule
  }
}

public struct TrainingSpec: Sendable, Equatable {
  /// Epoch limit (Newton: iteration limit).
  public var epochs: Int
  /// Stop when ‖w⁽ᵗ⁺¹⁾ − w⁽ᵗ⁾‖∞ < tolerance between epochs.
  public var tolerance: Double?
  /// Stop when |L⁽ᵗ⁺¹⁾ − L⁽ᵗ⁾| / max(|L⁽ᵗ⁾|, 1e-12) < lossTolerance.
  public var lossTolerance: Double?
  /// Stop after this many epochs without a better validation loss, keeping the best weights.
  public var patience: Int?
  /// Save the whole training state every this many epochs, for `nnc run --resume`.
  public var checkpoint: Int?

  public init(
    epochs: Int, tolerance: Double? = nil, lossTolerance: Double? = nil, patience: Int? = nil,
    checkpoint: Int? = nil
  ) {
    self.epochs = epochs
    self.tolerance = tolerance
    self.lossTolerance = lossTolerance
    self.patience = patience
    self.checkpoint = checkpoint
  }
}
