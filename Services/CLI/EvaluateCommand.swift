// `offerloop evaluate`: off-policy evaluation — of logged bandit feedback from any CSV file
// (`--logged`: IPS, SNIPS and DR, each with a seeded bootstrap 95% interval, docs/EVALUATION.md), or
// of what a catalog change would have done, from the decision log (`--catalog`, WhatIfCommand.swift).
import ArgumentParser
import CSV
import Foundation
import OffPolicyEvaluation

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Off-policy evaluation: of logged bandit feedback (--logged FILE.csv), or what a new catalog would have done (--catalog NEW.yaml).",
        discussion: """
            --catalog NEW.yaml: the logged decisions replayed through the new catalog's strategy (IPS, SNIPS, DR with 95% intervals).
            --logged FILE.csv: an evaluation policy's mean reward from any logged bandit feedback, by IPS, SNIPS and DR, with bootstrap 95% intervals.
            The log has one row per logged action: the action, its reward, the logging policy's probability of it
            (the propensity, in (0, 1]) and the evaluation policy's probability of it (the target, in [0, 1]) — at
            the row's position when there is a position column (each row is then evaluated at its position, as obp does).
            DR also needs the evaluation policy's probability of every action: --target-distribution, in long form
            with the log's action column (and position column, if the distribution differs by position), a column
            'probability', and as key either the log's context columns, or 'round' (the log's data row number,
            1 = the first row after the header), or no key (the same distribution for every row).
            DR's reward model: \(MeanRewardModel.description).
            Bad lines are reported as file:line and skipped; exit status 2 when any line was rejected.
            """)

    @OptionGroup var whatIf: WhatIfOptions

    @Option(help: "The logged feedback, a CSV file with a header line.")
    var logged: String?

    @Option(help: "The column of the logged action.")
    var actionColumn: String?

    @Option(help: "The column of the reward.")
    var rewardColumn: String?

    @Option(help: "The column of the logging policy's probability of the logged action.")
    var propensityColumn: String?

    @Option(help: "The column of the evaluation policy's probability of the logged action.")
    var targetColumn: String?

    @Option(help: "The column of the position the action was shown at.")
    var positionColumn: String?

    @Option(help: "The columns that make up the context (comma-separated): the reward model's and the distribution's key.")
    var contextColumns: String?

    @Option(help: "The evaluation policy's probability of every action (CSV, long form), for DR.")
    var targetDistribution: String?

    @Option(help: "Bootstrap resamples for the intervals.")
    var bootstrap: Int = 1000

    @Option(help: "The bootstrap's seed: the same seed, the same intervals.")
    var seed: UInt64 = 1

    @Option(help: "Also draw the estimates and their intervals (SVG or PNG, by extension).")
    var plot: String?

    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        switch (whatIf.catalog, logged) {
        case (nil, nil): throw ValidationError("--catalog NEW.yaml (what a catalog would have done) or --logged FILE.csv (logged bandit feedback) is needed")
        case (.some, .some): throw ValidationError("--catalog evaluates the decision store, --logged a CSV file: one of them, not both")
        case (.some, nil): return
        case (nil, .some): break
        }
        let missing = [("--action-column", actionColumn), ("--reward-column", rewardColumn), ("--propensity-column", propensityColumn),
                       ("--target-column", targetColumn)].filter { $0.1 == nil }.map(\.0)
        guard missing.isEmpty else { throw ValidationError("--logged needs \(missing.joined(separator: ", "))") }
        guard (1...1_000_000).contains(bootstrap) else { throw ValidationError("--bootstrap must be 1–1000000 resamples, not \(bootstrap)") }
        if let plot, !["svg", "png"].contains(URL(fileURLWithPath: plot).pathExtension.lowercased()) {
            throw ValidationError("--plot takes FILE.svg or FILE.png, not '\(plot)'")
        }
    }

    func run() throws {
        guard let logged, let actionColumn, let rewardColumn, let propensityColumn, let targetColumn else {
            return try WhatIfEvaluation.run(whatIf, json: json, plot: plot)
        }
        let started = Date()
        let columns = LoggedFeedbackFile.Columns(
            action: actionColumn, reward: rewardColumn, propensity: propensityColumn, target: targetColumn, position: positionColumn,
            context: contextColumns.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? [])
        let summary: LoggedFeedbackFile.Summary
        do {
            var reader = try CSVReader(contentsOf: logged)
            var distribution = try targetDistribution.map { path throws(CSVError) in try CSVReader(contentsOf: path) }
            let bar = reader.progress.total > 8 << 20 ? ProgressBar(label: "reading \(logged)") : nil
            summary = try LoggedFeedbackFile.read(&reader, columns: columns, distribution: &distribution) { bar?.show($0, of: $1) }
            bar?.finish()
        } catch {
            throw ValidationError(error.description)
        }
        for error in summary.errors { printError(error.description) }
        if summary.rejected > summary.errors.count { printError("… and \(summary.rejected - summary.errors.count) more rejected lines") }
        guard summary.rounds > 0 else { throw ValidationError("\(logged): no row to evaluate (\(summary.rejected) rejected)") }
        let intervals = Bootstrap(resamples: bootstrap, seed: seed, threads: ProcessInfo.processInfo.activeProcessorCount).intervals(summary.log)
        let result = EvaluationResult(
            rounds: summary.rounds, rejected: summary.rejected, actions: summary.actions, loggedMean: summary.log.loggedMeanReward,
            effectiveSampleSize: summary.log.effectiveSampleSize, bootstrap: bootstrap, seed: seed,
            rewardModel: summary.log.hasRewardModel ? MeanRewardModel.description : nil,
            ips: intervals[.ips], snips: intervals[.snips], dr: intervals[.dr], seconds: Date().timeIntervalSince(started))
        if json {
            print(String(decoding: try JSONSerialization.data(withJSONObject: result.json, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
        } else {
            print(result.text(logged: logged))
        }
        if let plot {
            try EvaluationPlot(result: result, title: "\(URL(fileURLWithPath: logged).lastPathComponent): \(result.rounds) rounds").canvas().write(to: plot)
            if !json { print("wrote \(plot)") }
        }
        if summary.rejected > 0 { throw ExitCode(2) }
    }
}

/// What `evaluate` prints: `--json` gives {"rounds": n, "ips": {"estimate", "low", "high"}, "snips": …, "dr": … (null without a distribution), …}.
struct EvaluationResult {
    var rounds: Int, rejected: Int, actions: Int
    var loggedMean: Double, effectiveSampleSize: Double
    var bootstrap: Int, seed: UInt64
    var rewardModel: String?
    var ips: IntervalEstimate?, snips: IntervalEstimate?, dr: IntervalEstimate?
    var seconds: Double

    /// Every key always there; an estimate that cannot be made is null.
    var json: [String: Any] {
        func interval(_ value: IntervalEstimate?) -> Any {
            value.map { ["estimate": $0.estimate, "low": $0.low, "high": $0.high] } ?? NSNull()
        }
        return ["rounds": rounds, "rejected": rejected, "actions": actions, "logged_mean": loggedMean,
                "effective_sample_size": effectiveSampleSize, "bootstrap": bootstrap, "seed": seed,
                "reward_model": rewardModel ?? NSNull(), "ips": interval(ips), "snips": interval(snips), "dr": interval(dr), "seconds": seconds]
    }

    var estimates: [(name: String, value: IntervalEstimate?)] { [("IPS", ips), ("SNIPS", snips), ("DR", dr)] }

    func text(logged: String) -> String {
        var lines = [String(format: "%@: %d rounds (%d rejected lines), %d actions; logged policy's mean reward %.6g; effective sample size %.0f",
                            logged, rounds, rejected, actions, loggedMean, effectiveSampleSize),
                     "estimator  estimate      low_95        high_95"]
        for (name, value) in estimates {
            guard let value else {
                lines.append(name.padding(toLength: 11, withPad: " ", startingAt: 0)
                             + (name == "DR" ? "needs --target-distribution" : "no estimate: no round has a positive target probability"))
                continue
            }
            lines.append(name.padding(toLength: 11, withPad: " ", startingAt: 0) + String(format: "%-13.6g %-13.6g %.6g", value.estimate, value.low, value.high))
        }
        lines.append("95% intervals: percentile bootstrap, \(bootstrap) resamples, seed \(seed)" + String(format: "; %.2f s", seconds))
        if let rewardModel { lines.append("DR's reward model: \(rewardModel) (the intervals leave out the model's own variance)") }
        return lines.joined(separator: "\n")
    }
}
