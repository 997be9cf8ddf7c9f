// Writes, sessions, retention, erasure and reads across connections, on both stores.
import Foundation
import ProfileCore
@testable import ProfileStore
import Store
import StoreBackends
import Testing
import Wire

@Suite struct CustomerDataTests {
    @Test(arguments: Backend.all)
    func aRefusedWriteLeavesNothingHalfWritten(_ backend: Backend) throws {
        let repo = try repository(backend)
        defer { repo.db.close() }
        _ = try repo.upsert(.with { $0.identity = id("login", "a"); $0.create = true; $0.attributes = ["first_name": "Ada"] }, now: t0)
        expectError(.invalidArgument, containing: "attribute 'birth_date' is date") {
            _ = try repo.upsert(.with { $0.identity = id("login", "a"); $0.attributes = ["last_name": "Lovelace", "birth_date": "1815-13-10"] }, now: t0)
        }
        expectError(.tooLarge, containing: "limit is 1024") {
            _ = try repo.upsert(.with { $0.identity = id("login", "a"); $0.attributes = ["note": String(repeating: "x", count: 1025)] }, now: t0)
        }
        let many = Dictionary(uniqueKeysWithValues: (0..<300).map { ("x\($0)", "v") })
        expectError(.tooLarge, containing: "would have 301 attributes") {
            _ = try repo.upsert(.with { $0.identity = id("login", "a"); $0.attributes = many }, now: t0)
        }
        let view = try repo.view(of: "c1", recentEvents: 0, valuation: nil, now: t0)
        #expect(view.attributes == ["first_name": "Ada"])
        // No value model yet: value and churn risk are unknown, not zero.
        #expect(view.clv.isNaN && view.churnRisk.isNaN && view.pAlive.isNaN && view.expectedPurchases.isNaN)
        expectError(.notFound, containing: "no customer with login b") {
            _ = try repo.upsert(.with { $0.identity = id("login", "b"); $0.attributes = ["first_name": "Bob"] }, now: t0)
        }
        #expect(try repo.db.row("SELECT COUNT(*) FROM customers", [])?.int(0) == 1)
    }

    @Test(arguments: Backend.all)
    func aTransactionWithAKeyIsRecordedOnce(_ backend: Backend) throws {
        let repo = try repository(backend)
        defer { repo.db.close() }
        let record = TransactionRecord.with { $0.identity = id("card", "4111111111111111"); $0.create = true; $0.transactionID = "tx-1"; $0.timeUnixMs = t0; $0.amount = 42.5; $0.channel = .atm }
        #expect(try repo.recordTransaction(record, now: t0).created)
        let again = try repo.recordTransaction(record, now: t0)
        #expect(again.duplicate && again.customerID == "c1")
        let view = try repo.view(of: "c1", recentEvents: 0, valuation: nil, now: t0)
        #expect(view.transactions == 1 && view.totalSpend == 42.5 && view.lastTransactionUnixMs == t0)
        expectError(.invalidArgument, containing: "finite") {
            _ = try repo.recordTransaction(.with { $0.identity = id("customer", "c1"); $0.timeUnixMs = t0; $0.amount = .nan }, now: t0)
        }
    }

    @Test(arguments: Backend.all)
    func theSessionLivesForItsTTL(_ backend: Backend) throws {
        let repo = try repository(backend)
        defer { repo.db.close() }
        _ = try repo.upsert(.with { $0.identity = id("cookie", "ck-123456"); $0.create = true }, now: t0)
        let set = try repo.session(.with { $0.identity = id("cookie", "ck-123456"); $0.set = ["page": "loans"]; $0.ttlSeconds = 60 }, defaultTTLMs: 1_800_000, now: t0)
        #expect(set.session == ["page": "loans"] && set.expiresUnixMs == t0 + 60_000)
        _ = try repo.session(.with { $0.identity = id("cookie", "ck-123456"); $0.set = ["step": "2"] }, defaultTTLMs: 1_800_000, now: t0 + 30_000)
        let live = try repo.session(.with { $0.identity = id("customer", "c1") }, defaultTTLMs: 1_800_000, now: t0 + 1_000_000)
        #expect(live.session == ["page": "loans", "step": "2"], "each change renews the TTL (here the default, 30 min)")
        let view = try repo.view(of: "c1", recentEvents: 0, valuation: nil, now: t0 + 1_000_000)
        #expect(view.session == live.session && view.sessionExpiresUnixMs == t0 + 30_000 + 1_800_000)
        let gone = try repo.session(.with { $0.identity = id("customer", "c1") }, defaultTTLMs: 1_800_000, now: t0 + 30_000 + 1_800_000)
        #expect(gone.session.isEmpty && gone.expiresUnixMs == 0)
    }

    @Test(arguments: Backend.all)
    func holdingsKeepTheirBalanceHistory(_ backend: Backend) throws {
        let repo = try repository(backend)
        defer { repo.db.close() }
        _ = try repo.upsert(.with { $0.identity = id("account", "gb29 nwbk 6016"); $0.create = true }, now: t0)
        let day: Int64 = 86_400_000
        for (n, balance) in [5000.0, 3000, 1200].enumerated() {
            _ = try repo.setHolding(.with { $0.identity = id("account", "GB29NWBK6016"); $0.holding = .with { $0.product = "savings"; $0.balance = balance; $0.updatedUnixMs = t0 + Int64(n) * 30 * day } }, now: t0)
        }
        _ = try repo.setHolding(.with { $0.identity = id("customer", "c1"); $0.holding = .with { $0.product = "credit_card"; $0.balance = -200; $0.updatedUnixMs = t0 + 61 * day } }, now: t0)
        let view = try repo.view(of: "c1", recentEvents: 0, valuation: nil, now: t0)
        #expect(view.holdings == ["credit_card", "savings"])
        #expect(view.holdingDetails.map(\.balance) == [-200, 1200])
        #expect(try repo.balanceHistory("c1").map(\.total) == [5000, 3000, 1200, 1000])
    }

