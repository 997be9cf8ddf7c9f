// The worker loop every service runs on its threads: connect to the broker's backend,
// announce the service, answer requests, heartbeat, and reconnect with backoff when the
// broker goes silent. One socket, one thread, for the socket's whole life.
import Foundation
import Logging
import Synchronization
import Wire
import ZeroMQ

public struct WorkerSettings: Sendable {
    public var service: String
    public var backend: String
    /// Requests the broker may send before this worker answers the first (pipelining).
    public var capacity: UInt32
    public var heartbeatInterval: UInt64 = 1_000_000_000
    public var heartbeatLiveness: UInt64 = 3
    public var reconnectMin: UInt64 = 100_000_000
    public var reconnectMax: UInt64 = 5_000_000_000
    public var lingerMilliseconds: Int32 = 500
    public var maxMessageBytes: Int64 = 16 << 20
    /// Requests of waiting methods (Methods.onGroup(_:waitingUpTo:_:)) this worker may hold
    /// parked besides its capacity: announced to the broker with it, so that parked requests,
    /// which wait rather than work, do not take the places of new ones.
    public var waitingRoom: UInt32 = 1_000
    /// How often parked requests are asked again (ns).
    public var recheckInterval: UInt64 = 5_000_000
    /// The routing keys this worker holds, announced in its READY; nil: all of them.
    public var partition: KeyPartition?

    public init(service: String, backend: String, capacity: UInt32 = 4) {
        self.service = service
        self.backend = backend
        self.capacity = capacity
    }
}

public final class Worker: Sendable {
    public let settings: WorkerSettings
    /// The service's methods and "ping", each with the standard layers around it.
    let methods: LayeredMethods
    let context: ZMQContext
    let index: Int
    let logger: Logger
    let pulse: Pulse?
    /// Since when and how much this worker served, as "ping" reports.
    private let stats: Stats
    private let generation = Atomic<Int>(0)

    public init(settings: WorkerSettings, methods: Methods, context: ZMQContext, index: Int = 0, logger: Logger, pulse: Pulse? = nil) {
        self.settings = settings
        self.context = context
        self.index = index
        self.logger = logger
        self.pulse = pulse
        let stats = Stats()
        self.stats = stats
        self.methods = Self.layered(methods, service: settings.service, logger: logger, stats: stats)
    }

    /// `methods` as a worker of `service` answers them: with the built-in "ping" and the standard
    /// layers (a test that calls a service in process goes through the same).
    public static func layered(_ methods: Methods, service: String, logger: Logger, stats: Stats = Stats()) -> LayeredMethods {
        methods.layered(Methods.standardLayers(service: service, logger: logger), service: service,
                        builtIn: ["ping": { _, context in stats.ping(service: service, worker: context.worker) }])
    }

    /// Why worker `index` cannot take requests now (not registered, or the broker went silent), or nil.
    static func readinessProblem(of pulse: Pulse, index: Int, settings: WorkerSettings, now: UInt64) -> String? {
        let heard = pulse.lastHeard
        if heard == 0 { return "worker \(index) is not registered with the broker at \(settings.backend)" }
        let silence = now &- heard
        return silence > settings.heartbeatInterval * settings.heartbeatLiveness && heard < now
            ? "worker \(index) has not heard from the broker at \(settings.backend) for \(silence / 1_000_000) ms" : nil
    }

    public var requestsServed: UInt64 { stats.served.load(ordering: .relaxed) }

    /// How often an idle worker looks at its stop signal.
    static let stopCheckMilliseconds: UInt64 = 100

    /// Runs until `stop` is raised, on the calling thread. On stop it tells the broker it is
    /// leaving, so no new requests come, and closes its socket with a bounded LINGER.
    public func run(until stop: StopSignal) {
        var backoff = settings.reconnectMin
        while !stop.isRaised {
            do {
                if try session(until: stop) { backoff = settings.reconnectMin }
            } catch {
                logger.error("worker socket failed", metadata: ["error": "\(error)"])
            }
            pulse?.lost()
            if stop.isRaised { break }
            logger.warning("broker silent, reconnecting", metadata: ["backoff_ms": "\(backoff / 1_000_000)"])
            if stop.sleep(nanoseconds: backoff) { break }
            backoff = min(backoff * 2, settings.reconnectMax)
        }
    }

