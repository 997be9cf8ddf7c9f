// A decision replica holding the scoring model: decide scores in process with the model's own
// numbers and never calls scoring; until the model has caught up it scores over the broker (the
// fallback, with its degraded reason when that fails); "model" reports the copy's digest.
import Logging
import ModelReplica
import Random
import ScoringCore
import ServiceTesting
import Testing
import Transport
import Wire
@testable import Decision

@Suite struct LocalPropensitiesTests {
    /// A model that learned something about two of the sample catalog's offers at sequence 30.
    static func learned() -> ScoringModel {
        let model = LiveModel(ScoringModel())
        let events = (1...30).map { (sequence: UInt64) in
            OutcomeEvent.with {
                $0.sequence = sequence
                $0.outcome = .with { $0.offerID = sequence % 2 == 0 ? "personal_loan" : "home_insurance"; $0.type = sequence % 3 == 0 ? .decline : .accept }
                $0.features = ["bias", "ch=web", "seg=silver"]
                $0.priorPropensity = 0.05
            }
        }
        #expect(ModelConsumer(model: model, logger: Logger(label: "local-propensities-test")).apply(events))
        return model.copy
    }

    static func fixture(_ replica: ModelReplica) throws -> DecisionFixture {
        try DecisionFixture { remote, environment in LocalPropensities(replica: replica, remote: remote, environment: environment) }
    }

    @Test func aCaughtUpReplicaScoresInProcessWithTheModelsOwnNumbers() throws {
        let replica = ModelReplica()
        let model = Self.learned()
        replica.start(from: model)
        replica.caughtUp()
        let fixture = try Self.fixture(replica)
        fixture.propensities.source.failure = ServiceError(.unavailable, "scoring is down")

        let reply = try fixture.decide()
        #expect(!reply.degraded && reply.modelVersion == "seq-30" && !reply.offers.isEmpty)
        #expect(fixture.propensities.requests.isEmpty, "scoring is not called")
        // Every candidate's propensity is the model's posterior mean for the features it was scored with.
        let record = try #require(try fixture.journaled().last)
        #expect(record.features.contains("seg=silver") && record.features.contains("ch=web"))
        var random = SeededRandom(seed: 1)
        let scored = record.candidates.filter { $0.propensity > 0 }
        #expect(scored.contains { $0.offerID == "personal_loan" })
        for candidate in scored {
            let expected = try model.score(FeatureVector(names: record.features), [CandidateOffer(candidate.offerID, prior: candidate.priorPropensity)], using: &random)
            #expect(candidate.propensity == expected.first?.mean, "\(candidate.offerID)")
        }
    }

    @Test func untilTheModelHasCaughtUpDecideScoresOverTheBrokerWithItsDegradedReason() throws {
        let replica = ModelReplica()
        replica.start(from: Self.learned())  // loaded, not caught up: not used yet
        let fixture = try Self.fixture(replica)
        let remote = try fixture.decide()
        #expect(!remote.degraded && remote.modelVersion == "seq-7" && fixture.propensities.requests.count == 1)
        fixture.propensities.source.failure = ServiceError(.unavailable, "scoring is down")
        let down = try fixture.decide()
        #expect(down.degraded && down.degradedReason == "scoring: UNAVAILABLE; used the catalog's prior propensities")
        replica.caughtUp()
        let local = try fixture.decide()
        #expect(!local.degraded && local.modelVersion == "seq-30" && fixture.propensities.requests.count == 2)
    }

    @Test func theModelMethodReportsTheCopysDigestOnceItIsUsable() throws {
        let replica = ModelReplica()
        var methods = Methods()
        methods.onModel(replica)
        let clock = ManualClock()
        let tester = ServiceTester(service: "decision", methods: methods, clock: clock)
        defer { tester.close() }
        #expect(throws: ServiceError.self) { let _: ModelReply = try tester.call("model", ModelRequest()) }
        let model = Self.learned()
        replica.start(from: model)
        replica.caughtUp()
        let status: ModelReply = try tester.call("model", ModelRequest())
        #expect(status.sequence == 30 && status.modelVersion == "seq-30" && status.modelDigest == LiveModel.digest(model.snapshot()))
    }
}
