// The what-if estimates where the truth is known: decisions logged by one catalog in a world whose
// acceptance probabilities are the model's propensities, replayed through another catalog; the
// intervals must cover that catalog's true response rate and value.
import DecisionCore
import Effectiveness
import Random
import Simulation
import Testing
import Wire

struct WhatIfEstimateTests {
    static let running = """
    version: "v1"
    offers:
      - {id: a, name: A, category: a, value: 40, channels: [web], treatments: {web: {headline: A}}}
      - {id: b, name: B, category: b, value: 10, channels: [web], treatments: {web: {headline: B}}}
      - {id: c, name: C, category: c, value: 5, channels: [web], treatments: {web: {headline: C}}}
      - {id: d, name: D, category: d, value: 1, channels: [web], treatments: {web: {headline: D}}}
    exploration: {method: uncertainty, gamma: 16, floor: 0.05}
    """
    static let now: Int64 = 1_790_000_000_000
    /// By propensity alone, greedy: a different policy, which never explores.
    static let new = running.replacingOccurrences(of: "exploration: {method: uncertainty, gamma: 16, floor: 0.05}",
                                                  with: "priority: propensity\nexploration: {method: epsilon_greedy, epsilon: 0}")

    struct World {
        var records: [DecisionRecord] = []
        var outcomes: [OutcomeEvent] = []
        /// The new catalog's true mean response and value over the same decisions.
        var truth = (response: 0.0, value: 0.0)
    }

    static func world(seed: UInt64, decisions: Int) throws -> World {
        let (old, new) = (try CatalogLoader.load(yaml: running, file: "v1"), try CatalogLoader.load(yaml: Self.new, file: "v2"))
        let (logging, replaying) = (DecisionEngine(catalog: old), DecisionEngine(catalog: new))
        var random = SeededRandom(seed: seed)
        var world = World()
        for i in 0..<decisions {
            let id = "c\(i)"
            let view = CustomerViewInput(customerID: id, optedOut: [], rules: RuleInput(view: CustomerView.with { $0.customerID = id }, channel: "web",
                                                                                       context: [:], hour: 10, now: Self.now))
            // Each customer's true chances, which the model knows up to its stated uncertainty.
            var chances: [String: Propensity] = [:]
            for offer in old.offers { chances[offer.id] = Propensity(mean: Double.random(in: 0.02...0.4, using: &random), logitVariance: 0.3) }
            let request = DecisionRequest(channel: "web", now: Self.now)
            let decision = logging.decide(request, view: view, history: [], propensities: chances, using: &random)
            let record = decision.record(id: "d\(i)", customerID: id, channel: .web, timeUnixMs: Self.now, catalogVersion: "v1")
            world.records.append(record)
            let shown = try #require(decision.offers.first).offer
            if Double.random(in: 0..<1, using: &random) < chances[shown.id]!.mean {
                world.outcomes.append(OutcomeEvent.with {
                    $0.sequence = UInt64(world.outcomes.count + 1)
                    $0.outcome = .with { $0.decisionID = "d\(i)"; $0.offerID = shown.id; $0.type = .purchase; $0.amount = shown.value }
                })
            }
            let best = replaying.decide(request, view: view, history: [], propensities: chances, using: &random)
            for candidate in best.candidates where candidate.kept {
                let p = candidate.firstSlotProbability ?? 0, offer = new.offer(candidate.offerID)!
                world.truth.response += p * chances[offer.id]!.mean / Double(decisions)
                world.truth.value += p * chances[offer.id]!.mean * offer.value / Double(decisions)
            }
        }
        return world
    }

    static func estimate(_ world: World) throws -> WhatIfEstimate {
        let whatIf = WhatIf(catalog: try CatalogLoader.load(yaml: new, file: "v2"), running: ["v1": try CatalogLoader.load(yaml: running, file: "v1")])
        return WhatIfEstimate(decisions: world.records, outcomes: world.outcomes, newPolicy: "v2", value: { whatIf.engine.catalog.offer($0)?.value ?? 0 },
                              replay: whatIf.replay)
    }

    @Test func theIntervalsCoverTheNewCatalogsTrueResponseAndValue() throws {
        var covered = (response: [String: Int](), value: [String: Int]())
        let repeats = 100
        for seed in 1...UInt64(repeats) {
            let world = try Self.world(seed: seed, decisions: 1_000)
            let estimate = try Self.estimate(world)
            #expect(estimate.decisions == 1_000 && estimate.evaluable == 1_000 && estimate.unsupported.isEmpty)
            for row in estimate.rows.dropFirst() {
                if row.response.interval.contains(world.truth.response) { covered.response[row.estimator, default: 0] += 1 }
                if row.value.interval.contains(world.truth.value) { covered.value[row.estimator, default: 0] += 1 }
            }
        }
        // DR's 95% intervals: at least 88 of 100 (0.4% likely below that when they hold 95%). The new
        // policy is greedy where the log explored with chances down to 0.05: IPS and SNIPS weigh a
        // few decisions 20-fold, and their normal intervals cover less (85 of 100 for the response
        // when measured, 2026-12-07; DR 92, and for the value DR 98, IPS 93, SNIPS 95).
        for estimator in Estimator.allCases.map(\.rawValue) {
            let least = estimator == "DR" ? 88 : 80
            #expect(covered.response[estimator, default: 0] >= least, "response \(estimator): \(covered.response)")
            #expect(covered.value[estimator, default: 0] >= least, "value \(estimator): \(covered.value)")
        }
    }

    @Test func replayedThroughItsOwnCatalogTheEstimateIsTheLoggedMeanAndUnsupportedDecisionsAreCounted() throws {
        var world = try Self.world(seed: 7, decisions: 400)
        for i in 0..<30 { world.records[i].catalogVersion = "v0" }
        let whatIf = WhatIf(catalog: try CatalogLoader.load(yaml: Self.running, file: "v1"), running: ["v1": try CatalogLoader.load(yaml: Self.running, file: "v1")])
        let estimate = WhatIfEstimate(decisions: world.records, outcomes: world.outcomes, newPolicy: "v1", value: { whatIf.engine.catalog.offer($0)?.value ?? 0 },
                                      replay: whatIf.replay)
        #expect(estimate.decisions == 400 && estimate.evaluable == 370)
        #expect(estimate.unsupported.map(\.reason) == ["decided by catalog version v0, whose text is not in the store"] && estimate.unsupported.first?.decisions == 30)
        let logged = try #require(estimate.rows.first), ips = try #require(estimate.rows.first { $0.estimator == "IPS" })
        // Every weight is 1: IPS is the logged mean, and the offers' shares agree.
        #expect(abs(ips.response.value - logged.response.value) < 1e-12 && abs(ips.value.value - logged.value.value) < 1e-9)
        #expect(estimate.offers.allSatisfy { abs($0.running - $0.new) < 0.08 }, "\(estimate.offers.map { ($0.offerID, $0.running, $0.new) })")
    }
}
