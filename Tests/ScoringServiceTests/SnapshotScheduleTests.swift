// The scoring follower's snapshots on the injected clocks: written when the interval has passed
// on the monotonic clock (or enough events came), stamped with the wall clock, into a real SQLite
// file in a temporary directory; the "model" method then reports the snapshot's sequence.
import Foundation
import Logging
import ModelReplica
import Transport
import ServiceTesting
import Store
import Testing
import Wire
import ZeroMQ
@testable import Scoring

@Suite struct SnapshotScheduleTests {
    @Test func aSnapshotIsWrittenWhenItsIntervalHasPassedOnTheInjectedClock() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("scoring-snapshots-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let fixture = ScoringFixture()
        let store = StoreLocation.sqlite(path: directory.appendingPathComponent("scoring.sqlite").path)
        var settings = OutcomeFollower.Settings(stream: .init(stream: "", frontend: ""), store: store)
        settings.snapshotInterval = 60_000_000_000
        settings.snapshotEvents = 100
        let follower = OutcomeFollower(settings: settings, model: fixture.model, status: fixture.status, context: try ZMQContext(),
                                       environment: .manual(fixture.clock), logger: Logger(label: "snapshot-test"))
        let snapshots = try SnapshotStore(db: try store.open())
        defer { snapshots.db.close() }
        var state = OutcomeFollower.State(snapshotAt: fixture.clock.monotonicNs, snapshotSequence: 0)
        let consumer = ModelConsumer(model: fixture.model, logger: Logger(label: "snapshot-test"))
        #expect(consumer.apply([ScoringFixture.outcome(1, offer: "loan", accepted: true), ScoringFixture.outcome(2, offer: "card", accepted: false)]))

        fixture.clock.advance(nanoseconds: settings.snapshotInterval - 1)
        follower.snapshotIfDue(snapshots, &state, force: false)
        #expect(try snapshots.latest { _, _ in } == nil, "a snapshot before its interval")
        fixture.clock.advance(nanoseconds: 1)
        follower.snapshotIfDue(snapshots, &state, force: false)
        #expect(try snapshots.latest { _, _ in }?.sequence == 2 && fixture.status.snapshot.snapshotSequence == 2)
        let created = try snapshots.db.row("SELECT created_ms FROM scoring_snapshots WHERE sequence = 2", [])?.int(0)
        #expect(created == fixture.clock.wallMs)
        let reply: ModelReply = try fixture.tester.call("model", ModelRequest())
        #expect(reply.snapshotSequence == 2 && reply.sequence == 2)
    }
}
