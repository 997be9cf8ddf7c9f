// An outcome sent right after its decision, before the decision reaches the log: it waits parked
// (the worker answers others meanwhile) and is stored once the decision is logged; NOT_FOUND when
// the decision never comes within the wait or the request's deadline; a batch per item the same.
import DecisionRecords
import ServiceTesting
import Testing
import Transport
import Wire
@testable import Feedback

@Suite struct DecisionWaitTests {
    typealias Fixture = FeedbackFixture

    @Test func anOutcomeWhoseDecisionIsLoggedLaterIsStoredOnceAndAcknowledged() throws {
        let fixture = try Fixture()
        let tester = fixture.tester
        // The outcome and its retry (the same event id) arrive before decision d-3 is logged.
        let first = tester.send("outcome", [Fixture.outcome("e-1", decision: "d-3")], as: OutcomeAck.self)[0]
        fixture.clock.advance(milliseconds: 10)
        tester.recheck()
        let retry = tester.send("outcome", [Fixture.outcome("e-1", decision: "d-3")], as: OutcomeAck.self)[0]
        #expect(tester.answer(first) == nil && tester.answer(retry) == nil && tester.parked == 2)

        // Meanwhile another outcome is answered at once, not behind the parked ones.
        let other = try fixture.record(Fixture.outcome("e-2"))
        #expect(other.sequence == 1 && !other.duplicate && tester.parked == 2)

        // 50 ms after the outcome, the decision reaches the log: both are answered, stored once.
        fixture.clock.advance(milliseconds: 40)
        try fixture.log(Fixture.decision("d-3", .web, at: fixture.decidedAt + 1))
        tester.recheck()
        let acks = try [first, retry].map { try #require(tester.answer($0)).get() }
        #expect(acks.map(\.sequence) == [2, 2] && acks.map(\.duplicate) == [false, true] && tester.parked == 0)
        let events = try fixture.events()
        #expect(events.map(\.outcome.eventID) == ["e-2", "e-1"] && events.last?.outcome.decisionID == "d-3")
        #expect(events.last?.outcome.customerID == "c-1" && events.last?.category == "loans")
    }

    @Test func anOutcomeWhoseDecisionNeverComesIsNotFoundAfterItsWait() throws {
        let fixture = try Fixture()
        let tester = fixture.tester
        let ticket = tester.send("outcome", [Fixture.outcome("e-1", decision: "d-9")], as: OutcomeAck.self)[0]
        for _ in 0..<20 {
            fixture.clock.advance(milliseconds: 5)
            tester.recheck()
        }
        #expect(tester.answer(ticket) == nil, "still waiting 100 ms on")
        // A blocking call waits the rest of the time, then hears NOT_FOUND; nothing was stored.
        #expect(throws: ServiceError(.notFound, "unknown decision d-9: not in the decision log (an outcome waits up to 200 ms for its decision)")) {
            try fixture.record(Fixture.outcome("e-2", decision: "d-9"))
        }
        #expect(throws: ServiceError.self) { try tester.answer(ticket)?.get() }
        #expect(tester.parked == 0 && fixture.published.payloads.isEmpty)
    }

    @Test func theDeadlineBoundsTheWait() throws {
        let fixture = try Fixture()
        let tester = fixture.tester
        // 50 ms allowed in all: the last try comes before the deadline, not after 200 ms.
        let ticket = tester.send("outcome", [Fixture.outcome("e-1", decision: "d-3")], as: OutcomeAck.self, deadlineMs: 50)[0]
        var waited: UInt64 = 0
        while tester.answer(ticket) == nil, waited < 200 {
            fixture.clock.advance(milliseconds: 1)
            waited += 1
            tester.recheck()
        }
        #expect(waited >= 40 && waited < 50, "waited for the decision, and answered before the request's deadline: \(waited) ms")
        #expect(tester.answer(ticket).map { if case .failure(let error) = $0 { error.code == .notFound } else { false } } == true)
        // A request with no time left to wait is answered at once.
        let late = tester.send("outcome", [Fixture.outcome("e-2", decision: "d-3")], as: OutcomeAck.self, deadlineMs: 1_000, elapsedMs: 999)[0]
        #expect(tester.answer(late) != nil && tester.parked == 0)
        // The decision logged after the answers stores nothing of theirs.
        try fixture.log(Fixture.decision("d-3", .web, at: fixture.decidedAt))
        tester.recheck()
        #expect(fixture.published.payloads.isEmpty)
    }

    @Test func aBatchWaitsForItsDecisionsAndAnswersEachOutcomeAsASingleOne() throws {
        let fixture = try Fixture()
        let tester = fixture.tester
        let batch = OutcomeBatch.with {
            $0.outcomes = [Fixture.outcome("b-1"), Fixture.outcome("b-2", decision: "d-3"), Fixture.outcome("b-3", decision: "d-9"),
                           Fixture.outcome("", decision: "d-3"), Fixture.outcome("b-1")]
        }
        let ticket = tester.send("outcomes", [batch], as: OutcomeBatchReply.self)[0]
        fixture.clock.advance(milliseconds: 50)
        try fixture.log(Fixture.decision("d-3", .web, at: fixture.decidedAt))
        tester.recheck()
        // d-9 still missing: the batch waits whole, so that its reply comes once, complete.
        #expect(tester.answer(ticket) == nil && fixture.published.payloads.isEmpty)
        while tester.answer(ticket) == nil {
            fixture.clock.advance(milliseconds: 5)
            tester.recheck()
        }
        let results = try #require(tester.answer(ticket)).get().results
        try #require(results.count == 5)
        #expect(results[0].ack.sequence == 1 && results[1].ack.sequence == 2 && results[4].ack.duplicate && results[4].ack.sequence == 1)
        #expect(results[2].error.code == .notFound && results[3].error.code == .invalidArgument)
        #expect(try fixture.events().map(\.outcome.eventID) == ["b-1", "b-2"])
    }
}
