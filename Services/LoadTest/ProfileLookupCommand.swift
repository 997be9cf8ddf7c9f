// `offerloop-loadtest profile`: the customer-view lookup as the decision service sees it,
// through the broker, against ZeroMQ's raw round trip and the broker's own (echo) measured in
// the same run. Expects customers with logins u1 … uN in the profile store (scripts/bench-profile).
import ArgumentParser
import Foundation
import ProcessShell
import Random
import Transport
import Wire
import ZeroMQ

struct ProfileLookupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile", abstract: "Customer-view lookups through the broker: a hot customer and random ones.")

    @OptionGroup var measure: MeasureOptions

    @Option(help: "Customers in the store (logins u1 … uN).")
    var customers: Int = 10_000

    @Option(help: "Seed for the random customers.")
    var seed: UInt64 = 1

    struct Result: Codable {
        let date: String
        let requests: Int
        let customers: Int
        let raw: LatencyStats
        let broker: LatencyStats
        let hot: LatencyStats
        let random: LatencyStats
        /// hot lookup / broker echo round trip, per percentile.
        let hotRatioToBroker: [String: Double]
        let hotRatioToRaw: [String: Double]
        let randomRatioToBroker: [String: Double]
    }

    func run() throws {
        let context = try ZMQContext()
        let trips = measure.roundTrips
        let requests = measure.requests
        let (raw, broker) = try trips.yardsticks(context: context)
        progress("profile view of one hot customer (login u1): \(requests) lookups")
        let hotCall = view("u1")
        let hot = try trips.broker(context: context) { _ in hotCall }
        progress("profile view of random customers among \(customers): \(requests) lookups")
        var random = SeededRandom(seed: seed)
        let spread = try trips.broker(context: context) { _ in
            view("u\(1 + Int(random.next() % UInt64(max(customers, 1))))")
        }
        let result = Result(
            date: ISO8601DateFormatter().string(from: Date()), requests: requests, customers: customers, raw: raw, broker: broker,
            hot: hot, random: spread, hotRatioToBroker: hot.ratio(to: broker), hotRatioToRaw: hot.ratio(to: raw),
            randomRatioToBroker: spread.ratio(to: broker))
        try measure.report(result) { [LatencyStats.header()] + LatencyStats.yardstickRows(raw: raw, broker: broker) + [
            hot.row("profile view, hot customer"),
            spread.row("profile view, random customer"),
            LatencyStats.ratioRow("hot / broker echo", result.hotRatioToBroker),
            LatencyStats.ratioRow("random / broker echo", result.randomRatioToBroker),
        ] }
        context.terminate()
    }

    private func view(_ login: String) -> BrokerClient.Call {
        let request = CustomerViewRequest.with { $0.identity = .with { $0.kind = "login"; $0.value = login } }
        return BrokerClient.Call(service: "profile", method: "view", payload: request.wireBytes(), idempotent: true)
    }
}
