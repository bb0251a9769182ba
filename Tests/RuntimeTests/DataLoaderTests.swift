import Foundation
import Planner
import SpecParser
import TestSupport
import Testing

@testable import Runtime

// MARK: - IDX

private let idxData = DataSpec(
  train: .idx(
    images: dataFixture("train-images.idx.gz"), labels: dataFixture("train-labels.idx.gz")),
  test: .idx(images: dataFixture("test-images.idx"), labels: dataFixture("test-labels.idx")),
  scale: 1.0 / 255)

@Test func idxProbeReadsHeadersAndLabels() throws {
  let shape = try DataProbe.shape(of: idxData)
  #expect(shape.trainCount == 4)
  #expect(shape.testCount == 2)
  #expect(shape.featureNames == (0..<6).map { "pixel\($0)" })
  // The labels are 3, 0, 2, 3: K = 3 + 1.
  #expect(shape.task == .classification(classes: ["0", "1", "2", "3"]))
}

@Test func idxLoadScalesPixels() throws {
  let shape = try DataProbe.shape(of: idxData)
  let loaded = try DataLoader.load(idxData, shape: shape, as: Float.self)
  #expect(loaded.train.count == 4)
  #expect(loaded.train.width == 6)
  #expect(loaded.train.labels == [3, 0, 2, 3])
  #expect(loaded.train.targets.isEmpty)
  for k in 0..<4 {
    for p in 0..<6 {
      let expected = Double(dataFixturePixel(k, p)) / 255
      #expect(isClose(Double(loaded.train.features[k * 6 + p]), expected, relative: 1e-6))
    }
  }
  let test = try #require(loaded.test)
  #expect(test.labels == [1, 3])
  let firstTestPixel = Double(255 - dataFixturePixel(0, 0)) / 255
  #expect(isClose(Double(test.features[0]), firstTestPixel, relative: 1e-6))
  #expect(loaded.preprocessing == Preprocessing(scale: 1.0 / 255))
}

@Test func idxStandardizationUsesTrainingStatistics() throws {
  var data = idxData
  data.standardize = true
  let shape = try DataProbe.shape(of: data)
  let loaded = try DataLoader.load(data, shape: shape, as: Double.self)

  // The statistics recomputed the plain way, from the fixture's formula.
  for p in 0..<6 {
    let column = (0..<4).map { k in Double(dataFixturePixel(k, p)) / 255 }
    let mean = column.reduce(0, +) / 4
    let std = (column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 4).squareRoot()
    #expect(isClose(loaded.preprocessing.mean?[p] ?? .nan, mean, relative: 1e-12))
    #expect(isClose(loaded.preprocessing.std?[p] ?? .nan, std, relative: 1e-12))
    for k in 0..<4 {
      let value = loaded.train.features[k * 6 + p]
      #expect(isClose(value, (column[k] - mean) / std, relative: 1e-12, absolute: 1e-12))
    }
    let testValue = Double(255 - dataFixturePixel(1, p)) / 255
    let loadedTest = try #require(loaded.test).features[6 + p]
    #expect(isClose(loadedTest, (testValue - mean) / std, relative: 1e-12, absolute: 1e-12))
  }
}

@Test func idxTestLabelBeyondTheTrainingClasses() {
  var data = idxData
  let labels = dataFixture("test-labels-unseen.idx")
  data.test = .idx(images: dataFixture("test-images.idx"), labels: labels)
  let error = #expect(throws: DataError.self) { try DataProbe.shape(of: data) }
  #expect(error?.kind == .labelOutOfRange)
  #expect(error?.file == labels)
  #expect(error?.record == 1)
  #expect(error?.message == "label 5 is not one of the 4 classes 0…3 found in the training labels")
}

