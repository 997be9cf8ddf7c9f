// The broker's socket adapter: one ROUTER socket bound to both the frontend (clients) and the
// backend (workers) endpoints, on one thread, feeding the RoutingTable and carrying out what it
// decides. One socket and a blocking receive, as in ZeroMQ's Majordomo broker: zmq_poll over two
// sockets costs about ten system calls a wake-up, which was most of the broker's latency.
import BrokerCore
import Foundation
import Logging
import Metrics
import ProcessShell
import Synchronization
import Transport
import Wire
import ZeroMQ

final class BrokerLoop: Sendable {
    let config: BrokerSettings
    let context: ZMQContext
    let logger: Logger
    let pulse: Pulse
    let started = MonotonicClock.now()
    /// Whether both endpoints are bound: the broker can serve.
    let bound = Atomic<Bool>(false)
    let clientRequests = Counter(label: "offerloop_broker_client_requests_total")

    init(config: BrokerSettings, context: ZMQContext, logger: Logger, telemetry: Telemetry) {
        self.config = config
        self.context = context
        self.logger = logger
        pulse = telemetry.pulse("broker loop")
        telemetry.require("endpoints") { [unowned self] in bound.load(ordering: .relaxed) ? nil : "not bound yet" }
    }

    /// Serves until `stop` is raised. A socket failure (an endpoint that cannot be bound, say) is
    /// thrown: the service group then shuts the broker's other services down in order, logs it,
    /// and the process exits non-zero with it.
    func run(until stop: StopSignal) throws(ZMQError) {
        try serve(until: stop)
    }

    /// The per-thread state: the socket and the table are used on this thread only.
    private struct State {
        let socket: ZMQSocket
        var table: RoutingTable
        var actions: [BrokerAction] = []
        var served: UInt64 = 0
        var metrics: [String: ServiceMetrics] = [:]
    }

    /// What the broker reports of each service, refreshed every heartbeat interval.
    private struct ServiceMetrics {
        let workers, capacity, inFlight, queued: Gauge
        let dispatched: Counter
        var dispatchedBefore: UInt64 = 0

        init(_ service: String) {
            let label = [("service", service)]
            workers = Gauge(label: "offerloop_broker_workers", dimensions: label)
            capacity = Gauge(label: "offerloop_broker_capacity", dimensions: label)
            inFlight = Gauge(label: "offerloop_broker_in_flight", dimensions: label)
            queued = Gauge(label: "offerloop_broker_queue_depth", dimensions: label)
            dispatched = Counter(label: "offerloop_broker_dispatched_total", dimensions: label)
        }

        mutating func update(_ status: ServiceStatus) {
            workers.record(Int(status.workers))
            capacity.record(Int(status.capacity))
            inFlight.record(Int(status.inFlight))
            queued.record(Int(status.queued))
            dispatched.increment(by: Int(status.dispatched - dispatchedBefore))
            dispatchedBefore = status.dispatched
        }
    }

    /// How often an idle broker looks at its stop signal and the heartbeat clock.
    static let wakeMilliseconds: UInt64 = 100

    private func serve(until stop: StopSignal) throws(ZMQError) {
        let socket = try ZMQSocket(context, .router)
        defer { socket.close() }
        try socket.set(.linger(200))
        try socket.set(.maxMessageSize(config.hardMessageLimit))
        try socket.set(.sendHighWaterMark(100_000))
        try socket.set(.receiveHighWaterMark(100_000))
        // A send to a peer that has gone fails at once instead of vanishing: for a worker,
        // that is the news that it left.
        try socket.set(.routerMandatory(true))
        try config.security?.secure(socket)
        let interval = config.heartbeatInterval
        try socket.set(.receiveTimeout(Int32(min(interval / 1_000_000, Self.wakeMilliseconds))))
        try socket.bind(config.frontend)
        try socket.bind(config.backend)
        bound.store(true, ordering: .relaxed)
        logger.info("broker listening", metadata: ["frontend": "\(config.frontend)", "backend": "\(config.backend)"])

        // For a heartbeat lifetime after its start the broker waits for workers to (re)register
        // before it answers NO_WORKERS: after a restart, they are on their way back.
        var state = State(socket: socket, table: RoutingTable(settings: .init(
            heartbeatInterval: interval, heartbeatLiveness: config.heartbeatLiveness, maxQueuePerService: config.maxQueue,
            startupGrace: interval * config.heartbeatLiveness), now: MonotonicClock.now()))
        state.actions.reserveCapacity(64)
        var nextTick = MonotonicClock.now() + interval

        while !stop.isRaised {
            // With security on, each message comes with its sender's user id ("ROLE/NAME", from ZAP).
            let received = config.security == nil ? try socket.receive().map { ($0, nil) } : try socket.receive(property: "User-Id")
            if let (frames, user) = received {
                if frames.count >= 2, frames[1] == WireProtocol.workerHeader {
                    fromWorker(frames, user: user, &state)
                } else {
                    fromClient(frames, user: user, &state)
                }
            }
            let now = MonotonicClock.now()
            pulse.turn(now: now)
            if now >= nextTick {
                state.table.tick(now: now, into: &state.actions)
                for status in state.table.status() { state.metrics[status.name, default: ServiceMetrics(status.name)].update(status) }
                nextTick = now + interval
            }
            perform(&state)
        }
        logger.info("broker stopped", metadata: ["served": "\(state.served)"])
    }

