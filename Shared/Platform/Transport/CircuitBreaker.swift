// Fail fast on a dependency that keeps failing: after a few failed calls in a row, calls to it
// are skipped for a while, then one call goes through as a probe and tells whether it is back. Without
// it, every decision behind a frozen profile or scoring service waits out its whole share of the
// deadline, a worker thread serves one decision per such wait, and the queue behind it makes
// even degraded answers late.
public struct CircuitBreaker: Sendable {
    /// Failed calls in a row that open the breaker.
    public static let threshold = 3
    /// How long calls are skipped once it is open (ns).
    public static let openFor: UInt64 = 250_000_000

    private var failures = 0
    private var openUntil: UInt64 = 0

    public init() {}

    /// The budget for a call now (µs): `budget`, a probe's at most while the breaker is open and
    /// due for a probe, or nil to skip the call.
    public mutating func allow(_ budget: UInt64, now: UInt64) -> UInt64? {
        guard failures >= Self.threshold else { return budget }
        if now < openUntil { return nil }
        openUntil = now + Self.openFor  // one probe per period
        return budget
    }

    /// What came of a call: an answer (any answer, an error of the request included) closes the
    /// breaker; a failure of the service counts.
    public mutating func record(failed: Bool, now: UInt64) {
        if !failed {
            failures = 0
            return
        }
        failures += 1
        if failures == Self.threshold { openUntil = now + Self.openFor }
    }

    public var isOpen: Bool { failures >= Self.threshold }
}
