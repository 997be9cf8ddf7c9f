// The scoring service as real processes: learning from the outcome stream through the broker's
// relay, filling gaps by replay, snapshots across a restart, replicas that agree.
// The test plays the feedback service's part (the stream's publisher and its
// "replay" method) over the same sockets and protocol, so gaps and duplicates can be staged exactly.
import Foundation
import Logging
import SwiftProtobuf
import Synchronization
import Testing
import Transport
import Wire
import ZeroMQ

/// The feedback service's side of the outcome stream: a journal of events, replayed on request
/// by a worker of service "feedback" (or another `replay` method), and published live through the broker.
final class OutcomeJournal: Sendable {
    let events = Mutex<[OutcomeEvent]>([])
    let stop = StopSignal()
    let done = DispatchSemaphore(value: 0)

    init(cluster: Cluster, replay: (service: String, method: String) = SequencedStream.outcomes.replay) {
        var methods = Methods()
        methods.on(replay.method) { [self] (request: ReplayRequest, _) throws -> ReplayReply in
            self.events.withLock { events in
                ReplayReply.with {
                    let from = Int(max(request.fromSequence, 1)) - 1
                    let count = Int(request.maxEvents == 0 ? 1000 : request.maxEvents)
                    $0.events = from < events.count ? Array(events[from..<min(from + count, events.count)]) : []
                    $0.headSequence = UInt64(events.count)
                }
            }
        }
        var settings = WorkerSettings(service: replay.service, backend: cluster.backend)
        settings.heartbeatInterval = 100_000_000
        settings.heartbeatLiveness = 5
        let worker = Worker(settings: settings, methods: methods, context: cluster.context, logger: Logger(label: "test-feedback"))
        Thread { [stop, done] in
            worker.run(until: stop)
            done.signal()
        }.start()
    }

    /// Appends events to the journal (assigning sequences) and returns them, not yet published.
    func append(_ outcomes: [(offer: String, features: [String], type: OutcomeType)]) -> [OutcomeEvent] {
        events.withLock { events in
            for outcome in outcomes {
                let sequence = events.count + 1
                events.append(OutcomeEvent.with {
                    $0.sequence = UInt64(sequence)
                    $0.outcome = .with { $0.offerID = outcome.offer; $0.type = outcome.type; $0.eventID = "e\(sequence)" }
                    $0.features = outcome.features
                    $0.priorPropensity = 0.1
                })
            }
            return Array(events.suffix(outcomes.count))
        }
    }

    /// Stops the replay worker (the feedback service going down); safe to call twice.
    func close() {
        guard !stop.isRaised else { return }
        stop.raise()
        done.wait()
    }
}

@Suite(.serialized) struct ScoringIntegrationTests {
    /// Gold customers on the web accept offer "card"; everyone else declines it; "loan" is
    /// declined by all. Every tenth event is an impression, which teaches nothing.
    static func outcomes(_ count: Int, from start: Int = 0) -> [(offer: String, features: [String], type: OutcomeType)] {
        (start..<start + count).map { n in
            let gold = n % 2 == 0
            let features = ["bias", "ch=web", gold ? "seg=gold" : "seg=basic"]
            if n % 10 == 9 { return ("card", features, .impression) }
            return n % 3 == 0 ? ("loan", features, .decline) : ("card", features, gold ? .accept : .decline)
        }
    }

    func startScoring(_ cluster: Cluster, store: URL, replicas: Int = 1) throws -> [Process] {
        try (0..<replicas).map { index in
            try cluster.startWorker("offerloop-scoring", arguments: [
                "--store", "sqlite:" + store.appendingPathComponent("scoring-\(index).sqlite").path,
                "--stream", cluster.streamOut, "--frontend", cluster.frontend,
                "--catch-up-ms", "200", "--snapshot-events", "100",
            ])
        }
    }

