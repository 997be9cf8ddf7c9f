// The profile stream's store side, on both stores: each kind of write appends one change per
// customer with its replica state, numbered without gaps also under concurrent writers; merges,
// undos and erasures; snapshot pages and partitions; replay and the change table's retention.
import Foundation
import ProfileCore
@testable import ProfileStore
import Store
import StoreBackends
import Testing
import Wire

/// A state with its unknown figures (NaN without a value model, never equal to itself) made comparable.
func comparable(_ state: ReplicaCustomer) -> ReplicaCustomer {
    var state = state
    for path in [\CustomerView.pAlive, \CustomerView.expectedPurchases, \CustomerView.clv, \CustomerView.churnRisk] where state.view[keyPath: path].isNaN {
        state.view[keyPath: path] = -1
    }
    return state
}

@Suite struct ProfileStreamTests {
    /// Every change from 1 on, checked consecutive.
    static func changes(_ repo: ProfileRepository) throws -> [ProfileChange] {
        let reply = try repo.changes(from: 1, limit: 10_000)
        #expect(reply.events.map(\.sequence) == (0..<UInt64(reply.events.count)).map { $0 + 1 })
        #expect(reply.headSequence == UInt64(reply.events.count))
        return reply.events
    }

    @Test(arguments: Backend.all)
    func eachKindOfWriteAppendsOneChangeWithTheCustomersState(_ backend: Backend) throws {
        let repo = try repository(backend)
        defer { repo.db.close() }
        let ada = id("login", "ada")
        var sequences: [UInt64] = []
        sequences.append(try repo.upsert(.with { $0.identity = ada; $0.create = true; $0.attributes = ["first_name": "Ada", "opt_out.atm": "true"] }, now: t0).profileSequence)
        sequences.append(try repo.addIdentity(.with { $0.identity = ada; $0.newIdentity = id("card", "4111111111111111") }, now: t0 + 1).profileSequence)
        sequences.append(try repo.recordTransaction(.with { $0.identity = ada; $0.transactionID = "t1"; $0.timeUnixMs = t0; $0.amount = 12.5 }, now: t0 + 2).profileSequence)
        sequences.append(try repo.recordEvent(.with { $0.identity = ada; $0.event = .with { $0.type = "page_view"; $0.channel = .web } }, now: t0 + 3).profileSequence)
        sequences.append(try repo.setHolding(.with { $0.identity = ada; $0.holding = .with { $0.product = "savings"; $0.balance = 100 } }, now: t0 + 4).profileSequence)
        sequences.append(try repo.session(.with { $0.identity = ada; $0.set = ["page": "cards"] }, defaultTTLMs: 60_000, now: t0 + 5).profileSequence)
        sequences.append(try repo.session(.with { $0.identity = ada; $0.clear = true }, defaultTTLMs: 60_000, now: t0 + 6).profileSequence)
        #expect(sequences == Array(1...7))
        // A duplicate changes nothing and answers the customer's latest sequence (a retry's floor); a read answers 0.
        let retry = try repo.recordTransaction(.with { $0.identity = ada; $0.transactionID = "t1"; $0.timeUnixMs = t0; $0.amount = 12.5 }, now: t0 + 7)
        #expect(retry.duplicate && retry.profileSequence == 7)
        #expect(try repo.session(.with { $0.identity = ada }, defaultTTLMs: 60_000, now: t0 + 7).profileSequence == 0)
        #expect(try repo.addIdentity(.with { $0.identity = ada; $0.newIdentity = id("card", "4111111111111111") }, now: t0 + 7).profileSequence == 7)
        // The contact history from the outcome stream, reduced in the state.
        #expect(try repo.applyOutcomes([OutcomeHistoryTests.event(1, customer: "c1", .impression), OutcomeHistoryTests.event(2, customer: "c1", .decline)], now: t0 + 8))
        #expect(repo.appended.map(\.sequence) == [8])

        let changes = try Self.changes(repo)
        #expect(changes.count == 8 && changes.allSatisfy { $0.customerID == "c1" && $0.hasCustomer && !$0.erased && $0.mergedInto.isEmpty })
        #expect(changes.map(\.timeUnixMs) == (0...5).map { t0 + $0 } + [t0 + 6, t0 + 8])
        let states = changes.map(\.customer.view)
        #expect(states[0].attributes == ["first_name": "Ada", "opt_out.atm": "true"] && states[0].optedOut == [.atm])
        #expect(states[1].identities.map(\.kind) == ["card", "login"])
        #expect(states[2].transactions == 1 && states[2].totalSpend == 12.5)
        #expect(states[3].recentEvents.isEmpty, "the state carries no recent events")
        #expect(states[4].holdingDetails.map(\.product) == ["savings"])
        #expect(states[5].session == ["page": "cards"] && states[5].sessionExpiresUnixMs == t0 + 5 + 60_000)
        #expect(states[6].session.isEmpty)
        #expect(states[7].contacts.map(\.kind) == ["declined", "shown"])
        #expect(changes[0].customer.valuedDay == t0 / 86_400_000 && changes[0].customer.valueModelVersion == 0 && states[0].clv.isNaN)
        // The stored state is the last change's, under its sequence; a follower's state equals a fresh view.
        let snapshot = try repo.snapshot(after: "", limit: 10, partition: .all)
        #expect(snapshot.customers.map(\.sequence) == [8] && comparable(snapshot.customers[0].customer) == comparable(changes[7].customer) && snapshot.headSequence == 8)
        var view = try repo.view(of: "c1", recentEvents: 0, valuation: nil, now: t0 + 8)
        view.contacts = ContactSummary.reduce(view.contacts, now: t0 + 8)
        #expect(comparable(ReplicaCustomer.with { $0.view = view }).view == comparable(ReplicaCustomer.with { $0.view = states[7] }).view)
    }

