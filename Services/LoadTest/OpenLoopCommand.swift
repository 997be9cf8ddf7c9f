// `offerloop-loadtest open`: decisions at a target rate, open loop. Arrivals are a Poisson
// process (exponential gaps) scheduled on one thread, which hands each arrival to one of several
// connections; a connection sends it at once, whatever is still in flight, and its latency
// counts from the arrival's scheduled time, not from when it was sent — so a slow answer never
// slows the sender and the tail is not hidden (no coordinated omission). Requests mix the
// channels, customers are drawn from a population (logins PREFIX1 … PREFIXn), and with
// --outcomes each answered decision may get outcomes (an impression, then an accept or decline
// at the offer's own propensity), sent as soon as it is answered — as a touchpoint reports; the
// feedback service waits for a decision still on its way to the log —, so the system learns under load.
// --find-max searches for the highest rate whose p99 stays within a bound.
import ArgumentParser
import Foundation
import Histogram
import ProcessShell
import Random
import Synchronization
import Transport
import Wire
import ZeroMQ

struct OpenLoopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open", abstract: "Open-loop decision load at a target rate (Poisson arrivals, no coordinated omission); --find-max finds the highest rate within a p99 bound.")

    @OptionGroup var client: ClientOptions

    @Option(help: "Decisions per second.") var rate: Double = 1_000
    @Option(help: "Seconds of load (after a warm-up of a tenth of it, at most 5 s, not counted).") var duration: Double = 60
    @Option(help: "Connections to the broker, each sending what it is handed.") var connections = 4
    @Option(help: "Customers: logins PREFIX1 … PREFIXn in the profile store.") var customers = 100_000
    @Option(help: "Login prefix of the customer population.") var customerPrefix = "u"
    @Option(help: "Channel mix, CHANNEL:SHARE pairs.") var mix = "atm:0.35,kiosk:0.1,web:0.4,call_center:0.15"
    @Flag(help: "Report outcomes of the decisions as soon as they are answered (impression; accept or decline at the offer's propensity).") var outcomes = false
    // Not by default: on an unpartitioned cluster a routing key pins each customer to one replica
    // by rendezvous hashing, whatever its load, which would change what the benchmarks measure.
    @Flag(help: "Send a customer's decides with the customer id an earlier answer named as the routing key, as a touchpoint that knows it does (one hop to the replica holding the customer on a partitioned cluster).")
    var routingKey = false
    @Option(help: "The touchpoint's own time limit per decision, ms.") var timeoutMs = 1_000
    /// The decision service's: an answer after its channel's deadline, counted from the send, is late.
    @OptionGroup var deadlines: ChannelDeadlineOptions
    @Flag(help: "Search for the highest rate whose p99 stays within --p99-bound-ms (and errors under 0.1%).") var findMax = false
    @Option(help: "The p99 bound of --find-max, ms.") var p99BoundMs: Double = 5
    @Option(help: "Seconds per step of --find-max.") var stepDuration: Double = 15
    @Option(help: "Write the latency histogram here (HdrHistogram percentile distribution, µs).") var hgrm: String?
    @Option(help: "Raw ZeroMQ round trips measured first, as the yardstick.") var rawRequests = 20_000
    @Option(help: "Append the event id of every acknowledged outcome to this file, one per line (to check that each was stored once).") var acked: String?
    @OptionGroup var output: OutputOptions

    struct Run: Codable {
        var targetRate: Double
        var achievedRate: Double
        var seconds: Double
        var sent: Int
        var answered: Int
        var degraded: Int
        var errors: [String: Int]
        var latency: LatencyStats
        var outcomesSent: Int
        var outcomesFailed: Int
        var outcomesAcknowledged = 0
        /// Why outcomes failed: error codes, and TIMEOUT for no answer in time.
        var outcomeErrors: [String: Int] = [:]
        var channels: [String: Int]
        /// Per channel: its deadline, its measured decisions' latency, and how many were late.
        var byChannel: [String: ChannelFigures] = [:]

        var errorCount: Int { errors.values.reduce(0, +) }
    }

    struct ChannelFigures: Codable {
        var deadlineMs: Int
        var sent: Int
        /// Answered after the channel's deadline, or not at all within the time limit.
        var late: Int
        var degraded: Int
        var latency: LatencyStats
    }

    struct Result: Codable {
        var date: String
        var raw: LatencyStats
        var run: Run?
        var decideRatioToRaw: [String: Double]?
        var steps: [Run]?
        var maxRate: Double?
        var p99BoundMs: Double?
    }

    func validate() throws {
        guard rate > 0, duration > 0, connections >= 1, customers >= 1, timeoutMs >= 1 else {
            throw ValidationError("--rate, --duration, --connections, --customers and --timeout-ms must be positive")
        }
        _ = try channelMix()
    }

    func channelMix() throws -> [(channel: Channel, share: Double)] {
        let shares = try ChannelValues.parse(mix, option: "--mix", example: "atm:0.3,web:0.7") { Double($0).flatMap { $0 >= 0 ? $0 : nil } }
        let total = shares.values.reduce(0, +)
        guard total > 0 else { throw ValidationError("--mix needs a positive share") }
        return shares.sorted { $0.key < $1.key }.map { (ChannelName.channel($0.key)!, $0.value / total) }
    }

    func run() throws {
        let context = try ZMQContext()
        defer { context.terminate() }
        progress("raw ZeroMQ REQ/REP over tcp loopback: \(rawRequests) round trips (the yardstick)")
        let raw = try RoundTrips(warmup: 1_000, requests: rawRequests, frontend: client.frontend).raw(context: context, payload: [UInt8](repeating: 0x5a, count: 64))
        var result = Result(date: ISO8601DateFormatter().string(from: Date()), raw: raw)
        if findMax {
            let (steps, best) = try searchMax(context)
            result.steps = steps
            result.maxRate = best
            result.p99BoundMs = p99BoundMs
        } else {
            let (run, histogram) = try load(context, rate: rate, seconds: duration)
            result.run = run
            result.decideRatioToRaw = run.latency.ratio(to: raw)
            if let hgrm {
                var text = ""
                histogram.outputPercentileDistribution(to: &text, outputValueUnitScalingRatio: 1_000)
                try text.write(toFile: hgrm, atomically: true, encoding: .utf8)
                progress("wrote \(hgrm)")
            }
        }
        try output.report(result) {
            var lines = [LatencyStats.header(), raw.row("raw ZeroMQ REQ/REP (tcp)")]
            if let run = result.run {
                lines += [run.latency.row("decide, open loop"), LatencyStats.ratioRow("decide / raw", result.decideRatioToRaw ?? [:])]
                lines.append(Self.summary(run))
            }
            for step in result.steps ?? [] { lines.append(Self.summary(step)) }
            if let best = result.maxRate {
                lines.append(String(format: "highest rate with p99 ≤ %.1f ms and errors < 0.1%%: %.0f decisions/s", p99BoundMs, best))
            }
            return lines
        }
    }

    static func summary(_ run: Run) -> String {
        String(format: "target %.0f/s, achieved %.0f/s over %.0f s: %d sent, %d answered, %d degraded, %d errors %@, p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms; outcomes %d sent, %d failed %@",
               run.targetRate, run.achievedRate, run.seconds, run.sent, run.answered, run.degraded, run.errorCount,
               run.errors.isEmpty ? "" : "\(run.errors)", (run.latency.micros["p50"] ?? 0) / 1000, (run.latency.micros["p99"] ?? 0) / 1000,
               (run.latency.micros["p99.9"] ?? 0) / 1000, (run.latency.micros["max"] ?? 0) / 1000, run.outcomesSent, run.outcomesFailed,
               run.outcomeErrors.isEmpty ? "" : "\(run.outcomeErrors)")
            + "; late against the channel's deadline: " + run.byChannel.sorted { $0.key < $1.key }.map { channel, figures in
                String(format: "%@ %d of %d (%d ms; p99 %.1f, max %.1f ms)", channel, figures.late, figures.sent, figures.deadlineMs,
                       (figures.latency.micros["p99"] ?? 0) / 1000, (figures.latency.micros["max"] ?? 0) / 1000)
            }.joined(separator: ", ")
    }

    /// Doubles the rate from --rate until a step fails the bound, then halves the gap between
    /// the best good and the first bad rate three times.
    func searchMax(_ context: ZMQContext) throws -> ([Run], Double) {
        var steps: [Run] = []
        func good(_ rate: Double) throws -> Bool {
            let (run, _) = try load(context, rate: rate, seconds: stepDuration)
            steps.append(run)
            progress(Self.summary(run))
            return (run.latency.micros["p99"] ?? .infinity) <= p99BoundMs * 1000 && Double(run.errorCount) < 0.001 * Double(max(run.sent, 1))
                && run.achievedRate >= 0.95 * rate
        }
        var best = 0.0
        var bad = rate
        while try good(bad) {
            best = bad
            bad *= 2
        }
        for _ in 0..<3 where bad - best > 0.05 * bad {
            let middle = (best + bad) / 2
            if try good(middle) { best = middle } else { bad = middle }
        }
        return (steps, best)
    }

    // MARK: one run

    /// Offers `rate` decisions per second for `seconds` (plus a warm-up), returns the figures of
    /// the measured part and its histogram.
    func load(_ context: ZMQContext, rate: Double, seconds: Double) throws -> (Run, Histogram<UInt64>) {
        let warmup = min(seconds / 10, 5)
        progress(String(format: "open loop: %.0f decisions/s for %.0f s (+ %.1f s warm-up), %d connections%@", rate, seconds, warmup, connections,
                        outcomes ? ", with outcomes" : ""))
        let mix = try channelMix()
        let start = MonotonicClock.now() + 200_000_000
        let measureFrom = start + UInt64(warmup * 1e9)
        let end = measureFrom + UInt64(seconds * 1e9)
        let deadlines = try self.deadlines.milliseconds()
        let settings = Connection.Settings(frontend: client.frontend, customers: customers, prefix: customerPrefix, mix: mix,
                                           outcomes: outcomes, routingKey: routingKey, timeout: UInt64(timeoutMs) * 1_000_000,
                                           channelDeadlines: deadlines.mapValues { UInt64($0) * 1_000_000 }, measureFrom: measureFrom, measureUntil: end)
        var connections: [Connection] = []
        do {
            for index in 0..<self.connections { connections.append(try Connection(context: context, index: index, settings: settings)) }
        } catch {
            // Those made before the one that failed are closed by their maker, not left to deinit.
            connections.forEach { $0.close() }
            throw error
        }
        let group = DispatchGroup()
        for connection in connections {
            group.enter()
            Thread {
                defer { group.leave() }
                connection.run()
            }.start()
        }
        // The arrivals: exponential gaps at `rate`, handed round-robin to the connections.
        var random = SeededRandom(seed: UInt64(rate * 1000) ^ 0x5EED)
        var triggers: [ZMQSocket] = []
        defer { triggers.forEach { $0.close() } }
        for connection in connections {
            let socket = try ZMQSocket(context, .pair)
            triggers.append(socket)
            try socket.set(.sendHighWaterMark(1_000_000))
            try socket.connect(connection.triggerEndpoint)
        }
        var next = Double(start)
        var index = 0
        var lastProgress = start
        while UInt64(next) < end {
            let now = MonotonicClock.now()
            if UInt64(next) > now {
                let wait = UInt64(next) - now
                if wait > 20_000 { usleep(useconds_t((wait - 10_000) / 1000)) }
                continue
            }
            var intended = UInt64(next)
            _ = try triggers[index % triggers.count].send([withUnsafeBytes(of: &intended) { Array($0) }])
            index += 1
            next += -log(1 - random.unit()) / rate * 1e9
            if now - lastProgress > 5_000_000_000 {
                lastProgress = now
                progress(String(format: "  %.0f s: %d sent", Double(now - start) / 1e9, index))
            }
        }
        for trigger in triggers { _ = try trigger.send([[]]) }  // an empty frame: no more arrivals
        group.wait()

        var histogram = newHistogram()
        var channelHistograms: [String: Histogram<UInt64>] = [:]
        var acknowledged: [String] = []
        var run = Run(targetRate: rate, achievedRate: 0, seconds: seconds, sent: 0, answered: 0, degraded: 0, errors: [:],
                      latency: LatencyStats(newHistogram()), outcomesSent: 0, outcomesFailed: 0, channels: [:])
        for connection in connections {
            let tally = connection.tally.withLock { $0 }
            histogram.add(tally.histogram)
            run.sent += tally.sent
            run.answered += tally.answered
            run.degraded += tally.degraded
            run.errors.merge(tally.errors, uniquingKeysWith: +)
            run.channels.merge(tally.channels, uniquingKeysWith: +)
            for (channel, figures) in tally.byChannel {
                channelHistograms[channel, default: newHistogram()].add(figures.histogram)
                run.byChannel[channel, default: ChannelFigures(deadlineMs: deadlines[channel] ?? 0, sent: 0, late: 0, degraded: 0, latency: LatencyStats(newHistogram()))].late += figures.late
                run.byChannel[channel]!.degraded += figures.degraded
            }
            run.outcomesSent += tally.outcomesSent
            run.outcomesFailed += tally.outcomesFailed
            acknowledged += tally.acknowledged
            run.outcomeErrors.merge(tally.outcomeErrors, uniquingKeysWith: +)
            connection.close()
        }
        run.outcomesAcknowledged = acknowledged.count
        if let acked, !acknowledged.isEmpty {
            if !FileManager.default.fileExists(atPath: acked) { _ = FileManager.default.createFile(atPath: acked, contents: nil) }
            guard let file = FileHandle(forWritingAtPath: acked) else { throw ValidationError("cannot write --acked \(acked)") }
            defer { file.closeFile() }
            file.seekToEndOfFile()
            file.write(Data(acknowledged.map { $0 + "\n" }.joined().utf8))
        }
        run.latency = LatencyStats(histogram)
        for (channel, channelHistogram) in channelHistograms {
            run.byChannel[channel]?.latency = LatencyStats(channelHistogram)
            run.byChannel[channel]?.sent = run.channels[channel] ?? 0
        }
        run.achievedRate = Double(run.sent) / seconds
        return (run, histogram)
    }
}

