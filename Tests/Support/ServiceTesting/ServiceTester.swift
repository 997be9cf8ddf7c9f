// Calls a service's methods in process, as its worker would — request encoded, the registered
// handler (or group handler) run with a request context inside the worker's layers (deadline,
// error mapping, metrics), the reply decoded — so a test sees the same typed answers and errors a
// client does, without a socket (in the spirit of HummingbirdTesting and NIOEmbedded). Time is
// the test's ManualClock.
import Logging
import SwiftProtobuf
import Synchronization
import Transport
import Wire

public final class ServiceTester: Sendable {
    public let service: String
    public let clock: ManualClock
    public let methods: Methods
    /// The methods with the layers a worker puts around them: deadline, error mapping, metrics.
    private let layered: LayeredMethods
    private let requestIDs = Mutex<UInt64>(0)

    /// `clock` must be the one the service's environment reads, so that the request's deadline
    /// and the service's "now" agree.
    public init(service: String, methods: Methods, clock: ManualClock, logger: Logger = Logger(label: "offerloop.tester")) {
        self.service = service
        self.methods = methods
        self.clock = clock
        layered = Worker.layered(methods, service: service, logger: logger)
    }

    /// Closes what the service's handlers opened, as its worker does when it stops.
    public func close() { methods.close() }

    /// The context a worker gives a request that arrives now: the client allowed `deadlineMs`
    /// in all and sent it `elapsedMs` ago (the broker's hops, a queue), as the caller `caller`.
    public func context(_ method: String, deadlineMs: UInt64 = 1_000, elapsedMs: UInt64 = 0, caller: String? = nil,
                        routingKey: [UInt8] = []) -> RequestContext {
        let now = clock.monotonicNs
        let sent = now - elapsedMs * 1_000_000
        let deadline = sent + deadlineMs * 1_000_000
        let id = requestIDs.withLock { id -> UInt64 in
            id += 1
            return id
        }
        return RequestContext(requestID: id, method: method, deadline: deadline, sent: sent, routingKey: routingKey,
                              worker: "\(service)-tester", caller: caller, budget: deadline > now ? deadline - now : 0,
                              // The metrics layer times the handler on the real clock.
                              received: MonotonicClock.now())
    }

    /// Calls `method` with one request (that came with `routingKey`): its typed reply, or the typed
    /// error a client would get.
    public func call<Request: Message, Response: Message>(
        _ method: String, _ request: Request, as: Response.Type = Response.self, deadlineMs: UInt64 = 1_000, elapsedMs: UInt64 = 0,
        caller: String? = nil, routingKey: [UInt8] = []
    ) throws(ServiceError) -> Response {
        let context = context(method, deadlineMs: deadlineMs, elapsedMs: elapsedMs, caller: caller, routingKey: routingKey)
        return try Response(wireBytes: try layered.respond(method, request.wireBytes(), context).get())
    }

    /// Calls a group method with requests that arrived together: one result per request, in order.
    public func callGroup<Request: Message, Response: Message>(
        _ method: String, _ requests: [Request], as: Response.Type = Response.self, deadlineMs: UInt64 = 1_000, elapsedMs: UInt64 = 0,
        caller: String? = nil
    ) -> [Result<Response, ServiceError>] {
        let answers = layered.respond(group: method, requests.map { ($0.wireBytes(), context(method, deadlineMs: deadlineMs, elapsedMs: elapsedMs, caller: caller)) })
        return answers.map { answer in answer.flatMap { bytes in Result { () throws(ServiceError) in try Response(wireBytes: bytes) } } }
    }
}
