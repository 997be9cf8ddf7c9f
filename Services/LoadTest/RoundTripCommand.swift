// `offerloop-loadtest rtt`: ZeroMQ's raw REQ/REP round trip on loopback, then the round trip
// client → broker → echo worker → client, in one run, single in flight; then throughput with
// several clients in flight. The raw figure is the yardstick the broker is judged against.
import ArgumentParser
import Foundation
import Histogram
import ServiceKit
import Synchronization
import Wire
import ZeroMQ

struct RoundTripCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rtt", abstract: "Raw ZeroMQ round trip vs the broker's, and broker throughput.")

    @OptionGroup var client: ClientOptions

    @Option(help: "Round trips measured for each of raw and broker.")
    var requests: Int = 50_000

    @Option(help: "Round trips made first and not measured.")
    var warmup: Int = 2_000

    @Option(help: "Payload bytes per request.")
    var payloadBytes: Int = 64

    @Option(help: "Concurrent clients for the throughput phase (each single in flight).")
    var clients: Int = 8

    @Option(help: "Seconds the throughput phase runs.")
    var seconds: Double = 5

    @Option(help: "Service whose 'echo' method answers (started by scripts/cluster).")
    var service: String = "echo"

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    struct Result: Codable {
        let date: String
        let requests: Int
        let payloadBytes: Int
        let raw: LatencyStats
        /// libzmq's zmq_proxy between REQ and REP: the same four hops as the broker, no logic.
        let proxyFloor: LatencyStats
        let broker: LatencyStats
        /// broker / raw, per percentile.
        let ratio: [String: Double]
        /// broker / zmq_proxy floor, per percentile.
        let ratioToFloor: [String: Double]
        let throughputClients: Int
        let throughputPerSecond: Double
        let throughputErrors: Int
    }

    func run() throws {
        let context = try ZMQContext()
        let payload = [UInt8](repeating: 0x5a, count: payloadBytes)
        progress("raw ZeroMQ REQ/REP over tcp loopback: \(requests) round trips")
        let raw = try measureRaw(context: context, payload: payload)
        progress("REQ → zmq_proxy → REP (the floor for four hops): \(requests) round trips")
        let floor = try measureProxyFloor(payload: payload)
        progress("client → broker → \(service) worker → client: \(requests) round trips")
        let broker = try measureBroker(context: context, payload: payload)
        progress("throughput: \(clients) clients in flight for \(seconds) s")
        let (rate, errors) = try measureThroughput(context: context, payload: payload)

        let ratio = broker.ratio(to: raw)
        let ratioToFloor = broker.ratio(to: floor)
        let result = Result(
            date: ISO8601DateFormatter().string(from: Date()), requests: requests, payloadBytes: payloadBytes,
            raw: raw, proxyFloor: floor, broker: broker, ratio: ratio, ratioToFloor: ratioToFloor,
            throughputClients: clients, throughputPerSecond: rate, throughputErrors: errors)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            print(LatencyStats.header())
            print(raw.row("raw ZeroMQ REQ/REP (tcp)"))
            print(floor.row("REQ→zmq_proxy→REP (floor)"))
            print(broker.row("via broker (echo)"))
            print(LatencyStats.ratioRow("broker / raw", ratio))
            print(LatencyStats.ratioRow("broker / zmq_proxy floor", ratioToFloor))
            print(String(format: "throughput: %.0f requests/s with %d clients in flight (%d errors)", rate, clients, errors))
        }
        context.terminate()
    }

    /// A REP echo thread and a REQ client on this thread, over tcp loopback.
    private func measureRaw(context: ZMQContext, payload: [UInt8]) throws -> LatencyStats {
        let address = try startRawEcho(context: context, connectTo: nil)
        return try measureRequestReply(context: context, endpoint: address, payload: payload)
    }

    /// A zmq_proxy thread (ROUTER ↔ DEALER) with a REP echo thread behind it. Proxy, echo and
    /// client each get a context, so each has its own I/O thread as separate processes would;
    /// shutting the proxy's context down afterwards stops it.
    private func measureProxyFloor(payload: [UInt8]) throws -> LatencyStats {
        let context = try ZMQContext()
        let echoContext = try ZMQContext()
        let clientContext = try ZMQContext()
        let endpoints = Mutex<(String, String)?>(nil)
        let bound = DispatchSemaphore(value: 0)
        let stopped = DispatchSemaphore(value: 0)
        Thread {
            defer { stopped.signal() }
            do {
                let frontend = try ZMQSocket(context, .router)
                let backend = try ZMQSocket(context, .dealer)
                defer { frontend.close(); backend.close() }
                for socket in [frontend, backend] {
                    try socket.set(.linger(0))
                    try socket.bind("tcp://127.0.0.1:*")
                }
                let pair = (try frontend.lastEndpoint, try backend.lastEndpoint)
                endpoints.withLock { $0 = pair }
                bound.signal()
                try ZMQProxy.run(frontend: frontend, backend: backend)
            } catch {
                bound.signal()
            }
        }.start()
        bound.wait()
        guard let (front, back) = endpoints.withLock({ $0 }) else { throw ValidationError("zmq_proxy could not bind") }
        _ = try startRawEcho(context: echoContext, connectTo: back)
        let stats = try measureRequestReply(context: clientContext, endpoint: front, payload: payload)
        context.shutdown()
        stopped.wait()
        return stats
    }

    /// Starts a REP thread that echoes warmup + requests messages; it binds on a free tcp port
    /// (returned) or connects to `connectTo`.
    private func startRawEcho(context: ZMQContext, connectTo: String?) throws -> String {
        let endpoint = Mutex<String?>(nil)
        let ready = DispatchSemaphore(value: 0)
        let total = warmup + requests
        Thread {
            do {
                let server = try ZMQSocket(context, .rep)
                defer { server.close() }
                try server.set(.linger(0))
                if let connectTo {
                    try server.connect(connectTo)
                    endpoint.withLock { $0 = connectTo }
                } else {
                    try server.bind("tcp://127.0.0.1:*")
                    endpoint.withLock { $0 = try? server.lastEndpoint }
                }
                ready.signal()
                for _ in 0..<total {
                    guard let frames = try server.receive() else { break }
                    try server.send(frames)
                }
            } catch {
                ready.signal()
            }
        }.start()
        ready.wait()
        guard let address = endpoint.withLock({ $0 }) else { throw ValidationError("raw echo server could not start") }
        return address
    }

    private func measureRequestReply(context: ZMQContext, endpoint: String, payload: [UInt8]) throws -> LatencyStats {
        let socket = try ZMQSocket(context, .req)
        defer { socket.close() }
        try socket.set(.linger(0))
        try socket.connect(endpoint)
        var histogram = newHistogram()
        for index in 0..<(warmup + requests) {
            let start = MonotonicClock.now()
            try socket.send([payload])
            guard try socket.receive() != nil else { throw ValidationError("echo at \(endpoint) did not answer") }
            if index >= warmup { histogram.record(MonotonicClock.now() - start) }
        }
        return LatencyStats(histogram)
    }

    private func echoCall(_ payload: [UInt8]) -> BrokerClient.Call {
        BrokerClient.Call(service: service, method: "echo", payload: EchoRequest.with { $0.data = Data(payload) }.wireBytes(),
                          timeoutMicros: 1_000_000, idempotent: true)
    }

    private func measureBroker(context: ZMQContext, payload: [UInt8]) throws -> LatencyStats {
        let broker = try BrokerClient(context: context, endpoint: client.frontend)
        defer { broker.close() }
        let call = echoCall(payload)
        var histogram = newHistogram()
        for index in 0..<(warmup + requests) {
            let start = MonotonicClock.now()
            _ = try broker.call(call)
            if index >= warmup { histogram.record(MonotonicClock.now() - start) }
            if index > warmup, (index - warmup) % 10_000 == 0 { progress("  \(index - warmup) / \(requests)") }
        }
        return LatencyStats(histogram)
    }

    private func measureThroughput(context: ZMQContext, payload: [UInt8]) throws -> (Double, Int) {
        let completed = Atomic<Int>(0)
        let errors = Atomic<Int>(0)
        let group = DispatchGroup()
        let call = echoCall(payload)
        let frontend = client.frontend
        let start = MonotonicClock.now()
        let end = start + UInt64(seconds * 1e9)
        for _ in 0..<clients {
            group.enter()
            Thread {
                defer { group.leave() }
                guard let broker = try? BrokerClient(context: context, endpoint: frontend) else {
                    errors.add(1, ordering: .relaxed)
                    return
                }
                defer { broker.close() }
                while MonotonicClock.now() < end {
                    do {
                        _ = try broker.call(call)
                        completed.add(1, ordering: .relaxed)
                    } catch {
                        errors.add(1, ordering: .relaxed)
                    }
                }
            }.start()
        }
        group.wait()
        let elapsed = Double(MonotonicClock.now() - start) / 1e9
        return (Double(completed.load(ordering: .relaxed)) / elapsed, errors.load(ordering: .relaxed))
    }
}

func progress(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
