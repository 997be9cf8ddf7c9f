// One offer's propensity model: Bayesian logistic regression over hashed binary features with a
// diagonal Gaussian posterior, updated one outcome at a time by the Laplace approximation
// (Chapelle & Li 2011, "An Empirical Evaluation of Thompson Sampling", algorithm 3, with the
// mode found exactly for each single observation):
//
//   prior/posterior: w_i ~ N(m_i, 1/q_i), independent
//   observation (x, y), y ∈ {+1 accept, −1 not): the new mode w minimizes
//       ½ Σ q_i (w_i − m_i)² + log(1 + exp(−y wᵀx))
//   which lies on w = m + y c x/q (elementwise), c ∈ (0, 1) solving c = σ(−y μ − c v),
//   μ = mᵀx, v = Σ x_i²/q_i (one monotone equation: Newton with bisection safeguard);
//   then m ← w and q_i ← q_i + x_i² p(1 − p), p = σ(wᵀx).
//
// Predictions: the logit s = wᵀx is N(μ, v) under the posterior. The posterior mean propensity is
// approximated by σ(μ / √(1 + πv/8)) (MacKay's probit approximation); a Thompson sample draws
// s ~ N(μ, v) and returns σ(s). Only arithmetic on the inputs, in a fixed order: two replicas that
// apply the same outcomes hold bit-identical weights.
import Foundation

public struct ModelHyperparameters: Sendable, Equatable, Codable {
    /// Weights per offer: 2^hashBits slots.
    public var hashBits = 12
    /// Prior variance of every feature weight but the bias.
    public var featureVariance = 0.1
    /// Prior variance of the bias weight, centred on logit(prior propensity).
    public var biasVariance = 1.0
    /// Prior propensity of an offer whose catalog declares none.
    public var defaultPropensity = 0.05
    /// Forgetting: the evidence's half-life-like window in stream events — each event keeps
    /// 1 − 1/window of what the precisions learned beyond the prior, so an offer whose appeal
    /// changes is followed. 0: off (nothing is forgotten; best on a stationary world).
    public var forgettingWindow: UInt64 = 0

    public init() {}

    public var slots: Int { 1 << hashBits }

    /// The share of learned precision left after `events` stream events.
    func retained(after events: UInt64) -> Double {
        guard forgettingWindow > 0, events > 0 else { return 1 }
        return pow(1 - 1 / Double(forgettingWindow), Double(events))
    }
}

/// A request's features reduced to slots: distinct slot indices with how many features hit each
/// (a collision counts twice, as x_i = 2), and which slot is the bias.
public struct SlotVector: Sendable {
    public let indices: [Int]
    public let counts: [Double]

    public init(_ features: FeatureVector, slots: Int) {
        let mask = UInt64(slots - 1)
        var indices: [Int] = []
        var counts: [Double] = []
        indices.reserveCapacity(features.hashes.count)
        for hash in features.hashes {
            let index = Int(hash & mask)
            if let at = indices.firstIndex(of: index) {
                counts[at] += 1
            } else {
                indices.append(index)
                counts.append(1)
            }
        }
        self.indices = indices
        self.counts = counts
    }
}

public struct OfferModel: Sendable, Equatable {
    public let offerID: String
    /// The prior propensity this offer started from.
    public let prior: Double
    public private(set) var observations: UInt64 = 0
    public private(set) var accepted: UInt64 = 0
    /// Posterior means and precisions per slot; empty until the first update (all prior).
    public private(set) var mean: [Double] = []
    public private(set) var precision: [Double] = []
    /// The stream sequence the precisions were last forgotten to (with forgetting on).
    public private(set) var forgottenAt: UInt64 = 0
    let biasSlot: Int

    public init(offerID: String, prior: Double, hyperparameters: ModelHyperparameters) {
        self.offerID = offerID
        self.prior = Self.validPrior(prior, default: hyperparameters.defaultPropensity)
        self.biasSlot = Int(FeatureVector.hash(FeatureBuilder.bias) & UInt64(hyperparameters.slots - 1))
        self.hyperparameters = hyperparameters
    }

    let hyperparameters: ModelHyperparameters

    /// A prior outside (0, 1) — or none (0) — means the default.
    static func validPrior(_ prior: Double, default fallback: Double) -> Double {
        prior.isFinite && prior > 0 && prior < 1 ? min(max(prior, 1e-6), 1 - 1e-6) : fallback
    }

    func priorMean(_ slot: Int) -> Double { slot == biasSlot ? logit(prior) : 0 }
    func priorPrecision(_ slot: Int) -> Double {
        1 / (slot == biasSlot ? hyperparameters.biasVariance : hyperparameters.featureVariance)
    }

