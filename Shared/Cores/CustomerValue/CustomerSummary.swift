// A customer's purchase history as the BG/NBD and Gamma-Gamma models read it, computed as
// the `lifetimes` package does: purchases on the same day count once (their amounts add up);
// the first purchase starts the clock and is left out of frequency and monetary value.

public struct CustomerSummary: Sendable, Equatable {
    /// Repeat purchases (x).
    public var frequency: Double
    /// Time from the first to the last purchase, in periods (t_x).
    public var recency: Double
    /// Time from the first purchase to the end of observation, in periods (T).
    public var age: Double
    /// Mean amount of the repeat purchases; 0 without any.
    public var monetaryValue: Double

    public init(frequency: Double, recency: Double, age: Double, monetaryValue: Double = 0) {
        self.frequency = frequency
        self.recency = recency
        self.age = age
        self.monetaryValue = monetaryValue
    }

    /// From (day, amount) pairs; purchases after `endDay` are ignored. Nil without any purchase by then.
    public init?(purchases: some Sequence<(day: Int, amount: Double)>, endDay: Int, periodDays: Double) {
        var byDay: [Int: Double] = [:]
        for purchase in purchases where purchase.day <= endDay { byDay[purchase.day, default: 0] += purchase.amount }
        guard let first = byDay.keys.min(), let last = byDay.keys.max() else { return nil }
        let repeats = byDay.filter { $0.key != first }
        frequency = Double(repeats.count)
        recency = Double(last - first) / periodDays
        age = Double(endDay - first) / periodDays
        // Summed in day order: a dictionary's order changes from run to run, and so did the last
        // bits of m̄ (a million customers: 519,871 distinct (x, m̄) in one run, 520,001 in another).
        monetaryValue = repeats.isEmpty ? 0 : repeats.sorted { $0.key < $1.key }.reduce(0) { $0 + $1.value } / Double(repeats.count)
    }

    /// Summaries of every customer in a list of purchases.
    public static func summarize(_ purchases: [Purchase], endDay: Int, periodDays: Double) -> [String: CustomerSummary] {
        var byCustomer: [String: [(day: Int, amount: Double)]] = [:]
        for purchase in purchases { byCustomer[purchase.customerID, default: []].append((purchase.day, purchase.amount)) }
        return byCustomer.compactMapValues { CustomerSummary(purchases: $0, endDay: endDay, periodDays: periodDays) }
    }
}
