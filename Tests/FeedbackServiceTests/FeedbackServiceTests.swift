// The feedback service's methods through the tester: an outcome is checked against its decision,
// stored once, published once and acknowledged; every refusal is its own typed error; the
// response window and the erasure's time come from the injected clock; the sweep turns silence
// into "ignored".
import DecisionRecords
import Transport
import ServiceTesting
import Store
import Testing
import Wire
import ZeroMQ
@testable import Feedback

@Suite struct FeedbackServiceTests {
    @Test func theShownOffersOwnPriorIsUsedAndTheCandidatesOnlyForOlderRecords() throws {
        let fixture = try FeedbackFixture()
        // Today's decision service puts the prior on the shown offer (0.3 here); the candidates
        // are not read for it (they say 0.9). d-1, logged by the fixture, is an older record.
        var record = FeedbackFixture.decision("d-3", .web, at: fixture.clock.wallMs)
        record.offers[0].priorPropensity = 0.3
        record.candidates = [CandidateRecord.with { $0.offerID = "loan"; $0.priorPropensity = 0.9 }]
        try fixture.log(record)
        _ = try fixture.record(FeedbackFixture.outcome("e-new", decision: "d-3"))
        _ = try fixture.record(FeedbackFixture.outcome("e-old", decision: "d-1"))
        let priors = try fixture.events().map { ($0.outcome.eventID, $0.priorPropensity) }
        #expect(priors.map(\.0) == ["e-new", "e-old"] && priors.map(\.1) == [0.3, 0.1], "\(priors)")
    }

    @Test func anOutcomeIsStoredPublishedAndAcknowledgedOnce() throws {
        let fixture = try FeedbackFixture()
        fixture.clock.advance(milliseconds: 5_000)
        let ack = try fixture.record(FeedbackFixture.outcome("e-1"))
        #expect(ack.eventID == "e-1" && ack.sequence == 1 && !ack.duplicate)
        let event = try #require(try fixture.events().first)
        // Completed from the decision: the customer, the channel, the time (now), the prior and category.
        #expect(event.sequence == 1 && event.outcome.customerID == "c-1" && event.outcome.channel == .web)
        #expect(event.outcome.timeUnixMs == fixture.clock.wallMs && event.priorPropensity == 0.1 && event.category == "loans")
        // A retry is acknowledged with its first sequence and not published again.
        let retry = try fixture.record(FeedbackFixture.outcome("e-1"))
        #expect(retry.sequence == 1 && retry.duplicate && fixture.published.payloads.count == 1)
        let replay: ReplayReply = try fixture.tester.call("replay", ReplayRequest.with { $0.fromSequence = 1 })
        #expect(replay.events.map(\.outcome.eventID) == ["e-1"] && replay.headSequence == 1)
    }

    @Test(arguments: [
        (FeedbackFixture.outcome(""), .invalidArgument, "event_id is required"),
        (FeedbackFixture.outcome("e", decision: "d-9"), .notFound, "unknown decision d-9: not in the decision log (an outcome waits up to 200 ms for its decision)"),
        (FeedbackFixture.outcome("e", offer: "mortgage"), .invalidArgument, "offer mortgage was not shown in decision d-1 (shown: loan, card)"),
        (Outcome.with { $0 = FeedbackFixture.outcome("e"); $0.customerID = "c-2" }, .invalidArgument, "decision d-1 was for another customer, not c-2"),
        (Outcome.with { $0 = FeedbackFixture.outcome("e"); $0.amount = -1 }, .invalidArgument, "amount -1.0 is not between 0 and 1000000000"),
        (Outcome.with { $0 = FeedbackFixture.outcome("e"); $0.type = .unspecified }, .invalidArgument,
         "type is required: IMPRESSION, CLICK, ACCEPT, DECLINE, PURCHASE or IGNORED"),
    ] as [(Outcome, ErrorCode, String)])
    func aRefusedOutcomeIsATypedErrorAndStoresNothing(outcome: Outcome, code: ErrorCode, message: String) throws {
        let fixture = try FeedbackFixture()
        #expect(throws: ServiceError(code, message)) { try fixture.record(outcome) }
        #expect(fixture.published.payloads.isEmpty)
        let replay: ReplayReply = try fixture.tester.call("replay", ReplayRequest())
        #expect(replay.headSequence == 0)
    }

