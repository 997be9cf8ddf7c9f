// The client touchpoints and services use to call a service through the broker: every call
// has a deadline and ends by it with an answer or a typed error; idempotent calls are retried
// once on another worker, through the next broker when there are several. Sockets owned by the
// calling thread; several requests may be in flight at once (send, then receive).
import Foundation
import SwiftProtobuf
import Wire
import ZeroMQ

public final class BrokerClient {
    public struct Call: Sendable {
        public var service: String
        public var method: String
        public var payload: [UInt8]
        /// Microseconds the caller allows for the answer.
        public var timeoutMicros: UInt64
        /// Safe to run more than once: then a slow first attempt is retried once, and an attempt
        /// answered UNAVAILABLE (its worker lost) again up to `maxAttempts` in all, each through
        /// the next broker.
        public var idempotent: Bool
        public var routingKey: [UInt8]

        public init(service: String, method: String, payload: [UInt8] = [], timeoutMicros: UInt64 = 1_000_000, idempotent: Bool = false, routingKey: [UInt8] = []) {
            self.service = service
            self.method = method
            self.payload = payload
            self.timeoutMicros = timeoutMicros
            self.idempotent = idempotent
            self.routingKey = routingKey
        }
    }

    /// Attempts of an idempotent call at most.
    public static let maxAttempts: UInt32 = 3

    /// A request in flight.
    struct Pending {
        let call: Call
        let deadline: UInt64
        /// When an idempotent call is retried if no answer came yet.
        var retryAt: UInt64?
        var attempt: UInt32
        /// The broker the latest attempt went to.
        var broker = 0
    }

    private let brokers: BrokerSockets
    /// The brokers' frontends, comma-separated.
    public let endpoint: String
    private var nextID: UInt64 = 1
    private var pending: [UInt64: Pending] = [:]
    private var answers: [(UInt64, Result<[UInt8], ServiceError>)] = []
    /// The worker that sent the latest successful answer (its `served_by`).
    public private(set) var lastServedBy = ""

    /// `endpoint`: one broker frontend, or several separated by commas.
    public init(context: ZMQContext, endpoint: String, lingerMilliseconds: Int32 = 100) throws(ZMQError) {
        brokers = try BrokerSockets(context: context, endpoints: endpoint, lingerMilliseconds: lingerMilliseconds)
        self.endpoint = endpoint
    }

    private var closed = false

    /// Closes the client's sockets; its owner calls it on its thread. Closing again does nothing;
    /// a call after it is answered UNAVAILABLE at once.
    public func close() {
        brokers.close()
        closed = true
    }

    // MARK: One call

    /// Calls a method and waits for its answer or a typed error, at the latest by the deadline.
    public func call(_ call: Call) throws(ServiceError) -> [UInt8] {
        let id = try send(call)
        while true {
            guard let (answered, result) = try receive() else { continue }
            if answered == id { return try result.get() }
        }
    }

    /// Calls a method with protobuf messages.
    public func call<Response: Message>(
        _ service: String, _ method: String, _ request: some Message, as: Response.Type = Response.self,
        timeoutMicros: UInt64 = 1_000_000, idempotent: Bool = false, routingKey: [UInt8] = []
    ) throws(ServiceError) -> Response {
        let bytes = try call(Call(service: service, method: method, payload: request.wireBytes(), timeoutMicros: timeoutMicros, idempotent: idempotent, routingKey: routingKey))
        return try Response(wireBytes: bytes)
    }

    // MARK: Several in flight

    /// Sends a call and returns its request id; collect the answer with `receive`.
    public func send(_ call: Call) throws(ServiceError) -> UInt64 {
        guard !closed else { throw ServiceError(.unavailable, "this client of the broker at \(endpoint) is closed") }
        let id = nextID
        nextID += 1
        let now = MonotonicClock.now()
        let deadline = now + call.timeoutMicros * 1000
        // An idempotent call gets half its time for the first attempt, the rest for one retry.
        let retryAt = call.idempotent ? now + call.timeoutMicros * 500 : nil
        pending[id] = Pending(call: call, deadline: deadline, retryAt: retryAt, attempt: 1)
        do {
            try transmit(id, preferring: Int(id % UInt64(Int32.max)), now: now)
        } catch {
            pending[id] = nil
            throw error
        }
        return id
    }

    public var inFlight: Int { pending.count }

    /// When `receive` next has work of its own — a retry or a deadline (monotonic ns) — for a
    /// caller that waits on the client's sockets in its own poller; nil with nothing in flight.
    public var nextDue: UInt64? { pending.values.map { $0.retryAt ?? $0.deadline }.min() }

