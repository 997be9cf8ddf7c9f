// "decide" through the tester: bad requests are typed errors, the profile's answer to a bad
// request is the decision's answer (not a failure), the journal holds the record before the
// answer, and ids, times and seeds come from the injected environment. Also "catalog".
import Foundation
import Transport
import ServiceTesting
import Testing
import Wire
@testable import Decision

@Suite struct DecideTests {
    @Test(arguments: [
        (DecideRequest.with { $0.identity = .with { $0.kind = "login"; $0.value = "ada" } }, "channel is required (atm, kiosk, web or call_center)"),
        (DecideRequest.with { $0.channel = .web; $0.identity = .with { $0.value = "ada" } }, "identity is required: kind and value, e.g. card and its number"),
        (DecideRequest.with { $0.channel = .web; $0.identity = .with { $0.kind = "login" } }, "identity is required: kind and value, e.g. card and its number"),
        (DecisionFixture.request(slots: 6), "at most 5 slots, not 6"),
        (DecideRequest.with { $0 = DecisionFixture.request(); $0.localHour = 24 }, "local_hour 24 is not 0-23"),
    ])
    func aBadRequestIsAnInvalidArgumentNamingWhatIsWrong(request: DecideRequest, message: String) throws {
        let fixture = try DecisionFixture()
        #expect(throws: ServiceError(.invalidArgument, message)) { try fixture.decide(request) }
        let journaled = try fixture.journaled()
        #expect(fixture.views.budgets.isEmpty && journaled.isEmpty)
    }

    @Test func theProfilesAnswerToABadRequestIsTheAnswerAndNoFailure() throws {
        let fixture = try DecisionFixture()
        // Unknown customers, again and again: each is asked about, none opens the breaker.
        for _ in 0...CircuitBreaker.threshold {
            #expect(throws: ServiceError(.notFound, "no customer with login:grace")) { try fixture.decide(DecisionFixture.request(login: "grace")) }
        }
        #expect(fixture.views.budgets.count == CircuitBreaker.threshold + 1)
        fixture.views.source.failure = ServiceError(.invalidArgument, "identity kind 'login' needs 1-128 bytes")
        #expect(throws: fixture.views.source.failure!) { try fixture.decide() }
        let journaled = try fixture.journaled()
        #expect(journaled.isEmpty && fixture.logs.logged.isEmpty)
    }

    @Test func theRecordIsInTheJournalWhenTheAnswerComes() throws {
        let fixture = try DecisionFixture()
        let reply = try fixture.decide(DecideRequest.with { $0 = DecisionFixture.request(); $0.context = ["page": "cards"] })
        let records = try fixture.journaled()
        let record = try #require(records.first)
        #expect(records.count == 1)
        #expect(record.decisionID == reply.decisionID && record.customerID == DecisionFixture.adaID && record.channel == .web)
        #expect(record.offers == reply.offers && record.modelVersion == "seq-7" && record.features == ["bias", "seg=silver"])
        #expect(record.segment == "silver" && record.context == ["page": "cards"] && !record.degraded)
        #expect(record.candidates.contains { $0.offerID == "personal_loan" && $0.kept && $0.propensity == 0.2 })
    }

    @Test func idsAndTimesComeFromTheEnvironment() throws {
        let fixture = try DecisionFixture()
        let first = try fixture.decide()
        fixture.clock.advance(milliseconds: 1_500)
        let second = try fixture.decide()
        #expect(first.decisionID == "d-00000000000000000001" && second.decisionID == "d-00000000000000000002")
        let records = try fixture.journaled()
        #expect(records.map(\.timeUnixMs) == [fixture.clock.wallMs - 1_500, fixture.clock.wallMs])
        #expect(fixture.propensities.requests.map(\.timeUnixMs) == records.map(\.timeUnixMs))
    }

    @Test func aRequestWithoutASeedTakesTheEnvironmentsSeed() throws {
        // ε = 1: every slot explores, so the offers follow the random generator alone.
        let fixture = try DecisionFixture(exploration: .epsilonGreedy(1))
        let seeded = try fixture.decide(DecisionFixture.request(slots: 3, seed: 42))  // the fixture's fixed seed
        for _ in 0..<5 {
            let unseeded = try fixture.decide(DecisionFixture.request(slots: 3, seed: 0))
            #expect(unseeded.offers.map(\.offerID) == seeded.offers.map(\.offerID))
            #expect(unseeded.offers.map(\.probability) == seeded.offers.map(\.probability))
        }
    }

    @Test func theCatalogMethodsReportTheRunningCatalog() throws {
        let fixture = try DecisionFixture()
        let status: CatalogReply = try fixture.tester.call("catalog", ReloadCatalogRequest())
        #expect(status.version == "2026-11-25.1" && status.path == DecisionFixture.catalogPath && status.reloaded && status.errors.isEmpty)
        #expect(status.offers == UInt32(fixture.catalog.engine.catalog.offers.count) && status.offers > 0)
        let reloaded: CatalogReply = try fixture.tester.call("reload_catalog", ReloadCatalogRequest())
        #expect(reloaded.reloaded && reloaded.version == status.version)
        #expect(throws: ServiceError(.unknownMethod, "service 'decision' has no method 'decides' (it has: ping, catalog, decide, reload_catalog)")) {
            let _: DecideReply = try fixture.tester.call("decides", DecisionFixture.request())
        }
    }
}
