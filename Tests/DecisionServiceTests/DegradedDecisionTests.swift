// Each degraded path of a decision: profile failing (the view cached at this replica while it is
// recent enough, else no view and no offer at all), scoring failing (the catalog's priors), a
// dependency's open breaker (skipped, not waited for); with their reasons, texts and log line.
import Transport
import ServiceTesting
import Testing
import Wire
@testable import Decision

@Suite struct DegradedDecisionTests {
    static let down = ServiceError(.deadlineExceeded, "no answer from 'profile' within 25 ms")

    @Test func profileFailingUsesTheCachedViewWhileItIsRecentEnough() throws {
        let fixture = try DecisionFixture()
        let fresh = try fixture.decide()
        fixture.views.source.failure = Self.down
        fixture.clock.advance(milliseconds: 60_000)  // cacheMaxAgeMs: 60 s, still in
        let cached = try fixture.decide()
        #expect(cached.degraded && cached.degradedReason == "profile: DEADLINE_EXCEEDED; used the view cached at this replica")
        #expect(cached.customerID == DecisionFixture.adaID && cached.offers.map(\.offerID) == fresh.offers.map(\.offerID))
        #expect(!fresh.degraded && !fresh.offers.isEmpty)
    }

    @Test func profileFailingWithAViewTooOldOrNoneShowsNoOfferNotEvenTheDefault() throws {
        let fixture = try DecisionFixture()
        _ = try fixture.decide()
        fixture.views.source.failure = Self.down
        fixture.clock.advance(milliseconds: 60_001)
        let stale = try fixture.decide()
        let reason = "profile: DEADLINE_EXCEEDED; no view of the customer, so their consent is unknown: no offer"
        #expect(stale.degraded && stale.degradedReason == reason && stale.offers.isEmpty && stale.customerID.isEmpty)
        // Never seen at this replica, on the ATM whose catalog has a default offer: none either.
        let unseen = try fixture.decide(DecisionFixture.request(.atm, login: "grace"))
        #expect(unseen.degradedReason == reason && unseen.offers.isEmpty && !unseen.control)
        // Scoring is not asked about offers nobody may see.
        #expect(fixture.propensities.requests.count == 1)
    }

    @Test func scoringFailingUsesTheCatalogsPriorPropensities() throws {
        let fixture = try DecisionFixture()
        fixture.propensities.source.failure = ServiceError(.unavailable, "scoring is down")
        let reply = try fixture.decide()
        #expect(reply.degraded && reply.degradedReason == "scoring: UNAVAILABLE; used the catalog's prior propensities")
        #expect(!reply.offers.isEmpty && reply.modelVersion.isEmpty)
        let offers = fixture.catalog.engine.catalog
        for offer in reply.offers {
            #expect(offer.propensity == offers.offer(offer.offerID)?.priorPropensity, "\(offer.offerID)")
        }
        // Both failing: both reasons, in the order they happened.
        fixture.views.source.failure = Self.down
        let both = try fixture.decide()
        #expect(both.degradedReason == "profile: DEADLINE_EXCEEDED; used the view cached at this replica; scoring: UNAVAILABLE; used the catalog's prior propensities")
    }

    @Test func aHealthyDecisionUsesTheSourcesPropensities() throws {
        let fixture = try DecisionFixture()
        let reply = try fixture.decide()
        #expect(!reply.degraded && reply.degradedReason.isEmpty && reply.modelVersion == "seq-7")
        #expect(reply.offers.first { $0.offerID == "personal_loan" }?.propensity == 0.2)
        #expect(fixture.logs.logged.isEmpty)
    }

    @Test func aProfileThatKeepsFailingIsSkippedUntilItsProbe() throws {
        let fixture = try DecisionFixture()
        fixture.views.source.failure = Self.down
        for _ in 0..<CircuitBreaker.threshold { _ = try fixture.decide() }
        #expect(fixture.views.budgets.count == CircuitBreaker.threshold)
        let skipped = try fixture.decide()
        #expect(fixture.views.budgets.count == CircuitBreaker.threshold, "the open breaker let a call through")
        #expect(skipped.degradedReason == "profile: UNAVAILABLE; no view of the customer, so their consent is unknown: no offer")
        // After the open period one call goes through as a probe; it answers, and the breaker closes.
        fixture.clock.advance(nanoseconds: CircuitBreaker.openFor)
        fixture.views.source.failure = nil
        let probed = try fixture.decide()
        #expect(fixture.views.budgets.count == CircuitBreaker.threshold + 1 && !probed.degraded)
    }

    @Test func aScoringServiceThatKeepsFailingIsSkipped() throws {
        let fixture = try DecisionFixture()
        fixture.propensities.source.failure = ServiceError(.deadlineExceeded, "no answer from 'scoring' within 25 ms")
        for _ in 0..<CircuitBreaker.threshold { _ = try fixture.decide() }
        let skipped = try fixture.decide()
        #expect(fixture.propensities.requests.count == CircuitBreaker.threshold)
        #expect(skipped.degradedReason == "scoring: UNAVAILABLE; used the catalog's prior propensities")
    }

    @Test func aDegradedDecisionIsLoggedAndJournaledWithItsReason() throws {
        let fixture = try DecisionFixture()
        fixture.propensities.source.failure = ServiceError(.unavailable, "scoring is down")
        let reply = try fixture.decide()
        let entry = try #require(fixture.logs.logged.first)
        #expect(fixture.logs.logged.count == 1 && entry.level == .warning && entry.message == "degraded decision")
        #expect(entry.metadata["decision_id"] == "\(reply.decisionID)" && entry.metadata["reason"] == "\(reply.degradedReason)")
        // And journaled as degraded, with the same reason, like any decision.
        let record = try #require(try fixture.journaled().last)
        #expect(record.decisionID == reply.decisionID && record.degraded && record.degradedReason == reply.degradedReason)
    }
}
