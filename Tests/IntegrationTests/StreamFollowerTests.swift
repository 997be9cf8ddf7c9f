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

/// A profile stream's "changes" method over changes kept in memory, and what a follower applies.
final class ProfileChangeLog: StreamConsumer, Sendable {
    let stored = Mutex<[ProfileChange]>([])
    let applied = Mutex<[ProfileChange]>([])
    let heads = Mutex<[UInt64]>([])
    /// Calls of "changes", and of the follower's `caughtUp`.
    let replays = Atomic<Int>(0)
    let caughtUp = Atomic<Int>(0)
    let stop = StopSignal()
    let done = DispatchSemaphore(value: 0)

    init(cluster: Cluster) {
        var methods = Methods()
        methods.on("changes") { [self] (request: ReplayRequest, _) throws -> ProfileChangesReply in
            replays.add(1, ordering: .relaxed)
            return self.stored.withLock { events in
                ProfileChangesReply.with {
                    let from = Int(max(request.fromSequence, 1)) - 1
                    $0.events = from < events.count ? Array(events[from...]) : []
                    $0.headSequence = UInt64(events.count)
                }
            }
        }
        let worker = Worker(settings: WorkerSettings(service: "profile", backend: cluster.backend), methods: methods, context: cluster.context,
                            logger: Logger(label: "test-profile"))
        Thread { [stop, done] in
            worker.run(until: stop)
            done.signal()
        }.start()
    }

    func close() {
        stop.raise()
        done.wait()
    }

    /// Stores `count` more changes (not published) and returns the head.
    func store(_ count: Int) -> UInt64 {
        stored.withLock { events in
            for _ in 0..<count { events.append(ProfileChange.with { $0.sequence = UInt64(events.count + 1); $0.customerID = "c\(events.count + 1)" }) }
            return UInt64(events.count)
        }
    }

    func position() -> UInt64 { applied.withLock { $0.last?.sequence ?? 0 } }

    func apply(_ batch: [ProfileChange]) -> Bool {
        applied.withLock { applied in
            for event in batch where event.sequence > (applied.last?.sequence ?? 0) {
                guard event.sequence == (applied.last?.sequence ?? 0) + 1 else { return false }
                applied.append(event)
            }
            return true
        }
    }

    func headSeen(_ head: UInt64) { heads.withLock { $0.append(head) } }
}

extension StreamFollowerTests {
    /// A change log serving "changes" behind a real broker, holding `stored` changes, a publisher
    /// on the profile topic, and a follower applying into the log on a thread of its own while
    /// `body` runs (never catching up by the clock: only at start, at gaps and after heartbeats).
    func following(stored: Int = 0, behindLimit: UInt64? = nil, _ body: (ProfileChangeLog, StreamPublisher) throws -> Void) throws {
        let cluster = try Cluster()
        let log = ProfileChangeLog(cluster: cluster)
        defer { log.close() }
        try cluster.waitForWorkers(1, of: "profile")
        let publisher = try StreamPublisher(context: cluster.context, endpoint: cluster.streamIn, topic: StreamTopic.profile)
        defer { publisher.close() }
        _ = log.store(stored)

        var settings = StreamFollowerSettings(stream: cluster.streamOut, frontend: cluster.frontend)
        settings.catchUpInterval = 600_000_000_000
        if let behindLimit { settings.behindLimit = behindLimit }
        let follower = StreamFollower(following: .profile, settings: settings, context: cluster.context, logger: Logger(label: "test-follower"))
        let stop = StopSignal(), done = DispatchSemaphore(value: 0)
        Thread {
            try? follower.run(log, until: stop, caughtUp: { log.caughtUp.add(1, ordering: .relaxed) })
            done.signal()
        }.start()
        defer {
            stop.raise()
            done.wait()
        }
        try body(log, publisher)
    }

    @Test func heartbeatsShowingTheHeadMakeTheFollowerFetchWhatWasNeverPublished() throws {
        try following(stored: 3) { log, publisher in
            let end = Date().addingTimeInterval(15)
            while log.position() < 3, Date() < end { Thread.sleep(forTimeInterval: 0.01) }
            #expect(log.position() == 3 && log.caughtUp.load(ordering: .relaxed) == 1)

            // Written but never published live: only the heartbeats tell of it.
            let head = log.store(2)
            while log.position() < head, Date() < end {
                try publisher.publish(try ProfileChange.with { $0.heartbeat = true; $0.sequence = head }.serializedBytes())
                Thread.sleep(forTimeInterval: 0.01)
            }
            #expect(log.applied.withLock { $0.map(\.sequence) } == [1, 2, 3, 4, 5])
            #expect(log.heads.withLock { $0.contains(head) } && log.caughtUp.load(ordering: .relaxed) == 1)
        }
    }

    @Test func underSteadyWritesEachEventJustBehindItsHeartbeatComesLiveWithoutAReplay() throws {
        try following(behindLimit: 200_000_000) { log, publisher in
            // Subscribed once a live event comes through (the catch-up at start is the one replay).
            let first = log.store(1)
            let end = Date().addingTimeInterval(15)
            while log.position() < first, Date() < end {
                try publisher.publish(try log.stored.withLock { $0[0] }.serializedBytes())
                Thread.sleep(forTimeInterval: 0.05)
            }
            let replays = log.replays.load(ordering: .relaxed)
            // As under steady writes: every heartbeat shows a head not applied yet, each reached
            // live a few ms later — the follower is never behind one head for `behindLimit`, though
            // always behind some head, for a second in all.
            var head = first
            for _ in 0..<100 {
                head = log.store(1)
                try publisher.publish(try ProfileChange.with { $0.heartbeat = true; $0.sequence = head }.serializedBytes())
                Thread.sleep(forTimeInterval: 0.005)
                try publisher.publish(try log.stored.withLock { $0[Int(head) - 1] }.serializedBytes())
            }
            while log.position() < head, Date() < end { Thread.sleep(forTimeInterval: 0.01) }
            #expect(log.position() == head)
            #expect(log.replays.load(ordering: .relaxed) == replays, "replayed although every event came live")
        }
    }
}
