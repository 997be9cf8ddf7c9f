// Partitions of the customers as real processes: workers announce a partition to a real broker,
// which sends a routing key to a worker of its partition; two decision replicas (0/2 and 1/2) with
// the real profile service answer every customer by identity from memory — the other partition's
// customers by one forward — and a merge moves a customer across partitions with its history.
import Foundation
import Logging
import Testing
import Transport
import Wire
import ZeroMQ

@Suite(.serialized) struct PartitionIntegrationTests {
    /// Two workers of one service in this process, announcing 0/2 and 1/2 (their `ping` names them).
    @Test func theBrokerSendsARoutingKeyToAWorkerOfItsPartition() throws {
        let cluster = try Cluster()
        defer { _ = cluster.stop() }
        let stop = StopSignal()
        let done = DispatchGroup()
        for k: UInt32 in 0..<2 {
            var settings = WorkerSettings(service: "parted", backend: cluster.backend)
            settings.partition = try KeyPartition(index: k, count: 2)
            let worker = Worker(settings: settings, methods: Methods(), context: cluster.context, index: Int(k), logger: Logger(label: "parted"))
            done.enter()
            Thread { worker.run(until: stop); done.leave() }.start()
        }
        defer {
            stop.raise()
            done.wait()
        }
        try cluster.waitForWorkers(2, of: "parted")
        let client = try cluster.client()
        defer { client.close() }
        func served(_ key: String) throws -> UInt32? {
            let reply: PingReply = try client.call("parted", "ping", PingRequest(), routingKey: Array(key.utf8))
            return UInt32(reply.worker.split(separator: "-")[2])  // SERVICE-PID-INDEX-GENERATION
        }
        let keys = (1001..<1041).map(String.init)
        let partitions = Set(keys.map { KeyPartition.of($0.utf8, count: 2) })
        #expect(partitions == [0, 1])
        for key in keys { #expect(try served(key) == KeyPartition.of(key.utf8, count: 2), "\(key)") }
        // Without a key: either.
        let unkeyed = try Set((0..<8).map { _ -> String in let reply: PingReply = try client.call("parted", "ping", PingRequest()); return reply.worker })
        #expect(unkeyed.count == 2)
    }

    /// `offerloop_decision_views_total` by source, summed over the decision replicas' /metrics.
    static func views(_ stack: DecisionIntegrationTests.Stack) throws -> [String: Int] {
        var total: [String: Int] = [:]
        for address in stack.decisionMetrics {
            let (_, output) = try run("/usr/bin/curl", ["-s", "--max-time", "5", "http://\(address)/metrics"])
            for line in output.split(separator: "\n") where line.hasPrefix("offerloop_decision_views_total{") {
                guard let source = line.split(separator: "\"").dropFirst().first, let value = line.split(separator: " ").last.flatMap({ Double($0) }) else { continue }
                total[String(source), default: 0] += Int(value)
            }
        }
        return total
    }

    static func decide(_ client: BrokerClient, login: String, channel: Channel = .web, routingKey: String = "") throws -> DecideReply {
        try client.call("decision", "decide", DecideRequest.with {
            $0.identity = .with { $0.kind = "login"; $0.value = login }
            $0.channel = channel
            $0.explain = true
        }, timeoutMicros: 5_000_000, routingKey: Array(routingKey.utf8))
    }

    @Test func twoPartitionsAnswerEveryCustomerFromMemoryAndAMergeMovesOneAcross() throws {
        let stack = try DecisionIntegrationTests.Stack(valueModel: false, partitions: 2)
        let client = try stack.cluster.client()
        defer { client.close() }
        // The demo's first ten customers (1001 … 1010) fall in both halves.
        let logins = ["ada", "bob", "chloe", "dev", "eva", "femi", "gus", "hana", "ivan"]
        var customers: [String: String] = [:]
        for _ in 0..<2 {
            for login in logins {
                let reply = try Self.decide(client, login: login)
                #expect(!reply.degraded, "\(login): \(reply.degradedReason)")
                customers[login] = reply.customerID
            }
        }
        #expect(Set(customers.values.map { KeyPartition.of($0.utf8, count: 2) }) == [0, 1])
        var views = try Self.views(stack)
        #expect(views["replica"] == 2 * logins.count, "every view from a replica's memory: \(views)")
        #expect(views["replica_stale", default: 0] == 0, "none asked of the profile service: \(views)")
        #expect(views["forwarded", default: 0] > 0, "some reached the other partition's replica: \(views)")
        // With the customer id as routing key: straight to the replica holding the customer.
        for login in logins { #expect(try !Self.decide(client, login: login, routingKey: customers[login]!).degraded) }
        let forwards = views["forwarded", default: 0]
        views = try Self.views(stack)
        #expect(views["replica"] == 3 * logins.count && views["forwarded", default: 0] == forwards, "\(views)")

        // Ada (1001, partition 1) declines an offer on the web; Bob (1002, partition 0) is merged into her.
        let ada = customers["ada"]!, bob = customers["bob"]!
        try #require(KeyPartition.of(ada.utf8, count: 2) != KeyPartition.of(bob.utf8, count: 2))
        let web = try Self.decide(client, login: "ada")
        let offer = try #require(web.offers.first?.offerID)
        _ = try stack.logged([web.decisionID])
        for (event, type) in [("p-e1", OutcomeType.impression), ("p-e2", .decline)] {
            let _: OutcomeAck = try client.call("feedback", "outcome", Outcome.with {
                $0.eventID = event; $0.decisionID = web.decisionID; $0.offerID = offer; $0.type = type
            })
        }
        var seen = CustomerView()
        for _ in 0..<100 where seen.contacts.count < 2 {
            seen = try client.call("profile", "view", CustomerViewRequest.with { $0.identity = .with { $0.kind = "login"; $0.value = "ada" } })
            Thread.sleep(forTimeInterval: 0.05)
        }
        try #require(seen.contacts.count == 2)
        let merged: CustomerReply = try client.call("profile", "merge", MergeRequest.with {
            $0.survivor = .with { $0.kind = "login"; $0.value = "ada" }
            $0.merged = .with { $0.kind = "login"; $0.value = "bob" }
            $0.reason = "same person (partition test)"
        })
        // Bob's login now decides as Ada, with her history: the declined offer is not shown again.
        var reply = DecideReply()
        for _ in 0..<100 {
            var request = DecideRequest.with {
                $0.identity = .with { $0.kind = "login"; $0.value = "bob" }
                $0.channel = .callCenter
                $0.explain = true
            }
            request.minProfileSequence = merged.profileSequence
            reply = try client.call("decision", "decide", request, timeoutMicros: 5_000_000)
            if reply.customerID == ada { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(reply.customerID == ada && !reply.degraded, "\(reply.customerID) \(reply.degradedReason)")
        #expect(!reply.offers.contains { $0.offerID == offer })
        if !["travel_insurance", "mobile_app"].contains(offer) {
            #expect(reply.explanation.contains { $0.hasPrefix("\(offer): declined on web") }, "\(reply.explanation)")
        }
        views = try Self.views(stack)
        #expect(views["replica_stale", default: 0] == 0, "\(views)")
        // Bob's old customer id as routing key, as a touchpoint may still hold it: it reaches Bob's
        // old partition, which is not forwarded again but asks the profile service — Ada's answer,
        // whose customer id the touchpoint keeps from now on.
        let byOldKey = try Self.decide(client, login: "bob", routingKey: bob)
        #expect(byOldKey.customerID == ada && !byOldKey.degraded)
        views = try Self.views(stack)
        #expect(views["replica_stale", default: 0] == 1, "\(views)")
    }
}