    @Test(arguments: Backend.all)
    func aValueModelRefitAndAnImportAppendTheirChanges(_ backend: Backend) throws {
        let repo = try repository(backend)
        defer { repo.db.close() }
        var lines = "customer_id,date,quantity,amount,transaction_id\n"
        for customer in 1...12 {
            for purchase in 0..<(customer % 3 + 1) { lines += "\(customer),2026-0\(purchase + 1)-1\(customer % 9),1,\(10 * customer),t\(customer)-\(purchase)\n" }
        }
        var file = reader(lines)
        let imported = try ProfileImporter(repository: repo, now: t0).run(.transactions, &file)
        #expect(imported.customersCreated == 12)
        var changes = try Self.changes(repo)
        #expect(changes.count == 12 && Set(changes.map(\.customerID)).count == 12 && changes.allSatisfy { $0.customer.view.transactions >= 1 })

        _ = try repo.fitValueModel(settings: ValuationSettings(), today: Int(t0 / 86_400_000), now: t0 + 1000)
        changes = try Self.changes(repo)
        #expect(changes.count == 13 && changes[12].customerID.isEmpty && !changes[12].hasCustomer && changes[12].valueModelVersion == t0 + 1000)
        // States written from then on are valued with it, and say so.
        _ = try repo.upsert(.with { $0.identity = id("customer", "1"); $0.attributes = ["tier": "gold"] }, now: t0 + 2000)
        let state = try #require(try Self.changes(repo).last).customer
        #expect(state.valueModelVersion == t0 + 1000 && state.view.clv.isFinite && ValuationSettings().tierNames.contains(state.view.segment))
    }

