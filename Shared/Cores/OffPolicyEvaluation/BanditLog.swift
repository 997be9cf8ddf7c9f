// Logged bandit feedback as the estimators read it: one round per logged action, kept as flat
// columns of numbers (a million rounds are a few arrays of Doubles, not a million objects).

/// One logged round: what the logging policy did, with what probability, and what came back,
/// plus what the policy under evaluation would have done.
public struct LoggedRound: Sendable {
    /// The logged action's index (into `targetDistribution` and `rewardPredictions`).
    public var action: Int
    /// μ(a_i | x_i): the logging policy's probability of the logged action, in (0, 1].
    public var propensity: Double
    public var reward: Double
    /// π(a_i | x_i): the evaluation policy's probability of the logged action, in [0, 1].
    public var targetProbability: Double
    /// π(a | x_i) for every action a, for the doubly robust estimator.
    public var targetDistribution: [Double]?
    /// r̂(x_i, a) for every action a: the reward model's prediction, for the doubly robust estimator.
    public var rewardPredictions: [Double]?

    public init(action: Int, propensity: Double, reward: Double, targetProbability: Double,
                targetDistribution: [Double]? = nil, rewardPredictions: [Double]? = nil) {
        self.action = action
        self.propensity = propensity
        self.reward = reward
        self.targetProbability = targetProbability
        self.targetDistribution = targetDistribution
        self.rewardPredictions = rewardPredictions
    }
}

/// The rounds, reduced to the per-round numbers the three estimators need:
/// w_i = π(a_i|x_i) / μ(a_i|x_i), r_i, and for DR d_i = Σ_a π(a|x_i) r̂(x_i, a) and r̂(x_i, a_i).
public struct BanditLog: Sendable {
    public private(set) var weights: [Double] = []
    public private(set) var rewards: [Double] = []
    /// d_i, the direct method's term; empty unless every round brought the model's parts.
    public private(set) var directTerms: [Double] = []
    /// r̂(x_i, a_i); as `directTerms`.
    public private(set) var modelRewards: [Double] = []
    private var roundsWithoutModel = 0

    public init() {}

    public init<Rounds: Sequence>(_ rounds: Rounds) where Rounds.Element == LoggedRound {
        self.init()
        for round in rounds { append(round) }
    }

    public var count: Int { weights.count }
    /// Whether the doubly robust estimator can be computed: every round has the model's parts.
    public var hasRewardModel: Bool { roundsWithoutModel == 0 && !weights.isEmpty }

    public mutating func reserveCapacity(_ n: Int) {
        weights.reserveCapacity(n)
        rewards.reserveCapacity(n)
    }

    public mutating func append(_ round: LoggedRound) {
        guard let distribution = round.targetDistribution, let predictions = round.rewardPredictions else {
            append(propensity: round.propensity, targetProbability: round.targetProbability, reward: round.reward)
            return
        }
        precondition(distribution.count == predictions.count && predictions.indices.contains(round.action),
                     "one target probability and one prediction per action, the logged action among them")
        let direct = zip(distribution, predictions).reduce(0) { $0 + $1.0 * $1.1 }
        append(propensity: round.propensity, targetProbability: round.targetProbability, reward: round.reward,
               model: (direct: direct, logged: predictions[round.action]))
    }

    /// The same, with the DR parts already reduced: `model.direct` = Σ_a π(a|x_i) r̂(x_i, a),
    /// `model.logged` = r̂(x_i, a_i).
    public mutating func append(propensity: Double, targetProbability: Double, reward: Double,
                                model: (direct: Double, logged: Double)? = nil) {
        precondition(propensity > 0, "a logged action has a positive propensity")
        weights.append(targetProbability / propensity)
        rewards.append(reward)
        if let model, roundsWithoutModel == 0 {
            directTerms.append(model.direct)
            modelRewards.append(model.logged)
        } else if model == nil {
            roundsWithoutModel += 1
            directTerms = []
            modelRewards = []
        }
    }

    /// (Σw)² / Σw²: how many on-policy rounds the weighted log is worth.
    public var effectiveSampleSize: Double {
        let total = weights.reduce(0, +), squares = weights.reduce(0) { $0 + $1 * $1 }
        return squares > 0 ? total * total / squares : 0
    }

    /// The logging policy's own mean reward.
    public var loggedMeanReward: Double { rewards.isEmpty ? 0 : rewards.reduce(0, +) / Double(rewards.count) }
}