/// One connection to the brokers: sends each arrival it is handed at once, matches replies,
/// and sends the outcomes of each answered decision. It calls as a touchpoint would, through `BrokerClient`
/// with every call idempotent: a request is sent again through the next broker when half its
/// time limit passed without an answer, or it was answered UNAVAILABLE; an outcome keeps its
/// event id, so a retry is never counted twice. Owns its sockets; runs on one thread.
final class Connection: @unchecked Sendable {
    // @unchecked: the sockets are used by the connection's thread only; `tally` is locked.
    struct Settings: Sendable {
        var frontend: String
        var customers: Int
        var prefix: String
        var mix: [(channel: Channel, share: Double)]
        var outcomes: Bool
        /// Whether decides carry the customer id learnt from an earlier answer as routing key.
        var routingKey: Bool
        var timeout: UInt64
        /// Nanoseconds, by channel name.
        var channelDeadlines: [String: UInt64]
        var measureFrom: UInt64
        var measureUntil: UInt64
    }

    struct Tally {
        var histogram = newHistogram()
        var sent = 0
        var answered = 0
        var degraded = 0
        var errors: [String: Int] = [:]
        var channels: [String: Int] = [:]
        var byChannel: [String: (histogram: Histogram<UInt64>, late: Int, degraded: Int)] = [:]
        var outcomesSent = 0
        var outcomesFailed = 0
        /// Event ids of the outcomes the feedback service acknowledged.
        var acknowledged: [String] = []
        var outcomeErrors: [String: Int] = [:]
    }