    @Test(arguments: Backend.all)
    func sequencesHaveNoGapUnderConcurrentWriters(_ backend: Backend) throws {
        let connections = try backend.openConnections(2)
        defer { connections.forEach { $0.close() } }
        let writers = try connections.enumerated().map { index, db in
            try ProfileRepository(db: db, newCustomerID: { "unused-\(index)" })
        }
        let box = UncheckedBox(writers)
        let results = UncheckedBox([[UInt64]](repeating: [], count: 2))
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 2) { writer in
            var mine: [UInt64] = []
            for n in 0..<40 {
                let reply = try? box.value[writer].upsert(.with {
                    $0.identity = id("customer", "w\(writer)-\(n % 5)"); $0.create = true; $0.attributes = ["n": "\(n)"]
                }, now: t0 + Int64(n))
                mine.append(reply?.profileSequence ?? 0)
            }
            lock.withLock { results.value[writer] = mine }
        }
        #expect(results.value.joined().sorted() == Array(1...80), "each write its own sequence, none lost")
        let changes = try Self.changes(writers[0])
        #expect(changes.count == 80)
        // The stored state of each customer is its latest change's.
        for state in try writers[1].snapshot(after: "", limit: 100, partition: .all).customers {
            let latest = try #require(changes.last { $0.customerID == state.customerID })
            #expect(state.sequence == latest.sequence && comparable(state.customer) == comparable(latest.customer))
        }
    }

    @Test(arguments: Backend.all)
    func mergesUndosAndErasuresMoveTheStateAndErasureLeavesNothingPersonal(_ backend: Backend) throws {
        let repo = try repository(backend)
        defer { repo.db.close() }
        _ = try repo.upsert(.with { $0.identity = id("login", "ada"); $0.create = true; $0.attributes = ["first_name": "Ada"] }, now: t0)
        _ = try repo.upsert(.with { $0.identity = id("cookie", "ck-bob-1"); $0.create = true; $0.attributes = ["first_name": "Bob"] }, now: t0)
        // An anonymous visitor identified: merged into the known customer.
        let merge = try repo.addIdentity(.with { $0.identity = id("login", "ada"); $0.newIdentity = id("cookie", "ck-bob-1") }, now: t0 + 1)
        #expect(merge.mergedCustomerID == "c2" && merge.profileSequence == 4)
        var changes = try Self.changes(repo)
        #expect(changes[2].customerID == "c2" && changes[2].mergedInto == "c1" && !changes[2].hasCustomer)
        #expect(changes[3].customerID == "c1" && changes[3].customer.view.identities.map(\.value) == ["ck-bob-1", "ada"])
        #expect(try repo.snapshot(after: "", limit: 10, partition: .all).customers.map(\.customerID) == ["c1"])

        let undo = try repo.unmerge(.with { $0.mergedCustomerID = "c2" }, caller: "admin/ops", now: t0 + 2)
        changes = try Self.changes(repo)
        #expect(undo.profileSequence == 6 && changes.suffix(2).map(\.customerID) == ["c2", "c1"])
        #expect(changes[4].customer.view.identities.map(\.value) == ["ck-bob-1"] && changes[4].customer.view.attributes["first_name"] == "Bob")
        #expect(changes[5].customer.view.identities.map(\.value) == ["ada"])

        let erased = try repo.erase(.with { $0.identity = id("login", "ada") }, now: t0 + 3)
        #expect(erased.profileSequence == 7)
        changes = try Self.changes(repo)
        #expect(changes[6].customerID == "c1" && changes[6].erased && !changes[6].hasCustomer)
        // Every earlier change of c1 is a bare erasure now; c2's stay as they were.
        for change in changes where change.customerID == "c1" {
            #expect(change.erased && !change.hasCustomer && change.mergedInto.isEmpty, "\(change.sequence)")
        }
        let stored = try repo.db.query("SELECT change FROM profile_changes WHERE customer_id = 'c1'", []).compactMap { $0.blob(0) }
        #expect(stored.count == 4 && !stored.contains { String(decoding: $0, as: UTF8.self).contains("Ada") || String(decoding: $0, as: UTF8.self).contains("ada") })
        #expect(try repo.snapshot(after: "", limit: 10, partition: .all).customers.map(\.customerID) == ["c2"])
        #expect(changes.filter { $0.customerID == "c2" }.last?.customer.view.attributes["first_name"] == "Bob")
    }

    @Test(arguments: Backend.all)
    func snapshotPagesComeInCustomerOrderAndByPartition(_ backend: Backend) throws {
        let repo = try repository(backend)
        defer { repo.db.close() }
        let ids = (0..<23).map { String(format: "cust-%02d", $0) }
        for (n, customer) in ids.enumerated() { _ = try repo.upsert(.with { $0.identity = id("customer", customer); $0.create = true }, now: t0 + Int64(n)) }
        _ = try repo.upsert(.with { $0.identity = id("customer", "cust-05"); $0.attributes = ["tier": "gold"] }, now: t0 + 100)

        func pages(_ partition: CustomerPartition, size: Int) throws -> [ProfileSnapshotReply] {
            var pages: [ProfileSnapshotReply] = []
            var after = ""
            repeat {
                pages.append(try repo.snapshot(after: after, limit: size, partition: partition))
                after = pages.last!.customers.last?.customerID ?? after
            } while !pages.last!.done && pages.count < 100
            return pages
        }
        let all = try pages(.all, size: 5)
        #expect(all.map(\.customers.count) == [5, 5, 5, 5, 3] && all.last!.done && all.dropLast().allSatisfy { !$0.done })
        #expect(all.flatMap(\.customers).map(\.customerID) == ids && all.allSatisfy { $0.headSequence == 24 })
        #expect(all[1].customers[0].sequence == 24 && all[1].customers[0].customer.view.attributes == ["tier": "gold"], "cust-05: its latest change")
        var seen: [String] = []
        for index in UInt32(0)..<3 {
            let partition = try CustomerPartition(index: index, count: 3)
            let customers = try pages(partition, size: 2).flatMap(\.customers).map(\.customerID)
            #expect(customers == ids.filter { CustomerPartition.fnv1a64($0) % 3 == UInt64(index) })
            seen += customers
        }
        #expect(seen.sorted() == ids, "every customer in exactly one partition")
    }

    @Test(arguments: Backend.all)
    func replayAnswersFromASequenceAndRetentionMakesOlderOnesOutOfRange(_ backend: Backend) throws {
        let repo = try repository(backend)
        defer { repo.db.close() }
        let hour: Int64 = 3_600_000
        for n in 0..<6 { _ = try repo.upsert(.with { $0.identity = id("login", "u\(n)"); $0.create = true }, now: t0 + Int64(n) * hour) }
        let page = try repo.changes(from: 3, limit: 2)
        #expect(page.events.map(\.sequence) == [3, 4] && page.headSequence == 6)
        #expect(try repo.changes(from: 7, limit: 10).events.isEmpty)
        // An event three hours old, customer u0's: retention deletes it and changes older than 2.5 h.
        _ = try repo.recordEvent(.with { $0.identity = id("login", "u0"); $0.event = .with { $0.type = "call"; $0.timeUnixMs = t0 } }, now: t0 + 6 * hour)
        let deleted = try repo.applyRetention(eventsOlderThanMs: t0 + 1, changesOlderThanMs: t0 + 6 * hour - 150 * 60_000, now: t0 + 6 * hour)
        #expect(deleted == 1 + 4)
        #expect(repo.appended.count == 1, "u0 lost an event: its new state")
        expectError(.outOfRange, containing: "profile change 1 is no longer kept") { _ = try repo.changes(from: 1, limit: 10) }
        expectError(.outOfRange, containing: "start from a snapshot") { _ = try repo.changes(from: 4, limit: 10) }
        #expect(try repo.changes(from: 5, limit: 10).events.map(\.sequence) == [5, 6, 7, 8])
        // The newest change is always kept: the numbering goes on from it.
        _ = try repo.applyRetention(eventsOlderThanMs: 0, changesOlderThanMs: t0 + 100 * hour, now: t0 + 100 * hour)
        #expect(try repo.changes(from: 8, limit: 10).events.map(\.sequence) == [8])
        #expect(try repo.upsert(.with { $0.identity = id("login", "u9"); $0.create = true }, now: t0 + 100 * hour).profileSequence == 9)
    }
}

/// Hands values to the threads of a test that uses each from one thread at a time.
final class UncheckedBox<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
