// Churn risk in [0, 1] with the reasons behind it: a logistic score over four signals a
// person can check, each with a stated weight (docs/CUSTOMER_VALUE.md):
//   1. 1 − P(alive) from BG/NBD: the model's own belief the customer has gone quiet for good;
//   2. lateness: days since the last purchase against the customer's own rhythm (their mean
//      gap between purchases), log(1 + excess) so 3× late counts more than 2× but not without end;
//   3. complaints in the look-back window;
//   4. a falling total balance over the look-back window (fraction lost).
// Cheap: a pure function of a small summary, recomputed whenever the customer's data changes.
import Foundation

public struct ChurnSignals: Sendable, Equatable {
    public var pAlive: Double
    /// Days since the last purchase (nil without purchases).
    public var daysSinceLastPurchase: Double?
    /// The customer's mean gap between purchases in days (nil with fewer than two purchase days).
    public var meanGapDays: Double?
    public var recentComplaints: Int
    /// Fraction of the total balance lost over the look-back window (0 when stable or rising).
    public var balanceDecline: Double

    public init(pAlive: Double, daysSinceLastPurchase: Double?, meanGapDays: Double?, recentComplaints: Int, balanceDecline: Double) {
        self.pAlive = pAlive
        self.daysSinceLastPurchase = daysSinceLastPurchase
        self.meanGapDays = meanGapDays
        self.recentComplaints = recentComplaints
        self.balanceDecline = balanceDecline
    }
}

public struct ChurnRisk: Sendable, Equatable {
    public var score: Double
    /// Signals that raised the risk, largest contribution first, readable by an agent.
    public var reasons: [String]
}

public struct ChurnModel: Sendable, Equatable, Codable {
    public var intercept = -2.5
    public var deadWeight = 3.0
    public var latenessWeight = 1.5
    public var complaintWeight = 0.8
    public var balanceWeight = 2.5
    /// Days of complaints and balance history the signals look back over.
    public var windowDays = 90

    public init() {}

    public func risk(_ s: ChurnSignals) -> ChurnRisk {
        // Each signal's contribution and its reason, worded only if it is kept (wording is most
        // of the cost when every customer is revalued).
        var parts: [(Double, () -> String)] = []
        let dead = 1 - s.pAlive
        parts.append((deadWeight * dead, { String(format: "P(alive) %.0f%%", s.pAlive * 100) }))
        if let since = s.daysSinceLastPurchase, let gap = s.meanGapDays, gap > 0 {
            let late = since / gap
            parts.append((latenessWeight * log1p(max(0, late - 1)),
                          { String(format: "no purchase for %.0f days, %.1f× their usual gap of %.0f days", since, late, gap) }))
        }
        let complaints = min(s.recentComplaints, 5)
        parts.append((complaintWeight * Double(complaints), { "\(s.recentComplaints) complaint\(s.recentComplaints == 1 ? "" : "s") in \(windowDays) days" }))
        let decline = min(max(s.balanceDecline, 0), 1)
        parts.append((balanceWeight * decline, { String(format: "balance down %.0f%% in %d days", decline * 100, windowDays) }))
        let z = intercept + parts.reduce(0) { $0 + $1.0 }
        let reasons = parts.filter { $0.0 >= 0.25 }.sorted { $0.0 > $1.0 }.map { $0.1() }
        return ChurnRisk(score: 1 / (1 + exp(-z)), reasons: reasons)
    }
}

extension ChurnSignals {
    /// The signals from a customer's activity on `today` (days since 1970-01-01).
    public init(purchaseDays: [Int], pAlive: Double, recentComplaints: Int, balances: [(day: Int, total: Double)], today: Int, windowDays: Int) {
        let days = Set(purchaseDays).sorted()
        let gap = days.count >= 2 ? Double(days.last! - days.first!) / Double(days.count - 1) : nil
        let window = balances.filter { $0.day >= today - windowDays }
        // The balance at the start of the window is the last one before it, if any.
        let start = balances.last { $0.day < today - windowDays }?.total ?? window.first?.total
        let end = balances.last?.total
        var decline = 0.0
        if let start, let end, start > 0 { decline = max(0, (start - end) / start) }
        self.init(pAlive: pAlive, daysSinceLastPurchase: days.last.map { Double(today - $0) }, meanGapDays: gap,
                  recentComplaints: recentComplaints, balanceDecline: decline)
    }
}
