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
        let broker: LatencyStats
        /// broker / raw, per percentile.
        let ratio: [String: Double]
        let throughputClients: Int
        let throughputPerSecond: Double
        let throughputErrors: Int
    }

    func run() throws {
        let context = try ZMQContext()
        let payload = [UInt8](repeating: 0x5a, count: payloadBytes)
        progress("raw ZeroMQ REQ/REP over tcp loopback: \(requests) round trips")
        let raw = try measureRaw(context: context, payload: payload)
        progress("client → broker → \(service) worker → client: \(requests) round trips")
        let broker = try measureBroker(context: context, payload: payload)
        progress("throughput: \(clients) clients in flight for \(seconds) s")
        let (rate, errors) = try measureThroughput(context: context, payload: payload)

        var ratio = [String: Double]()
        for label in LatencyStats.labels {
            ratio[label] = (broker.micros[label] ?? 0) / max(raw.micros[label] ?? 1, 0.001)
        }
        let result = Result(
            date: ISO8601DateFormatter().string(from: Date()), requests: requests, payloadBytes: payloadBytes,
            raw: raw, broker: broker, ratio: ratio, throughputClients: clients, throughputPerSecond: rate, throughputErrors: errors)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            print(LatencyStats.header())
            print(raw.row("raw ZeroMQ REQ/REP (tcp)"))
            print(broker.row("via broker (echo)"))
            print("ratio".padding(toLength: 28, withPad: " ", startingAt: 0)
                + LatencyStats.labels.map { String(format: "%9.2fx", ratio[$0] ?? 0) }.joined())
            print(String(format: "throughput: %.0f requests/s with %d clients in flight (%d errors)", rate, clients, errors))
        }
        context.terminate()
    }

    /// A REP echo thread and a REQ client on this thread, over tcp loopback.
    private func measureRaw(context: ZMQContext, payload: [UInt8]) throws -> LatencyStats {
        let endpoint = Mutex<String?>(nil)
        let bound = DispatchSemaphore(value: 0)
        let total = warmup + requests
        Thread {
            do {
                let server = try ZMQSocket(context, .rep)
                defer { server.close() }
                try server.set(.linger(0))
                try server.bind("tcp://127.0.0.1:*")
                endpoint.withLock { $0 = try? server.lastEndpoint }
                bound.signal()
                for _ in 0..<total {
                    guard let frames = try server.receive() else { break }
                    try server.send(frames)
                }
            } catch {
                FileHandle.standardError.write(Data("raw echo server: \(error)\n".utf8))
                bound.signal()
            }
        }.start()
        bound.wait()
        guard let address = endpoint.withLock({ $0 }) else { throw ValidationError("raw echo server could not bind") }
        let socket = try ZMQSocket(context, .req)
        defer { socket.close() }
        try socket.set(.linger(0))
        try socket.connect(address)
        var histogram = newHistogram()
        for index in 0..<total {
            let start = MonotonicClock.now()
            try socket.send([payload])
            guard try socket.receive() != nil else { throw ValidationError("raw echo server did not answer") }
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