    struct Pending {
        var intended: UInt64
        var kind: Kind
        enum Kind { case decision(measured: Bool, channel: String), outcome(eventID: String) }
        /// The customer decided for (its login's number), to learn its customer id from the answer.
        var customer = 0
    }

    let settings: Settings
    let triggerEndpoint: String
    let tally = Mutex(Tally())
    private let trigger: ZMQSocket
    private let client: BrokerClient
    private var random: SeededRandom
    private var pending: [UInt64: Pending] = [:]
    /// Customer ids the answers named, by login number: the routing key of their next decides.
    private var customerIDs: [Int: String] = [:]
    private let runID = UUID().uuidString.prefix(8)
    private var outcomeCount = 0

    init(context: ZMQContext, index: Int, settings: Settings) throws {
        self.settings = settings
        triggerEndpoint = "inproc://open-loop-\(UUID().uuidString)"
        let trigger = try ZMQSocket(context, .pair)
        try trigger.configure { [triggerEndpoint] socket throws(ZMQError) in try socket.bind(triggerEndpoint) }
        do {
            client = try BrokerClient(context: context, endpoint: settings.frontend, lingerMilliseconds: 0)
        } catch {
            trigger.close()
            throw error
        }
        self.trigger = trigger
        random = SeededRandom(seed: UInt64(index + 1) &* 0x9E37_79B9)
    }

