// The decision's time: when its answer must leave the worker (the client's or the channel's
// deadline, less the return reserve) and each dependency's share of what is left, capped.
import Transport
import ServiceTesting
import Testing
import Wire
@testable import Decision

@Suite struct DeadlineBudgetTests {
    static func context(sent: UInt64 = 1_000_000_000_000, allowedMs: UInt64) -> RequestContext {
        RequestContext(requestID: 1, method: "decide", deadline: sent + allowedMs * 1_000_000, sent: sent, routingKey: [], worker: "w")
    }

    @Test(arguments: [
        // (client allows ms, channel ms, answer by ms after the send): a tenth kept for the way back, at least 5 ms.
        (1_000 as UInt64, 100 as UInt64, 90 as UInt64),  // the channel's is earlier
        (60, 100, 54),  // the client's is earlier
        (30, 100, 25),  // a tenth is less than 5 ms: 5 ms
        (3, 100, 0),  // less time than the reserve: the answer is due at once
    ])
    func theAnswerIsDueByTheEarlierDeadlineLessTheReturnReserve(client: UInt64, channel: UInt64, answerByMs: UInt64) {
        let context = Self.context(allowedMs: client)
        #expect(DecisionService.answerBy(context, channelDeadline: channel * 1_000_000) == context.sent + answerByMs * 1_000_000)
    }

    @Test func profileGetsItsShareAndScoringWhatIsLeftLessTheReserve() throws {
        var settings = DecisionService.Settings()
        settings.maxCallMicros = 1_000_000
        let fixture = try DecisionFixture(settings: settings)
        fixture.views.clock = fixture.clock
        fixture.views.takes = 30_000_000  // the profile call lasts 30 ms
        _ = try fixture.decide(deadlineMs: 1_000)
        // Web: 100 ms, 10 ms of it for the way back; 2 ms reserve. Profile: 40% of 88 ms. Scoring: 90 − 30 − 2 ms.
        #expect(fixture.views.budgets == [35_200])
        #expect(fixture.propensities.budgets == [58_000])
    }

    @Test func noCallWaitsLongerThanTheCap() throws {
        let fixture = try DecisionFixture()  // maxCallMicros 25 ms
        _ = try fixture.decide(deadlineMs: 1_000)
        #expect(fixture.views.budgets == [25_000] && fixture.propensities.budgets == [25_000])
    }

    @Test func theClientsEarlierDeadlineAndTimeAlreadySpentShrinkTheBudgets() throws {
        let fixture = try DecisionFixture()
        // 20 ms allowed: 5 ms return reserve, 2 ms reserve, 13 ms to share.
        _ = try fixture.decide(deadlineMs: 20)
        #expect(fixture.views.budgets == [5_200] && fixture.propensities.budgets == [13_000])
        // Sent 60 ms ago with 1 s allowed: 90 − 60 − 2 = 28 ms left on the web channel (scoring: the 25 ms cap).
        _ = try fixture.decide(deadlineMs: 1_000, elapsedMs: 60)
        #expect(fixture.views.budgets.last == 11_200 && fixture.propensities.budgets.last == 25_000)
        // The ATM's channel deadline (50 ms, 5 ms for the way back) is the earlier one.
        _ = try fixture.decide(DecisionFixture.request(.atm), deadlineMs: 1_000)
        #expect(fixture.views.budgets.last == 17_200)
    }

    @Test func aRequestWhoseTimeIsGoneStillGetsAnAnswerWithTheSmallestBudgets() throws {
        let fixture = try DecisionFixture()
        // Sent 95 ms ago on the web channel: the answer was due 5 ms ago.
        let reply = try fixture.decide(deadlineMs: 1_000, elapsedMs: 95)
        #expect(fixture.views.budgets == [1] && fixture.propensities.budgets == [1])
        #expect(!reply.degraded && !reply.offers.isEmpty)
    }
}
