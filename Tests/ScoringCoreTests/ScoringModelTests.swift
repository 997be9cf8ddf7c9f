import Foundation
import Random
import ScoringCore
import Simulation
import Testing

struct PosteriorUpdateTests {
    /// One accept on a bias-only model, prior N(0, 1): the mode solves c = σ(−c), c = 0.4010581375…
    /// (so w = c, p = σ(w) = 1 − c), and the precision becomes 1 + p(1 − p).
    @Test func oneAcceptMovesTheBiasAsComputedByHand() throws {
        var hyper = ModelHyperparameters()
        hyper.biasVariance = 1
        var model = OfferModel(offerID: "o", prior: 0.5, hyperparameters: hyper)
        let x = SlotVector(FeatureVector(names: ["bias"]), slots: hyper.slots)
        let updated = model.update(x, accepted: true)
        #expect(updated)
        let slot = x.indices[0]
        #expect(abs(model.mean[slot] - 0.401058137541547) < 1e-12)
        #expect(abs(model.precision[slot] - 1.2402105078532526) < 1e-12)
        #expect(model.observations == 1 && model.accepted == 1)
    }

    /// A decline with two features, prior propensity 0.05, variances 1 (bias) and 0.1 (feature):
    /// μ = logit(0.05), v = 1.1, c solves c = σ(μ − 1.1c) = 0.0475720855…; each mean moves by
    /// −c/q_i and each precision grows by p(1 − p) at the new mode.
    @Test func oneDeclineWithTwoFeaturesAsComputedByHand() throws {
        let hyper = ModelHyperparameters()
        #expect(hyper.featureVariance == 0.1 && hyper.biasVariance == 1)
        var model = OfferModel(offerID: "o", prior: 0.05, hyperparameters: hyper)
        let x = SlotVector(FeatureVector(names: ["bias", "ch=atm"]), slots: hyper.slots)
        try #require(x.indices.count == 2, "the two features must not share a slot")
        model.update(x, accepted: false)
        #expect(abs(model.mean[x.indices[0]] - -2.992011064686572) < 1e-12)
        #expect(abs(model.mean[x.indices[1]] - -0.004757208552013163) < 1e-12)
        #expect(abs(model.precision[x.indices[0]] - 1.0453089821993968) < 1e-12)
        #expect(abs(model.precision[x.indices[1]] - 10.045308982199398) < 1e-12)
    }

    @Test func theMeanPropensityOfAnUntouchedOfferIsNearItsPrior() {
        let model = OfferModel(offerID: "o", prior: 0.2, hyperparameters: ModelHyperparameters())
        let x = SlotVector(FeatureVector(names: ["bias"]), slots: ModelHyperparameters().slots)
        // σ(logit(0.2) / √(1 + π/8)): the probit approximation shrinks toward ½ by the uncertainty.
        #expect(abs(model.meanPropensity(x) - sigmoid(logit(0.2) / (1 + Double.pi / 8).squareRoot())) < 1e-12)
        #expect(model.meanPropensity(x) > 0.2 && model.meanPropensity(x) < 0.25)
    }

    @Test func manyIdenticalOutcomesKeepEveryWeightFinite() {
        var model = OfferModel(offerID: "o", prior: 0.05, hyperparameters: ModelHyperparameters())
        let x = SlotVector(FeatureVector(names: ["bias", "ch=web", "seg=gold"]), slots: ModelHyperparameters().slots)
        for n in 0..<20_000 { model.update(x, accepted: n % 1000 != 0) }
        #expect(model.mean.allSatisfy(\.isFinite) && model.precision.allSatisfy { $0.isFinite && $0 > 0 })
        #expect(model.meanPropensity(x) > 0.99)
    }
}

struct StreamApplicationTests {
    /// A seeded stream of outcomes over a few offers and varied features.
    static func stream(_ count: Int, seed: UInt64 = 7) -> [LearningExample] {
        var random = SeededRandom(seed: seed)
        let world = SimulatedWorld(seed: seed, customers: 200, offers: 5)
        return (0..<count).map { n in
            let arrival = world.arrive(using: &random)
            let offer = Int.random(in: 0..<5, using: &random)
            let label: Bool? = n % 10 == 9 ? nil : Double.random(in: 0..<1, using: &random) < world.acceptance(arrival, offer: offer) + 0.1
            return LearningExample(offerID: world.offerIDs[offer], features: arrival.features.names, label: label, prior: 0.02 * Double(offer + 1))
        }
    }

    static func replay(_ model: inout ScoringModel, _ events: [LearningExample], from first: Int) throws {
        for (index, event) in events.enumerated() where index + 1 >= first {
            _ = try model.apply(UInt64(index + 1), event)
        }
    }

    @Test func replicasFedTheSameStreamFromDifferentSnapshotsEndIdentical() throws {
        let events = Self.stream(3_000)
        var source = ScoringModel()
        var snapshots: [Int: [UInt8]] = [:]
        for (index, event) in events.enumerated() {
            _ = try source.apply(UInt64(index + 1), event)
            if [700, 2_100].contains(index + 1) { snapshots[index + 1] = source.snapshot() }
        }
        var fromStart = ScoringModel()
        try Self.replay(&fromStart, events, from: 1)
        var fromEarly = try ScoringModel(snapshot: snapshots[700]!)
        // Replaying from before the snapshot: the overlap is recognised and not applied twice.
        try Self.replay(&fromEarly, events, from: 500)
        var fromLate = try ScoringModel(snapshot: snapshots[2_100]!)
        try Self.replay(&fromLate, events, from: 2_101)
        #expect(fromStart.sequence == 3_000)
        #expect(fromStart == source)
        #expect(fromEarly == source)
        #expect(fromLate == source)
        #expect(fromLate.snapshot() == source.snapshot())
        #expect(source.offers.count == 5 && source.offers.values.allSatisfy { $0.observations > 400 })
    }

