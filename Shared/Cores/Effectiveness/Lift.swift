// Lift against the control group: the response rate of customers who were shown an offer minus
// that of control customers for whom the policy held the same offer back, with a 95% confidence
// interval (normal approximation to the difference of two proportions, Wald).

public struct LiftEstimate: Sendable, Equatable {
    public var treated: Int
    public var treatedResponses: Int
    public var control: Int
    public var controlResponses: Int

    public init(treated: Int, treatedResponses: Int, control: Int, controlResponses: Int) {
        self.treated = treated
        self.treatedResponses = treatedResponses
        self.control = control
        self.controlResponses = controlResponses
    }

    public var treatedRate: Double { Self.rate(treatedResponses, treated) }
    public var controlRate: Double { Self.rate(controlResponses, control) }

    /// Treated rate − control rate; nil when either group is empty.
    public var lift: Double? { treated > 0 && control > 0 ? treatedRate - controlRate : nil }

    public var standardError: Double? {
        guard lift != nil else { return nil }
        let (t, c) = (treatedRate, controlRate)
        return (t * (1 - t) / Double(treated) + c * (1 - c) / Double(control)).squareRoot()
    }

    /// The 95% confidence interval of the lift.
    public var interval: ClosedRange<Double>? {
        guard let lift, let standardError else { return nil }
        return (lift - Self.z95 * standardError)...(lift + Self.z95 * standardError)
    }

    /// The smaller of the two groups, when it is too small for the normal approximation to hold
    /// (fewer than `Estimates.minimumDecisions`); nil when both are large enough.
    public var tooFew: Int? {
        let smaller = min(treated, control)
        return smaller < Estimates.minimumDecisions ? smaller : nil
    }

    /// The two-sided 95% quantile of the standard normal.
    public static let z95 = 1.959963984540054

    static func rate(_ count: Int, _ total: Int) -> Double { total > 0 ? Double(count) / Double(total) : 0 }
}

/// What an estimate needs before a report prints it as a number.
public enum Estimates {
    /// Below this many decisions (or this effective sample size) the normal approximation behind
    /// the intervals does not hold: a report says "too few decisions" instead of a figure.
    public static let minimumDecisions = 30
}
