// "decide" with what Personalizer's applications send (docs/PERSONALIZER.md): the caller's
// decision id (checked, and refused once used, here or in the store's decision log), the offers
// it names (unknown ones refused), slots with ids, apprentice mode; the candidates with explain.
import DecisionRecords
import Foundation
import Store
import Testing
import Transport
import Wire
@testable import Decision

@Suite struct RequestedOffersTests {
    static func request(_ configure: (inout DecideRequest) -> Void) -> DecideRequest {
        var request = DecisionFixture.request(slots: 0)
        configure(&request)
        return request
    }

    @Test func theCallersIdIsTheDecisionsAndASecondUseIsRefused() throws {
        let fixture = try DecisionFixture()
        let reply = try fixture.decide(Self.request { $0.decisionID = "evt-1:a_b.c" })
        #expect(reply.decisionID == "evt-1:a_b.c")
        #expect(throws: ServiceError(.alreadyExists, "decision id \"evt-1:a_b.c\" is taken: a decision was logged under it already (each decision needs a new id)")) {
            try fixture.decide(Self.request { $0.decisionID = "evt-1:a_b.c"; $0.slots = 2 })
        }
        // One record: the first decision's, untouched.
        let journaled = try fixture.journaled()
        #expect(journaled.map(\.decisionID) == ["evt-1:a_b.c"] && journaled[0].offers == reply.offers)
    }

    @Test(arguments: [("", false), ("d-0001", true), ("has space", true), ("é", true), (String(repeating: "x", count: 65), true), (String(repeating: "x", count: 64), false)])
    func aCallersIdIsCheckedBeforeAnythingElse(id: String, refused: Bool) throws {
        let fixture = try DecisionFixture()
        let request = Self.request { $0.decisionID = id }
        if refused {
            #expect(throws: ServiceError.self) { try fixture.decide(request) }
            #expect(try fixture.journaled().isEmpty && fixture.views.budgets.isEmpty)
        } else {
            #expect(try fixture.decide(request).decisionID == (id.isEmpty ? "d-00000000000000000001" : id))
        }
    }

    @Test func anIdInTheStoresDecisionLogIsTaken() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("decision-ids-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let location = StoreLocation.sqlite(path: directory.appendingPathComponent("decisions.sqlite").path)
        let db = try location.open()
        defer { db.close() }
        try DecisionLogTable.create(db)
        try DecisionLogTable.insert([DecisionRecord.with { $0.decisionID = "evt-logged"; $0.customerID = "c1"; $0.channel = .web }], db)
        let lookup = DecisionLogLookup(location: location)
        defer { lookup.close() }
        let fixture = try DecisionFixture(logged: lookup.contains)
        #expect(throws: ServiceError.self) { try fixture.decide(Self.request { $0.decisionID = "evt-logged" }) }
        #expect(try fixture.decide(Self.request { $0.decisionID = "evt-new" }).decisionID == "evt-new")
        #expect(try fixture.journaled().map(\.decisionID) == ["evt-new"])
    }

    @Test func onlyTheNamedOffersAreCandidatesAndAnUnknownOneIsRefused() throws {
        let fixture = try DecisionFixture()
        let reply = try fixture.decide(Self.request {
            $0.offerIds = ["home_insurance", "personal_loan", "savings_bonus"]
            $0.excludedOfferIds = ["personal_loan"]
            $0.explain = true
        })
        // personal_loan (0.2) would win; excluded, home insurance (0.1) does.
        #expect(reply.offers.map(\.offerID) == ["home_insurance"])
        let reasons = Dictionary(uniqueKeysWithValues: reply.candidates.map { ($0.offerID, $0.reason) })
        #expect(reasons["personal_loan"] == "excluded" && reasons["mortgage_refinance"] == "not_requested" && reasons["home_insurance"] == "shown")
        #expect(try fixture.journaled().first?.candidates.map(\.reason) == reply.candidates.map(\.reason))
        #expect(throws: ServiceError(.invalidArgument, "unknown offer \"gold_bar\": not in catalog \(fixture.catalog.engine.catalog.version)")) {
            try fixture.decide(Self.request { $0.offerIds = ["home_insurance", "gold_bar"] })
        }
    }

    @Test func slotsCarryTheirIdsIntoTheLogAndApprenticeModeShowsTheBaselines() throws {
        let fixture = try DecisionFixture()
        let slots = [DecideSlot.with { $0.id = "main"; $0.baselineOfferID = "home_insurance" },
                     DecideSlot.with { $0.id = "side"; $0.baselineOfferID = "personal_loan" }]
        let named = ["home_insurance", "personal_loan"]
        let online = try fixture.decide(Self.request { $0.offerIds = named; $0.slotOptions = slots; $0.slotOptions[0].excludedOfferIds = ["personal_loan"] })
        #expect(online.offers.map(\.offerID) == ["home_insurance", "personal_loan"] && online.offers.map(\.slotID) == ["main", "side"])
        let apprentice = try fixture.decide(Self.request { $0.offerIds = named; $0.slotOptions = slots.reversed(); $0.baseline = true })
        #expect(apprentice.offers.map(\.offerID) == ["personal_loan", "home_insurance"] && apprentice.offers.map(\.slotID) == ["side", "main"])
        #expect(apprentice.offers.allSatisfy { $0.probability == 1 })
        #expect(try fixture.journaled().map(\.offers) == [online.offers, apprentice.offers])
        // The journal's hand-written bytes carry the slot ids as swift-protobuf writes them.
        for bytes in try DecisionJournal.read(fixture.journal.currentFile) {
            #expect(bytes == (try DecisionRecordEncodingTests.swiftProtobufBytes(try DecisionRecord(serializedBytes: bytes))))
        }
        #expect(throws: ServiceError(.invalidArgument, "baseline (apprentice mode) needs a baseline_offer_id for every slot; slot 0 has none")) {
            try fixture.decide(Self.request { $0.baseline = true })
        }
        #expect(throws: ServiceError(.invalidArgument, "slots is 3 but slot_options names 2")) {
            try fixture.decide(Self.request { $0.slotOptions = slots; $0.slots = 3 })
        }
    }
}
