// The decision replica answering from memory, as real processes: a profile write is seen by the
// next decision that names its sequence (read-your-writes) without asking the profile service —
// the profile is frozen right after the write, and the answer is still fresh and not degraded —
// and a floor the replica cannot reach within the deadline makes it ask the profile service, or,
// with the profile frozen, answer degraded with the reason, never silently from older data; and
// the replica's histogram of how soon changes become visible counts the live changes it applied.
import Foundation
import Testing
import Transport
import Wire

@Suite(.serialized) struct ReplicaIntegrationTests {
    typealias Stack = DecisionIntegrationTests.Stack

    static func decide(_ client: BrokerClient, _ login: String, _ channel: Channel, after sequence: UInt64, timeoutMicros: UInt64 = 2_000_000) throws -> DecideReply {
        try client.call("decision", "decide", DecideRequest.with {
            $0.identity = .with { $0.kind = "login"; $0.value = login }
            $0.channel = channel
            $0.explain = true
            $0.minProfileSequence = sequence
        }, timeoutMicros: timeoutMicros)
    }

    static func optOut(_ client: BrokerClient, _ login: String, _ channel: String, _ value: Bool) throws -> CustomerReply {
        try client.call("profile", "upsert", UpsertCustomerRequest.with {
            $0.identity = .with { $0.kind = "login"; $0.value = login }
            $0.attributes = ["opt_out.\(channel)": value ? "true" : "false"]
        })
    }

    @Test func aWriteIsSeenByTheNextDecisionFromMemoryEvenWithTheProfileFrozen() throws {
        // No value model: its refit revalues every customer in the background, a burst of changes
        // the live stream may drop under load, and a frozen profile could not replay them.
        let stack = try Stack(valueModel: false)
        let client = try stack.cluster.client()
        defer { client.close() }
        let before = try Self.decide(client, "ada", .web, after: 0)
        #expect(!before.degraded && !before.offers.isEmpty, "\(before.degradedReason)")
        // The replica caught up first: what is tested is the one write that follows.
        let current = try Self.optOut(client, "ada", "web", false)
        try DecisionIntegrationTests.Stack.waitForReplicas(stack.decisionMetrics, toApply: current.profileSequence)

        let written = try Self.optOut(client, "ada", "web", true)
        #expect(written.profileSequence > 0)
        // Frozen right after the write: within the replica's 250 ms of trust in a silent stream,
        // only its memory can answer, and it has the opt-out.
        stack.cluster.signal(stack.process("profile"), SIGSTOP)
        defer { stack.cluster.signal(stack.process("profile"), SIGCONT) }
        let after = try Self.decide(client, "ada", .web, after: written.profileSequence)
        #expect(!after.degraded && after.offers.isEmpty && after.customerID == before.customerID, "\(after.degradedReason) \(after.offers.map(\.offerID))")
        #expect(after.explanation.joined(separator: " ").contains("opt"), "\(after.explanation)")
    }

    @Test func aFloorTheReplicaCannotReachIsAskedOfTheProfileOrAnsweredDegraded() throws {
        let stack = try Stack()
        let client = try stack.cluster.client()
        defer { client.close() }
        let written = try Self.optOut(client, "ada", "web", false)
        // A sequence no write has had yet: the replica waits its share of the time, then the
        // profile service answers (it is the system of record: always past any floor).
        let beyond = written.profileSequence + 1_000
        let asked = try Self.decide(client, "ada", .web, after: beyond)
        #expect(!asked.degraded && !asked.offers.isEmpty, "\(asked.degradedReason)")
        // The profile frozen too: the replica's view, marked, with why it was not trusted alone.
        stack.cluster.signal(stack.process("profile"), SIGSTOP)
        defer { stack.cluster.signal(stack.process("profile"), SIGCONT) }
        let degraded = try Self.decide(client, "ada", .web, after: beyond)
        #expect(degraded.degraded && !degraded.offers.isEmpty, "\(degraded.degradedReason)")
        #expect(degraded.degradedReason.contains("used this replica's view, which has applied the profile stream to"), "\(degraded.degradedReason)")
        #expect(degraded.degradedReason.contains("not yet to \(beyond)"), "\(degraded.degradedReason)")
    }

    /// How many changes the decision replica's visibility histogram has counted (its /metrics).
    static func visibleCount(_ stack: Stack) throws -> Int {
        let (_, output) = try run("/usr/bin/curl", ["-s", "--max-time", "5", "http://\(stack.decisionMetrics[0])/metrics"])
        let line = output.split(separator: "\n").first { $0.hasPrefix("offerloop_decision_replica_visible_seconds_count ") }
        return line.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }.map { Int($0) } ?? 0
    }

    @Test func theVisibilityHistogramCountsEachLiveChangeTheReplicaApplied() throws {
        // No value model: its refit revalues every customer, a flood of changes that a loaded
        // machine's replica may fetch by replay rather than live.
        let stack = try Stack(valueModel: false)
        let client = try stack.cluster.client()
        defer { client.close() }
        let before = try Self.visibleCount(stack)
        var last: UInt64 = 0
        for n in 0..<20 {
            last = try Self.optOut(client, "ada", "web", n % 2 == 0).profileSequence
        }
        // Applied by the replica once a decision naming the last write's sequence answers fresh.
        let after = try Self.decide(client, "ada", .web, after: last)
        #expect(!after.degraded, "\(after.degradedReason)")
        // Each write changed the customer (the opt-out flips): one live change each, counted once
        // (recorded just after the apply, so asked until all are there or 5 s passed). On a
        // machine so slow that the replica fetched a change from the store before its live copy
        // came (a replay: not counted), fewer.
        var counted = try Self.visibleCount(stack) - before
        for _ in 0..<50 where counted < 20 {
            Thread.sleep(forTimeInterval: 0.1)
            counted = try Self.visibleCount(stack) - before
        }
        #expect(counted >= 1 && counted <= 20, "\(counted) changes counted for 20 writes")
    }
}
