// Replicas holding a partition of the customers each: a decide naming another partition's customer
// by identity is decided by that partition's replica (one forward, by the customer id as routing
// key) and relayed; a decide that already came by routing key is never forwarded again.
import Foundation
import ServiceTesting
import Testing
import Transport
import Wire
@testable import Decision

/// The decision service of another replica, called in process with the routing key the broker
/// would carry; `failure`, when set, is what every forward throws (that replica unreachable).
final class ReplicaForwarder: DecisionForwarder {
    let target: DecisionFixture
    var keys: [String] = []
    var failure: ServiceError?

    init(_ target: DecisionFixture) { self.target = target }

    func decide(_ request: DecideRequest, customerID: String, budgetMicros: UInt64) throws(ServiceError) -> DecideReply {
        keys.append(customerID)
        if let failure { throw failure }
        return try target.decide(request, deadlineMs: budgetMicros / 1000, routingKey: customerID)
    }
}

@Suite struct PartitionForwardTests {
    static let adaPartition = KeyPartition.of(DecisionFixture.adaID.utf8, count: 2)

    /// A replica of `partition` of 2, caught up with Ada's change (login:ada), ready.
    static func replica(_ partition: UInt32, forwardingTo home: DecisionFixture? = nil) throws -> (DecisionFixture, ReplicaForwarder?) {
        let clock = ManualClock()
        let views = ReplicaViews(ProfileReplica(partition: partition, partitions: 2), clock: { clock.monotonicNs })
        let forwarder = home.map(ReplicaForwarder.init)
        let fixture = try DecisionFixture(replica: views, forwarder: forwarder, clock: clock)
        #expect(views.apply([ReplicaViewTests.change(1, DecisionFixture.adaID, identities: ["login:ada"], segment: "replica's")]))
        views.headSeen(1)
        views.markReady()
        return (fixture, forwarder)
    }

    @Test func anotherPartitionsCustomerIsDecidedByItsReplicaAndRelayed() throws {
        let (home, _) = try Self.replica(Self.adaPartition)
        let (other, forwarder) = try Self.replica(1 - Self.adaPartition, forwardingTo: home)
        let reply = try other.decide()
        #expect(!reply.degraded && reply.customerID == DecisionFixture.adaID && !reply.offers.isEmpty, "\(reply.degradedReason)")
        #expect(forwarder!.keys == [DecisionFixture.adaID], "one forward, by the customer id")
        #expect(other.views.budgets.isEmpty && home.views.budgets.isEmpty, "nobody asked the profile service")
        #expect(try home.journaled().map(\.decisionID) == [reply.decisionID], "the replica holding Ada logged it")
        #expect(try other.journaled().isEmpty, "and only it")
        #expect(try home.journaled().last?.segment == "replica's")
        // Next time by routing key: the holding replica answers at once.
        let direct = try home.decide(routingKey: reply.customerID)
        #expect(!direct.degraded && direct.customerID == DecisionFixture.adaID && home.views.budgets.isEmpty)
    }

    @Test func aDecideThatCameByRoutingKeyIsNeverForwardedAgain() throws {
        let (home, _) = try Self.replica(Self.adaPartition)
        let (other, forwarder) = try Self.replica(1 - Self.adaPartition, forwardingTo: home)
        // The broker (or a touchpoint's stale key) brought it to the wrong partition: the profile service answers.
        let reply = try other.decide(routingKey: DecisionFixture.adaID)
        #expect(!reply.degraded && reply.customerID == DecisionFixture.adaID)
        #expect(forwarder!.keys.isEmpty && other.views.budgets.count == 1)
    }

    @Test func aForwardThatFailsAsksTheProfileService() throws {
        let (home, _) = try Self.replica(Self.adaPartition)
        let (other, forwarder) = try Self.replica(1 - Self.adaPartition, forwardingTo: home)
        forwarder!.failure = ServiceError(.noWorkers, "service 'decision' has no live worker of partition 0/2, the request's routing key's")
        let reply = try other.decide()
        #expect(!reply.degraded && reply.customerID == DecisionFixture.adaID)
        #expect(forwarder!.keys == [DecisionFixture.adaID] && other.views.budgets.count == 1)
        #expect(try other.journaled().map(\.decisionID) == [reply.decisionID] && home.journaled().isEmpty)
        // The holding replica's refusal is the answer, as the profile service's would be.
        forwarder!.failure = ServiceError(.notFound, "no customer with login ada")
        #expect(throws: ServiceError(.notFound, "no customer with login ada")) { try other.decide() }
        #expect(other.views.budgets.count == 1)
    }
}
