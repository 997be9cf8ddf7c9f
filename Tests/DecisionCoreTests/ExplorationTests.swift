// The strategy's exploration: the closed-form chances (uniform where the model cannot tell the
// offers apart, shrinking as it becomes sure), the logged probabilities against how often each
// offer is really shown, slot by slot, and the catalog's exploration and features sections.
import DecisionCore
import Foundation
import Random
import Testing
import Wire

struct ExplorationTests {
    @Test func offersTheModelCannotTellApartAreEquallyLikely() {
        let chances = Exploration.uncertainty(gamma: 1).probabilities(priorities: [0.3, 0.3, 0.3, 0.3], spreads: [0.05, 0.05, 0.05, 0.05])
        #expect(chances.allSatisfy { abs($0 - 0.25) < 1e-15 })
        #expect(Exploration.epsilonGreedy(0.2).probabilities(priorities: [0.3, 0.2], spreads: [0, 0]) == [0.9, 0.1])
        #expect(Exploration.greedy.probabilities(priorities: [0.3, 0.2, 0.1], spreads: [1, 1, 1]) == [1, 0, 0])
    }

    /// z = gap / √(s_a² + s_b²); P(a) = 1 / (K + γ z²); the best takes the rest.
    @Test func theChancesAreTheClosedForm() {
        let chances = Exploration.uncertainty(gamma: 2).probabilities(priorities: [0.30, 0.25, 0.10], spreads: [0.03, 0.04, 0.0])
        let z1 = 0.05 / 0.05, z2 = 0.20 / 0.03
        #expect(abs(chances[1] - 1 / (3 + 2 * z1 * z1)) < 1e-15 && abs(chances[2] - 1 / (3 + 2 * z2 * z2)) < 1e-15)
        #expect(abs(chances.reduce(0, +) - 1) < 1e-15 && chances[0] > chances[1])
        // No spread on either side and a gap: that offer is surely worse.
        #expect(Exploration.uncertainty(gamma: 2).probabilities(priorities: [0.3, 0.2], spreads: [0, 0]) == [1, 0])
    }

    @Test func explorationShrinksAsTheModelBecomesSure() {
        let exploration = Exploration.standard
        var previous = 1.0
        // Spreads shrink like 1/√n with the evidence n: the second offer's chance falls with them.
        for n in [1.0, 10, 100, 1_000, 10_000] {
            let spread = 0.2 / n.squareRoot()
            let other = exploration.probabilities(priorities: [0.30, 0.25], spreads: [spread, spread])[1]
            #expect(other < previous, "n = \(n): \(other)")
            previous = other
        }
        #expect(previous < 0.01)
        // A propensity's spread from its logit's variance: p(1 − p)√v; unknown variance is the prior's.
        #expect(abs(Exploration.spread(mean: 0.2, logitVariance: 0.25) - 0.2 * 0.8 * 0.5) < 1e-15)
        #expect(Exploration.spread(mean: 0.2, logitVariance: nil) == Exploration.spread(mean: 0.2, logitVariance: Exploration.unknownLogitVariance))
    }

    /// Two slots, the sample catalog (one offer per category): at each slot the share of decisions
    /// showing an offer matches its logged probability within ±0.005 — the second slot's given the
    /// first slot's offer, as logged.
    @Test func loggedProbabilitiesMatchHowOftenEachOfferIsShownAtEachSlot() throws {
        let catalog = try sampleCatalog()
        let engine = DecisionEngine(catalog: catalog, exploration: .standard)
        let view = DecisionEngineTests.customer(id: DecisionEngineTests.idOutsideControl(catalog))
        let propensities = ["credit_card_upgrade": (0.12, 0.3), "new_credit_card": (0.10, 0.5), "personal_loan": (0.11, 0.2),
                            "savings_bonus": (0.05, 1.0), "home_insurance": (0.09, 0.4), "travel_insurance": (0.02, 0.1)]
            .mapValues { Propensity(mean: $0.0, logitVariance: $0.1) }
        var first: [String: (shown: Int, logged: Double)] = [:]
        var second: [String: [String: (shown: Int, logged: Double)]] = [:]
        let rounds = 100_000
        var random = SeededRandom(seed: 7)
        for _ in 0..<rounds {
            let decision = engine.decide(DecisionRequest(channel: "web", slots: 2, now: DecisionEngineTests.now), view: view, history: [],
                                         propensities: propensities, using: &random)
            let (a, b) = (decision.offers[0], decision.offers[1])
            #expect(a.offer.category != b.offer.category)
            first[a.offer.id, default: (0, a.probability)].shown += 1
            second[a.offer.id, default: [:]][b.offer.id, default: (0, b.probability)].shown += 1
        }
        #expect(first.count >= 4, "the uncertain offers are explored: \(first)")
        for (id, count) in first {
            #expect(abs(Double(count.shown) / Double(rounds) - count.logged) < 0.005, "slot 1 \(id): shown \(count.shown), logged \(count.logged)")
        }
        for (firstID, seconds) in second where first[firstID]!.shown >= 20_000 {
            let given = Double(first[firstID]!.shown)
            for (id, count) in seconds {
                #expect(abs(Double(count.shown) / given - count.logged) < 0.01, "slot 2 after \(firstID), \(id): shown \(count.shown) of \(given), logged \(count.logged)")
            }
        }
    }

    @Test func theCatalogSetsExplorationAndFeatures() throws {
        let yaml = """
        version: "1"
        offers:
          - {id: a, name: A, category: x, value: 1, channels: [web], treatments: {web: {headline: A}}}
        exploration: {method: epsilon_greedy, epsilon: 0.05}
        features:
          attributes:
            risk_band: category
            churn_score: [0.2, 0.5, 0.8]
          crosses: [[channel, churn_score], [risk_band, context.page]]
        """
        let catalog = try CatalogLoader.load(yaml: yaml, file: "c.yaml")
        #expect(catalog.exploration == .epsilonGreedy(0.05))
        let plan = try #require(catalog.features)
        #expect(plan.attributes.map(\.name) == ["risk_band", "churn_score"] && plan.attributes[1].bounds == [0.2, 0.5, 0.8])
        #expect(plan.crosses.map { "\($0.left)×\($0.right)" } == ["channel×churn_score", "risk_band×context.page"])
        let standard = try CatalogLoader.load(yaml: yaml.components(separatedBy: "exploration:")[0], file: "c.yaml")
        #expect(standard.exploration == .standard && standard.features == nil)
    }

    @Test(arguments: [
        ("exploration: {method: softmax}", "c.yaml:5:23: exploration.method must be uncertainty or epsilon_greedy, not 'softmax'"),
        ("exploration: {gamma: -1}", "c.yaml:5:22: exploration.gamma -1 is out of range 0…1000000"),
        ("exploration: {method: uncertainty, epsilon: 0.1}", "c.yaml:5:45: exploration.epsilon is a setting of method epsilon_greedy, not of uncertainty"),
        ("features: {attributes: {score: numeric}}", "c.yaml:5:32: attribute 'score' must be 'category' or a list of bucket bounds, e.g. [0.2, 0.4, 0.6]"),
        ("features: {crosses: [[channel, segmnt]]}", "c.yaml:5:11: features: cross channel × segmnt: 'segmnt' is not a feature group"),
        ("features: {attributes: {score: [0.5, 0.2]}}", "c.yaml:5:11: features: attribute 'score': bucket bounds must be finite and ascending"),
    ])
    func aBadSectionIsNamedWithItsPosition(section: String, expected: String) {
        expectRefused(section: section, file: "c.yaml", expected: expected)
    }
}
