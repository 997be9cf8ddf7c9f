// A feedback service for one test: a real SQLite file in a temporary directory holding two logged
// decisions, the outcomes it publishes kept in memory, and the manual clock.
import DecisionRecords
import Foundation
import Logging
import Transport
import ServiceTesting
import Store
import Wire
@testable import Feedback

final class FeedbackFixture {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("feedback-service-\(UUID().uuidString)")
    let clock = ManualClock()
    let location: StoreLocation
    let published = PublishedOutcomes()
    let service: FeedbackService
    let tester: ServiceTester
    /// When the decisions were made: the clock's start.
    let decidedAt: Int64

    init() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        location = .sqlite(path: directory.appendingPathComponent("decisions.sqlite").path)
        decidedAt = clock.wallMs
        let db = try location.open()
        try DecisionLogTable.create(db)
        let records = [Self.decision("d-1", .web, at: decidedAt), Self.decision("d-2", .atm, at: decidedAt)]
        try DecisionLogTable.insert(records, db)
        db.close()
        service = try FeedbackService(store: location, publisher: published, settings: FeedbackSettings(), environment: .manual(clock),
                                      logger: Logger(label: "feedback-test"))
        tester = ServiceTester(service: "feedback", methods: service.methods(), clock: clock)
    }

    deinit {
        tester.close()
        try? FileManager.default.removeItem(at: directory)
    }

    /// A decision for customer c-1 that showed "loan" and "card".
    static func decision(_ id: String, _ channel: Channel, at time: Int64) -> DecisionRecord {
        DecisionRecord.with {
            $0.decisionID = id
            $0.timeUnixMs = time
            $0.customerID = "c-1"
            $0.channel = channel
            $0.offers = ["loan", "card"].map { offer in OfferChoice.with { $0.offerID = offer; $0.category = offer + "s" } }
            $0.candidates = [CandidateRecord.with { $0.offerID = "loan"; $0.priorPropensity = 0.1 }]
            $0.features = ["bias", "ch=web"]
        }
    }

    /// Logs decisions now, as the decision service's journal loader does, through a connection of its own.
    func log(_ records: DecisionRecord...) throws {
        let db = try location.open()
        defer { db.close() }
        try DecisionLogTable.insert(records, db)
    }

    static func outcome(_ eventID: String, decision: String = "d-1", offer: String = "loan", _ type: OutcomeType = .accept) -> Outcome {
        Outcome.with {
            $0.eventID = eventID
            $0.decisionID = decision
            $0.offerID = offer
            $0.type = type
        }
    }

    func record(_ outcome: Outcome) throws(ServiceError) -> OutcomeAck { try tester.call("outcome", outcome) }

    /// The events published so far, decoded.
    func events() throws -> [OutcomeEvent] { try published.payloads.map { try OutcomeEvent(serializedBytes: $0) } }
}

/// The outcome stream as a list in memory.
final class PublishedOutcomes: EventPublisher {
    var payloads: [[UInt8]] = []

    func publish(_ payload: [UInt8]) throws { payloads.append(payload) }

    func close() {}
}
