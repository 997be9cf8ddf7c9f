// Merge records and their undo, on both stores: what moved goes back, what the survivor was
// given back, what was written after the merge stays; dependent and repeated undos are refused.
import Foundation
import ProfileCore
import ProfileStore
import Store
import StoreBackends
import Testing
import Wire

@Suite struct MergeUndoTests {
    func count(_ repo: ProfileRepository, _ table: String, _ customer: String) throws -> Int64? {
        try repo.db.row("SELECT COUNT(*) FROM \(table) WHERE customer_id = $1", [.text(customer)])?.int(0)
    }

    @Test(arguments: Backend.all)
    func anUndoRestoresWhatMovedAndKeepsWhatWasWrittenAfter(_ backend: Backend) throws {
        let repo = try repository(backend)
        defer { repo.db.close() }
        _ = try repo.upsert(.with { $0.identity = id("login", "ada"); $0.create = true; $0.attributes = ["first_name": "Ada", "tier": "gold"] }, now: t0)
        _ = try repo.recordTransaction(.with { $0.identity = id("login", "ada"); $0.timeUnixMs = t0; $0.amount = 10 }, now: t0)
        _ = try repo.setHolding(.with { $0.identity = id("login", "ada"); $0.holding = .with { $0.product = "savings"; $0.balance = 100 } }, now: t0)
        _ = try repo.upsert(.with { $0.identity = id("login", "bob"); $0.create = true; $0.attributes = ["first_name": "Bob", "tier": "silver", "city": "Paris"] }, now: t0 + 1000)
        _ = try repo.addIdentity(.with { $0.identity = id("login", "bob"); $0.newIdentity = id("card", "4111111111111111") }, now: t0 + 1000)
        for amount in [5.25, 5.25, 7.5] {  // two equal rows: both go back
            _ = try repo.recordTransaction(.with { $0.identity = id("login", "bob"); $0.timeUnixMs = t0; $0.amount = amount }, now: t0 + 1000)
        }
        _ = try repo.setHolding(.with { $0.identity = id("login", "bob"); $0.holding = .with { $0.product = "savings"; $0.balance = 50 } }, now: t0 + 1000)
        _ = try repo.setHolding(.with { $0.identity = id("login", "bob"); $0.holding = .with { $0.product = "loan"; $0.balance = 5 } }, now: t0 + 1000)

        let merged = try repo.merge(.with { $0.survivor = id("login", "ada"); $0.merged = id("login", "bob") }, caller: "services/crm", now: t0 + 2000)
        #expect(merged.customerID == "c1" && merged.mergedCustomerID == "c2")
        var ada = try repo.view(of: "c1", recentEvents: 0, valuation: nil, now: t0 + 2000)
        #expect(ada.attributes == ["first_name": "Bob", "tier": "silver", "city": "Paris"], "bob's newer values won")
        #expect(ada.transactions == 4 && ada.holdingDetails.first { $0.product == "savings" }?.balance == 150)
        // Written to the survivor after the merge: stays with it.
        _ = try repo.upsert(.with { $0.identity = id("login", "ada"); $0.attributes = ["city": "Lyon"] }, now: t0 + 3000)
        _ = try repo.recordTransaction(.with { $0.identity = id("login", "ada"); $0.timeUnixMs = t0 + 3000; $0.amount = 99 }, now: t0 + 3000)

        let undo = try repo.unmerge(.with { $0.mergedCustomerID = "c2" }, caller: "admin/ops", now: t0 + 4000)
        #expect(undo.customerID == "c2" && undo.survivorID == "c1" && undo.mergedBy == "services/crm" && undo.mergedUnixMs == t0 + 2000)
        #expect(undo.restored.contains("identity login bob") && undo.restored.contains("identity card …1111"), "\(undo.restored)")
        #expect(undo.restored.contains("transactions: 3") && undo.restored.contains("holding savings"), "\(undo.restored)")
        #expect(undo.kept.contains("attribute city (written after the merge)") && undo.kept.contains("transactions dated after the merge: 1"), "\(undo.kept)")
        for identity in [id("login", "bob"), id("card", "4111111111111111"), id("customer", "c2")] {
            #expect(try repo.resolve(CustomerIdentity(identity)).id == "c2", "\(identity)")
        }
        let bob = try repo.view(of: "c2", recentEvents: 0, valuation: nil, now: t0 + 4000)
        #expect(bob.attributes == ["first_name": "Bob", "tier": "silver", "city": "Paris"])
        #expect(bob.transactions == 3 && Set(bob.holdingDetails.map { "\($0.product)=\($0.balance)" }) == ["savings=50.0", "loan=5.0"])
        ada = try repo.view(of: "c1", recentEvents: 0, valuation: nil, now: t0 + 4000)
        #expect(ada.attributes == ["first_name": "Ada", "tier": "gold", "city": "Lyon"], "ada's own values back; the later city stays")
        #expect(ada.transactions == 2 && ada.holdingDetails.map { "\($0.product)=\($0.balance)" } == ["savings=100.0"])
        #expect(try count(repo, "balances", "c2") == 2, "the balance history went back too")

        let record = try #require(try repo.db.row("SELECT caller, undone_by, undone_ms FROM merge_records WHERE merged_id = 'c2'", []))
        #expect(record.text(0) == "services/crm" && record.text(1) == "admin/ops" && record.int(2) == t0 + 4000)
        expectError(.alreadyExists, containing: "already undone at \(t0 + 4000) by admin/ops") {
            _ = try repo.unmerge(.with { $0.mergedCustomerID = "c2" }, caller: "admin/ops", now: t0 + 5000)
        }
        expectError(.notFound, containing: "c1 has no merge to undo") { _ = try repo.unmerge(.with { $0.mergedCustomerID = "c1" }, caller: "admin/ops", now: t0) }
        // Merged again after the undo: a new record, undone in turn.
        _ = try repo.merge(.with { $0.survivor = id("login", "ada"); $0.merged = id("login", "bob") }, caller: "admin/ops", now: t0 + 6000)
        #expect(try repo.unmerge(.with { $0.mergedCustomerID = "c2" }, caller: "admin/ops", now: t0 + 7000).mergedUnixMs == t0 + 6000)
    }

