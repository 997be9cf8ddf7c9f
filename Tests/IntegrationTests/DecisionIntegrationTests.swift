// The decision service as real processes with profile and scoring behind the broker: decisions on
// every channel, the decision log in the store, degraded answers when a dependency is frozen or
// killed, and catalog reloads under load.
import Foundation
import SwiftProtobuf
import Testing
import Transport
import Wire
import ZeroMQ

@Suite(.serialized) struct DecisionIntegrationTests {
    /// Broker, profile (loaded with the demo's data, scripts/gen-demo-data), scoring and one decision worker.
    struct Stack {
        let cluster: Cluster
        let catalog: URL
        let decisionStore: String

        /// `feedback`: the feedback service's options besides its store and stream. `views`: where
        /// the decision takes customer views from ("replica": its memory; "profile": always asked).
        /// `propensities`: the decision's --propensities (local: the model held in the process, the default).
        /// `partitions` > 1: that many decision replicas, replica k holding partition k/N. Replica
        /// k serves its metrics on `decisionMetrics[k]` (host:port).
        init(deadlineMs: Int = 5_000, store: StoreKind = .sqlite, feedback: [String] = [], valueModel: Bool = true, viewCacheSeconds: Int = 60,
             views: String = "replica", propensities: String = "local", partitions: Int = 1) throws {
            cluster = try Cluster()
            let dir = cluster.logDirectory
            let profileStore = "sqlite:" + dir.appendingPathComponent("profile.sqlite").path
            try DemoData.importAll(into: profileStore)
            catalog = dir.appendingPathComponent("catalog.yaml")
            try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("examples/catalog/retail-bank.yaml"), to: catalog)
            decisionStore = try store.location(for: cluster, name: "decisions")
            try cluster.startWorker("offerloop-profile", arguments: ["--store", profileStore, "--stream", cluster.streamOut, "--stream-in", cluster.streamIn,
                                                                    "--frontend", cluster.frontend])
            try cluster.startWorker("offerloop-scoring", arguments: ["--store", "sqlite:" + dir.appendingPathComponent("scoring.sqlite").path,
                                                                    "--stream", cluster.streamOut, "--frontend", cluster.frontend])
            decisionArguments = [
                "--catalog", catalog.path, "--store", decisionStore, "--journal-dir", dir.appendingPathComponent("journal").path,
                "--frontend", cluster.frontend, "--stream", cluster.streamOut, "--views", views,
                "--channel-deadlines", "atm:\(deadlineMs),kiosk:\(deadlineMs),web:\(deadlineMs),call_center:\(deadlineMs)",
                // A loaded test machine may take longer than a bank's 25 ms to answer a healthy call.
                "--call-timeout-ms", "\(deadlineMs)", "--view-cache-seconds", "\(viewCacheSeconds)",
            ] + (propensities == "local" ? [] : ["--propensities", propensities])
            var metrics: [String] = []
            if partitions == 1 {
                metrics.append("127.0.0.1:\(try freePort(cluster.context))")
                try cluster.startWorker("offerloop-decision", arguments: decisionArguments + ["--metrics-address", metrics[0]])
            } else {
                for k in 0..<partitions {
                    metrics.append("127.0.0.1:\(try freePort(cluster.context))")
                    // A journal directory of its own: a replica's journal is its alone.
                    var arguments = decisionArguments
                    arguments[arguments.firstIndex(of: "--journal-dir")! + 1] = dir.appendingPathComponent("journal-\(k)").path
                    try cluster.startWorker("offerloop-decision", arguments: arguments + ["--partition", "\(k)/\(partitions)", "--metrics-address", metrics[k]])
                }
            }
            decisionMetrics = metrics
            feedbackArguments = ["--store", decisionStore, "--stream-in", cluster.streamIn] + feedback
            try cluster.startWorker("offerloop-feedback", arguments: feedbackArguments)
            for service in ["profile", "scoring", "decision", "feedback"] { try cluster.waitForWorkers(service == "decision" ? partitions : 1, of: service) }
            // The value model (CLV, churn risk, segments) from the imported transactions; the one
            // profile worker that fits it serves it at once.
            guard valueModel else { return }
            let client = try cluster.client()
            defer { client.close() }
            let fitted: FitValueModelReply = try client.call("profile", "fit_value_model", FitValueModelRequest(), timeoutMicros: 30_000_000)
            // Tests start once the fit's revaluation has reached the decision replicas' memory.
            guard views == "replica" else { return }
            try Self.waitForReplicas(decisionMetrics, toApply: fitted.profileSequence)
        }