    @Test func outcomesWaitingTogetherAreAnsweredEachInOneCommit() throws {
        let fixture = try FeedbackFixture()
        let results = fixture.tester.callGroup("outcome", [FeedbackFixture.outcome("e-1"), FeedbackFixture.outcome(""),
                                                               FeedbackFixture.outcome("e-2", offer: "card", .decline)], as: OutcomeAck.self)
        #expect(try results[0].get().sequence == 1 && (try results[2].get().sequence) == 2)
        #expect(throws: ServiceError(.invalidArgument, "event_id is required")) { try results[1].get() }
        #expect(try fixture.events().map(\.sequence) == [1, 2])
        // A batch: one result per outcome; a batch past the limit is refused whole.
        let batch: OutcomeBatchReply = try fixture.tester.call("outcomes", OutcomeBatch.with {
            $0.outcomes = [FeedbackFixture.outcome("e-1"), FeedbackFixture.outcome("e-3", decision: "d-9")]
        })
        #expect(batch.results.count == 2 && batch.results[0].ack.duplicate && batch.results[1].error.code == .notFound)
        let tooMany = OutcomeBatch.with { $0.outcomes = (0...FeedbackService.maxBatch).map { FeedbackFixture.outcome("b-\($0)") } }
        #expect(throws: ServiceError(.invalidArgument, "a batch holds at most 1000 outcomes, not 1001")) {
            let _: OutcomeBatchReply = try fixture.tester.call("outcomes", tooMany)
        }
    }

    @Test func theResponseWindowClosesOnTheInjectedClock() throws {
        let fixture = try FeedbackFixture()
        let window = FeedbackSettings().window("web")
        fixture.clock.advance(milliseconds: UInt64(window))
        #expect(try !fixture.record(FeedbackFixture.outcome("in-time")).duplicate)
        fixture.clock.advance(milliseconds: 1)
        let closes = fixture.decidedAt + window
        #expect(throws: ServiceError(.outOfWindow, "the response window of decision d-1 closed at \(closes) (Unix ms; web window 604800 s)")) {
            try fixture.record(FeedbackFixture.outcome("late"))
        }
        // A retry of an outcome stored in time is acknowledged whenever it comes.
        #expect(try fixture.record(FeedbackFixture.outcome("in-time")).duplicate)
        // A touchpoint's clock may be ahead of ours by the skew, not more.
        let ahead = fixture.clock.wallMs + FeedbackSettings.clockSkewMs + 1
        #expect(throws: ServiceError(.invalidArgument, "time \(ahead) is before decision d-2 (\(fixture.decidedAt)) or in the future")) {
            try fixture.record(Outcome.with { $0 = FeedbackFixture.outcome("ahead", decision: "d-2"); $0.timeUnixMs = ahead })
        }
    }

    @Test func erasurePseudonymisesAtTheInjectedTimeAndChecksItsIDs() throws {
        let fixture = try FeedbackFixture()
        _ = try fixture.record(FeedbackFixture.outcome("e-1"))
        #expect(throws: ServiceError(.invalidArgument, "customer_ids needs 1–1000 customer ids (the profile service's erase or export reply lists them)")) {
            let _: DecisionErasureReply = try fixture.tester.call("erase", CustomerRecordsRequest())
        }
        fixture.clock.advance(milliseconds: 42)
        let erased: DecisionErasureReply = try fixture.tester.call("erase", CustomerRecordsRequest.with { $0.customerIds = ["c-1"] }, caller: "admin/ops")
        #expect(erased.decisions == 2 && erased.outcomes == 1)
        let db = try fixture.location.open()
        defer { db.close() }
        #expect(try db.row("SELECT erased_ms FROM erased_customers WHERE customer_id = $1", [.text("c-1")])?.int(0) == fixture.clock.wallMs)
    }

    @Test func theSweepRecordsUnansweredOffersAsIgnoredOnce() throws {
        let fixture = try FeedbackFixture()
        _ = try fixture.record(FeedbackFixture.outcome("e-1", decision: "d-2"))  // "loan" accepted at the ATM
        let sweep = ImplicitOutcomes(store: fixture.location, settings: FeedbackSettings(), context: try ZMQContext(), streamIn: "",
                                     interval: 1, environment: .manual(fixture.clock), logger: .init(label: "sweep-test"))
        let log = try OutcomeLog(db: try fixture.location.open())
        defer { log.db.close() }
        let window = FeedbackSettings().window("atm")
        let due = fixture.decidedAt + window + ImplicitOutcomes.grace(window)
        #expect(try sweep.sweep(log, fixture.published, now: due - 1) == 0)
        #expect(try sweep.sweep(log, fixture.published, now: due) == 1)
        #expect(try sweep.sweep(log, fixture.published, now: due + 1) == 0)
        let ignored = try #require(try fixture.events().last)
        #expect(ignored.outcome.eventID == "ignored:d-2:card" && ignored.outcome.type == .ignored)
        #expect(ignored.outcome.timeUnixMs == fixture.decidedAt + window && ignored.sequence == 2)
    }
}
