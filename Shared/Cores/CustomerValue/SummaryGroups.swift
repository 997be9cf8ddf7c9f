// Customers compressed to what each likelihood reads: BG/NBD depends only on (x, t_x, T) and
// Gamma-Gamma only on (x, m̄), and at bank scale many customers share them (daily dates give a
// few hundred distinct recencies and ages). Each distinct value of x, t_x and T is kept once, so a
// likelihood evaluation computes lnΓ and ψ per distinct x and ln(α + t) per distinct t, not per
// customer. Rows are sorted, so sums run in the same order on every run.
import Foundation

/// Customers grouped by identical (frequency, recency, age), for BG/NBD.
public struct RepeatBuyingGroups: Sendable {
    /// Distinct frequencies, recencies and ages, ascending.
    var frequencies: [Double] = [], recencies: [Double] = [], ages: [Double] = []
    /// Per group: indices into the three lists, and how many customers share it.
    var frequencyIndex: [Int32] = [], recencyIndex: [Int32] = [], ageIndex: [Int32] = []
    var counts: [Double] = []
    public private(set) var customers = 0

    public init(_ summaries: some Sequence<CustomerSummary>) {
        var groups: [Key: Int] = [:]
        for c in summaries {
            groups[Key(c.frequency, c.recency, c.age), default: 0] += 1
            customers += 1
        }
        let keys = groups.keys.sorted()
        frequencies = Set(keys.map(\.x)).sorted()
        recencies = Set(keys.map(\.tx)).sorted()
        ages = Set(keys.map(\.t)).sorted()
        let (xi, ti, ai) = (Self.positions(frequencies), Self.positions(recencies), Self.positions(ages))
        for key in keys {
            frequencyIndex.append(xi[key.x]!)
            recencyIndex.append(ti[key.tx]!)
            ageIndex.append(ai[key.t]!)
            counts.append(Double(groups[key]!))
        }
    }

    /// Distinct (x, t_x, T) combinations.
    public var count: Int { counts.count }

    static func positions(_ values: [Double]) -> [Double: Int32] {
        Dictionary(uniqueKeysWithValues: values.enumerated().map { ($1, Int32($0)) })
    }

    struct Key: Hashable, Comparable {
        var x, tx, t: Double
        init(_ x: Double, _ tx: Double, _ t: Double) { (self.x, self.tx, self.t) = (x, tx, t) }
        static func < (l: Key, r: Key) -> Bool { (l.x, l.tx, l.t) < (r.x, r.tx, r.t) }
    }
}

/// Repeat customers grouped by identical (frequency, mean repeat spend), for Gamma-Gamma.
public struct SpendGroups: Sendable {
    var frequencies: [Double] = []
    var frequencyIndex: [Int32] = []
    var monetaryValues: [Double] = [], logMonetaryValues: [Double] = []
    var counts: [Double] = []
    public private(set) var customers = 0

    /// Only customers with repeat purchases and a positive mean spend count.
    public init(_ summaries: some Sequence<CustomerSummary>) {
        var groups: [Pair: Int] = [:]
        for c in summaries where c.frequency > 0 && c.monetaryValue > 0 {
            groups[Pair(x: c.frequency, m: c.monetaryValue), default: 0] += 1
            customers += 1
        }
        let keys = groups.keys.sorted()
        frequencies = Set(keys.map(\.x)).sorted()
        let xi = RepeatBuyingGroups.positions(frequencies)
        for key in keys {
            frequencyIndex.append(xi[key.x]!)
            monetaryValues.append(key.m)
            logMonetaryValues.append(log(key.m))
            counts.append(Double(groups[key]!))
        }
    }

    public var count: Int { counts.count }

    struct Pair: Hashable, Comparable {
        var x, m: Double
        static func < (l: Pair, r: Pair) -> Bool { (l.x, l.m) < (r.x, r.m) }
    }
}