@Test func idxImageAndLabelCountsMustAgree() {
  let images = dataFixture("train-images.idx")
  let labels = dataFixture("three-labels.idx")
  let data = DataSpec(train: .idx(images: images, labels: labels))
  let error = #expect(throws: DataError.self) { try DataProbe.shape(of: data) }
  #expect(error?.kind == .countMismatch)
  #expect(
    error?.message
      == "the images file '\(images)' holds 4 images but the labels file '\(labels)' holds "
      + "3 labels")
}

/// An uncompressed file's size is known without reading it, so the probe
/// already compares it with the header.
@Test func idxTruncationIsFoundByTheProbe() throws {
  let images = dataFixture("truncated-images.idx")
  let data = DataSpec(train: .idx(images: images, labels: dataFixture("train-labels.idx")))
  let error = #expect(throws: DataError.self) { try DataProbe.shape(of: data) }
  #expect(error?.kind == .truncated)
  #expect(error?.record == 2)
}

@Test func idxRejectsCSVOptionsAndMixedFormats() throws {
  var data = idxData
  data.targets = ["y"]
  #expect(throws: DataError.self) { try DataProbe.shape(of: data) }

  data = idxData
  data.test = .csv(path: dataFixture("quoted.csv"))
  let error = #expect(throws: DataError.self) { try DataProbe.shape(of: data) }
  #expect(error?.message == "the test data is CSV but the training data is IDX")
}

// MARK: - CSV

@Test func csvStringClassesInByteOrder() throws {
  let path = try dataScratchFile(
    "iris.csv", "x,species\n1,setosa\n2,Virginica\n3,versicolor\n4,setosa\n")
  let data = DataSpec(train: .csv(path: path), label: "species")
  let shape = try DataProbe.shape(of: data)
  // Byte order puts upper case first.
  #expect(shape.task == .classification(classes: ["Virginica", "setosa", "versicolor"]))
  #expect(shape.featureNames == ["x"])
  let loaded = try DataLoader.load(data, shape: shape, as: Float.self)
  #expect(loaded.train.labels == [1, 0, 2, 1])
}

@Test func csvIntegerClassesInNumericOrder() throws {
  let path = try dataScratchFile("digits.csv", "label,x\n2,0.5\n10,1.5\n1,2.5\n2,3\n")
  let data = DataSpec(train: .csv(path: path), label: "label")
  let shape = try DataProbe.shape(of: data)
  #expect(shape.task == .classification(classes: ["1", "2", "10"]))
  let loaded = try DataLoader.load(data, shape: shape, as: Double.self)
  #expect(loaded.train.labels == [1, 2, 0, 1])
  #expect(loaded.train.features == [0.5, 1.5, 2.5, 3])
}

@Test func csvRegressionKeepsTargetsUnscaled() throws {
  let path = try dataScratchFile("reg.csv", "x1,y,x2,z\n1,10,2,-1\n3,20,4,-2\n")
  let data = DataSpec(train: .csv(path: path), targets: ["z", "y"], scale: 0.5)
  let shape = try DataProbe.shape(of: data)
  #expect(shape.task == .regression(targets: ["z", "y"]))
  #expect(shape.featureNames == ["x1", "x2"])
  let loaded = try DataLoader.load(data, shape: shape, as: Double.self)
  #expect(loaded.train.features == [0.5, 1, 1.5, 2])
  #expect(loaded.train.targets == [-1, 10, -2, 20])
  #expect(loaded.train.labels.isEmpty)
}

@Test func csvTestColumnsAreFoundByName() throws {
  let train = try dataScratchFile("train.csv", "a,b,y\n1,2,p\n3,4,q\n")
  let test = try dataScratchFile("test.csv", "y,b,extra,a\nq,20,x,10\n")
  let data = DataSpec(train: .csv(path: train), test: .csv(path: test), label: "y")
  let shape = try DataProbe.shape(of: data)
  #expect(shape.testCount == 1)
  let loaded = try DataLoader.load(data, shape: shape, as: Double.self)
  let loadedTest = try #require(loaded.test)
  #expect(loadedTest.features == [10, 20])
  #expect(loadedTest.labels == [1])
}

