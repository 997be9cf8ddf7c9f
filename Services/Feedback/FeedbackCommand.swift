// offerloop-feedback: what the customer did with an offer — stored once, published in order.
import ArgumentParser
import DecisionRecords
import Foundation
import ProcessShell
import Store
import Transport
import ZeroMQ

@main
struct FeedbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "offerloop-feedback",
        abstract: "Takes outcomes, checks them against the decision log, stores them once and publishes the outcome stream.")

    @OptionGroup var options: WorkerOptions

    @OptionGroup var store: DecisionStoreOptions
    @OptionGroup var stream: StreamPublisherOptions

    @Option(help: "How long outcomes of a decision are taken, per channel; then unanswered offers become ignored (env OFFERLOOP_RESPONSE_WINDOWS).")
    var responseWindows: String = Environment.string("OFFERLOOP_RESPONSE_WINDOWS", "atm:10m,kiosk:30m,web:7d,call_center:7d")

    @Option(help: "Milliseconds between sweeps for unanswered offers (env OFFERLOOP_SWEEP_MS).")
    var sweepMs: Int = Environment.int("OFFERLOOP_SWEEP_MS", 1000)

    @Option(help: "Milliseconds an outcome whose decision is not in the log yet waits for it before NOT_FOUND (env OFFERLOOP_DECISION_WAIT_MS; 0: no wait).")
    var decisionWaitMs: Int = Environment.int("OFFERLOOP_DECISION_WAIT_MS", 200)

    func validate() throws {
        _ = try settings()
        guard sweepMs >= 1 else { throw ValidationError("--sweep-ms must be at least 1") }
        // The request's deadline ends any wait sooner; a minute bounds a typo.
        guard (0...60_000).contains(decisionWaitMs) else { throw ValidationError("--decision-wait-ms must be 0–60000 (ms), not \(decisionWaitMs)") }
    }

    func settings() throws -> FeedbackSettings {
        var settings = FeedbackSettings()
        settings.decisionWaitMs = Int64(decisionWaitMs)
        for (channel, window) in try ChannelValues.parse(responseWindows, option: "--response-windows", example: "atm:10m,web:7d", ChannelValues.milliseconds) {
            settings.responseWindowsMs[channel] = window
        }
        return settings
    }

    func run() async throws {
        let logger = options.logging.bootstrap(service: "feedback")
        let location = try store.location()
        try location.open().closing { _ = try OutcomeLog(db: $0) }  // the schema, once, before the workers
        let context = try ZMQContext()
        let settings = try settings()
        let implicit = ImplicitOutcomes(store: location, settings: settings, context: context, streamIn: stream.streamIn,
                                        interval: UInt64(sweepMs) * 1_000_000, environment: .live, logger: logger)
        let streamIn = stream.streamIn
        var threads = [ThreadService(name: "implicit-outcomes") { try implicit.run(until: $0) }]
        if case .sqlite(let path) = location {
            let checkpointer = WALCheckpointer(path: path, interval: 100_000_000, logger: logger)
            threads.append(ThreadService(name: "wal-checkpoint") { try checkpointer.run(until: $0) })
        }
        try await ServiceRunner.run(service: "feedback", options: options, logger: logger, context: context, extra: threads) { _ in
            try FeedbackService(store: location, context: context, streamIn: streamIn, settings: settings, environment: .live, logger: logger).methods()
        }
    }
}
