// Champion against challengers and per-offer holdout lift, from decision records as the service
// logs them, against figures computed by hand.
import Effectiveness
import Testing
import Wire

struct StrategyComparisonTests {
    static func decision(_ id: String, strategy: String, shown: [String], heldOut: [String] = [], control: Bool = false) -> DecisionRecord {
        var record = EffectivenessReportTests.record(id, .web, segment: "gold", shown: shown)
        record.strategy = strategy
        record.customerID = "c-" + id
        record.control = control
        record.heldOut = heldOut.map { offer in OfferChoice.with { $0.offerID = offer } }
        return record
    }

    @Test func eachStrategysResponseAndValueAndTheirDifferencesFromTheChampion() throws {
        // Champion: 4 decisions, responses in 2 (revenue 100 and 0: an accept), value per decision (100 + 0 + 0 + 0) / 4.
        // Challenger: 3 decisions, responses in 3 (revenue 50, 50, 20). A control decision of either counts for neither.
        let decisions = [
            Self.decision("a1", strategy: "champion", shown: ["card"]), Self.decision("a2", strategy: "champion", shown: ["card", "loan"]),
            Self.decision("a3", strategy: "champion", shown: ["loan"]), Self.decision("a4", strategy: "champion", shown: ["card"]),
            Self.decision("b1", strategy: "challenger", shown: ["card"]), Self.decision("b2", strategy: "challenger", shown: ["loan"]),
            Self.decision("b3", strategy: "challenger", shown: ["card"]),
            Self.decision("k1", strategy: "challenger", shown: [], heldOut: ["card"], control: true),
        ]
        let outcomes = EffectivenessReportTests.events([
            ("a1", "card", .purchase, 100), ("a2", "loan", .accept, 0), ("a2", "card", .decline, 0),
            ("b1", "card", .purchase, 50), ("b2", "loan", .purchase, 50), ("b3", "card", .accept, 0), ("b3", "card", .purchase, 20),
            ("k1", "card", .purchase, 70),
        ])
        let report = EffectivenessReport(decisions: decisions, outcomes: outcomes, by: [.offer])
        let comparison = try #require(report.strategies)
        // The reference is the strategy with the most decisions, first.
        #expect(comparison.reference == "champion" && comparison.rows.map(\.strategy) == ["champion", "challenger"])
        let (champion, challenger) = (comparison.rows[0], comparison.rows[1])
        #expect(champion.decisions == 4 && champion.response.mean == 0.5 && champion.value.mean == 25)
        #expect(challenger.decisions == 3 && challenger.response.mean == 1 && abs(challenger.value.mean - 40) < 1e-12)
        // Standard errors: champion's responses 1,1,0,0 → s² = 1/3, se = √(1/12); values 100,0,0,0 → s² = 2500, se = 25.
        #expect(abs(champion.response.standardError - (1.0 / 12).squareRoot()) < 1e-12 && abs(champion.value.standardError - 25) < 1e-9)
        // Challenger's values 50, 50, 20 → mean 40, s² = 300, se = 10.
        let difference = challenger.value.difference(from: champion.value)
        #expect(abs(difference.value - 15) < 1e-12)
        let halfWidth = LiftEstimate.z95 * (625.0 + 100).squareRoot()
        #expect(abs(difference.interval.lowerBound - (15 - halfWidth)) < 1e-9 && abs(difference.interval.upperBound - (15 + halfWidth)) < 1e-9)
        // Asked for, the challenger is the reference; a name no decision has falls back to the largest.
        #expect(EffectivenessReport(decisions: decisions, outcomes: outcomes, by: [.offer], champion: "challenger").strategies?.rows.first?.strategy == "challenger")
        #expect(EffectivenessReport(decisions: decisions, outcomes: outcomes, by: [.offer], champion: "nobody").strategies?.reference == "champion")
        // A decision without a view of the customer is no strategy's.
        var blind = Self.decision("x1", strategy: "", shown: [])
        blind.customerID = ""
        #expect(EffectivenessReport(decisions: decisions + [blind], outcomes: outcomes, by: [.offer]).strategies?.rows.count == 2)
        // Decisions under catalogs without strategies: no comparison.
        let unnamed = decisions.map { record in var copy = record; copy.strategy = ""; return copy }
        #expect(EffectivenessReport(decisions: unnamed, outcomes: outcomes, by: [.offer]).strategies == nil)
    }

    @Test func perOfferHoldoutLiftComparesShownUnitsWithHeldOutOnes() throws {
        // card shown in d1–d4 (responses in d1, d2), held out in h1–h2 where it would have been shown (h1 bought it anyway).
        // loan is shown but has no holdout: no row. The control decision's held-back card is the control group's, not the holdout's.
        let decisions = [
            Self.decision("d1", strategy: "", shown: ["card"]), Self.decision("d2", strategy: "", shown: ["card"]),
            Self.decision("d3", strategy: "", shown: ["card", "loan"]), Self.decision("d4", strategy: "", shown: ["card"]),
            Self.decision("h1", strategy: "", shown: ["loan"], heldOut: ["card"]), Self.decision("h2", strategy: "", shown: ["loan"], heldOut: ["card"]),
            Self.decision("k1", strategy: "", shown: [], heldOut: ["card"], control: true),
        ]
        let outcomes = EffectivenessReportTests.events([
            ("d1", "card", .accept, 0), ("d2", "card", .purchase, 10), ("h1", "card", .purchase, 10), ("k1", "card", .purchase, 10),
        ])
        let report = EffectivenessReport(decisions: decisions, outcomes: outcomes, by: [.offer])
        #expect(report.holdouts.map(\.offerID) == ["card"])
        let card = try #require(report.holdouts.first).lift
        #expect(card == LiftEstimate(treated: 4, treatedResponses: 2, control: 2, controlResponses: 1))
        #expect(card.lift == 0 && card.tooFew == 2)
        // The per-offer rows still count the control decision's card as the control group's.
        #expect(report.rows.first { $0.key[.offer] == "card" }?.lift.control == 1)
    }
}