    /// One connection to the broker. Returns whether the broker answered at all (to reset backoff).
    private func session(until stop: StopSignal) throws(ZMQError) -> Bool {
        let socket = try ZMQSocket(context, .dealer)
        defer { socket.close() }
        let identity = "\(settings.service)-\(getpid())-\(index)-\(generation.add(1, ordering: .relaxed).newValue)"
        try socket.set(.routingID(Array(identity.utf8)))
        try socket.set(.linger(settings.lingerMilliseconds))
        try socket.set(.maxMessageSize(settings.maxMessageBytes))
        try ConnectionSecurity.secure(socket)
        try socket.connect(settings.backend)
        try socket.send(WorkerMessage.ready(service: settings.service, capacity: announcedCapacity, partition: settings.partition).frames)
        logger.info("worker ready", metadata: ["worker": "\(identity)", "backend": "\(settings.backend)", "partition": "\(settings.partition?.description ?? "all")"])

        var heard = false
        var lastHeard = MonotonicClock.now()
        var nextHeartbeat = lastHeard + settings.heartbeatInterval
        let silence = settings.heartbeatInterval * settings.heartbeatLiveness
        // A blocking receive with a timeout costs fewer system calls than zmq_poll on the
        // request path; the timeout bounds how long a stop, a heartbeat or a parked request waits.
        let idleTimeout = Int32(min(settings.heartbeatInterval / 1_000_000, Self.stopCheckMilliseconds))
        var timeout = idleTimeout
        try socket.set(.receiveTimeout(timeout))
        var parked = ParkedRequests<Incoming>(recheck: settings.recheckInterval)

        while !stop.isRaised {
            if let frames = try socket.receive() {
                heard = true
                lastHeard = MonotonicClock.now()
                pulse?.heard(now: lastHeard)
                // This message and those already waiting behind it (up to the capacity), so
                // requests of a group method are answered together.
                var requests: [Incoming] = []
                var disconnect = false
                var next: [[UInt8]]? = frames
                while let message = next {
                    switch try? WorkerMessage(frames: message) {
                    case .request(let client, let requestID, let budget, let envelope, let caller):
                        requests.append(Incoming(client: client, requestID: requestID, budgetMicros: budget, envelope: envelope,
                                                 caller: caller.isEmpty ? nil : String(decoding: caller, as: UTF8.self)))
                    case .disconnect:
                        disconnect = true
                    case .heartbeat, .ready, .reply:
                        break
                    case nil:
                        logger.error("malformed message from broker", metadata: ["frames": "\(message.count)"])
                    }
                    next = !disconnect && requests.count < Int(settings.capacity) ? try socket.receive(dontWait: true) : nil
                }
                if !requests.isEmpty {
                    for (request, reply) in answer(requests, worker: identity, parked: &parked) {
                        try socket.send(WorkerMessage.reply(client: request.client, requestID: request.requestID, reply: reply).frames)
                    }
                    // Time spent working is not silence: the broker's heartbeats wait in the queue.
                    lastHeard = MonotonicClock.now()
                }
                if disconnect {
                    logger.info("broker asked to re-register", metadata: ["worker": "\(identity)"])
                    return true
                }
            }
            var now = MonotonicClock.now()
            if !parked.isEmpty, now >= parked.due {
                for (request, reply) in answerParked(&parked, worker: identity, now: now) {
                    try socket.send(WorkerMessage.reply(client: request.client, requestID: request.requestID, reply: reply).frames)
                }
                now = MonotonicClock.now()
            }
            // Wake up when the parked requests are due (at least 1 ms: 0 would not block at all).
            let untilDue = parked.due > now ? (parked.due - now) / 1_000_000 : 0
            let next = parked.isEmpty ? idleTimeout : Int32(clamping: min(UInt64(idleTimeout), max(1, untilDue)))
            if next != timeout {
                timeout = next
                try socket.set(.receiveTimeout(timeout))
            }
            pulse?.turn(now: now)
            if now >= nextHeartbeat {
                try socket.send(WorkerMessage.heartbeat.frames)
                nextHeartbeat = now + settings.heartbeatInterval
            }
            if now - lastHeard > silence {
                // What waits to be sent (this READY, heartbeats) would only reach a restarted
                // broker as a stale registration: drop it.
                try socket.set(.linger(0))
                return heard
            }
        }
        // Stopping: what is parked gets its last try now, so no caller waits for a reply that never comes.
        for (request, reply) in answerParked(&parked, worker: identity, now: MonotonicClock.now(), final: true) {
            _ = try? socket.send(WorkerMessage.reply(client: request.client, requestID: request.requestID, reply: reply).frames, dontWait: true)
        }
        _ = try? socket.send(WorkerMessage.disconnect.frames, dontWait: true)
        logger.info("worker stopped", metadata: ["worker": "\(identity)", "served": "\(requestsServed)"])
        return heard
    }

