// The methods a service answers: name → typed handler, decoded and encoded at the edge.
import SwiftProtobuf
import Wire

/// What a handler knows about the request besides its payload.
public struct RequestContext: Sendable {
    public let requestID: UInt64
    public let method: String
    /// Monotonic nanoseconds by which the answer must be back at the client.
    public let deadline: UInt64
    /// Monotonic nanoseconds at which the client sent the request, as far as this worker can
    /// tell: its deadline less the whole time it allowed (the broker's hops are inside that).
    public let sent: UInt64
    public let routingKey: [UInt8]
    public let worker: String
    /// Who called: the CURVE key's user id ("ROLE/NAME") as the broker passed it; nil when the
    /// cluster runs without CURVE (plaintext: the caller is unauthenticated).
    public var caller: String? = nil
    /// Nanoseconds the broker left for the answer when it handed the request over; 0 when the
    /// deadline had passed already (DeadlineLayer answers such a request without its handler).
    public var budget: UInt64
    /// Monotonic nanoseconds at which the worker took the request: its time at this worker
    /// (MetricsLayer's duration) counts from then.
    public var received: UInt64 = 0
    /// Whether the handler may answer this request "not yet" (a waiting group method,
    /// `Methods.onGroup(_:waitingUpTo:_:)`, before the request's last try); false everywhere else.
    public var mayWait = false

    public init(requestID: UInt64, method: String, deadline: UInt64, sent: UInt64, routingKey: [UInt8] = [], worker: String = "",
                caller: String? = nil, budget: UInt64? = nil, received: UInt64 = 0) {
        self.requestID = requestID
        self.method = method
        self.deadline = deadline
        self.sent = sent
        self.routingKey = routingKey
        self.worker = worker
        self.caller = caller
        // By default what the whole deadline allows, counted from the send.
        self.budget = budget ?? (deadline > sent ? deadline - sent : 0)
        self.received = received
    }

    /// The caller for a record ("by which key"): its user id, or "unauthenticated".
    public var callerName: String { caller ?? "unauthenticated" }
}

public struct Methods: Sendable {
    /// Handlers throw ServiceError for typed failures; any other error is answered INTERNAL.
    /// (MethodLayer wraps this form: error mapping is one of the layers.)
    public typealias RawHandler = @Sendable ([UInt8], RequestContext) throws -> [UInt8]

    /// Answers several requests of one method at once, one answer per request, in order; nil —
    /// "not yet" — only for a request whose context says it may wait (`RequestContext.mayWait`).
    public typealias RawGroupHandler = @Sendable ([(payload: [UInt8], context: RequestContext)]) -> [Result<[UInt8], ServiceError>?]

    private(set) var handlers: [String: RawHandler] = [:]
    private(set) var groupHandlers: [String: RawGroupHandler] = [:]
    /// How long the requests of each waiting group method may wait, in nanoseconds.
    private(set) var waits: [String: UInt64] = [:]
    private var closers: [@Sendable () -> Void] = []

    /// The thread the handlers' object belongs to, when it is not thread-safe: each handler checks
    /// it first (in a debug build; nothing in a release build).
    public let owner: ThreadOwner?

    public init() { owner = nil }

    /// Methods of an object made by a worker thread and used only by it (a service class holding
    /// that thread's socket or database connection): every handler asserts it runs on `owner`.
    public init(ownedBy owner: ThreadOwner) { self.owner = owner }

    /// Registers a method taking and returning protobuf messages.
    public mutating func on<Request: Message, Response: Message>(
        _ name: String, _ body: @escaping @Sendable (Request, RequestContext) throws -> Response
    ) {
        handlers[name] = { [owner] bytes, context in
            owner?.assertOwned("the handler of '\(name)'")
            let request = try Request(wireBytes: bytes)
            return try body(request, context).wireBytes()
        }
    }

    /// Registers a method whose requests waiting at the worker together are answered by one
    /// call (e.g. stored in one transaction: group commit). `body` returns one result per
    /// request, in order; if it throws, every request of the group gets that error.
    public mutating func onGroup<Request: Message, Response: Message>(
        _ name: String, _ body: @escaping @Sendable ([Request]) throws -> [Result<Response, ServiceError>]
    ) {
        register(group: name) { (requests: [(request: Request, mayWait: Bool)]) in try body(requests.map(\.request)).map { Optional($0) } }
    }

    /// Registers a group method whose handler may answer a request "not yet" (nil) while what it
    /// needs is on its way from another process (the feedback service: a decision still being
    /// copied to the log). The worker does not block on it: it parks the request, answers others
    /// meanwhile, and asks again every few milliseconds (`ParkedRequests`). On the request's last
    /// try — `wait` after it arrived or just before its deadline, whichever comes first — `mayWait`
    /// is false and the handler must answer. A `wait` of 0 makes it a group method like any other.
    public mutating func onGroup<Request: Message, Response: Message>(
        _ name: String, waitingUpTo wait: UInt64, _ body: @escaping @Sendable ([(request: Request, mayWait: Bool)]) throws -> [Result<Response, ServiceError>?]
    ) {
        waits[name] = wait > 0 ? wait : nil  // 0: answered at once, as any group method
        register(group: name, body)
    }

    private mutating func register<Request: Message, Response: Message>(
        group name: String, _ body: @escaping @Sendable ([(request: Request, mayWait: Bool)]) throws -> [Result<Response, ServiceError>?]
    ) {
        groupHandlers[name] = { [owner] items in
            owner?.assertOwned("the handler of '\(name)'")
            var results = [Result<[UInt8], ServiceError>?](repeating: nil, count: items.count)
            var decoded: [(index: Int, request: Request, mayWait: Bool)] = []
            for (index, item) in items.enumerated() {
                do throws(ServiceError) {
                    decoded.append((index, try Request(wireBytes: item.payload), item.context.mayWait))
                } catch {
                    results[index] = .failure(error)
                }
            }
            do {
                let answers = try body(decoded.map { ($0.request, $0.mayWait) })
                for (item, answer) in zip(decoded, answers) { results[item.index] = answer.map { $0.map { $0.wireBytes() } } }
            } catch {
                let failure = ServiceError.from(error) { "\(name) failed: \($0)" }
                for item in decoded { results[item.index] = .failure(failure) }
            }
            // "Not yet" only where waiting is allowed: on its last try a request gets an answer.
            return results.enumerated().map { index, result in
                result ?? (items[index].context.mayWait ? nil : .failure(ServiceError(.internal, "\(name) gave no answer")))
            }
        }
    }

    /// Registers a method on raw payload bytes.
    public mutating func onRaw(_ name: String, _ body: @escaping RawHandler) {
        guard let owner else {
            handlers[name] = body
            return
        }
        handlers[name] = { payload, context in
            owner.assertOwned("the handler of '\(name)'")
            return try body(payload, context)
        }
    }

    public var names: [String] { Set(handlers.keys).union(groupHandlers.keys).sorted() }

    /// Registers what to close when the worker serving these methods stops: the socket or the
    /// connection the handlers' object opened. `close` must be safe to call twice.
    public mutating func onClose(_ close: @escaping @Sendable () -> Void) {
        closers.append(close)
    }

    /// Closes what the handlers' object opened (ServiceRunner calls it on the worker's thread, after
    /// its last request).
    public func close() {
        closers.forEach { $0() }
    }
}