    func close() {
        trigger.close()
        client.close()
    }

    func run() {
        var poller = Poller()
        let triggers = poller.add(trigger)
        client.add(to: &poller)
        var arriving = true
        do {
            while arriving || client.inFlight > 0 {
                try poller.poll(timeoutMilliseconds: 20)  // 20 ms: retries and time limits are seen on time
                while let (id, result) = try client.receive(waitMilliseconds: 0) { accept(id, result) }
                if poller.isReadable(triggers) {
                    while let frames = try trigger.receive(dontWait: true) {
                        guard let bytes = frames.first, bytes.count == 8 else { arriving = false; break }
                        try decide(intended: bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
                    }
                }
            }
        } catch {
            progress("connection failed: \(error)")
        }
    }

    private func decide(intended: UInt64) throws {
        var pick = random.unit()
        let channel = settings.mix.first { pick -= $0.share; return pick < 0 }?.channel ?? settings.mix.last!.channel
        let customer = 1 + Int(random.next() % UInt64(settings.customers))
        let request = DecideRequest.with {
            $0.identity = .with { $0.kind = "login"; $0.value = "\(settings.prefix)\(customer)" }
            $0.channel = channel
        }
        let measured = intended >= settings.measureFrom && intended < settings.measureUntil
        let name = ChannelName.name(channel) ?? "?"
        send("decision", "decide", request.wireBytes(), Pending(intended: intended, kind: .decision(measured: measured, channel: name), customer: customer),
             routingKey: settings.routingKey ? customerIDs[customer] ?? "" : "")
        if measured {
            tally.withLock {
                $0.sent += 1
                $0.channels[name, default: 0] += 1
            }
        }
    }

    /// Sends a call with what is left of its time limit; one that cannot be sent is answered at once.
    private func send(_ service: String, _ method: String, _ payload: [UInt8], _ request: Pending, routingKey: String = "") {
        let now = MonotonicClock.now()
        let deadline = request.intended + settings.timeout
        let call = BrokerClient.Call(service: service, method: method, payload: payload,
                                     timeoutMicros: deadline > now ? (deadline - now) / 1000 : 1, idempotent: true, routingKey: Array(routingKey.utf8))
        do {
            pending[try client.send(call)] = request
        } catch {
            accept(request, .failure(error), now: now)
        }
    }

    private func accept(_ id: UInt64, _ result: Result<[UInt8], ServiceError>) {
        guard let request = pending.removeValue(forKey: id) else { return }
        accept(request, result, now: MonotonicClock.now())
    }

    /// Tallies an answer; no answer within the time limit counts as TIMEOUT at that latency.
    private func accept(_ request: Pending, _ result: Result<[UInt8], ServiceError>, now: UInt64) {
        var failure: String?
        if case .failure(let error) = result {
            failure = error.code == .deadlineExceeded && now >= request.intended + settings.timeout ? "TIMEOUT" : error.code.name
        }
        switch request.kind {
        case .outcome(let eventID):
            tally.withLock { tally in
                if let failure {
                    tally.outcomesFailed += 1
                    tally.outcomeErrors[failure, default: 0] += 1
                } else {
                    tally.acknowledged.append(eventID)
                }
            }
        case .decision(let measured, let channel):
            var decision: DecideReply?
            if case .success(let bytes) = result {
                decision = try? DecideReply(serializedBytes: bytes)
                if decision == nil { failure = "MALFORMED" }
            }
            if measured {
                tally.withLock { tally in
                    let latency = failure == "TIMEOUT" ? settings.timeout : now > request.intended ? now - request.intended : 0
                    tally.histogram.record(latency)
                    var figures = tally.byChannel[channel] ?? (newHistogram(), 0, 0)
                    figures.histogram.record(latency)
                    if latency > settings.channelDeadlines[channel] ?? settings.timeout { figures.late += 1 }
                    if decision?.degraded == true { figures.degraded += 1 }
                    tally.byChannel[channel] = figures
                    if let failure { tally.errors[failure, default: 0] += 1 } else { tally.answered += 1 }
                    if decision?.degraded == true { tally.degraded += 1 }
                }
            }
            if let decision, !decision.customerID.isEmpty { customerIDs[request.customer] = decision.customerID }
            if settings.outcomes, let decision { reportOutcomes(decision, now: now) }
        }
    }

    /// An impression for the first offer (9 in 10 are seen), then an accept at the offer's own
    /// propensity or, sometimes, a decline: sent at once, right after the answer.
    private func reportOutcomes(_ decision: DecideReply, now: UInt64) {
        guard let offer = decision.offers.first, random.unit() < 0.9 else { return }
        var types = [OutcomeType.impression]
        let draw = random.unit()
        if draw < offer.propensity {
            types.append(.accept)
        } else if draw < offer.propensity + 0.1 {
            types.append(.decline)
        }
        for type in types {
            outcomeCount += 1
            let outcome = Outcome.with { $0.eventID = "load-\(runID)-\(outcomeCount)"; $0.decisionID = decision.decisionID; $0.offerID = offer.offerID; $0.type = type }
            send("feedback", "outcome", outcome.wireBytes(), Pending(intended: now, kind: .outcome(eventID: outcome.eventID)))
            tally.withLock { $0.outcomesSent += 1 }
        }
    }
}
