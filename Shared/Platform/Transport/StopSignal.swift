// Tells a socket's thread to stop: a flag it checks, plus a wake-up for its zmq_poll.
import Synchronization
import ZeroMQ

public final class StopSignal: Sendable {
    private let flag = Atomic<Bool>(false)
    public let wake = WakeSignal()

    public init() {}

    public var isRaised: Bool { flag.load(ordering: .acquiring) }

    public func raise() {
        flag.store(true, ordering: .releasing)
        wake.raise()
    }

    /// Sleeps up to `nanoseconds`, returning early (true) if the signal is raised.
    public func sleep(nanoseconds: UInt64) -> Bool {
        var poller = Poller()
        poller.add(fileDescriptor: wake.fileDescriptor)
        _ = try? poller.poll(timeoutMilliseconds: Int(nanoseconds / 1_000_000))
        return isRaised
    }
}
