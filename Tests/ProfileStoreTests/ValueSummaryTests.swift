// The per-customer summaries the writes keep (value_summaries) against the same summaries computed
// from the transactions themselves, on both stores, after every kind of write that adds, moves or
// deletes transactions: single writes, imports, merges, an unmerge, an erasure.
import CivilCalendar
import CustomerValue
import Foundation
import ProfileCore
import ProfileStore
import Store
import StoreBackends
import Testing
import Wire

@Suite struct ValueSummaryTests {
    static let day: Int64 = 86_400_000

    /// Summaries as CustomerSummary computes them from every stored transaction up to `endDay`,
    /// and as the store gives them, both sorted.
    func both(_ repo: ProfileRepository, through endDay: Int) throws -> (expected: [[Double]], stored: [[Double]]) {
        let purchases = try repo.db.query("SELECT customer_id, time_ms, amount FROM transactions", []).map {
            Purchase(customerID: $0.text(0) ?? "", day: Int(($0.int(1) ?? 0) / Self.day), amount: $0.double(2) ?? 0)
        }
        func rows(_ summaries: some Sequence<CustomerSummary>) -> [[Double]] {
            summaries.map { [$0.frequency, $0.recency, $0.age, $0.monetaryValue] }.sorted { $0.lexicographicallyPrecedes($1) }
        }
        return (rows(CustomerSummary.summarize(purchases, endDay: endDay, periodDays: 7).values),
                rows(try repo.valueSummaries(through: endDay)))
    }

    func expectSame(_ repo: ProfileRepository, through endDay: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (expected, stored) = try both(repo, through: endDay)
        #expect(stored.count == expected.count, sourceLocation: sourceLocation)
        for (s, e) in zip(stored, expected) {
            #expect(zip(s, e).allSatisfy { abs($0 - $1) <= 1e-9 * max(1, abs($1)) }, "\(s) != \(e)", sourceLocation: sourceLocation)
        }
    }

    func buy(_ repo: ProfileRepository, _ identity: Identity, day: Int64, hour: Int64 = 10, _ amount: Double, key: String = "") throws {
        _ = try repo.recordTransaction(.with {
            $0.identity = identity; $0.create = true; $0.timeUnixMs = day * Self.day + hour * 3_600_000; $0.amount = amount
            $0.transactionID = key
        }, now: t0)
    }

    @Test(arguments: Backend.all)
    func theKeptSummariesEqualTheTransactionsAfterEveryKindOfWrite(_ backend: Backend) throws {
        let repo = try repository(backend)
        defer { repo.db.close() }
        let today = Int(t0 / Self.day)
        // An import in batches of 3: same-day purchases, a customer across batches, a transaction
        // id repeated within the file (imported once).
        let csv = """
            customer_id,date,quantity,amount,channel,product,transaction_id
            1,2026-01-05,1,10.25,,,t1
            1,2026-01-05,2,4.50,,,t2
            1,2026-02-10,1,7.00,,,
            2,2026-01-07,1,3.10,,,t1
            2,2026-03-01,1,8.80,,,
            3,2026-01-01,1,20.00,,,
            3,2026-01-01,1,5.00,,,
            3,2026-04-30,1,12.50,,,
            1,2026-03-15,1,9.99,,,t3
            4,2026-02-02,1,1.00,,,
            5,2026-02-03,1,2.00,,,
            5,2026-05-03,1,4.00,,,
            6,2026-05-04,1,6.00,,,
            """
        var file = reader(csv)
        let imported = try ProfileImporter(repository: repo, batchSize: 3, now: t0).run(.transactions, &file)
        #expect(imported.imported == 12 && imported.unchanged == 1 && imported.rejected == 0)
        try expectSame(repo, through: today)

        // Single writes: a new earlier first day, the first day again, a same day again, a later
        // day, a duplicate (nothing), a new customer by login.
        let one = id("customer", "1"), jan5 = Int64(CivilDate("2026-01-05")!.daysSinceEpoch)
        try buy(repo, one, day: jan5 - 3, 2.5)
        try buy(repo, one, day: jan5 - 3, hour: 20, 1.5)
        try buy(repo, one, day: jan5, hour: 23, 3.0)
        try buy(repo, one, day: jan5 + 100, 11.0, key: "w1")
        try buy(repo, one, day: jan5 + 100, 11.0, key: "w1")
        try buy(repo, id("login", "new"), day: jan5 + 10, 5.0)
        try buy(repo, id("login", "new"), day: jan5 + 12, 6.0)
        try expectSame(repo, through: today)

        // A merge, a purchase of the survivor on a day the merged one bought on, the undo; a merge
        // left in place; an erasure of a customer with another merged into it.
        _ = try repo.merge(.with { $0.survivor = one; $0.merged = id("customer", "2") }, now: t0)
        try expectSame(repo, through: today)
        try buy(repo, one, day: Int64(CivilDate("2026-03-01")!.daysSinceEpoch), 4.0)
        _ = try repo.unmerge(.with { $0.mergedCustomerID = "2" }, caller: "test", now: t0)
        _ = try repo.merge(.with { $0.survivor = id("customer", "4"); $0.merged = id("customer", "3") }, now: t0)
        _ = try repo.merge(.with { $0.survivor = id("customer", "5"); $0.merged = id("customer", "6") }, now: t0)
        _ = try repo.erase(.with { $0.identity = id("customer", "5") }, now: t0)
        try expectSame(repo, through: today)
        #expect(try repo.db.row("SELECT COUNT(*) FROM value_summaries WHERE customer_id IN ('2', '3', '5', '6')", [])?.int(0) == 1,
                "2 has its purchases back; 3 merged away, 5 and 6 erased have none")

        // Summaries up to a day before some purchases: those customers from their transactions.
        try expectSame(repo, through: CivilDate("2026-03-01")!.daysSinceEpoch)
    }

    /// A store from before the table (transactions, no summaries): the first refit builds them.
    @Test(arguments: Backend.all)
    func aStoreFromBeforeTheTableGetsItBuiltOnce(_ backend: Backend) throws {
        let repo = try repository(backend)
        defer { repo.db.close() }
        var file = reader("customer_id,date,quantity,amount\n1,2026-01-05,1,10\n1,2026-01-09,1,4\n2,2026-01-07,1,3\n1,2026-01-09,1,1\n")
        _ = try ProfileImporter(repository: repo, now: t0).run(.transactions, &file)
        try repo.db.execute("DELETE FROM value_summaries")
        try repo.db.execute("DELETE FROM settings WHERE name = 'value_summaries.complete'")
        try expectSame(repo, through: Int(t0 / Self.day))
        #expect(try repo.db.row("SELECT COUNT(*) FROM value_summaries", [])?.int(0) == 2)
        #expect(try repo.db.row("SELECT COUNT(*) FROM settings WHERE name = 'value_summaries.complete'", [])?.int(0) == 1)
    }
}