    @Test(arguments: Backend.all)
    func aMergeThatALaterMergeDependsOnIsUndoneOnlyAfterIt(_ backend: Backend) throws {
        let repo = try repository(backend)
        defer { repo.db.close() }
        for name in ["a", "b", "c"] { _ = try repo.upsert(.with { $0.identity = id("login", name); $0.create = true }, now: t0) }
        _ = try repo.merge(.with { $0.survivor = id("login", "b"); $0.merged = id("login", "a") }, now: t0 + 1)
        _ = try repo.merge(.with { $0.survivor = id("login", "c"); $0.merged = id("login", "b") }, now: t0 + 2)
        expectError(.invalidArgument, containing: "c2 was itself merged into c3 after c1 was merged into it: undo that merge first") {
            _ = try repo.unmerge(.with { $0.mergedCustomerID = "c1" }, caller: "admin/ops", now: t0 + 3)
        }
        let later = try repo.unmerge(.with { $0.mergedCustomerID = "c2" }, caller: "admin/ops", now: t0 + 3)
        #expect(later.mergedBy == "unauthenticated")
        #expect(try repo.resolve(CustomerIdentity(id("login", "a"))).id == "c2", "the chain points at b again")
        _ = try repo.unmerge(.with { $0.mergedCustomerID = "c1" }, caller: "admin/ops", now: t0 + 4)
        for (name, customer) in [("a", "c1"), ("b", "c2"), ("c", "c3")] {
            #expect(try repo.resolve(CustomerIdentity(id("login", name))).id == customer)
        }
        expectError(.invalidArgument, containing: "invalid customer identity") { _ = try repo.unmerge(.with { $0.mergedCustomerID = "" }, caller: "admin/ops", now: t0) }
    }

    @Test(arguments: Backend.all)
    func erasureDeletesTheMergeRecordsAndCanBeRepeated(_ backend: Backend) throws {
        let repo = try repository(backend)
        defer { repo.db.close() }
        _ = try repo.upsert(.with { $0.identity = id("login", "a"); $0.create = true; $0.attributes = ["first_name": "Ada"] }, now: t0)
        _ = try repo.upsert(.with { $0.identity = id("login", "b"); $0.create = true; $0.attributes = ["first_name": "Bea"] }, now: t0)
        _ = try repo.merge(.with { $0.survivor = id("login", "a"); $0.merged = id("login", "b") }, caller: "services/crm", now: t0 + 1)
        let export = try repo.export(.with { $0.identity = id("login", "a") }, now: t0 + 2)
        #expect(export.customerIds == ["c1", "c2"] && String(decoding: export.json, as: UTF8.self).contains("services/crm"))
        let erased = try repo.erase(.with { $0.identity = id("login", "a") }, now: t0 + 2)
        #expect(erased.customerIds == ["c1", "c2"])
        #expect(try repo.db.row("SELECT COUNT(*) FROM merge_records", [])?.int(0) == 0, "the record held both customers' data")
        let again = try repo.erase(.with { $0.identity = id("customer", "c2") }, now: t0 + 3)
        #expect(again.customerID == "c1" && again.customerIds == ["c1", "c2"] && again.rowsDeleted == 0)
        expectError(.notFound, containing: "was erased") { _ = try repo.resolve(CustomerIdentity(id("customer", "c2"))) }
    }
}
