// The value model fitted from the store's own transactions, on both stores: the CDNOW sample
// imported, fitted at the end of its calibration period, matches the published BG/NBD fit,
// and the customer view carries the per-customer figures.
import CivilCalendar
import CSV
import CustomerValue
import Foundation
import ProfileCore
import ProfileStore
import StoreBackends
import Testing
import Wire

let cdnowFixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("CustomerValueTests/Fixtures/cdnow_transactions.csv").path

@Suite struct ValueModelTests {
    @Test(arguments: Backend.all)
    func theCDNOWSampleFitsAsPublishedAndViewsCarryTheValue(_ backend: Backend) throws {
        let repo = try repository(backend)
        defer { repo.db.close() }
        var reader = try CSVReader(contentsOf: cdnowFixture)
        let imported = try ProfileImporter(repository: repo, now: t0).run(.transactions, &reader)
        #expect(imported.imported == 6919 && imported.customersCreated == 2357 && imported.rejected == 0)

        let end = CivilDate("1997-09-30")!.daysSinceEpoch
        let endMs = Int64(end) * 86_400_000
        let fitted = try repo.fitValueModel(settings: ValuationSettings(), today: end, now: endMs)
        #expect(fitted.customers == 2357)
        #expect(abs(fitted.model.purchases.r - 0.243) < 0.0005 && abs(fitted.model.purchases.alpha - 4.414) < 0.005)
        #expect(abs(fitted.model.purchases.a - 0.793) < 0.0005 && abs(fitted.model.purchases.b - 2.426) < 0.005)
        #expect(try repo.loadValueModel() == fitted)

        let view = try repo.view(of: "4", recentEvents: 0, valuation: fitted, now: endMs)
        #expect(abs(view.pAlive - 0.726620) < 1e-3 && abs(view.expectedPurchases - 1.558686) < 2e-3 && abs(view.clv - 36.274) < 0.05)
        #expect(["bronze", "silver", "gold", "platinum"].contains(view.segment))
        #expect(view.churnRisk > 0 && view.churnRisk < 1)
    }

    /// The store aggregates the summaries in SQL (one row per customer comes back): the same
    /// figures as CustomerSummary computes from the raw purchases, on both stores.
    @Test(arguments: Backend.all)
    func theStoresSummariesAreTheOnesTheModelsRead(_ backend: Backend) throws {
        let repo = try repository(backend)
        defer { repo.db.close() }
        var reader = try CSVReader(contentsOf: cdnowFixture)
        _ = try ProfileImporter(repository: repo, now: t0).run(.transactions, &reader)
        var csv = try CSVReader(contentsOf: cdnowFixture)
        let columns = try csv.header(required: TransactionRow.required)
        var purchases: [Purchase] = []
        while let (_, fields) = try csv.next() {
            let row = try TransactionRow(fields: fields, columns: columns)
            purchases.append(Purchase(customerID: row.customerID, day: row.day, amount: row.amount))
        }
        // Mid-sample, so some purchases fall after the end and are left out.
        let end = CivilDate("1997-09-30")!.daysSinceEpoch
        func key(_ c: CustomerSummary) -> [Double] { [c.frequency, c.recency, c.age, (c.monetaryValue * 1e6).rounded()] }
        let expected = CustomerSummary.summarize(purchases, endDay: end, periodDays: 7).values.map(key).sorted { $0.lexicographicallyPrecedes($1) }
        let stored = try repo.valueSummaries(through: end).map(key).sorted { $0.lexicographicallyPrecedes($1) }
        #expect(stored.count == 2357)
        #expect(stored == expected)
    }

    @Test(arguments: Backend.all)
    func tooFewCustomersIsATypedError(_ backend: Backend) throws {
        let repo = try repository(backend)
        defer { repo.db.close() }
        _ = try repo.recordTransaction(.with { $0.identity = id("login", "a"); $0.create = true; $0.timeUnixMs = t0; $0.amount = 5 }, now: t0)
        expectError(.invalidArgument, containing: "at least 10 customers") {
            _ = try repo.fitValueModel(settings: ValuationSettings(), today: Int(t0 / 86_400_000), now: t0)
        }
    }
}
