// The compose files: each one valid for docker-compose (`config` needs no Docker engine), the
// topology the same as scripts/cluster's (with --brokers 2), only the brokers (and Prometheus'
// UI) publishing ports, every service attached to both brokers, and Prometheus scraping every
// service.
import Foundation
import Testing
import Yams

struct ComposeTests {
    static let compose = repositoryRoot.appendingPathComponent("compose")

    static func dockerCompose(_ arguments: [String]) throws -> (Int32, String) {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/docker-compose") else {
            throw ComposeMissing()
        }
        let (status, output) = try run("/usr/bin/docker-compose", arguments)
        // It notes that it leaves Swarm configs to `docker stack deploy`: not a complaint.
        return (status, output.split(separator: "\n").filter { !$0.contains("use `docker stack deploy`") }.joined(separator: "\n"))
    }

    struct ComposeMissing: Error, CustomStringConvertible {
        var description: String { "docker-compose is not installed: run the tests with scripts/test, which installs it" }
    }

    @Test(arguments: ["docker-compose.yml", "stack.yml"])
    func theComposeFileIsValid(_ name: String) throws {
        let file = Self.compose.appendingPathComponent(name).path
        try Self.makeKeys()
        let (status, output) = try Self.dockerCompose(["-f", file, "config", "-q"])
        #expect(status == 0 && output.isEmpty, "\(output)")
        let (_, services) = try Self.dockerCompose(["-f", file, "config", "--services"])
        #expect(Set(services.split(separator: "\n").map(String.init)) == Set(Self.services + ["postgres", "prometheus"]))
        // Only the brokers publish a port for touchpoints (and Prometheus its UI): every other
        // service connects, so any of them scales.
        let definitions = try Self.resolvedServices(file)
        #expect(Set(definitions.filter { $0.value["ports"] != nil }.map(\.key)) == Set(Self.brokers + ["prometheus"]))
        // Every service serves its metrics on 9100, where Prometheus looks, and is checked by /ready.
        for name in Self.services {
            let environment = definitions[name]?["environment"] as? [String: Any]
            #expect(environment?["OFFERLOOP_METRICS_ADDRESS"] as? String == "0.0.0.0:9100", "\(name) in \(file)")
            let check = (definitions[name]?["healthcheck"] as? [String: Any])?["test"] as? [String]
            #expect(check?.last == "http://127.0.0.1:9100/ready", "\(name) in \(file)")
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
    static let services = brokers + ["profile", "scoring", "decision", "feedback"]

    static func resolvedServices(_ file: String) throws -> [String: [String: Any]] {
        let (_, resolved) = try dockerCompose(["-f", file, "config"])
        return try #require((try Yams.load(yaml: resolved) as? [String: Any])?["services"] as? [String: [String: Any]])
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
        #expect(found == expected)
    }
}
