// The world a service adapter sees in a unit test: a manual clock the test advances, ids counted
// up from 1 and a fixed seed, all given to the adapter as its ServiceEnvironment.
import Transport
import Synchronization

/// A wall clock (Unix ms) and a monotonic clock (ns) that stand still until the test advances them.
public final class ManualClock: Sendable {
    private let now: Mutex<(wallMs: Int64, monotonicNs: UInt64)>

    /// Defaults: 2026-12-01 00:00 UTC, and a monotonic reading far enough from 0 that a test may
    /// place a request's send before it.
    public init(wallMs: Int64 = 1_796_083_200_000, monotonicNs: UInt64 = 1_000_000_000_000) {
        now = Mutex((wallMs, monotonicNs))
    }

    public var wallMs: Int64 { now.withLock { $0.wallMs } }
    public var monotonicNs: UInt64 { now.withLock { $0.monotonicNs } }

    /// Moves both clocks on by the same time.
    public func advance(nanoseconds: UInt64) {
        now.withLock {
            $0.monotonicNs += nanoseconds
            $0.wallMs += Int64(nanoseconds / 1_000_000)
        }
    }

    public func advance(milliseconds: UInt64) { advance(nanoseconds: milliseconds * 1_000_000) }
}

/// Identifiers 1, 2, 3, … as 20 hex digits, the size of the live ones.
public final class SequentialIDs: Sendable {
    private let last = Mutex<UInt64>(0)

    public init() {}

    public func next() -> String {
        let value = last.withLock { last -> UInt64 in
            last += 1
            return last
        }
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: max(20 - hex.count, 0)) + hex
    }
}

extension ServiceEnvironment {
    /// The environment of a unit test: `clock`'s time, sequential ids, and `seed` for every
    /// request that brings none.
    public static func manual(_ clock: ManualClock, ids: SequentialIDs = SequentialIDs(), seed: UInt64 = 42) -> ServiceEnvironment {
        precondition(seed != 0, "a seed of 0 means none")
        return ServiceEnvironment(wallMs: { clock.wallMs }, monotonicNs: { clock.monotonicNs }, newID: { ids.next() }, newSeed: { seed })
    }
}
