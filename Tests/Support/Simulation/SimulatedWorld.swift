// The offline learning check: a seeded world of customers and offers whose acceptance
// probabilities are hidden from the learner and depend on offer × customer × channel. Each round a
// customer arrives on a channel at an hour, the policy picks one offer, the world answers accept
// or not. The learner is the scoring model itself (score, choose, apply the outcome as the next
// stream event), choosing by Thompson sampling (the largest sample) or by the decision strategy's
// Exploration over the posterior means and spreads; it is compared with the oracle, which knows the
// probabilities and always picks the best offer, and with uniform random choice. Rewards are
// counted as the chosen offer's true acceptance probability (the expected reward), which removes
// the coin-flip noise from the comparison without favouring any policy.

import DecisionCore
import Random
import ScoringCore

public struct SimulatedWorld: Sendable {
    public static let channels = ["atm", "kiosk", "web", "call_center"]
    public static let segments = ["basic", "silver", "gold", "platinum"]
    public static let products = ["credit_card", "mortgage", "savings", "insurance", "investment", "personal_loan"]

    struct Customer {
        var segment: Int
        var churnRisk: Double
        var clv: Double
        var holdings: [Int]
    }

    /// Hidden logit effects of one offer.
    struct HiddenOffer {
        var base: Double
        var channel: [Double]
        var segment: [Double]
        var churn: [Double]
        var channelSegment: [[Double]]
        var timeOfDay: [Double]
        /// The product this offer sells; customers who hold it rarely accept.
        var product: Int?
    }

    let customers: [Customer]
    let offers: [HiddenOffer]
    public let offerIDs: [String]

    public init(seed: UInt64, customers customerCount: Int = 5_000, offers offerCount: Int = 12) {
        var random = SeededRandom(seed: seed)
        func normal(_ sd: Double) -> Double { sd * random.standardNormal() }
        customers = (0..<customerCount).map { _ in
            let segment = Int.random(in: 0..<Self.segments.count, using: &random)
            return Customer(
                segment: segment, churnRisk: Double.random(in: 0..<1, using: &random),
                clv: Double(segment + 1) * Double.random(in: 50..<2_500, using: &random),
                holdings: Self.products.indices.filter { _ in Double.random(in: 0..<1, using: &random) < 0.3 })
        }
        offers = (0..<offerCount).map { index in
            HiddenOffer(
                base: -3.2 + normal(0.4),
                channel: Self.channels.map { _ in normal(0.7) },
                segment: Self.segments.map { _ in normal(0.7) },
                churn: (0..<5).map { _ in normal(0.4) },
                channelSegment: Self.channels.map { _ in Self.segments.map { _ in normal(0.5) } },
                timeOfDay: (0..<4).map { _ in normal(0.25) },
                product: index < Self.products.count ? index : nil)
        }
        offerIDs = (0..<offerCount).map { "offer-\($0 + 1)" }
    }

    /// One arrival: who, where, when — and the features the scoring service would see.
    public struct Arrival: Sendable {
        let customer: Int
        let channel: Int
        let hour: Int
        public let features: FeatureVector
    }

    public func arrive<R: RandomNumberGenerator>(using random: inout R) -> Arrival {
        let index = Int.random(in: 0..<customers.count, using: &random)
        let channel = Int.random(in: 0..<Self.channels.count, using: &random)
        let hour = Int.random(in: 0..<24, using: &random)
        let customer = customers[index]
        var features = CustomerFeatures(channel: Self.channels[channel])
        features.segment = Self.segments[customer.segment]
        features.churnRisk = customer.churnRisk
        features.clv = customer.clv
        features.holdings = customer.holdings.map { Self.products[$0] }
        features.hour = hour
        return Arrival(customer: index, channel: channel, hour: hour, features: FeatureBuilder.features(features))
    }

    /// The hidden probability that this arrival accepts offer `offer`.
    public func acceptance(_ arrival: Arrival, offer: Int) -> Double {
        let customer = customers[arrival.customer]
        let hidden = offers[offer]
        var z = hidden.base + hidden.channel[arrival.channel] + hidden.segment[customer.segment]
        z += hidden.churn[min(Int(customer.churnRisk * 5), 4)] + hidden.channelSegment[arrival.channel][customer.segment]
        z += hidden.timeOfDay[arrival.hour / 6]
        if let product = hidden.product, customer.holdings.contains(product) { z -= 2.5 }
        return sigmoid(z)
    }
}

/// The result of one simulation: cumulative expected rewards, with checkpoints for the learning curve.
public struct SimulationResult: Sendable, Codable {
    public var seed: UInt64
    public var rounds: Int
    public var offers: Int
    public var thompson = 0.0
    public var oracle = 0.0
    public var random = 0.0
    /// Accepts the Thompson policy actually drew (coin flips included).
    public var thompsonAccepts = 0
    /// (round, cumulative Thompson / oracle, cumulative random / oracle) every `every` rounds.
    public var curve: [[Double]] = []
    /// The learned model's snapshot encoding, in bytes (what a decision replica fetches to start).
    public var snapshotBytes: Int?

    public var thompsonShare: Double { thompson / oracle }
    public var randomShare: Double { random / oracle }
}

extension SimulatedWorld {
    /// Runs `rounds` arrivals. The learner sees the world only through the scoring model.
    /// `exploration` nil: Thompson sampling.
    public func run(seed: UInt64, rounds: Int, hyperparameters: ModelHyperparameters = ModelHyperparameters(), exploration: Exploration? = nil,
                    checkpointEvery: Int = 1_000, progress: (Int) -> Void = { _ in }) -> SimulationResult {
        var random = SeededRandom(seed: seed ^ 0x5EED)
        var model = ScoringModel(hyperparameters: hyperparameters)
        let candidates = offerIDs.map { CandidateOffer($0) }
        var result = SimulationResult(seed: seed, rounds: rounds, offers: offerIDs.count)
        for round in 1...rounds {
            let arrival = arrive(using: &random)
            let truth = offerIDs.indices.map { acceptance(arrival, offer: $0) }
            // Candidates are never empty nor over the limit here, so scoring cannot throw.
            let scores = (try? model.score(arrival.features, candidates, using: &random)) ?? []
            var chosen = scores.indices.max { scores[$0].sample < scores[$1].sample } ?? 0
            if let exploration {
                let ranked = scores.indices.sorted { scores[$0].mean > scores[$1].mean }
                let chances = exploration.probabilities(
                    priorities: ranked.map { scores[$0].mean },
                    spreads: ranked.map { Exploration.spread(mean: scores[$0].mean, logitVariance: scores[$0].logitVariance) })
                chosen = ranked[Exploration.draw(chances, unit: Double.random(in: 0..<1, using: &random))]
            }
            let accepted = Double.random(in: 0..<1, using: &random) < truth[chosen]
            _ = try? model.apply(UInt64(round), LearningExample(offerID: offerIDs[chosen], features: arrival.features.names, label: accepted))
            result.thompson += truth[chosen]
            result.oracle += truth.max() ?? 0
            result.random += truth.reduce(0, +) / Double(truth.count)
            if accepted { result.thompsonAccepts += 1 }
            if round % checkpointEvery == 0 || round == rounds {
                result.curve.append([Double(round), result.thompsonShare, result.randomShare])
                progress(round)
            }
        }
        result.snapshotBytes = model.snapshot().count
        return result
    }
}
