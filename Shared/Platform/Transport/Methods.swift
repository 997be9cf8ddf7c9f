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

    /// The caller for a record ("by which key"): its user id, or "unauthenticated".
    public var callerName: String { caller ?? "unauthenticated" }

    public init(requestID: UInt64, method: String, deadline: UInt64, sent: UInt64, routingKey: [UInt8], worker: String, caller: String? = nil) {
        self.requestID = requestID
        self.method = method
        self.deadline = deadline
        self.sent = sent
        self.routingKey = routingKey
        self.worker = worker
        self.caller = caller
    }
}

public struct Methods: Sendable {
    /// Handlers throw ServiceError for typed failures; any other error is answered INTERNAL.
    public typealias RawHandler = @Sendable ([UInt8], RequestContext) throws -> [UInt8]

    /// Answers several requests of one method at once, one result per request, in order.
    public typealias RawGroupHandler = @Sendable ([(payload: [UInt8], context: RequestContext)]) -> [Result<[UInt8], ServiceError>]

    private(set) var handlers: [String: RawHandler] = [:]
    private(set) var groupHandlers: [String: RawGroupHandler] = [:]

    public init() {}

    /// Registers a method taking and returning protobuf messages.
    public mutating func on<Request: Message, Response: Message>(
        _ name: String, _ body: @escaping @Sendable (Request, RequestContext) throws -> Response
    ) {
        handlers[name] = { bytes, context in
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
        groupHandlers[name] = { items in
            var results = [Result<[UInt8], ServiceError>?](repeating: nil, count: items.count)
            var decoded: [(index: Int, request: Request)] = []
            for (index, item) in items.enumerated() {
                do throws(ServiceError) {
                    decoded.append((index, try Request(wireBytes: item.payload)))
                } catch {
                    results[index] = .failure(error)
                }
            }
            do {
                let answers = try body(decoded.map(\.request))
                for (item, answer) in zip(decoded, answers) { results[item.index] = answer.map { $0.wireBytes() } }
            } catch {
                let failure = ServiceError.from(error) { "\(name) failed: \($0)" }
                for item in decoded { results[item.index] = .failure(failure) }
            }
            return results.map { $0 ?? .failure(ServiceError(.internal, "\(name) gave no answer")) }
        }
    }

    /// Registers a method on raw payload bytes.
    public mutating func onRaw(_ name: String, _ body: @escaping RawHandler) {
        handlers[name] = body
    }

    public var names: [String] { Set(handlers.keys).union(groupHandlers.keys).sorted() }

    public func handler(for method: String) -> RawHandler? { handlers[method] }

    public func groupHandler(for method: String) -> RawGroupHandler? { groupHandlers[method] }
}
