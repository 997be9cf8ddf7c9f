// Requests a waiting group method answered "not yet" (Methods.onGroup(_:waitingUpTo:_:)), held by
// the worker that took them while it answers others, and asked again every few milliseconds. The
// worker's loop and ServiceTester each hold one: the same rules on the socket and in process.
import Wire

public struct ParkedRequests<Tag: Sendable>: Sendable {
    /// How often parked requests are asked again (ns).
    public let recheck: UInt64
    /// The time kept between a request's last try and its deadline (ns): the answer's way back
    /// through the broker, and the loop waking up to a millisecond late.
    public let margin: UInt64

    struct Entry: Sendable {
        let tag: Tag
        let payload: [UInt8]
        var context: RequestContext
        /// When its last try is due (monotonic ns).
        let until: UInt64
    }

    private var parked: [String: [Entry]] = [:]
    public private(set) var count = 0
    /// When the parked requests are next due (monotonic ns): the next recheck, or a last try.
    public private(set) var due = UInt64.max

    public init(recheck: UInt64 = 5_000_000, margin: UInt64 = 2_000_000) {
        self.recheck = recheck
        self.margin = margin
    }

    public var isEmpty: Bool { count == 0 }

    /// The answers to requests of group method `method` that arrived together, at `now`; those
    /// its handler answers "not yet" are parked (a method that does not wait answers them all).
    public mutating func respond(group method: String, _ requests: [(tag: Tag, payload: [UInt8], context: RequestContext)],
                                 with methods: LayeredMethods, now: UInt64) -> [(tag: Tag, result: Result<[UInt8], ServiceError>)] {
        let wait = methods.maxWait(method) ?? 0
        return ask(method, requests.map { request in
            // The last try: `wait` from now, or `margin` before the deadline, whichever is first.
            let deadline = request.context.deadline
            let (end, overflow) = now.addingReportingOverflow(wait)
            let until = min(overflow ? .max : end, deadline > now + margin ? deadline - margin : now)
            return Entry(tag: request.tag, payload: request.payload, context: request.context, until: until)
        }, with: methods, now: now)
    }

    /// Asks every parked request again at `now`, each for the last time once its wait is over (or
    /// all of them when `final`: the worker is stopping); returns the answers given.
    public mutating func retry(with methods: LayeredMethods, now: UInt64, final: Bool = false) -> [(tag: Tag, result: Result<[UInt8], ServiceError>)] {
        let waiting = parked
        parked = [:]
        count = 0
        due = .max
        var answers: [(tag: Tag, result: Result<[UInt8], ServiceError>)] = []
        for (method, entries) in waiting {
            answers += ask(method, entries, with: methods, now: final ? .max : now)
        }
        return answers
    }

    private mutating func ask(_ method: String, _ entries: [Entry], with methods: LayeredMethods, now: UInt64) -> [(tag: Tag, result: Result<[UInt8], ServiceError>)] {
        let tries = entries.map { entry in
            var entry = entry
            entry.context.mayWait = now < entry.until
            return entry
        }
        var answers: [(tag: Tag, result: Result<[UInt8], ServiceError>)] = []
        for (entry, result) in zip(tries, methods.respond(group: method, tries.map { ($0.payload, $0.context) })) {
            if let result {
                answers.append((entry.tag, result))
            } else if entry.context.mayWait {
                parked[method, default: []].append(entry)
                count += 1
                due = min(due, now + recheck, entry.until)
            } else {
                answers.append((entry.tag, .failure(ServiceError(.internal, "\(method) gave no answer on its last try"))))
            }
        }
        return answers
    }
}
