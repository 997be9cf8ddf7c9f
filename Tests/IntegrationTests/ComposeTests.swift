// The compose files: each one valid against the Compose Specification's JSON schema and
// consistent in what a schema cannot see (scripts/lib/compose-check.py: every network, volume,
// secret, config and dependency defined, secret files present, ports published once, health
// checks on the metrics port) — no container engine needed; the topology the same as
// scripts/cluster's (with --brokers 2), only the brokers (and Prometheus' UI) publishing ports,
// every service attached to both brokers, and Prometheus scraping every service.
import Foundation
import Testing
import Yams

struct ComposeTests {
    static let compose = repositoryRoot.appendingPathComponent("compose")

    /// compose-check's verdict on a file: its exit status and what it printed.
    static func check(_ file: String) throws -> (Int32, String) {
        try run("/usr/bin/env", ["python3", repositoryRoot.appendingPathComponent("scripts/lib/compose-check.py").path, file])
    }

    @Test(arguments: ["docker-compose.yml", "stack.yml"])
    func theComposeFileIsValid(_ name: String) throws {
        let file = Self.compose.appendingPathComponent(name).path
        try Self.makeKeys()
        let definitions = try Self.resolvedServices(file)
        // The stack runs the decision replicas as one service per partition.
        let partitions = name == "stack.yml" ? Self.decisionPartitions.filter { !Self.services.contains($0) } : []
        #expect(Set(definitions.keys) == Set(Self.services + partitions + ["postgres", "prometheus", "grafana"]))
        // Only the brokers publish a port for touchpoints, the gateway one for HTTP touchpoints (and
        // Prometheus and Grafana their UIs): every other service connects, so any of them scales.
        #expect(Set(definitions.filter { $0.value["ports"] != nil }.map(\.key)) == Set(Self.brokers + ["gateway", "prometheus", "grafana"]))
        // Every service serves its metrics on 9100, where Prometheus looks, and is checked by /ready.
        for name in Self.services {
            let environment = definitions[name]?["environment"] as? [String: Any]
            #expect(environment?["OFFERLOOP_METRICS_ADDRESS"] as? String == "0.0.0.0:9100", "\(name) in \(file)")
            let check = (definitions[name]?["healthcheck"] as? [String: Any])?["test"] as? [String]
            #expect(check?.last == "http://127.0.0.1:9100/ready", "\(name) in \(file)")
        }
    }

    /// The check can fail: a misspelt key (the schema), a dependency on no service, a health
    /// check on the wrong port and a secret whose file is missing (the cross-checks) are named.
    @Test func aBrokenComposeFileIsRefusedWithWhatIsWrong() throws {
        try Self.makeKeys()
        let original = try String(contentsOf: Self.compose.appendingPathComponent("docker-compose.yml"), encoding: .utf8)
        let broken = Self.compose.appendingPathComponent("broken-\(UUID().uuidString).yml")
        defer { try? FileManager.default.removeItem(at: broken) }
        for (change, expected) in [
            (("restart: unless-stopped", "restrat: unless-stopped"), "'restrat' was unexpected"),
            (("depends_on: [broker, broker-2, postgres]", "depends_on: [broker, brokr-2, postgres]"), "depends on 'brokr-2', which is not a service"),
            (("9100/ready", "9101/ready"), "checks its health at http://127.0.0.1:9101/ready, but serves it on 0.0.0.0:9100"),
            (("{file: ./keys/feedback.key}", "{file: ./keys/feedbak.key}"), "secret 'feedback_key' reads ./keys/feedbak.key, which does not exist"),
        ] {
            #expect(original.contains(change.0))
            try original.replacingOccurrences(of: change.0, with: change.1).write(to: broken, atomically: true, encoding: .utf8)
            let (status, output) = try Self.check(broken.path)
            #expect(status != 0 && output.contains(expected), "\(change.1): \(output)")
        }
    }

    /// Either broker can fail: every service names both in each endpoint (workers register with
    /// each, clients send to either, the stream goes through both), and each broker is published
    /// on its own port.
    @Test(arguments: ["docker-compose.yml", "stack.yml"])
    func everyServiceUsesBothBrokers(_ name: String) throws {
        try Self.makeKeys()
        let definitions = try Self.resolvedServices(Self.compose.appendingPathComponent(name).path)
        let ports = ["OFFERLOOP_FRONTEND": 5555, "OFFERLOOP_BACKEND": 5556, "OFFERLOOP_STREAM_IN": 5557, "OFFERLOOP_STREAM_OUT": 5558]
        for service in Self.services where !Self.brokers.contains(service) {
            let environment = definitions[service]?["environment"] as? [String: Any] ?? [:]
            for (variable, port) in ports {
                #expect(environment[variable] as? String == Self.brokers.map { "tcp://\($0):\(port)" }.joined(separator: ","), "\(variable) of \(service) in \(name)")
            }
        }
        let published = Self.brokers.map { broker in
            ((definitions[broker]?["ports"] as? [[String: Any]])?.first?["published"]).map { "\($0)" }
        }
        #expect(published == ["5555", "5565"], "\(name)")
    }

