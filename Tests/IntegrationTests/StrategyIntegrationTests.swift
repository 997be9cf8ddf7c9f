// Champion/challenger and per-offer holdouts through the real cluster, on SQLite and PostgreSQL:
// a catalog reload starts the test, customers keep their strategy on every channel, outcomes of
// held-out offers are taken, `offerloop report` compares the strategies and the holdouts (and
// draws them), and promoting the challenger is one more reload.
import Foundation
import Testing
import Transport
import Wire

@Suite(.serialized) struct StrategyIntegrationTests {
    static let heldOutOffers = ["savings_bonus", "personal_loan", "new_credit_card", "credit_card_upgrade"]

    /// The sample catalog with 30 % holdouts on its most shown offers and `strategies` appended.
    static func catalog(_ original: String, version: String, strategies: String) -> String {
        var text = original.replacingOccurrences(of: "2026-11-25.1", with: version)
        for offer in heldOutOffers {
            text = text.replacingOccurrences(of: "  - id: \(offer)\n", with: "  - id: \(offer)\n    holdout_percent: 30\n")
        }
        return text + "\nstrategies:\n" + strategies
    }

    /// The strategy a decision's explanation names (nil: none named).
    static func strategy(_ reply: DecideReply) -> String? {
        reply.explanation.first { $0.hasPrefix("strategy ") }.map { String($0.split(separator: " ")[1]) }
    }

    @Test(arguments: StoreKind.all)
    func strategiesAndHoldoutsAreLoggedReportedAndPromotedByAReload(_ store: StoreKind) throws {
        let stack = try DecisionIntegrationTests.Stack(store: store)
        let client = try stack.cluster.client()
        defer { client.close() }
        let original = try String(contentsOf: stack.catalog, encoding: .utf8)
        try Self.catalog(original, version: "cc-1", strategies: """
          - {name: champion, share: 50}
          - {name: challenger, share: 50, priority: "propensity * priority"}
        """).write(to: stack.catalog, atomically: true, encoding: .utf8)
        let reloaded: CatalogReply = try client.call("decision", "reload_catalog", ReloadCatalogRequest(), timeoutMicros: 10_000_000)
        try #require(reloaded.reloaded && reloaded.version == "cc-1", "\(reloaded.errors)")

        var decided: [String: Int] = [:]  // strategy → non-control decisions
        var heldOut: [String: Int] = [:]  // offer → decisions holding it out where it would have been shown
        var ids: Set<String> = [], outcomes: [Outcome] = []
        func tally(_ reply: DecideReply, strategy: String, accept: Bool) {
            ids.insert(reply.decisionID)
            guard !reply.control else { return }
            decided[strategy, default: 0] += 1
            if let first = reply.offers.first, accept {
                outcomes.append(Outcome.with { $0.eventID = "a-" + reply.decisionID; $0.decisionID = reply.decisionID; $0.offerID = first.offerID; $0.type = .accept })
            }
            // Held out of an offer it would have shown: the customer bought it anyway (as a bank's product systems report).
            if let line = reply.explanation.first(where: { $0.hasPrefix("held out of ") }) {
                let offer = String(line.dropFirst("held out of ".count).prefix { $0 != "," && $0 != " " })
                heldOut[offer, default: 0] += 1
                outcomes.append(Outcome.with { $0.eventID = "h-" + reply.decisionID; $0.decisionID = reply.decisionID; $0.offerID = offer; $0.type = .purchase; $0.amount = 10 })
            }
        }
        for index in 100..<340 {
            let phone = "+4477009" + String(format: "%05d", index)
            let reply = try DecisionIntegrationTests.decide(client, ("phone", phone), .web)
            try #require(!reply.degraded, "\(reply.degradedReason)")
            let strategy = try #require(Self.strategy(reply), "\(reply.explanation)")
            tally(reply, strategy: strategy, accept: index % 2 == 0)
            // The same customer on another channel: the same strategy.
            if index % 20 == 0 {
                let atm = try DecisionIntegrationTests.decide(client, ("phone", phone), .atm)
                #expect(Self.strategy(atm) == strategy)
                tally(atm, strategy: strategy, accept: false)
            }
        }
        #expect(decided["champion", default: 0] > 60 && decided["challenger", default: 0] > 60, "\(decided)")
        #expect(heldOut.values.reduce(0, +) > 0, "no decision held an offer out")
        // The outcomes once every decision is in the log (an outcome waits for its decision only briefly).
        #expect(try stack.logged(ids).isSuperset(of: ids))
        // A few hundred outcomes in one batch, each stored: more than the default second on a loaded machine.
        let acks: OutcomeBatchReply = try client.call("feedback", "outcomes", OutcomeBatch.with { $0.outcomes = outcomes }, timeoutMicros: 30_000_000)
        #expect(acks.results.allSatisfy { if case .ack = $0.result { true } else { false } }, "\(acks.results.map(\.error.message))")
        // Anything but a purchase of a held-out offer is refused: the customer never saw it.
        let purchase = try #require(outcomes.first { $0.type == .purchase })
        #expect {
            let _: OutcomeAck = try client.call("feedback", "outcome", Outcome.with { $0 = purchase; $0.eventID = "x"; $0.type = .accept }, timeoutMicros: 10_000_000)
        } throws: { ($0 as? ServiceError)?.code == .invalidArgument && "\($0)".contains("only a PURCHASE can be reported") }