        let decisionArguments: [String]
        let decisionMetrics: [String]
        let feedbackArguments: [String]

        /// Waits until every decision replica (serving metrics at `metrics`) has applied the
        /// profile stream up to `sequence`: its gauge `offerloop_replica_position`.
        static func waitForReplicas(_ metrics: [String], toApply sequence: UInt64) throws {
            for address in metrics {
                var position: UInt64 = 0
                for _ in 0..<600 {
                    let (_, output) = try run("/usr/bin/curl", ["-s", "--max-time", "5", "http://\(address)/metrics"])
                    let line = output.split(separator: "\n").first { $0.hasPrefix("offerloop_replica_position ") }
                    position = line.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }.map { UInt64($0) } ?? 0
                    if position >= sequence { break }
                    Thread.sleep(forTimeInterval: 0.1)
                }
                guard position >= sequence else {
                    throw ServiceError(.deadlineExceeded, "the decision replica at \(address) applied the profile stream to \(position), not to \(sequence), within 60 s")
                }
            }
        }

        /// The decision ids in the store's decision log, once `expected` are all there (or after 5 s).
        func logged(_ expected: Set<String>) throws -> Set<String> {
            var logged: Set<String> = []
            for _ in 0..<50 where !expected.isSubset(of: logged) {
                Thread.sleep(forTimeInterval: 0.1)
                logged = Set(try query("SELECT id FROM decisions"))
            }
            return logged
        }

        /// The first column of a query's rows, as text, read from the decision store by another process.
        func query(_ sql: String) throws -> [String] {
            let (status, output) = decisionStore.hasPrefix("sqlite:")
                ? try run("/usr/bin/env", ["python3", "-c", "import sqlite3,sys; print('\\n'.join(str(r[0]) for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2])))",
                                             String(decisionStore.dropFirst("sqlite:".count)), sql])
                : try run("/usr/bin/psql", [decisionStore, "-qtA", "-c", sql])
            guard status == 0 else { throw ServiceError(.internal, "query \(sql): \(output)") }
            return output.split(separator: "\n").map(String.init)
        }

        func process(_ name: String) -> Process { cluster.workers[["profile": 0, "scoring": 1, "decision": 2, "feedback": 3][name]!] }
    }

    static func decide(_ client: BrokerClient, _ identity: (String, String), _ channel: Channel, slots: UInt32 = 1,
                       timeoutMicros: UInt64 = 5_000_000) throws -> DecideReply {
        try client.call("decision", "decide", DecideRequest.with {
            $0.identity = .with { $0.kind = identity.0; $0.value = identity.1 }
            $0.channel = channel
            $0.slots = slots
            $0.explain = true
        }, timeoutMicros: timeoutMicros)
    }

    @Test func everyTouchpointGetsOffersAndEveryDecisionIsLogged() throws {
        let stack = try Stack()
        let client = try stack.cluster.client()
        defer { client.close() }
        var ids: [String] = []
        for (channel, identity) in [(Channel.atm, ("card", "4111111111110006")), (.kiosk, ("login", "chloe")), (.web, ("login", "ada")),
                                    (.callCenter, ("phone", "+447700900029"))] {
            let reply = try Self.decide(client, identity, channel, slots: 2)
            #expect(!reply.degraded, "\(reply.degradedReason)")
            #expect(!reply.offers.isEmpty && reply.offers.allSatisfy { !$0.treatment.channelText.isEmpty })
            #expect(reply.catalogVersion == "2026-11-25.1" && reply.modelVersion == "seq-0")
            ids.append(reply.decisionID)
        }
        // Dario (card …0295, phone +447700900029): high value by the data itself, lapsed: retention
        // first, with the agent's script.
        let dario: CustomerView = try client.call("profile", "view", CustomerViewRequest.with { $0.identity = .with { $0.kind = "login"; $0.value = "dario" } })
        #expect(["gold", "platinum"].contains(dario.segment) && dario.clv >= 1_000, "\(dario.segment), CLV \(dario.clv)")
        #expect(dario.pAlive > 0.2 && dario.pAlive < 0.8 && dario.churnRisk >= 0.6, "P(alive) \(dario.pAlive), churn risk \(dario.churnRisk)")
        let agent = try Self.decide(client, ("phone", "+447700900029"), .callCenter)
        #expect(agent.explanation.contains("high-value customer at risk: retention offers first"))
        #expect(agent.offers.first?.category == "retention")
        #expect(agent.offers.first?.treatment.talkingPoints.isEmpty == false)
        // Unknown customers are a typed error.
        #expect(throws: ServiceError.self) { try Self.decide(client, ("card", "4000000000000002"), .atm) }

        // Within the journal's sync interval (100 ms), every answered decision is in the store.
        #expect(Set(ids + [agent.decisionID]).isSubset(of: try stack.logged(Set(ids + [agent.decisionID]))))
    }

    @Test func answeredDecisionsSurviveAKilledDecisionService() throws {
        let stack = try Stack()
        let client = try stack.cluster.client()
        defer { client.close() }
        let ids = try (0..<20).map { _ in try Self.decide(client, ("login", "ada"), .web).decisionID }
        // SIGKILL right after the answers: no time to copy the journal to the store.
        let victim = stack.process("decision")
        stack.cluster.signal(victim, SIGKILL)
        victim.waitUntilExit()
        // The next replica finds the dead one's journal and copies it.
        try stack.cluster.startWorker("offerloop-decision", arguments: stack.decisionArguments)
        #expect(Set(ids).isSubset(of: try stack.logged(Set(ids))))
    }

    /// The loop closed: outcomes of a decision are stored once, learned by scoring from the
    /// stream, and a decline on the web suppresses the offer at the call center.
    @Test func outcomesAreStoredOnceLearnedAndSuppressAcrossChannels() throws {
        let stack = try Stack()
        let client = try stack.cluster.client()
        defer { client.close() }
        let web = try Self.decide(client, ("login", "ada"), .web)
        let offer = try #require(web.offers.first?.offerID)
        _ = try stack.logged([web.decisionID])
        func report(_ event: String, _ type: OutcomeType, decision: String = web.decisionID, offer: String = offer) throws -> OutcomeAck {
            try client.call("feedback", "outcome", Outcome.with { $0.eventID = event; $0.decisionID = decision; $0.offerID = offer; $0.type = type })
        }
        #expect(try report("e1", .impression).sequence == 1)
        let decline = try report("e2", .decline)
        #expect(decline.sequence == 2 && !decline.duplicate)
        let again = try report("e2", .decline)
        #expect(again.sequence == 2 && again.duplicate)
        #expect(throws: ServiceError.self) { try report("e3", .accept, decision: "d-unknown") }
        #expect(throws: ServiceError.self) { try report("e4", .accept, offer: "not_shown") }
        #expect(throws: ServiceError.self) { try report("", .accept) }
        #expect(throws: ServiceError.self) {
            let _: OutcomeAck = try client.call("feedback", "outcome", Outcome.with {
                $0.eventID = "e5"; $0.decisionID = web.decisionID; $0.offerID = offer; $0.type = .purchase; $0.amount = -3
            })
        }
        #expect(throws: ServiceError.self) {
            let _: OutcomeAck = try client.call("feedback", "outcome", Outcome.with {
                $0.eventID = "e6"; $0.decisionID = web.decisionID; $0.offerID = offer; $0.type = .accept; $0.customerID = "1002"
            })
        }

        // Scoring learned the decline from the stream (the impression only advanced the sequence).
        var model = ModelReply()
        for _ in 0..<50 where model.sequence < 2 {
            model = try client.call("scoring", "model", ModelRequest(), idempotent: true)
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(model.sequence == 2)
        #expect(model.offers.first { $0.offerID == offer }?.observations == 1)

        // The decline is in the profile's contact history: the offer is suppressed on every channel.
        // (The profile follows the outcome stream: within milliseconds.)
        var view = CustomerView()
        for _ in 0..<100 where view.contacts.count < 2 {
            view = try client.call("profile", "view", CustomerViewRequest.with { $0.identity = .with { $0.kind = "login"; $0.value = "ada" } })
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(view.contacts.map(\.kind) == ["declined", "shown"])
        let agent = try Self.decide(client, ("login", "ada"), .callCenter)
        #expect(!agent.offers.contains { $0.offerID == offer })
        // Of the sample catalog's web offers, only these two are not shown at the call center.
        if !["travel_insurance", "mobile_app"].contains(offer) {
            #expect(agent.explanation.contains { $0.hasPrefix("\(offer): declined on web") }, "\(agent.explanation)")
        }
    }

    @Test(arguments: ["profile", "scoring"])
    func aFrozenOrKilledDependencyGivesADegradedAnswerInTime(dependency: String) throws {
        // The profile service asked for every view, and scoring for every score: their fallbacks
        // are what this test is about (ReplicaIntegrationTests and ModelFollowerIntegrationTests
        // have replicas holding views and model: a frozen profile or scoring does not degrade them).
        let stack = try Stack(deadlineMs: 300, viewCacheSeconds: 2, views: "profile", propensities: dependency == "scoring" ? "remote" : "local")
        let client = try stack.cluster.client()
        defer { client.close() }
        // Warm: the replica caches the view for the profile fallback.
        #expect(try !Self.decide(client, ("login", "ada"), .web).degraded)
        let victim = stack.process(dependency)
        stack.cluster.signal(victim, SIGSTOP)
        let sent = MonotonicClock.now()
        let frozen = try Self.decide(client, ("login", "ada"), .web, timeoutMicros: 1_000_000)
        // The deadline counts from the client's send (300 ms here, the channel's), and the degraded
        // answer leaves the worker a tenth of it early, for the hop back.
        let elapsedMs = Double(MonotonicClock.now() - sent) / 1e6
        #expect(elapsedMs < 300, "the degraded answer came after \(elapsedMs) ms against the channel's 300 ms")
        #expect(frozen.degraded && frozen.degradedReason.hasPrefix("\(dependency): "), "\(frozen.degradedReason)")
        #expect(!frozen.offers.isEmpty)
        if dependency == "profile" {
            #expect(frozen.customerID == "1001" && frozen.degradedReason.contains("cached"))
            // No cached view: nothing is known of consent — Chloe opted out of the call center, and
            // an unknown login may be anyone — so nothing is targeted.
            for identity in [("login", "chloe"), ("login", "nobody-we-know")] {
                let blind = try Self.decide(client, identity, .callCenter, timeoutMicros: 1_000_000)
                #expect(blind.degraded && blind.degradedReason.contains("consent is unknown"), "\(blind.degradedReason)")
                #expect(blind.offers.isEmpty && !blind.control, "\(identity): \(blind.offers.map(\.offerID))")
            }
            // A cached view older than --view-cache-seconds (2) may not know of an opt-out since: not used.
            Thread.sleep(forTimeInterval: 2.2)
            let stale = try Self.decide(client, ("login", "ada"), .web, timeoutMicros: 1_000_000)
            #expect(stale.offers.isEmpty && stale.degradedReason.contains("consent is unknown"), "\(stale.degradedReason)")
        }
        stack.cluster.signal(victim, SIGKILL)
        victim.waitUntilExit()
        let killed = try Self.decide(client, ("login", "ada"), .atm, timeoutMicros: 1_000_000)
        #expect(killed.degraded && killed.degradedReason.hasPrefix("\(dependency): "), "\(killed.degradedReason)")
        withExtendedLifetime(stack.cluster) {}
    }

    @Test func withoutAValueModelValueAndChurnAreUnknownNotZero() throws {
        let stack = try Stack(valueModel: false)
        let client = try stack.cluster.client()
        defer { client.close() }
        let view: CustomerView = try client.call("profile", "view", CustomerViewRequest.with { $0.identity = .with { $0.kind = "login"; $0.value = "ada" } })
        #expect(view.customerID == "1001" && view.clv.isNaN && view.churnRisk.isNaN, "clv \(view.clv), churn \(view.churnRisk)")
        // What the decision service sends scoring for this view: unknown stays unknown in the features.
        let scores: ScoreReply = try client.call("scoring", "score", ScoreRequest.with {
            $0.customer = .with { $0.customerID = view.customerID; $0.clv = view.clv; $0.churnRisk = view.churnRisk; $0.segment = view.segment }
            $0.channel = .web
            $0.candidates = [.with { $0.offerID = "savings_bonus"; $0.priorPropensity = 0.05 }]
        })
        #expect(scores.features.contains("clv=unknown") && scores.features.contains("churn=unknown"), "\(scores.features)")
        #expect(!scores.features.contains("churn=very_low") && !scores.features.contains("clv=0"), "\(scores.features)")
        // And a decision is still made (rules on unknown numbers admit no one; the rest stands).
        #expect(try !Self.decide(client, ("login", "ada"), .web).degraded)
    }

    @Test func theCatalogReloadsUnderLoadWithoutAFailedRequest() throws {
        let stack = try Stack()
        let original = try String(contentsOf: stack.catalog, encoding: .utf8)
        let failures = Counter(), answered = Counter()
        let versions = VersionSet()
        let stop = StopSignal()
        let done = DispatchSemaphore(value: 0)
        let frontend = stack.cluster.frontend
        let context = stack.cluster.context
        Thread {
            defer { done.signal() }
            guard let client = try? BrokerClient(context: context, endpoint: frontend) else { return }
            defer { client.close() }
            while !stop.isRaised {
                do {
                    versions.insert(try Self.decide(client, ("login", "ada"), .web).catalogVersion)
                    answered.increment()
                } catch {
                    failures.increment()
                }
            }
        }.start()
        let admin = try stack.cluster.client()
        defer { admin.close() }
        Thread.sleep(forTimeInterval: 0.3)
        // A broken catalog is refused with its positions; the running one stays.
        try (original + "\n  - id: broken\n    value: x\n").write(to: stack.catalog, atomically: true, encoding: .utf8)
        let refused: CatalogReply = try admin.call("decision", "reload_catalog", ReloadCatalogRequest())
        #expect(!refused.reloaded && refused.version == "2026-11-25.1")
        #expect(refused.errors.contains { $0.contains("catalog.yaml:") && $0.contains("value must be a number") }, "\(refused.errors)")
        // A good new version is picked up by the file watch (within a second or two).
        try original.replacingOccurrences(of: "2026-11-25.1", with: "2026-11-25.2").write(to: stack.catalog, atomically: true, encoding: .utf8)
        for _ in 0..<50 where !versions.contains("2026-11-25.2") { Thread.sleep(forTimeInterval: 0.1) }
        Thread.sleep(forTimeInterval: 0.2)
        stop.raise()
        done.wait()
        #expect(versions.contains("2026-11-25.1") && versions.contains("2026-11-25.2"))
        #expect(failures.value == 0, "\(failures.value) failed of \(answered.value + failures.value)")
        #expect(answered.value > 20)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

final class VersionSet: @unchecked Sendable {
    private let lock = NSLock()
    private var versions: Set<String> = []
    func insert(_ version: String) { _ = lock.withLock { versions.insert(version) } }
    func contains(_ version: String) -> Bool { lock.withLock { versions.contains(version) } }
}