    @Test func aReplayedOrDuplicatedSequenceIsAppliedOnce() throws {
        let events = Self.stream(50)
        var model = ScoringModel()
        try Self.replay(&model, Array(events.prefix(40)), from: 1)
        let before = model
        #expect(try model.apply(40, events[39]) == .duplicate)
        #expect(try model.apply(12, events[11]) == .duplicate)
        #expect(model == before)
        #expect(try model.apply(41, events[40]) != .duplicate)
        #expect(model.sequence == 41)
    }

    @Test func aGapIsRefusedUntilTheMissingEventsArrive() throws {
        var model = ScoringModel()
        let event = LearningExample(offerID: "a", features: ["bias"], label: true)
        _ = try model.apply(1, event)
        #expect(throws: ScoringError.gap(expected: 2, got: 5)) { try model.apply(5, event) }
        #expect(model.sequence == 1)
    }

    @Test func eventsThatTeachNothingStillAdvanceTheSequence() throws {
        var model = ScoringModel()
        #expect(try model.apply(1, LearningExample(offerID: "a", features: ["bias"], label: nil)) == .skipped)
        #expect(try model.apply(2, LearningExample(offerID: "", features: ["bias"], label: true)) == .skipped)
        #expect(try model.apply(3, LearningExample(offerID: "a", features: [], label: true)) == .skipped)
        #expect(model.sequence == 3 && model.offers.isEmpty)
    }

    @Test func aDamagedSnapshotIsATypedError() throws {
        var model = ScoringModel()
        try Self.replay(&model, Self.stream(100), from: 1)
        let bytes = model.snapshot()
        #expect(throws: ScoringError.self) { try ScoringModel(snapshot: Array(bytes.dropLast(3))) }
        #expect(throws: ScoringError.corruptSnapshot("not a scoring model snapshot")) { try ScoringModel(snapshot: Array("hello".utf8)) }
        #expect(throws: ScoringError.self) { try ScoringModel(snapshot: bytes + [0]) }
        #expect(try ScoringModel(snapshot: bytes) == model)
    }
}

struct ScoreTests {
    @Test func badCandidatesAreTypedErrors() {
        var random = SeededRandom(seed: 1)
        let model = ScoringModel()
        let features = FeatureVector(names: ["bias"])
        #expect(throws: ScoringError.invalidArgument("no candidate offers to score")) { try model.score(features, [], using: &random) }
        #expect(throws: ScoringError.invalidArgument("empty offer id")) { try model.score(features, [CandidateOffer("")], using: &random) }
        #expect(throws: ScoringError.self) { try model.score(features, (0...ScoringModel.maxCandidates).map { CandidateOffer("o\($0)") }, using: &random) }
        #expect(throws: ScoringError.self) { try model.score(features, [CandidateOffer(String(repeating: "x", count: 200))], using: &random) }
    }

    @Test func unknownOffersScoreFromTheirPriorAndNonsensePriorsFromTheDefault() throws {
        var random = SeededRandom(seed: 1)
        let model = ScoringModel()
        let features = FeatureVector(names: ["bias"])
        let scores = try model.score(features, [CandidateOffer("a", prior: 0.3), CandidateOffer("b", prior: .nan), CandidateOffer("c", prior: 7)], using: &random)
        #expect(abs(scores[0].logitMean - logit(0.3)) < 1e-12)
        #expect(abs(scores[1].logitMean - logit(model.hyperparameters.defaultPropensity)) < 1e-12)
        #expect(scores[2].logitMean == scores[1].logitMean)
        #expect(scores.allSatisfy { $0.observations == 0 && $0.sample > 0 && $0.sample < 1 })
    }

    @Test func nonsenseNumbersBecomeTheirOwnBucketsNotWeights() {
        var customer = CustomerFeatures(channel: "ATM")
        customer.clv = .infinity
        customer.churnRisk = .nan
        customer.daysSinceContact = -3
        customer.hour = 99
        customer.context = ["page": "a=b×c"]
        let names = FeatureBuilder.features(customer).names
        #expect(names.contains("clv=unknown") && names.contains("churn=unknown") && names.contains("contact=unknown"))
        #expect(names.contains("tod=unknown") && names.contains("ch=atm") && names.contains("ctx:page=a_b_c"))
        #expect(names.contains("response=never"))
    }

    @Test func explanationsNameTheFeaturesThatMoveTheOfferMost() throws {
        var model = ScoringModel()
        let features = ["bias", "ch=web", "seg=gold"]
        for n in 1...300 {
            // Gold customers on the web accept; everyone else declines.
            let gold = n % 2 == 0
            _ = try model.apply(UInt64(n), LearningExample(offerID: "card", features: gold ? features : ["bias", "ch=web", "seg=basic"], label: gold))
        }
        var random = SeededRandom(seed: 3)
        let score = try model.score(FeatureVector(names: features), [CandidateOffer("card")], explain: 2, using: &random)[0]
        #expect(score.contributions.count == 2)
        #expect(score.contributions[0].name == "seg=gold" && score.contributions[0].weight > 0)
        #expect(score.mean > 0.7)
        #expect(score.observations == 300)
    }
}
