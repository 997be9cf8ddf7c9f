// A service's readiness over its workers: ready while every worker of at least one broker hears
// from it; otherwise the first broker's first problem is the reason given.
import Testing
@testable import Transport

struct WorkerReadinessTests {
    static let second: UInt64 = 1_000_000_000

    @Test func readyWhileEveryWorkerOfOneBrokerHearsFromIt() {
        // Two brokers, two worker threads at each: workers 0 and 1 at b1, 2 and 3 at b2.
        let settings = ["tcp://b1:5556", "tcp://b1:5556", "tcp://b2:5556", "tcp://b2:5556"].map { WorkerSettings(service: "test", backend: $0) }
        let pulses = settings.indices.map { Pulse(name: "worker \($0)") }
        let now = 100 * Self.second
        func problem() -> String? { Worker.readinessProblem(of: pulses, settings: settings, perBroker: 2, now: now) }

        #expect(problem() == "worker 0 is not registered with the broker at tcp://b1:5556")
        pulses[0].heard(now: now)
        pulses[2].heard(now: now)
        #expect(problem() == "worker 1 is not registered with the broker at tcp://b1:5556", "half of each broker's workers: not ready")
        pulses[3].heard(now: now - Self.second)
        #expect(problem() == nil, "both of b2's workers hear from it")
        pulses[3].heard(now: now - 5 * Self.second)
        #expect(problem() == "worker 1 is not registered with the broker at tcp://b1:5556")
        pulses[1].heard(now: now)
        #expect(problem() == nil, "both of b1's workers hear from it")
    }
}