    @inline(__always) func m(_ slot: Int) -> Double { mean.isEmpty ? priorMean(slot) : mean[slot] }
    @inline(__always) func q(_ slot: Int) -> Double { precision.isEmpty ? priorPrecision(slot) : precision[slot] }

    /// The logit's posterior mean μ and variance v for these features, at stream sequence
    /// `sequence` (what forgetting has taken since `forgottenAt` counts; nil: as stored).
    public func logitPosterior(_ x: SlotVector, at sequence: UInt64? = nil) -> (mean: Double, variance: Double) {
        var mu = 0.0
        var v = 0.0
        let kept = sequence.map { hyperparameters.retained(after: $0 > forgottenAt ? $0 - forgottenAt : 0) } ?? 1
        for k in 0..<x.indices.count {
            let i = x.indices[k], c = x.counts[k]
            mu += m(i) * c
            let precision = kept == 1 ? q(i) : priorPrecision(i) + (q(i) - priorPrecision(i)) * kept
            v += c * c / precision
        }
        return (mu, v)
    }

    /// Posterior mean of P(accept).
    public func meanPropensity(_ x: SlotVector) -> Double {
        let (mu, v) = logitPosterior(x)
        return Self.meanPropensity(mu, v)
    }

    /// σ(μ / √(1 + πv/8)) for a logit ~ N(μ, v).
    public static func meanPropensity(_ mu: Double, _ v: Double) -> Double {
        sigmoid(mu / (1 + Double.pi * v / 8).squareRoot())
    }

    /// Each feature's share of the logit's mean (weight × count), for explanations.
    public func contribution(_ x: SlotVector, _ k: Int) -> Double {
        m(x.indices[k]) * x.counts[k]
    }

    /// Learns one outcome, stream event `sequence`. Returns false (and changes nothing but what
    /// forgetting takes) if the result would not be finite.
    @discardableResult
    public mutating func update(_ x: SlotVector, accepted: Bool, at sequence: UInt64 = 0) -> Bool {
        forget(to: sequence)
        let y: Double = accepted ? 1 : -1
        let (mu, v) = logitPosterior(x)
        let c = Self.solveStep(yMu: y * mu, v: v)
        let newLogit = mu + y * c * v
        let p = sigmoid(newLogit)
        let curvature = p * (1 - p)
        guard c.isFinite, newLogit.isFinite, curvature.isFinite else { return false }
        if mean.isEmpty {
            mean = (0..<hyperparameters.slots).map(priorMean)
            precision = (0..<hyperparameters.slots).map(priorPrecision)
        }
        for k in 0..<x.indices.count {
            let i = x.indices[k], count = x.counts[k]
            mean[i] += y * c * count / precision[i]
            precision[i] += count * count * curvature
        }
        observations += 1
        if accepted { self.accepted += 1 }
        return true
    }

    /// Applies what forgetting takes between `forgottenAt` and `sequence` to every slot.
    mutating func forget(to sequence: UInt64) {
        guard hyperparameters.forgettingWindow > 0, sequence > forgottenAt else { return }
        let kept = hyperparameters.retained(after: sequence - forgottenAt)
        forgottenAt = sequence
        guard !precision.isEmpty else { return }
        for i in precision.indices {
            let prior = priorPrecision(i)
            precision[i] = prior + (precision[i] - prior) * kept
        }
    }

    /// The root c ∈ (0, 1) of g(c) = c − σ(−yμ − c v), increasing in c: Newton steps kept inside a
    /// shrinking bracket, a fixed iteration bound, so the result depends on the inputs alone.
    static func solveStep(yMu: Double, v: Double) -> Double {
        var low = 0.0, high = 1.0
        var c = sigmoid(-yMu)
        for _ in 0..<50 {
            let s = sigmoid(-yMu - c * v)
            let g = c - s
            if abs(g) < 1e-14 { break }
            if g > 0 { high = c } else { low = c }
            let next = c - g / (1 + v * s * (1 - s))
            c = next > low && next < high ? next : (low + high) / 2
        }
        return c
    }

    /// Restores a model from a snapshot's fields.
    init(offerID: String, prior: Double, observations: UInt64, accepted: UInt64, mean: [Double], precision: [Double],
         forgottenAt: UInt64 = 0, hyperparameters: ModelHyperparameters) {
        self.init(offerID: offerID, prior: prior, hyperparameters: hyperparameters)
        self.forgottenAt = forgottenAt
        self.observations = observations
        self.accepted = accepted
        self.mean = mean
        self.precision = precision
    }
}

@inline(__always) public func sigmoid(_ x: Double) -> Double {
    x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x))
}

@inline(__always) public func logit(_ p: Double) -> Double { log(p / (1 - p)) }
