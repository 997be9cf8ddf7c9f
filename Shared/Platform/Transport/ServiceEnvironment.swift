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

    /// The system's clocks and its random generator (ids: 80 random bits as 20 hex digits).
    public static let live = ServiceEnvironment(
        wallMs: { Int64(Date().timeIntervalSince1970 * 1000) },
        monotonicNs: { MonotonicClock.now() },
        newID: { randomHexID() },
        newSeed: { UInt64.random(in: 1...UInt64.max) },
        wallUs: { Int64(Date().timeIntervalSince1970 * 1_000_000) })
}

/// 20 lower-case hex digits of the system's random generator: what a UUID's text without its
/// dashes, cut to 20, gave, at a hundredth of the instructions (Foundation's string replacing).
func randomHexID() -> String {
    let digits = Array("0123456789abcdef".utf8)
    var generator = SystemRandomNumberGenerator()
    let high = generator.next() as UInt64, low = generator.next() as UInt64
    return String(unsafeUninitializedCapacity: 20) { buffer in
        for i in 0..<16 { buffer[i] = digits[Int(high >> UInt64(60 - 4 * i) & 0xf)] }
        for i in 0..<4 { buffer[16 + i] = digits[Int(low >> UInt64(12 - 4 * i) & 0xf)] }
        return 20
    }
}
