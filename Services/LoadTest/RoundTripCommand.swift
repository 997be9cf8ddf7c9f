// `offerloop-loadtest rtt`: ZeroMQ's raw REQ/REP round trip on loopback, then the round trip
// client → broker → echo worker → client, in one run, single in flight; then throughput with
// several clients in flight. The raw figure is the yardstick the broker is judged against.
import ArgumentParser
import Foundation
import Histogram
import ProcessShell
import Synchronization
import Transport
import Wire
import ZeroMQ

struct RoundTripCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rtt", abstract: "Raw ZeroMQ round trip vs the broker's, and broker throughput.")

    @OptionGroup var measure: MeasureOptions

    @Option(help: "Payload bytes per request.")
    var payloadBytes: Int = 64

    @Option(help: "Concurrent clients for the throughput phase (each single in flight).")
    var clients: Int = 8

    @Option(help: "Seconds the throughput phase runs.")
    var seconds: Double = 5

    @Option(help: "Service whose 'echo' method answers (started by scripts/cluster).")
    var service: String = "echo"

    @Option(help: "Round trips per second, each started on a fixed schedule (default: back to back). Also reports this process's CPU per round trip (client and, for raw and zmq_proxy, the echo and proxy threads). --seconds 0 skips the throughput phase.")
    var pace: Double?

    func validate() throws {
        if let pace, !(pace > 0) { throw ValidationError("--pace must be a positive rate (round trips per second)") }
        guard seconds >= 0 else { throw ValidationError("--seconds must be ≥ 0") }
    }

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
        /// With --pace: the rate, and this process's CPU per round trip (µs) in each phase: raw
        /// (client + echo thread), zmq_proxy (client + proxy + echo), broker (client only).
        let pace: Double?
        let cpuMicrosPerTrip: [String: Double]?
        let throughputClients: Int
        let throughputPerSecond: Double
        let throughputErrors: Int
    }

    func run() throws {
        let context = try ZMQContext()
        var trips = measure.roundTrips
        trips.pace = pace
        let requests = measure.requests
        let payload = [UInt8](repeating: 0x5a, count: payloadBytes)
        let paced = pace.map { String(format: ", paced at %.0f/s", $0) } ?? ""
        var cpu: [String: Double] = [:]
        func timed<T>(_ phase: String, _ body: () throws -> T) rethrows -> T {
            let before = processCPUMicros()
            defer { cpu[phase] = Double(processCPUMicros() - before) / Double(measure.warmup + requests) }
            return try body()
        }
        progress("raw ZeroMQ REQ/REP over tcp loopback: \(requests) round trips\(paced)")
        let raw = try timed("raw") { try trips.raw(context: context, payload: payload) }
        progress("REQ → zmq_proxy → REP (the floor for four hops): \(requests) round trips\(paced)")
        let floor = try timed("zmq_proxy") { try trips.proxyFloor(payload: payload) }
        progress("client → broker → \(service) worker → client: \(requests) round trips\(paced)")
        let call = echoCall(payload)
        let broker = try timed("broker_client") { try trips.broker(context: context) { _ in call } }
        var (rate, errors) = (0.0, 0)
        if seconds > 0 {
            progress("throughput: \(clients) clients in flight for \(seconds) s")
            (rate, errors) = try measureThroughput(context: context, payload: payload)
        }

        let ratio = broker.ratio(to: raw)
        let ratioToFloor = broker.ratio(to: floor)
        let result = Result(
            date: ISO8601DateFormatter().string(from: Date()), requests: requests, payloadBytes: payloadBytes,
            raw: raw, proxyFloor: floor, broker: broker, ratio: ratio, ratioToFloor: ratioToFloor,
            pace: pace, cpuMicrosPerTrip: pace == nil ? nil : cpu, throughputClients: clients, throughputPerSecond: rate, throughputErrors: errors)
        try measure.report(result) { [
            LatencyStats.header(),
            raw.row("raw ZeroMQ REQ/REP (tcp)"),
            floor.row("REQ→zmq_proxy→REP (floor)"),
            broker.row("via broker (echo)"),
            LatencyStats.ratioRow("broker / raw", ratio),
            LatencyStats.ratioRow("broker / zmq_proxy floor", ratioToFloor),
        ] + (pace == nil ? [] : [String(format: "this process's CPU per round trip: raw %.1f µs (client + echo), zmq_proxy %.1f µs (client + proxy + echo), broker %.1f µs (client)",
                                          cpu["raw"] ?? 0, cpu["zmq_proxy"] ?? 0, cpu["broker_client"] ?? 0)])
          + (seconds > 0 ? [String(format: "throughput: %.0f requests/s with %d clients in flight (%d errors)", rate, clients, errors)] : []) }
        context.terminate()
    }

    private func echoCall(_ payload: [UInt8]) -> BrokerClient.Call {
        BrokerClient.Call(service: service, method: "echo", payload: EchoRequest.with { $0.data = Data(payload) }.wireBytes(),
                          timeoutMicros: 1_000_000, idempotent: true)
    }

    private func measureThroughput(context: ZMQContext, payload: [UInt8]) throws -> (Double, Int) {
        let completed = Atomic<Int>(0)
        let errors = Atomic<Int>(0)
        let group = DispatchGroup()
        let call = echoCall(payload)
        let frontend = measure.frontend
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