/// Standardization against values worked out by hand.
///
/// Training columns after scale 2:  a = 2, 4, 6, 8   b = 20, 20, 40, 80   c = 14 (constant)
///   a: μ = 5,  σ² = (9 + 1 + 1 + 9) / 4 = 5,                σ = √5
///   b: μ = 40, σ² = (400 + 400 + 0 + 1600) / 4 = 600,       σ = √600 = 10√6
///   c: μ = 14, σ = 0, so it is centred and divided by 1.
/// So a′ = ±3/√5, ±1/√5 and b′ = −2/√6, −2/√6, 0, 4/√6.
/// Test row (2.5, 30, 8) scaled to (5, 60, 16): a′ = 0, b′ = 20/√600 = 2/√6, c′ = 16 − 14 = 2.
@Test(arguments: [false, true])
func csvStandardizationByHand(asFloat: Bool) throws {
  let train = try dataScratchFile(
    "std.csv", "a,b,c,y\n1,10,7,u\n2,10,7,v\n3,20,7,u\n4,40,7,v\n")
  let test = try dataScratchFile("std-test.csv", "a,b,c,y\n2.5,30,8,v\n")
  let data = DataSpec(
    train: .csv(path: train), test: .csv(path: test), label: "y", scale: 2, standardize: true)
  let shape = try DataProbe.shape(of: data)
  #expect(shape.task == .classification(classes: ["u", "v"]))

  let r5 = 5.0.squareRoot()
  let r6 = 6.0.squareRoot()
  let expectedTrain = [
    -3 / r5, -2 / r6, 0,
    -1 / r5, -2 / r6, 0,
    1 / r5, 0, 0,
    3 / r5, 4 / r6, 0,
  ]
  let expectedTest = [0, 2 / r6, 2]
  let (trainFeatures, testFeatures, preprocessing): ([Double], [Double], Preprocessing)
  if asFloat {
    let loaded = try DataLoader.load(data, shape: shape, as: Float.self)
    trainFeatures = loaded.train.features.map(Double.init)
    testFeatures = try #require(loaded.test).features.map(Double.init)
    preprocessing = loaded.preprocessing
  } else {
    let loaded = try DataLoader.load(data, shape: shape, as: Double.self)
    trainFeatures = loaded.train.features
    testFeatures = try #require(loaded.test).features
    preprocessing = loaded.preprocessing
  }
  let tolerance = asFloat ? 1e-6 : 1e-14
  for (value, expected) in zip(trainFeatures + testFeatures, expectedTrain + expectedTest) {
    #expect(isClose(value, expected, relative: tolerance, absolute: tolerance))
  }
  #expect(preprocessing.scale == 2)
  #expect(preprocessing.mean == [5, 40, 14])
  let std = try #require(preprocessing.std)
  #expect(worstRelativeError(std, [r5, 600.0.squareRoot(), 1]) < 1e-14)
}

@Test func csvConstantFeatureIsExactlyZeroAfterStandardization() throws {
  // 0.1 three times: Σx / n is not exactly 0.1, the constant-column rule must catch it.
  let path = try dataScratchFile("const.csv", "c,y\n0.1,a\n0.1,b\n0.1,a\n")
  let data = DataSpec(train: .csv(path: path), label: "y", standardize: true)
  let loaded = try DataLoader.load(data, shape: DataProbe.shape(of: data), as: Double.self)
  #expect(loaded.train.features == [0, 0, 0])
  #expect(loaded.preprocessing.std == [1])
  #expect(loaded.preprocessing.mean == [0.1])
}

