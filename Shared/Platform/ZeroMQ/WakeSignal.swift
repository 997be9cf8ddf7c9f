// An eventfd that other threads raise to wake a thread blocked in zmq_poll.
#if canImport(Glibc)
import Glibc
import CZeroMQ
#endif

public final class WakeSignal: @unchecked Sendable {
    // The descriptor is written and read with single syscalls, which are thread-safe.
    public let fileDescriptor: Int32

    public init() {
        fileDescriptor = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        precondition(fileDescriptor >= 0, "eventfd failed: errno \(errno)")
    }

    deinit { Glibc.close(fileDescriptor) }

    /// Wakes the waiting thread (any number of raises collapse into one wake-up).
    public func raise() {
        var one: UInt64 = 1
        _ = write(fileDescriptor, &one, 8)
    }

    /// Clears raised signals; call after poll reports the descriptor readable.
    public func clear() {
        var value: UInt64 = 0
        _ = read(fileDescriptor, &value, 8)
    }
}
