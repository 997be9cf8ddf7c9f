// The broker's socket adapter: a ROUTER for clients and a ROUTER for workers on one thread,
// feeding the RoutingTable and carrying out what it decides.
import BrokerCore
import Foundation
import Logging
import ServiceKit
import Wire
import ZeroMQ

final class BrokerLoop: Sendable {
    let config: BrokerSettings
    let context: ZMQContext
    let logger: Logger
    let started = MonotonicClock.now()

    init(config: BrokerSettings, context: ZMQContext, logger: Logger) {
        self.config = config
        self.context = context
        self.logger = logger
    }

    func run(until stop: StopSignal) {
        do {
            try serve(until: stop)
        } catch {
            logger.critical("broker failed", metadata: ["error": "\(error)"])
            exit(1)
        }
    }

    /// The per-thread state: sockets and table are used on this thread only.
    private struct State {
        let frontend: ZMQSocket
        let backend: ZMQSocket
        var table: RoutingTable
        var actions: [BrokerAction] = []
        var served: UInt64 = 0
    }

    private func serve(until stop: StopSignal) throws(ZMQError) {
        let frontend = try ZMQSocket(context, .router)
        let backend = try ZMQSocket(context, .router)
        defer {
            frontend.close()
            backend.close()
        }
        for socket in [frontend, backend] {
            try socket.set(.linger(200))
            try socket.set(.maxMessageSize(config.hardMessageLimit))
            try socket.set(.sendHighWaterMark(100_000))
            try socket.set(.receiveHighWaterMark(100_000))
        }
        // A send to a worker that has gone fails at once instead of vanishing.
        try backend.set(.routerMandatory(true))
        try frontend.bind(config.frontend)
        try backend.bind(config.backend)
        logger.info("broker listening", metadata: ["frontend": "\(config.frontend)", "backend": "\(config.backend)"])

        let interval = config.heartbeatInterval
        var state = State(frontend: frontend, backend: backend, table: RoutingTable(settings: .init(
            heartbeatInterval: interval, heartbeatLiveness: config.heartbeatLiveness, maxQueuePerService: config.maxQueue)))
        state.actions.reserveCapacity(64)
        var poller = Poller()
        let frontIndex = poller.add(frontend)
        let backIndex = poller.add(backend)
        poller.add(fileDescriptor: stop.wake.fileDescriptor)
        var nextTick = MonotonicClock.now() + interval

        while !stop.isRaised {
            let now = MonotonicClock.now()
            try poller.poll(timeoutMilliseconds: nextTick > now ? Int((nextTick - now) / 1_000_000) + 1 : 0)
            // Workers first: replies free capacity for the requests that follow. Bounded batches
            // keep either side from starving the other.
            if poller.isReadable(backIndex) {
                for _ in 0..<256 {
                    guard let frames = try backend.receive(dontWait: true) else { break }
                    try fromWorker(frames, &state)
                }
            }
            if poller.isReadable(frontIndex) {
                for _ in 0..<256 {
                    guard let frames = try frontend.receive(dontWait: true) else { break }
                    fromClient(frames, &state)
                }
            }
            let after = MonotonicClock.now()
            if after >= nextTick {
                state.table.tick(now: after, into: &state.actions)
                nextTick = after + interval
            }
            try perform(&state)
        }
        logger.info("broker stopped", metadata: ["served": "\(state.served)"])
    }

    private func fromWorker(_ frames: [[UInt8]], _ state: inout State) throws(ZMQError) {
        let id = WorkerID(frames[0])
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
            // A client that has gone is dropped silently by the ROUTER.
            try state.frontend.send([client, [], reply], dontWait: true)
        }
        state.table.handle(message, from: id, now: MonotonicClock.now(), into: &state.actions)
    }

    private func fromClient(_ frames: [[UInt8]], _ state: inout State) {
        let client = frames[0]
        let request: ClientRequest
        do {
            request = try ClientRequest(frames: frames[1...], maxBytes: config.maxRequestBytes)
        } catch {
            state.actions.append(.answer(client: client, requestID: error.requestID, error.error))
            return
        }
        let envelope = request.envelope
        if envelope.service == "broker" {
            answerItself(envelope, client: client, &state)
            return
        }
        let now = MonotonicClock.now()
        let budget = envelope.deadlineUs > 0 ? envelope.deadlineUs * 1000 : config.defaultDeadline
        let pending = PendingRequest(
            client: client, requestID: envelope.requestID, deadline: now + budget,
            envelope: request.envelopeBytes, routingKey: Array(envelope.routingKey), attempt: max(envelope.attempt, 1))
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
        _ = try? state.frontend.send([client, [], reply.wireBytes()], dontWait: true)
    }

    /// Carries out the table's actions; a send that fails because a worker vanished is fed
    /// back to the table as that worker's departure, which may add further actions.
    private func perform(_ state: inout State) throws(ZMQError) {
        var index = 0
        while index < state.actions.count {
            let action = state.actions[index]
            index += 1
            switch action {
            case .toWorker(let id, let message):
                do {
                    if try !state.backend.send([id.bytes] + message.frames, dontWait: true) {
                        state.table.handle(.disconnect, from: id, now: MonotonicClock.now(), into: &state.actions)
                    }
                } catch where error.code == EHOSTUNREACH {
                    state.table.handle(.disconnect, from: id, now: MonotonicClock.now(), into: &state.actions)
                }
            case .answer(let client, let requestID, let error):
                try state.frontend.send([client, [], Reply.failure(requestID: requestID, error, servedBy: "broker").wireBytes()], dontWait: true)
            case .joined(let id, let service):
                logger.info("worker joined", metadata: ["worker": "\(String(decoding: id.bytes, as: UTF8.self))", "service_name": "\(service)"])
            case .left(let id, let service, let reason):
                logger.warning("worker left", metadata: ["worker": "\(String(decoding: id.bytes, as: UTF8.self))", "service_name": "\(service)", "reason": "\(reason)"])
            }
        }
        state.actions.removeAll(keepingCapacity: true)
    }
}
