// Runs a service process: its worker threads (and any other loops) under one ServiceGroup that
// shuts down in order on SIGTERM or SIGINT, then terminates the ZeroMQ context (bounded LINGER).
import Logging
import ServiceLifecycle
import Wire
import ZeroMQ

public enum ServiceRunner {
    /// Starts `options.threads` workers answering `methods` for `service`, plus `extra` services;
    /// returns after a graceful shutdown.
    public static func run(service: String, methods: Methods, options: WorkerOptions, logger: Logger,
                           context: ZMQContext, extra: [any Service] = []) async throws {
        try await run(service: service, options: options, logger: logger, context: context, extra: extra) { _ in methods }
    }

    /// Like `run`, with methods made by each worker thread for itself: for handlers that own
    /// a resource bound to one thread, such as a database connection. A worker whose methods
    /// cannot be made stops the process with that error.
    ///
    /// The process's metrics and health are served over HTTP when the options name an address;
    /// the service is ready while every worker hears from the broker.
    public static func run(service: String, options: WorkerOptions, logger: Logger, context: ZMQContext,
                           extra: [any Service] = [], makeMethods: @escaping @Sendable (_ worker: Int) throws -> Methods) async throws {
        let settings = options.settings(service: service)
        let telemetry = Telemetry(service: service)
        let pulses = (0..<options.threads).map { telemetry.pulse("\(service) worker \($0)") }
        telemetry.require("broker") {
            let now = MonotonicClock.now()
            return pulses.indices.lazy.compactMap { Worker.readinessProblem(of: pulses[$0], index: $0, settings: settings, now: now) }.first
        }
        let workers: [any Service] = (0..<options.threads).map { index in
            ThreadService(name: "\(service)-worker-\(index)") { stop in
                let methods = try makeMethods(index)
                Worker(settings: settings, methods: methods, context: context, index: index, logger: logger, pulse: pulses[index]).run(until: stop)
            }
        }
        try await runGroup(options.telemetry.endpoints(telemetry, logger: logger) + extra + workers, logger: logger)
        context.terminate()
        logger.info("stopped")
    }

    /// Runs services until SIGTERM/SIGINT, then shuts them down in reverse order.
    public static func runGroup(_ services: [any Service], logger: Logger) async throws {
        let group = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}
