// The stream follower over a stream of its own, through a real broker: it takes the topic and
// the replay method it is given (not the outcome stream's, nor feedback's "replay"), fills what it
// missed before it subscribed by that replay, and applies each event once, in order.
import Foundation
import Logging
import Synchronization
import Testing
import Transport
import Wire

/// Keeps what it is given, in sequence order, as the follower's consumers do; and the newest
/// head a heartbeat or a replay told, and whether the first replay reached it.
final class CollectedEvents<Event: SequencedEvent>: StreamConsumer, Sendable {
    let events = Mutex<[Event]>([])
    let head = Mutex<UInt64>(0)
    let caughtUp = Mutex(false)

    func position() -> UInt64 { events.withLock { UInt64($0.count) } }

    func apply(_ batch: [Event]) -> Bool {
        events.withLock { events in
            for event in batch where event.sequence > UInt64(events.count) {
                guard event.sequence == UInt64(events.count) + 1 else { return false }
                events.append(event)
            }
            return true
        }
    }

    func headSeen(_ head: UInt64) { self.head.withLock { $0 = max($0, head) } }
}

struct StreamFollowerTests {
    @Test func aFollowerTakesTheTopicAndReplayMethodItIsGiven() throws {
        let cluster = try Cluster()
        let source = SequencedStream<ReplayReply>(topic: "ledger", replay: ("ledger", "resend"))
        let journal = OutcomeJournal(cluster: cluster, replay: source.replay)
        defer { journal.close() }
        try cluster.waitForWorkers(1, of: "ledger")
        let publisher = try StreamPublisher(context: cluster.context, endpoint: cluster.streamIn, topic: source.topic)
        defer { publisher.close() }
        // The outcome stream runs beside it; its events are not this follower's.
        let outcomes = try StreamPublisher(context: cluster.context, endpoint: cluster.streamIn, topic: StreamTopic.outcomes)
        defer { outcomes.close() }
        let before = journal.append(ScoringIntegrationTests.outcomes(5))

        var settings = StreamFollowerSettings(stream: cluster.streamOut, frontend: cluster.frontend)
        settings.catchUpInterval = 100_000_000
        let follower = StreamFollower(following: source, settings: settings, context: cluster.context, logger: Logger(label: "test-follower"))
        let consumer = CollectedEvents<OutcomeEvent>(), stop = StopSignal(), done = DispatchSemaphore(value: 0)
        Thread {
            try? follower.run(consumer, until: stop)
            done.signal()
        }.start()
        defer {
            stop.raise()
            done.wait()
        }
        try waitFor(5, consumer)

        let live = journal.append(ScoringIntegrationTests.outcomes(5, from: 5))
        for event in live {
            // Published first, with the same sequence: taken, it would stand in for the real one.
            var stranger = event
            stranger.outcome.offerID = "not-this-stream"
            try outcomes.publish(try stranger.serializedBytes())
            try publisher.publish(try event.serializedBytes())
        }
        try waitFor(10, consumer)
        let applied = consumer.events.withLock { $0 }
        #expect(applied.map(\.sequence) == Array(1...10))
        #expect(applied == before + live)
    }

    func waitFor(_ sequence: UInt64, _ consumer: CollectedEvents<OutcomeEvent>, within seconds: Double = 15) throws {
        let end = Date().addingTimeInterval(seconds)
        while consumer.position() < sequence, Date() < end { Thread.sleep(forTimeInterval: 0.02) }
        guard consumer.position() >= sequence else {
            throw ServiceError(.deadlineExceeded, "the follower is at \(consumer.position()), not \(sequence)")
        }
    }
}
