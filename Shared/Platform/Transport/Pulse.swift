// A loop's pulse: when it last turned (liveness) and, for a loop attached to the broker, when
// it last heard from it (readiness). The loop beats it; the process's telemetry reads it.
import Synchronization

public final class Pulse: Sendable {
    public let name: String
    private let turned = Atomic<UInt64>(MonotonicClock.now())
    private let heard = Atomic<UInt64>(0)

    public init(name: String) { self.name = name }

    public func turn(now: UInt64) { turned.store(now, ordering: .relaxed) }
    public func heard(now: UInt64) { heard.store(now, ordering: .relaxed) }
    public func lost() { heard.store(0, ordering: .relaxed) }

    public var lastTurn: UInt64 { turned.load(ordering: .relaxed) }
    /// When the peer was last heard; 0 if not since the last loss.
    public var lastHeard: UInt64 { heard.load(ordering: .relaxed) }
}
