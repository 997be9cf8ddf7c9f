// Options every service shares, from flags or OFFERLOOP_* environment variables.
import ArgumentParser
import Logging
import Transport
import Wire
import ZeroMQ

/// Where the broker is, for clients.
public struct ClientOptions: ParsableArguments {
    @Option(help: "Broker frontend endpoint for clients; several brokers comma-separated (env OFFERLOOP_FRONTEND).")
    public var frontend: String = Environment.string("OFFERLOOP_FRONTEND", "tcp://127.0.0.1:5555")

    public init() {}

    /// A client of the brokers in `--frontend`, on a context of its own (its sockets keep the
    /// context alive): what a one-shot command calls through. The caller closes it.
    public func connect() throws(ZMQError) -> BrokerClient {
        try BrokerClient(context: ZMQContext(), endpoint: frontend)
    }
}

/// How a service's workers attach to the broker, and how it logs.
public struct WorkerOptions: ParsableArguments {
    @Option(help: "Broker backend endpoint for workers; several brokers comma-separated, each gets --threads workers (env OFFERLOOP_BACKEND).")
    public var backend: String = Environment.string("OFFERLOOP_BACKEND", "tcp://127.0.0.1:5556")

    @Option(help: "Worker threads per broker, each a separate worker at that broker (env OFFERLOOP_THREADS).")
    public var threads: Int = Environment.int("OFFERLOOP_THREADS", 1)

    @Option(help: "Requests each worker accepts in flight (env OFFERLOOP_CAPACITY).")
    public var capacity: Int = Environment.int("OFFERLOOP_CAPACITY", 4)

    @OptionGroup public var heartbeat: HeartbeatOptions

    @Option(help: "Longest reconnect backoff in ms (env OFFERLOOP_RECONNECT_MAX_MS).")
    public var reconnectMaxMs: Int = Environment.int("OFFERLOOP_RECONNECT_MAX_MS", 5000)

    @OptionGroup public var logging: LoggingOptions
    @OptionGroup public var telemetry: TelemetryOptions

    public init() {}

    public func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard capacity >= 1 else { throw ValidationError("--capacity must be at least 1") }
    }

    /// The settings of a worker of `backend` (one of the list in `--backend`).
    public func settings(service: String, backend: String) -> WorkerSettings {
        var settings = WorkerSettings(service: service, backend: backend, capacity: UInt32(capacity))
        settings.heartbeatInterval = heartbeat.interval
        settings.heartbeatLiveness = heartbeat.liveness
        settings.reconnectMax = UInt64(reconnectMaxMs) * 1_000_000
        return settings
    }
}

/// The heartbeat between the broker and its workers, the same on both sides: a worker takes the
/// broker as gone, and the broker a worker, after `liveness` intervals without one.
public struct HeartbeatOptions: ParsableArguments {
    @Option(help: "Heartbeat interval in ms, both ways between the broker and its workers; the same on both sides (env OFFERLOOP_HEARTBEAT_MS).")
    public var heartbeatMs: Int = Environment.int("OFFERLOOP_HEARTBEAT_MS", 1000)

    @Option(help: "Missed heartbeats after which the other side is taken as gone (env OFFERLOOP_HEARTBEAT_LIVENESS).")
    public var heartbeatLiveness: Int = Environment.int("OFFERLOOP_HEARTBEAT_LIVENESS", 3)

    public init() {}

    public func validate() throws {
        guard heartbeatMs >= 10 else { throw ValidationError("--heartbeat-ms must be at least 10") }
        guard heartbeatLiveness >= 1 else { throw ValidationError("--heartbeat-liveness must be at least 1") }
    }

    /// The interval in nanoseconds.
    public var interval: UInt64 { UInt64(heartbeatMs) * 1_000_000 }
    public var liveness: UInt64 { UInt64(heartbeatLiveness) }
}

public struct LoggingOptions: ParsableArguments {
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (env OFFERLOOP_LOG_LEVEL).")
    public var logLevel: String = Environment.string("OFFERLOOP_LOG_LEVEL", "info")

    public init() {}

    public func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level '\(logLevel)' is not one of trace, debug, info, notice, warning, error, critical")
        }
    }

    /// Sends logs to standard error with the level chosen and metrics to Prometheus (before
    /// anything records one: a metric made earlier goes nowhere); returns the service's logger.
    public func bootstrap(service: String) -> Logger {
        Telemetry.bootstrapMetrics()
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "offerloop.\(service)")
        logger[metadataKey: "service"] = "\(service)"
        return logger
    }
}

/// Each channel's decision deadline (`--channel-deadlines`, env OFFERLOOP_CHANNEL_DEADLINES): the
/// decision service answers by it, and the load generator counts an answer after it as late.
public struct ChannelDeadlineOptions: ParsableArguments {
    @Option(help: "Deadline per channel in ms, counted from the request; a request's own earlier deadline wins (env OFFERLOOP_CHANNEL_DEADLINES).")
    public var channelDeadlines: String = Environment.string(
        "OFFERLOOP_CHANNEL_DEADLINES", ChannelName.all.map { "\($0):\(Self.defaultMilliseconds[$0]!)" }.joined(separator: ","))

    /// Each channel's deadline when none is configured (ms): the tightest where a customer stands at a machine.
    public static let defaultMilliseconds = ["atm": 50, "kiosk": 80, "web": 100, "call_center": 200]

    public init() {}

    public func validate() throws { _ = try milliseconds() }

    /// The deadline of each channel named, in ms.
    public func milliseconds() throws -> [String: Int] {
        try ChannelValues.parse(channelDeadlines, option: "--channel-deadlines", example: "atm:50,web:100") { Int($0).flatMap { $0 > 0 ? $0 : nil } }
    }
}

/// Per-channel settings written CHANNEL:VALUE,CHANNEL:VALUE (e.g. "atm:50,web:100").
public enum ChannelValues {
    /// The pairs of `text`; `value` reads one value (nil: invalid). Throws naming the option and
    /// the bad pair, with `example`.
    public static func parse<T>(_ text: String, option: String, example: String, _ value: (Substring) -> T?) throws -> [String: T] {
        var result: [String: T] = [:]
        for item in text.split(separator: ",") {
            let parts = item.split(separator: ":")
            guard parts.count == 2, ChannelName.all.contains(String(parts[0])), let parsed = value(parts[1]) else {
                throw ValidationError("\(option) takes CHANNEL:VALUE pairs (channels: \(ChannelName.all.joined(separator: ", "))), e.g. \(example); not '\(item)'")
            }
            result[String(parts[0])] = parsed
        }
        return result
    }

    /// A positive duration as milliseconds: "250ms", "30s", "10m", "24h", "7d".
    public static func milliseconds(_ text: Substring) -> Int64? {
        let units: [(String, Int64)] = [("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        guard let (suffix, scale) = units.first(where: { text.hasSuffix($0.0) && Int64(text.dropLast($0.0.count)) != nil }),
              let count = Int64(text.dropLast(suffix.count)), count > 0, count <= Int64.max / scale else { return nil }
        return count * scale
    }
}
