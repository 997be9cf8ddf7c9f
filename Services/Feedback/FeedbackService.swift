// The feedback service's methods for one worker thread: "outcome" (validate against the decision
// log, store once, publish on the outcome stream, note the contact in the profile, acknowledge)
// and "replay" (the stream from a sequence on). Each worker owns its store connection, its
// stream publisher and its broker client.
import DecisionLog
import Foundation
import Logging
import ServiceKit
import Store
import Wire
import ZeroMQ

final class FeedbackService: @unchecked Sendable {
    // @unchecked: made by a worker thread and used only by that thread.
    let log: OutcomeLog
    let publisher: StreamPublisher
    let client: BrokerClient
    let logger: Logger
    static let maxReplay = 5_000
    static let maxIDBytes = 128
    /// The largest purchase amount taken as real.
    static let maxAmount = 1e9

    init(store: StoreLocation, context: ZMQContext, streamIn: String, frontend: String, logger: Logger) throws {
        log = try OutcomeLog(db: try store.open())
        publisher = try StreamPublisher(context: context, endpoint: streamIn, topic: StreamTopic.outcomes)
        client = try BrokerClient(context: context, endpoint: frontend)
        self.logger = logger
    }

    func methods() -> Methods {
        var methods = Methods()
        methods.on("outcome") { [self] (outcome: Outcome, _) throws -> OutcomeAck in try record(outcome) }
        methods.on("replay") { [self] (request: ReplayRequest, _) throws -> ReplayReply in
            let limit = request.maxEvents == 0 ? Self.maxReplay : min(Int(request.maxEvents), Self.maxReplay)
            return try log.replay(from: request.fromSequence, limit: limit)
        }
        return methods
    }

    func record(_ request: Outcome) throws -> OutcomeAck {
        var outcome = request
        for (name, value) in [("event_id", outcome.eventID), ("decision_id", outcome.decisionID), ("offer_id", outcome.offerID)] {
            guard !value.isEmpty, value.utf8.count <= Self.maxIDBytes else {
                throw ServiceError(.invalidArgument, "\(name) is required (1–\(Self.maxIDBytes) bytes)")
            }
        }
        switch outcome.type {
        case .impression, .click, .accept, .decline, .purchase, .ignored: break
        case .unspecified, .UNRECOGNIZED:
            throw ServiceError(.invalidArgument, "type is required: IMPRESSION, CLICK, ACCEPT, DECLINE, PURCHASE or IGNORED")
        }
        guard outcome.amount.isFinite, outcome.amount >= 0, outcome.amount <= Self.maxAmount else {
            throw ServiceError(.invalidArgument, "amount \(outcome.amount) is not between 0 and \(Int(Self.maxAmount))")
        }
        guard let decision = try DecisionLogTable.find(outcome.decisionID, log.db) else {
            throw ServiceError(.notFound, "unknown decision \(outcome.decisionID) (a decision reaches the log within 100 ms of its answer: retry then)")
        }
        guard decision.offers.contains(where: { $0.offerID == outcome.offerID }) else {
            throw ServiceError(.invalidArgument, "offer \(outcome.offerID) was not shown in decision \(outcome.decisionID) (shown: \(decision.offers.map(\.offerID).joined(separator: ", ")))")
        }
        guard outcome.customerID.isEmpty || outcome.customerID == decision.customerID else {
            throw ServiceError(.invalidArgument, "decision \(outcome.decisionID) was for another customer, not \(outcome.customerID)")
        }
        outcome.customerID = decision.customerID
        if outcome.channel == .unspecified { outcome.channel = decision.channel }
        if outcome.timeUnixMs == 0 { outcome.timeUnixMs = Int64(Date().timeIntervalSince1970 * 1000) }
        let candidate = decision.candidates.first { $0.offerID == outcome.offerID }
        let (stored, duplicate) = try log.append(OutcomeEvent.with {
            $0.outcome = outcome
            $0.features = decision.features
            $0.priorPropensity = candidate?.priorPropensity ?? 0
        })
        if !duplicate {
            try publisher.publish(try stored.serializedBytes())
            noteContact(stored.outcome, category: candidate?.category ?? "")
        }
        return OutcomeAck.with { $0.eventID = outcome.eventID; $0.sequence = stored.sequence; $0.duplicate = duplicate }
    }

    /// Impressions, accepts and declines become the customer's contact history in the profile
    /// (the contact policy reads it). Idempotent by event id; a failure is logged, the outcome is kept.
    func noteContact(_ outcome: Outcome, category: String) {
        let type: String
        switch outcome.type {
        case .impression: type = "offer_shown"
        case .accept: type = "offer_accepted"
        case .decline: type = "offer_declined"
        default: return
        }
        do {
            let _: CustomerReply = try client.call("profile", "record_event", EventRecord.with {
                $0.identity = .with { $0.kind = "customer"; $0.value = outcome.customerID }
                $0.eventID = "outcome:" + outcome.eventID
                $0.event = .with {
                    $0.type = type
                    $0.channel = outcome.channel
                    $0.timeUnixMs = outcome.timeUnixMs
                    $0.data = ["offer_id": outcome.offerID, "category": category, "decision_id": outcome.decisionID]
                }
            }, timeoutMicros: 1_000_000, idempotent: true)
        } catch {
            logger.warning("contact not noted in the profile", metadata: ["event_id": "\(outcome.eventID)", "error": "\(error)"])
        }
    }
}
