// The feedback service as real processes behind the broker, on SQLite and PostgreSQL: the
// response window and implicit "ignored" outcomes, batch intake, and no acknowledged outcome lost
// when the service is killed mid-load.
import Foundation
import Synchronization
import Testing
import Transport
import Wire
import ZeroMQ

@Suite(.serialized) struct FeedbackIntegrationTests {
    typealias Stack = DecisionIntegrationTests.Stack

    static func report(_ client: BrokerClient, _ event: String, _ decision: String, _ offer: String, _ type: OutcomeType) throws -> OutcomeAck {
        try client.call("feedback", "outcome", Outcome.with { $0.eventID = event; $0.decisionID = decision; $0.offerID = offer; $0.type = type },
                        idempotent: true)
    }

    static func replay(_ client: BrokerClient) throws -> [OutcomeEvent] {
        let reply: ReplayReply = try client.call("feedback", "replay", ReplayRequest.with { $0.fromSequence = 1 }, idempotent: true)
        return reply.events
    }

    @Test(arguments: StoreKind.all)
    func unansweredOffersBecomeIgnoredOnceAndLateOutcomesAreRefused(_ store: StoreKind) throws {
        let stack = try Stack(store: store, feedback: ["--response-windows", "atm:2s,kiosk:2s,web:2s,call_center:2s", "--sweep-ms", "100"])
        let client = try stack.cluster.client()
        defer { client.close() }
        let answered = try DecisionIntegrationTests.decide(client, ("login", "ada"), .web, slots: 2)
        let silent = try DecisionIntegrationTests.decide(client, ("login", "chloe"), .kiosk, slots: 2)
        _ = try stack.logged([answered.decisionID, silent.decisionID])
        let accepted = try #require(answered.offers.first?.offerID)
        #expect(try Self.report(client, "a1", answered.decisionID, accepted, .accept).sequence == 1)

        // After the window (2 s) and its grace (1 s), every other shown offer is "ignored", once.
        let expected = Set(answered.offers.dropFirst().map { "ignored:\(answered.decisionID):\($0.offerID)" }
            + silent.offers.map { "ignored:\(silent.decisionID):\($0.offerID)" })
        #expect(!expected.isEmpty)
        var events: [OutcomeEvent] = []
        for _ in 0..<100 where events.count < 1 + expected.count {
            Thread.sleep(forTimeInterval: 0.1)
            events = try Self.replay(client)
        }
        Thread.sleep(forTimeInterval: 0.5)  // five more sweeps: nothing new
        events = try Self.replay(client)
        #expect(events.map(\.sequence) == Array(1...UInt64(1 + expected.count)))
        #expect(Set(events.dropFirst().map(\.outcome.eventID)) == expected)
        #expect(events.dropFirst().allSatisfy { $0.outcome.type == .ignored && !$0.features.isEmpty })

        // Late outcomes are refused, nothing stored; a retry of a stored one is still acknowledged.
        #expect {
            try Self.report(client, "late", silent.decisionID, silent.offers.first?.offerID ?? "", .accept)
        } throws: { ($0 as? ServiceError)?.code == .outOfWindow || (silent.offers.isEmpty && ($0 as? ServiceError)?.code == .invalidArgument) }
        #expect {
            try Self.report(client, "late-2", answered.decisionID, accepted, .purchase)
        } throws: { ($0 as? ServiceError)?.code == .outOfWindow }
        let retry = try Self.report(client, "a1", answered.decisionID, accepted, .accept)
        #expect(retry.duplicate && retry.sequence == 1)
        #expect(try stack.query("SELECT COUNT(*) FROM outcomes") == ["\(1 + expected.count)"])

        // They went out on the stream: scoring learned every one, the profile keeps them as history.
        var model = ModelReply()
        for _ in 0..<100 where model.sequence < events.count {
            Thread.sleep(forTimeInterval: 0.05)
            model = try client.call("scoring", "model", ModelRequest(), idempotent: true)
        }
        #expect(model.sequence == events.count)
        // The profile follows the stream on its own: its history may lag scoring's model a little.
        let history = (["offer_accepted"] + answered.offers.dropFirst().map { _ in "offer_ignored" }).sorted()
        var seen: [String] = []
        for _ in 0..<100 where seen != history {
            let view: CustomerView = try client.call("profile", "view", CustomerViewRequest.with {
                $0.identity = .with { $0.kind = "login"; $0.value = "ada" }; $0.recentEvents = 10
            })
            seen = view.recentEvents.map(\.type).filter { $0.hasPrefix("offer_") }.sorted()
            if seen != history { Thread.sleep(forTimeInterval: 0.05) }
        }
        #expect(seen == history)
    }

    /// A touchpoint looping decide → impression → accept reports right after each answer, before
    /// the decision journal is copied to the log (every 100 ms): each outcome waits at feedback for
    /// its decision and is accepted, none refused.
    @Test func anOutcomeRightAfterItsDecisionIsAccepted() throws {
        let stack = try Stack()
        let client = try stack.cluster.client()
        defer { client.close() }
        var refused: [String] = []
        for (round, login) in ["ada", "bob", "chloe", "dev"].enumerated() {
            let decision = try DecisionIntegrationTests.decide(client, ("login", login), .web)
            let offer = try #require(decision.offers.first?.offerID)
            for (event, type) in [("i\(round)", OutcomeType.impression), ("a\(round)", .accept)] {
                do {
                    #expect(try !Self.report(client, event, decision.decisionID, offer, type).duplicate)
                } catch {
                    refused.append("\(event): \(error)")
                }
            }
        }
        #expect(refused.isEmpty)
        #expect(try stack.query("SELECT COUNT(*) FROM outcomes") == ["8"])
    }

    @Test(arguments: StoreKind.all)
    func aBatchIsStoredInOneCommitWithAResultPerOutcome(_ store: StoreKind) throws {
        let stack = try Stack(store: store)
        let client = try stack.cluster.client()
        defer { client.close() }
        let decision = try DecisionIntegrationTests.decide(client, ("login", "ada"), .web, slots: 2)
        _ = try stack.logged([decision.decisionID])
        let (first, second) = (decision.offers[0].offerID, decision.offers[1].offerID)
        func outcome(_ event: String, _ offer: String, _ type: OutcomeType, decision id: String = decision.decisionID, amount: Double = 0) -> Outcome {
            Outcome.with { $0.eventID = event; $0.decisionID = id; $0.offerID = offer; $0.type = type; $0.amount = amount }
        }
        let reply: OutcomeBatchReply = try client.call("feedback", "outcomes", OutcomeBatch.with {
            $0.outcomes = [
                outcome("b1", first, .impression), outcome("b2", first, .click), outcome("b1", first, .impression),
                outcome("b3", first, .accept, decision: "d-unknown"), outcome("b4", first, .purchase, amount: -1),
                outcome("b5", "not_shown", .accept), outcome("b6", second, .decline), outcome("b7", second, .purchase, amount: 2e9),
                outcome("", first, .impression), Outcome.with { $0.eventID = "b8"; $0.decisionID = decision.decisionID; $0.offerID = first },
                outcome(String(repeating: "e", count: 200), first, .impression),
            ]
        })
        let results = reply.results
        try #require(results.count == 11)
        #expect(results[0].ack.sequence == 1 && results[1].ack.sequence == 2 && results[6].ack.sequence == 3)
        #expect(results[2].ack.duplicate && results[2].ack.sequence == 1)
        #expect(results[3].error.code == .notFound && results[4].error.code == .invalidArgument && results[5].error.code == .invalidArgument)
        #expect(results[4].error.message.contains("amount -1") && results[7].error.message.contains("amount 2000000000"))
        #expect(results[8].error.message == "event_id is required" && results[9].error.message.contains("type is required"))
        #expect(results[10].error.code == .invalidArgument && results[10].error.message == "event_id is too long: 200 bytes, at most 128")
        #expect(try stack.query("SELECT event_id FROM outcomes ORDER BY sequence") == ["b1", "b2", "b6"])
        // Replay from any sequence on.
        let tail: ReplayReply = try client.call("feedback", "replay", ReplayRequest.with { $0.fromSequence = 2 })
        #expect(tail.events.map(\.outcome.eventID) == ["b2", "b6"] && tail.events.map(\.sequence) == [2, 3] && tail.headSequence == 3)
        // Bytes that are no outcome at all: a typed error, and the service goes on.
        #expect {
            _ = try client.call(BrokerClient.Call(service: "feedback", method: "outcome", payload: [0xff, 0xff, 0xff], timeoutMicros: 1_000_000))
        } throws: { ($0 as? ServiceError)?.code == .malformed }

        // The effectiveness report reads the same store.
        let _: OutcomeAck = try client.call("feedback", "outcome", outcome("b9", first, .purchase, amount: 250))
        let csv = stack.cluster.logDirectory.appendingPathComponent("report.csv")
        let (status, output) = try run("offerloop", ["report", "--store", stack.decisionStore, "--by", "offer", "--csv", csv.path])
        #expect(status == 0, "\(output)")
        let rows = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.first?.prefix(6) == ["offer", "decisions", "impressions", "responses", "response_rate", "revenue"])
        #expect(rows.first { $0.first == first }?.prefix(6) == [first, "1", "1", "1", "100.00%", "250.00"])
        #expect(rows.first { $0.first == second }?.prefix(6) == [second, "1", "0", "0", "0.00%", "0.00"])
        #expect(rows.last?.prefix(6) == ["(all)", "1", "1", "1", "50.00%", "250.00"])
        // One decision is too few for any estimate: no rate outside [0, 1], no interval of zero width.
        #expect(output.contains("too few decisions (1)"), "\(output)")
        #expect(output.range(of: #"-\d+\.\d\d%"#, options: .regularExpression) == nil, "\(output)")

        // A read never makes a store: a mistyped one is named, and nothing is created.
        let missing = stack.cluster.logDirectory.appendingPathComponent("decisons.sqlite").path
        let (refused, message) = try run("offerloop", ["report", "--store", "sqlite:" + missing])
        #expect(refused != 0 && message.contains("no decision store at sqlite:\(missing)"), "\(message)")
        #expect(message.contains(".run/data/decisions.sqlite") && !message.contains("no such table"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: missing))

        // Too big a batch is refused whole.
        #expect(throws: ServiceError.self) {
            let _: OutcomeBatchReply = try client.call("feedback", "outcomes", OutcomeBatch.with {
                $0.outcomes = (0..<1_001).map { outcome("x\($0)", first, .impression) }
            })
        }
    }

    /// Four clients send batches of outcomes; the feedback service is killed with SIGKILL in the
    /// middle and restarted; each client retries a batch until it is acknowledged. Every
    /// acknowledged outcome is stored, once, with gapless sequences.
    @Test(arguments: StoreKind.all)
    func everyAcknowledgedOutcomeSurvivesAKilledFeedbackService(_ store: StoreKind) throws {
        let stack = try Stack(store: store)
        let setup = try stack.cluster.client()
        let decisions = try (0..<10).map { _ in try DecisionIntegrationTests.decide(setup, ("login", "ada"), .web) }
        setup.close()
        _ = try stack.logged(Set(decisions.map(\.decisionID)))
        let acked = Mutex<Set<String>>([])
        let failures = Atomic<Int>(0)
        let stop = StopSignal()
        let group = DispatchGroup()
        let (frontend, context) = (stack.cluster.frontend, stack.cluster.context)
        for thread in 0..<4 {
            group.enter()
            Thread {
                defer { group.leave() }
                guard let client = try? BrokerClient(context: context, endpoint: frontend) else { return }
                defer { client.close() }
                var batch = 0
                while !stop.isRaised {
                    let outcomes = (0..<20).map { n in
                        let decision = decisions[(batch + n) % decisions.count]
                        return Outcome.with {
                            $0.eventID = "t\(thread)-\(batch)-\(n)"; $0.decisionID = decision.decisionID
                            $0.offerID = decision.offers[0].offerID; $0.type = .impression
                        }
                    }
                    // The same batch until it is acknowledged (a retry stores nothing twice).
                    while true {
                        do {
                            let reply: OutcomeBatchReply = try client.call("feedback", "outcomes", OutcomeBatch.with { $0.outcomes = outcomes },
                                                                           timeoutMicros: 2_000_000, idempotent: true)
                            if reply.results.allSatisfy({ $0.ack.sequence > 0 }) {
                                acked.withLock { $0.formUnion(reply.results.map(\.ack.eventID)) }
                                break
                            }
                        } catch {}
                        failures.add(1, ordering: .relaxed)
                        Thread.sleep(forTimeInterval: 0.05)
                    }
                    batch += 1
                }
            }.start()
        }
        Thread.sleep(forTimeInterval: 1.0)
        let victim = stack.process("feedback")
        stack.cluster.signal(victim, SIGKILL)
        victim.waitUntilExit()
        Thread.sleep(forTimeInterval: 0.3)
        try stack.cluster.startWorker("offerloop-feedback", arguments: stack.feedbackArguments)
        Thread.sleep(forTimeInterval: 2.0)
        stop.raise()
        group.wait()

        let acknowledged = acked.withLock { $0 }
        let stored = try stack.query("SELECT event_id FROM outcomes")
        let sequences = try stack.query("SELECT sequence FROM outcomes ORDER BY sequence").compactMap { Int($0) }
        #expect(failures.load(ordering: .relaxed) > 0, "the kill did not interrupt the load")
        #expect(acknowledged.count > 200)
        #expect(stored.count == acknowledged.count && Set(stored) == acknowledged)
        #expect(sequences == Array(1...max(1, sequences.count)))
    }
}
