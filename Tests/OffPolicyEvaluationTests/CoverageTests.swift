// The intervals' promise on synthetic logs with a known truth: over 200 seeded logs of 10,000
// rounds, each estimator's 95% bootstrap interval covers the evaluation policy's true mean reward
// at least 90% of the time — and IPS told a wrong propensity does not, so the check can fail.
// (Fewer resamples than the command's 1,000, for a debug build's speed; scripts/bench-evaluate
// runs the command itself.)
import OffPolicyEvaluation
import Random
import Testing

struct CoverageTests {
    /// Four contexts (equally likely), four actions; P(reward) per context and action.
    static let response: [[Double]] = [[0.10, 0.04, 0.06, 0.02], [0.05, 0.08, 0.07, 0.06], [0.03, 0.02, 0.12, 0.05], [0.02, 0.01, 0.08, 0.10]]
    static let logging: [[Double]] = [[0.4, 0.3, 0.2, 0.1], [0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25], [0.3, 0.3, 0.2, 0.2]]
    static let target: [[Double]] = [[0.7, 0.1, 0.1, 0.1], [0.1, 0.6, 0.2, 0.1], [0.1, 0.1, 0.7, 0.1], [0.05, 0.05, 0.2, 0.7]]
    static let truth = (0..<4).reduce(0.0) { sum, x in sum + 0.25 * (0..<4).reduce(0.0) { $0 + target[x][$1] * response[x][$1] } }

    /// A log of `rounds` rounds from `seed`; `claimedPropensity` replaces the logged propensity (a wrong log).
    static func log(rounds: Int, seed: UInt64, claimedPropensity: Double? = nil) -> BanditLog {
        var random = SeededRandom(seed: seed)
        var rows: [(context: Int32, action: Int32, reward: Double)] = []
        var model = MeanRewardModel()
        for _ in 0..<rounds {
            let x = Int(random.next() % 4)
            var u = random.unit(), a = 0
            while a < 3 && u >= logging[x][a] { u -= logging[x][a]; a += 1 }
            let reward: Double = random.unit() < response[x][a] ? 1 : 0
            rows.append((Int32(x), Int32(a), reward))
            model.add(action: Int32(a), position: 0, context: Int32(x), reward: reward)
        }
        var log = BanditLog()
        for row in rows {
            let (x, a) = (Int(row.context), Int(row.action))
            let predictions = (0..<4).map { model.predict(action: Int32($0), position: 0, context: row.context) }
            log.append(LoggedRound(action: a, propensity: claimedPropensity ?? logging[x][a], reward: row.reward, targetProbability: target[x][a],
                                   targetDistribution: target[x], rewardPredictions: predictions))
        }
        return log
    }

    static func coverage(claimedPropensity: Double? = nil) -> [OffPolicyEstimator: Int] {
        var covered: [OffPolicyEstimator: Int] = [:]
        for repeat_ in 0..<200 {
            let log = log(rounds: 10_000, seed: UInt64(repeat_) + 1, claimedPropensity: claimedPropensity)
            for (estimator, interval) in Bootstrap(resamples: 100, seed: UInt64(repeat_) + 1).intervals(log) where interval.covers(truth) {
                covered[estimator, default: 0] += 1
            }
        }
        return covered
    }

    @Test func theIntervalsCoverTheTruthInAtLeast90PercentOf200Logs() {
        let covered = Self.coverage()
        for estimator in OffPolicyEstimator.allCases {
            #expect(covered[estimator, default: 0] >= 180, "\(estimator) covered the truth \(covered[estimator, default: 0]) times of 200")
        }
    }

    @Test func ipsToldAWrongPropensityIsCaught() {
        // The log claims every action had probability 0.5 (say, P(shown) of a two-slot page, not
        // P(chosen)): the weights, and the estimate, come out about half of what they should.
        let covered = Self.coverage(claimedPropensity: 0.5)
        #expect(covered[.ips, default: 0] < 20, "IPS with the wrong propensity covered the truth \(covered[.ips, default: 0]) times of 200")
    }
}
