// Lift and off-policy estimates: against hand-computed figures, from decision records as the
// service logs them, and — where the truth is known — in the simulated world of the scoring issue.
import DecisionCore
import Effectiveness
import Foundation
import Random
import ScoringCore
import Simulation
import Testing
import Wire

struct LiftTests {
    @Test func liftAndItsIntervalAsComputedByHand() throws {
        // 30 of 200 treated responded, 5 of 100 in control: 0.15 − 0.05 = 0.10,
        // SE = √(0.15·0.85/200 + 0.05·0.95/100) = √0.0011125 = 0.0333542, CI = 0.10 ± 1.96·SE.
        let lift = LiftEstimate(treated: 200, treatedResponses: 30, control: 100, controlResponses: 5)
        #expect(abs(try #require(lift.lift) - 0.10) < 1e-12)
        #expect(abs(try #require(lift.standardError) - 0.0333542) < 1e-7)
        let interval = try #require(lift.interval)
        #expect(abs(interval.lowerBound - 0.0346270) < 1e-6 && abs(interval.upperBound - 0.1653730) < 1e-6)
        #expect(LiftEstimate(treated: 10, treatedResponses: 1, control: 0, controlResponses: 0).lift == nil)
    }

    @Test func offPolicyEstimatesAsComputedByHand() throws {
        // Two decisions over the same two candidates: a (logged 0.9, model 0.2), b (0.1, 0.5).
        let candidates = [LoggedChoice.Alternative(offerID: "a", loggingProbability: 0.9, modelPropensity: 0.2),
                          LoggedChoice.Alternative(offerID: "b", loggingProbability: 0.1, modelPropensity: 0.5)]
        let choices = [LoggedChoice(candidates: candidates, chosen: 1, reward: 1), LoggedChoice(candidates: candidates, chosen: 0, reward: 0)]
        func value(_ policy: TargetPolicy, _ estimator: Estimator) throws -> Double {
            try #require(OffPolicy.estimate(choices, policy: policy, estimator: estimator)).value
        }
        let expected: [(TargetPolicy, Estimator, Double)] = [
            // Uniform: w = 0.5/0.1 = 5 and 0.5/0.9; direct part 0.5·0.2 + 0.5·0.5 = 0.35.
            (.uniformRandom, .ips, 2.5), (.uniformRandom, .snips, 5 / (5 + 0.5 / 0.9)),
            (.uniformRandom, .doublyRobust, ((0.35 + 5 * 0.5) + (0.35 - 0.5 / 0.9 * 0.2)) / 2),
            // Greedy by the model picks b: w = 10 and 0.
            (.greedyByModel, .ips, 5), (.greedyByModel, .snips, 1), (.greedyByModel, .doublyRobust, ((0.5 + 10 * 0.5) + 0.5) / 2),
            // Without exploration the running policy picks a: w = 0 and 1/0.9.
            (.runningWithoutExploration, .ips, 0), (.runningWithoutExploration, .snips, 0),
            (.runningWithoutExploration, .doublyRobust, (0.2 + (0.2 - 0.2 / 0.9)) / 2),
        ]
        for (policy, estimator, truth) in expected {
            #expect(abs(try value(policy, estimator) - truth) < 1e-12, "\(policy) \(estimator)")
        }
    }
}

struct EffectivenessReportTests {
    @Test func estimatesFromTooFewDecisionsOrOutsideZeroToOneAreFlagged() throws {
        // The hand-computed pair above: IPS of the greedy policy is 5 (a rate of 500 %) from 2 decisions.
        let candidates = [LoggedChoice.Alternative(offerID: "a", loggingProbability: 0.9, modelPropensity: 0.2),
                          LoggedChoice.Alternative(offerID: "b", loggingProbability: 0.1, modelPropensity: 0.5)]
        let pair = [LoggedChoice(candidates: candidates, chosen: 1, reward: 1), LoggedChoice(candidates: candidates, chosen: 0, reward: 0)]
        let ips = try #require(OffPolicy.estimate(pair, policy: .greedyByModel, estimator: .ips))
        #expect(ips.tooFew && ips.unstable && ips.clipped.value == 1 && ips.clipped.interval.upperBound <= 1 && ips.clipped.interval.lowerBound >= 0)
        // Weights 10 and 0: (Σw)²/Σw² = 100/100 = 1 decision's worth.
        #expect(abs(ips.effectiveSampleSize - 1) < 1e-12)
        // 60 decisions, but only 6 of them matching the target: the effective sample is 6, too few.
        let many = (0..<60).map { LoggedChoice(candidates: candidates, chosen: $0 % 10 == 0 ? 1 : 0, reward: $0 % 20 == 0 ? 1 : 0) }
        let greedy = try #require(OffPolicy.estimate(many, policy: .greedyByModel, estimator: .snips))
        #expect(greedy.decisions == 60 && abs(greedy.effectiveSampleSize - 6) < 1e-9 && greedy.tooFew)
        // On policy, 60 decisions are enough, and a rate within [0, 1] is stable.
        let logged = try #require(OffPolicy.logged(many))
        #expect(!logged.tooFew && !logged.unstable && logged.effectiveSampleSize == 60)
        // Lift: the smaller group decides.
        #expect(LiftEstimate(treated: 200, treatedResponses: 30, control: 12, controlResponses: 1).tooFew == 12)
        #expect(LiftEstimate(treated: 200, treatedResponses: 30, control: 100, controlResponses: 5).tooFew == nil)
    }

