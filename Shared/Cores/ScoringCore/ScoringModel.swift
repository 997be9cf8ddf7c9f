// All offers' propensity models and the position in the outcome stream they reflect. Outcomes
// are applied strictly in sequence order, each exactly once: an old or repeated sequence is
// ignored, a gap is refused (the caller fetches what is missing first). Scoring never changes the
// model, so every replica that applied the same sequence answers the same means.
import Foundation
import Random

public enum ScoringError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Bad request content; maps to INVALID_ARGUMENT.
    case invalidArgument(String)
    /// The stream skipped sequences the model has not applied yet; maps to UNAVAILABLE.
    case gap(expected: UInt64, got: UInt64)
    /// A snapshot that cannot be read; maps to INTERNAL.
    case corruptSnapshot(String)

    public var description: String {
        switch self {
        case .invalidArgument(let message): message
        case .gap(let expected, let got): "outcome stream gap: expected sequence \(expected), got \(got)"
        case .corruptSnapshot(let message): "model snapshot: \(message)"
        }
    }
}

/// What one stream event teaches: `label` nil for events that are not a response (an
/// impression, a click), which only advance the sequence.
public struct LearningExample: Sendable, Equatable {
    public var offerID: String
    public var features: [String]
    public var label: Bool?
    public var prior: Double

    public init(offerID: String, features: [String], label: Bool?, prior: Double = 0) {
        self.offerID = offerID
        self.features = features
        self.label = label
        self.prior = prior
    }
}

/// A candidate offer of a score request, with the catalog's prior propensity (0: default).
public struct CandidateOffer: Sendable, Equatable {
    public var offerID: String
    public var prior: Double

    public init(_ offerID: String, prior: Double = 0) {
        self.offerID = offerID
        self.prior = prior
    }
}

public struct OfferScore: Sendable, Equatable {
    public var offerID: String
    /// Posterior mean of P(accept).
    public var mean: Double
    /// A Thompson sample of P(accept).
    public var sample: Double
    /// The logit's posterior mean and variance, for callers that draw their own samples.
    public var logitMean: Double
    public var logitVariance: Double
    public var observations: UInt64
    /// The features that move this offer's logit most, largest |weight| first.
    public var contributions: [(name: String, weight: Double)]

    public static func == (a: OfferScore, b: OfferScore) -> Bool {
        a.offerID == b.offerID && a.mean == b.mean && a.sample == b.sample && a.observations == b.observations
            && a.contributions.map(\.name) == b.contributions.map(\.name) && a.contributions.map(\.weight) == b.contributions.map(\.weight)
    }
}

public enum ApplyResult: Sendable, Equatable {
    case learned
    /// The event was not a response, or its features were empty: the sequence advanced.
    case skipped
    /// Already applied (a replayed or duplicated sequence): nothing changed.
    case duplicate
}

public struct ScoringModel: Sendable, Equatable {
    public let hyperparameters: ModelHyperparameters
    public private(set) var offers: [String: OfferModel] = [:]
    /// The last stream sequence applied (0: none).
    public private(set) var sequence: UInt64 = 0

    public static let maxCandidates = 1000
    public static let maxOfferIDBytes = 128

    public init(hyperparameters: ModelHyperparameters = ModelHyperparameters()) {
        self.hyperparameters = hyperparameters
    }

    public var version: String { "seq-\(sequence)" }

    /// Applies stream event `sequence`, exactly once.
    public mutating func apply(_ sequence: UInt64, _ example: LearningExample) throws(ScoringError) -> ApplyResult {
        if sequence <= self.sequence { return .duplicate }
        guard sequence == self.sequence + 1 else { throw .gap(expected: self.sequence + 1, got: sequence) }
        self.sequence = sequence
        guard let label = example.label, !example.features.isEmpty, (try? Self.check(offerID: example.offerID)) != nil else {
            return .skipped
        }
        let x = SlotVector(FeatureVector(names: example.features), slots: hyperparameters.slots)
        var model = offers.removeValue(forKey: example.offerID)
            ?? OfferModel(offerID: example.offerID, prior: example.prior, hyperparameters: hyperparameters)
        let learned = model.update(x, accepted: label, at: sequence)
        offers[example.offerID] = model
        return learned ? .learned : .skipped
    }

    /// Scores every candidate: offers never seen score from their prior. `explain` is how many
    /// feature contributions to return per offer.
    public func score(_ features: FeatureVector, _ candidates: [CandidateOffer], explain: Int = 0,
                      using random: inout SeededRandom) throws(ScoringError) -> [OfferScore] {
        guard !candidates.isEmpty else { throw .invalidArgument("no candidate offers to score") }
        guard candidates.count <= Self.maxCandidates else {
            throw .invalidArgument("\(candidates.count) candidate offers, more than the limit of \(Self.maxCandidates)")
        }
        let x = SlotVector(features, slots: hyperparameters.slots)
        let slotNames = explain > 0 ? x.indices.map { Self.names(of: $0, in: features, slots: hyperparameters.slots) } : []
        var scores: [OfferScore] = []
        scores.reserveCapacity(candidates.count)
        for candidate in candidates {
            try Self.check(offerID: candidate.offerID)
            let model = offers[candidate.offerID] ?? OfferModel(offerID: candidate.offerID, prior: candidate.prior, hyperparameters: hyperparameters)
            let (mu, v) = model.logitPosterior(x, at: sequence)
            let draw = mu + v.squareRoot() * random.standardNormal()
            var contributions: [(name: String, weight: Double)] = []
            if explain > 0 {
                contributions = Self.largest(explain, of: (0..<x.indices.count).map { model.contribution(x, $0) })
                    .map { (slotNames[$0], model.contribution(x, $0)) }
            }
            scores.append(OfferScore(offerID: candidate.offerID, mean: OfferModel.meanPropensity(mu, v), sample: sigmoid(draw),
                                     logitMean: mu, logitVariance: v, observations: model.observations, contributions: contributions))
        }
        return scores
    }

    static func check(offerID: String) throws(ScoringError) {
        guard !offerID.isEmpty else { throw .invalidArgument("empty offer id") }
        guard offerID.utf8.count <= maxOfferIDBytes else {
            throw .invalidArgument("offer id '\(offerID.prefix(40))…' is longer than \(maxOfferIDBytes) bytes")
        }
    }

    /// The positions of the `count` values of largest magnitude, largest first.
    static func largest(_ count: Int, of values: [Double]) -> [Int] {
        var top: [Int] = []
        for index in values.indices {
            let position = top.firstIndex { abs(values[$0]) < abs(values[index]) } ?? top.count
            if position < count {
                top.insert(index, at: position)
                if top.count > count { top.removeLast() }
            }
        }
        return top
    }

    /// The feature names that share a slot, joined ("a|b" on a hash collision).
    static func names(of slot: Int, in features: FeatureVector, slots: Int) -> String {
        let mask = UInt64(slots - 1)
        return zip(features.names, features.hashes).filter { Int($0.1 & mask) == slot }.map(\.0).joined(separator: "|")
    }

    /// Restores a model (from a snapshot).
    init(hyperparameters: ModelHyperparameters, offers: [String: OfferModel], sequence: UInt64) {
        self.hyperparameters = hyperparameters
        self.offers = offers
        self.sequence = sequence
    }
}
