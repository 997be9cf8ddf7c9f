// The estimators against the published formulas worked by hand, and the bootstrap's promises:
// the same seed gives the same bits whatever the threads, and its Poisson counts are Poisson(1).
import Foundation
@testable import OffPolicyEvaluation
import Random
import Testing

struct EstimatorTests {
    /// Four rounds, two actions; the target plays action 1 with 0.8 everywhere.
    static let rounds = [
        LoggedRound(action: 0, propensity: 0.5, reward: 1, targetProbability: 0.2, targetDistribution: [0.2, 0.8], rewardPredictions: [0.6, 0.3]),
        LoggedRound(action: 1, propensity: 0.5, reward: 0, targetProbability: 0.8, targetDistribution: [0.2, 0.8], rewardPredictions: [0.6, 0.3]),
        LoggedRound(action: 1, propensity: 0.25, reward: 1, targetProbability: 0.8, targetDistribution: [0.2, 0.8], rewardPredictions: [0.5, 0.4]),
        LoggedRound(action: 0, propensity: 0.75, reward: 0, targetProbability: 0.2, targetDistribution: [0.2, 0.8], rewardPredictions: [0.5, 0.4]),
    ]

    @Test func theEstimatesAreThePublishedFormulasWorkedByHand() throws {
        let log = BanditLog(Self.rounds)
        // w = 0.4, 1.6, 3.2, 0.2667; w·r = 0.4, 0, 3.2, 0
        let ips = (0.4 + 3.2) / 4
        let snips = (0.4 + 3.2) / (0.4 + 1.6 + 3.2 + 0.2 / 0.75)
        // d = 0.2·0.6 + 0.8·0.3 = 0.36 (rounds 1, 2), 0.2·0.5 + 0.8·0.4 = 0.42 (rounds 3, 4)
        let dr = ((0.36 + 0.4 * (1 - 0.6)) + (0.36 + 1.6 * (0 - 0.3)) + (0.42 + 3.2 * (1 - 0.4)) + (0.42 + 0.2 / 0.75 * (0 - 0.5))) / 4
        #expect(abs(try #require(OffPolicyEstimator.ips.estimate(log)) - ips) < 1e-12)
        #expect(abs(try #require(OffPolicyEstimator.snips.estimate(log)) - snips) < 1e-12)
        #expect(abs(try #require(OffPolicyEstimator.dr.estimate(log)) - dr) < 1e-12)
        // Without the model's parts, DR has no estimate; IPS is unchanged.
        let bare = BanditLog(Self.rounds.map { LoggedRound(action: $0.action, propensity: $0.propensity, reward: $0.reward, targetProbability: $0.targetProbability) })
        #expect(OffPolicyEstimator.dr.estimate(bare) == nil)
        #expect(OffPolicyEstimator.ips.estimate(bare) == OffPolicyEstimator.ips.estimate(log))
    }

    @Test func theSameSeedGivesTheSameIntervalBitsWhateverTheThreads() throws {
        let log = BanditLog((0..<3_001).map { Self.rounds[$0 % 4] })
        let one = Bootstrap(resamples: 101, seed: 7, threads: 1).intervals(log)
        let two = Bootstrap(resamples: 101, seed: 7, threads: 2).intervals(log)
        let other = Bootstrap(resamples: 101, seed: 8, threads: 2).intervals(log)
        #expect(one.count == 3 && one == two)
        #expect(one[.ips] != other[.ips])
        let ips = try #require(one[.ips])
        #expect(ips.low < ips.estimate && ips.estimate < ips.high)
    }

    @Test func theBootstrapCountsArePoissonOfMeanOne() {
        var random = SeededRandom(seed: 3)
        var frequencies = [Int](repeating: 0, count: 10)
        let draws = 300_000
        for _ in 0..<(draws / 3) {
            let x = random.next()
            Bootstrap.poissonTable.withUnsafeBufferPointer { table in
                for shift in [0, 21, 42] { frequencies[Int(Bootstrap.poisson(x >> UInt64(shift), table))] += 1 }
            }
        }
        var factorial = 1.0
        for k in 0..<7 {
            if k > 0 { factorial *= Double(k) }
            let expected = Double(draws) * exp(-1) / factorial
            // Within five standard deviations of the binomial count.
            #expect(abs(Double(frequencies[k]) - expected) < 5 * expected.squareRoot() + 1, "k = \(k): \(frequencies[k]) against \(expected)")
        }
    }
}
