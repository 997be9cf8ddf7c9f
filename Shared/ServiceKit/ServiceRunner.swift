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
        let settings = options.settings(service: service)
        let workers: [any Service] = (0..<options.threads).map { index in
            let worker = Worker(settings: settings, methods: methods, context: context, index: index, logger: logger)
            return ThreadService(name: "\(service)-worker-\(index)") { stop in worker.run(until: stop) }
        }
        try await runGroup(extra + workers, logger: logger)
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
