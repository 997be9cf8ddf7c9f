// `offerloop-loadtest scoring`: the scoring model's speed. In process: building the features and
// scoring K candidate offers, applying outcomes, and replaying the stream (decoding ReplayReply
// pages and applying them). Through a running cluster: the same outcomes published on the
// broker's stream (how fast the service applies them), then score requests through the broker
// against ZeroMQ's raw round trip and the broker's own echo, measured in the same run.
import ArgumentParser
import Foundation
import Histogram
import ProcessShell
import Random
import ScoringCore
import Simulation
import Transport
import Wire
import ZeroMQ

struct ScoringBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scoring", abstract: "Scoring speed in process and through the broker; outcome apply and replay throughput.")

    @OptionGroup var measure: MeasureOptions

    @OptionGroup var stream: StreamPublisherOptions

    @Option(help: "Candidate offers per score request.")
    var offers = 50

    @Option(help: "Outcomes to learn before measuring (and to measure apply and replay with).")
    var outcomes = 200_000

    @Flag(help: "Measure in process only; no cluster needed.")
    var inProcessOnly = false

    struct Result: Codable {
        var date: String
        var offers: Int
        var outcomes: Int
        var featuresAndScore: LatencyStats
        var featuresAndScoreExplained: LatencyStats
        var applyPerSecond: Double
        var replayPerSecond: Double
        var serviceApplyPerSecond: Double?
        var raw: LatencyStats?
        var broker: LatencyStats?
        var score: LatencyStats?
        var scoreRatioToBroker: [String: Double]?
        var scoreRatioToRaw: [String: Double]?
    }

    func run() throws {
        guard offers >= 1, offers <= ScoringModel.maxCandidates, outcomes >= 1 else {
            throw ValidationError("--offers must be 1…\(ScoringModel.maxCandidates) and --outcomes ≥ 1")
        }
        let world = SimulatedWorld(seed: 1, customers: 10_000, offers: offers)
        var random = SeededRandom(seed: 2)
        progress("generating \(outcomes) outcomes over \(offers) offers")
        let examples = (0..<outcomes).map { _ in
            let arrival = world.arrive(using: &random)
            let offer = Int.random(in: 0..<offers, using: &random)
            let accepted = Double.random(in: 0..<1, using: &random) < world.acceptance(arrival, offer: offer)
            return LearningExample(offerID: world.offerIDs[offer], features: arrival.features.names, label: accepted)
        }

        progress("in process: applying \(outcomes) outcomes")
        var model = ScoringModel()
        var started = MonotonicClock.now()
        for (index, example) in examples.enumerated() { _ = try model.apply(UInt64(index + 1), example) }
        let applyPerSecond = Double(outcomes) / (Double(MonotonicClock.now() - started) / 1e9)

        progress("in process: replaying \(outcomes) outcomes from ReplayReply pages of 5,000")
        let pages = try Self.events(examples, from: 1).chunked(5_000).map { page in
            try ReplayReply.with { $0.events = Array(page); $0.headSequence = UInt64(outcomes) }.serializedBytes() as [UInt8]
        }
        var replayed = ScoringModel()
        started = MonotonicClock.now()
        for page in pages {
            for event in try ReplayReply(serializedBytes: page).events {
                _ = try replayed.apply(event.sequence, LearningExample(event))
            }
        }
        let replayPerSecond = Double(outcomes) / (Double(MonotonicClock.now() - started) / 1e9)

        let candidates = world.offerIDs.map { CandidateOffer($0) }
        let customers = (0..<1_000).map { n in
            var customer = CustomerFeatures(channel: SimulatedWorld.channels[n % 4])
            customer.segment = SimulatedWorld.segments[n % 4]
            customer.clv = Double(n * 37 % 5_000)
            customer.churnRisk = Double(n % 100) / 100
            customer.holdings = Array(SimulatedWorld.products.prefix(n % 4))
            customer.daysSinceContact = Double(n % 60)
            customer.hour = n % 24
            return customer
        }
        func timeScoring(explain: Int, count: Int) throws -> LatencyStats {
            try measure.roundTrips.measure(count: count) { index in
                let (scores, nanoseconds) = try stopwatch {
                    try model.score(FeatureBuilder.features(customers[index % customers.count]), candidates, explain: explain, using: &random)
                }
                precondition(scores.count == candidates.count)
                return nanoseconds
            }
        }
        progress("in process: features + score \(offers) offers, \(measure.requests) times")
        let inProcess = try timeScoring(explain: 0, count: measure.requests)
        let explained = try timeScoring(explain: 3, count: measure.requests / 5)

        var result = Result(
            date: ISO8601DateFormatter().string(from: Date()), offers: offers, outcomes: outcomes, featuresAndScore: inProcess,
            featuresAndScoreExplained: explained, applyPerSecond: applyPerSecond, replayPerSecond: replayPerSecond)
        if !inProcessOnly { try throughTheCluster(examples, candidates, customers, &result) }
        try measure.report(result) {
            var lines = [
                LatencyStats.header(),
                inProcess.row("in process, features+score"),
                explained.row("  … with 3 explanations"),
            ]
            if let raw = result.raw, let broker = result.broker, let score = result.score {
                lines += score.rowsThroughBroker("score", raw: raw, broker: broker)
            }
            lines.append(String(format: "outcomes applied in process: %.0f/s; replayed from pages: %.0f/s", applyPerSecond, replayPerSecond))
            if let rate = result.serviceApplyPerSecond { lines.append(String(format: "outcomes applied by the service from the stream: %.0f/s", rate)) }
            return lines
        }
    }

    private func throughTheCluster(_ examples: [LearningExample], _ candidates: [CandidateOffer], _ customers: [CustomerFeatures],
                                   _ result: inout Result) throws {
        let context = try ZMQContext()
        defer { context.terminate() }
        let broker = try BrokerClient(context: context, endpoint: measure.frontend)
        defer { broker.close() }
        func sequence() throws -> UInt64 {
            let reply: ModelReply = try broker.call("scoring", "model", ModelRequest(), timeoutMicros: 2_000_000, idempotent: true)
            return reply.sequence
        }
        // The service learns the same outcomes from the stream, continuing its own sequence.
        let first = try sequence() + 1
        let events = Self.events(examples, from: first)
        let publisher = try StreamPublisher(context: context, endpoint: stream.streamIn, topic: StreamTopic.outcomes)
        defer { publisher.close() }
        Thread.sleep(forTimeInterval: 0.5)  // let the publisher's connection reach the relay
        progress("through the cluster: publishing \(events.count) outcomes on the stream")
        let started = MonotonicClock.now()
        // In chunks below the high-water marks, so the relay drops nothing (with no feedback
        // service running, a drop could not be replayed).
        for chunk in events.chunked(20_000) {
            for event in chunk { try publisher.publish(try event.serializedBytes()) }
            let target = chunk.last!.sequence
            let deadline = MonotonicClock.now() + 30_000_000_000
            while try sequence() < target {
                guard MonotonicClock.now() < deadline else { throw ValidationError("the scoring service did not reach sequence \(target) within 30 s") }
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
        result.serviceApplyPerSecond = Double(events.count) / (Double(MonotonicClock.now() - started) / 1e9)

        let trips = measure.roundTrips
        let (raw, brokerStats) = try trips.yardsticks(context: context)
        progress("score \(candidates.count) offers through the broker: \(measure.requests) requests")
        let requests = customers.map { customer in
            BrokerClient.Call(service: "scoring", method: "score", payload: ScoreRequest.with {
                $0.channel = ChannelName.channel(customer.channel) ?? .web
                $0.customer = .with { $0.customerID = "c"; $0.segment = customer.segment; $0.clv = customer.clv; $0.churnRisk = customer.churnRisk; $0.holdings = customer.holdings }
                $0.localHour = Int32(customer.hour ?? 0)
                $0.candidates = candidates.map { c in Wire.Candidate.with { $0.offerID = c.offerID } }
            }.wireBytes(), idempotent: true)
        }
        let score = try trips.broker(context: context) { requests[$0 % requests.count] }
        result.raw = raw
        result.broker = brokerStats
        result.score = score
        result.scoreRatioToBroker = score.ratio(to: brokerStats)
        result.scoreRatioToRaw = score.ratio(to: raw)
    }

    /// Outcome events as the feedback service publishes them, numbered from `first`.
    static func events(_ examples: [LearningExample], from first: UInt64) -> [OutcomeEvent] {
        examples.enumerated().map { index, example in
            OutcomeEvent.with {
                $0.sequence = first + UInt64(index)
                $0.outcome = .with { $0.offerID = example.offerID; $0.type = example.label == true ? .accept : .decline }
                $0.features = example.features
            }
        }
    }
}

extension Array {
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
