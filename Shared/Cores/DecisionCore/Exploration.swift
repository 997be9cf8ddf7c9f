// How the strategy explores: the chance of each remaining offer at a slot, from the offers'
// priorities and how sure the model is of them. The chances are exact (closed form), so every
// shown offer is logged with the true probability this policy gave it, for off-policy evaluation.
//
// `uncertainty` is inverse gap weighting (SquareCB, Foster & Rakhlin 2020) with the gap measured
// in the model's own uncertainty: for the best offer b and another offer a,
//     z_a = (priority_b − priority_a) / √(spread_a² + spread_b²),   P(a) = 1 / (K + γ·z_a²),
// and b takes the rest (at least 1/K). Where the model is unsure of the difference (z near 0)
// the offers are near uniform; as evidence grows the spreads shrink like 1/√n and so does the
// exploration, on its own, context by context: a rare context stays explored, a common one
// settles. An optional floor keeps every offer's chance at floor/K or more, so that the log
// supports evaluating policies far from this one. `epsilonGreedy` spends ε uniformly for ever
// (kept for comparison and for catalogs that want it).
import Foundation

public enum Exploration: Sendable, Equatable, CustomStringConvertible {
    case epsilonGreedy(Double)
    case uncertainty(gamma: Double, floor: Double = 0)

    /// The catalog's default.
    public static let standard = Exploration.uncertainty(gamma: 256)
    /// Always the best offer.
    public static let greedy = Exploration.epsilonGreedy(0)
    /// The logit variance assumed for a propensity that comes without one (the catalog's prior):
    /// the scoring model's prior variance of an offer it has not learned.
    public static let unknownLogitVariance = 1.0

    public var description: String {
        switch self {
        case .epsilonGreedy(let epsilon): "ε-greedy (ε = \(epsilon.formatted))"
        case .uncertainty(let gamma, let floor): "uncertainty (γ = \(gamma.formatted)" + (floor > 0 ? ", floor \(floor.formatted))" : ")")
        }
    }

    /// The probability of each offer at one slot. `priorities` and `spreads` (standard deviations of
    /// the priorities) are in rank order, the best first; the result sums to 1.
    public func probabilities(priorities: [Double], spreads: [Double]) -> [Double] {
        let count = priorities.count
        guard count > 1 else { return count == 1 ? [1] : [] }
        let k = Double(count)
        var chances = [Double](repeating: 0, count: count)
        switch self {
        case .epsilonGreedy(let epsilon):
            for index in 0..<count { chances[index] = epsilon / k }
            chances[0] += 1 - epsilon
        case .uncertainty(let gamma, let floor):
            var others = 0.0
            for index in 1..<count {
                let gap = max(priorities[0] - priorities[index], 0)
                let spread = (spreads[0] * spreads[0] + spreads[index] * spreads[index]).squareRoot()
                let z = spread > 0 ? gap / spread : (gap > 0 ? Double.infinity : 0)
                chances[index] = max(z.isInfinite ? 0 : 1 / (k + gamma * z * z), floor / k)
                others += chances[index]
            }
            chances[0] = 1 - others
        }
        return chances
    }

    /// The spread (standard deviation) of a propensity whose logit is N(logit(mean), variance), by
    /// the delta method: p(1 − p)·√v.
    public static func spread(mean: Double, logitVariance: Double?) -> Double {
        let variance = logitVariance ?? unknownLogitVariance
        guard mean.isFinite, variance.isFinite, variance > 0 else { return 0 }
        return mean * (1 - mean) * variance.squareRoot()
    }

    /// The position `unit` (uniform in [0, 1)) falls on among `chances`.
    public static func draw(_ chances: [Double], unit: Double) -> Int {
        var cumulative = 0.0
        for (index, chance) in chances.enumerated() {
            cumulative += chance
            if unit < cumulative { return index }
        }
        // Rounding left the sum a hair under 1: the last offer with any chance.
        return chances.lastIndex { $0 > 0 } ?? 0
    }
}