    struct Incoming {
        let client: [UInt8]
        let requestID: UInt64
        let budgetMicros: UInt64
        let envelope: [UInt8]
        var caller: String? = nil
    }

    /// The capacity this worker announces: with room for parked requests if a method may wait.
    var announcedCapacity: UInt32 { settings.capacity + (methods.hasWaitingMethods ? settings.waitingRoom : 0) }

    /// Decodes each envelope and answers it through the layered methods (the requests of a group
    /// method in one call); the requests a waiting method answers "not yet" go to `parked`. Returns
    /// the encoded replies given.
    func answer(_ requests: [Incoming], worker: String, parked: inout ParkedRequests<Incoming>) -> [(Incoming, [UInt8])] {
        let received = MonotonicClock.now()
        var answers: [(Incoming, [UInt8])] = []
        var groups: [String: [(tag: Incoming, payload: [UInt8], context: RequestContext)]] = [:]
        for request in requests {
            let now = MonotonicClock.now(), budget = request.budgetMicros * 1000
            let envelope: Envelope
            do throws(ServiceError) {
                envelope = try Envelope(wireBytes: request.envelope)
            } catch {
                // What cannot be read is answered MALFORMED whatever time is left (budget at least 1).
                answers.append((request, reply(to: request, methods.respond(malformedEnvelope: request.envelope, RequestContext(
                    requestID: request.requestID, method: "", deadline: now + budget, sent: now, worker: worker, caller: request.caller,
                    budget: max(budget, 1), received: received)), worker: worker)))
                continue
            }
            // What the client allowed in all (0: the broker's default, the budget's start).
            let allowed = max(envelope.deadlineUs * 1000, budget)
            let context = RequestContext(requestID: request.requestID, method: envelope.method, deadline: now + budget,
                                         sent: now + budget - min(allowed, now + budget), routingKey: Array(envelope.routingKey), worker: worker,
                                         caller: request.caller, budget: budget, received: received)
            if methods.isGroup(envelope.method) {
                groups[envelope.method, default: []].append((request, Array(envelope.payload), context))
            } else {
                answers.append((request, reply(to: request, methods.respond(envelope.method, Array(envelope.payload), context), worker: worker)))
            }
        }
        for (method, items) in groups {
            for (request, result) in parked.respond(group: method, items, with: methods, now: MonotonicClock.now()) {
                answers.append((request, reply(to: request, result, worker: worker)))
            }
        }
        return answers
    }

    /// Asks the parked requests again (`final`: for the last time); the encoded replies given.
    func answerParked(_ parked: inout ParkedRequests<Incoming>, worker: String, now: UInt64, final: Bool = false) -> [(Incoming, [UInt8])] {
        parked.retry(with: methods, now: now, final: final).map { request, result in (request, reply(to: request, result, worker: worker)) }
    }

    private func reply(to request: Incoming, _ result: Result<[UInt8], ServiceError>, worker: String) -> [UInt8] {
        stats.served.add(1, ordering: .relaxed)
        switch result {
        case .success(let payload):
            return Reply.success(requestID: request.requestID, payload: payload, servedBy: worker).wireBytes()
        case .failure(let error):
            return Reply.failure(requestID: request.requestID, error, servedBy: worker).wireBytes()
        }
    }

    public final class Stats: Sendable {
        let started = MonotonicClock.now()
        let served = Atomic<UInt64>(0)

        public init() {}

        /// The answer of the built-in "ping": who answers, since when, and how much it served.
        func ping(service: String, worker: String) -> [UInt8] {
            PingReply.with {
                $0.service = service
                $0.worker = worker
                $0.pid = getpid()
                $0.uptimeMs = (MonotonicClock.now() - started) / 1_000_000
                $0.version = OfferLoopVersion.current
                $0.requestsServed = served.load(ordering: .relaxed)
            }.wireBytes()
        }
    }
}

public enum OfferLoopVersion {
    public static let current = "0.1.0"
}
