// The check an analyst trusts (Fader, Hardie & Lee 2005, figure 4): fit on a calibration period,
// predict each customer's repeat purchases in the holdout period that follows, and compare with
// what they did, by number of repeat purchases in calibration. Rows as `lifetimes`'
// calibration_and_holdout_data computes them: customers who bought in calibration, purchase days
// counted once, holdout purchases in (calibration end, holdout end].

public struct CalibrationHoldout: Sendable {
    public struct Customer: Sendable, Equatable {
        public var id: String
        public var calibration: CustomerSummary
        /// Days with purchases in the holdout period.
        public var holdoutPurchases: Double
    }

    /// Predicted against actual mean holdout purchases of the customers with one calibration frequency.
    public struct FrequencyGroup: Sendable, Equatable, Codable {
        /// "0", "1", … and "7+" for the pooled tail.
        public var frequency: String
        public var customers: Int
        public var actual: Double
        public var predicted: Double
    }

    /// Sorted by customer id.
    public var customers: [Customer]
    /// Length of the holdout period in model periods.
    public var holdoutPeriods: Double

    public init(_ purchases: [Purchase], calibrationEnd: Int, holdoutEnd: Int, periodDays: Double) {
        holdoutPeriods = Double(holdoutEnd - calibrationEnd) / periodDays
        var holdoutDays: [String: Set<Int>] = [:]
        for p in purchases where p.day > calibrationEnd && p.day <= holdoutEnd { holdoutDays[p.customerID, default: []].insert(p.day) }
        customers = CustomerSummary.summarize(purchases, endDay: calibrationEnd, periodDays: periodDays)
            .map { Customer(id: $0.key, calibration: $0.value, holdoutPurchases: Double(holdoutDays[$0.key]?.count ?? 0)) }
            .sorted { $0.id < $1.id }
    }

    /// One group per calibration frequency below `pooledFrom`, then one for all from it up.
    public func byFrequency(_ model: BGNBD, pooledFrom: Int = 7) -> [FrequencyGroup] {
        var sums = [(customers: Int, actual: Double, predicted: Double)](repeating: (0, 0, 0), count: pooledFrom + 1)
        for c in customers {
            let group = min(Int(c.calibration.frequency), pooledFrom)
            sums[group].customers += 1
            sums[group].actual += c.holdoutPurchases
            sums[group].predicted += model.expectedPurchases(in: holdoutPeriods, c.calibration)
        }
        return sums.enumerated().filter { $0.element.customers > 0 }.map { i, s in
            FrequencyGroup(frequency: i == pooledFrom ? "\(i)+" : "\(i)", customers: s.customers,
                           actual: s.actual / Double(s.customers), predicted: s.predicted / Double(s.customers))
        }
    }
}
