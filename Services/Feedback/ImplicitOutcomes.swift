// Implicit outcomes: an offer shown in a decision that got no response (click, accept, decline,
// purchase) within its channel's response window becomes "ignored" — once, stored and published
// like any outcome, with event id "ignored:DECISION:OFFER" (so replicas sweeping at the same time
// store it once). Each channel is swept in time order up to `now − window − grace`; the grace
// (5 s, or half the window when that is shorter) covers outcomes accepted just before the window
// closed and decisions still on their way from the decision journals (≤ 100 ms). A decision that reaches the log later than that (the journal
// of a crashed decision replica, copied when its successor starts) is not swept.
import DecisionRecords
import Foundation
import Logging
import Metrics
import Store
import Transport
import Wire
import ZeroMQ

struct ImplicitOutcomes: Sendable {
    let store: StoreLocation
    let settings: FeedbackSettings
    let context: ZMQContext
    let streamIn: String
    let interval: UInt64
    let environment: ServiceEnvironment
    let logger: Logger
    static func grace(_ window: Int64) -> Int64 { min(5_000, window / 2) }
    static let page = 1_000
    /// Outcome types after which an offer is not swept: a response, or an "ignored" already stored.
    static let settled: Set<String> = ["click", "accept", "decline", "purchase", "ignored"]

    let implicit = Counter(label: "offerloop_outcomes_implicit_total")

    func run(until stop: StopSignal) throws {
        let log = try store.open().handedTo { try OutcomeLog(db: $0) }
        defer { log.db.close() }
        let publisher = try StreamPublisher(context: context, endpoint: streamIn, topic: StreamTopic.outcomes)
        defer { publisher.close() }
        while !stop.isRaised {
            do {
                let ignored = try sweep(log, publisher, now: environment.wallMs())
                if ignored > 0 {
                    logger.info("unanswered offers recorded as ignored", metadata: ["outcomes": "\(ignored)"])
                    implicit.increment(by: ignored)
                }
            } catch {
                logger.error("implicit outcome sweep failed; will retry", metadata: ["error": "\(error)"])
            }
            _ = stop.sleep(nanoseconds: interval)
        }
    }

    /// Records every due "ignored" outcome; returns how many were new.
    func sweep(_ log: OutcomeLog, _ publisher: some EventPublisher, now: Int64) throws -> Int {
        var ignored = 0
        for channel in ChannelName.all {
            let window = settings.window(channel)
            let through = now - window - Self.grace(window)
            var after = try log.swept(channel: channel)
            while after < through {
                let decisions = try log.decisions(channel: channel, after: after, through: through, limit: Self.page)
                var events: [OutcomeEvent] = []
                for decision in decisions {
                    let answered = try log.types(ofDecision: decision.decisionID)
                    for offer in decision.offers where answered[offer.offerID]?.isDisjoint(with: Self.settled) ?? true {
                        events.append(OutcomeEvent(Outcome.with {
                            $0.eventID = "ignored:\(decision.decisionID):\(offer.offerID)"
                            $0.decisionID = decision.decisionID
                            $0.offerID = offer.offerID
                            $0.type = .ignored
                            $0.channel = decision.channel
                            $0.customerID = decision.customerID
                            $0.timeUnixMs = decision.timeUnixMs + window
                        }, of: offer, features: decision.features, prior: try DecisionLogTable.prior(of: offer, in: decision.decisionID, log.db)))
                    }
                }
                for (_, bytes, duplicate) in try log.append(events) where !duplicate {
                    try publisher.publish(bytes)
                    ignored += 1
                }
                // A full page may end inside a millisecond: the next page starts at that millisecond again.
                let last = decisions.last?.timeUnixMs ?? through
                after = decisions.count < Self.page ? through : last - 1 > after ? last - 1 : last
                try log.setSwept(channel: channel, through: after)
                if decisions.count < Self.page { break }
            }
        }
        return ignored
    }
}
