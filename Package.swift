// swift-tools-version: 6.1
// OfferLoop: a real-time decisioning cluster over ZeroMQ.
import PackageDescription

let package = Package(
    name: "OfferLoop",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "offerloop", targets: ["CLI"]),
        .executable(name: "offerloop-broker", targets: ["Broker"]),
        .executable(name: "offerloop-echo", targets: ["Echo"]),
        .executable(name: "offerloop-profile", targets: ["Profile"]),
        .executable(name: "offerloop-scoring", targets: ["Scoring"]),
        .executable(name: "offerloop-decision", targets: ["Decision"]),
        .executable(name: "offerloop-feedback", targets: ["Feedback"]),
        .executable(name: "offerloop-loadtest", targets: ["LoadTest"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        // For the SQLite it vendors (3.54; see Shared/Store/SQLiteDatabase.swift), not its NIO API.
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        // SHA-256 of imported files; already built for postgres-nio's authentication.
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // Shared libraries: the boxes every service is built from.
        // libzmq from Debian's libzmq3-dev: its header and library are on the default paths (its
        // pkg-config flags would bring Kerberos' -isystem, which SwiftPM refuses with a warning).
        .systemLibrary(name: "CZeroMQ", path: "Shared/CZeroMQ"),
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ"], path: "Shared/ZeroMQ"),
        .target(
            name: "Wire",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            path: "Shared/Wire", exclude: ["offerloop.proto"]),
        .target(name: "BrokerCore", dependencies: ["Wire"], path: "Shared/BrokerCore"),
        // Helper types the cores share, each in a home of its own so that no core imports another.
        .target(name: "Random", path: "Shared/Random"),
        .target(name: "CivilCalendar", path: "Shared/CivilCalendar"),
        // The system of record: SQLite (embedded default) or PostgreSQL (shared), one SQL dialect.
        .target(
            name: "Store",
            dependencies: [
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Shared/Store"),
        // The profile service: identity, attributes, activity, value (pure rules, then the store).
        .target(name: "ProfileCore", dependencies: ["Wire", "CivilCalendar"], path: "Shared/ProfileCore"),
        .target(name: "ProfileStore", dependencies: ["ProfileCore", "Store", "CustomerValue", "CSV"], path: "Shared/ProfileStore"),
        .target(name: "CSV", dependencies: [.product(name: "Crypto", package: "swift-crypto")], path: "Shared/CSV"),
        // Customer lifetime value (BG/NBD, Gamma-Gamma) and churn risk: pure math, no I/O.
        .target(name: "CustomerValue", path: "Shared/CustomerValue"),
        // Offer propensities: online Bayesian logistic regression per offer, Thompson sampling.
        .target(name: "ScoringCore", dependencies: ["Wire", "Random"], path: "Shared/ScoringCore"),
        // The offer-decision strategy: catalog, eligibility rules, contact policy, control groups, arbitration.
        .target(name: "DecisionLog", dependencies: ["Store", "Wire", .product(name: "SwiftProtobuf", package: "swift-protobuf")], path: "Shared/DecisionLog"),
        .target(name: "Effectiveness", dependencies: ["Store", "Wire"], path: "Shared/Effectiveness"),
        .target(name: "DecisionCore", dependencies: ["Wire", "CivilCalendar", .product(name: "Yams", package: "Yams")], path: "Shared/DecisionCore"),
        .target(
            name: "ServiceKit",
            dependencies: [
                "ZeroMQ", "Wire",
                // Only for StoreError's wire form (StoreError+ServiceError.swift): the store knows no wire type.
                "Store",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                // The HTTP/1 server for /metrics, /health and /ready.
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Shared/ServiceKit"),

        // Services and tools: thin executables.
        .executableTarget(name: "Broker", dependencies: ["BrokerCore", "ServiceKit", .product(name: "Metrics", package: "swift-metrics")], path: "Services/Broker"),
        .executableTarget(name: "Profile", dependencies: ["ProfileStore", "Random", "ServiceKit", .product(name: "Metrics", package: "swift-metrics")], path: "Services/Profile"),
        .executableTarget(name: "Scoring", dependencies: ["ScoringCore", "Random", "ServiceKit", "Store", .product(name: "Metrics", package: "swift-metrics")], path: "Services/Scoring"),
        .executableTarget(name: "Decision", dependencies: ["DecisionCore", "DecisionLog", "Random", "ServiceKit", "Store", .product(name: "Metrics", package: "swift-metrics"), .product(name: "SwiftProtobuf", package: "swift-protobuf")], path: "Services/Decision"),
        .executableTarget(name: "Feedback", dependencies: ["DecisionLog", "ServiceKit", "Store", .product(name: "Metrics", package: "swift-metrics")], path: "Services/Feedback"),
        .executableTarget(name: "Echo", dependencies: ["ServiceKit"], path: "Services/Echo"),
        .executableTarget(
            name: "CLI",
            dependencies: ["ServiceKit", "CustomerValue", "CivilCalendar", "ProfileStore", "CSV", "Effectiveness", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            path: "Services/CLI"),
        .executableTarget(
            name: "LoadTest",
            dependencies: ["ServiceKit", "ScoringCore", "Random", "Simulation", "WireFuzzing", "DecisionCore", "DecisionLog", "Store", .product(name: "Histogram", package: "hdrhistogram-swift")],
            path: "Services/LoadTest"),

        // Test and benchmark support: the tests and the load generator drive the system with these.
        // The learning check's simulated world of customers and offers.
        .target(name: "Simulation", dependencies: ["ScoringCore", "Random"], path: "Tests/Support/Simulation"),
        // Seeded mutation fuzzing of every decoder that reads network bytes.
        .target(
            name: "WireFuzzing",
            dependencies: ["Wire", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            path: "Tests/Support/WireFuzzing"),
        // Calls a service's methods in process with a manual clock, sequential ids and fixed seeds.
        .target(
            name: "ServiceTesting",
            dependencies: ["ServiceKit", "Wire", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            path: "Tests/Support/ServiceTesting"),

        // Tests: one target per module, plus real processes in IntegrationTests.
        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ"]),
        // The fuzz corpus is read from the source tree (scripts/fuzz adds to it), not bundled.
        .testTarget(name: "WireTests", dependencies: ["Wire", "WireFuzzing"], exclude: ["Fixtures"]),
        .testTarget(name: "BrokerCoreTests", dependencies: ["BrokerCore"]),
        .testTarget(name: "StoreTests", dependencies: ["Store"]),
        .testTarget(name: "CSVTests", dependencies: ["CSV"]),
        .testTarget(name: "CivilCalendarTests", dependencies: ["CivilCalendar"]),
        .testTarget(name: "ProfileCoreTests", dependencies: ["ProfileCore"]),
        .testTarget(name: "ProfileStoreTests", dependencies: ["ProfileStore", "CivilCalendar", "CSV", "DecisionLog"]),
        .testTarget(name: "CustomerValueTests", dependencies: ["CustomerValue", "CivilCalendar", "CSV", "ProfileCore", "Random"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ScoringCoreTests", dependencies: ["ScoringCore", "Random", "Simulation"]),
        .testTarget(name: "DecisionCoreTests", dependencies: ["DecisionCore", "Random"]),
        .testTarget(name: "ServiceKitTests", dependencies: ["ServiceKit", "Store"]),
        .testTarget(name: "EffectivenessTests", dependencies: ["Effectiveness", "Random", "ScoringCore", "Simulation", "Wire"]),
        // The service adapters, in process through ServiceTesting (a test target may depend on an executable).
        .testTarget(name: "DecisionServiceTests", dependencies: ["Decision", "ServiceTesting", "DecisionCore", "Wire", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "ProfileServiceTests", dependencies: ["Profile", "ServiceTesting", "ProfileStore", "Store", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "ScoringServiceTests", dependencies: ["Scoring", "ServiceTesting", "ScoringCore", "Store", "ZeroMQ", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "FeedbackServiceTests", dependencies: ["Feedback", "ServiceTesting", "DecisionLog", "Store", "ZeroMQ", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "IntegrationTests", dependencies: ["ServiceKit", .product(name: "SwiftProtobuf", package: "swift-protobuf"), .product(name: "Yams", package: "Yams")]),
    ],
    swiftLanguageModes: [.v6]
)
