// An outcome without an offer id is about the offer its decision showed: in the slot it names (by
// the id the decide request gave it, or "#N", the Nth shown), or the first (Personalizer's rewards
// and activations through the gateway, docs/PERSONALIZER.md).
import Testing
import Wire
@testable import Feedback

@Suite struct SlotOutcomeTests {
    /// d-3 showed "loan" in slot "main" and "card" in slot "side".
    static func fixture() throws -> FeedbackFixture {
        let fixture = try FeedbackFixture()
        var record = FeedbackFixture.decision("d-3", .web, at: fixture.clock.wallMs)
        record.offers[0].slotID = "main"
        record.offers[1].slotID = "side"
        try fixture.log(record)
        return fixture
    }

    static func outcome(_ eventID: String, slot: String, _ type: OutcomeType = .accept) -> Outcome {
        Outcome.with { $0 = FeedbackFixture.outcome(eventID, decision: "d-3", offer: "", type); $0.slotID = slot }
    }

    @Test func theSlotNamesTheOffer() throws {
        let fixture = try Self.fixture()
        _ = try fixture.record(Self.outcome("e-side", slot: "side"))
        _ = try fixture.record(Self.outcome("e-first", slot: "", .impression))
        _ = try fixture.record(Self.outcome("e-second", slot: "#1", .impression))
        let events = try fixture.events()
        #expect(events.map(\.outcome.offerID) == ["card", "loan", "card"])
        #expect(events.map(\.category) == ["cards", "loans", "cards"])
    }

    @Test(arguments: [("nowhere", "decision d-3 showed no offer in slot \"nowhere\""), ("#2", "decision d-3 showed no offer in slot \"#2\""),
                      ("#-1", "decision d-3 showed no offer in slot \"#-1\"")])
    func aSlotWithoutAnOfferIsRefused(slot: String, message: String) throws {
        let fixture = try Self.fixture()
        #expect(throws: ServiceError(.invalidArgument, message)) { try fixture.record(Self.outcome("e", slot: slot)) }
        #expect(fixture.published.payloads.isEmpty)
    }
}
