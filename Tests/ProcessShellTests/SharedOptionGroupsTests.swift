// The option groups broker, services and load generator share: the heartbeat (broker and workers)
// and the channel deadlines (decision service and load generator) — one flag, one check, and
// the group's check runs where a command embeds it.
import Testing
import Transport
@testable import ProcessShell

struct SharedOptionGroupsTests {
    @Test func theHeartbeatIsReadOnceForBrokerAndWorkers() throws {
        let heartbeat = try HeartbeatOptions.parse(["--heartbeat-ms", "250", "--heartbeat-liveness", "4"])
        #expect(heartbeat.interval == 250_000_000 && heartbeat.liveness == 4)
        let settings = try WorkerOptions.parse(["--heartbeat-ms", "250", "--heartbeat-liveness", "4"]).settings(service: "echo", backend: "tcp://b:1")
        #expect(settings.heartbeatInterval == 250_000_000 && settings.heartbeatLiveness == 4)
        for (arguments, expected) in [(["--heartbeat-ms", "5"], "--heartbeat-ms must be at least 10"),
                                      (["--heartbeat-liveness", "0"], "--heartbeat-liveness must be at least 1")] {
            let error = #expect(throws: (any Error).self) { try WorkerOptions.parse(arguments) }
            #expect(WorkerOptions.message(for: error!) == expected)
        }
    }

    @Test func theChannelDeadlinesAreReadAndCheckedOnce() throws {
        #expect(try ChannelDeadlineOptions.parse([]).milliseconds() == ["atm": 50, "kiosk": 80, "web": 100, "call_center": 200])
        #expect(try ChannelDeadlineOptions.parse(["--channel-deadlines", "web:40"]).milliseconds() == ["web": 40])
        for bad in ["mars:5", "web:0", "web"] {
            let error = #expect(throws: (any Error).self) { try ChannelDeadlineOptions.parse(["--channel-deadlines", bad]) }
            #expect(ChannelDeadlineOptions.message(for: error!).hasSuffix("not '\(bad)'"), "\(bad)")
        }
    }
}
