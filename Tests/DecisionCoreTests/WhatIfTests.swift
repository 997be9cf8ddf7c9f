// The what-if replay: a logged decision replayed through its own catalog gives back its logged
// chances; through a changed one, the chances that catalog's engine gives the same inputs; and
// what the log cannot answer is named.
import DecisionCore
import Random
import Simulation
import Testing
import Wire

struct WhatIfTests {
    static let running = """
    version: "v1"
    offers:
      - {id: card, name: Card, category: a, value: 10, channels: [web, atm], treatments: {web: {headline: C}, atm: {text: C}}, eligibility: "clv >= 100"}
      - {id: loan, name: Loan, category: b, value: 50, channels: [web], treatments: {web: {headline: L}}}
      - {id: save, name: Save, category: c, value: 5, channels: [web], treatments: {web: {headline: S}}}
      - {id: app, name: App, category: d, value: 1, channels: [atm], treatments: {atm: {text: A}}}
    exploration: {method: uncertainty, gamma: 64, floor: 0.05}
    """

    static func catalog(_ yaml: String) throws -> OfferCatalog { try CatalogLoader.load(yaml: yaml, file: "c.yaml") }

    static let propensities = ["card": Propensity(mean: 0.2, logitVariance: 0.4), "loan": Propensity(mean: 0.05, logitVariance: 1.5),
                               "save": Propensity(mean: 0.3, logitVariance: 0.1)]

    /// A decision of `catalog` for customer `id` on the web, as the decision service logs it.
    static func logged(_ catalog: OfferCatalog, id: String, clv: Double = 500, request configure: (inout DecisionRequest) -> Void = { _ in }) -> DecisionRecord {
        let engine = DecisionEngine(catalog: catalog)
        let view = CustomerView.with { $0.customerID = id; $0.clv = clv }
        let input = CustomerViewInput(customerID: id, optedOut: [], rules: RuleInput(view: view, channel: "web", context: [:], hour: 10, now: DecisionEngineTests.now))
        var random = SeededRandom(seed: 5)
        var request = DecisionRequest(channel: "web", now: DecisionEngineTests.now)
        configure(&request)
        let decision = engine.decide(request, view: input, history: [], propensities: propensities, using: &random)
        return decision.record(id: "d-" + id, customerID: id, channel: .web, timeUnixMs: DecisionEngineTests.now, catalogVersion: catalog.version)
    }

    func replay(_ new: String, _ record: DecisionRecord) throws -> Result<[Double], WhatIf.Unsupported> {
        WhatIf(catalog: try Self.catalog(new), running: ["v1": try Self.catalog(Self.running)]).replay(record)
    }

    @Test func theRunningCatalogReplaysToTheLoggedChances() throws {
        let record = Self.logged(try Self.catalog(Self.running), id: "c1")
        let first = record.candidates.filter(WhatIf.isFirstSlotCandidate)
        #expect(first.map(\.offerID).sorted() == ["card", "loan", "save"])
        let chances = try replay(Self.running, record).get()
        for (candidate, chance) in zip(first, chances) { #expect(abs(chance - candidate.firstSlotProbability) < 1e-12, "\(candidate.offerID)") }
    }

    @Test func aDecisionAmongTheOffersItsRequestNamedReplaysAmongThemAlone() throws {
        let record = Self.logged(try Self.catalog(Self.running), id: "c1") { $0.offerIDs = ["card", "loan", "app"]; $0.excludedOfferIDs = ["loan"] }
        #expect(record.candidates.filter(WhatIf.isFirstSlotCandidate).map(\.offerID) == ["card"])
        // save was not requested and loan excluded: the new policy could not have shown them either.
        #expect(try replay(Self.running, record).get() == [1])
    }

    @Test func aChangedFormulaExplorationOrOfferSetReplaysToWhatItsEngineWouldHaveGiven() throws {
        let record = Self.logged(try Self.catalog(Self.running), id: "c1")
        let changes = [
            Self.running.replacingOccurrences(of: "exploration:", with: "priority: propensity\nexploration:"),
            Self.running.replacingOccurrences(of: "{method: uncertainty, gamma: 64, floor: 0.05}", with: "{method: epsilon_greedy, epsilon: 0.3}"),
            Self.running.replacingOccurrences(of: "value: 50", with: "value: 5"),
            Self.running.replacingOccurrences(of: "  - {id: save", with: "  - {id: save, levers: {priority: 3}"),
            Self.running + "\nstrategies: [{name: only, share: 100, offers: [card, save, app]}]\n",
        ]
        for yaml in changes {
            let direct = Self.logged(try Self.catalog(yaml), id: "c1").candidates
            let chances = try replay(yaml, record).get()
            for (candidate, chance) in zip(record.candidates.filter(WhatIf.isFirstSlotCandidate), chances) {
                let expected = direct.first { $0.offerID == candidate.offerID && $0.kept }?.firstSlotProbability ?? 0
                #expect(abs(chance - expected) < 1e-12, "\(candidate.offerID) in \(yaml.suffix(80))")
            }
            #expect(abs(chances.reduce(0, +) - 1) < 1e-12)
        }
    }

    @Test func whatTheLogCannotAnswerIsNamed() throws {
        let record = Self.logged(try Self.catalog(Self.running), id: "c1")
        let cases: [(String, WhatIf.Unsupported)] = [
            (Self.running.replacingOccurrences(of: "clv >= 100", with: "clv >= 1000"), .ruleChanged("card")),
            (Self.running + "\ncontact_policy: {suppress_days_after_decline: 7}\n", .contactPolicyChanged),
            (Self.running.replacingOccurrences(of: "channels: [atm], treatments: {atm: {text: A}}", with: "channels: [atm, web], treatments: {atm: {text: A}, web: {headline: A}}"),
             .unjudgedOffer("app")),
            (Self.running.replacingOccurrences(of: "offers:\n", with: "offers:\n  - {id: gold, name: Gold, category: e, value: 99, channels: [web], treatments: {web: {headline: G}}}\n"),
             .newOffer("gold")),
        ]
        for (yaml, expected) in cases {
            #expect(throws: expected) { try replay(yaml, record).get() }
        }
        var unknown = record
        unknown.catalogVersion = "v0"
        #expect(throws: WhatIf.Unsupported.unknownCatalog("v0")) { try replay(Self.running, unknown).get() }
        // An offer the running policy could not put first (held out of it), now first: no support.
        let held = Self.running.replacingOccurrences(of: "  - {id: loan", with: "  - {id: loan, holdout_percent: 100")
        let heldRecord = Self.logged(try Self.catalog(held), id: "c1")
        #expect(throws: WhatIf.Unsupported.noLoggedChance("loan")) {
            try WhatIf(catalog: try Self.catalog(Self.running), running: ["v1": try Self.catalog(held)]).replay(heldRecord).get()
        }
        // A removed offer is no problem: the others share its chance.
        let fewer = Self.running.replacingOccurrences(of: "  - {id: loan, name: Loan, category: b, value: 50, channels: [web], treatments: {web: {headline: L}}}\n", with: "")
        let chances = try replay(fewer, record).get()
        #expect(abs(chances.reduce(0, +) - 1) < 1e-12 && chances[record.candidates.filter(WhatIf.isFirstSlotCandidate).firstIndex { $0.offerID == "loan" }!] == 0)
    }
}
