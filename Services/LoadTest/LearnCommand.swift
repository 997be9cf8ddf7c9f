// `offerloop-loadtest learn`: the offline learning check. The scoring model, choosing by Thompson
// sampling, plays a seeded simulated world (Simulation.SimulatedWorld) for N rounds per seed;
// its cumulative expected reward is reported as a share of the oracle's and next to uniform
// random choice's, with the learning curve for scripts/plot-learning.
import ArgumentParser
import DecisionCore
import Foundation
import ScoringCore
import Simulation

struct LearnCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "learn", abstract: "Run the simulated world: Thompson sampling vs the oracle and uniform random choice.")

    @Option(help: "Rounds per seed.")
    var rounds = 200_000

    @Option(help: "Comma-separated world seeds.")
    var seeds = "1,2,3"

    @Option(help: "Offers in the world.")
    var offers = 12

    @Option(help: "Customers in the world.")
    var customers = 5_000

    @Option(help: "How the learner chooses: thompson, uncertainty:GAMMA[:FLOOR] or epsilon:E (the decision strategy's exploration).")
    var policy = "thompson"

    @Option(help: "Forgetting window in events (0: off).")
    var forgettingWindow: UInt64 = 0

    @OptionGroup var output: OutputOptions

    struct Report: Encodable {
        var rounds: Int
        var offers: Int
        var hyperparameters: ModelHyperparameters
        var runs: [SimulationResult]
        var meanThompsonShare: Double
        var meanRandomShare: Double
        var applyPerSecond: Double
    }

    func run() throws {
        let seedList = seeds.split(separator: ",").compactMap { UInt64($0.trimmingCharacters(in: .whitespaces)) }
        guard !seedList.isEmpty, rounds > 0, offers >= 2, customers > 0 else {
            throw ValidationError("need at least one seed, rounds > 0, offers ≥ 2, customers > 0")
        }
        let parts = policy.split(separator: ":")
        let floor = parts.count == 3 ? Double(parts[2]) : 0
        let exploration: Exploration? = switch (parts.first, parts.count >= 2 ? Double(parts[1]) : nil) {
            case ("thompson", _) where parts.count == 1: nil
            case ("uncertainty", let gamma?) where gamma >= 0 && parts.count <= 3 && floor.map((0...1).contains) == true:
                .uncertainty(gamma: gamma, floor: floor ?? 0)
            case ("epsilon", let epsilon?) where (0...1).contains(epsilon) && parts.count == 2: .epsilonGreedy(epsilon)
            default: throw ValidationError("--policy is thompson, uncertainty:GAMMA[:FLOOR] or epsilon:E, not '\(policy)'")
        }
        var hyperparameters = ModelHyperparameters()
        hyperparameters.forgettingWindow = forgettingWindow
        var runs: [SimulationResult] = []
        let started = Date()
        for seed in seedList {
            let world = SimulatedWorld(seed: seed, customers: customers, offers: offers)
            progress("seed \(seed): \(rounds) rounds, \(offers) offers, \(customers) customers")
            runs.append(world.run(seed: seed, rounds: rounds, hyperparameters: hyperparameters, exploration: exploration, checkpointEvery: max(rounds / 200, 1)) { round in
                if round % max(rounds / 10, 1) == 0 { progress("  \(round) / \(rounds)") }
            })
        }
        let seconds = Date().timeIntervalSince(started)
        let report = Report(
            rounds: rounds, offers: offers, hyperparameters: hyperparameters, runs: runs,
            meanThompsonShare: runs.map(\.thompsonShare).reduce(0, +) / Double(runs.count),
            meanRandomShare: runs.map(\.randomShare).reduce(0, +) / Double(runs.count),
            applyPerSecond: Double(rounds * runs.count) / seconds)
        try output.report(report) {
            ["seed   learner/oracle    random/oracle    learner/random   (learner: \(policy))"]
                + runs.map { String(format: "%4llu   %15.1f%%   %13.1f%%   %14.2fx", $0.seed, 100 * $0.thompsonShare, 100 * $0.randomShare,
                                    $0.thompson / $0.random) }
                + [String(format: "mean   %15.1f%%   %13.1f%%", 100 * report.meanThompsonShare, 100 * report.meanRandomShare),
                   String(format: "%.0f rounds/s (score %d offers + apply one outcome each)", report.applyPerSecond, offers),
                   "model snapshot: " + runs.map { "\($0.snapshotBytes ?? 0)" }.joined(separator: ", ") + " bytes (seed by seed)"]
        }
    }
}
