// The cluster as operators run it: scripts/cluster with scaled services, every process's metrics,
// health and readiness over HTTP (scraped and parsed), decisions spread over the replicas as the
// metrics show it, and readiness that follows the broker going away and coming back.
import Foundation
import Testing
import Transport
import Wire
import ZeroMQ

struct OperationsTests {
    /// A Prometheus text exposition as series (name and labels, as written) → value; throws
    /// naming the first line that is not a comment, a blank or a sample.
    static func parseMetrics(_ text: String) throws -> [String: Double] {
        var series: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]),
                  line[..<space].wholeMatch(of: /[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"]*",?)*\})?/) != nil else {
                throw ServiceError(.malformed, "not a Prometheus sample: '\(line)'")
            }
            series[String(line[..<space])] = value
        }
        return series
    }

    /// GET `url` with curl: the status and the body.
    static func get(_ url: String) throws -> (status: Int, body: String) {
        let (_, output) = try run("/usr/bin/curl", ["-s", "--max-time", "5", "-w", "\n%{http_code}", url])
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n").trimmingCharacters(in: .newlines))
    }

    /// `count` consecutive loopback ports no one listens on now.
    static func freePorts(_ count: Int, _ context: ZMQContext) throws -> Int {
        for _ in 0..<50 {
            let base = Int.random(in: 20_000..<60_000)
            let free = (base..<base + count).allSatisfy { port in
                guard let socket = try? ZMQSocket(context, .rep) else { return false }
                defer { socket.close() }
                return (try? socket.bind("tcp://127.0.0.1:\(port)")) != nil
            }
            if free { return base }
        }
        throw ServiceError(.internal, "no \(count) consecutive free ports found")
    }

    /// Polls `url` until its status is `status`; returns the last answer.
    static func waitFor(_ status: Int, at url: String, within seconds: Double) throws -> (status: Int, body: String) {
        let end = Date().addingTimeInterval(seconds)
        var answer = try get(url)
        while answer.status != status, Date() < end {
            Thread.sleep(forTimeInterval: 0.2)
            answer = try get(url)
        }
        return answer
    }

    /// A cluster started by scripts/cluster on free loopback ports, with the demo customers in its
    /// profile store: ports `base` (frontend) to `base + 3` (the broker's), metrics from `base + 4`.
    struct ScriptedCluster {
        static let script = repositoryRoot.appendingPathComponent("scripts/cluster").path
        let runDirectory: URL
        let base: Int
        /// Each process's metrics URL by name (scripts/cluster's metrics.txt).
        let endpoints: [String: String]
        var frontend: String { "tcp://127.0.0.1:\(base)" }

        /// `scale`: replicas per service (echo, profile, scoring, decision, feedback).
        init(scale: KeyValuePairs<String, Int>, context: ZMQContext) throws {
            // The frontend, backend and two stream ports, then one metrics port per process.
            base = try OperationsTests.freePorts(4 + 1 + scale.map(\.value).reduce(0, +), context)
            runDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("offerloop-ops-\(UUID().uuidString.prefix(8))")
            let data = runDirectory.appendingPathComponent("data")
            try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
            try DemoData.importAll(into: "sqlite:" + data.appendingPathComponent("profile.sqlite").path)
            // No HTTP gateway: it would take the fixed port 8080, which parallel tests share.
            let (started, startOutput) = try run(Self.script, ["start", "--scale", "gateway=0"] + scale.flatMap { ["--scale", "\($0.key)=\($0.value)"] } + [
                "--bin", binDirectory.path, "--frontend-port", "\(base)", "--backend-port", "\(base + 1)", "--metrics-port", "\(base + 4)",
                "--run-dir", runDirectory.path,
            ])
            let listed = (try? String(contentsOf: runDirectory.appendingPathComponent("metrics.txt"), encoding: .utf8)) ?? ""
            endpoints = Dictionary(uniqueKeysWithValues: listed.split(separator: "\n").map { line in
                let parts = line.split(separator: " ")
                return (String(parts[0]), String(parts[1]))
            })
            if started != 0 {
                stop()
                throw ServiceError(.internal, "scripts/cluster start failed: \(startOutput)")
            }
        }

        func stop() { _ = try? run(Self.script, ["stop", "--run-dir", runDirectory.path]) }

        /// The pid of one of its processes (e.g. broker, profile-1).
        func pid(_ name: String) throws -> pid_t {
            let text = try String(contentsOf: runDirectory.appendingPathComponent("pids/\(name).pid"), encoding: .utf8)
            return try #require(pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
    }

    @Test func aScaledClusterSpreadsDecisionsAndShowsItInItsMetrics() throws {
        let context = try ZMQContext()
        defer { context.terminate() }
        let cluster = try ScriptedCluster(scale: ["echo": 0, "profile": 1, "scoring": 3, "decision": 2, "feedback": 1], context: context)
        defer { cluster.stop() }
        let (base, endpoints, frontend) = (cluster.base, cluster.endpoints, cluster.frontend)

        // The endpoints scripts/cluster lists: one per process.
        #expect(Set(endpoints.keys) == ["broker", "profile-1", "scoring-1", "scoring-2", "scoring-3", "decision-1", "decision-2", "feedback-1"])

        let client = try BrokerClient(context: context, endpoint: frontend)
        defer { client.close() }
        let customers: [(String, String, Channel)] = [("card", "4111111111110006", .atm), ("login", "ada", .web), ("login", "chloe", .kiosk),
                                                      ("phone", "+447700900029", .callCenter)]
        let decisions = 80
        for index in 0..<decisions {
            let (kind, value, channel) = customers[index % customers.count]
            let _: DecideReply = try client.call("decision", "decide", DecideRequest.with {
                $0.identity = .with { $0.kind = kind; $0.value = value }
                $0.channel = channel
            }, timeoutMicros: 5_000_000)
        }
        Thread.sleep(forTimeInterval: 1.5)  // the broker refreshes its per-service figures every heartbeat

        var scraped: [String: [String: Double]] = [:]
        for (name, url) in endpoints {
            let metrics = try Self.get(url + "/metrics")
            #expect(metrics.status == 200, "\(name)")
            scraped[name] = try Self.parseMetrics(metrics.body)
            let health = try Self.get(url + "/health"), ready = try Self.get(url + "/ready")
            #expect(health.status == 200 && health.body == "alive", "\(name): \(health)")
            #expect(ready.status == 200 && ready.body == "ready", "\(name): \(ready)")
        }
        func served(_ process: String, _ method: String) -> Double { scraped[process]?["offerloop_requests_total{method=\"\(method)\"}"] ?? 0 }

        // Every decision was answered by one of the two decision replicas, each taking a fair part.
        let decided = ["decision-1", "decision-2"].map { served($0, "decide") }
        #expect(decided.reduce(0, +) == Double(decisions))
        #expect(decided.allSatisfy { $0 >= Double(decisions) / 4 }, "decide per replica: \(decided)")
        let byChannel = ["decision-1", "decision-2"].flatMap { name in
            ChannelName.all.map { scraped[name]?["offerloop_decisions_total{channel=\"\($0)\"}"] ?? 0 }
        }
        #expect(byChannel.reduce(0, +) == Double(decisions))
        // One hop: the decision replicas decided from the views they hold (the profile service is
        // asked only when a replica cannot vouch for its view) and scored with the model they hold.
        let fromMemory = ["decision-1", "decision-2"].map { scraped[$0]?["offerloop_decision_views_total{source=\"replica\"}"] ?? 0 }
        #expect(fromMemory.reduce(0, +) >= Double(decisions) / 2, "views from the replicas' memory: \(fromMemory)")
        let scored = ["scoring-1", "scoring-2", "scoring-3"].map { served($0, "score") }
        #expect(scored.reduce(0, +) == 0, "scoring calls: \(scored)")
        // The broker saw the same: three scoring workers, two decision workers, nothing queued.
        let broker = scraped["broker"] ?? [:]
        #expect(broker["offerloop_broker_workers{service=\"scoring\"}"] == 3)
        #expect(broker["offerloop_broker_workers{service=\"decision\"}"] == 2)
        #expect(broker["offerloop_broker_dispatched_total{service=\"decision\"}"] ?? 0 >= Double(decisions))
        #expect(broker["offerloop_broker_queue_depth{service=\"decision\"}"] == 0)
        #expect(scraped["decision-1"]?.keys.contains { $0.hasPrefix("offerloop_catalog_info{version=") } == true)

        // The broker stops: the services are still alive but cannot serve; it comes back: ready again.
        kill(try cluster.pid("broker"), SIGTERM)
        let decisionURL = try #require(endpoints["decision-1"])
        let notReady = try Self.waitFor(503, at: decisionURL + "/ready", within: 15)
        #expect(notReady.status == 503 && notReady.body.contains("broker"), "\(notReady)")
        #expect(try Self.get(decisionURL + "/health").status == 200, "alive while the broker is away")

        let restarted = Process()
        restarted.executableURL = binDirectory.appendingPathComponent("offerloop-broker")
        restarted.arguments = ["--frontend", frontend, "--backend", "tcp://127.0.0.1:\(base + 1)", "--stream-in", "tcp://127.0.0.1:\(base + 2)",
                               "--stream-out", "tcp://127.0.0.1:\(base + 3)", "--metrics-address", "127.0.0.1:\(base + 4)"]
        restarted.standardError = FileHandle.nullDevice
        try restarted.run()
        defer {
            restarted.terminate()
            restarted.waitUntilExit()
        }
        let ready = try Self.waitFor(200, at: decisionURL + "/ready", within: 20)
        #expect(ready.status == 200, "\(ready)")
    }
}
