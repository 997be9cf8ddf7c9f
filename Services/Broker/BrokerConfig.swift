// The broker's settings, from flags or OFFERLOOP_BROKER_* environment variables.
import ArgumentParser
import ProcessShell
import Transport

struct BrokerConfig: ParsableArguments {
    @Option(help: "Endpoint to bind for clients (env OFFERLOOP_BROKER_FRONTEND_BIND).")
    var frontend: String = Environment.string("OFFERLOOP_BROKER_FRONTEND_BIND", "tcp://127.0.0.1:5555")

    @Option(help: "Endpoint to bind for workers (env OFFERLOOP_BROKER_BACKEND_BIND).")
    var backend: String = Environment.string("OFFERLOOP_BROKER_BACKEND_BIND", "tcp://127.0.0.1:5556")

    @Option(help: "Endpoint to bind for stream publishers, XSUB (env OFFERLOOP_BROKER_STREAM_IN_BIND).")
    var streamIn: String = Environment.string("OFFERLOOP_BROKER_STREAM_IN_BIND", "tcp://127.0.0.1:5557")

    @Option(help: "Endpoint to bind for stream subscribers, XPUB (env OFFERLOOP_BROKER_STREAM_OUT_BIND).")
    var streamOut: String = Environment.string("OFFERLOOP_BROKER_STREAM_OUT_BIND", "tcp://127.0.0.1:5558")

    @OptionGroup var heartbeat: HeartbeatOptions

    @Option(help: "Requests that may wait per service when every worker is busy; more are refused OVERLOADED (env OFFERLOOP_BROKER_MAX_QUEUE).")
    var maxQueue: Int = Environment.int("OFFERLOOP_BROKER_MAX_QUEUE", 1000)

    @Option(help: "Largest request in bytes; larger ones get TOO_LARGE (env OFFERLOOP_MAX_REQUEST_BYTES).")
    var maxRequestBytes: Int = Environment.int("OFFERLOOP_MAX_REQUEST_BYTES", 1 << 20)

    @Option(help: "Deadline in ms for requests that name none (env OFFERLOOP_DEFAULT_DEADLINE_MS).")
    var defaultDeadlineMs: Int = Environment.int("OFFERLOOP_DEFAULT_DEADLINE_MS", 1000)

    // Unconditional: a Z85 key may start with "-", and is still the value, not a flag.
    @Option(parsing: .unconditional,
            help: "The broker's CURVE secret key (40 Z85 characters; `offerloop keys new broker`); with it every connection is encrypted and authenticated (env OFFERLOOP_BROKER_CURVE_SECRET_KEY, or _FILE).")
    var curveSecretKey: String = Environment.string("OFFERLOOP_BROKER_CURVE_SECRET_KEY", "")

    @Option(help: "Directory of the public keys let in: clients/NAME.pub (touchpoints), services/NAME.pub (service replicas), admin/NAME.pub (operators) (env OFFERLOOP_KEYS_DIR).")
    var keysDir: String = Environment.string("OFFERLOOP_KEYS_DIR", "keys/allow")

    @OptionGroup var logging: LoggingOptions
    @OptionGroup var telemetry: TelemetryOptions

    func validate() throws {
        guard maxQueue >= 0 else { throw ValidationError("--max-queue must not be negative") }
        guard maxRequestBytes >= 1024 else { throw ValidationError("--max-request-bytes must be at least 1024") }
        guard defaultDeadlineMs >= 1 else { throw ValidationError("--default-deadline-ms must be at least 1") }
        _ = try security()
    }

    /// CURVE with the allow-list, when a secret key is given; nil: plaintext.
    func security() throws -> BrokerSecurity? {
        guard !curveSecretKey.isEmpty else { return nil }
        do {
            return try BrokerSecurity(secretKey: curveSecretKey, keysDirectory: keysDir)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func settings() throws -> BrokerSettings {
        BrokerSettings(
            frontend: frontend, backend: backend, security: try security(),
            heartbeatInterval: heartbeat.interval, heartbeatLiveness: heartbeat.liveness,
            maxQueue: maxQueue, maxRequestBytes: maxRequestBytes,
            defaultDeadline: UInt64(defaultDeadlineMs) * 1_000_000)
    }
}

/// The validated settings the broker loop runs with (times in nanoseconds).
struct BrokerSettings: Sendable {
    let frontend: String
    let backend: String
    let security: BrokerSecurity?
    let heartbeatInterval: UInt64
    let heartbeatLiveness: UInt64
    let maxQueue: Int
    let maxRequestBytes: Int
    let defaultDeadline: UInt64

    /// Beyond this, libzmq drops the sending peer's connection before we see the message:
    /// a hard cap on memory, well above the size that still gets a typed TOO_LARGE reply.
    var hardMessageLimit: Int64 { Int64(maxRequestBytes) * 16 }
}
