// Calls a service's methods in process, as its worker would — request encoded, the registered
// handler (or group handler) run with a request context inside the worker's layers (deadline,
// error mapping, metrics), the reply decoded — so a test sees the same typed answers and errors a
// client does, without a socket (in the spirit of HummingbirdTesting and NIOEmbedded). Time is
// the test's ManualClock; requests a waiting method parks are asked again as the worker's loop
// does (`recheck`, or `call`, which moves the clock on until they are answered).
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
    /// Requests parked by a waiting method, by ticket, and the answers given to sent requests.
    private let held = Mutex<(parked: ParkedRequests<UInt64>, answers: [UInt64: Result<[UInt8], ServiceError>])>((ParkedRequests(), [:]))

    /// A request sent with `send`, whose answer `answer(_:)` gives once there is one.
    public struct Ticket<Response: Message>: Sendable {
        let id: UInt64
    }

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
        try callGroup(method, [request], as: Response.self, deadlineMs: deadlineMs, elapsedMs: elapsedMs, caller: caller, routingKey: routingKey)[0].get()
    }

    /// Calls a group method with requests that arrived together: one result per request, in order.
    /// Those a waiting method parks are asked again every recheck interval of the test's clock,
    /// which this moves on, until each is answered (as a client blocked on its call sees it).
    public func callGroup<Request: Message, Response: Message>(
        _ method: String, _ requests: [Request], as: Response.Type = Response.self, deadlineMs: UInt64 = 1_000, elapsedMs: UInt64 = 0,
        caller: String? = nil, routingKey: [UInt8] = []
    ) -> [Result<Response, ServiceError>] {
        let tickets = send(method, requests, as: Response.self, deadlineMs: deadlineMs, elapsedMs: elapsedMs, caller: caller, routingKey: routingKey)
        var answers = tickets.map { answer($0) }
        while answers.contains(where: { $0 == nil }) {
            clock.advance(nanoseconds: held.withLock { $0.parked.recheck })
            recheck()
            answers = tickets.map { answer($0) }
        }
        return answers.map { $0! }
    }

    /// Sends requests of `method` that arrive together, as the worker takes them: answered at once,
    /// or parked by a waiting method until `recheck` answers them.
    public func send<Request: Message, Response: Message>(
        _ method: String, _ requests: [Request], as: Response.Type = Response.self, deadlineMs: UInt64 = 1_000, elapsedMs: UInt64 = 0,
        caller: String? = nil, routingKey: [UInt8] = []
    ) -> [Ticket<Response>] {
        let items = requests.map { request in
            let context = context(method, deadlineMs: deadlineMs, elapsedMs: elapsedMs, caller: caller, routingKey: routingKey)
            return (tag: context.requestID, payload: request.wireBytes(), context: context)
        }
        held.withLock { held in
            for (id, result) in held.parked.respond(group: method, items, with: layered, now: clock.monotonicNs) { held.answers[id] = result }
        }
        return items.map { Ticket(id: $0.tag) }
    }

    /// Asks the parked requests again at the clock's time, as the worker's loop does every few
    /// milliseconds; those past their wait get their last try.
    public func recheck() {
        held.withLock { held in
            for (id, result) in held.parked.retry(with: layered, now: clock.monotonicNs) { held.answers[id] = result }
        }
    }

    /// How many sent requests wait parked.
    public var parked: Int { held.withLock { $0.parked.count } }

    /// The answer to a sent request: its typed reply or error; nil while it is parked.
    public func answer<Response: Message>(_ ticket: Ticket<Response>) -> Result<Response, ServiceError>? {
        held.withLock { $0.answers[ticket.id] }.map { answer in answer.flatMap { bytes in Result { () throws(ServiceError) in try Response(wireBytes: bytes) } } }
    }
}
