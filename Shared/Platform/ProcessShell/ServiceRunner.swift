// Runs a service process: its worker threads (and any other loops) under one ServiceGroup that
// shuts down in order on SIGTERM or SIGINT, then terminates the ZeroMQ context (bounded LINGER).
import Logging
import ServiceLifecycle
import Transport
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
    /// a resource bound to one thread, such as a database connection, which the thread closes
    /// (`Methods.close`) when its worker stops. A worker whose methods cannot be made stops the
    /// process with that error.
    ///
    /// With several brokers (`--backend` a comma-separated list), `threads` workers serve each.
    /// The process's metrics and health are served over HTTP when the options name an address;
    /// the service is ready while every worker of at least one broker hears from it. With
    /// `startGates`, the workers register only once every one of them is open (e.g. a replica
    /// caught up with its streams). `partition`, when given, is announced by every worker: the
    /// broker sends it only the routing keys of that partition (and requests without a key).
    public static func run(service: String, options: WorkerOptions, logger: Logger, context: ZMQContext,
                           extra: [any Service] = [], partition: KeyPartition? = nil, startGates: [StartGate] = [],
                           makeMethods: @escaping @Sendable (_ worker: Int) throws -> Methods) async throws {
        // Each worker thread serves one broker: `threads` of them per broker of the list.
        let workers = BrokerSockets.endpoints(options.backend).flatMap { backend in
            var settings = options.settings(service: service, backend: backend)
            settings.partition = partition
            return (0..<options.threads).map { _ in settings }
        }
        let threads = options.threads
        let telemetry = Telemetry(service: service)
        let pulses = workers.indices.map { telemetry.pulse("\(service) worker \($0)") }
        // Ready while every worker of at least one broker hears from it.
        telemetry.require("broker") {
            Worker.readinessProblem(of: pulses, settings: workers, perBroker: threads, now: MonotonicClock.now())
        }
        let workerThreads: [any Service] = workers.indices.map { index in
            ThreadService(name: "\(service)-worker-\(index)") { stop in
                for gate in startGates where !gate.wait(until: stop) { return }
                let methods = try makeMethods(index)
                defer { methods.close() }
                Worker(settings: workers[index], methods: methods, context: context, index: index, logger: logger, pulse: pulses[index]).run(until: stop)
            }
        }
        try await runGroup(options.telemetry.endpoints(telemetry, logger: logger) + extra + workerThreads, logger: logger)
        context.terminate()
        logger.info("stopped")
    }

    /// Runs services until SIGTERM/SIGINT (unless `onSignals` is false: a test in process), then
    /// shuts them down in reverse order. A service that throws shuts the others down the same
    /// way; then its error is logged and thrown.
    public static func runGroup(_ services: [any Service], logger: Logger, onSignals: Bool = true) async throws {
        let group = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0, failureTerminationBehavior: .gracefullyShutdownGroup) },
            gracefulShutdownSignals: onSignals ? [.sigterm, .sigint] : [],
            logger: logger))
        do {
            try await group.run()
        } catch {
            logger.critical("stopped by a failure", metadata: ["error": "\(error)"])
            throw error
        }
    }
}
