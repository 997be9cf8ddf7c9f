// Bulk import on both stores: good lines in, bad lines reported by file:line and skipped; the
// same file twice is imported once unless appended on purpose.
import CivilCalendar
import CSV
import Foundation
import ProfileCore
import ProfileStore
import StoreBackends
import Testing
import Wire

func reader(_ text: String, file: String = "in.csv") -> CSVReader {
    CSVReader(file: file, bytes: Array(text.utf8))
}

@Suite struct ImportTests {
    @Test(arguments: Backend.all)
    func badLinesAreReportedAndEverythingElseIsImported(_ backend: Backend) throws {
        let repo = try repository(backend)
        defer { repo.db.close() }
        let importer = ProfileImporter(repository: repo, batchSize: 2, now: t0)
        var customers = reader("customer_id,first_name,vip,birth_date\n1,Ada,yes,1815-12-10\n2,Bob,maybe,\n3,\"Smith, Jr.\",,\n4,Dan\n", file: "customers.csv")
        let first = try importer.run(.customers, &customers)
        #expect(first.records == 4 && first.imported == 2 && first.rejected == 2 && first.customersCreated == 2)
        #expect(first.errors.map(\.description) == [
            "customers.csv:3: attribute 'vip' is boolean: expected true or false, got 'maybe'",
            "customers.csv:5: expected 4 fields, found 2",
        ])
        #expect(try repo.view(of: "3", recentEvents: 0, valuation: nil, now: t0).attributes == ["first_name": "Smith, Jr."])
        #expect(try repo.view(of: "1", recentEvents: 0, valuation: nil, now: t0).attributes == ["first_name": "Ada", "vip": "true", "birth_date": "1815-12-10"])
        #expect(throws: ProfileError.self) { _ = try repo.resolve(CustomerIdentity(kind: .customer, value: "2")) }

        var identities = reader("customer_id,kind,value\n1,card,4111111111111111\n3,card,4111111111111111\n9,login,x\n1,phone,123\n1,card,4111 1111 1111 1111\n", file: "ids.csv")
        let second = try importer.run(.identities, &identities)
        #expect(second.imported == 1 && second.unchanged == 1 && second.rejected == 3)
        #expect(second.errors.map(\.description) == [
            "ids.csv:3: card …1111 already belongs to customer 1",
            "ids.csv:4: unknown customer 9: import customers first",
            "ids.csv:5: invalid phone identity: a phone number is international: '+' and 7 to 15 digits, e.g. +442079460958",
        ])

        var transactions = reader("customer_id,date,quantity,amount,transaction_id\n1,2024-01-31,1,10.5,t1\n1,2024-02-30,1,3,t2\n5,2024-03-01,2,7,t3\n1,2024-01-31,1,10.5,t1\n1,2024-04-01,0,1,t4\n", file: "tx.csv")
        let third = try importer.run(.transactions, &transactions)
        #expect(third.imported == 2 && third.unchanged == 1 && third.customersCreated == 1 && third.rejected == 2)
        #expect(third.errors.map(\.line) == [3, 6])
        let view = try repo.view(of: "1", recentEvents: 0, valuation: nil, now: t0)
        #expect(view.transactions == 1 && view.totalSpend == 10.5 && view.lastTransactionUnixMs == Int64(CivilDate("2024-01-31")!.daysSinceEpoch) * 86_400_000)

        var holdings = reader("customer_id,product,balance\n1,credit_card,-420.5\n1,savings,lots\n9,savings,1\n1,bad product,1\n1,credit_card,-100\n", file: "holdings.csv")
        let fourth = try importer.run(.holdings, &holdings)
        #expect(fourth.imported == 2 && fourth.rejected == 3)
        #expect(fourth.errors.map(\.line) == [3, 4, 5])
        #expect(fourth.errors[0].description == "holdings.csv:3: balance 'lots' is not a number")
        let held = try repo.view(of: "1", recentEvents: 0, valuation: nil, now: t0)
        #expect(held.holdings == ["credit_card"] && held.holdingDetails[0].balance == -100)
    }

    @Test(arguments: Backend.all)
    func aFileWithoutTheRequiredColumnsIsRefusedWholly(_ backend: Backend) throws {
        let repo = try repository(backend)
        defer { repo.db.close() }
        var bad = reader("customer,date,amount\n1,2024-01-01,3\n", file: "tx.csv")
        #expect(throws: CSVError(file: "tx.csv", line: 1, "the header lacks 'customer_id', 'quantity' (expected customer_id,date,quantity,amount,[channel],[product],[transaction_id])")) {
            _ = try ProfileImporter(repository: repo, now: t0).run(.transactions, &bad)
        }
        #expect(try repo.db.row("SELECT COUNT(*) FROM customers", [])?.int(0) == 0)
    }

    /// Re-importing a transactions file without transaction ids used to add every row again.
    @Test(arguments: Backend.all)
    func theSameFileAgainIsANoOpUnlessAppended(_ backend: Backend) throws {
        let repo = try repository(backend)
        defer { repo.db.close() }
        let text = "customer_id,date,quantity,amount\n1,2024-01-31,1,10.5\n1,2024-02-01,2,3\n"
        func spend() throws -> (UInt32, Double) {
            let view = try repo.view(of: "1", recentEvents: 0, valuation: nil, now: t0)
            return (view.transactions, view.totalSpend)
        }
        var first = reader(text, file: "tx.csv")
        let once = try ProfileImporter(repository: repo, now: t0).run(.transactions, &first)
        #expect(once.imported == 2 && once.alreadyImportedUnixMs == nil && once.sha256.count == 64)

        // The same bytes under another name, later: nothing is read, and the summary says when it was imported.
        var copy = reader(text, file: "copy-of-tx.csv")
        let twice = try ProfileImporter(repository: repo, now: t0 + 60_000).run(.transactions, &copy)
        #expect(twice.alreadyImportedUnixMs == t0 && twice.records == 0 && twice.imported == 0 && twice.sha256 == once.sha256)
        #expect(try spend() == (2, 13.5))

        // The same bytes as another kind are another import (here refused by their header).
        var asHoldings = reader(text, file: "tx.csv")
        #expect(throws: CSVError.self) { _ = try ProfileImporter(repository: repo, now: t0).run(.holdings, &asHoldings) }

        // --append: on purpose, the rows go in again.
        var again = reader(text, file: "tx.csv")
        let appended = try ProfileImporter(repository: repo, now: t0 + 120_000).run(.transactions, &again, append: true)
        #expect(appended.imported == 2 && appended.alreadyImportedUnixMs == nil)
        #expect(try spend() == (4, 27))

        // Rows with a transaction id are stored once, even when appended or in a changed file.
        let withIDs = "customer_id,date,quantity,amount,transaction_id\n1,2024-03-01,1,5,t9\n"
        for (file, append) in [("a.csv", false), ("a.csv", true)] {
            var ids = reader(withIDs, file: file)
            _ = try ProfileImporter(repository: repo, now: t0).run(.transactions, &ids, append: append)
        }
        var changed = reader(withIDs + "1,2024-03-02,1,6,t10\n", file: "b.csv")
        let third = try ProfileImporter(repository: repo, now: t0).run(.transactions, &changed)
        #expect(third.imported == 1 && third.unchanged == 1)
        #expect(try spend() == (6, 38))
    }

    /// A file none of whose lines went in (identities before their customers) can be imported as it is once they exist.
    @Test(arguments: Backend.all)
    func aFileWhollyRejectedIsNotRememberedAsImported(_ backend: Backend) throws {
        let repo = try repository(backend)
        defer { repo.db.close() }
        let importer = ProfileImporter(repository: repo, now: t0)
        let identities = "customer_id,kind,value\n7,login,grace\n"
        var early = reader(identities)
        #expect(try importer.run(.identities, &early).rejected == 1)
        var customers = reader("customer_id,first_name\n7,Grace\n")
        _ = try importer.run(.customers, &customers)
        var retry = reader(identities)
        let retried = try importer.run(.identities, &retry)
        #expect(retried.imported == 1 && retried.alreadyImportedUnixMs == nil)
        #expect(try repo.resolve(CustomerIdentity(kind: .login, value: "grace")).id == "7")
    }
}
