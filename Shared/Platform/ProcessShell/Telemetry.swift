// What a service tells its operators over HTTP: Prometheus metrics (/metrics), whether its loops
// still turn (/health) and whether it can serve now (/ready). Services record metrics through
// swift-metrics; this bootstraps Prometheus as its backend, once per process.
import ArgumentParser
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import Synchronization
import Transport

public struct TelemetryOptions: ParsableArguments {
    @Option(help: "HOST:PORT of the HTTP endpoint serving /metrics, /health and /ready; empty: none (env OFFERLOOP_METRICS_ADDRESS).")
    public var metricsAddress: String = Environment.string("OFFERLOOP_METRICS_ADDRESS", "")

    public init() {}

    public func validate() throws {
        if !metricsAddress.isEmpty, Self.split(metricsAddress) == nil {
            throw ValidationError("--metrics-address takes HOST:PORT, e.g. 0.0.0.0:9100; not '\(metricsAddress)'")
        }
    }

    /// HOST:PORT split; nil when it is not one.
    public static func split(_ address: String) -> (host: String, port: Int)? {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
              (0...65535).contains(port), colon > address.startIndex else { return nil }
        return (String(address[..<colon]), port)
    }

    /// The HTTP endpoint, a service of the process's group; none when no address is set.
    public func endpoints(_ telemetry: Telemetry, logger: Logger) -> [any Service] {
        guard let (host, port) = Self.split(metricsAddress) else { return [] }
        logger.info("metrics, health and readiness over HTTP", metadata: ["address": "\(metricsAddress)"])
        return [TelemetryEndpoint(host: host, port: port, telemetry: telemetry, logger: logger)]
    }
}

public final class Telemetry: Sendable {
    /// A loop that has not turned for this long is stuck: the process is not alive.
    public static let stallLimit: UInt64 = 30_000_000_000

    private let pulses = Mutex<[Pulse]>([])
    private let conditions = Mutex<[(name: String, check: @Sendable () -> String?)]>([])

    /// Sets the build info (and bootstraps the metrics, if that was not done yet).
    public init(service: String) {
        Self.bootstrapMetrics()
        Gauge(label: "offerloop_build_info", dimensions: [("service", service), ("version", OfferLoopVersion.current)]).record(1)
    }

    /// Makes Prometheus the backend of swift-metrics; once per process, whoever calls first.
    public static func bootstrapMetrics() { _ = bootstrap }

    /// The histogram of how long after its publication a profile change became visible at a
    /// decision replica (the decision service records it).
    public static let visibleLabel = "offerloop_decision_replica_visible_seconds"

    private static let bootstrap: Void = {
        var factory = PrometheusMetricsFactory(registry: PrometheusMetricsFactory.defaultRegistry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1), .seconds(5),
        ]
        // A profile write's visibility at a decision replica: its target is p99 ≤ 5 ms, so finer
        // steps below 10 ms than the request durations need.
        factory.durationHistogramBuckets[visibleLabel] = [
            .microseconds(100), .microseconds(200), .microseconds(300), .microseconds(500), .microseconds(750), .milliseconds(1),
            .microseconds(1500), .milliseconds(2), .milliseconds(3), .milliseconds(4), .milliseconds(5), .microseconds(7500),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1), .seconds(5),
        ]
        MetricsSystem.bootstrap(factory)
    }()

    /// A loop the process's liveness depends on.
    public func pulse(_ name: String) -> Pulse {
        let pulse = Pulse(name: name)
        pulses.withLock { $0.append(pulse) }
        return pulse
    }

    /// A condition for serving: `check` says why the service cannot serve now, or nil.
    public func require(_ name: String, _ check: @escaping @Sendable () -> String?) {
        conditions.withLock { $0.append((name, check)) }
    }

    /// What keeps the process from being alive: loops stuck longer than the stall limit.
    public func healthProblems(now: UInt64 = MonotonicClock.now()) -> [String] {
        pulses.withLock { $0 }.compactMap { pulse in
            let age = now &- pulse.lastTurn
            return age > Self.stallLimit && pulse.lastTurn < now ? "\(pulse.name) has not turned for \(age / 1_000_000) ms" : nil
        }
    }

    /// What keeps the service from serving now: its health problems and unmet conditions.
    public func readinessProblems() -> [String] {
        healthProblems() + conditions.withLock { $0 }.compactMap { name, check in check().map { "\(name): \($0)" } }
    }

    /// The process's metrics in Prometheus' text format.
    public func metricsText() -> [UInt8] { PrometheusMetricsFactory.defaultRegistry.emitToBuffer() }
}
