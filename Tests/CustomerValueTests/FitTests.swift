// The quasi-Newton fits: analytic gradients against finite differences, the same optimum as
// Nelder–Mead on the published CDNOW sample, compression that changes nothing, deterministic
// parallel sums, and standard errors as `lifetimes` reports them.
import Foundation
import Testing
@testable import CustomerValue

@Suite struct FitTests {
    /// Relative difference, against the larger magnitude.
    func relative(_ a: Double, _ b: Double) -> Double { abs(a - b) / max(abs(a), abs(b), 1e-300) }

    /// Central differences of `value` at `point` against `gradient`, in every coordinate; per
    /// customer (divided by `customers`), so rounding and truncation stay near 1e-10.
    func checkGradient(customers: Int, _ total: @escaping ([Double]) -> (Double, [Double]), at point: [Double]) {
        let n = Double(customers)
        let f = { (p: [Double]) in let (v, g) = total(p); return (v / n, g.map { $0 / n }) }
        let (_, gradient) = f(point)
        for i in point.indices {
            let h = 1e-5
            var up = point, down = point
            up[i] += h
            down[i] -= h
            let numeric = (f(up).0 - f(down).0) / (2 * h)
            #expect(abs(numeric - gradient[i]) <= 1e-8 * max(1, abs(gradient[i])), "coordinate \(i): \(numeric) vs \(gradient[i])")
        }
    }

    @Test(arguments: [[0.0, 0.0, 0.0, 0.0], [-1.4, 1.5, -0.2, 0.9], [0.7, -0.5, 1.2, -0.8]])
    func theBGNBDGradientMatchesFiniteDifferences(point: [Double]) {
        let groups = RepeatBuyingGroups(cdnow.values)
        checkGradient(customers: groups.customers, { BGNBD.logLikelihoodAndGradient(groups, logParameters: $0) }, at: point)
    }

    @Test(arguments: [[0.0, 0.0, 0.0], [1.8, 1.3, 2.7], [-0.5, 0.4, 1.0]])
    func theGammaGammaGradientMatchesFiniteDifferences(point: [Double]) {
        let groups = SpendGroups(cdnow.values)
        checkGradient(customers: groups.customers, { GammaGamma.logLikelihoodAndGradient(groups, logParameters: $0) }, at: point)
    }

    @Test func digammaMatchesKnownValues() {
        let eulerGamma = 0.57721566490153286
        #expect(abs(SpecialFunctions.digamma(1) + eulerGamma) < 1e-13)
        #expect(abs(SpecialFunctions.digamma(0.5) - (-eulerGamma - 2 * log(2))) < 1e-13)
        #expect(abs(SpecialFunctions.digamma(10) - (-eulerGamma + (1...9).reduce(0) { $0 + 1 / Double($1) })) < 1e-13)
    }

    /// The groups are the distinct combinations with their counts, ascending, whatever the order of
    /// the customers (what hashing whole combinations gave before grouping sorted; the fits read
    /// nothing else, so they are the same bits).
    @Test func groupsAreTheDistinctCombinationsInOrder() {
        var generator = SystemRandomNumberGenerator()
        let customers = Array(cdnow.values) + (0..<5000).map { _ in
            CustomerSummary(frequency: Double(Int.random(in: 0...9, using: &generator)), recency: Double(Int.random(in: 0...20, using: &generator)) / 7,
                            age: Double(Int.random(in: 20...40, using: &generator)) / 7, monetaryValue: Double(Int.random(in: 1...30, using: &generator)) / 4)
        }
        func distinct<Key: Hashable & Comparable>(_ keys: [Key]) -> [(Key, Double)] {
            Dictionary(keys.map { ($0, 1.0) }, uniquingKeysWith: +).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        }
        struct Triple: Hashable, Comparable {
            var x, t, age: Double
            static func < (l: Triple, r: Triple) -> Bool { (l.x, l.t, l.age) < (r.x, r.t, r.age) }
        }
        struct Pair: Hashable, Comparable {
            var x, m: Double
            static func < (l: Pair, r: Pair) -> Bool { (l.x, l.m) < (r.x, r.m) }
        }
        let histories = distinct(customers.map { Triple(x: $0.frequency, t: $0.recency, age: $0.age) })
        let spends = distinct(customers.filter { $0.frequency > 0 && $0.monetaryValue > 0 }.map { Pair(x: $0.frequency, m: $0.monetaryValue) })
        for input in [customers, customers.shuffled(), customers.reversed()] {
            let groups = RepeatBuyingGroups(input)
            let grouped = groups.counts.indices.map {
                (Triple(x: groups.frequencies[Int(groups.frequencyIndex[$0])], t: groups.recencies[Int(groups.recencyIndex[$0])],
                        age: groups.ages[Int(groups.ageIndex[$0])]), groups.counts[$0])
            }
            #expect(grouped.map(\.0) == histories.map(\.0) && grouped.map(\.1) == histories.map(\.1))
            let spendGroups = SpendGroups(input)
            let spent = spendGroups.counts.indices.map {
                (Pair(x: spendGroups.frequencies[Int(spendGroups.frequencyIndex[$0])], m: spendGroups.monetaryValues[$0]), spendGroups.counts[$0])
            }
            #expect(spent.map(\.0) == spends.map(\.0) && spent.map(\.1) == spends.map(\.1))
            #expect(spendGroups.logMonetaryValues == spendGroups.monetaryValues.map(log))
        }
    }

