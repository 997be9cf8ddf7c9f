// What a service adapter reads of the world besides its requests — the wall clock, the monotonic
// clock, fresh ids, seeds — passed in rather than read from globals, so a test can fix each one.
import Foundation

public struct ServiceEnvironment: Sendable {
    /// Now, in Unix milliseconds: the time stamps of records and the "now" of every rule.
    public var wallMs: @Sendable () -> Int64
    /// Now, in Unix microseconds: for latencies measured across processes on one machine (a
    /// profile change's visibility at a decision replica), where milliseconds are too coarse.
    public var wallUs: @Sendable () -> Int64
    /// Now on the monotonic clock every deadline is measured on (ns, as `MonotonicClock`).
    public var monotonicNs: @Sendable () -> UInt64
    /// A new identifier: 20 lowercase hex digits, unique in practice (after "d-", "c-", …).
    public var newID: @Sendable () -> String
    /// A seed for a request that brings none; never 0 (0 means "none" on the wire).
    public var newSeed: @Sendable () -> UInt64

    public init(wallMs: @escaping @Sendable () -> Int64, monotonicNs: @escaping @Sendable () -> UInt64,
                newID: @escaping @Sendable () -> String, newSeed: @escaping @Sendable () -> UInt64,
                wallUs: (@Sendable () -> Int64)? = nil) {
        self.wallMs = wallMs
        // A test's clock is in milliseconds: its microseconds follow it.
        self.wallUs = wallUs ?? { wallMs() * 1000 }
        self.monotonicNs = monotonicNs
        self.newID = newID
        self.newSeed = newSeed
    }

    /// The system's clocks, random UUIDs and the system's random generator.
    public static let live = ServiceEnvironment(
        wallMs: { Int64(Date().timeIntervalSince1970 * 1000) },
        monotonicNs: { MonotonicClock.now() },
        newID: { String(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)) },
        newSeed: { UInt64.random(in: 1...UInt64.max) },
        wallUs: { Int64(Date().timeIntervalSince1970 * 1_000_000) })
}