    /// Waits for the next answer (or typed timeout) of any call in flight, up to the earliest
    /// deadline among them. Nil when nothing is in flight, or `waitMilliseconds` passed first
    /// (0: only what has already arrived).
    public func receive(waitMilliseconds: Int? = nil) throws(ServiceError) -> (UInt64, Result<[UInt8], ServiceError>)? {
        let giveUp = waitMilliseconds.map { MonotonicClock.now() + UInt64($0) * 1_000_000 }
        while answers.isEmpty {
            if pending.isEmpty { return nil }
            let now = MonotonicClock.now()
            expire(now: now)
            if !answers.isEmpty { break }
            let nextEvent = nextDue!
            let until = giveUp.map { min($0, nextEvent) } ?? nextEvent
            let received = try waitForReply(upToMicros: until > now ? (until - now) / 1000 : 0)
            if !received, let giveUp, MonotonicClock.now() >= giveUp { break }
        }
        return answers.isEmpty ? nil : answers.removeFirst()
    }

    /// Adds the client's sockets to a caller's poller, to wait for answers together with other
    /// input; then `receive(waitMilliseconds: 0)` takes what came.
    public func add(to poller: inout Poller) { brokers.add(to: &poller) }

    private func transmit(_ id: UInt64, preferring broker: Int, now: UInt64) throws(ServiceError) {
        let request = pending[id]!
        var envelope = Envelope()
        envelope.protocolVersion = WireProtocol.version
        envelope.requestID = id
        envelope.deadlineUs = request.deadline > now ? (request.deadline - now) / 1000 : 1
        envelope.service = request.call.service
        envelope.method = request.call.method
        envelope.payload = Data(request.call.payload)
        envelope.routingKey = Data(request.call.routingKey)
        envelope.attempt = request.attempt
        // Never blocks: a send waits only when there is no pipe to the broker — it refused this
        // connection (an unknown key, plaintext to a secured broker), or it is one of several and
        // not connected — or the queue to it is full.
        let sent: Int?
        do {
            sent = try brokers.send([[], envelope.wireBytes()], preferring: broker, waitMilliseconds: Int(envelope.deadlineUs / 1000))
        } catch {
            throw ServiceError(.unavailable, "cannot send to the broker at \(endpoint): \(error)")
        }
        guard let sent else {
            throw ServiceError(.unavailable, "no broker at \(endpoint) takes anything from this client: not connected, the handshake refused (key, or plaintext to a secured broker), or the queue full")
        }
        pending[id]!.broker = sent
    }

    /// Answers calls whose deadline passed; retries idempotent calls whose first half passed.
    private func expire(now: UInt64) {
        for (id, request) in pending {
            if request.deadline <= now {
                pending[id] = nil
                answers.append((id, .failure(ServiceError(.deadlineExceeded, "no answer from '\(request.call.service)' within \(request.call.timeoutMicros / 1000) ms"))))
            } else if let retryAt = request.retryAt, retryAt <= now {
                retry(id, now: now)
            }
        }
    }

    /// Sends the call again, through the next broker; if that fails, an earlier attempt may still answer.
    private func retry(_ id: UInt64, now: UInt64) {
        pending[id]!.retryAt = nil
        pending[id]!.attempt += 1
        try? transmit(id, preferring: pending[id]!.broker + 1, now: now)
    }

    /// Waits for one message from the brokers; whether one came.
    private func waitForReply(upToMicros micros: UInt64) throws(ServiceError) -> Bool {
        // Milliseconds: round up so a short wait still waits.
        do {
            guard let frames = try brokers.receive(timeoutMilliseconds: Int32(clamping: (micros + 999) / 1000)) else { return false }
            accept(frames)
            return true
        } catch {
            throw ServiceError(.unavailable, "broker connection failed: \(error)")
        }
    }

    private func accept(_ frames: [[UInt8]]) {
        guard frames.count == 2, frames[0].isEmpty, let reply = try? Reply(serializedBytes: frames[1]) else { return }
        guard let request = pending[reply.requestID] else { return }  // a late answer to a call already settled
        switch reply.result {
        case .payload(let data):
            pending[reply.requestID] = nil
            lastServedBy = reply.servedBy
            answers.append((reply.requestID, .success(Array(data))))
        case .error(let error):
            // A lost worker is worth a retry for an idempotent call (the next broker may still
            // route to the same lost worker until it notices), if time is left.
            if error.code == .unavailable, request.call.idempotent, request.attempt < Self.maxAttempts {
                retry(reply.requestID, now: MonotonicClock.now())
                return
            }
            pending[reply.requestID] = nil
            answers.append((reply.requestID, .failure(ServiceError(error.code, error.message))))
        case nil:
            pending[reply.requestID] = nil
            answers.append((reply.requestID, .failure(ServiceError(.malformed, "reply carries neither payload nor error"))))
        }
    }
}
