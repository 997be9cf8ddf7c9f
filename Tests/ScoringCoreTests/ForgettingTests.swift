// Forgetting (ModelHyperparameters.forgettingWindow): the model follows an offer whose appeal
// changes, an offer left unshown grows unsure again, and replicas still end bit-identical.
import Random
import ScoringCore
import Testing

struct ForgettingTests {
    static func forgetting(_ window: UInt64) -> ModelHyperparameters {
        var hyper = ModelHyperparameters()
        hyper.forgettingWindow = window
        return hyper
    }

    /// The offer accepts 30 % of the time for 6,000 events, then 5 %: 1,000 events later, a model
    /// with a window of 500 events believes the new rate; one without forgetting still leans on the old.
    @Test func aModelWithForgettingFollowsAChangeOfAppeal() throws {
        let features = FeatureBuilder.features(CustomerFeatures(channel: "web"))
        var random = SeededRandom(seed: 3)
        var remembering = ScoringModel(), forgetting = ScoringModel(hyperparameters: Self.forgetting(500))
        for sequence in 1...7_000 {
            let rate = sequence <= 6_000 ? 0.3 : 0.05
            let example = LearningExample(offerID: "o", features: features.names, label: Double.random(in: 0..<1, using: &random) < rate)
            _ = try remembering.apply(UInt64(sequence), example)
            _ = try forgetting.apply(UInt64(sequence), example)
        }
        var draws = SeededRandom(seed: 1)
        let old = try remembering.score(features, [CandidateOffer("o")], using: &draws)[0].mean
        let new = try forgetting.score(features, [CandidateOffer("o")], using: &draws)[0].mean
        #expect(abs(new - 0.05) < 0.025, "with forgetting: \(new)")
        #expect(old > 0.1, "without: \(old)")
    }

    /// Events of other offers count too: an offer not shown for a while is less certain again, so
    /// exploration goes back to it. Without forgetting its variance stays where it was.
    @Test func anOfferLeftAloneGrowsUnsureAgain() throws {
        let features = FeatureBuilder.features(CustomerFeatures(channel: "atm"))
        for window: UInt64 in [0, 1_000] {
            var model = ScoringModel(hyperparameters: Self.forgetting(window))
            for sequence in 1...2_000 {
                _ = try model.apply(UInt64(sequence), LearningExample(offerID: "a", features: features.names, label: sequence % 5 == 0))
            }
            var random = SeededRandom(seed: 1)
            let before = try model.score(features, [CandidateOffer("a")], using: &random)[0].logitVariance
            for sequence in 2_001...4_000 {
                _ = try model.apply(UInt64(sequence), LearningExample(offerID: "b", features: features.names, label: sequence % 7 == 0))
            }
            let after = try model.score(features, [CandidateOffer("a")], using: &random)[0].logitVariance
            if window == 0 { #expect(after == before) } else { #expect(after > 3 * before, "\(before) → \(after)") }
        }
    }

    @Test func replicasWithForgettingFromSnapshotsEndBitIdentical() throws {
        let events = StreamApplicationTests.stream(3_000)
        var source = ScoringModel(hyperparameters: Self.forgetting(700))
        var snapshot: [UInt8] = []
        for (index, event) in events.enumerated() {
            _ = try source.apply(UInt64(index + 1), event)
            if index + 1 == 1_300 { snapshot = source.snapshot() }
        }
        var replica = try ScoringModel(snapshot: snapshot)
        #expect(replica.hyperparameters.forgettingWindow == 700)
        try StreamApplicationTests.replay(&replica, events, from: 1_301)
        #expect(replica == source)
        #expect(replica.snapshot() == source.snapshot())
        var remembering = ScoringModel()
        try StreamApplicationTests.replay(&remembering, events, from: 1)
        #expect(remembering != source, "forgetting changed nothing")
    }
}
