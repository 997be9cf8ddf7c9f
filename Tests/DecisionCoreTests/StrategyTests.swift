// Champion/challenger strategies and per-offer holdouts in the strategy: the catalog's section,
// the split by a hash of the customer (its shares, stable, drawn apart from the control group),
// what a strategy changes (formula, exploration, offer set), and what a holdout logs.
import DecisionCore
import Random
import Testing
import Wire

struct StrategyTests {
    static let yaml = """
    version: "s1"
    control_group: {percent: 10, salt: test}
    offers:
      - {id: cheap, name: Cheap, category: x, value: 10, prior_propensity: 0.5, channels: [web], treatments: {web: {headline: C}}}
      - {id: dear, name: Dear, category: y, value: 100, prior_propensity: 0.1, channels: [web], treatments: {web: {headline: D}}}
      - {id: niche, name: Niche, category: z, value: 1, prior_propensity: 0.01, channels: [web], treatments: {web: {headline: N}}}
    exploration: {method: epsilon_greedy, epsilon: 0}
    strategies:
      - {name: champion, share: 70}
      - name: challenger
        share: 30
        priority: propensity
        exploration: {method: epsilon_greedy, epsilon: 0.2}
        offers: [cheap, niche]
    """

    static func view(_ id: String) -> CustomerViewInput {
        CustomerViewInput(customerID: id, optedOut: [], rules: RuleInput(view: CustomerView.with { $0.customerID = id }, channel: "web", context: [:],
                                                                        hour: 10, now: DecisionEngineTests.now))
    }

    static func decide(_ engine: DecisionEngine, _ id: String, seed: UInt64 = 1) -> Decision {
        var random = SeededRandom(seed: seed)
        return engine.decide(DecisionRequest(channel: "web", now: DecisionEngineTests.now), view: view(id), history: [], propensities: nil, using: &random)
    }

    @Test func theCatalogNamesItsStrategiesAndEachInheritsWhatItLeavesOut() throws {
        let catalog = try CatalogLoader.load(yaml: Self.yaml, file: "s.yaml")
        #expect(catalog.strategies.map(\.name) == ["champion", "challenger"] && catalog.strategies.map(\.share) == [70, 30])
        let (champion, challenger) = (catalog.strategies[0], catalog.strategies[1])
        #expect(champion.priorityFormula.text == "propensity * value * priority" && champion.exploration == .epsilonGreedy(0) && champion.offers == nil)
        #expect(challenger.priorityFormula.text == "propensity" && challenger.exploration == .epsilonGreedy(0.2) && challenger.offers == ["cheap", "niche"])
        // Without the section: one unnamed strategy, the catalog's own.
        let plain = try CatalogLoader.load(yaml: Self.yaml.components(separatedBy: "strategies:")[0], file: "s.yaml")
        #expect(plain.strategies.map(\.name) == [""] && plain.strategies[0].share == 100)
    }

