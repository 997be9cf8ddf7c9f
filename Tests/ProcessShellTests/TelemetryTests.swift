// Liveness and readiness as the HTTP endpoint reports them: stalled loops, a worker that is not
// registered or stopped hearing from the broker, and the metrics address option.
import Testing
@testable import Transport
@testable import ProcessShell

struct TelemetryTests {
    static let second: UInt64 = 1_000_000_000

    @Test func aLoopThatStopsTurningMakesTheProcessUnhealthy() {
        let telemetry = Telemetry(service: "test")
        let pulse = telemetry.pulse("worker 0")
        let start = MonotonicClock.now()
        pulse.turn(now: start)
        #expect(telemetry.healthProblems(now: start + Self.second).isEmpty)
        let problems = telemetry.healthProblems(now: start + Telemetry.stallLimit + Self.second)
        #expect(problems.count == 1 && problems[0].hasPrefix("worker 0 has not turned for 31"), "\(problems)")
        pulse.turn(now: start + Telemetry.stallLimit)
        #expect(telemetry.healthProblems(now: start + Telemetry.stallLimit + Self.second).isEmpty)
    }

    @Test func aWorkerIsReadyOnlyWhileItHearsFromTheBroker() {
        let settings = WorkerSettings(service: "test", backend: "tcp://broker:5556")  // heartbeat 1 s, liveness 3
        let pulse = Telemetry(service: "test").pulse("worker 0")
        let now = MonotonicClock.now()
        #expect(Worker.readinessProblem(of: pulse, index: 0, settings: settings, now: now) == "worker 0 is not registered with the broker at tcp://broker:5556")
        pulse.heard(now: now)
        #expect(Worker.readinessProblem(of: pulse, index: 0, settings: settings, now: now + 2 * Self.second) == nil)
        #expect(Worker.readinessProblem(of: pulse, index: 0, settings: settings, now: now + 4 * Self.second)
            == "worker 0 has not heard from the broker at tcp://broker:5556 for 4000 ms")
        pulse.lost()
        #expect(Worker.readinessProblem(of: pulse, index: 0, settings: settings, now: now)?.contains("not registered") == true)
    }

    @Test func unmetConditionsAreNamedInTheReadinessAnswer() {
        let telemetry = Telemetry(service: "test")
        telemetry.require("store") { "read-only file system" }
        telemetry.require("catalog") { nil }
        #expect(telemetry.readinessProblems() == ["store: read-only file system"])
    }

    @Test(arguments: [("0.0.0.0:9100", true), ("127.0.0.1:0", true), ("[::1]:9100", true), ("9100", false), (":9100", false), ("host:99999", false), ("host:", false)])
    func theMetricsAddressIsHostAndPort(_ address: String, _ valid: Bool) {
        #expect((TelemetryOptions.split(address) != nil) == valid)
    }
}