    static func record(_ id: String, _ channel: Channel, segment: String, shown: [String] = [], heldOut: [String] = []) -> DecisionRecord {
        DecisionRecord.with {
            $0.decisionID = id
            $0.channel = channel
            $0.segment = segment
            $0.control = !heldOut.isEmpty
            $0.offers = shown.map { offer in OfferChoice.with { $0.offerID = offer; $0.probability = 1 } }
            $0.heldOut = heldOut.map { offer in OfferChoice.with { $0.offerID = offer } }
            $0.candidates = shown.map { offer in CandidateRecord.with { $0.offerID = offer; $0.kept = true; $0.firstSlotProbability = 1; $0.propensity = 0.1 } }
        }
    }

    static func events(_ outcomes: [(String, String, OutcomeType, Double)]) -> [OutcomeEvent] {
        outcomes.enumerated().map { index, outcome in
            OutcomeEvent.with {
                $0.sequence = UInt64(index + 1)
                $0.outcome = .with { $0.decisionID = outcome.0; $0.offerID = outcome.1; $0.type = outcome.2; $0.amount = outcome.3 }
            }
        }
    }

    @Test func rowsCountDecisionsResponsesRevenueAndLiftFromTheLog() throws {
        let decisions = [
            Self.record("d1", .web, segment: "gold", shown: ["card", "loan"]),
            Self.record("d2", .web, segment: "gold", shown: ["card"]),
            Self.record("d3", .atm, segment: "silver", shown: ["card"]),
            Self.record("c1", .web, segment: "gold", heldOut: ["card"]),
            Self.record("c2", .atm, segment: "silver", heldOut: ["card"]),
        ]
        let outcomes = Self.events([
            ("d1", "card", .impression, 0), ("d1", "card", .accept, 0), ("d1", "card", .purchase, 120), ("d1", "loan", .decline, 0),
            ("d2", "card", .impression, 0), ("d3", "card", .purchase, 80), ("c1", "card", .purchase, 50),
        ])
        let report = EffectivenessReport(decisions: decisions, outcomes: outcomes, by: [.offer])
        let card = try #require(report.rows.first { $0.key[.offer] == "card" })
        // Shown in d1, d2, d3; responses in d1 (accept and purchase: once) and d3; held back in c1 (bought anyway) and c2.
        #expect(card.decisions == 3 && card.impressions == 2 && card.responses == 2 && card.revenue == 200)
        #expect(card.lift.treated == 3 && card.lift.control == 2 && card.lift.controlResponses == 1)
        #expect(abs(try #require(card.lift.lift) - (2.0 / 3 - 0.5)) < 1e-12)
        let loan = try #require(report.rows.first { $0.key[.offer] == "loan" })
        #expect(loan.decisions == 1 && loan.responses == 0 && loan.lift.lift == nil)
        #expect(report.overall.decisions == 3 && report.overall.lift.treated == 4 && report.overall.responses == 2)

        let detailed = EffectivenessReport(decisions: decisions, outcomes: outcomes, by: [.offer, .channel, .segment])
        #expect(detailed.rows.map { "\($0.key[.offer]!)/\($0.key[.channel]!)/\($0.key[.segment]!)" } == ["card/atm/silver", "card/web/gold", "loan/web/gold"])
        let webCard = detailed.rows[1]
        #expect(webCard.lift.treated == 2 && webCard.lift.treatedResponses == 1 && webCard.lift.control == 1 && webCard.lift.controlResponses == 1)
        // Every treated decision's first slot is a logged choice; the running policy's mean is its response rate.
        let logged = try #require(report.policies.first)
        #expect(logged.estimate.decisions == 3 && abs(logged.estimate.value - 2.0 / 3) < 1e-12)
    }
}

/// The estimator check: a policy like the running one (by priority = the online model's
/// propensity × the offer's value, exploring as the catalog says) decides in the simulated world, whose true acceptance
/// probabilities are known, and logs what the decision service logs; the estimates of each target
/// policy must cover its true value.
struct EstimatorCheckTests {
    struct Simulation {
        var choices: [LoggedChoice] = []
        /// Per target policy, its true expected response rate over the same arrivals.
        var truth: [TargetPolicy: Double] = [:]
    }

