// The three off-policy estimators of a policy's mean reward from logged bandit feedback, as
// published (Dudík, Langford & Li, "Doubly Robust Policy Evaluation and Learning", 2011;
// Swaminathan & Joachims, "The Self-Normalized Estimator for Counterfactual Learning", 2015).
// With w_i = π(a_i|x_i)/μ(a_i|x_i), d_i = Σ_a π(a|x_i) r̂(x_i,a) and m_i = r̂(x_i,a_i), over n rounds:
//   IPS   = (1/n) Σ w_i r_i
//   SNIPS = Σ w_i r_i / Σ w_i
//   DR    = (1/n) Σ [d_i + w_i (r_i − m_i)]
// Each is a ratio of sums of per-round terms, which is what the bootstrap resamples.

public enum OffPolicyEstimator: String, CaseIterable, Sendable, Codable {
    case ips, snips, dr

    /// The estimate; nil without rounds, without any weight (SNIPS), or without the model (DR).
    public func estimate(_ log: BanditLog) -> Double? {
        guard log.count > 0 else { return nil }
        let n = Double(log.count)
        switch self {
        case .ips:
            return zip(log.weights, log.rewards).reduce(0) { $0 + $1.0 * $1.1 } / n
        case .snips:
            let total = log.weights.reduce(0, +)
            guard total > 0 else { return nil }
            return zip(log.weights, log.rewards).reduce(0) { $0 + $1.0 * $1.1 } / total
        case .dr:
            guard log.hasRewardModel else { return nil }
            return (0..<log.count).reduce(0) { $0 + term(log, $1) } / n
        }
    }

    /// The normal approximation's standard error: the per-round terms' sample standard deviation
    /// over √n (IPS, DR); the delta method for SNIPS's ratio.
    public func standardError(_ log: BanditLog) -> Double? {
        guard let value = estimate(log) else { return nil }
        guard log.count > 1 else { return 0 }
        let n = Double(log.count)
        switch self {
        case .snips:
            let total = log.weights.reduce(0, +)
            let squares = zip(log.weights, log.rewards).reduce(0) { sum, pair in
                let deviation = pair.0 * (pair.1 - value)
                return sum + deviation * deviation
            }
            return squares.squareRoot() / total
        case .ips, .dr:
            let variance = (0..<log.count).reduce(0) { sum, i in
                let deviation = term(log, i) - value
                return sum + deviation * deviation
            } / (n - 1)
            return (variance / n).squareRoot()
        }
    }

    /// Round i's term of the mean (IPS, DR); SNIPS's numerator term.
    func term(_ log: BanditLog, _ i: Int) -> Double {
        let weighted = log.weights[i] * log.rewards[i]
        guard self == .dr else { return weighted }
        return log.directTerms[i] + weighted - log.weights[i] * log.modelRewards[i]
    }
}

/// An estimate with its 95% interval.
public struct IntervalEstimate: Sendable, Equatable, Codable {
    public var estimate: Double
    public var low: Double
    public var high: Double

    public init(estimate: Double, low: Double, high: Double) {
        self.estimate = estimate
        self.low = low
        self.high = high
    }

    public func covers(_ value: Double) -> Bool { low <= value && value <= high }
}
