// How long after the profile service published a change (right after its commit) it became
// visible to this replica's decisions: issue 19's target is p99 ≤ 5 ms at 1,000 writes/s. Both
// ends read the wall clock of the same machine in a benchmark; across machines the figure would
// include their clocks' offset.
import Metrics
import ProcessShell
import Synchronization
import Transport

final class ChangeVisibility: Sendable {
    private let histogram = Metrics.Timer(label: Telemetry.visibleLabel)
    /// Prometheus histograms have no maximum: the longest seen since the process started.
    private let longestGauge = Gauge(label: "offerloop_decision_replica_visible_max_seconds")
    private let longest = Atomic<Int64>(0)
    private let wallUs: @Sendable () -> Int64
    /// Sees each figure recorded (µs): for a test, which cannot read the process's metrics.
    private let observe: @Sendable (Int64) -> Void

    init(wallUs: @escaping @Sendable () -> Int64 = ServiceEnvironment.live.wallUs, observe: @escaping @Sendable (Int64) -> Void = { _ in }) {
        self.wallUs = wallUs
        self.observe = observe
    }

    /// Records changes just made visible, by their publication times (Unix µs). Only live
    /// changes carry one: a change replayed from the store (after a gap, or at start) or read
    /// from a snapshot has 0 and is not counted, nor is one whose sender's clock was ahead.
    func record(published: [Int64]) {
        guard !published.isEmpty else { return }
        let now = wallUs()
        for time in published where time > 0 && time <= now {
            let micros = now - time
            histogram.recordNanoseconds(micros * 1_000)
            observe(micros)
            if micros > longest.load(ordering: .relaxed) {
                longest.store(micros, ordering: .relaxed)
                longestGauge.record(Double(micros) / 1e6)
            }
        }
    }
}
