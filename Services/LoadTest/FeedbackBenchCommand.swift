// `offerloop-loadtest feedback`: durable outcome intake through the broker, the outcome stream's
// fan-out to subscribers, and replay speed. Decisions are written straight into the decision
// store first (the intake checks outcomes against them); then `clients` connections each send
// batches of outcomes, one batch in flight, for the given total; `subscribers` follow the stream
// through the broker meanwhile; at the end the whole stream is replayed. ZeroMQ's raw round
// trip and the broker's echo are measured in the same run as yardsticks.
import ArgumentParser
import DecisionRecords
import Foundation
import Histogram
import ProcessShell
import Store
import Synchronization
import Transport
import Wire
import ZeroMQ

struct FeedbackBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feedback", abstract: "Outcome intake (durable, batched), stream fan-out and replay speed of a running feedback service.")

    @OptionGroup var measure: MeasureOptions

    /// The feedback service's decision store, where the benchmark's decisions are written first.
    @OptionGroup var store: DecisionStoreOptions

    @OptionGroup var subscriber: StreamSubscriberOptions

    @Option(help: "Outcomes sent in all.")
    var outcomes = 200_000

    @Option(help: "Outcomes per request (1: the single \"outcome\" method).")
    var batch = 100

    @Option(help: "Concurrent client connections, each with one request in flight.")
    var clients = 4

    @Option(help: "Stream subscribers counting what they receive.")
    var subscribers = 4

    @Option(help: "Decisions the outcomes refer to.")
    var decisions = 10_000

    struct SubscriberResult: Codable {
        var received: Int
        var lagMsP50: Double
        var lagMsP99: Double
    }

    struct Result: Codable {
        var date: String
        var outcomes: Int
        var batch: Int
        var clients: Int
        var raw: LatencyStats
        var broker: LatencyStats
        /// Per request (one batch), from send to acknowledgement.
        var acknowledgement: LatencyStats
        var outcomesPerSecond: Double
        var refused: Int
        var subscribers: [SubscriberResult]
        var replayEventsPerSecond: Double
        var replayed: Int
    }

    func run() throws {
        guard batch >= 1, batch <= 1_000, clients >= 1, outcomes >= batch else { throw ValidationError("need 1 ≤ batch ≤ 1000, clients ≥ 1, outcomes ≥ batch") }
        let context = try ZMQContext()
        defer { context.terminate() }
        let (raw, broker) = try measure.roundTrips.yardsticks(context: context)
        let ids = try writeDecisions()
        let head = try replayHead(context)

        // Subscribers first, so they see every outcome of the run.
        let stop = StopSignal()
        let followers = (0..<subscribers).map { _ in Follower() }
        let following = DispatchGroup()
        for follower in followers {
            following.enter()
            let endpoint = subscriber.stream
            Thread {
                defer { following.leave() }
                try? follower.run(context: context, endpoint: endpoint, stop: stop)
            }.start()
        }
        Thread.sleep(forTimeInterval: 0.5)  // subscriptions travel to the broker's XPUB

        progress("intake: \(outcomes) outcomes in requests of \(batch), \(clients) connections")
        let histogram = Mutex(newHistogram())
        let refused = Atomic<Int>(0)
        let sent = Atomic<Int>(0)
        let requestsPerClient = outcomes / batch / clients
        let begin = MonotonicClock.now()
        let sending = DispatchGroup()
        let (frontend, batch, outcomes) = (measure.frontend, batch, outcomes)
        let run = UUID().uuidString.prefix(8)
        for connection in 0..<clients {
            sending.enter()
            Thread {
                defer { sending.leave() }
                guard let client = try? BrokerClient(context: context, endpoint: frontend) else { return }
                defer { client.close() }
                var local = newHistogram()
                for request in 0..<requestsPerClient {
                    let items = (0..<batch).map { n in
                        let decision = ids[(connection * 7919 + request * batch + n) % ids.count]
                        return Outcome.with {
                            $0.eventID = "bench-\(run)-\(connection)-\(request)-\(n)"
                            $0.decisionID = decision
                            $0.offerID = "offer_a"
                            $0.type = n % 10 == 0 ? .accept : .impression
                        }
                    }
                    let start = MonotonicClock.now()
                    do {
                        if batch == 1 {
                            let _: OutcomeAck = try client.call("feedback", "outcome", items[0], timeoutMicros: 10_000_000)
                        } else {
                            let reply: OutcomeBatchReply = try client.call("feedback", "outcomes", OutcomeBatch.with { $0.outcomes = items },
                                                                           timeoutMicros: 10_000_000)
                            refused.add(reply.results.filter { $0.ack.sequence == 0 }.count, ordering: .relaxed)
                        }
                        local.record(MonotonicClock.now() - start)
                    } catch {
                        refused.add(batch, ordering: .relaxed)
                    }
                    let total = sent.add(batch, ordering: .relaxed).newValue
                    if total % 20_000 < batch { progress("  \(total) / \(outcomes)") }
                }
                let finished = local
                histogram.withLock { $0.add(finished) }
            }.start()
        }
        sending.wait()
        let seconds = Double(MonotonicClock.now() - begin) / 1e9
        let total = sent.load(ordering: .relaxed)
        Thread.sleep(forTimeInterval: 1.0)  // the stream's last messages
        stop.raise()
        following.wait()

        progress("replay from sequence \(head + 1)")
        let (replayed, replaySeconds) = try replay(context, from: head + 1)
        let result = Result(
            date: ISO8601DateFormatter().string(from: Date()), outcomes: total, batch: batch, clients: clients, raw: raw, broker: broker,
            acknowledgement: histogram.withLock { LatencyStats($0) }, outcomesPerSecond: Double(total) / seconds, refused: refused.load(ordering: .relaxed),
            subscribers: followers.map { $0.result }, replayEventsPerSecond: Double(replayed) / replaySeconds, replayed: replayed)
        try measure.report(result) {
            ["\(total) outcomes, \(batch) per request, \(clients) connections, \(subscribers) subscribers",
             LatencyStats.header()] + LatencyStats.yardstickRows(raw: raw, broker: broker) + [
             result.acknowledgement.row("ack of \(batch) outcome(s)"),
             LatencyStats.ratioRow("ack / broker echo", result.acknowledgement.ratio(to: broker)),
             String(format: "intake: %d outcomes in %.1f s = %.0f outcomes/s (%d refused)", total, seconds, result.outcomesPerSecond, result.refused)]
                + result.subscribers.enumerated().map { index, subscriber in
                    String(format: "subscriber %d: %d received, lag p50 %.0f ms, p99 %.0f ms", index + 1, subscriber.received, subscriber.lagMsP50, subscriber.lagMsP99)
                }
                + [String(format: "replay: %d events at %.0f events/s", replayed, result.replayEventsPerSecond)]
        }
    }

    /// Writes the benchmark's decisions (two offers each) into the decision store; returns their ids.
    func writeDecisions() throws -> [String] {
        let location = try store.location()
        progress("writing \(decisions) decisions into \(location)")
        let db = try location.open()
        defer { db.close() }
        try DecisionLogTable.create(db)
        let run = UUID().uuidString.prefix(8)
        let now = ServiceEnvironment.live.wallMs()
        let records = (0..<decisions).map { n in
            DecisionRecord.with {
                $0.decisionID = "d-bench-\(run)-\(n)"
                $0.timeUnixMs = now
                $0.customerID = "c\(n)"
                $0.channel = [.atm, .kiosk, .web, .callCenter][n % 4]
                $0.segment = ["bronze", "silver", "gold", "platinum"][n % 4]
                $0.offers = ["offer_a", "offer_b"].map { offer in OfferChoice.with { $0.offerID = offer; $0.probability = 0.5; $0.category = "bench" } }
                $0.features = ["channel=web", "segment=gold"]
            }
        }
        try DecisionLogTable.insert(records, db)
        return records.map(\.decisionID)
    }

    func replayHead(_ context: ZMQContext) throws -> UInt64 {
        let client = try BrokerClient(context: context, endpoint: measure.frontend)
        defer { client.close() }
        let reply: ReplayReply = try client.call("feedback", "replay", ReplayRequest.with { $0.fromSequence = 1; $0.maxEvents = 1 })
        return reply.headSequence
    }

    /// Reads the stream from `from` to its head, page by page; returns the count and the seconds.
    func replay(_ context: ZMQContext, from: UInt64) throws -> (Int, Double) {
        let client = try BrokerClient(context: context, endpoint: measure.frontend)
        defer { client.close() }
        var next = from
        var count = 0
        let begin = MonotonicClock.now()
        while true {
            let reply: ReplayReply = try client.call("feedback", "replay", ReplayRequest.with { $0.fromSequence = next }, timeoutMicros: 10_000_000)
            guard let last = reply.events.last else { break }
            count += reply.events.count
            next = last.sequence + 1
            if last.sequence >= reply.headSequence { break }
        }
        return (count, max(Double(MonotonicClock.now() - begin) / 1e9, 1e-9))
    }
}

/// One stream subscriber: counts events and their lag behind the outcome's time.
final class Follower: Sendable {
    private let state = Mutex<(received: Int, lag: Histogram<UInt64>)>((0, Histogram<UInt64>(highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: .three)))

    func run(context: ZMQContext, endpoint: String, stop: StopSignal) throws {
        let subscriber = try StreamSubscriber(context: context, endpoint: endpoint, topic: StreamTopic.outcomes)
        defer { subscriber.close() }
        while !stop.isRaised {
            while let bytes = try subscriber.next() {
                guard let event = try? OutcomeEvent(serializedBytes: bytes) else { continue }
                let lag = max(ServiceEnvironment.live.wallMs() - event.outcome.timeUnixMs, 0)
                state.withLock {
                    $0.received += 1
                    $0.lag.record(UInt64(lag))
                }
            }
        }
    }

    var result: FeedbackBenchCommand.SubscriberResult {
        state.withLock {
            FeedbackBenchCommand.SubscriberResult(received: $0.received, lagMsP50: Double($0.lag.valueAtPercentile(50)),
                                                  lagMsP99: Double($0.lag.valueAtPercentile(99)))
        }
    }
}
