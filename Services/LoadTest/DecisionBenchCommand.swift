// `offerloop-loadtest decision`: the decision's latency. In process: the strategy alone
// (DecisionEngine.decide over the catalog, with a customer view and propensities). Through a
// running cluster: `decision.decide` for random customers (logins u1 … uN), single in flight,
// against ZeroMQ's raw round trip and the broker's echo measured in the same run.
import ArgumentParser
import DecisionCore
import Foundation
import ProcessShell
import Random
import Transport
import Wire
import ZeroMQ

struct DecisionBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decision", abstract: "Decision latency: the strategy in process, and decide through the broker with profile and scoring.")

    @OptionGroup var measure: MeasureOptions

    @Option(help: "The catalog the decision service runs (for the in-process part).")
    var catalog: String

    @Option(help: "Customers in the profile store (logins u1 … uN).")
    var customers = 100_000

    @Option(help: "The channel decided for.")
    var channel = "web"

    @Flag(help: "Measure in process only; no cluster needed.")
    var inProcessOnly = false

    @Flag(help: "Then decide for the same customers again, each with the customer id its first answer named as the routing key (on a partitioned cluster: straight to the replica holding the customer, no forward).")
    var routingKey = false

    struct Result: Codable {
        var date: String
        var offers: Int
        var customers: Int
        var channel: String
        var core: LatencyStats
        var raw: LatencyStats?
        var broker: LatencyStats?
        var decide: LatencyStats?
        var degraded: Int?
        var decideRatioToBroker: [String: Double]?
        var decideRatioToRaw: [String: Double]?
        /// The same customers again by routing key (--routing-key).
        var decideByKey: LatencyStats?
        var decideByKeyRatioToBroker: [String: Double]?
    }

    func run() throws {
        guard let wireChannel = ChannelName.channel(channel) else { throw ValidationError("unknown channel '\(channel)'") }
        let loaded = try CatalogLoader.load(yaml: try String(contentsOfFile: catalog, encoding: .utf8), file: catalog)
        let engine = DecisionEngine(catalog: loaded)
        var random = SeededRandom(seed: 7)
        let now = ServiceEnvironment.live.wallMs()
        let products = ["credit_card", "savings", "mortgage", "current_account", "personal_loan", "home_insurance"]
        let views = (0..<1_000).map { n in
            CustomerView.with {
                $0.customerID = "c\(n)"
                $0.segment = ["bronze", "silver", "gold", "platinum"][n % 4]
                $0.clv = Double(n * 37 % 8_000)
                $0.churnRisk = Double(n % 100) / 100
                $0.totalSpend = Double(n * 53 % 12_000)
                $0.holdings = products.enumerated().filter { (n >> $0.offset) & 1 == 1 }.map(\.element)
                $0.lastTransactionUnixMs = now - Int64(n % 90) * 86_400_000
            }
        }
        let propensities = Dictionary(uniqueKeysWithValues: loaded.offers.map { ($0.id, Propensity(mean: Double.random(in: 0.01..<0.3, using: &random), logitVariance: Double.random(in: 0.01..<1, using: &random))) })
        progress("in process: DecisionEngine.decide over \(loaded.offers.count) offers, \(measure.requests) times")
        var shown = 0
        let core = measure.roundTrips.measure { index in
            let view = views[index % views.count]
            let (decision, nanoseconds) = stopwatch {
                let input = CustomerViewInput(customerID: view.customerID, optedOut: [],
                                              rules: RuleInput(view: view, channel: channel, context: [:], hour: 12, now: now))
                return engine.decide(DecisionRequest(channel: channel, slots: 1, now: now), view: input, history: [],
                                     propensities: propensities, using: &random)
            }
            shown += decision.offers.count
            return nanoseconds
        }
        precondition(shown > 0, "no offer was ever shown: the benchmark would measure nothing")
        var result = Result(date: ISO8601DateFormatter().string(from: Date()), offers: loaded.offers.count, customers: customers, channel: channel,
                            core: core)
        if !inProcessOnly {
            let context = try ZMQContext()
            defer { context.terminate() }
            let trips = measure.roundTrips
            let (raw, broker) = try trips.yardsticks(context: context)
            progress("decide on \(channel) for random customers of \(customers): \(measure.requests) decisions")
            var pick = SeededRandom(seed: 11)
            var degraded = 0
            let picked = (0..<(trips.warmup + trips.requests)).map { _ in "u\(1 + Int(pick.next() % UInt64(max(customers, 1))))" }
            var customerIDs: [String] = []
            func call(_ index: Int, routingKey: String = "") -> BrokerClient.Call {
                BrokerClient.Call(service: "decision", method: "decide", payload: DecideRequest.with {
                    $0.identity = .with { $0.kind = "login"; $0.value = picked[index] }
                    $0.channel = wireChannel
                }.wireBytes(), timeoutMicros: 1_000_000, routingKey: Array(routingKey.utf8))
            }
            let decide = try trips.broker(context: context) { call($0) } inspect: { bytes in
                let reply = try? DecideReply(serializedBytes: bytes)
                if reply?.degraded == true { degraded += 1 }
                customerIDs.append(reply?.customerID ?? "")
            }
            if routingKey {
                progress("the same customers again, by routing key (their customer ids)")
                let byKey = try trips.broker(context: context) { call($0, routingKey: customerIDs[$0]) } inspect: { bytes in
                    if let reply = try? DecideReply(serializedBytes: bytes), reply.degraded { degraded += 1 }
                }
                result.decideByKey = byKey
                result.decideByKeyRatioToBroker = byKey.ratio(to: broker)
            }
            result.raw = raw
            result.broker = broker
            result.decide = decide
            result.degraded = degraded
            result.decideRatioToBroker = decide.ratio(to: broker)
            result.decideRatioToRaw = decide.ratio(to: raw)
        }
        try measure.report(result) {
            var lines = ["\(result.offers) offers, \(result.customers) customers, channel \(result.channel)",
                         LatencyStats.header(), result.core.row("strategy in process")]
            if let raw = result.raw, let broker = result.broker, let decide = result.decide {
                lines += decide.rowsThroughBroker("decide", raw: raw, broker: broker)
                if let byKey = result.decideByKey {
                    lines += [byKey.row("decide by routing key"), LatencyStats.ratioRow("by key / broker echo", result.decideByKeyRatioToBroker ?? [:])]
                }
                lines.append("degraded answers: \(result.degraded ?? 0) of \((measure.requests + measure.warmup) * (result.decideByKey == nil ? 1 : 2))")
            }
            return lines
        }
    }
}
