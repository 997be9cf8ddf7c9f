// The breaker a caller puts in front of a dependency: open after failures in a row, one probe
// per period while open, closed by any answer.
import Testing
import Transport

struct CircuitBreakerTests {
    @Test func opensAfterFailuresInARowProbesOncePerPeriodAndClosesOnAnAnswer() {
        var breaker = CircuitBreaker()
        var now: UInt64 = 1_000_000_000
        for _ in 1..<CircuitBreaker.threshold {
            #expect(breaker.allow(40_000, now: now) == 40_000)
            breaker.record(failed: true, now: now)
        }
        // An answer in between starts the count again.
        breaker.record(failed: false, now: now)
        for _ in 0..<CircuitBreaker.threshold {
            #expect(breaker.allow(40_000, now: now) == 40_000)
            breaker.record(failed: true, now: now)
        }
        #expect(breaker.isOpen && breaker.allow(40_000, now: now) == nil)
        now += CircuitBreaker.openFor - 1
        #expect(breaker.allow(40_000, now: now) == nil)
        now += 1
        // One probe, with the call's whole budget; the next call in the same period is skipped.
        #expect(breaker.allow(40_000, now: now) == 40_000)
        #expect(breaker.allow(40_000, now: now) == nil)
        breaker.record(failed: true, now: now)
        now += CircuitBreaker.openFor
        #expect(breaker.allow(2_000, now: now) == 2_000)
        breaker.record(failed: false, now: now)
        #expect(!breaker.isOpen && breaker.allow(40_000, now: now) == 40_000)
    }
}
