// The churn score on customers simulated with a known churn process: it must rank customers
// who have left or will leave within 90 days above those who stay, and do better than
// P(alive) alone. AUCs are printed for docs/CUSTOMER_VALUE.md.
import Foundation
import Random
import Testing
@testable import CustomerValue

extension SeededRandom {
    mutating func exponential(rate: Double) -> Double { -log(1 - unit()) / rate }
}

/// A customer of the simulated bank: buys at their own Poisson rate until they leave; in the
/// two months before leaving they complain more and run their balance down.
struct SimulatedCustomer {
    var purchaseDays: [Int] = []
    var complaintDays: [Int] = []
    var balances: [(day: Int, total: Double)] = []
    var leaves: Int?
}

enum ChurnWorld {
    static let today = 600
    static let horizon = 90

    static func simulate(customers: Int, seed: UInt64) -> [SimulatedCustomer] {
        var rng = SeededRandom(seed: seed)
        return (0..<customers).map { _ in
            var c = SimulatedCustomer()
            let joined = Int(rng.unit() * 150)
            let rate = exp(log(1.0 / 12) + 0.7 * rng.standardNormal())  // purchases per day
            if rng.unit() < 0.45 { c.leaves = joined + 60 + Int(rng.unit() * Double(today + horizon - joined - 60)) }
            let end = min(c.leaves ?? .max, today)
            var day = Double(joined)
            while Int(day) <= end {
                c.purchaseDays.append(Int(day))
                day += rng.exponential(rate: rate)
            }
            var d = Double(joined)
            while Int(d) <= today {
                let nearLeaving = c.leaves.map { Int(d) >= $0 - 60 && Int(d) <= $0 } ?? false
                d += rng.exponential(rate: nearLeaving ? 1.0 / 45 : 1.0 / 500)
                if Int(d) <= min(end, today) { c.complaintDays.append(Int(d)) }
            }
            var balance = 2000 + 8000 * rng.unit()
            for month in stride(from: joined, through: today, by: 30) {
                if let leaves = c.leaves, month >= leaves - 90 { balance *= 0.55 + 0.3 * rng.unit() } else { balance *= 0.95 + 0.1 * rng.unit() }
                if let leaves = c.leaves, month > leaves { break }
                c.balances.append((month, balance))
            }
            return c
        }
    }

    /// Area under the ROC curve (Mann–Whitney): P(score of a positive > score of a negative).
    static func auc(scores: [Double], labels: [Bool]) -> Double {
        let ranked = zip(scores, labels).sorted { $0.0 < $1.0 }
        var rankSum = 0.0, positives = 0.0, i = 0
        while i < ranked.count {
            var j = i
            while j + 1 < ranked.count && ranked[j + 1].0 == ranked[i].0 { j += 1 }
            let rank = Double(i + j) / 2 + 1
            for k in i...j where ranked[k].1 { rankSum += rank; positives += 1 }
            i = j + 1
        }
        let negatives = Double(ranked.count) - positives
        return (rankSum - positives * (positives + 1) / 2) / (positives * negatives)
    }

    /// AUC of the full churn score and of 1 − P(alive) alone, on one simulated world.
    static func evaluate(customers: Int, seed: UInt64) -> (full: Double, pAliveOnly: Double) {
        let world = simulate(customers: customers, seed: seed)
        let summaries = world.map { CustomerSummary(purchases: $0.purchaseDays.map { ($0, 1.0) }, endDay: today, periodDays: 7)! }
        let bg = BGNBD.fit(summaries).model
        let model = ChurnModel()
        var full: [Double] = [], alone: [Double] = [], labels: [Bool] = []
        for (c, summary) in zip(world, summaries) {
            let pAlive = bg.probabilityAlive(summary)
            let complaints = c.complaintDays.filter { $0 > today - model.windowDays }.count
            let signals = ChurnSignals(purchaseDays: c.purchaseDays, pAlive: pAlive, recentComplaints: complaints,
                                       balances: c.balances, today: today, windowDays: model.windowDays)
            full.append(model.risk(signals).score)
            alone.append(1 - pAlive)
            labels.append(c.leaves.map { $0 <= today + horizon } ?? false)
        }
        return (auc(scores: full, labels: labels), auc(scores: alone, labels: labels))
    }
}

@Suite struct ChurnTests {
    @Test func aucIsOneForAPerfectRankingAndAHalfForTies() {
        #expect(ChurnWorld.auc(scores: [0.1, 0.2, 0.8, 0.9], labels: [false, false, true, true]) == 1)
        #expect(ChurnWorld.auc(scores: [0.5, 0.5, 0.5, 0.5], labels: [false, true, false, true]) == 0.5)
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func theScoreRanksLeaversAboveStayersBetterThanPAliveAlone(seed: UInt64) {
        let (full, alone) = ChurnWorld.evaluate(customers: 3000, seed: seed)
        print(String(format: "churn AUC seed %d: score %.3f, P(alive) alone %.3f", seed, full, alone))
        #expect(full >= 0.8, "AUC \(full)")
        #expect(full > alone + 0.03, "the extra signals help: \(full) vs \(alone)")
    }

    @Test func reasonsNameTheSignalsThatRaisedTheRisk() {
        let model = ChurnModel()
        let calm = model.risk(ChurnSignals(pAlive: 0.98, daysSinceLastPurchase: 5, meanGapDays: 10, recentComplaints: 0, balanceDecline: 0))
        let leaving = model.risk(ChurnSignals(pAlive: 0.3, daysSinceLastPurchase: 94, meanGapDays: 31, recentComplaints: 2, balanceDecline: 0.6))
        #expect(calm.score < 0.15 && calm.reasons.isEmpty)
        #expect(leaving.score > 0.9)
        #expect(leaving.reasons == ["P(alive) 30%", "no purchase for 94 days, 3.0× their usual gap of 31 days",
                                    "2 complaints in 90 days", "balance down 60% in 90 days"])
    }

    @Test func signalsComeFromTheActivity() {
        let s = ChurnSignals(purchaseDays: [100, 110, 110, 130], pAlive: 0.5, recentComplaints: 1,
                             balances: [(0, 1000), (50, 900), (120, 600), (140, 500)], today: 150, windowDays: 90)
        #expect(s.daysSinceLastPurchase == 20 && s.meanGapDays == 15)
        #expect(abs(s.balanceDecline - 4.0 / 9) < 1e-12, "from 900 before the window to 500 now")
    }
}
