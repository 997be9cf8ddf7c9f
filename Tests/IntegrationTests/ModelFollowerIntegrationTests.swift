// The decision replica holding the scoring model (snapshot + outcome stream), as real processes:
// outcomes reported through feedback reach scoring and every decision replica — one started
// before them, one after (from a snapshot) — which report the same model digest at the same
// sequence; with scoring frozen, the decisions are not degraded: they no longer call it.
import Foundation
import Testing
import Transport
import Wire

@Suite(.serialized) struct ModelFollowerIntegrationTests {
    /// Decides for each demo customer on the web and reports what they did with the first offer
    /// (once the decision is in the log): an impression, then an accept or a decline. Returns how
    /// many outcomes were stored.
    static func driveOutcomes(_ stack: DecisionIntegrationTests.Stack, _ client: BrokerClient, rounds: Int, tag: String) throws -> Int {
        var shown: [(id: String, offer: String, accepted: Bool, event: String)] = []
        for round in 0..<rounds {
            for login in ["ada", "chloe", "dario"] {
                let reply = try DecisionIntegrationTests.decide(client, ("login", login), .web)
                guard let offer = reply.offers.first?.offerID else { continue }
                shown.append((reply.decisionID, offer, (round + login.count) % 2 == 0, "\(tag)-\(round)-\(login)"))
            }
        }
        _ = try stack.logged(Set(shown.map(\.id)))
        var stored = 0
        for decision in shown {
            for (index, type) in [OutcomeType.impression, decision.accepted ? .accept : .decline].enumerated() {
                let ack: OutcomeAck = try client.call("feedback", "outcome", Outcome.with {
                    $0.eventID = "\(decision.event)-\(index)"; $0.decisionID = decision.id; $0.offerID = decision.offer; $0.type = type
                }, timeoutMicros: 5_000_000)
                if !ack.duplicate { stored += 1 }
            }
        }
        return stored
    }

    /// The decision replicas' and the scoring replica's "model" at `sequence`, once each reports it.
    static func models(at sequence: UInt64, decisions: Int, _ client: BrokerClient) throws -> (scoring: ModelReply, decisions: [String: ModelReply]) {
        let scoring = try ScoringIntegrationTests.waitForSequence(sequence, replicas: 1, client)
        let decisions = try ScoringIntegrationTests.waitForSequence(sequence, replicas: decisions, client, of: "decision")
        return (try #require(scoring.values.first { $0.sequence == sequence }), decisions.filter { $0.value.sequence == sequence })
    }

    @Test func decisionReplicasAndScoringConvergeOnTheSameModelBits() throws {
        let stack = try DecisionIntegrationTests.Stack()
        let client = try stack.cluster.client()
        defer { client.close() }
        // Outcomes after the first decision replica started: it learns them from the stream.
        let first = try Self.driveOutcomes(stack, client, rounds: 6, tag: "a")
        #expect(first > 20)
        let early = try Self.models(at: UInt64(first), decisions: 1, client)
        let replica = try #require(early.decisions.values.first)
        #expect(early.scoring.modelDigest.count == 64 && replica.modelDigest == early.scoring.modelDigest)
        #expect(replica.offers.map(\.observations) == early.scoring.offers.map(\.observations) && replica.offers.contains { $0.observations > 0 })

        // A second replica starts after them: from scoring's snapshot, then the stream; more outcomes follow.
        try stack.cluster.startWorker("offerloop-decision", arguments: stack.decisionArguments)
        try stack.cluster.waitForWorkers(2, of: "decision")
        let total = first + (try Self.driveOutcomes(stack, client, rounds: 4, tag: "b"))
        let late = try Self.models(at: UInt64(total), decisions: 2, client)
        #expect(late.decisions.count == 2)
        for (name, model) in late.decisions {
            #expect(model.modelDigest == late.scoring.modelDigest, "\(name) differs from scoring at sequence \(total)")
        }
        #expect(late.decisions.values.contains { $0.snapshotSequence > 0 }, "the late replica started from a snapshot")

        // Scoring frozen: the decisions score in process, so the answers are whole, with the model's version.
        stack.cluster.signal(stack.process("scoring"), SIGSTOP)
        defer { stack.cluster.signal(stack.process("scoring"), SIGCONT) }
        // (Bob, whom no offer was shown yet: a customer whose contact caps are reached gets none to score.)
        var scored = 0
        for channel in [Channel.web, .kiosk, .callCenter] {
            let identity = ("login", "bob")
            let reply = try DecisionIntegrationTests.decide(client, identity, channel, timeoutMicros: 2_000_000)
            #expect(!reply.degraded, "\(identity): \(reply.degradedReason)")
            if !reply.modelVersion.isEmpty { scored += 1 }
            #expect(reply.modelVersion.isEmpty || reply.modelVersion == "seq-\(total)", "\(identity): \(reply.modelVersion)")
        }
        #expect(scored >= 2)
    }
}
