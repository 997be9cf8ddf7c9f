// Customers compressed to what each likelihood reads: BG/NBD depends only on (x, t_x, T) and
// Gamma-Gamma only on (x, m̄), and at bank scale many customers share them (daily dates give a
// few hundred distinct recencies and ages). Each distinct value of x, t_x and T is kept once, so a
// likelihood evaluation computes lnΓ and ψ per distinct x and ln(α + t) per distinct t, not per
// customer. Groups are sorted, so sums run in the same order on every run.
//
// Grouping sorts instead of hashing whole combinations: a million customers make ~650,000
// distinct (x, t_x, T), and a hash table that size spent 0.76 s in cache misses. Each coordinate
// has few distinct values (a small table ranks them), and customers go into one bucket per x,
// where their other coordinates, packed in one integer, sort and are counted in runs.
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
        let all = Array(summaries)
        customers = all.count
        let x = Ranked(all.map(\.frequency)), t = Ranked(all.map(\.recency)), age = Ranked(all.map(\.age))
        (frequencies, recencies, ages) = (x.values, t.values, age.values)
        let keys = all.indices.map { UInt64(UInt32(t.ranks[$0])) << 32 | UInt64(UInt32(age.ranks[$0])) }
        Ranked.runs(of: keys, byRank: x) { xi, key, count in
            frequencyIndex.append(xi)
            recencyIndex.append(Int32(key >> 32))
            ageIndex.append(Int32(truncatingIfNeeded: key))
            counts.append(Double(count))
        }
    }

    /// Distinct (x, t_x, T) combinations.
    public var count: Int { counts.count }
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
        let repeaters = summaries.filter { $0.frequency > 0 && $0.monetaryValue > 0 }
        customers = repeaters.count
        let x = Ranked(repeaters.map(\.frequency))
        frequencies = x.values
        // A positive double's bits sort as the double does.
        Ranked.runs(of: repeaters.map(\.monetaryValue.bitPattern), byRank: x) { xi, bits, count in
            let m = Double(bitPattern: bits)
            frequencyIndex.append(xi)
            monetaryValues.append(m)
            logMonetaryValues.append(log(m))
            counts.append(Double(count))
        }
    }

    public var count: Int { counts.count }
}

/// One coordinate's distinct values, ascending, and each customer's position among them.
struct Ranked {
    var values: [Double] = []
    var ranks: [Int32] = []

    init(_ coordinate: [Double]) {
        // Ids in order of first sight, then renumbered by value.
        var ids: [Double: Int32] = [:]
        var seen: [Double] = []
        let firstSight = coordinate.map { value in
            if let id = ids[value] { return id }
            ids[value] = Int32(seen.count)
            seen.append(value)
            return Int32(seen.count - 1)
        }
        let order = seen.indices.sorted { seen[$0] < seen[$1] }
        var rankOfID = [Int32](repeating: 0, count: seen.count)
        for (rank, id) in order.enumerated() { rankOfID[id] = Int32(rank) }
        values = order.map { seen[$0] }
        ranks = firstSight.map { rankOfID[Int($0)] }
    }

    /// Runs of equal (rank, key) over customers (`keys` per customer, in the order ranked), in
    /// ascending order: `body(rank, key, customers)` once per distinct pair.
    static func runs(of keys: [UInt64], byRank ranked: Ranked, _ body: (Int32, UInt64, Int) -> Void) {
        var buckets = [[UInt64]](repeating: [], count: ranked.values.count)
        for (i, key) in keys.enumerated() { buckets[Int(ranked.ranks[i])].append(key) }
        for (rank, var bucket) in buckets.enumerated() {
            bucket.sort()
            var start = 0
            while start < bucket.count {
                var end = start + 1
                while end < bucket.count && bucket[end] == bucket[start] { end += 1 }
                body(Int32(rank), bucket[start], end - start)
                start = end
            }
        }
    }
}
