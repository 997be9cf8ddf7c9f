// Calls a service's methods in process, as its worker would — request encoded, the registered
// handler (or group handler) run with a request context, the reply decoded — so a test sees the
// same typed answers and errors a client does, without a socket (in the spirit of
// HummingbirdTesting and NIOEmbedded). Time is the test's ManualClock.
import Transport
import SwiftProtobuf
import Synchronization
import Wire

public final class ServiceTester: Sendable {
    public let service: String
    public let methods: Methods
    public let clock: ManualClock
    private let requestIDs = Mutex<UInt64>(0)

    /// `clock` must be the one the service's environment reads, so that the request's deadline
    /// and the service's "now" agree.
    public init(service: String, methods: Methods, clock: ManualClock) {
        self.service = service
        self.methods = methods
        self.clock = clock
    }

    /// The context a worker gives a request that arrives now: the client allowed `deadlineMs`
    /// in all and sent it `elapsedMs` ago (the broker's hops, a queue), as the caller `caller`.
    public func context(_ method: String, deadlineMs: UInt64 = 1_000, elapsedMs: UInt64 = 0, caller: String? = nil,
                        routingKey: [UInt8] = []) -> RequestContext {
        let sent = clock.monotonicNs - elapsedMs * 1_000_000
        let id = requestIDs.withLock { id -> UInt64 in
            id += 1
            return id
        }
        return RequestContext(requestID: id, method: method, deadline: sent + deadlineMs * 1_000_000, sent: sent,
                              routingKey: routingKey, worker: "\(service)-tester", caller: caller)
    }

    /// Calls `method` with one request: its typed reply, or the typed error a client would get.
    public func call<Request: Message, Response: Message>(
        _ method: String, _ request: Request, as: Response.Type = Response.self, deadlineMs: UInt64 = 1_000, elapsedMs: UInt64 = 0,
        caller: String? = nil
    ) throws(ServiceError) -> Response {
        let context = context(method, deadlineMs: deadlineMs, elapsedMs: elapsedMs, caller: caller)
        let bytes: [UInt8]
        if let handler = methods.handler(for: method) {
            do {
                bytes = try handler(request.wireBytes(), context)
            } catch {
                // What the worker answers for a handler's error (Worker.call).
                throw ServiceError.from(error) { "\(service).\(method) failed: \($0)" }
            }
        } else if methods.groupHandler(for: method) != nil {
            return try callGroup(method, [request], as: Response.self, deadlineMs: deadlineMs, elapsedMs: elapsedMs, caller: caller)[0].get()
        } else {
            throw ServiceError(.unknownMethod, "service '\(service)' has no method '\(method)' (it has: \((["ping"] + methods.names).joined(separator: ", ")))")
        }
        return try Response(wireBytes: bytes)
    }

    /// Calls a group method with requests that arrived together: one result per request, in order.
    public func callGroup<Request: Message, Response: Message>(
        _ method: String, _ requests: [Request], as: Response.Type = Response.self, deadlineMs: UInt64 = 1_000, elapsedMs: UInt64 = 0,
        caller: String? = nil
    ) throws(ServiceError) -> [Result<Response, ServiceError>] {
        guard let handler = methods.groupHandler(for: method) else {
            throw ServiceError(.unknownMethod, "service '\(service)' has no group method '\(method)'")
        }
        let answers = handler(requests.map { ($0.wireBytes(), context(method, deadlineMs: deadlineMs, elapsedMs: elapsedMs, caller: caller)) })
        return answers.map { answer in answer.flatMap { bytes in Result { () throws(ServiceError) in try Response(wireBytes: bytes) } } }
    }
}
