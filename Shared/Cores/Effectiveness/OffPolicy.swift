// Off-policy evaluation of the decision log: what the response rate would have been under another
// policy, estimated from the decisions the running policy logged with the exact probability of each
// choice. Only the first slot is evaluated: its logged probability is P(chosen | the kept
// candidates), which the decision service records for every candidate. The formulas (IPS, SNIPS,
// DR) are OffPolicyEvaluation's, with the model's logged propensity as DR's reward model; the
// intervals here are the normal approximation's (± 1.96 standard errors).
import OffPolicyEvaluation

/// One logged first-slot choice.
public struct LoggedChoice: Sendable {
    /// One offer the running policy could have chosen for the first slot.
    public struct Alternative: Sendable {
        public var offerID: String
        /// P(the running policy chose this candidate for the first slot).
        public var loggingProbability: Double
        /// The model's P(response), the reward model of the doubly robust estimator and what
        /// the greedy policy maximises.
        public var modelPropensity: Double

        public init(offerID: String, loggingProbability: Double, modelPropensity: Double) {
            self.offerID = offerID
            self.loggingProbability = loggingProbability
            self.modelPropensity = modelPropensity
        }
    }

    public var candidates: [Alternative]
    /// Position of the chosen candidate.
    public var chosen: Int
    public var reward: Double

    public init(candidates: [Alternative], chosen: Int, reward: Double) {
        self.candidates = candidates
        self.chosen = chosen
        self.reward = reward
    }
}

public enum TargetPolicy: String, CaseIterable, Sendable {
    /// Any kept candidate with equal probability.
    case uniformRandom = "uniform random"
    /// The candidate the model rates most likely to be accepted.
    case greedyByModel = "greedy by the model"
    /// The running policy's own best choice, never exploring (its most probable candidate).
    case runningWithoutExploration = "running policy without exploration"

    public func probabilities(_ choice: LoggedChoice) -> [Double] {
        let n = choice.candidates.count
        switch self {
        case .uniformRandom:
            return [Double](repeating: 1 / Double(n), count: n)
        case .greedyByModel:
            return Self.oneHot(n, at: Self.argmax(choice.candidates.map(\.modelPropensity)))
        case .runningWithoutExploration:
            return Self.oneHot(n, at: Self.argmax(choice.candidates.map(\.loggingProbability)))
        }
    }

    static func argmax(_ values: [Double]) -> Int {
        values.indices.max { values[$0] < values[$1] || (values[$0] == values[$1] && $0 > $1) } ?? 0
    }

    static func oneHot(_ n: Int, at index: Int) -> [Double] {
        var p = [Double](repeating: 0, count: n)
        p[index] = 1
        return p
    }
}

public enum Estimator: String, CaseIterable, Sendable {
    case ips = "IPS", snips = "SNIPS", doublyRobust = "DR"

    var formula: OffPolicyEstimator {
        switch self {
        case .ips: .ips
        case .snips: .snips
        case .doublyRobust: .dr
        }
    }
}

public struct PolicyEstimate: Sendable {
    public var value: Double
    public var standardError: Double
    public var decisions: Int
    /// (Σw)² / Σw² of the importance weights: how many decisions the estimate is worth (n on policy).
    public var effectiveSampleSize: Double

    public var interval: ClosedRange<Double> {
        (value - LiftEstimate.z95 * standardError)...(value + LiftEstimate.z95 * standardError)
    }

    /// Too few decisions, or too little overlap with the logged policy, for a figure.
    public var tooFew: Bool {
        decisions < Estimates.minimumDecisions || effectiveSampleSize < Double(Estimates.minimumDecisions)
    }

    /// A response rate outside [0, 1] is impossible: the estimator's variance shows.
    public var unstable: Bool { value < 0 || value > 1 }

    /// The estimate and its interval within [0, 1], where a rate can be.
    public var clipped: (value: Double, interval: ClosedRange<Double>) {
        func clip(_ x: Double) -> Double { min(max(x, 0), 1) }
        return (clip(value), clip(interval.lowerBound)...clip(interval.upperBound))
    }
}

public enum OffPolicy {
    /// The estimate of `policy`'s mean reward by `estimator`; nil without logged choices.
    public static func estimate(_ choices: [LoggedChoice], policy: TargetPolicy, estimator: Estimator) -> PolicyEstimate? {
        estimate(choices, targets: choices.map(policy.probabilities), estimator: estimator)
    }

    /// The estimate of the policy that chooses each decision's candidates with `targets` (per
    /// decision, a probability per candidate, in its order).
    public static func estimate(_ choices: [LoggedChoice], targets: [[Double]], estimator: Estimator) -> PolicyEstimate? {
        guard !choices.isEmpty else { return nil }
        let log = BanditLog(zip(choices, targets).map { choice, target in
            LoggedRound(action: choice.chosen, propensity: choice.candidates[choice.chosen].loggingProbability, reward: choice.reward,
                        targetProbability: target[choice.chosen], targetDistribution: target,
                        rewardPredictions: choice.candidates.map(\.modelPropensity))
        })
        guard let value = estimator.formula.estimate(log), let error = estimator.formula.standardError(log) else {
            return PolicyEstimate(value: 0, standardError: 0, decisions: choices.count, effectiveSampleSize: 0)
        }
        return PolicyEstimate(value: value, standardError: error, decisions: choices.count, effectiveSampleSize: log.effectiveSampleSize)
    }

    /// The running policy's own mean reward (on policy, no weighting).
    public static func logged(_ choices: [LoggedChoice]) -> PolicyEstimate? {
        guard !choices.isEmpty else { return nil }
        // On policy: every weight is 1, and IPS is the plain mean with its standard error.
        let log = BanditLog(choices.map { LoggedRound(action: 0, propensity: 1, reward: $0.reward, targetProbability: 1) })
        return PolicyEstimate(value: log.loggedMeanReward, standardError: OffPolicyEstimator.ips.standardError(log) ?? 0,
                              decisions: choices.count, effectiveSampleSize: Double(choices.count))
    }
}
