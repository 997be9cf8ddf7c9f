// `offerloop evaluate --catalog NEW.yaml`: what a catalog change would have done, before it goes
// live — the logged decisions replayed through the new catalog's strategy (WhatIf), its response
// rate and value per decision estimated (IPS, SNIPS, DR with 95% intervals) next to the running
// policy's, and where the log cannot support the answer.
import ArgumentParser
import DecisionCore
import DecisionRecords
import Effectiveness
import Foundation
import ProcessShell
import Store
import Transport

struct WhatIfOptions: ParsableArguments {
    @Option(help: "What if this catalog had decided: replay the logged decisions through its strategy.")
    var catalog: String?

    @Option(help: "Decisions since a date (YYYY-MM-DD, UTC) or for a last period (e.g. 24h, 7d); default: all.")
    var since: String?

    @OptionGroup var store: DecisionStoreOptions
}

enum WhatIfEvaluation {
    /// Evaluates `options.catalog` against the decision store; prints a table, or JSON.
    static func run(_ options: WhatIfOptions, json: Bool, plot: String?) throws {
        guard let path = options.catalog else { throw ValidationError("--catalog is required for a what-if") }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read the catalog \(path): \(error.localizedDescription)")
        }
        let catalog: OfferCatalog
        do {
            catalog = try CatalogLoader.load(yaml: text, file: path)
        } catch {
            error.errors.forEach { printError($0.description) }
            throw ExitCode(1)
        }
        let db = try ReportCommand.open(options.store)
        defer { db.close() }
        let since = try ReportCommand.sinceMs(options.since, now: ServiceEnvironment.live.wallMs())
        // The catalogs that decided; one that no longer loads (a newer format) decides nothing replayable.
        var running: [String: OfferCatalog] = [:]
        for (version, text) in try CatalogTable.all(db) {
            running[version] = try? CatalogLoader.load(yaml: text, file: "stored catalog \(version)")
        }
        let whatIf = WhatIf(catalog: catalog, running: running)
        let estimate = WhatIfEstimate(decisions: try DecisionLogTable.decisions(since: since, db), outcomes: try OutcomeTable.outcomes(ofDecisionsSince: since, db),
                                      newPolicy: "catalog \(catalog.version)", value: { catalog.offer($0)?.value ?? 0 }, replay: whatIf.replay)
        if json {
            print(String(decoding: try JSONSerialization.data(withJSONObject: Self.json(estimate), options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
        } else {
            print(Self.text(estimate, catalog: catalog))
        }
        if let plot { try Self.draw(estimate, to: plot) }
    }

    /// What the log can and cannot say, then the estimates and the offers' first-slot shares.
    static func text(_ estimate: WhatIfEstimate, catalog: OfferCatalog) -> String {
        var lines = ["what if catalog \(catalog.version) had decided: \(estimate.evaluable) of \(estimate.decisions) treated decisions replayed"]
        for (reason, count) in estimate.unsupported { lines.append("  not evaluable from the log: \(count) decisions: \(reason)") }
        guard !estimate.rows.isEmpty else {
            lines.append("no decision could be replayed: nothing to estimate")
            return lines.joined(separator: "\n")
        }
        if let dr = estimate.rows.last?.response, dr.effectiveSampleSize < 0.1 * Double(dr.decisions) {
            lines.append("  little overlap: the new policy's choices match the logged ones in an effective \(Int(dr.effectiveSampleSize)) of \(dr.decisions) decisions")
        }
        let unseen = estimate.offers.filter { $0.running == 0 && $0.new > 0 }.map(\.offerID)
        if !unseen.isEmpty {
            lines.append("  never put first in the log, yet chosen by the new policy: \(unseen.joined(separator: ", ")) (only DR's reward model speaks for them)")
        }
        lines.append("")
        var table = [["policy", "estimator", "response", "low_95", "high_95", "value", "low_95", "high_95", "effective"]]
        for row in estimate.rows {
            let response = row.response.clipped, value = row.value
            guard !row.response.tooFew else {
                table.append([row.policy, row.estimator, "too few decisions (\(row.response.decisions))", "", "", "", "", "", String(format: "%.0f", row.response.effectiveSampleSize)])
                continue
            }
            table.append([row.policy, row.estimator, ReportCommand.percent(response.value) + (row.response.unstable ? " unstable" : ""),
                          ReportCommand.percent(response.interval.lowerBound), ReportCommand.percent(response.interval.upperBound),
                          ReportCommand.money(value.value), ReportCommand.money(value.interval.lowerBound), ReportCommand.money(value.interval.upperBound),
                          String(format: "%.0f", row.response.effectiveSampleSize)])
        }
        lines.append(ReportCommand.aligned(table))
        lines.append("")
        lines.append(ReportCommand.aligned([["offer", "first_now", "first_new"]] + estimate.offers.map {
            [$0.offerID, ReportCommand.percent($0.running), ReportCommand.percent($0.new)]
        }))
        return lines.joined(separator: "\n")
    }

    static func json(_ estimate: WhatIfEstimate) -> [String: Any] {
        func figure(_ estimate: PolicyEstimate) -> [String: Any] {
            ["estimate": estimate.value, "low": estimate.interval.lowerBound, "high": estimate.interval.upperBound,
             "decisions": estimate.decisions, "effective": estimate.effectiveSampleSize]
        }
        return [
            "decisions": estimate.decisions, "evaluable": estimate.evaluable,
            "unsupported": estimate.unsupported.map { ["reason": $0.reason, "decisions": $0.decisions] },
            "estimates": estimate.rows.map { ["policy": $0.policy, "estimator": $0.estimator, "response": figure($0.response), "value": figure($0.value)] },
            "offers": estimate.offers.map { ["offer": $0.offerID, "first_now": $0.running, "first_new": $0.new] },
        ]
    }

    /// The running policy's response and value next to the new policy's estimates, with intervals.
    static func draw(_ estimate: WhatIfEstimate, to path: String) throws {
        let rows = estimate.rows.filter { !$0.response.tooFew }
        let label = { (row: WhatIfEstimate.Row) in "\(row.policy) — \(row.estimator)" }
        try ReportCommand.drawPanels([
            ["title": "What if: first-slot response rate (%, 95% CI), \(estimate.evaluable) of \(estimate.decisions) decisions replayed",
             "items": rows.map { ReportCommand.plotItem(label($0), $0.response.clipped.value, $0.response.clipped.interval) }],
            ["title": "What if: value per decision (95% CI)",
             "items": rows.map { ReportCommand.plotItem(label($0), $0.value.value, $0.value.interval, scale: 1) }],
        ], to: path)
    }
}
