// Lifetime value as a discounted cash flow over a horizon in months, the definition the
// `lifetimes` package uses: each month's expected purchases (BG/NBD) × expected spend
// (Gamma-Gamma), discounted monthly. Value tiers cut customers by CLV quantile.
import Foundation

public struct ValueModel: Sendable, Equatable, Codable {
    public var purchases: BGNBD
    public var spend: GammaGamma
    /// Days per model period (7 for weeks).
    public var periodDays: Double
    /// CLV cut points between tiers, ascending: tier i holds CLV below cutPoints[i].
    public var tierThresholds: [Double]
    public var tierNames: [String]

    /// Days in a month as `lifetimes` counts them for weekly models (4.345 weeks).
    public static let monthDays = 30.415

    public init(purchases: BGNBD, spend: GammaGamma, periodDays: Double = 7, tierThresholds: [Double] = [], tierNames: [String] = []) {
        self.purchases = purchases
        self.spend = spend
        self.periodDays = periodDays
        self.tierThresholds = tierThresholds
        self.tierNames = tierNames
    }

    public func clv(_ c: CustomerSummary, months: Int, monthlyDiscount: Double) -> Double {
        let spend = self.spend.expectedSpend(c)
        let month = Self.monthDays / periodDays
        var value = 0.0
        var previous = 0.0
        for i in 1...max(months, 1) {
            let cumulative = purchases.expectedPurchases(in: Double(i) * month, c)
            value += spend * (cumulative - previous) / pow(1 + monthlyDiscount, Double(i))
            previous = cumulative
        }
        return value
    }

    /// Expected purchases in the next 52 weeks.
    public func expectedPurchasesInAYear(_ c: CustomerSummary) -> Double {
        purchases.expectedPurchases(in: 52 * 7 / periodDays, c)
    }

    /// Cut points at the given quantiles (e.g. [0.5, 0.8, 0.95]) of these CLVs.
    public static func thresholds(of values: [Double], at quantiles: [Double]) -> [Double] {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return [] }
        return quantiles.map { q in sorted[min(sorted.count - 1, Int((q * Double(sorted.count)).rounded(.down)))] }
    }

    public func tier(ofCLV value: Double) -> String {
        let index = tierThresholds.firstIndex { value < $0 } ?? tierThresholds.count
        return index < tierNames.count ? tierNames[index] : "tier\(index)"
    }
}
