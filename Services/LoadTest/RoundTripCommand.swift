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

    @OptionGroup var client: ClientOptions

    @OptionGroup var measure: MeasureOptions

    @Option(help: "Payload bytes per request.")
    var payloadBytes: Int = 64

    @Option(help: "Concurrent clients for the throughput phase (each single in flight).")
    var clients: Int = 8

    @Option(help: "Seconds the throughput phase runs.")
    var seconds: Double = 5

    @Option(help: "Service whose 'echo' method answers (started by scripts/cluster).")
    var service: String = "echo"

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
        let trips = measure.roundTrips
        let requests = measure.requests
        let payload = [UInt8](repeating: 0x5a, count: payloadBytes)
        progress("raw ZeroMQ REQ/REP over tcp loopback: \(requests) round trips")
        let raw = try trips.raw(context: context, payload: payload)
        progress("REQ → zmq_proxy → REP (the floor for four hops): \(requests) round trips")
        let floor = try trips.proxyFloor(payload: payload)
        progress("client → broker → \(service) worker → client: \(requests) round trips")
        let call = echoCall(payload)
        let broker = try trips.broker(context: context, frontend: client.frontend) { _ in call }
        progress("throughput: \(clients) clients in flight for \(seconds) s")
        let (rate, errors) = try measureThroughput(context: context, payload: payload)

        let ratio = broker.ratio(to: raw)
        let ratioToFloor = broker.ratio(to: floor)
        let result = Result(
            date: ISO8601DateFormatter().string(from: Date()), requests: requests, payloadBytes: payloadBytes,
            raw: raw, proxyFloor: floor, broker: broker, ratio: ratio, ratioToFloor: ratioToFloor,
            throughputClients: clients, throughputPerSecond: rate, throughputErrors: errors)
        try measure.report(result) { [
            LatencyStats.header(),
            raw.row("raw ZeroMQ REQ/REP (tcp)"),
            floor.row("REQ→zmq_proxy→REP (floor)"),
            broker.row("via broker (echo)"),
            LatencyStats.ratioRow("broker / raw", ratio),
            LatencyStats.ratioRow("broker / zmq_proxy floor", ratioToFloor),
            String(format: "throughput: %.0f requests/s with %d clients in flight (%d errors)", rate, clients, errors),
        ] }
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
