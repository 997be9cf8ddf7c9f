// Monotonic time in nanoseconds: the clock every deadline and heartbeat is measured on.
#if canImport(Glibc)
import Glibc
#endif

public enum MonotonicClock {
    public static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}