    private func fromWorker(_ frames: [[UInt8]], user: String?, _ state: inout State) {
        let id = WorkerID(frames[0])
        if config.security != nil, BrokerSecurity.role(of: user) != .service {
            logger.warning("refused a worker: only service keys serve", metadata: ["worker": "\(id)", "user": "\(user ?? "none")"])
            state.actions.append(.toWorker(id, .disconnect))
            return
        }
        let message: WorkerMessage
        do {
            message = try WorkerMessage(frames: frames[1...])
        } catch {
            logger.warning("malformed worker message", metadata: ["worker": "\(id)", "error": "\(error.message)"])
            state.actions.append(.toWorker(id, .disconnect))
            return
        }
        if case .reply(let client, _, let reply) = message {
            state.served += 1
            send([client, [], reply], &state)
        }
        state.table.handle(message, from: id, now: MonotonicClock.now(), into: &state.actions)
    }

    private func fromClient(_ frames: [[UInt8]], user: String?, _ state: inout State) {
        clientRequests.increment()
        let client = frames[0]
        guard frames.count < 2 || frames[1].isEmpty else {
            state.actions.append(.answer(client: client, requestID: ClientRequest.unknownRequestID, ServiceError(
                .malformed, "a message must start with an empty delimiter frame (client) or \"OLW1\" (worker)")))
            return
        }
        let request: ClientRequest
        do {
            request = try ClientRequest(frames: frames[1...], maxBytes: config.maxRequestBytes)
        } catch {
            state.actions.append(.answer(client: client, requestID: error.requestID, error.error))
            return
        }
        let envelope = request.envelope
        if config.security != nil, let refusal = BrokerSecurity.authorize(userID: user, service: envelope.service, method: envelope.method) {
            logger.warning("request refused", metadata: ["user": "\(user ?? "none")", "method": "\(envelope.service).\(envelope.method)"])
            state.actions.append(.answer(client: client, requestID: envelope.requestID, refusal))
            return
        }
        if envelope.service == "broker" {
            answerItself(envelope, client: client, &state)
            return
        }
        let now = MonotonicClock.now()
        let budget = envelope.deadlineUs > 0 ? envelope.deadlineUs * 1000 : config.defaultDeadline
        let pending = PendingRequest(
            client: client, requestID: envelope.requestID, deadline: now + budget,
            envelope: request.envelopeBytes, routingKey: Array(envelope.routingKey), attempt: max(envelope.attempt, 1),
            caller: user.map { Array($0.utf8) } ?? [])
        state.table.route(pending, to: envelope.service, now: now, into: &state.actions)
    }

    /// The broker's own methods: ping, and the services it knows.
    private func answerItself(_ envelope: Envelope, client: [UInt8], _ state: inout State) {
        let uptime = (MonotonicClock.now() - started) / 1_000_000
        let payload: [UInt8]
        switch envelope.method {
        case "ping":
            payload = PingReply.with {
                $0.service = "broker"
                $0.pid = getpid()
                $0.uptimeMs = uptime
                $0.version = OfferLoopVersion.current
                $0.requestsServed = state.served
            }.wireBytes()
        case "services":
            payload = ServicesReply.with {
                $0.services = state.table.status()
                $0.uptimeMs = uptime
            }.wireBytes()
        default:
            state.actions.append(.answer(client: client, requestID: envelope.requestID,
                                         ServiceError(.unknownMethod, "the broker has no method '\(envelope.method)' (it has: ping, services)")))
            return
        }
        let reply = Reply.success(requestID: envelope.requestID, payload: payload, servedBy: "broker")
        send([client, [], reply.wireBytes()], &state)
    }

    /// Carries out the table's actions; a send that fails because a worker vanished is fed
    /// back to the table as that worker's departure, which may add further actions.
    private func perform(_ state: inout State) {
        var index = 0
        while index < state.actions.count {
            let action = state.actions[index]
            index += 1
            switch action {
            case .toWorker(let id, let message):
                if !send([id.bytes] + message.frames, &state) {
                    state.table.handle(.disconnect, from: id, now: MonotonicClock.now(), into: &state.actions)
                }
            case .answer(let client, let requestID, let error):
                Counter(label: "offerloop_broker_errors_total", dimensions: [("code", error.code.name)]).increment()
                send([client, [], Reply.failure(requestID: requestID, error, servedBy: "broker").wireBytes()], &state)
            case .joined(let id, let service):
                logger.info("worker joined", metadata: ["worker": "\(id)", "service_name": "\(service)"])
            case .left(let id, let service, let reason):
                logger.warning("worker left", metadata: ["worker": "\(id)", "service_name": "\(service)", "reason": "\(reason)"])
            }
        }
        state.actions.removeAll(keepingCapacity: true)
    }

    /// Sends without blocking; false when the peer has gone (EHOSTUNREACH) or its queue is full.
    /// A client that has gone simply misses its answer.
    @discardableResult
    private func send(_ frames: [[UInt8]], _ state: inout State) -> Bool {
        do {
            return try state.socket.send(frames, dontWait: true)
        } catch {
            if error.code != EHOSTUNREACH {
                logger.warning("send failed", metadata: ["error": "\(error)"])
            }
            return false
        }
    }
}
