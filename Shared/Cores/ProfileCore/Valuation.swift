// What the customer is worth going forward and how likely they are to leave, computed from
// their activity. The models behind it live in CustomerValue; the profile store only needs
// this seam.

/// A customer's activity as the value and churn models read it.
public struct CustomerActivity: Sendable {
    /// Purchases as (days since 1970-01-01, amount), oldest first.
    public var purchases: [(day: Int, amount: Double)]
    /// Complaint events in the churn model's look-back window.
    public var recentComplaints: Int
    /// Total balance across holdings over time, oldest first: (days since 1970-01-01, balance).
    public var balances: [(day: Int, total: Double)]

    public init(purchases: [(day: Int, amount: Double)] = [], recentComplaints: Int = 0, balances: [(day: Int, total: Double)] = []) {
        self.purchases = purchases
        self.recentComplaints = recentComplaints
        self.balances = balances
    }
}

public struct Valuation: Sendable, Equatable {
    public var pAlive: Double
    /// Expected purchases in the next 52 weeks.
    public var expectedPurchases: Double
    public var clv: Double
    /// Value tier name, e.g. "gold".
    public var tier: String
    public var churnRisk: Double
    /// Most important first, readable by an agent: "no purchase for 94 days, 3× their usual gap".
    public var churnReasons: [String]

    public init(pAlive: Double, expectedPurchases: Double, clv: Double, tier: String, churnRisk: Double, churnReasons: [String]) {
        self.pAlive = pAlive
        self.expectedPurchases = expectedPurchases
        self.clv = clv
        self.tier = tier
        self.churnRisk = churnRisk
        self.churnReasons = churnReasons
    }
}

public protocol CustomerValuation: Sendable {
    /// Days of complaints the churn model looks back over.
    var complaintWindowDays: Int { get }
    func valuate(_ activity: CustomerActivity, today: Int) -> Valuation
}
