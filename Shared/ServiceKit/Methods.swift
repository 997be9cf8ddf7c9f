// The methods a service answers: name → typed handler, decoded and encoded at the edge.
import SwiftProtobuf
import Wire

/// What a handler knows about the request besides its payload.
public struct RequestContext: Sendable {
    public let requestID: UInt64
    public let method: String
    /// Monotonic nanoseconds by which the answer must be back at the client.
    public let deadline: UInt64
    public let routingKey: [UInt8]
    public let worker: String
}

public struct Methods: Sendable {
    /// Handlers throw ServiceError for typed failures; any other error is answered INTERNAL.
    public typealias RawHandler = @Sendable ([UInt8], RequestContext) throws -> [UInt8]

    private(set) var handlers: [String: RawHandler] = [:]

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

    /// Registers a method on raw payload bytes.
    public mutating func onRaw(_ name: String, _ body: @escaping RawHandler) {
        handlers[name] = body
    }

    public var names: [String] { handlers.keys.sorted() }

    func handler(for method: String) -> RawHandler? { handlers[method] }
}
