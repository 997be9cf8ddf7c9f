// The Grafana dashboard (compose/grafana/dashboards/offerloop.json): it parses, every panel reads the
// provisioned Prometheus and has a query, and every metric its queries name is served by a live cluster.
import Foundation
import Testing
import Transport
import Wire
import Yams
import ZeroMQ

struct DashboardTests {
    static let grafana = repositoryRoot.appendingPathComponent("compose/grafana")
    static let dashboard = grafana.appendingPathComponent("dashboards/offerloop.json")

    /// The uid of the data source Grafana provisions (provisioning/datasources/prometheus.yml).
    static func datasourceUID() throws -> String {
        let text = try String(contentsOf: grafana.appendingPathComponent("provisioning/datasources/prometheus.yml"), encoding: .utf8)
        let sources = (try Yams.load(yaml: text) as? [String: Any])?["datasources"] as? [[String: Any]]
        return try #require(sources?.first { $0["type"] as? String == "prometheus" }?["uid"] as? String)
    }

    /// Every query of a dashboard, by panel title; throws naming the first panel without the
    /// data source `uid` or without a query.
    static func queries(_ json: Data, datasource uid: String) throws -> [(panel: String, expr: String)] {
        let document = try JSONSerialization.jsonObject(with: json) as? [String: Any]
        guard let panels = document?["panels"] as? [[String: Any]], !panels.isEmpty else {
            throw ServiceError(.malformed, "the dashboard has no panels")
        }
        return try panels.flatMap { panel in
            let title = panel["title"] as? String ?? "panel \(panel["id"] ?? "?")"
            guard (panel["datasource"] as? [String: Any])?["uid"] as? String == uid else {
                throw ServiceError(.malformed, "panel '\(title)' does not read the data source '\(uid)'")
            }
            let exprs = (panel["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String }.filter { !$0.isEmpty }
            guard !exprs.isEmpty else { throw ServiceError(.malformed, "panel '\(title)' has no query") }
            return exprs.map { (title, $0) }
        }
    }

    /// The metric names a PromQL expression reads: its identifiers once strings, label matchers,
    /// range selectors and grouping clauses are taken out, but for function calls (followed by
    /// `(`) and keywords. A histogram is read by its series' names (x_bucket, x_sum, x_count).
    static func metricNames(_ expr: String) -> Set<String> {
        let bare = expr.replacing(/"(?:\\.|[^"\\])*"/, with: "")
            .replacing(/\{[^}]*\}/, with: " ")
            .replacing(/\[[^\]]*\]/, with: " ")
            .replacing(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/, with: " ")
        let keywords: Set<String> = ["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan"]
        var names: Set<String> = []
        for match in bare.matches(of: /[0-9][0-9a-zA-Z_.]*|([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/) {
            if let name = match.output.1, match.output.2 == nil, !keywords.contains(name.lowercased()) { names.insert(String(name)) }
        }
        return names
    }

    /// What a dashboard queries that `served` (metric names as exposed) lacks: "panel: name", sorted.
    static func missing(_ json: Data, datasource uid: String, served: Set<String>) throws -> [String] {
        let wanted = try queries(json, datasource: uid).flatMap { query in metricNames(query.expr).map { "\(query.panel): \($0)" } }
        return Set(wanted.filter { !served.contains(String($0.split(separator: " ").last!)) }).sorted()
    }

    /// The metric names in one process's /metrics.
    static func served(_ url: String) throws -> Set<String> {
        let answer = try OperationsTests.get(url + "/metrics")
        try #require(answer.status == 200, "\(url)/metrics: \(answer.status)")
        return Set(try OperationsTests.parseMetrics(answer.body).keys.map { String($0.prefix { $0 != "{" }) })
    }

    @Test func theTokenizerFindsTheMetricsAndOnlyThem() {
        #expect(Self.metricNames(#"histogram_quantile(0.99, sum by (le) (rate(x_bucket{method="decide",job=~"a|b{c}"}[$__rate_interval])))"#) == ["x_bucket"])
        #expect(Self.metricNames("max(head) - on (job) group_left min without (instance) (applied{topic=\"outcomes\"} offset 5m) > bool 1e3") == ["head", "applied"])
        #expect(Self.metricNames("count by (version) (offerloop_catalog_info == 1) or vector(0)") == ["offerloop_catalog_info"])
    }

    /// The check can fail: a misspelt name, a histogram read by its own name instead of its
    /// series', a panel on another data source and a panel without a query are each named.
    @Test func aBrokenDashboardIsRefusedWithWhatIsWrong() throws {
        let uid = try Self.datasourceUID()
        let text = try String(contentsOf: Self.dashboard, encoding: .utf8)
        let all = Set(try Self.queries(Data(text.utf8), datasource: uid).flatMap { Self.metricNames($0.expr) })
        #expect(try Self.missing(Data(text.utf8), datasource: uid, served: all).isEmpty)
        for (change, expected) in [
            (("offerloop_decisions_total[", "offerloop_decisoins_total["), ["Decisions/s by channel: offerloop_decisoins_total"]),
            (("offerloop_request_duration_seconds_bucket", "offerloop_request_duration_seconds"), ["Decide latency at the worker: offerloop_request_duration_seconds"]),
        ] {
            #expect(text.contains(change.0))
            #expect(try Self.missing(Data(text.replacingOccurrences(of: change.0, with: change.1).utf8), datasource: uid, served: all) == expected)
        }
        #expect(throws: ServiceError(.malformed, "panel 'Outcomes/s' does not read the data source 'offerloop-prometheus'")) {
            var document = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            var panels = try #require(document["panels"] as? [[String: Any]])
            let outcomes = try #require(panels.firstIndex { $0["title"] as? String == "Outcomes/s" })
            panels[outcomes]["datasource"] = ["type": "prometheus", "uid": "elsewhere"]
            document["panels"] = panels
            _ = try Self.queries(try JSONSerialization.data(withJSONObject: document), datasource: uid)
        }
        #expect(throws: ServiceError(.malformed, "panel 'Stream lag' has no query")) {
            _ = try Self.queries(Data(#"{"panels": [{"title": "Stream lag", "datasource": {"uid": "\#(uid)"}, "targets": []}]}"#.utf8), datasource: uid)
        }
    }

    /// Both compose files put Grafana's provisioning where Grafana reads it and the dashboard
    /// where the provider (provisioning/dashboards/offerloop.yml) looks: by bind mounts of
    /// compose/grafana (docker-compose.yml) or by configs (stack.yml).
    @Test(arguments: ["docker-compose.yml", "stack.yml"])
    func composeProvisionsTheDashboard(_ name: String) throws {
        let document = try #require(try Yams.load(yaml: String(contentsOf: ComposeTests.compose.appendingPathComponent(name), encoding: .utf8)) as? [String: Any])
        let grafana = try #require((document["services"] as? [String: Any])?["grafana"] as? [String: Any])
        // Where a file under compose/ ends up in the container, if anywhere.
        func placed(_ file: String) -> String? {
            for volume in grafana["volumes"] as? [String] ?? [] {
                let parts = volume.split(separator: ":").map(String.init)
                if parts[0].hasPrefix("./"), file.hasPrefix(parts[0].dropFirst(2) + "/") { return parts[1] + file.dropFirst(parts[0].count - 2) }
            }
            let files = (document["configs"] as? [String: [String: Any]] ?? [:]).compactMapValues { $0["file"] as? String }
            let config = (grafana["configs"] as? [[String: Any]] ?? []).first { files[$0["source"] as? String ?? ""] == "./" + file }
            return config?["target"] as? String
        }
        let providers = try Yams.load(yaml: String(contentsOf: Self.grafana.appendingPathComponent("provisioning/dashboards/offerloop.yml"), encoding: .utf8)) as? [String: Any]
        let path = try #require(((providers?["providers"] as? [[String: Any]])?.first?["options"] as? [String: Any])?["path"] as? String)
        #expect(placed("grafana/provisioning/datasources/prometheus.yml") == "/etc/grafana/provisioning/datasources/prometheus.yml", "\(name)")
        #expect(placed("grafana/provisioning/dashboards/offerloop.yml") == "/etc/grafana/provisioning/dashboards/offerloop.yml", "\(name)")
        #expect(placed("grafana/dashboards/offerloop.json") == path + "/offerloop.json", "\(name)")
    }

    /// A live cluster with every service, after decisions, an outcome and a degraded decision
    /// (the profile service gone while a replica cannot vouch for its view), serves every metric
    /// the dashboard queries.
    @Test func everyMetricTheDashboardQueriesIsServedByALiveCluster() throws {
        let context = try ZMQContext()
        defer { context.terminate() }
        let cluster = try OperationsTests.ScriptedCluster(scale: ["echo": 0, "profile": 1, "scoring": 1, "decision": 1, "feedback": 1], context: context)
        defer { cluster.stop() }
        let client = try BrokerClient(context: context, endpoint: cluster.frontend)
        defer { client.close() }
        func decide(_ channel: Channel, minProfileSequence: UInt64 = 0) throws -> DecideReply {
            try client.call("decision", "decide", DecideRequest.with {
                $0.identity = .with { $0.kind = "login"; $0.value = "ada" }
                $0.channel = channel
                $0.minProfileSequence = minProfileSequence
            }, timeoutMicros: 5_000_000)
        }
        let decisions = try [Channel.web, .atm, .kiosk, .callCenter].map { try decide($0) }
        let shown = try #require(decisions.first { !$0.offers.isEmpty })
        // The outcome is taken once the decision is in the store (the journal is copied in the background).
        var ack: OutcomeAck?
        let end = Date().addingTimeInterval(15)
        while ack == nil, Date() < end {
            ack = try? client.call("feedback", "outcome", Outcome.with {
                $0.eventID = "dashboard-1"; $0.decisionID = shown.decisionID; $0.offerID = shown.offers[0].offerID; $0.type = .accept
            })
            if ack == nil { Thread.sleep(forTimeInterval: 0.2) }
        }
        #expect(ack?.sequence == 1)
        Thread.sleep(forTimeInterval: 1.5)  // the broker refreshes its per-service figures every heartbeat; the followers apply the outcome

        var served: Set<String> = []
        for (name, url) in cluster.endpoints where name != "decision-1" { served.formUnion(try Self.served(url)) }
        // The profile service goes; a decision that must see a profile write the replica has not
        // (a sequence far ahead) asks it, fails, and decides degraded from the replica's view.
        kill(try cluster.pid("profile-1"), SIGTERM)
        var degraded = try decide(.web, minProfileSequence: 1 << 40)
        while !degraded.degraded, Date() < end.addingTimeInterval(15) {
            Thread.sleep(forTimeInterval: 0.2)
            degraded = try decide(.web, minProfileSequence: 1 << 40)
        }
        #expect(degraded.degraded && degraded.degradedReason.hasPrefix("profile:"), "\(degraded)")
        served.formUnion(try Self.served(try #require(cluster.endpoints["decision-1"])))

        let missing = try Self.missing(try Data(contentsOf: Self.dashboard), datasource: try Self.datasourceUID(), served: served)
        #expect(missing.isEmpty, "queried by the dashboard, served by no process: \(missing)")
    }
}
