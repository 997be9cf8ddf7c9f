// The scoring service's "snapshot" method through the tester: what a follower reads back is the
// model it was asked of, bit for bit, and "model" reports that model's digest.
import Logging
import ModelReplica
import ScoringCore
import ServiceTesting
import Testing
import Wire
@testable import Scoring

@Suite struct SnapshotMethodTests {
    @Test func aFollowerReadsTheModelBackBitForBitAndItsDigestIsTheModelsOwn() throws {
        let fixture = ScoringFixture()
        let consumer = ModelConsumer(model: fixture.model, logger: Logger(label: "snapshot-method-test"))
        #expect(consumer.apply((1...5).map { ScoringFixture.outcome($0, offer: $0 % 2 == 0 ? "card" : "loan", accepted: $0 % 3 == 0) }))

        let read = try ModelSnapshotPages.read { request throws(ServiceError) in try fixture.tester.call("snapshot", request) }
        #expect(read == fixture.model.copy && read.sequence == 5)
        #expect(read.snapshot() == fixture.model.copy.snapshot())
        let status: ModelReply = try fixture.tester.call("model", ModelRequest())
        #expect(status.modelDigest == LiveModel.digest(read.snapshot()) && status.modelDigest.count == 64)
        // The same request scored by both: the same numbers.
        let copy = LiveModel(read)
        let request = ScoringFixture.request(seed: 9)
        #expect(try copy.score(request, now: fixture.clock.wallMs, seed: 1) == fixture.score(request))
    }

    @Test func aPageOfASnapshotNoLongerHeldIsNotFound() throws {
        let fixture = ScoringFixture()
        #expect(throws: ServiceError(.notFound, "model snapshot at sequence 3 is no longer held; ask again from sequence 0")) {
            let _: ModelSnapshotReply = try fixture.tester.call("snapshot", ModelSnapshotRequest.with { $0.sequence = 3; $0.offset = 10 })
        }
    }
}