    static func simulate(seed: UInt64, rounds: Int, offers: Int = 8, exploration: Exploration = .epsilonGreedy(0.1)) throws -> Simulation {
        let world = SimulatedWorld(seed: seed, customers: 2_000, offers: offers)
        var random = SeededRandom(seed: seed &+ 1)
        var model = ScoringModel()
        var simulation = Simulation()
        var truth: [TargetPolicy: Double] = [:]
        let values = (0..<offers).map { Double(1 + ($0 * 5) % 4) }
        let candidates = world.offerIDs.map { CandidateOffer($0, prior: 0.05) }
        for round in 0..<rounds {
            let arrival = world.arrive(using: &random)
            let scores = try model.score(arrival.features, candidates, using: &random)
            let means = scores.map(\.mean)
            // The running policy ranks by priority = propensity × value, as the sample catalog does,
            // and explores as the decision strategy does.
            let ranked = means.indices.sorted { means[$0] * values[$0] > means[$1] * values[$1] }
            let chances = exploration.probabilities(
                priorities: ranked.map { means[$0] * values[$0] },
                spreads: ranked.map { values[$0] * Exploration.spread(mean: means[$0], logitVariance: scores[$0].logitVariance) })
            var probabilities = [Double](repeating: 0, count: offers)
            for (rank, offer) in ranked.enumerated() { probabilities[offer] = chances[rank] }
            let chosen = ranked[Exploration.draw(chances, unit: random.unit())]
            let accept = (0..<offers).map { world.acceptance(arrival, offer: $0) }
            let reward: Double = random.unit() < accept[chosen] ? 1 : 0
            _ = try model.apply(UInt64(round + 1), LearningExample(offerID: world.offerIDs[chosen], features: arrival.features.names,
                                                                    label: reward == 1, prior: 0.05))
            // Logged as the decision service logs it: the probabilities and the model's propensities of that moment.
            let choice = LoggedChoice(candidates: (0..<offers).map {
                LoggedChoice.Alternative(offerID: world.offerIDs[$0], loggingProbability: probabilities[$0], modelPropensity: means[$0])
            }, chosen: chosen, reward: reward)
            simulation.choices.append(choice)
            for policy in TargetPolicy.allCases {
                truth[policy, default: 0] += zip(policy.probabilities(choice), accept).reduce(0) { $0 + $1.0 * $1.1 }
            }
        }
        simulation.truth = truth.mapValues { $0 / Double(rounds) }
        return simulation
    }

    /// Logged by ε-greedy, and by exploration by uncertainty with a floor on every offer's chance
    /// (without one, offers the model is sure of get chances so small that target policies far
    /// from the running one lose support: over seeds 11–30 the 95 % intervals then covered 80–95 %
    /// of the time; with a floor of 0.05, 95–100 %, as with ε-greedy — docs/DECISION.md).
    @Test(arguments: [Exploration.epsilonGreedy(0.1), .uncertainty(gamma: 256, floor: 0.05)])
    func offPolicyEstimatesCoverTheTrueValueOfEachPolicy(exploration: Exploration) throws {
        let simulation = try Self.simulate(seed: 11, rounds: 8_000, exploration: exploration)
        for policy in TargetPolicy.allCases {
            let truth = try #require(simulation.truth[policy])
            for estimator in Estimator.allCases {
                let estimate = try #require(OffPolicy.estimate(simulation.choices, policy: policy, estimator: estimator))
                #expect(estimate.interval.contains(truth), "\(policy) \(estimator): \(estimate.value) ± \(1.96 * estimate.standardError), truth \(truth)")
            }
        }
        // The policies differ enough that a wrong estimator would show: random is far below greedy.
        #expect(simulation.truth[.greedyByModel]! > 2 * simulation.truth[.uniformRandom]!)
    }

    /// A control group of 10% whose customers respond at their base rate; treated customers
    /// respond 4 points more: the lift and its interval recover the injected effect.
    @Test func liftRecoversAnInjectedEffect() throws {
        let world = SimulatedWorld(seed: 5, customers: 2_000, offers: 6)
        var random = SeededRandom(seed: 6)
        let effect = 0.04
        var lift = LiftEstimate(treated: 0, treatedResponses: 0, control: 0, controlResponses: 0)
        for _ in 0..<40_000 {
            let arrival = world.arrive(using: &random)
            let base = world.acceptance(arrival, offer: Int.random(in: 0..<6, using: &random))
            if random.unit() < 0.1 {
                lift.control += 1
                if random.unit() < base { lift.controlResponses += 1 }
            } else {
                lift.treated += 1
                if random.unit() < base + effect { lift.treatedResponses += 1 }
            }
        }
        let interval = try #require(lift.interval)
        #expect(interval.contains(effect) && interval.lowerBound > 0, "lift \(lift.lift!) in \(interval)")
    }
}