@Test func csvTestLabelUnseenInTraining() throws {
  let train = try dataScratchFile("train.csv", "x,y\n1,a\n2,b\n")
  let test = try dataScratchFile("test.csv", "x,y\n1,a\n\n2,c\n")
  let data = DataSpec(train: .csv(path: train), test: .csv(path: test), label: "y")
  let expectedMessage = "label \"c\" in column 'y' does not occur in the training data"

  let probeError = #expect(throws: DataError.self) { try DataProbe.shape(of: data) }
  #expect(probeError?.kind == .unseenLabel)
  #expect(probeError?.file == test)
  #expect(probeError?.row == 4)
  #expect(probeError?.column == 2)
  #expect(probeError?.message == expectedMessage)

  // The loader checks too, with the shape the probe would give without the test file.
  var trainOnly = data
  trainOnly.test = nil
  let shape = try DataProbe.shape(of: trainOnly)
  let loadError = #expect(throws: DataError.self) {
    try DataLoader.load(data, shape: shape, as: Float.self)
  }
  #expect(loadError?.message == expectedMessage)
  #expect(loadError?.hint == "the training classes are 'a', 'b'; a test set may only use those")
}

@Test func csvGzipIsReadToo() throws {
  let data = DataSpec(train: .csv(path: dataFixture("small.csv.gz")), label: "y")
  let shape = try DataProbe.shape(of: data)
  #expect(shape.trainCount == 2)
  #expect(shape.task == .classification(classes: ["a", "b"]))
  let loaded = try DataLoader.load(data, shape: shape, as: Float.self)
  #expect(loaded.train.features == [1, 2])
}

@Test func loaderNoticesAFileChangedSinceTheProbe() throws {
  let path = try dataScratchFile("grow.csv", "x,y\n1,a\n2,b\n")
  let data = DataSpec(train: .csv(path: path), label: "y")
  let shape = try DataProbe.shape(of: data)
  try Data("x,y\n1,a\n2,b\n3,a\n".utf8).write(to: URL(fileURLWithPath: path))
  let error = #expect(throws: DataError.self) {
    try DataLoader.load(data, shape: shape, as: Float.self)
  }
  #expect(error?.kind == .shapeMismatch)
}

// MARK: - Fashion-MNIST

private let fashionFolder = "/usr/share/datasets/fashion-mnist"
private let fashionPresent = FileManager.default.fileExists(
  atPath: "\(fashionFolder)/train-images-idx3-ubyte.gz")

@Test(.enabled(if: fashionPresent, "Fashion-MNIST is not installed"))
func fashionMNISTLoads() throws {
  let data = DataSpec(
    train: .idx(
      images: "\(fashionFolder)/train-images-idx3-ubyte.gz",
      labels: "\(fashionFolder)/train-labels-idx1-ubyte.gz"),
    test: .idx(
      images: "\(fashionFolder)/t10k-images-idx3-ubyte.gz",
      labels: "\(fashionFolder)/t10k-labels-idx1-ubyte.gz"),
    scale: 1.0 / 255)
  let shape = try DataProbe.shape(of: data)
  #expect(shape.trainCount == 60000)
  #expect(shape.testCount == 10000)
  #expect(shape.inputWidth == 784)
  #expect(shape.task.width == 10)

  let clock = ContinuousClock()
  let start = clock.now
  let loaded = try DataLoader.load(data, shape: shape, as: Float.self)
  print("Fashion-MNIST train + test loaded in \(clock.now - start)")

  #expect(loaded.train.count == 60000)
  #expect(loaded.train.width == 784)
  #expect(loaded.train.features.count == 60000 * 784)
  // From Python: gzip.open('train-labels-idx1-ubyte.gz').read()[8] == 9 (ankle boot),
  // and sum(gzip.open('train-images-idx3-ubyte.gz').read()[16:16 + 784]) == 76247.
  #expect(loaded.train.labels.first == 9)
  let firstImage = loaded.train.features[0..<784].reduce(0.0) { $0 + Double($1) }
  #expect(isClose(firstImage, 76247.0 / 255, relative: 1e-5))
  #expect(loaded.test?.count == 10000)
  // gzip.open('t10k-labels-idx1-ubyte.gz').read()[8] == 9.
  #expect(loaded.test?.labels.first == 9)
}