    @Test func customersAreSplitByTheSharesStablyAndIndependentlyOfTheControlGroup() throws {
        let engine = DecisionEngine(catalog: try CatalogLoader.load(yaml: Self.yaml, file: "s.yaml"))
        var counts: [Bool: [String: Int]] = [:]  // in control → strategy → customers
        for n in 0..<40_000 {
            let decision = Self.decide(engine, "customer-\(n)")
            counts[decision.control, default: [:]][decision.strategy, default: 0] += 1
            if n < 200 { #expect(Self.decide(engine, "customer-\(n)", seed: 9).strategy == decision.strategy) }
        }
        let control = counts[true, default: [:]].values.reduce(0, +), treated = counts[false, default: [:]].values.reduce(0, +)
        // The control group keeps its 10 %; inside and outside it the split is 70/30.
        #expect(abs(Double(control) / 40_000 - 0.10) < 0.006, "\(control)")
        #expect(abs(Double(counts[false]?["challenger"] ?? 0) / Double(treated) - 0.30) < 0.01, "\(counts)")
        #expect(abs(Double(counts[true]?["challenger"] ?? 0) / Double(control) - 0.30) < 0.03, "\(counts)")
        // Anonymous requests: the first strategy.
        #expect(Self.decide(engine, "").strategy == "champion")
    }

    @Test func aStrategyRanksWithItsFormulaAndShowsOnlyItsOffers() throws {
        let catalog = try CatalogLoader.load(yaml: Self.yaml, file: "s.yaml")
        let engine = DecisionEngine(catalog: catalog, exploration: .greedy)
        func member(of strategy: String) -> String {
            (0...).lazy.map { "c\($0)" }.first {
                let decision = Self.decide(engine, $0)
                return !decision.control && decision.strategy == strategy
            }!
        }
        // Champion: propensity × value, dear (0.1 × 100) before cheap (0.5 × 10).
        let champion = Self.decide(engine, member(of: "champion"))
        #expect(champion.offers.map(\.offer.id) == ["dear"] && champion.explanation.contains("strategy champion (70% of customers)"))
        // Challenger: by propensity alone, and dear is not among its offers.
        let challenger = Self.decide(engine, member(of: "challenger"))
        #expect(challenger.offers.map(\.offer.id) == ["cheap"])
        let dropped = try #require(challenger.candidates.first { $0.offerID == "dear" })
        #expect(!dropped.kept && dropped.why.code == "not_in_strategy" && dropped.reason == "not among strategy challenger's offers")
        #expect(challenger.candidates.first { $0.offerID == "cheap" }?.priority == 0.5)
    }

    @Test func eachStrategyExploresAsItsCatalogEntrySays() throws {
        let engine = DecisionEngine(catalog: try CatalogLoader.load(yaml: Self.yaml, file: "s.yaml"))
        var explored: [String: Int] = [:], decisions: [String: Int] = [:]
        for n in 0..<4_000 {
            let decision = Self.decide(engine, "customer-\(n)", seed: UInt64(n))
            guard !decision.control, let first = decision.offers.first else { continue }
            decisions[decision.strategy, default: 0] += 1
            if first.probability < 1 && first.priority < (decision.candidates.compactMap(\.priority).max() ?? 0) { explored[decision.strategy, default: 0] += 1 }
        }
        // ε 0 never explores; ε 0.2 over two offers shows the lower one 10 % of the time.
        #expect(explored["champion", default: 0] == 0)
        let share = Double(explored["challenger", default: 0]) / Double(decisions["challenger", default: 1])
        #expect(abs(share - 0.10) < 0.03, "\(share)")
    }

    @Test(arguments: [
        ("strategies: [{name: a, share: 60}, {name: b, share: 30}]", "s.yaml:5:13: the strategies' shares sum to 90, not 100"),
        ("strategies: [{name: a, share: 50}, {name: a, share: 50}]", "s.yaml:5:43: strategy 'a' is named twice"),
        ("strategies: [{name: a, share: 100, offers: [b]}]", "s.yaml:5:45: strategy 'a' lists offer 'b', which is not in the catalog"),
        ("strategies: [{name: A B, share: 100}]", "s.yaml:5:21: strategy name 'A B' must be 1–64 lower-case letters, digits, '_', '-' or '.'"),
        ("strategies: [{name: a, share: 100, priority: propensity * lift}]", "s.yaml:5:59: priority formula: unknown term 'lift'"),
        ("strategies: [{share: 100}]", "s.yaml:5:14: a strategy needs a 'name' and a 'share' (percent of the customers)"),
    ])
    func aBadStrategyIsNamedWithItsPosition(section: String, expected: String) {
        expectRefused(section: section, file: "s.yaml", expected: expected)
    }

    @Test func aCustomerHeldOutOfAnOfferTheyWouldHaveBeenShownIsLoggedAsHeldOut() throws {
        let yaml = """
        version: "h1"
        offers:
          - {id: star, name: Star, category: x, value: 10, prior_propensity: 0.5, holdout_percent: 20, channels: [web], treatments: {web: {headline: S}},
             eligibility: "segment == 'gold'"}
          - {id: plain, name: Plain, category: y, value: 1, prior_propensity: 0.5, channels: [web], treatments: {web: {headline: P}}}
        exploration: {method: epsilon_greedy, epsilon: 0}
        """
        let catalog = try CatalogLoader.load(yaml: yaml, file: "h.yaml")
        let engine = DecisionEngine(catalog: catalog)
        func view(_ id: String, segment: String) -> CustomerViewInput {
            CustomerViewInput(customerID: id, optedOut: [], rules: RuleInput(view: CustomerView.with { $0.customerID = id; $0.segment = segment },
                                                                            channel: "web", context: [:], hour: 10, now: DecisionEngineTests.now))
        }
        func decide(_ id: String, segment: String = "gold") -> Decision {
            var random = SeededRandom(seed: 3)
            return engine.decide(DecisionRequest(channel: "web", now: DecisionEngineTests.now), view: view(id, segment: segment), history: [],
                                 propensities: nil, using: &random)
        }
        let ids = (0..<2_000).map { "c\($0)" }
        let held = ids.filter { ControlGroup.contains($0, percent: 20, salt: "offerloop/star") }
        #expect(abs(Double(held.count) / 2_000 - 0.2) < 0.03)
        // Held out: star is not shown; plain is, and star is logged as what would have been shown.
        let out = decide(held[0])
        #expect(out.offers.map(\.offer.id) == ["plain"] && out.heldOut.map(\.offer.id) == ["star"] && !out.control)
        #expect(out.candidates.first { $0.offerID == "star" }?.why.code == "held_out")
        // Not held out: star is shown, nothing is held out.
        let shown = decide(ids.first { !held.contains($0) }!)
        #expect(shown.offers.map(\.offer.id) == ["star"] && shown.heldOut.isEmpty)
        // Not eligible for star anyway: no holdout unit (it could not have been shown), and the reason says why.
        let ineligible = decide(held[0], segment: "silver")
        #expect(ineligible.heldOut.isEmpty && ineligible.candidates.first { $0.offerID == "star" }?.why.code == "not_eligible")
    }
}
