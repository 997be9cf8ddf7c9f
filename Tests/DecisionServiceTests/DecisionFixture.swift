// A decision service for one test: the sample catalog, a real journal in a temporary directory,
// customer views and propensities in memory, the manual clock, and its log captured.
import DecisionCore
import Foundation
import Logging
import Transport
import ServiceTesting
import Synchronization
import Wire
@testable import Decision

final class DecisionFixture {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let catalogPath = repositoryRoot.appendingPathComponent("examples/catalog/retail-bank.yaml").path

    let directory: URL
    let clock: ManualClock
    let views: RecordingViews
    let propensities: RecordingPropensities
    let journal: DecisionJournal
    let catalog: CatalogHolder
    let logs: CapturedLogs
    let service: DecisionService
    let tester: ServiceTester

    /// `exploration` greedy: the strategy exploits only, so the offers follow from the propensities.
    /// `scoring`: the propensity source decide uses, given the recording one (the default) and
    /// the fixture's environment. `replica`: customer views held in memory, asked before `views`.
    /// `forwarder`: where a decide for another partition's customer goes.
    init(settings: DecisionService.Settings = DecisionService.Settings(), exploration: Exploration = .greedy,
         scoring: (RecordingPropensities, ServiceEnvironment) -> any PropensitySource = { recording, _ in recording },
         replica: ReplicaViews? = nil, forwarder: (any DecisionForwarder)? = nil, clock: ManualClock = ManualClock(),
         logged: @escaping (String) throws(ServiceError) -> Bool = { _ in false }) throws {
        self.clock = clock
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("decision-service-\(UUID().uuidString)")
        views = RecordingViews(InMemoryViewSource([Self.adaKey: Self.ada]))
        propensities = RecordingPropensities(FixedPropensities(["personal_loan": 0.2, "home_insurance": 0.1], modelVersion: "seq-7",
                                                               features: ["bias", "seg=silver"]))
        journal = try DecisionJournal(directory: directory.appendingPathComponent("journal"))
        let logs = CapturedLogs()
        self.logs = logs
        let logger = Logger(label: "decision-test") { _ in logs }
        catalog = try CatalogHolder(path: Self.catalogPath, exploration: exploration, logger: logger)
        let environment = ServiceEnvironment.manual(clock)
        service = DecisionService(catalog: catalog, journal: journal, settings: settings, views: views, replica: replica,
                                  propensities: scoring(propensities, environment), forwarder: forwarder, environment: environment, logger: logger,
                                  logged: logged)
        tester = ServiceTester(service: "decision", methods: service.methods(), clock: clock)
    }

    deinit {
        tester.close()
        try? FileManager.default.removeItem(at: directory)
    }

    /// A customer outside the sample catalog's control group (5%, salt retail-bank-2026), with a
    /// card and a mortgage.
    static let adaID = (0...).lazy.map { "c\($0)" }.first { !ControlGroup.contains($0, percent: 5, salt: "retail-bank-2026") }!
    static let ada = CustomerView.with {
        $0.customerID = adaID
        $0.segment = "silver"
        $0.clv = 2_500
        $0.churnRisk = 0.2
        $0.holdings = ["credit_card", "mortgage"]
    }
    static let adaKey = "login:ada"

    static func request(_ channel: Channel = .web, login: String = "ada", slots: UInt32 = 2, seed: UInt64 = 1) -> DecideRequest {
        DecideRequest.with {
            $0.channel = channel
            $0.identity = .with { $0.kind = "login"; $0.value = login }
            $0.slots = slots
            $0.localHour = 10
            $0.seed = seed
        }
    }

    func decide(_ request: DecideRequest = DecisionFixture.request(), deadlineMs: UInt64 = 1_000, elapsedMs: UInt64 = 0,
                routingKey: String = "") throws(ServiceError) -> DecideReply {
        try tester.call("decide", request, deadlineMs: deadlineMs, elapsedMs: elapsedMs, routingKey: Array(routingKey.utf8))
    }

    /// The records in the journal file being written.
    func journaled() throws -> [DecisionRecord] { try DecisionJournal.read(journal.currentFile).map { try DecisionRecord(serializedBytes: $0) } }
}

/// The in-memory views, recording the budget of each call; `takes` is how long a call lasts on
/// the manual clock.
final class RecordingViews: CustomerViewSource {
    let source: InMemoryViewSource
    var budgets: [UInt64] = []
    var takes: UInt64 = 0
    var clock: ManualClock?

    init(_ source: InMemoryViewSource) { self.source = source }

    func view(_ request: CustomerViewRequest, budgetMicros: UInt64) throws(ServiceError) -> CustomerView {
        budgets.append(budgetMicros)
        clock?.advance(nanoseconds: takes)
        return try source.view(request, budgetMicros: budgetMicros)
    }
}

final class RecordingPropensities: PropensitySource {
    let source: FixedPropensities
    var budgets: [UInt64] = []
    var requests: [ScoreRequest] = []

    init(_ source: FixedPropensities) { self.source = source }

    func scores(_ request: ScoreRequest, budgetMicros: UInt64) throws(ServiceError) -> ScoreReply {
        budgets.append(budgetMicros)
        requests.append(request)
        return try source.scores(request, budgetMicros: budgetMicros)
    }
}

/// Every message logged at warning or above, with its metadata.
final class CapturedLogs: LogHandler, @unchecked Sendable {
    // @unchecked: the entries are behind their lock; the rest is set once by swift-log.
    private let entries = Mutex<[(level: Logger.Level, message: String, metadata: Logger.Metadata)]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .warning

    var logged: [(level: Logger.Level, message: String, metadata: Logger.Metadata)] { entries.withLock { $0 } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        entries.withLock { $0.append((event.level, event.message.description, event.metadata ?? [:])) }
    }
}
