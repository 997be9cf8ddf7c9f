// Layers around a service's methods, like Hummingbird's middleware: the work every method shares
// wraps each handler once, when the methods are layered, so answering a request is one lookup and
// a few closure calls (decode the envelope, make the context, call the layered handler, encode).
import Logging
import Wire

/// Work done around every method of a service (metrics, the deadline check, error mapping).
/// `wrap` is called once per method when the methods are layered, never per request: what the
/// layer needs for a method (a counter, a label) is made there.
public protocol MethodLayer: Sendable {
    /// `next`, the handler of `method` with the inner layers around it, with this layer around it.
    func wrap(_ method: String, _ next: @escaping Methods.RawHandler) -> Methods.RawHandler
    /// The same for a group method (the requests waiting at the worker answered by one call).
    func wrap(_ method: String, group next: @escaping Methods.RawGroupHandler) -> Methods.RawGroupHandler
}

extension Methods {
    /// The layers every worker puts around its methods, outermost first: metrics see every
    /// answer, errors reach them mapped, and a request whose deadline passed reaches no handler.
    public static func standardLayers(service: String, logger: Logger) -> [any MethodLayer] {
        [MetricsLayer(), ErrorLayer(service: service, logger: logger), DeadlineLayer(service: service)]
    }

    /// These methods, and `builtIn` ones (the worker's "ping"), each with `layers` around it (the
    /// first outermost). Requests for a method the service lacks, and undecodable envelopes, go
    /// through the same layers under the name `LayeredMethods.otherMethod`.
    public func layered(_ layers: [any MethodLayer], service: String, builtIn: [String: RawHandler] = [:]) -> LayeredMethods {
        func wrap(_ method: String, _ handler: @escaping RawHandler) -> RawHandler {
            layers.reversed().reduce(handler) { inner, layer in layer.wrap(method, inner) }
        }
        let known = builtIn.keys.sorted() + names
        return LayeredMethods(
            handlers: handlers.merging(builtIn) { own, _ in own }.reduce(into: [:]) { $0[$1.key] = wrap($1.key, $1.value) },
            groupHandlers: groupHandlers.reduce(into: [:]) { all, entry in
                all[entry.key] = layers.reversed().reduce(entry.value) { inner, layer in layer.wrap(entry.key, group: inner) }
            },
            waits: waits,
            unknown: wrap(LayeredMethods.otherMethod) { _, context in
                throw ServiceError(.unknownMethod, "service '\(service)' has no method '\(context.method)' (it has: \(known.joined(separator: ", ")))")
            },
            malformed: wrap(LayeredMethods.otherMethod) { envelope, _ in
                // Decoded again only to throw its error: this is the path of a broken request.
                _ = try Envelope(wireBytes: envelope)
                throw ServiceError(.malformed, "the envelope could not be read")
            })
    }
}

/// A service's methods with their layers, composed once: what a worker (or a test, in process)
/// calls per request.
public struct LayeredMethods: Sendable {
    /// The name requests for methods the service does not have are layered (and counted) under.
    public static let otherMethod = "other"

    let handlers: [String: Methods.RawHandler]
    let groupHandlers: [String: Methods.RawGroupHandler]
    /// How long the requests of each waiting group method may wait (ns).
    let waits: [String: UInt64]
    let unknown: Methods.RawHandler
    let malformed: Methods.RawHandler

    /// Whether requests of `method` waiting together are answered by one call.
    public func isGroup(_ method: String) -> Bool { !groupHandlers.isEmpty && groupHandlers[method] != nil }

    /// How long a request of `method` may wait for its answer (ns), if the method waits
    /// (`Methods.onGroup(_:waitingUpTo:_:)`).
    public func maxWait(_ method: String) -> UInt64? { waits.isEmpty ? nil : waits[method] }

    /// Whether any method may wait.
    public var hasWaitingMethods: Bool { !waits.isEmpty }

    /// The answer to one request of `method` with every layer around its handler: the reply
    /// payload or the typed error the caller gets. A group method answers it as a group of one.
    public func respond(_ method: String, _ payload: [UInt8], _ context: RequestContext) -> Result<[UInt8], ServiceError> {
        if let handler = handlers[method] { return Self.result(handler, payload, context) }
        if let group = groupHandlers[method] { return group([(payload, context)])[0] ?? .failure(ServiceError(.internal, "\(method) gave no answer")) }
        return Self.result(unknown, payload, context)
    }

    /// The answers to requests of a group method, one per request, in order; nil ("not yet") only
    /// for a request whose context allows waiting (`ParkedRequests` holds it and asks again).
    public func respond(group method: String, _ requests: [(payload: [UInt8], context: RequestContext)]) -> [Result<[UInt8], ServiceError>?] {
        guard let group = groupHandlers[method] else { return requests.map { Optional(respond(method, $0.payload, $0.context)) } }
        return group(requests)
    }

    /// The answer to a request whose envelope could not be decoded (`envelope`: its bytes).
    func respond(malformedEnvelope envelope: [UInt8], _ context: RequestContext) -> Result<[UInt8], ServiceError> {
        Self.result(malformed, envelope, context)
    }

    private static func result(_ handler: Methods.RawHandler, _ payload: [UInt8], _ context: RequestContext) -> Result<[UInt8], ServiceError> {
        do {
            return .success(try handler(payload, context))
        } catch let error as ServiceError {
            return .failure(error)
        } catch {
            // Only without an ErrorLayer does anything else get this far.
            return .failure(ServiceError(.internal, "\(context.method) failed: \(error)"))
        }
    }
}
