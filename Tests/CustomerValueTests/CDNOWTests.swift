// The lifetime-value models against the published CDNOW fit (Fader, Hardie & Lee 2005:
// r = 0.243, α = 4.414, a = 0.793, b = 2.426, LL = −9582.4) and against the `lifetimes`
// package (0.11) on the same data, for per-customer figures.
import CivilCalendar
import CSV
import Foundation
import ProfileCore
import Testing
@testable import CustomerValue

let cdnowPurchases: [Purchase] = {
    let url = Bundle.module.url(forResource: "cdnow_transactions", withExtension: "csv", subdirectory: "Fixtures")!
    var reader = try! CSVReader(contentsOf: url.path)
    let columns = try! reader.header(required: TransactionRow.required)
    var purchases: [Purchase] = []
    while let (_, fields) = try! reader.next() {
        let row = try! TransactionRow(fields: fields, columns: columns)
        purchases.append(Purchase(customerID: row.customerID, day: row.day, quantity: Int(row.quantity), amount: row.amount))
    }
    return purchases
}()

/// CDNOW customers summarised at the end of the 39-week calibration period (1997-09-30), in weeks.
let cdnow = CustomerSummary.summarize(cdnowPurchases, endDay: CivilDate("1997-09-30")!.daysSinceEpoch, periodDays: 7)

func significant(_ value: Double, _ digits: Int) -> Double {
    let scale = pow(10, Double(digits) - ceil(log10(abs(value))))
    return (value * scale).rounded() / scale
}

@Suite struct CDNOWTests {
    @Test func theSummariesAreTheOnesThePaperFits() throws {
        #expect(cdnow.count == 2357)
        #expect(cdnow.values.filter { $0.frequency > 0 }.count == 946)
        #expect(cdnow.values.reduce(0) { $0 + $1.frequency } == 2457)
        let first = try #require(cdnow["4"])
        #expect(first.frequency == 2 && abs(first.recency - 30.428571) < 1e-6 && abs(first.age - 38.857143) < 1e-6)
        #expect(abs(first.monetaryValue - 22.345) < 1e-9)
    }

    @Test func theBGNBDFitMatchesThePublishedParameters() {
        let fitted = BGNBD.fit(cdnow.values)
        let (model, logLikelihood) = (fitted.model, fitted.logLikelihood)
        #expect(significant(model.r, 3) == 0.243)
        #expect(significant(model.alpha, 3) == 4.41)
        #expect(significant(model.a, 3) == 0.793)
        #expect(significant(model.b, 3) == 2.43)
        #expect(abs(logLikelihood - -9582.4) < 0.1)
    }

    @Test func theGammaGammaFitMatchesLifetimes() {
        let model = GammaGamma.fit(cdnow.values).model
        // lifetimes 0.11: p = 6.2496, q = 3.7442, v = 15.4435.
        #expect(abs(model.p - 6.2496) < 0.002 && abs(model.q - 3.7442) < 0.002 && abs(model.gamma - 15.4435) < 0.005)
    }

    /// (customer, P(alive), expected purchases in 52 weeks, CLV 12 months at 1 %/month) from
    /// lifetimes 0.11 (BetaGeoFitter, GammaGammaFitter.customer_lifetime_value, freq="W").
    static let lifetimesReference: [(String, Double, Double, Double)] = [
        ("4", 0.726620, 1.558686, 36.273977),
        ("18", 1.000000, 0.253893, 8.417958),
        ("21", 0.212391, 0.260122, 4.640936),
        ("50", 1.000000, 0.251682, 8.344481),
    ]

    @Test func perCustomerValuesMatchLifetimes() throws {
        let model = ValueModel(purchases: BGNBD.fit(cdnow.values).model, spend: GammaGamma.fit(cdnow.values).model)
        for (id, pAlive, expected, clv) in Self.lifetimesReference {
            let c = try #require(cdnow[id])
            #expect(abs(model.purchases.probabilityAlive(c) - pAlive) <= 1e-3 * pAlive, "customer \(id)")
            #expect(abs(model.expectedPurchasesInAYear(c) - expected) <= 1e-3 * expected, "customer \(id)")
            #expect(abs(model.clv(c, months: 12, monthlyDiscount: 0.01) - clv) <= 1e-3 * clv, "customer \(id)")
        }
    }

    @Test func theSeriesMatchesKnownValuesOfTheHypergeometricFunction() {
        // ₂F₁(1, 1; 2; z) = −ln(1 − z) / z
        #expect(abs(Hypergeometric.f21(1, 1, 2, 0.5) - (-log(0.5) / 0.5)) < 1e-12)
        #expect(abs(Hypergeometric.f21(1, 1, 2, 0.95) - (-log(0.05) / 0.95)) < 1e-10)
    }

    @Test func tiersCutAtQuantiles() {
        let values = (1...100).map(Double.init)
        let thresholds = ValueModel.thresholds(of: values, at: [0.5, 0.8, 0.95])
        #expect(thresholds == [51, 81, 96])
        let model = ValueModel(purchases: BGNBD(r: 1, alpha: 1, a: 1, b: 1), spend: GammaGamma(p: 1, q: 2, gamma: 1),
                               tierThresholds: thresholds, tierNames: ["bronze", "silver", "gold", "platinum"])
        #expect([10, 51, 90, 99].map(model.tier(ofCLV:)) == ["bronze", "silver", "gold", "platinum"])
    }
}
