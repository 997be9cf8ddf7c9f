// Keeps this replica's model in step with the outcome stream (Transport's follower: each event
// applied exactly once, in sequence order, gaps filled by replay); snapshots go to the store
// periodically and at shutdown.
import Foundation
import Logging
import ModelReplica
import ScoringCore
import Store
import Transport
import Wire
import ZeroMQ

/// Follows the stream and snapshots the model to the store periodically and at shutdown.
struct OutcomeFollower: Sendable {
    struct Settings: Sendable {
        var stream: StreamFollowerSettings
        var store: StoreLocation
        var snapshotInterval: UInt64 = 60_000_000_000
        var snapshotEvents: UInt64 = 100_000
    }

    let settings: Settings
    let model: LiveModel
    let status: FollowerStatus
    let context: ZMQContext
    let environment: ServiceEnvironment
    let logger: Logger

    func run(until stop: StopSignal) throws {
        let snapshots = try settings.store.open().handedTo { try SnapshotStore(db: $0) }
        defer { snapshots.db.close() }
        var state = State(snapshotAt: environment.monotonicNs(), snapshotSequence: model.copy.sequence)
        try StreamFollower(following: .outcomes, settings: settings.stream, context: context, logger: logger)
            .run(ModelConsumer(model: model, logger: logger), until: stop, onGap: status.gapSeen) { snapshotIfDue(snapshots, &state, force: false) }
        snapshotIfDue(snapshots, &state, force: true)
    }

    struct State {
        var snapshotAt: UInt64
        var snapshotSequence: UInt64
    }

    func snapshotIfDue(_ snapshots: SnapshotStore, _ state: inout State, force: Bool) {
        let now = environment.monotonicNs()
        let current = model.copy
        let due = current.sequence >= state.snapshotSequence + settings.snapshotEvents || now >= state.snapshotAt + settings.snapshotInterval
        guard current.sequence > state.snapshotSequence, force || due else { return }
        do {
            try snapshots.save(current, now: environment.wallMs())
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
