// Holds a process's workers back until what they answer from is ready (a replica registers with
// the broker only once it has caught up with its streams): opened once, by whoever knows.
import Synchronization

public final class StartGate: Sendable {
    private let opened = Atomic<Bool>(false)

    public init() {}

    public var isOpen: Bool { opened.load(ordering: .acquiring) }

    public func open() { opened.store(true, ordering: .releasing) }

    /// Waits until the gate opens (true) or `stop` is raised (false), looking every `pollNs`.
    public func wait(until stop: StopSignal, pollNs: UInt64 = 10_000_000) -> Bool {
        while !isOpen {
            if stop.sleep(nanoseconds: pollNs) { return false }
        }
        return true
    }
}
