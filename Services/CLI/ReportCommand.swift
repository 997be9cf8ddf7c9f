// `offerloop report`: which offers work — per offer × channel × segment, lift against control
// with 95% intervals, off-policy estimates of other policies, champion against challengers and
// per-offer holdout lift — from the decision store.
import ArgumentParser
import DecisionRecords
import Effectiveness
import Foundation
import ProcessShell
import Store
import Transport

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Effectiveness of the offers: response, revenue, lift against control, off-policy estimates (reads the decision store).")

    @OptionGroup var store: DecisionStoreOptions

    @Option(help: "Decisions since a date (YYYY-MM-DD, UTC) or for a last period (e.g. 24h, 7d); default: all.")
    var since: String?

    @Option(help: "Group by any of offer, channel, segment, comma-separated.")
    var by: String = "offer,channel,segment"

    @Option(help: "The strategy the others are compared with (default: the one with the most decisions).")
    var champion: String?

    @Option(help: "Also write the table as CSV to this file.")
    var csv: String?

    @Option(help: "Also draw lift and policy estimates with their intervals (PNG or SVG, by extension; needs python3 with matplotlib).")
    var plot: String?

    func validate() throws {
        _ = try dimensions()
        _ = try Self.sinceMs(since, now: 0)
    }

    func dimensions() throws -> [ReportDimension] {
        try by.split(separator: ",").map {
            guard let dimension = ReportDimension(rawValue: String($0)) else {
                throw ValidationError("--by takes offer, channel or segment, comma-separated; not '\($0)'")
            }
            return dimension
        }
    }

    /// `--since` as Unix ms: a date (YYYY-MM-DD, UTC) or a last period before `now`; nil: 0 (all).
    static func sinceMs(_ since: String?, now: Int64) throws -> Int64 {
        guard let since else { return 0 }
        if let ms = ChannelValues.milliseconds(Substring(since)) { return now - ms }
        let format = DateFormatter()
        format.dateFormat = "yyyy-MM-dd"
        format.timeZone = TimeZone(identifier: "UTC")
        format.locale = Locale(identifier: "en_US_POSIX")
        guard let date = format.date(from: since) else { throw ValidationError("--since takes YYYY-MM-DD or a period like 24h or 7d; not '\(since)'") }
        return Int64(date.timeIntervalSince1970 * 1000)
    }

    /// The decision store, opened to read (never made).
    static func open(_ store: DecisionStoreOptions) throws -> any SQLDatabase {
        let location = try store.location()
        do {
            return try location.open(create: false)
        } catch {
            throw ValidationError("no decision store at \(location): \(error.message). The local cluster's (scripts/cluster) is "
                                  + "sqlite:.run/data/decisions.sqlite; a deployment's is its decision service's --store (env OFFERLOOP_DECISION_STORE)")
        }
    }

    func run() throws {
        let db = try Self.open(store)
        defer { db.close() }
        let since = try Self.sinceMs(since, now: ServiceEnvironment.live.wallMs())
        let report = EffectivenessReport(decisions: try DecisionLogTable.decisions(since: since, db),
                                         outcomes: try OutcomeTable.outcomes(ofDecisionsSince: since, db), by: try dimensions(), champion: champion)
        let table = Self.table(report)
        print(Self.aligned(table))
        print("")
        print(Self.aligned(Self.policyTable(report)))
        if let strategies = report.strategies {
            if let champion, champion != strategies.reference { print("\nno decision of strategy '\(champion)': compared with \(strategies.reference)") }
            print("")
            print(Self.aligned(Self.strategyTable(strategies)))
        }
        if !report.holdouts.isEmpty {
            print("")
            print(Self.aligned(Self.holdoutTable(report.holdouts)))
        }
        if let csv {
            try (table.map { $0.map(Self.csvField).joined(separator: ",") }.joined(separator: "\n") + "\n").write(toFile: csv, atomically: true, encoding: .utf8)
            print("wrote \(csv)")
        }
        if let plot { try Self.draw(report, to: plot) }
    }

    // MARK: text

    static func table(_ report: EffectivenessReport) -> [[String]] {
        let header = report.dimensions.map(\.rawValue) + ["decisions", "impressions", "responses", "response_rate", "revenue",
                                                          "control", "control_rate", "lift", "lift_low", "lift_high"]
        let rows = (report.rows + [report.overall]).map { row in
            let key = report.dimensions.map { row.key[$0] ?? "(all)" }
            let interval = row.lift.tooFew == nil ? row.lift.interval : nil
            let lift = row.lift.lift == nil ? "" : row.lift.tooFew.map { "too few decisions (\($0))" } ?? row.lift.lift.map(points) ?? ""
            return key + ["\(row.decisions)", "\(row.impressions)", "\(row.responses)", percent(row.responseRate), String(format: "%.2f", row.revenue),
                          "\(row.lift.control)", row.lift.control > 0 ? percent(row.lift.controlRate) : "",
                          lift, interval.map { points($0.lowerBound) } ?? "", interval.map { points($0.upperBound) } ?? ""]
        }
        return [header] + rows
    }

    static func policyTable(_ report: EffectivenessReport) -> [[String]] {
        [["policy", "estimator", "response_rate", "low_95", "high_95", "decisions", "effective"]] + report.policies.map { row in
            let estimate = row.estimate, shown = estimate.clipped
            let counts = ["\(estimate.decisions)", String(format: "%.0f", estimate.effectiveSampleSize)]
            guard !estimate.tooFew else { return [row.policy, row.estimator, "too few decisions (\(estimate.decisions))", "", ""] + counts }
            return [row.policy, row.estimator, percent(shown.value) + (estimate.unstable ? " unstable" : ""),
                    percent(shown.interval.lowerBound), percent(shown.interval.upperBound)] + counts
        }
    }

    /// Each strategy's response (share of decisions with one) and value per decision, and their
    /// differences from the reference strategy's, with 95% intervals.
    static func strategyTable(_ comparison: StrategyComparison) -> [[String]] {
        let reference = comparison.referenceRow
        let header = ["strategy", "decisions", "response", "low_95", "high_95", "value", "low_95", "high_95",
                      "response_vs_\(comparison.reference)", "low_95", "high_95", "value_vs_\(comparison.reference)", "low_95", "high_95"]
        return [header] + comparison.rows.map { row in
            let name = row.strategy.isEmpty ? "(none named)" : row.strategy
            guard !row.tooFew else { return [name, "\(row.decisions)", "too few decisions"] + Array(repeating: "", count: header.count - 3) }
            let response = [percent(row.response.mean), percent(row.response.interval.lowerBound), percent(row.response.interval.upperBound)]
            let value = [money(row.value.mean), money(row.value.interval.lowerBound), money(row.value.interval.upperBound)]
            guard row.strategy != comparison.reference, !reference.tooFew else { return [name, "\(row.decisions)"] + response + value + Array(repeating: "", count: 6) }
            let dr = row.response.difference(from: reference.response), dv = row.value.difference(from: reference.value)
            return [name, "\(row.decisions)"] + response + value
                + [points(dr.value), points(dr.interval.lowerBound), points(dr.interval.upperBound)]
                + [money(dv.value, signed: true), money(dv.interval.lowerBound, signed: true), money(dv.interval.upperBound, signed: true)]
        }
    }

    /// Per offer with a holdout: response when shown against when held out where it would have been shown.
    static func holdoutTable(_ rows: [OfferHoldoutRow]) -> [[String]] {
        [["offer", "shown", "shown_rate", "held_out", "held_out_rate", "holdout_lift", "low_95", "high_95"]] + rows.map { row in
            let lift = row.lift, interval = lift.tooFew == nil ? lift.interval : nil
            return [row.offerID, "\(lift.treated)", percent(lift.treatedRate), "\(lift.control)", percent(lift.controlRate),
                    lift.tooFew.map { "too few decisions (\($0))" } ?? lift.lift.map(points) ?? "",
                    interval.map { points($0.lowerBound) } ?? "", interval.map { points($0.upperBound) } ?? ""]
        }
    }

    static func money(_ value: Double, signed: Bool = false) -> String { String(format: signed ? "%+.2f" : "%.2f", value) }

    static func percent(_ value: Double) -> String { String(format: "%.2f%%", value * 100) }
    /// A difference of rates in percentage points.
    static func points(_ value: Double) -> String { String(format: "%+.2f pp", value * 100) }

    static func aligned(_ rows: [[String]]) -> String {
        let widths = (0..<(rows.first?.count ?? 0)).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            zip(row, widths).enumerated().map { index, cell in
                index < 1 || Double(cell.0.prefix { "+-0123456789.".contains($0) }) == nil
                    ? cell.0.padding(toLength: cell.1, withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: cell.1 - cell.0.count) + cell.0
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    static func csvField(_ text: String) -> String {
        text.contains(where: { ",\"\n".contains($0) }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }

    // MARK: plot

    /// Lift per row, each policy's estimate, the strategies and the per-offer holdouts, with their
    /// 95% intervals, drawn by matplotlib: one panel each (the last two when there are any).
    static func draw(_ report: EffectivenessReport, to path: String) throws {
        // What the tables print as figures, as they print them.
        let lifts: [[String: Any]] = (report.rows + [report.overall]).compactMap { row in
            guard row.lift.tooFew == nil, let lift = row.lift.lift, let interval = row.lift.interval else { return nil }
            let label = report.dimensions.map { row.key[$0] ?? "(all)" }.joined(separator: " / ")
            return plotItem(label.isEmpty ? "(all)" : label, lift, interval)
        }
        let policies: [[String: Any]] = report.policies.filter { !$0.estimate.tooFew }.map {
            let shown = $0.estimate.clipped
            return plotItem("\($0.policy) — \($0.estimator)" + ($0.estimate.unstable ? " (unstable)" : ""), shown.value, shown.interval)
        }
        var panels: [[String: Any]] = [["title": "Lift against control (percentage points, 95% CI)", "items": lifts],
                                       ["title": "Response rate by policy (%, off-policy estimates, 95% CI)", "items": policies]]
        if let strategies = report.strategies {
            let rows = strategies.rows.filter { !$0.tooFew }
            let reference = strategies.referenceRow
            let others = reference.tooFew ? [] : rows.filter { $0.strategy != strategies.reference }
            panels.append(["title": "Decisions with a response, by strategy (%, 95% CI)",
                           "items": rows.map { plotItem($0.strategy, $0.response.mean, $0.response.interval) }])
            panels.append(["title": "Value per decision, by strategy (95% CI)",
                           "items": rows.map { plotItem($0.strategy, $0.value.mean, $0.value.interval, scale: 1) }])
            let differences = others.map { ($0.strategy, $0.response.difference(from: reference.response), $0.value.difference(from: reference.value)) }
            panels.append(["title": "Response minus \(strategies.reference)'s (percentage points, 95% CI)",
                           "items": differences.map { plotItem($0.0, $0.1.value, $0.1.interval) }])
            panels.append(["title": "Value per decision minus \(strategies.reference)'s (95% CI)",
                           "items": differences.map { plotItem($0.0, $0.2.value, $0.2.interval, scale: 1) }])
        }
        if !report.holdouts.isEmpty {
            panels.append(["title": "Per-offer holdout lift (percentage points, 95% CI)",
                           "items": report.holdouts.compactMap { row -> [String: Any]? in
                               guard row.lift.tooFew == nil, let lift = row.lift.lift, let interval = row.lift.interval else { return nil }
                               return plotItem(row.offerID, lift, interval)
                           }])
        }
        try drawPanels(panels, to: path)
    }

    /// One estimate of a plot panel; `scale` 100 draws a rate in percent.
    static func plotItem(_ label: String, _ value: Double, _ interval: ClosedRange<Double>, scale: Double = 100) -> [String: Any] {
        ["label": label, "value": value * scale, "low": interval.lowerBound * scale, "high": interval.upperBound * scale]
    }

    /// Panels of labelled estimates with intervals (`title`, `items`: label, value, low, high), one under another.
    static func drawPanels(_ panels: [[String: Any]], to path: String) throws {
        let input = try JSONSerialization.data(withJSONObject: ["panels": panels, "output": path])
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", plotProgram]
        let pipe = Pipe()
        python.standardInput = pipe
        try python.run()
        pipe.fileHandleForWriting.write(input)
        try pipe.fileHandleForWriting.close()
        python.waitUntilExit()
        guard python.terminationStatus == 0 else { throw ValidationError("the plot could not be drawn (python3 with matplotlib is needed: python3 -m pip install matplotlib)") }
        print("wrote \(path)")
    }

    static let plotProgram = #"""
import json, sys
data = json.load(sys.stdin)
try:
    import matplotlib
except ImportError:
    sys.exit("matplotlib is not installed for " + sys.executable + ": run `python3 -m pip install matplotlib` (scripts/demo and scripts/test install it)")
matplotlib.use("Agg")
import matplotlib.pyplot as plt
panels = [(panel["items"], panel["title"]) for panel in data["panels"]]
heights = [max(len(items), 1) for items, _ in panels]
figure, axes = plt.subplots(len(panels), 1, figsize=(10, 1.2 * len(panels) + 0.32 * sum(heights)), gridspec_kw={"height_ratios": heights})
for axis, (items, title) in zip(axes, panels):
    labels = [item["label"] for item in items]
    values = [item["value"] for item in items]
    errors = [[item["value"] - item["low"] for item in items], [item["high"] - item["value"] for item in items]]
    axis.errorbar(values, range(len(items)), xerr=errors, fmt="o", capsize=3)
    axis.set_yticks(range(len(items)), labels, fontsize=8)
    axis.invert_yaxis()
    axis.axvline(0, color="grey", linewidth=0.8)
    axis.set_title(title, fontsize=10)
    axis.grid(True, axis="x", alpha=0.3)
    if not items:
        axis.text(0.5, 0.5, "no estimate: too few decisions", transform=axis.transAxes, ha="center")
figure.tight_layout()
figure.savefig(data["output"])
"""#
}
