import Foundation

/// The repository's root, found from this source file's location, so tests
/// can read `specs/` and `Tests/*/Fixtures` wherever the package is cloned.
public let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent()  // TestSupport
  .deletingLastPathComponent()  // Tests
  .deletingLastPathComponent()

/// A path below the repository root.
public func repositoryPath(_ relative: String) -> String {
  repositoryRoot.appendingPathComponent(relative).path
}
