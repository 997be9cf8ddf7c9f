// What a request carries through the gateway's routes besides itself: who called (the API key's
// holder) and by when it must be answered (the `OfferLoop-Deadline-Ms` header, else the default).
import HTTPTypes
import Hummingbird
import NIOCore
import Transport
import Wire

struct GatewayContext: Hummingbird.RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The holder of the request's API key; nil when the gateway runs without keys.
    var caller: APIKey?
    /// When the answer is due (MonotonicClock ns); set by DeadlineMiddleware.
    var deadline: UInt64 = 0

    /// The event loop of the request's connection: its handler runs there (EventLoopMiddleware).
    let eventLoop: any EventLoop

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        eventLoop = source.channel.eventLoop
    }

    /// Request bodies are protobuf messages as JSON: a batch of 1,000 outcomes fits.
    var maxUploadSize: Int { 1 << 20 }

    /// The time left for the answer, in microseconds; DEADLINE_EXCEEDED when none is.
    func remainingMicros(now: UInt64 = MonotonicClock.now()) throws(ServiceError) -> UInt64 {
        guard deadline > now else { throw ServiceError(.deadlineExceeded, "the request's deadline passed before the gateway could ask the cluster") }
        return (deadline - now) / 1000
    }

    /// Whether the caller's key may call `service`.`method`, by the broker's own role table.
    func authorize(_ service: String, _ method: String) throws(ServiceError) {
        guard let caller else { return }
        if let refusal = BrokerSecurity.authorize(userID: caller.userID, service: service, method: method) { throw refusal }
    }
}

/// Sets each request's deadline from its `OfferLoop-Deadline-Ms` header (1 to 60,000), else `defaultMs`.
struct DeadlineMiddleware: RouterMiddleware {
    static let header = HTTPField.Name("OfferLoop-Deadline-Ms")!
    let defaultMs: Int

    func handle(_ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response) async throws -> Response {
        var milliseconds = defaultMs
        if let text = request.headers[Self.header] {
            guard let value = Int(text), (1...60_000).contains(value) else {
                throw Problem(.invalidArgument, "the header OfferLoop-Deadline-Ms takes whole milliseconds from 1 to 60000, not '\(text)'")
            }
            milliseconds = value
        }
        var context = context
        context.deadline = MonotonicClock.now() + UInt64(milliseconds) * 1_000_000
        return try await next(request, context)
    }
}

/// Runs each handler on its connection's event loop: the answer of a broker call resumes it there,
/// and its response is written without another hop.
struct EventLoopMiddleware: RouterMiddleware {
    func handle(_ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response) async throws -> Response {
        try await withTaskExecutorPreference(EventLoopExecutor(loop: context.eventLoop)) {
            try await next(request, context)
        }
    }
}

/// An event loop as a task executor.
final class EventLoopExecutor: TaskExecutor {
    let loop: any EventLoop

    init(loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        loop.execute { job.runSynchronously(on: executor) }
    }
}
