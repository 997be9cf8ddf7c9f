// offerloop-broker: the cluster's only bound endpoints; routes requests by service name.
import ArgumentParser
import ServiceKit
import ZeroMQ

@main
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "offerloop-broker",
        abstract: "Routes client requests to live workers of the named service.")

    @OptionGroup var config: BrokerConfig

    func run() async throws {
        let logger = config.logging.bootstrap(service: "broker")
        let context = try ZMQContext()
        let telemetry = Telemetry(service: "broker")
        let loop = BrokerLoop(config: config.settings, context: context, logger: logger, telemetry: telemetry)
        let relay = StreamRelay(publishers: config.streamIn, subscribers: config.streamOut, context: context, logger: logger)
        try await ServiceRunner.runGroup(config.telemetry.endpoints(telemetry, logger: logger) + [
            ThreadService(name: "broker") { loop.run(until: $0) },
            ThreadService(name: "stream-relay") { try relay.run(until: $0) },
        ], logger: logger)
        context.terminate()
    }
}