    @Test(arguments: Backend.all)
    func retentionDeletesOldEventsOnly(_ backend: Backend) throws {
        let repo = try repository(backend)
        defer { repo.db.close() }
        for (n, time) in [t0 - 400 * 86_400_000, t0 - 10 * 86_400_000, t0].enumerated() {
            _ = try repo.recordEvent(.with { $0.identity = id("login", "a"); $0.create = true; $0.eventID = "e\(n)"; $0.event = .with { $0.type = "call"; $0.channel = .callCenter; $0.timeUnixMs = time } }, now: t0)
        }
        #expect(try repo.applyRetention(eventsOlderThanMs: t0 - 365 * 86_400_000, now: t0) == 1)
        #expect(try repo.view(of: "c1", recentEvents: 10, valuation: nil, now: t0).recentEvents.map(\.timeUnixMs) == [t0, t0 - 10 * 86_400_000])
    }

    @Test(arguments: Backend.all)
    func offerEventsAreTheContactHistoryOnEveryChannel(_ backend: Backend) throws {
        let repo = try repository(backend)
        defer { repo.db.close() }
        let day: Int64 = 86_400_000
        let events: [(String, Channel, Int64, String)] = [
            ("offer_shown", .atm, t0 - 200 * day, "old_offer"), ("offer_shown", .atm, t0 - 3 * day, "loan"),
            ("offer_declined", .atm, t0 - 3 * day + 1000, "loan"), ("page_view", .web, t0 - day, ""), ("offer_shown", .web, t0 - day, "card"),
        ]
        for (n, (type, channel, time, offer)) in events.enumerated() {
            _ = try repo.recordEvent(.with {
                $0.identity = id("login", "a"); $0.create = true; $0.eventID = "e\(n)"
                $0.event = .with { $0.type = type; $0.channel = channel; $0.timeUnixMs = time; $0.data = offer.isEmpty ? [:] : ["offer_id": offer, "category": "x"] }
            }, now: t0)
        }
        let view = try repo.view(of: "c1", recentEvents: 0, valuation: nil, now: t0)
        #expect(view.contacts.map(\.kind) == ["shown", "declined", "shown"])  // newest first, none older than 180 days
        #expect(view.contacts.map(\.offerID) == ["card", "loan", "loan"])
        #expect(view.contacts[1].channel == .atm && view.contacts[1].category == "x")
        #expect(view.lastContactUnixMs == t0 - day)
        #expect(view.lastResponseUnixMs == t0 - 3 * day + 1000)
    }

    @Test(arguments: Backend.all)
    func erasureDeletesEverythingAndTheIdsNeverResolveAgain(_ backend: Backend) throws {
        let repo = try repository(backend)
        defer { repo.db.close() }
        _ = try repo.upsert(.with { $0.identity = id("login", "a"); $0.create = true; $0.attributes = ["first_name": "Ada"] }, now: t0)
        _ = try repo.recordEvent(.with { $0.identity = id("cookie", "ck-abcdef"); $0.create = true; $0.event = .with { $0.type = "page_view"; $0.timeUnixMs = t0 } }, now: t0)
        _ = try repo.addIdentity(.with { $0.identity = id("login", "a"); $0.newIdentity = id("cookie", "ck-abcdef") }, now: t0)
        _ = try repo.recordTransaction(.with { $0.identity = id("login", "a"); $0.timeUnixMs = t0; $0.amount = 9 }, now: t0)
        _ = try repo.session(.with { $0.identity = id("login", "a"); $0.set = ["k": "v"] }, defaultTTLMs: 60_000, now: t0)
        let erased = try repo.erase(.with { $0.identity = id("cookie", "ck-abcdef"); $0.reason = "customer request" }, now: t0)
        #expect(erased.customerID == "c1" && erased.rowsDeleted >= 6)
        for identity in [id("login", "a"), id("cookie", "ck-abcdef"), id("customer", "c1"), id("customer", "c2")] {
            #expect(throws: ProfileError.self) { _ = try repo.resolve(CustomerIdentity(identity)) }
        }
        for table in ["identities", "attributes", "transactions", "events", "sessions", "merges"] {
            #expect(try repo.db.row("SELECT COUNT(*) FROM \(table)", [])?.int(0) == 0, "\(table) is empty")
        }
        expectError(.notFound, containing: "customer c1 was erased") {
            _ = try repo.upsert(.with { $0.identity = id("customer", "c1"); $0.create = true }, now: t0)
        }
        expectError(.notFound, containing: "was erased") { _ = try repo.export(.with { $0.identity = id("customer", "c1") }, now: t0) }
    }

    @Test(arguments: Backend.all)
    func aReadOnAnotherConnectionSeesAnAcknowledgedWrite(_ backend: Backend) throws {
        let connections = try backend.openConnections(2)
        defer { connections.forEach { $0.close() } }
        let writer = try repository(backend, db: connections[0])
        let reader = try repository(backend, db: connections[1])
        _ = try writer.upsert(.with { $0.identity = id("login", "a"); $0.create = true }, now: t0)
        let before = try reader.resolve(CustomerIdentity(id("login", "a")))
        _ = try writer.upsert(.with { $0.identity = id("login", "a"); $0.attributes = ["vip": "YES"] }, now: t0 + 1)
        let after = try reader.resolve(CustomerIdentity(id("login", "a")))
        #expect(after.version > before.version, "the version replicas' caches check has moved")
        #expect(try reader.view(of: after.id, recentEvents: 0, valuation: nil, now: t0).attributes["vip"] == "true")
    }
}
