// offerloop-feedback: what the customer did with an offer — stored once, published in order.
import ArgumentParser
import Foundation
import ServiceKit
import Store
import ZeroMQ

@main
struct FeedbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "offerloop-feedback",
        abstract: "Takes outcomes, checks them against the decision log, stores them once and publishes the outcome stream.")

    @OptionGroup var options: WorkerOptions
    @OptionGroup var client: ClientOptions

    @Option(help: "The store holding the decision log; outcomes go there too (env OFFERLOOP_DECISION_STORE).")
    var store: String = Environment.string("OFFERLOOP_DECISION_STORE", "sqlite:data/decisions.sqlite")

    @Option(help: "The broker's stream endpoint for publishers (env OFFERLOOP_STREAM_IN).")
    var streamIn: String = Environment.string("OFFERLOOP_STREAM_IN", "tcp://127.0.0.1:5557")

    func run() async throws {
        let logger = options.logging.bootstrap(service: "feedback")
        let location = try StoreLocation(store)
        let setup = try OutcomeLog(db: try location.open())  // the schema, once, before the workers
        setup.db.close()
        let context = try ZMQContext()
        let (streamIn, frontend) = (streamIn, client.frontend)
        try await ServiceRunner.run(service: "feedback", options: options, logger: logger, context: context) { _ in
            try FeedbackService(store: location, context: context, streamIn: streamIn, frontend: frontend, logger: logger).methods()
        }
    }
}
