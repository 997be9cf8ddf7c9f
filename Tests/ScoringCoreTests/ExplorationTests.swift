import Random
import ScoringCore
import Simulation
import Testing

struct ExplorationTests {
    /// Five offers learn for 3,000 rounds; then a sixth, better one joins the catalog. Thompson
    /// sampling must try it soon (its prior is uncertain) and end up choosing it most.
    @Test func aNewBestOfferIsExploredAndBecomesTheMostChosen() throws {
        var random = SeededRandom(seed: 11)
        var model = ScoringModel()
        let truth = ["a": 0.05, "b": 0.08, "c": 0.06, "d": 0.04, "e": 0.07, "new": 0.25]
        let channels = ["atm", "web", "kiosk"]
        var candidates = ["a", "b", "c", "d", "e"].map { CandidateOffer($0, prior: 0.05) }
        var sequence: UInt64 = 0
        var chosenAfterLaunch: [String] = []
        for round in 0..<9_000 {
            if round == 3_000 { candidates.append(CandidateOffer("new", prior: 0.05)) }
            var customer = CustomerFeatures(channel: channels[round % 3])
            customer.segment = "gold"
            let features = FeatureBuilder.features(customer)
            let scores = try model.score(features, candidates, using: &random)
            let chosen = scores.max { $0.sample < $1.sample }!.offerID
            sequence += 1
            let accepted = Double.random(in: 0..<1, using: &random) < truth[chosen]!
            _ = try model.apply(sequence, LearningExample(offerID: chosen, features: features.names, label: accepted, prior: 0.05))
            if round >= 3_000 { chosenAfterLaunch.append(chosen) }
        }
        let firstTries = chosenAfterLaunch.prefix(300).filter { $0 == "new" }.count
        let lastWindow = chosenAfterLaunch.suffix(2_000)
        let counts = Dictionary(grouping: lastWindow, by: { $0 }).mapValues(\.count)
        #expect(firstTries >= 10, "the new offer was tried \(firstTries) times in its first 300 rounds")
        #expect(counts.max { $0.value < $1.value }?.key == "new", "\(counts)")
        #expect(counts["new", default: 0] > 1_400, "\(counts)")
    }

    /// A short run of the offline learning check (the full one is `offerloop-loadtest learn`):
    /// the scoring model must beat uniform random choice by a wide margin.
    @Test func theSimulatedWorldIsLearned() {
        let world = SimulatedWorld(seed: 1)
        let result = world.run(seed: 1, rounds: 20_000)
        #expect(result.randomShare < 0.6, "random got \(result.randomShare) of the oracle: the world is too easy")
        #expect(result.thompsonShare > result.randomShare + 0.2, "Thompson \(result.thompsonShare), random \(result.randomShare)")
        #expect(result.curve.count == 20 && result.curve.last![1] == result.thompsonShare)
    }
}
