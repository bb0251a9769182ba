// swift-tools-version:6.0
import PackageDescription

// The pipeline, one target per stage:
//   SpecParser  YAML text -> located node tree -> typed `Spec`
//   Planner     `Spec` + data shape -> validated, immutable `Plan`
//   Runtime     `Plan` -> arena, kernels, optimizers, data readers
//   nnc         the command-line tool; the only place errors become text
// The C libraries come in as system-library targets found through pkg-config.
let package = Package(
  name: "nnc",
  products: [
    .executable(name: "nnc", targets: ["nnc"])
  ],
  targets: [
    .systemLibrary(
      name: "CYAML", pkgConfig: "yaml-0.1",
      providers: [.apt(["libyaml-dev"])]),
    .systemLibrary(
      name: "COpenBLAS", pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(
      name: "CZlib", pkgConfig: "zlib",
      providers: [.apt(["zlib1g-dev"])]),
    .systemLibrary(
      name: "CCrypto", pkgConfig: "libcrypto",
      providers: [.apt(["libssl-dev"])]),

    .target(name: "SpecParser", dependencies: ["CYAML"]),
    .target(name: "Planner", dependencies: ["SpecParser"]),
    // The runtime is always optimized, in debug builds too: its kernels are the
    // product, tests then check the code users run, and unoptimized generic
    // code would allocate in the step loop that must not.
    .target(
      name: "Runtime", dependencies: ["Planner", "COpenBLAS", "CZlib", "CCrypto"],
      swiftSettings: [
        .unsafeFlags(["-O"], .when(configuration: .debug)),
        // Exposes the generic kernels' bodies to the command-line tool, so
        // they are specialized for Float and Double there instead of running
        // through protocol witnesses element by element.
        .unsafeFlags(["-cross-module-optimization"]),
      ]),
    .executableTarget(name: "nnc", dependencies: ["SpecParser", "Planner", "Runtime"]),

    .target(name: "TestSupport", path: "Tests/TestSupport"),
    .target(name: "AllocationCounter", path: "Tests/AllocationCounter"),
    .testTarget(
      name: "SpecParserTests", dependencies: ["SpecParser", "TestSupport"],
      resources: [.copy("Fixtures")]),
    .testTarget(
      name: "PlannerTests", dependencies: ["Planner", "SpecParser", "Runtime", "TestSupport"]),
    .testTarget(
      name: "RuntimeTests",
      dependencies: ["Runtime", "Planner", "SpecParser", "TestSupport", "AllocationCounter"],
      resources: [.copy("Fixtures")]),
    .testTarget(
      name: "nncTests", dependencies: ["SpecParser", "TestSupport"],
      exclude: ["Fixtures", "BadInputs"]),
  ]
)
