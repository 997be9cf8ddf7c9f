// The scoring service's methods through the tester: a bad request is a typed error (the model's
// own errors included), features are computed at the injected clock's time, a request without a
// seed samples with the environment's, and the stream consumer's updates show in "score" and "model".
import Logging
import ModelReplica
import ScoringCore
import Transport
import ServiceTesting
import Testing
import Wire
@testable import Scoring

struct ScoringFixture {
    let clock = ManualClock()
    let model = LiveModel(ScoringModel())
    let status = FollowerStatus(snapshotSequence: 0)
    let tester: ServiceTester

    init() {
        let service = ScoringService(model: model, follower: status, environment: .manual(clock))
        tester = ServiceTester(service: "scoring", methods: service.methods(), clock: clock)
    }

    static func request(seed: UInt64 = 1, lastContactUnixMs: Int64 = 0) -> ScoreRequest {
        ScoreRequest.with {
            $0.customer = .with { $0.customerID = "c-1"; $0.segment = "gold"; $0.lastContactUnixMs = lastContactUnixMs }
            $0.channel = .web
            $0.candidates = [.with { $0.offerID = "loan"; $0.priorPropensity = 0.1 }, .with { $0.offerID = "card"; $0.priorPropensity = 0.2 }]
            $0.seed = seed
        }
    }

    func score(_ request: ScoreRequest) throws(ServiceError) -> ScoreReply { try tester.call("score", request) }

    /// An accepted or declined offer at `sequence`, as the outcome stream carries it.
    static func outcome(_ sequence: UInt64, offer: String, accepted: Bool) -> OutcomeEvent {
        OutcomeEvent.with {
            $0.sequence = sequence
            $0.outcome = .with { $0.offerID = offer; $0.type = accepted ? .accept : .decline; $0.eventID = "e\(sequence)" }
            $0.features = ["bias", "ch=web"]
            $0.priorPropensity = 0.1
        }
    }
}

@Suite struct ScoringServiceTests {
    @Test func badRequestsAreInvalidArguments() throws {
        let fixture = ScoringFixture()
        #expect(throws: ServiceError(.invalidArgument, "channel is required (atm, kiosk, web or call_center)")) {
            try fixture.score(ScoreRequest.with { $0 = ScoringFixture.request(); $0.channel = .unspecified })
        }
        // The model's own refusal, in its wire form.
        #expect(throws: ServiceError(.invalidArgument, "no candidate offers to score")) {
            try fixture.score(ScoreRequest.with { $0 = ScoringFixture.request(); $0.candidates = [] })
        }
    }

    @Test func featuresAreComputedAtTheInjectedClocksTime() throws {
        let fixture = ScoringFixture()
        let request = ScoringFixture.request(lastContactUnixMs: fixture.clock.wallMs - 2 * 86_400_000)
        #expect(try fixture.score(request).features.contains("contact=week"))
        fixture.clock.advance(milliseconds: 10 * 86_400_000)
        #expect(try fixture.score(request).features.contains("contact=month"))
        // The request's own time wins over the clock.
        #expect(try fixture.score(ScoreRequest.with { $0 = request; $0.timeUnixMs = request.customer.lastContactUnixMs + 1 }).features.contains("contact=today"))
    }

    @Test func aRequestWithoutASeedSamplesWithTheEnvironmentsSeed() throws {
        let fixture = ScoringFixture()
        let seeded = try fixture.score(ScoringFixture.request(seed: 42)).scores.map(\.sample)
        let other = try fixture.score(ScoringFixture.request(seed: 43)).scores.map(\.sample)
        #expect(seeded != other, "the samples do not depend on the seed: the test cannot tell seeds apart")
        for _ in 0..<3 {
            #expect(try fixture.score(ScoringFixture.request(seed: 0)).scores.map(\.sample) == seeded)
        }
    }

    @Test func theStreamsOutcomesShowInScoresAndTheModelStatus() throws {
        let fixture = ScoringFixture()
        let consumer = ModelConsumer(model: fixture.model, logger: Logger(label: "scoring-test"))
        #expect(consumer.apply([ScoringFixture.outcome(1, offer: "loan", accepted: true), ScoringFixture.outcome(2, offer: "loan", accepted: false)]))
        #expect(!consumer.apply([ScoringFixture.outcome(4, offer: "loan", accepted: true)]), "a gap is not applied")
        #expect(consumer.position() == 2)
        let reply = try fixture.score(ScoringFixture.request())
        #expect(reply.sequence == 2 && reply.modelVersion == "seq-2")
        #expect(reply.scores.map(\.offerID) == ["loan", "card"] && reply.scores.map(\.observations) == [2, 0])
        let status: ModelReply = try fixture.tester.call("model", ModelRequest())
        #expect(status.sequence == 2 && status.offers.map(\.offerID) == ["loan"] && status.offers.first?.accepted == 1)
    }
}