    /// Asks `service`'s "model" until `count` different replicas have reported `sequence`.
    static func waitForSequence(_ sequence: UInt64, replicas count: Int, _ client: BrokerClient, of service: String = "scoring",
                                within seconds: Double = 15) throws -> [String: ModelReply] {
        var seen: [String: ModelReply] = [:]
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if let reply: ModelReply = try? client.call(service, "model", ModelRequest(), timeoutMicros: 500_000, idempotent: true) {
                seen[client.lastServedBy] = reply
                if seen.values.filter({ $0.sequence == sequence }).count >= count { return seen }
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw ServiceError(.deadlineExceeded, "replicas at \(seen.mapValues(\.sequence)), not \(count) at \(sequence)")
    }

    func score(_ client: BrokerClient, segment: String) throws -> ScoreReply {
        try client.call("scoring", "score", ScoreRequest.with {
            $0.customer = .with { $0.customerID = "c1"; $0.segment = segment }
            $0.channel = .web
            $0.candidates = [.with { $0.offerID = "card" }, .with { $0.offerID = "loan" }, .with { $0.offerID = "new"; $0.priorPropensity = 0.3 }]
            $0.explain = 3
            $0.seed = 42
        }, idempotent: true)
    }

    @Test func replicasLearnEveryOutcomeOnceFillGapsAndAgree() throws {
        let cluster = try Cluster()
        let journal = OutcomeJournal(cluster: cluster)
        defer { journal.close() }
        let publisher = try StreamPublisher(context: cluster.context, endpoint: cluster.streamIn, topic: StreamTopic.outcomes)
        defer { publisher.close() }
        // History from before the replicas started: they must fetch it by replay.
        _ = journal.append(Self.outcomes(300))
        _ = try startScoring(cluster, store: cluster.logDirectory, replicas: 2)
        try cluster.waitForWorkers(2, of: "scoring")
        let client = try cluster.client()
        defer { client.close() }
        _ = try Self.waitForSequence(300, replicas: 2, client)

        // Live events, with a duplicate and one the relay "lost" (in the journal only).
        let live = journal.append(Self.outcomes(300, from: 300))
        for event in live where event.sequence != 450 {
            try publisher.publish(try event.serializedBytes())
            if event.sequence == 400 { try publisher.publish(try event.serializedBytes()) }
        }
        let replicas = try Self.waitForSequence(600, replicas: 2, client)
        #expect(replicas.count == 2)
        #expect(Set(replicas.values.map { $0.offers.map(\.observations) }).count == 1, "replicas disagree: \(replicas)")
        let card = try #require(replicas.values.first?.offers.first { $0.offerID == "card" })
        // 600 events: 60 impressions; of the other 540, 180 are "loan" (n % 3 == 0), 360 "card",
        // 200 of them to gold customers (even n).
        #expect(card.observations == 360)
        #expect(card.accepted == 200)

        // Same sequence, same seed: the same answer from either replica; and what was learned shows.
        var answers: [String: ScoreReply] = [:]
        for _ in 0..<8 where answers.count < 2 {
            let reply = try score(client, segment: "gold")
            answers[client.lastServedBy] = reply
        }
        #expect(answers.count == 2)
        #expect(Set(answers.values.map { $0.scores.map(\.mean) }).count == 1)
        #expect(Set(answers.values.map { $0.scores.map(\.sample) }).count == 1)
        let gold = try score(client, segment: "gold"), basic = try score(client, segment: "basic")
        #expect(gold.modelVersion == "seq-600")
        #expect(gold.scores[0].mean > 0.6 && basic.scores[0].mean < 0.2, "card: gold \(gold.scores[0].mean), basic \(basic.scores[0].mean)")
        #expect(gold.scores[0].contributions.contains { $0.feature == "seg=gold" && $0.weight > 0 })
        #expect(gold.scores[2].observations == 0 && abs(gold.scores[2].logitMean - log(0.3 / 0.7)) < 1e-9)
        #expect(gold.features.contains("ch=web") && gold.features.contains("seg=gold"))
    }

    @Test func aRestartedReplicaResumesFromItsSnapshot() throws {
        let cluster = try Cluster()
        let journal = OutcomeJournal(cluster: cluster)
        defer { journal.close() }
        _ = journal.append(Self.outcomes(250))
        let first = try startScoring(cluster, store: cluster.logDirectory)
        try cluster.waitForWorkers(1, of: "scoring")
        let client = try cluster.client()
        defer { client.close() }
        _ = try Self.waitForSequence(250, replicas: 1, client)
        cluster.signal(first[0], SIGTERM)
        first[0].waitUntilExit()
        #expect(first[0].terminationStatus == 0)

        // The journal is gone (feedback down): the restarted replica has only its snapshot.
        journal.close()
        _ = try startScoring(cluster, store: cluster.logDirectory)
        let restarted = try Self.waitForSequence(250, replicas: 1, client)
        #expect(restarted.values.first?.snapshotSequence == 250)
        #expect(restarted.values.first?.offers.first { $0.offerID == "card" }?.observations == 150)
    }

    @Test func badScoreRequestsGetTypedErrors() throws {
        let cluster = try Cluster()
        _ = try startScoring(cluster, store: cluster.logDirectory)
        try cluster.waitForWorkers(1, of: "scoring")
        let client = try cluster.client()
        defer { client.close() }
        func code(_ request: ScoreRequest) -> ErrorCode? {
            do {
                let _: ScoreReply = try client.call("scoring", "score", request)
                return nil
            } catch {
                return error.code
            }
        }
        let candidate = Candidate.with { $0.offerID = "card" }
        #expect(code(ScoreRequest.with { $0.candidates = [candidate] }) == .invalidArgument)  // no channel
        #expect(code(ScoreRequest.with { $0.channel = .atm }) == .invalidArgument)  // no candidates
        #expect(code(ScoreRequest.with { $0.channel = .atm; $0.candidates = [.with { $0.offerID = "" }] }) == .invalidArgument)
        // Nonsense numbers are features of their own, not errors, and never reach the weights.
        let reply: ScoreReply = try client.call("scoring", "score", ScoreRequest.with {
            $0.channel = .atm
            $0.customer = .with { $0.customerID = "c"; $0.clv = .nan; $0.churnRisk = .infinity }
            $0.localHour = 31
            $0.candidates = [candidate]
        })
        #expect(reply.features.contains("clv=unknown") && reply.features.contains("churn=unknown") && reply.features.contains("tod=unknown"))
        #expect(reply.scores[0].mean.isFinite && reply.scores[0].sample.isFinite)
        // And the service still answers.
        let _: PingReply = try client.call("scoring", "ping", PingRequest())
    }
}