        let plot = stack.cluster.logDirectory.appendingPathComponent("report.png")
        var (status, output) = try run("offerloop", ["report", "--store", stack.decisionStore, "--by", "offer", "--plot", plot.path])
        #expect(status == 0, "\(output)")
        func row(_ first: String) -> [String]? {
            output.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }.first { $0.first == first }
        }
        // The strategies: each one's decisions as decided, the champion (most decisions, or asked) first.
        #expect(output.contains("response_vs_"), "\(output)")
        #expect(row("champion")?[1] == "\(decided["champion", default: 0])" && row("challenger")?[1] == "\(decided["challenger", default: 0])", "\(output)")
        // The holdouts: each offer's held-out units, every one of which responded.
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = try #require(lines.firstIndex { $0.hasPrefix("offer") && $0.contains("held_out_rate") }, "\(output)")
        let holdouts = lines[(header + 1)...].prefix { !$0.isEmpty }.map { $0.split(separator: " ").map(String.init) }
        for (offer, count) in heldOut {
            let line = try #require(holdouts.first { $0.first == offer }, "\(offer): \(output)")
            #expect(line[3] == "\(count)" && line[4] == "100.00%", "\(offer): \(line)")
        }
        let png = try Data(contentsOf: plot)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "not a PNG")

        // What if every customer had been ranked by propensity alone? The stored catalogs say what decided.
        #expect(try stack.query("SELECT version FROM catalogs ORDER BY version").contains("cc-1"))
        let byPropensity = stack.cluster.logDirectory.appendingPathComponent("by-propensity.yaml")
        try Self.catalog(original, version: "cc-whatif", strategies: "  - {name: only, share: 100, priority: propensity}\n")
            .write(to: byPropensity, atomically: true, encoding: .utf8)
        (status, output) = try run("offerloop", ["evaluate", "--catalog", byPropensity.path, "--store", stack.decisionStore, "--json"])
        #expect(status == 0, "\(output)")
        let whatIf = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any], "\(output)")
        let evaluable = try #require(whatIf["evaluable"] as? Int), estimates = try #require(whatIf["estimates"] as? [[String: Any]])
        // Treated decisions with a first-slot choice (not those that fell back to the default offer), every one replayable.
        let replayed = try #require(whatIf["decisions"] as? Int)
        #expect(evaluable == replayed && replayed > 100 && replayed <= decided.values.reduce(0, +), "\(output)")
        #expect(estimates.compactMap { $0["estimator"] as? String } == ["mean", "IPS", "SNIPS", "DR"], "\(output)")
        #expect(estimates.allSatisfy { (($0["response"] as? [String: Any])?["estimate"] as? Double)?.isFinite == true }, "\(output)")
        // A changed eligibility rule cannot be judged from the log.
        let stricter = stack.cluster.logDirectory.appendingPathComponent("stricter.yaml")
        try String(contentsOf: byPropensity, encoding: .utf8).replacingOccurrences(of: "eligibility: not holds(\"savings\")", with: "eligibility: not holds(\"savings\") and clv > 10")
            .write(to: stricter, atomically: true, encoding: .utf8)
        (status, output) = try run("offerloop", ["evaluate", "--catalog", stricter.path, "--store", stack.decisionStore])
        #expect(status == 0 && output.contains("not evaluable from the log") && output.contains("the eligibility rule of savings_bonus changed"), "\(output)")

        // Promotion: the challenger takes every customer.
        try Self.catalog(original, version: "cc-2", strategies: "  - {name: challenger, share: 100, priority: \"propensity * priority\"}\n")
            .write(to: stack.catalog, atomically: true, encoding: .utf8)
        let promoted: CatalogReply = try client.call("decision", "reload_catalog", ReloadCatalogRequest(), timeoutMicros: 10_000_000)
        try #require(promoted.reloaded && promoted.version == "cc-2", "\(promoted.errors)")
        var later: Set<String> = [], treated = 0
        for index in 400..<440 {
            let reply = try DecisionIntegrationTests.decide(client, ("phone", "+4477009" + String(format: "%05d", index)), .web)
            later.insert(reply.decisionID)
            if !reply.control { treated += 1 }
        }
        #expect(try stack.logged(later).isSuperset(of: later))
        (status, output) = try run("offerloop", ["report", "--store", stack.decisionStore, "--by", "offer", "--champion", "champion"])
        #expect(status == 0, "\(output)")
        #expect(row("champion")?[1] == "\(decided["champion", default: 0])", "\(output)")
        #expect(row("challenger")?[1] == "\(decided["challenger", default: 0] + treated)", "\(output)")
    }
}