    @Test func compressionChangesNoLikelihood() {
        let customers = Array(cdnow.values)
        let groups = RepeatBuyingGroups(customers)
        #expect(groups.customers == 2357 && groups.count < 2357)
        let model = BGNBD(r: 0.3, alpha: 5, a: 0.8, b: 2.5)
        let point = [model.r, model.alpha, model.a, model.b].map(log)
        #expect(relative(BGNBD.logLikelihoodAndGradient(groups, logParameters: point).0, model.logLikelihood(customers)) < 1e-12)
        let spend = GammaGamma(p: 6, q: 4, gamma: 15)
        let direct = customers.filter { $0.frequency > 0 }.reduce(0) { $0 + spend.logLikelihood($1) }
        #expect(relative(GammaGamma.logLikelihoodAndGradient(SpendGroups(customers), logParameters: [6, 4, 15].map(log)).0, direct) < 1e-12)
    }

    @Test func bfgsFindsNelderMeadsOptimumOnCDNOW() {
        let customers = Array(cdnow.values)
        let fitted = BGNBD.fit(customers)
        #expect(fitted.method == "bfgs")
        let (_, simplexValue) = NelderMead.minimize({ p in
            -BGNBD(r: exp(p[0]), alpha: exp(p[1]), a: exp(p[2]), b: exp(p[3])).logLikelihood(customers)
        }, from: [0, 0, 0, 0])
        #expect(relative(fitted.logLikelihood, -simplexValue) <= 1e-6)
        #expect(fitted.logLikelihood >= -simplexValue - 1e-9 * simplexValue.magnitude, "BFGS is never worse than the simplex")

        let spend = GammaGamma.fit(customers)
        #expect(spend.method == "bfgs")
        let repeaters = customers.filter { $0.frequency > 0 }
        let (_, spendSimplex) = NelderMead.minimize({ v in
            let model = GammaGamma(p: exp(v[0]), q: exp(v[1]), gamma: exp(v[2]))
            return -repeaters.reduce(0) { $0 + model.logLikelihood($1) }
        }, from: [0, 0, 0])
        #expect(relative(spend.logLikelihood, -spendSimplex) <= 1e-6)
    }

    @Test func standardErrorsMatchLifetimesSummary() throws {
        let reference = LifetimesReference.cdnow
        for (fitted, expected) in [(BGNBD.fit(cdnow.values).parameters, reference.bgnbd), (GammaGamma.fit(cdnow.values).parameters, reference.gammaGamma)] {
            for estimate in fitted {
                let lifetimes = try #require(expected.parameters[estimate.name])
                #expect(relative(estimate.value, lifetimes.value) <= 1e-3, "\(estimate.name)")
                let se = try #require(estimate.standardError, "\(estimate.name) has a standard error")
                #expect(relative(se, lifetimes.standardError) <= 1e-3, "\(estimate.name): se \(se) vs \(lifetimes.standardError)")
                #expect(relative(try #require(estimate.lower95), lifetimes.lower95) <= 1e-3, "\(estimate.name)")
                #expect(relative(try #require(estimate.upper95), lifetimes.upper95) <= 1e-3, "\(estimate.name)")
            }
        }
    }

    @Test func chunkedSumsAreTheSameOnEveryRun() {
        // Enough rows for several chunks, so the sum runs on more than one thread.
        let values = (0..<200_000).map { sin(Double($0)) * 1e6 }
        let sum = { (parallel: Bool) in
            MaximumLikelihood.chunkedSum(count: values.count, width: 1, parallel: parallel) { range in [range.reduce(0) { $0 + values[$1] }] }[0]
        }
        let first = sum(true)
        let serial = stride(from: 0, to: values.count, by: 32_768).reduce(0.0) { total, start in
            total + (start..<min(values.count, start + 32_768)).reduce(0) { $0 + values[$1] }
        }
        #expect(first.bitPattern == serial.bitPattern)
        #expect(sum(false).bitPattern == first.bitPattern)
        for _ in 0..<5 { #expect(sum(true).bitPattern == first.bitPattern) }
    }

    @Test func aDegenerateSampleStillGivesAFitWithoutStandardErrors() {
        // Every customer alike: the dropout parameters are not identified.
        let fitted = BGNBD.fit(Array(repeating: CustomerSummary(frequency: 2, recency: 10, age: 20), count: 50))
        #expect(fitted.logLikelihood.isFinite)
        #expect(fitted.parameters.count == 4)
    }
}