    /// Security is on in both files: the broker's secret key and allow-list, each service's own
    /// secret key and the broker's public key, all from secrets and configs, never inline.
    @Test(arguments: ["docker-compose.yml", "stack.yml"])
    func securityIsOn(_ name: String) throws {
        try Self.makeKeys()
        let definitions = try Self.resolvedServices(Self.compose.appendingPathComponent(name).path)
        func environment(_ service: String) -> [String: Any] { definitions[service]?["environment"] as? [String: Any] ?? [:] }
        func secrets(_ service: String) -> [String] {
            (definitions[service]?["secrets"] as? [Any] ?? []).compactMap { ($0 as? String) ?? (($0 as? [String: Any])?["source"] as? String) }
        }
        for broker in Self.brokers {
            let settings = environment(broker)
            #expect((settings["OFFERLOOP_BROKER_CURVE_SECRET_KEY_FILE"] as? String)?.hasPrefix("/run/secrets/") == true, "\(broker) in \(name)")
            #expect(settings["OFFERLOOP_KEYS_DIR"] as? String == "/etc/offerloop/keys", "\(broker) in \(name)")
            #expect(secrets(broker).count == 1 && settings["OFFERLOOP_BROKER_CURVE_SECRET_KEY"] == nil, "\(broker) in \(name)")
        }
        for service in Self.services where !Self.brokers.contains(service) {
            let secretFile = try #require(environment(service)["OFFERLOOP_CURVE_SECRET_KEY_FILE"] as? String, "\(service) in \(name)")
            #expect(secretFile.hasPrefix("/run/secrets/") && secrets(service).contains(String(secretFile.dropFirst("/run/secrets/".count))), "\(service) in \(name)")
            #expect(secretFile.contains(service), "each service has its own key: \(service) in \(name)")
            #expect(environment(service)["OFFERLOOP_CURVE_SERVER_KEY_FILE"] != nil, "\(service) in \(name)")
        }
    }

    /// The keys the compose files name (gitignored; made as an operator would), once.
    static func makeKeys() throws {
        #expect(madeKeys.0 == 0, "\(madeKeys.1)")
    }
    static let madeKeys = (try? run("offerloop", ["keys", "cluster", "--dir", compose.appendingPathComponent("keys").path])) ?? (-1, "cannot run offerloop")

    static let brokers = ["broker", "broker-2"]
    /// The stack's decision services, one per partition of the customers.
    static let decisionPartitions = ["decision", "decision-2"]

    /// The stack runs the decision replicas in two partitions, one service each, alike but for
    /// OFFERLOOP_PARTITION; compose runs them unpartitioned.
    @Test func theStacksDecisionServicesHoldAPartitionEach() throws {
        try Self.makeKeys()
        let stack = try Self.resolvedServices(Self.compose.appendingPathComponent("stack.yml").path)
        func environment(_ service: String) -> [String: Any] { stack[service]?["environment"] as? [String: Any] ?? [:] }
        #expect(Self.decisionPartitions.map { environment($0)["OFFERLOOP_PARTITION"] as? String } == ["0/2", "1/2"])
        var first = try #require(stack["decision"]), second = try #require(stack["decision-2"])
        first["environment"] = nil
        second["environment"] = nil
        #expect(NSDictionary(dictionary: first).isEqual(to: second))
        var rest = environment("decision-2")
        rest["OFFERLOOP_PARTITION"] = environment("decision")["OFFERLOOP_PARTITION"]
        #expect(NSDictionary(dictionary: rest).isEqual(to: environment("decision")))
        let compose = try Self.resolvedServices(Self.compose.appendingPathComponent("docker-compose.yml").path)
        #expect((compose["decision"]?["environment"] as? [String: Any])?["OFFERLOOP_PARTITION"] == nil && compose["decision-2"] == nil)
    }
    static let services = brokers + ["profile", "scoring", "decision", "feedback", "gateway"]

    /// The services as compose resolves them, once the file passed every check.
    static func resolvedServices(_ file: String) throws -> [String: [String: Any]] {
        let (status, resolved) = try check(file)
        try #require(status == 0, "\(resolved)")
        let document = try JSONSerialization.jsonObject(with: Data(resolved.utf8)) as? [String: Any]
        return try #require(document?["services"] as? [String: [String: Any]])
    }

    /// Each Prometheus configuration scrapes every replica of every service: a job per service
    /// finding its containers (compose) or tasks (Swarm) by DNS, on the metrics port.
    @Test(arguments: [("prometheus.yml", ""), ("prometheus-swarm.yml", "tasks.")])
    func prometheusScrapesEveryService(_ name: String, _ prefix: String) throws {
        let text = try String(contentsOf: Self.compose.appendingPathComponent(name), encoding: .utf8)
        let jobs = try #require((try Yams.load(yaml: text) as? [String: Any])?["scrape_configs"] as? [[String: Any]])
        var found: [String: [String]] = [:]
        for job in jobs {
            for discovery in job["dns_sd_configs"] as? [[String: Any]] ?? [] where discovery["port"] as? Int == 9100 && discovery["type"] as? String == "A" {
                found[job["job_name"] as? String ?? "", default: []] += discovery["names"] as? [String] ?? []
            }
        }
        var expected = Dictionary(uniqueKeysWithValues: Self.services.filter { !Self.brokers.contains($0) }.map { ($0, [prefix + $0]) })
        expected["broker"] = Self.brokers.map { prefix + $0 }
        if !prefix.isEmpty { expected["decision"] = Self.decisionPartitions.map { prefix + $0 } }
        #expect(found == expected)
    }
}
