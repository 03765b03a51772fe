// swift-tools-version:6.0
import PackageDescription

// The request path's modules skip run-time exclusivity checks in release builds (measured:
// swift_beginAccess was ~1% of /health's CPU). Debug builds, and so the tests, keep them, and
// bounds and overflow checks stay on everywhere.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked", "-cross-module-optimization"], .when(configuration: .release))]

let package = Package(
    name: "apiserver",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "apiserver", targets: ["apiserver"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // C modules: thin module maps over system libraries, plus a shim for what Glibc hides.
        .target(name: "CSystem"),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // Infrastructure: knows nothing of the application.
        .target(name: "SystemSupport", dependencies: ["CSystem"]),
        .target(name: "HTTPServer", dependencies: ["CSystem", "SystemSupport", .product(name: "Logging", package: "swift-log")],
                swiftSettings: hotPath),
        .target(name: "Crypto", dependencies: ["COpenSSL", "CZlib"]),
        .target(name: "Postgres", dependencies: ["CLibPQ", "Crypto", "SystemSupport"]),
        // Outbound HTTP(S): market data, object storage.
        .target(name: "HTTPClient", dependencies: ["COpenSSL", "SystemSupport"]),

        // Platform: configuration, logging, errors, middleware, metrics.
        .target(name: "Platform", dependencies: [
            "HTTPServer", "Crypto", "Postgres", "SystemSupport",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: hotPath),

        // Features: each one module behind the platform's Feature seam.
        .target(name: "Markets", dependencies: [
            "Platform", "HTTPServer", "HTTPClient", "Postgres", "Crypto", "SystemSupport", .product(name: "Logging", package: "swift-log"),
        ]),

        .target(name: "Accounts", dependencies: [
            "Platform", "HTTPServer", "Postgres", "Crypto", "SystemSupport", .product(name: "Logging", package: "swift-log"),
        ]),

        .target(name: "Backups", dependencies: [
            "Platform", "HTTPServer", "HTTPClient", "Postgres", "Crypto", "SystemSupport", .product(name: "Logging", package: "swift-log"),
        ]),

        .target(name: "Reconciliation", dependencies: [
            "Platform", "HTTPServer", "Postgres", "Crypto", "SystemSupport", "CSystem", .product(name: "Logging", package: "swift-log"),
        ]),
        // Generated reconciliation data with known truth, for tests, benchmarks and `apiserver demo`.
        .target(name: "ReconciliationFixtures", dependencies: ["Reconciliation", "SystemSupport"]),
        // Matcher quality and speed for scripts/bench-reconciliation; not shipped.
        .executableTarget(name: "reconbench", dependencies: ["Reconciliation", "ReconciliationFixtures", "SystemSupport"]),

        // The composition root: the features and how the application is assembled.
        .target(name: "AppAssembly", dependencies: ["Platform", "Markets", "Accounts", "Backups", "Reconciliation", "HTTPServer", "Postgres", .product(name: "Logging", package: "swift-log")]),

        .executableTarget(name: "apiserver", dependencies: [
            "AppAssembly", "Accounts", "Backups", "Markets", "Reconciliation", "ReconciliationFixtures", "Platform", "HTTPServer", "SystemSupport", "Crypto",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // The parser's libFuzzer harness (scripts/fuzz builds it with -D FUZZING and
        // -sanitize=fuzzer,address); a plain build replays inputs. Not shipped.
        .executableTarget(name: "RequestFuzzer", dependencies: ["HTTPServer"]),

        // Database benchmarks for scripts/bench-db; not shipped.
        .executableTarget(name: "dbbench", dependencies: ["Postgres", "Platform", .product(name: "Logging", package: "swift-log")]),

        // The strategy benchmark for scripts/bench-markets; not shipped.
        .executableTarget(name: "marketsbench", dependencies: ["Markets", "SystemSupport"]),
        // Accounts micro-benchmarks for scripts/bench-accounts; not shipped.
        .executableTarget(name: "accountsbench", dependencies: ["Accounts"]),

        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "SystemSupport"]),
        .testTarget(name: "CryptoTests", dependencies: ["Crypto", "CZlib"]),
        .testTarget(name: "PlatformTests", dependencies: ["Platform", "HTTPServer", "Postgres", "SystemSupport"]),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres"]),
        .testTarget(name: "EndToEndTests", dependencies: ["apiserver", "CSystem", "Crypto", "ReconciliationFixtures"],
                    // An independent development set and its scorer (../shared/recon-dev), read by path.
                    exclude: ["Fixtures"]),
        .testTarget(name: "ReconciliationTests", dependencies: ["Reconciliation", "ReconciliationFixtures", "Platform", "Postgres"]),
        .testTarget(name: "BackupsTests", dependencies: ["Backups", "Platform", "Crypto", "Postgres"]),
        .testTarget(name: "AccountsTests", dependencies: ["Accounts", "Platform", "Crypto"]),
        .testTarget(name: "MarketsTests", dependencies: ["Markets", "Platform", "Postgres", "SystemSupport"]),
        .testTarget(name: "AssemblyTests", dependencies: ["AppAssembly", "Platform", "Postgres"]),
    ],
    swiftLanguageModes: [.v6]
)
