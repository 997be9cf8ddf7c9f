// The decision store's part of erasure and export, on both stores (here with the other stores'
// tests, since erasure spans them): decisions and outcomes pseudonymised in place, a journal
// copied afterwards pseudonymised on the way in, the export of what is logged about a customer.
import DecisionRecords
import Foundation
import Store
import StoreBackends
import Testing
import Wire

/// The time the tests' decisions and outcomes are stamped around (Unix ms).
let t0: Int64 = 1_780_000_000_000

@Suite struct DecisionStoreErasureTests {
    func decision(_ id: String, customer: String) -> DecisionRecord {
        DecisionRecord.with {
            $0.decisionID = id; $0.customerID = customer; $0.timeUnixMs = t0; $0.channel = .web; $0.segment = "gold"
            $0.features = ["age_band=30s", "vip"]; $0.context = ["page": "mortgages"]
            $0.offers = [.with { $0.offerID = "card"; $0.category = "cards" }]
        }
    }

    func storeOutcome(_ sequence: Int64, decision: String, customer: String, _ db: any SQLDatabase) throws {
        let event = OutcomeEvent.with {
            $0.sequence = UInt64(sequence); $0.features = ["age_band=30s"]; $0.category = "cards"
            $0.outcome = .with { $0.eventID = "e\(sequence)"; $0.decisionID = decision; $0.offerID = "card"; $0.type = .accept; $0.customerID = customer }
        }
        try db.execute("""
            INSERT INTO outcomes (sequence, event_id, decision_id, offer_id, customer_id, type, time_ms, event) VALUES ($1, $2, $3, 'card', $4, 'ACCEPT', $5, $6)
            """, [.integer(sequence), .text("e\(sequence)"), .text(decision), .text(customer), .integer(t0), .blob(try event.serializedBytes())])
    }

    @Test(arguments: Backend.all)
    func erasurePseudonymisesDecisionsAndOutcomesAndKeepsTheCounts(_ backend: Backend) throws {
        let db = try backend.open()
        defer { db.close() }
        try OutcomeTable.create(db)
        try DecisionLogTable.insert([decision("d1", customer: "c1"), decision("d2", customer: "c1"), decision("d3", customer: "c9"), decision("d4", customer: "c2")], db)
        try storeOutcome(1, decision: "d1", customer: "c1", db)
        try storeOutcome(2, decision: "d4", customer: "c2", db)

        let export = try JSONSerialization.jsonObject(with: DecisionStoreErasure.export(["c1", "c9"], db)) as? [String: [[String: Any]]]
        #expect(export?["decisions"]?.compactMap { $0["decision_id"] as? String } == ["d1", "d2", "d3"])
        #expect(export?["outcomes"]?.count == 1 && export?["decisions"]?.first?["features"] as? [String] == ["age_band=30s", "vip"])

        let erased = try DecisionStoreErasure.erase(["c1", "c9"], now: t0, db)
        #expect(erased == .init(decisions: 3, outcomes: 1))
        #expect(try db.row("SELECT COUNT(*) FROM decisions", [])?.int(0) == 4, "the rows stay: reports still add up")
        #expect(try db.query("SELECT id FROM decisions WHERE customer_id = ''", []).compactMap { $0.text(0) }.sorted() == ["d1", "d2", "d3"])
        let record = try #require(try DecisionLogTable.find("d1", db))
        #expect(record.customerID.isEmpty && record.features.isEmpty && record.context.isEmpty)
        #expect(record.offers.map(\.offerID) == ["card"] && record.segment == "gold", "what was offered stays")
        let event = try OutcomeEvent(serializedBytes: try #require(try db.row("SELECT event FROM outcomes WHERE sequence = 1", [])?.blob(0)))
        #expect(event.outcome.customerID.isEmpty && event.features.isEmpty && event.outcome.type == .accept && event.sequence == 1)
        #expect(try db.row("SELECT customer_id FROM outcomes WHERE sequence = 2", [])?.text(0) == "c2", "others are untouched")
        #expect(try DecisionLogTable.find("d4", db)?.customerID == "c2")

        // A journal copied after the erasure cannot bring the customer back.
        try DecisionLogTable.insert([decision("d5", customer: "c1"), decision("d6", customer: "c2")], db)
        #expect(try DecisionLogTable.find("d5", db)?.customerID == "" && DecisionLogTable.find("d5", db)?.features == [])
        #expect(try DecisionLogTable.find("d6", db)?.customerID == "c2")
        #expect(try DecisionStoreErasure.erased(among: ["c1", "c2", "c9"], db) == ["c1", "c9"])
        let nothing = try JSONSerialization.jsonObject(with: DecisionStoreErasure.export(["c1"], db)) as? [String: [Any]]
        #expect(nothing?["decisions"]?.isEmpty == true && nothing?["outcomes"]?.isEmpty == true)
        #expect(try DecisionStoreErasure.erase(["c1"], now: t0 + 1, db) == .init(), "again: nothing left")
    }
}
