// Seeded bootstrap intervals for the three estimators at once: 1,000 resamples of a million
// rounds in a second or two, because no resample is materialised. Each resample gives round i a
// Poisson(1) count k_i (the Poisson bootstrap: Hanley & MacGibbon 2006; it tends to the
// multinomial one as n grows) and sums k_i, k_i w_i, k_i w_i r_i and k_i d_i over flat columns;
// every estimator is a ratio of two of those sums. Rounds are walked in cache-sized blocks with
// all of a thread's resamples per block, and each resample draws from its own generator, seeded
// from `seed`, so the intervals are the same bits whatever the number of threads.
import Dispatch
import Random

public struct Bootstrap: Sendable {
    public var resamples: Int
    public var seed: UInt64
    /// Threads to share the resamples (the answer does not depend on it).
    public var threads: Int

    public init(resamples: Int = 1000, seed: UInt64 = 1, threads: Int = 2) {
        precondition(resamples > 0, "at least one resample")
        self.resamples = resamples
        self.seed = seed
        self.threads = max(threads, 1)
    }

    /// Each estimator's estimate on the whole log and its percentile interval at `level`; DR only
    /// when the log has the reward model's parts, SNIPS only when some weight is positive.
    public func intervals(_ log: BanditLog, level: Double = 0.95) -> [OffPolicyEstimator: IntervalEstimate] {
        let replicates = self.replicates(log)
        var result: [OffPolicyEstimator: IntervalEstimate] = [:]
        for (index, estimator) in OffPolicyEstimator.allCases.enumerated() {
            guard let estimate = estimator.estimate(log) else { continue }
            let values = (0..<resamples).map { replicates[$0 * 3 + index] }.filter(\.isFinite).sorted()
            guard !values.isEmpty else { continue }
            result[estimator] = IntervalEstimate(estimate: estimate, low: Self.quantile(values, (1 - level) / 2),
                                                 high: Self.quantile(values, (1 + level) / 2))
        }
        return result
    }

    /// The estimators on each resample: IPS, SNIPS, DR of resample b at [3b], [3b+1], [3b+2].
    func replicates(_ log: BanditLog) -> [Double] {
        // Per round, interleaved: (1, w, w·r, DR's term), so a resample's four sums are one vector sum.
        // Without a reward model the DR lane holds w·r, and its replicates are not read.
        let rounds = (0..<log.count).map { i in
            let weighted = log.weights[i] * log.rewards[i]
            return SIMD4(1, log.weights[i], weighted, log.hasRewardModel ? OffPolicyEstimator.dr.term(log, i) : weighted)
        }
        var master = SeededRandom(seed: seed)
        let seeds = (0..<resamples).map { _ in master.next() }
        var sums = [SIMD4<Double>](repeating: .zero, count: resamples)  // Σk, Σkw, Σkwr, Σkd per resample
        let threads = min(self.threads, resamples)
        sums.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let output = buffer
            DispatchQueue.concurrentPerform(iterations: threads) { thread in
                let mine = (resamples * thread / threads)..<(resamples * (thread + 1) / threads)
                Self.accumulate(rounds, seeds: seeds[mine], into: output, at: mine.lowerBound)
            }
        }
        var replicates = [Double](repeating: 0, count: resamples * 3)
        for b in 0..<resamples {
            let (k, w, wr, d) = (sums[b][0], sums[b][1], sums[b][2], sums[b][3])
            replicates[3 * b] = wr / k
            replicates[3 * b + 1] = wr / w
            replicates[3 * b + 2] = d / k
        }
        return replicates
    }

    /// Rounds per block: three per 64-bit draw, and the block's columns stay in L2 across resamples.
    static let blockRounds = 3 * 2048

    private static func accumulate(_ rounds: [SIMD4<Double>], seeds: ArraySlice<UInt64>,
                                   into sums: UnsafeMutableBufferPointer<SIMD4<Double>>, at first: Int) {
        var generators = seeds.map { SeededRandom(seed: $0) }
        let n = rounds.count
        poissonTable.withUnsafeBufferPointer { table in
            rounds.withUnsafeBufferPointer { r in
                var start = 0
                while start < n {
                    let end = min(start + blockRounds, n)
                    for j in generators.indices {
                        var generator = generators[j]
                        var sum = SIMD4<Double>.zero
                        var i = start
                        while i + 3 <= end {
                            let x = generator.next()
                            let k0: Double = poisson(x, table), k1: Double = poisson(x >> 21, table), k2: Double = poisson(x >> 42, table)
                            sum += k0 * r[i]
                            sum += k1 * r[i + 1]
                            sum += k2 * r[i + 2]
                            i += 3
                        }
                        if i < end {  // the last one or two rounds of the log
                            var x = generator.next()
                            while i < end {
                                sum += poisson(x, table) * r[i]
                                x >>= 21
                                i += 1
                            }
                        }
                        generators[j] = generator
                        sums[first + j] += sum
                    }
                    start = end
                }
            }
        }
    }

    /// P(K ≤ j)·2²¹ rounded, j = 0…8, for K ~ Poisson(1).
    static let poissonThresholds: [UInt64] = [771_499, 1_542_998, 1_928_748, 2_057_331, 2_089_477, 2_095_906, 2_096_977, 2_097_131, 2_097_150]
    /// The count for each of 256 equal slices of the 21 bits, or 255 where a threshold cuts the slice.
    static let poissonTable: [UInt8] = (0..<256).map { slice -> UInt8 in
        let first = UInt64(slice) << 13, last = first + (1 << 13) - 1
        let low = poissonThresholds.filter { $0 <= first }.count, high = poissonThresholds.filter { $0 <= last }.count
        return low == high ? UInt8(low) : 255
    }

    /// A Poisson(1) count from the low 21 bits of `bits` by inverting its distribution function:
    /// a table of the top 8 bits decides 251 slices in 256, the thresholds the rest; a count above 9
    /// (probability 1.1e-7) counts 9.
    @inline(__always)
    static func poisson(_ bits: UInt64, _ table: UnsafeBufferPointer<UInt8>) -> Double {
        let u = bits & 0x1F_FFFF
        let k = table[Int(u >> 13)]
        if k != 255 { return Double(k) }
        var count = 0
        for threshold in poissonThresholds where u >= threshold { count += 1 }
        return Double(count)
    }

    /// The q-quantile of sorted values, interpolating linearly between order statistics (numpy's default).
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let below = Int(position.rounded(.down)), above = min(below + 1, sorted.count - 1)
        return sorted[below] + (position - Double(below)) * (sorted[above] - sorted[below])
    }
}
