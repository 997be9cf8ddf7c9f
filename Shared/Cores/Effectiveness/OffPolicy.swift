// Off-policy evaluation: what the response rate would have been under another policy, estimated
// from the decisions the running policy logged with the exact probability of each choice
// (Horvitz–Thompson inverse propensity scoring; Dudík, Langford & Li, "Doubly Robust Policy
// Evaluation and Learning", 2011). Only the first slot is evaluated: its logged probability is
// P(chosen | the kept candidates), which the decision service records for every candidate.
//
// For decision i with logged choice a_i, logging probability μ_i, reward r_i and target policy π:
//   IPS   = mean(w_i r_i),  w_i = π(a_i | x_i) / μ_i
//   SNIPS = Σ w_i r_i / Σ w_i
//   DR    = mean(Σ_a π(a | x_i) r̂(x_i, a) + w_i (r_i − r̂(x_i, a_i))),  r̂ = the model's propensity
// Standard errors: the sample standard deviation of the per-decision terms over √n (IPS, DR), and
// the delta method for SNIPS; intervals are ± 1.96 standard errors.

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
        var weights: [Double] = []
        var terms: [Double] = []
        weights.reserveCapacity(choices.count)
        terms.reserveCapacity(choices.count)
        for (choice, target) in zip(choices, targets) {
            let logged = choice.candidates[choice.chosen]
            let w = target[choice.chosen] / logged.loggingProbability
            weights.append(w)
            switch estimator {
            case .ips, .snips:
                terms.append(w * choice.reward)
            case .doublyRobust:
                let direct = zip(target, choice.candidates).reduce(0) { $0 + $1.0 * $1.1.modelPropensity }
                terms.append(direct + w * (choice.reward - logged.modelPropensity))
            }
        }
        let n = Double(choices.count)
        let total = weights.reduce(0, +), squaredTotal = weights.reduce(0) { $0 + $1 * $1 }
        let effective = squaredTotal > 0 ? total * total / squaredTotal : 0
        if estimator == .snips {
            guard total > 0 else { return PolicyEstimate(value: 0, standardError: 0, decisions: choices.count, effectiveSampleSize: 0) }
            let value = terms.reduce(0, +) / total
            let squares = zip(weights, choices).reduce(0) { sum, pair in
                let deviation = pair.0 * (pair.1.reward - value)
                return sum + deviation * deviation
            }
            return PolicyEstimate(value: value, standardError: squares.squareRoot() / total, decisions: choices.count, effectiveSampleSize: effective)
        }
        return PolicyEstimate(value: terms.reduce(0, +) / n, standardError: standardError(terms), decisions: choices.count, effectiveSampleSize: effective)
    }

    /// The running policy's own mean reward (on policy, no weighting).
    public static func logged(_ choices: [LoggedChoice]) -> PolicyEstimate? {
        guard !choices.isEmpty else { return nil }
        let rewards = choices.map(\.reward)
        return PolicyEstimate(value: rewards.reduce(0, +) / Double(rewards.count), standardError: standardError(rewards), decisions: choices.count,
                              effectiveSampleSize: Double(choices.count))
    }

    /// Standard deviation over √n.
    static func standardError(_ values: [Double]) -> Double {
        guard values.count > 1 else { return 0 }
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        return (variance / n).squareRoot()
    }
}
