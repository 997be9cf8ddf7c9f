// swift-tools-version: 6.1
// OfferLoop: a real-time decisioning cluster over ZeroMQ.
import PackageDescription

// Products several of our targets use.
let protobuf: Target.Dependency = .product(name: "SwiftProtobuf", package: "swift-protobuf")
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let metrics: Target.Dependency = .product(name: "Metrics", package: "swift-metrics")
let nioPosix: Target.Dependency = .product(name: "NIOPosix", package: "swift-nio")

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
        .executable(name: "offerloop-gateway", targets: ["Gateway"]),
        // IPS, SNIPS and DR with seeded bootstrap intervals on any logged bandit feedback.
        .library(name: "OffPolicyEvaluation", targets: ["OffPolicyEvaluation"]),
        // For Swift touchpoints: BrokerClient (deadlines, retries, two brokers, CURVE) and the protocol's messages.
        .library(name: "OfferLoopClient", targets: ["Transport", "Wire"]),
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
        // The HTTP/JSON gateway's server (and TLS); without its optional swift-configuration support.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        // Hummingbird's HTTP types (fields, statuses) and TLS (certificates, keys), named by the gateway.
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // Shared/ holds three kinds of library (README.md, Layout): the platform every process
        // stands on, the pure cores (no I/O), and the adapters that join a core to the store.
        // LayoutTests checks the README's module diagram against these targets and the rules
        // between the kinds.

        // Platform.
        // libzmq from Debian's libzmq3-dev: its header and library are on the default paths (its
        // pkg-config flags would bring Kerberos' -isystem, which SwiftPM refuses with a warning).
        .systemLibrary(name: "CZeroMQ", path: "Shared/Platform/CZeroMQ"),
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ"], path: "Shared/Platform/ZeroMQ"),
        .target(
            name: "Wire",
            dependencies: [protobuf],
            path: "Shared/Platform/Wire", exclude: ["offerloop.proto"]),
        // The system of record: SQLite (embedded default) or PostgreSQL (shared), one SQL dialect.
        // CSQLiteOptions: the SQLite connection settings only a variadic C call sets.
        .target(name: "CSQLiteOptions", dependencies: [.product(name: "SQLiteNIO", package: "sqlite-nio")], path: "Shared/Platform/CSQLiteOptions"),
        .target(
            name: "Store",
            dependencies: [
                "CSQLiteOptions",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                nioPosix,
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Shared/Platform/Store"),
        // How a process talks through the broker: worker loop, broker client, methods, streams, CURVE/ZAP,
        // the gateway's API keys (their SHA-256 digests: swift-crypto).
        .target(
            name: "Transport",
            // Store only for StoreError's wire form (StoreError+ServiceError.swift): the store knows no wire type.
            dependencies: ["ZeroMQ", "Wire", "Store", logging, metrics, .product(name: "Crypto", package: "swift-crypto")],
            path: "Shared/Platform/Transport"),
        // The process around it: options from flags/env, logging, telemetry over HTTP, lifecycle.
        .target(
            name: "ProcessShell",
            dependencies: [
                "Transport", "Store", "Wire", "ZeroMQ", logging, metrics,
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                // The HTTP/1 server for /metrics, /health and /ready.
                .product(name: "NIOHTTP1", package: "swift-nio"), nioPosix,
            ],
            path: "Shared/Platform/ProcessShell"),

        // Pure cores: no I/O, tested exactly.
        .target(name: "BrokerCore", dependencies: ["Wire"], path: "Shared/Cores/BrokerCore"),
        // Helper types the cores share, each in a home of its own so that no core imports another.
        .target(name: "Random", path: "Shared/Cores/Random"),
        .target(name: "CivilCalendar", path: "Shared/Cores/CivilCalendar"),
        .target(name: "CSV", dependencies: [.product(name: "Crypto", package: "swift-crypto")], path: "Shared/Cores/CSV"),
        // The profile service's rules: identity, attributes, merge, sessions.
        .target(name: "ProfileCore", dependencies: ["Wire", "CivilCalendar"], path: "Shared/Cores/ProfileCore"),
        // Customer lifetime value (BG/NBD, Gamma-Gamma) and churn risk: pure math, no I/O.
        .target(name: "CustomerValue", path: "Shared/Cores/CustomerValue"),
        // Offer propensities: online Bayesian logistic regression per offer, Thompson sampling.
        .target(name: "ScoringCore", dependencies: ["Wire", "Random"], path: "Shared/Cores/ScoringCore"),
        // The offer-decision strategy: catalog, eligibility rules, contact policy, control groups, arbitration.
        .target(name: "DecisionCore", dependencies: ["Wire", "CivilCalendar", .product(name: "Yams", package: "Yams")], path: "Shared/Cores/DecisionCore"),
        // Which offers work: lift against control, off-policy estimates, the report over logged decisions.
        .target(name: "Effectiveness", dependencies: ["OffPolicyEvaluation", "Wire"], path: "Shared/Cores/Effectiveness"),
        // Off-policy estimates (IPS, SNIPS, DR) with bootstrap intervals, on any logged bandit feedback (a library product).
        .target(name: "OffPolicyEvaluation", dependencies: ["CSV", "Random"], path: "Shared/Cores/OffPolicyEvaluation"),

        // Adapters: a core's data in the store.
        // The profile: identity, attributes, activity, value, in the store.
        .target(name: "ProfileStore", dependencies: ["ProfileCore", "Store", "CustomerValue", "CSV"], path: "Shared/Adapters/ProfileStore"),
        // The decision and outcome tables: written by decision and feedback, read by reports, erased by both.
        .target(
            name: "DecisionRecords",
            dependencies: ["Store", "Wire", protobuf],
            path: "Shared/Adapters/DecisionRecords"),
        // The scoring model as a stream follower (Transport's): scoring's replicas and the decision
        // replicas that hold it keep, score and snapshot it with this one code.
        .target(
            name: "ModelReplica",
            dependencies: ["ScoringCore", "Random", "Transport", "Wire", "ZeroMQ", logging, .product(name: "Crypto", package: "swift-crypto")],
            path: "Shared/Adapters/ModelReplica"),

        // Services and tools: thin executables.
        .executableTarget(name: "Broker", dependencies: ["BrokerCore", "Transport", "ProcessShell", metrics], path: "Services/Broker"),
        .executableTarget(name: "Profile", dependencies: ["ProfileStore", "Random", "Transport", "ProcessShell", metrics], path: "Services/Profile"),
        .executableTarget(name: "Scoring", dependencies: ["ModelReplica", "ScoringCore", "Transport", "ProcessShell", "Store", metrics], path: "Services/Scoring"),
        .executableTarget(name: "Decision", dependencies: ["DecisionCore", "DecisionRecords", "ModelReplica", "ProfileCore", "Random", "Transport", "ProcessShell", "Store", metrics, protobuf], path: "Services/Decision"),
        .executableTarget(name: "Feedback", dependencies: ["DecisionRecords", "Transport", "ProcessShell", "Store", metrics], path: "Services/Feedback"),
        // The HTTP/JSON gateway: web touchpoints, the agent's desktop, Personalizer's applications.
        .executableTarget(
            name: "Gateway",
            dependencies: [
                "Transport", "ProcessShell", "Wire", "ZeroMQ", logging, metrics, protobuf, nioPosix,
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Services/Gateway",
            // The agent desk's page (Desk/DeskRoutes.swift serves it at /desk/).
            resources: [.copy("Desk/index.html"), .copy("Desk/desk.js"), .copy("Desk/desk.css")]),
        .executableTarget(name: "Echo", dependencies: ["Transport", "ProcessShell"], path: "Services/Echo"),
        .executableTarget(
            name: "CLI",
            dependencies: ["Transport", "ProcessShell", "CustomerValue", "CivilCalendar", "ProfileStore", "CSV", "Effectiveness", "DecisionRecords", "DecisionCore", "OffPolicyEvaluation", protobuf],
            path: "Services/CLI"),
        .executableTarget(
            name: "LoadTest",
            dependencies: ["Transport", "ProcessShell", "ScoringCore", "Random", "Simulation", "WireFuzzing", "DecisionCore", "DecisionRecords", "Store", .product(name: "Histogram", package: "hdrhistogram-swift")],
            path: "Services/LoadTest"),

        // Test and benchmark support: the tests and the load generator drive the system with these.
        // The learning check's simulated world of customers and offers.
        .target(name: "Simulation", dependencies: ["ScoringCore", "DecisionCore", "Random", "Wire"], path: "Tests/Support/Simulation"),
        // Seeded mutation fuzzing of every decoder that reads network bytes.
        .target(
            name: "WireFuzzing",
            dependencies: ["Wire", protobuf],
            path: "Tests/Support/WireFuzzing"),
        // Calls a service's methods in process with a manual clock, sequential ids and fixed seeds.
        // The stores a store test runs on: a temporary SQLite file, a schema on the test PostgreSQL.
        .target(name: "StoreBackends", dependencies: ["Store"], path: "Tests/Support/StoreBackends"),
        .target(name: "ServiceTesting", dependencies: ["Transport", "Wire", protobuf, logging], path: "Tests/Support/ServiceTesting"),

        // Tests: one target per module, plus real processes in IntegrationTests.
        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ"]),
        // The fuzz corpus is read from the source tree (scripts/fuzz adds to it), not bundled.
        .testTarget(name: "WireTests", dependencies: ["Wire", "WireFuzzing"], exclude: ["Fixtures"]),
        .testTarget(name: "BrokerCoreTests", dependencies: ["BrokerCore"]),
        .testTarget(name: "StoreTests", dependencies: ["Store"]),
        .testTarget(name: "CSVTests", dependencies: ["CSV"]),
        .testTarget(name: "CivilCalendarTests", dependencies: ["CivilCalendar"]),
        .testTarget(name: "ProfileCoreTests", dependencies: ["ProfileCore"]),
        .testTarget(name: "ProfileStoreTests", dependencies: ["ProfileStore", "StoreBackends", "CivilCalendar", "CSV", "CustomerValue"]),
        .testTarget(name: "DecisionRecordsTests", dependencies: ["DecisionRecords", "StoreBackends", "Store", "Wire"]),
        .testTarget(name: "CustomerValueTests", dependencies: ["CustomerValue", "CivilCalendar", "CSV", "ProfileCore", "Random"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ScoringCoreTests", dependencies: ["ScoringCore", "Random", "Simulation", "Wire"]),
        .testTarget(name: "DecisionCoreTests", dependencies: ["DecisionCore", "ProfileCore", "Random", "Simulation"]),
        .testTarget(name: "ModelReplicaTests", dependencies: ["ModelReplica", "ScoringCore", "Transport", "Wire", logging]),
        // ProcessShell for reading the metrics the layers record (Telemetry's Prometheus text).
        .testTarget(name: "TransportTests", dependencies: ["Transport", "ProcessShell", "Store"]),
        .testTarget(name: "ProcessShellTests", dependencies: ["ProcessShell", "Transport", "Store"]),
        .testTarget(name: "OffPolicyEvaluationTests", dependencies: ["OffPolicyEvaluation", "CSV", "Random"], exclude: ["Fixtures"]),
        .testTarget(name: "EffectivenessTests", dependencies: ["DecisionCore", "Effectiveness", "Random", "ScoringCore", "Simulation", "Wire"]),
        // The service adapters, in process through ServiceTesting (a test target may depend on an executable).
        .testTarget(name: "EchoServiceTests", dependencies: ["Echo", "ServiceTesting", "Transport", "Wire"]),
        .testTarget(name: "DecisionServiceTests", dependencies: ["Decision", "ServiceTesting", "DecisionCore", "DecisionRecords", "ModelReplica", "ProfileCore", "Random", "ScoringCore", "Store", "Wire", logging, protobuf]),
        .testTarget(name: "ProfileServiceTests", dependencies: ["Profile", "ServiceTesting", "ProfileStore", "Store", logging]),
        .testTarget(name: "ScoringServiceTests", dependencies: ["Scoring", "ServiceTesting", "ModelReplica", "ScoringCore", "Store", "ZeroMQ", logging]),
        .testTarget(name: "FeedbackServiceTests", dependencies: ["Feedback", "ServiceTesting", "DecisionRecords", "Store", "ZeroMQ", logging]),
        .testTarget(name: "GatewayTests", dependencies: ["Gateway", "Transport", "Wire", "ZeroMQ", protobuf, .product(name: "Hummingbird", package: "hummingbird")]),
        .testTarget(name: "IntegrationTests", dependencies: ["Transport", protobuf, .product(name: "Yams", package: "Yams")]),
    ],
    swiftLanguageModes: [.v6]
)
