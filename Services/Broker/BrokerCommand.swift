// offerloop-broker: the cluster's only bound endpoints; routes requests by service name.
import ArgumentParser
import ProcessShell
import Transport
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
        let settings = try config.settings()
        // The ZAP handler is bound before any endpoint, so no connection gets in unchecked.
        let zapStop = StopSignal()
        if let security = settings.security {
            try ZAPAuthenticator(allowed: security.allowed, admits: BrokerSecurity.admits, context: context, logger: logger).start(until: zapStop)
            logger.notice("security on: CURVE on every endpoint, only allowed keys get in",
                          metadata: ["allowed": "\(security.allowed.values.sorted().joined(separator: ","))", "public_key": "\(security.keys.publicKey)"])
        } else {
            logger.warning("SECURITY IS OFF: connections are plaintext and anyone may connect (set --curve-secret-key and --keys-dir)")
        }
        let telemetry = Telemetry(service: "broker")
        let loop = BrokerLoop(config: settings, context: context, logger: logger, telemetry: telemetry)
        let relay = StreamRelay(publishers: config.streamIn, subscribers: config.streamOut, context: context, security: settings.security, logger: logger)
        defer {
            // However the group ended: the ZAP handler closes its socket, then the context ends.
            zapStop.raise()
            context.terminate()
        }
        try await ServiceRunner.runGroup(config.telemetry.endpoints(telemetry, logger: logger) + [
            ThreadService(name: "broker") { try loop.run(until: $0) },
            ThreadService(name: "stream-relay") { try relay.run(until: $0) },
        ], logger: logger)
    }
}
