// The process's HTTP endpoint for operators — GET /metrics, /health and /ready — on SwiftNIO's
// HTTP/1 server: a few plain answers, no framework. A service of the process's group: bound at
// its start, closed when the group shuts down.
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

struct TelemetryEndpoint: Service {
    let host: String
    let port: Int
    let telemetry: Telemetry
    let logger: Logger

    func run() async throws {
        let telemetry = telemetry
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(TelemetryHTTPHandler(telemetry: telemetry))
                }
            }
            .bind(host: host, port: port).get()
        try await withGracefulShutdownHandler {
            try await server.closeFuture.get()
        } onGracefulShutdown: {
            server.close(promise: nil)
        }
    }
}

/// Answers each request on one connection: the path's text, or 404 / 405.
final class TelemetryHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let telemetry: Telemetry
    private var head: HTTPRequestHead?

    init(telemetry: Telemetry) { self.telemetry = telemetry }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head else { return }
            self.head = nil
            respond(context, head, answer(head))
        }
    }

    /// Status, content type and body for a request.
    func answer(_ head: HTTPRequestHead) -> (HTTPResponseStatus, String, [UInt8]) {
        let text = "text/plain; charset=utf-8"
        guard head.method == .GET || head.method == .HEAD else { return (.methodNotAllowed, text, Array("GET only\n".utf8)) }
        switch head.uri.split(separator: "?", maxSplits: 1).first ?? "" {
        case "/metrics": return (.ok, "text/plain; version=0.0.4; charset=utf-8", telemetry.metricsText())
        case "/health": return Self.verdict(telemetry.healthProblems(), good: "alive")
        case "/ready": return Self.verdict(telemetry.readinessProblems(), good: "ready")
        default: return (.notFound, text, Array("not found: /metrics, /health or /ready\n".utf8))
        }
    }

    static func verdict(_ problems: [String], good: String) -> (HTTPResponseStatus, String, [UInt8]) {
        let text = problems.isEmpty ? good + "\n" : problems.joined(separator: "\n") + "\n"
        return (problems.isEmpty ? .ok : .serviceUnavailable, "text/plain; charset=utf-8", Array(text.utf8))
    }

    private func respond(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ answer: (HTTPResponseStatus, String, [UInt8])) {
        let (status, type, body) = answer
        var headers = HTTPHeaders([("Content-Type", type), ("Content-Length", "\(body.count)")])
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if head.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        if !keepAlive {
            let channel = context.channel
            written.futureResult.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
