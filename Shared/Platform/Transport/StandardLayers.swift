// The layers every worker puts around its methods (Methods.standardLayers): per-method metrics,
// error mapping with INTERNAL logged, and the deadline check. Each is a value; its per-method
// instruments and strings are made once, in `wrap`.
import Logging
import Metrics
import Wire

/// Counts each method's requests and its errors by code, and times how long each request took at
/// this worker (from `RequestContext.received` to its answer). Requests for a method the service
/// lacks are counted under "other".
public struct MetricsLayer: MethodLayer {
    public init() {}

    public func wrap(_ method: String, _ next: @escaping Methods.RawHandler) -> Methods.RawHandler {
        let instruments = Instruments(method)
        return { payload, context in
            do {
                let reply = try next(payload, context)
                instruments.answered(context)
                return reply
            } catch {
                instruments.answered(context, failure: error)
                throw error
            }
        }
    }

    public func wrap(_ method: String, group next: @escaping Methods.RawGroupHandler) -> Methods.RawGroupHandler {
        let instruments = Instruments(method)
        return { requests in
            let results = next(requests)
            for (request, result) in zip(requests, results) {
                switch result {
                case .failure(let error)?: instruments.answered(request.context, failure: error)
                case .success?: instruments.answered(request.context)
                case nil: break  // parked: counted when it is answered
                }
            }
            return results
        }
    }

    struct Instruments: Sendable {
        let method: String
        let requests: Counter
        let duration: Metrics.Timer

        init(_ method: String) {
            self.method = method
            requests = Counter(label: "offerloop_requests_total", dimensions: [("method", method)])
            duration = Metrics.Timer(label: "offerloop_request_duration_seconds", dimensions: [("method", method)])
        }

        func answered(_ context: RequestContext, failure: (any Error)? = nil) {
            requests.increment()
            duration.recordNanoseconds(Int64(MonotonicClock.now() &- context.received))
            if let failure {
                let code = (failure as? ServiceError)?.code ?? .internal
                Counter(label: "offerloop_request_errors_total", dimensions: [("method", method), ("code", code.name)]).increment()
            }
        }
    }
}

/// Answers with its wire form what a handler throws: a ServiceError as it is, a module error
/// that knows its wire form (ServiceErrorConvertible) as that, anything else INTERNAL naming the
/// service and method. INTERNAL answers are logged: they are bugs or broken dependencies.
public struct ErrorLayer: MethodLayer {
    let service: String
    let logger: Logger

    public init(service: String, logger: Logger) {
        self.service = service
        self.logger = logger
    }

    public func wrap(_ method: String, _ next: @escaping Methods.RawHandler) -> Methods.RawHandler {
        let name = "\(service).\(method)"
        return { [logger] payload, context in
            do {
                return try next(payload, context)
            } catch {
                let failure = ServiceError.from(error) { "\(name) failed: \($0)" }
                if failure.code == .internal { Self.log(failure, context, logger) }
                throw failure
            }
        }
    }

    /// A group handler answers typed errors itself (Methods.onGroup maps them); this logs the INTERNAL ones.
    public func wrap(_ method: String, group next: @escaping Methods.RawGroupHandler) -> Methods.RawGroupHandler {
        { [logger] requests in
            let results = next(requests)
            for (request, result) in zip(requests, results) {
                if case .failure(let failure)? = result, failure.code == .internal { Self.log(failure, request.context, logger) }
            }
            return results
        }
    }

    static func log(_ failure: ServiceError, _ context: RequestContext, _ logger: Logger) {
        logger.error("request failed", metadata: ["request_id": "\(context.requestID)", "error": "\(failure.message)"])
    }
}

/// Answers DEADLINE_EXCEEDED, without calling the handler, a request whose deadline passed before
/// a worker could start on it (the broker left it no time: `RequestContext.budget` 0).
public struct DeadlineLayer: MethodLayer {
    let expired: ServiceError

    public init(service: String) {
        expired = ServiceError(.deadlineExceeded, "deadline passed before a worker of '\(service)' could start")
    }

    public func wrap(_ method: String, _ next: @escaping Methods.RawHandler) -> Methods.RawHandler {
        { [expired] payload, context in
            guard context.budget > 0 else { throw expired }
            return try next(payload, context)
        }
    }

    /// The live requests go to the group handler together; the expired ones are answered here.
    public func wrap(_ method: String, group next: @escaping Methods.RawGroupHandler) -> Methods.RawGroupHandler {
        { [expired] requests in
            guard requests.contains(where: { $0.context.budget == 0 }) else { return next(requests) }
            let live = requests.indices.filter { requests[$0].context.budget > 0 }
            var results = [Result<[UInt8], ServiceError>?](repeating: .failure(expired), count: requests.count)
            if !live.isEmpty {
                for (index, result) in zip(live, next(live.map { requests[$0] })) { results[index] = result }
            }
            return results
        }
    }
}
