// Champion against challengers, and each per-offer holdout against its offer: from the decision
// log, per strategy the share of decisions with a response and the value (revenue) per decision,
// each with a 95% interval, and their differences from the champion's with theirs; per offer with
// a holdout, the response rate of its shown units against that of its held-out units (customers
// held out of the offer for whom the policy would have shown it).
//
// Units: a strategy's unit is one non-control decision of a known customer (customers are split by a hash, so the
// strategies' decisions are independent samples); intervals are normal, the mean ± 1.96 standard
// errors (sample standard deviation over √n), a difference's standard error √(se₁² + se₀²).
import Wire

/// A sample mean with its standard error, built one observation at a time.
public struct SampleMean: Sendable, Equatable {
    public private(set) var count = 0
    private var sum = 0.0
    private var squares = 0.0

    public init() {}

    public mutating func add(_ value: Double) {
        count += 1
        sum += value
        squares += value * value
    }

    public var mean: Double { count > 0 ? sum / Double(count) : 0 }

    /// The sample standard deviation over √n; 0 below two observations.
    public var standardError: Double {
        guard count > 1 else { return 0 }
        let n = Double(count)
        return (max(squares - sum * sum / n, 0) / (n - 1) / n).squareRoot()
    }

    public var interval: ClosedRange<Double> {
        (mean - LiftEstimate.z95 * standardError)...(mean + LiftEstimate.z95 * standardError)
    }

    /// This mean minus `other`'s, with the 95% interval of the difference of independent means.
    public func difference(from other: SampleMean) -> (value: Double, interval: ClosedRange<Double>) {
        let value = mean - other.mean
        let error = (standardError * standardError + other.standardError * other.standardError).squareRoot()
        return (value, (value - LiftEstimate.z95 * error)...(value + LiftEstimate.z95 * error))
    }
}

public struct StrategyRow: Sendable {
    /// The catalog's name for it; empty for decisions made under a catalog without strategies.
    public var strategy: String
    /// Per non-control decision: 1 if any shown offer got a response, else 0.
    public var response = SampleMean()
    /// Per non-control decision: the revenue of its shown offers' purchases.
    public var value = SampleMean()

    public var decisions: Int { response.count }
    public var tooFew: Bool { decisions < Estimates.minimumDecisions }
}

public struct StrategyComparison: Sendable {
    /// Every strategy that decided, the reference first, then by name.
    public var rows: [StrategyRow]
    /// The strategy the others are compared with: the one asked for, else the one with the most decisions.
    public var reference: String

    /// Nil when no decision names a strategy.
    init?(_ decisions: [DecisionRecord], responded: (DecisionRecord, OfferChoice) -> (responded: Bool, revenue: Double), reference: String?) {
        var rows: [String: StrategyRow] = [:]
        // Without a customer id (no view of the customer: no offer) no strategy decided.
        for record in decisions where !record.control && !record.customerID.isEmpty {
            var any = false, revenue = 0.0
            for offer in record.offers {
                let fact = responded(record, offer)
                any = any || fact.responded
                revenue += fact.revenue
            }
            rows[record.strategy, default: StrategyRow(strategy: record.strategy)].response.add(any ? 1 : 0)
            rows[record.strategy]!.value.add(revenue)
        }
        guard rows.keys.contains(where: { !$0.isEmpty }) else { return nil }
        let chosen = reference.flatMap { rows[$0] != nil ? $0 : nil }
            ?? rows.values.max { ($0.decisions, $1.strategy) < ($1.decisions, $0.strategy) }!.strategy
        self.reference = chosen
        self.rows = rows.values.sorted { a, b in a.strategy == chosen || (b.strategy != chosen && a.strategy < b.strategy) }
    }

    public var referenceRow: StrategyRow { rows[0] }
}

/// One offer's holdout: its shown units against its held-out ones.
public struct OfferHoldoutRow: Sendable {
    public var offerID: String
    /// Treated: the offer shown (non-control decisions); control: held out where it would have been shown.
    public var lift: LiftEstimate
}
