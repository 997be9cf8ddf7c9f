// Keeps this replica's model in step with the outcome stream: applies each event exactly once,
// in sequence order. Live events come through the broker's stream relay; whatever the relay
// dropped, or was published before this replica subscribed, is fetched from the feedback
// service's "replay" method — on a gap, and every `catchUpInterval` when the stream is quiet.
// Snapshots go to the store periodically and at shutdown.
import Foundation
import Logging
import ScoringCore
import ServiceKit
import Store
import Synchronization
import Wire
import ZeroMQ

/// What the follower reports to the "model" method.
final class FollowerStatus: Sendable {
    private let snapshotSequenceValue = Atomic<UInt64>(0)
    private let gapsValue = Atomic<UInt64>(0)

    var snapshot: (snapshotSequence: UInt64, gaps: UInt64) {
        (snapshotSequenceValue.load(ordering: .relaxed), gapsValue.load(ordering: .relaxed))
    }

    func snapshotted(_ sequence: UInt64) { snapshotSequenceValue.store(sequence, ordering: .relaxed) }
    func gapSeen() { gapsValue.add(1, ordering: .relaxed) }
}

struct OutcomeFollower: Sendable {
    struct Settings: Sendable {
        var stream: String
        var frontend: String
        var store: StoreLocation
        var catchUpInterval: UInt64 = 2_000_000_000
        var snapshotInterval: UInt64 = 60_000_000_000
        var snapshotEvents: UInt64 = 100_000
        var replayPage: UInt32 = 5_000
    }

    let settings: Settings
    let model: LiveModel
    let status: FollowerStatus
    let context: ZMQContext
    let logger: Logger

    /// Events applied per lock.
    static let batch = 1_000

    func run(until stop: StopSignal) throws {
        let subscriber = try StreamSubscriber(context: context, endpoint: settings.stream, topic: StreamTopic.outcomes)
        defer { subscriber.close() }
        let client = try BrokerClient(context: context, endpoint: settings.frontend)
        defer { client.close() }
        let snapshots = try SnapshotStore(db: try settings.store.open())
        defer { snapshots.db.close() }
        var state = State(snapshotAt: MonotonicClock.now(), snapshotSequence: model.copy.sequence)
        status.snapshotted(state.snapshotSequence)
        logger.info("following the outcome stream", metadata: ["stream": "\(settings.stream)", "sequence": "\(state.snapshotSequence)"])

        var nextCatchUp: UInt64 = 0
        while !stop.isRaised {
            if MonotonicClock.now() >= nextCatchUp {
                catchUp(client, &state)
                nextCatchUp = MonotonicClock.now() + settings.catchUpInterval
            }
            var events: [OutcomeEvent] = []
            var payload = try subscriber.next()
            while let bytes = payload {
                if let event = try? OutcomeEvent(serializedBytes: bytes) {
                    events.append(event)
                } else {
                    logger.warning("undecodable outcome event skipped", metadata: ["bytes": "\(bytes.count)"])
                }
                payload = events.count < Self.batch ? try subscriber.next(dontWait: true) : nil
            }
            if !events.isEmpty, !apply(events) {
                status.gapSeen()
                catchUp(client, &state)
                nextCatchUp = MonotonicClock.now() + settings.catchUpInterval
            }
            snapshotIfDue(snapshots, &state, force: false)
        }
        snapshotIfDue(snapshots, &state, force: true)
        logger.info("stopped following the outcome stream", metadata: ["sequence": "\(model.copy.sequence)"])
    }

    struct State {
        var snapshotAt: UInt64
        var snapshotSequence: UInt64
        /// Whether the last replay failed, so a lasting outage is logged once, not every interval.
        var replayFailing = false
    }

    /// Applies events in order; false at a gap (the events after it wait for the replay).
    private func apply(_ events: [OutcomeEvent]) -> Bool {
        model.update { model in
            for event in events {
                do {
                    _ = try model.apply(event.sequence, LearningExample(event))
                } catch {
                    logger.debug("outcome stream gap", metadata: ["error": "\(error)"])
                    return false
                }
            }
            return true
        }
    }

    /// Fetches and applies everything after the model's sequence, page by page.
    private func catchUp(_ client: BrokerClient, _ state: inout State) {
        while true {
            let from = model.copy.sequence + 1
            let reply: ReplayReply
            do {
                reply = try client.call("feedback", "replay", ReplayRequest.with { $0.fromSequence = from; $0.maxEvents = settings.replayPage },
                                        timeoutMicros: 2_000_000, idempotent: true)
            } catch {
                if !state.replayFailing { logger.warning("cannot replay the outcome stream; serving the model as it is", metadata: ["error": "\(error)"]) }
                state.replayFailing = true
                return
            }
            if state.replayFailing { logger.info("outcome stream replay works again") }
            state.replayFailing = false
            guard !reply.events.isEmpty else { return }
            if !apply(reply.events) {
                logger.error("the replay itself has a gap; will retry", metadata: ["from": "\(from)"])
                return
            }
            if reply.events.last!.sequence >= reply.headSequence { return }
        }
    }

    private func snapshotIfDue(_ snapshots: SnapshotStore, _ state: inout State, force: Bool) {
        let now = MonotonicClock.now()
        let current = model.copy
        let due = current.sequence >= state.snapshotSequence + settings.snapshotEvents || now >= state.snapshotAt + settings.snapshotInterval
        guard current.sequence > state.snapshotSequence, force || due else { return }
        do {
            try snapshots.save(current)
            state.snapshotSequence = current.sequence
            state.snapshotAt = now
            status.snapshotted(current.sequence)
            logger.info("model snapshot written", metadata: ["sequence": "\(current.sequence)", "offers": "\(current.offers.count)"])
        } catch {
            logger.error("model snapshot failed; will retry", metadata: ["error": "\(error)"])
            state.snapshotAt = now
        }
    }
}
