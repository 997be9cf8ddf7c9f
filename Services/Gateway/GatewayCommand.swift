// offerloop-gateway: the cluster's HTTP/JSON face for web touchpoints, the agent's desktop and
// Personalizer's applications. Stateless: it holds no customer data, only clients of the brokers,
// so it scales by running more of it behind any HTTP load balancer. Thin: options, wiring, run.
import ArgumentParser
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ProcessShell
import Transport
import Wire
import ZeroMQ

@main
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "offerloop-gateway",
        abstract: "Serves the cluster over HTTP/JSON: decisions, outcomes, customer views and writes, the catalog (docs/PROTOCOL.md, HTTP).")

    /// NIO's event loops become Swift concurrency's global executor before any task runs: a
    /// handler then goes on on the event loop that read its request instead of hopping to the
    /// cooperative pool and back (docs/PERFORMANCE.md, "The HTTP gateway"). Nothing in the
    /// gateway blocks a task: its ZeroMQ calls run on the caller threads.
    static func main() async {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        await main(nil)
    }

    @OptionGroup var client: ClientOptions

    @Option(help: "HOST:PORT the HTTP API listens on (env OFFERLOOP_GATEWAY_ADDRESS).")
    var address: String = Environment.string("OFFERLOOP_GATEWAY_ADDRESS", "127.0.0.1:8080")

    @Option(help: "The API keys file (ROLE NAME SHA256 a line; `offerloop keys api`); none: an open gateway, for a local demo only (env OFFERLOOP_GATEWAY_API_KEYS).")
    var apiKeys: String = Environment.string("OFFERLOOP_GATEWAY_API_KEYS", "")

    @Option(help: "Deadline in ms of a request without an OfferLoop-Deadline-Ms header (env OFFERLOOP_GATEWAY_DEADLINE_MS).")
    var deadlineMs: Int = Environment.int("OFFERLOOP_GATEWAY_DEADLINE_MS", 2_000)

    @Option(help: "Threads that call the brokers, each with many calls in flight (env OFFERLOOP_GATEWAY_CALLER_THREADS).")
    var callerThreads: Int = Environment.int("OFFERLOOP_GATEWAY_CALLER_THREADS", 1)

    @Option(help: "PEM certificate chain: serve HTTPS (with --tls-key) (env OFFERLOOP_GATEWAY_TLS_CERTIFICATE).")
    var tlsCertificate: String = Environment.string("OFFERLOOP_GATEWAY_TLS_CERTIFICATE", "")

    @Option(help: "PEM private key of --tls-certificate (env OFFERLOOP_GATEWAY_TLS_KEY).")
    var tlsKey: String = Environment.string("OFFERLOOP_GATEWAY_TLS_KEY", "")

    @OptionGroup var personalizer: PersonalizerOptions
    @OptionGroup var logging: LoggingOptions
    @OptionGroup var telemetry: TelemetryOptions

    func validate() throws {
        guard TelemetryOptions.split(address) != nil else { throw ValidationError("--address takes HOST:PORT, e.g. 0.0.0.0:8080; not '\(address)'") }
        guard (1...60_000).contains(deadlineMs) else { throw ValidationError("--deadline-ms takes 1 to 60000, not \(deadlineMs)") }
        guard (1...64).contains(callerThreads) else { throw ValidationError("--caller-threads takes 1 to 64, not \(callerThreads)") }
        guard tlsCertificate.isEmpty == tlsKey.isEmpty else { throw ValidationError("--tls-certificate and --tls-key go together") }
    }

    func run() async throws {
        let logger = logging.bootstrap(service: "gateway")
        let keys: APIKeys?
        do {
            keys = apiKeys.isEmpty ? nil : try APIKeys(file: apiKeys)
        } catch {
            logger.critical("\(error.message)")
            throw ExitCode(78)
        }
        if let keys {
            logger.info("API keys required", metadata: ["keys": "\(keys.count)", "file": "\(apiKeys)"])
        } else {
            logger.warning("no --api-keys: the gateway is open to anyone who reaches it; fine for a local demo only")
        }
        let broker = BrokerCaller(context: try ZMQContext(), endpoint: client.frontend, threads: callerThreads)
        let (host, port) = TelemetryOptions.split(address)!
        let app = Application(
            router: Self.makeRouter(broker: broker, keys: keys, deadlineMs: deadlineMs, personalizer: (personalizer.mode, personalizer.channel)),
            server: try server(),
            configuration: .init(address: .hostname(host, port: port), serverName: "offerloop-gateway"),
            logger: logger)
        let metrics = telemetry.endpoints(Telemetry(service: "gateway"), logger: logger)
        try await ServiceRunner.runGroup(broker.services(logger: logger) + metrics + [app], logger: logger)
    }

    /// HTTP/1.1, in TLS when a certificate is given.
    private func server() throws -> HTTPServerBuilder {
        guard !tlsCertificate.isEmpty else { return .http1() }
        let chain = try NIOSSLCertificate.fromPEMFile(tlsCertificate).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: tlsKey, format: .pem)
        return try .tls(.http1(), tlsConfiguration: .makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key)))
    }

    /// Every route of the gateway. Each feature registers itself here with one line.
    static func makeRouter(broker: BrokerCaller, keys: APIKeys?, deadlineMs: Int,
                           personalizer: (mode: PersonalizerMapping.LearningMode, channel: Wire.Channel) = (.online, .web)) -> Router<GatewayContext> {
        let router = Router(context: GatewayContext.self)
        router.add(middleware: EventLoopMiddleware())
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: MetricsMiddleware())
        router.get("v1/openapi.json") { _, _ in OpenAPIDocument.response() }
        let v1 = router.group("v1")
            .add(middleware: AuthenticationMiddleware(keys: keys))
            .add(middleware: DeadlineMiddleware(defaultMs: deadlineMs))
        V1Routes(broker: broker).register(on: v1)
        DeskRoutes.register(on: router)
        PersonalizerRoutes.register(on: router, broker: broker, keys: keys, deadlineMs: deadlineMs, mode: personalizer.mode, channel: personalizer.channel)
        return router
    }
}
