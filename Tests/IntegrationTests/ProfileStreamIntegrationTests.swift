// The profile stream from real processes: two profile replicas on one store publish every
// acknowledged write through the broker's relay; a follower (the decision replicas' StreamFollower)
// catches up by "changes", then applies live changes in order, each with the sequence its write
// answered, and hears the heartbeats that carry the head.
import Foundation
import Logging
import Synchronization
import Testing
import Transport
import Wire

extension CollectedEvents {
    /// Waits until `sequence` is applied and a heartbeat (or replay) said the head is there.
    func waitFor(_ sequence: UInt64, within seconds: Double = 20) throws {
        let end = Date().addingTimeInterval(seconds)
        while position() < sequence || head.withLock({ $0 }) < sequence {
            guard Date() < end else {
                throw ServiceError(.deadlineExceeded, "changes up to \(position()), head \(head.withLock { $0 }): not \(sequence) within \(seconds) s")
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }
}

@Suite(.serialized) struct ProfileStreamIntegrationTests {
    @Test(arguments: StoreKind.all)
    func aFollowerGetsEveryAcknowledgedWriteInOrderWithItsSequence(_ store: StoreKind) throws {
        let cluster = try Cluster()
        try ProfileIntegrationTests().startProfiles(cluster, replicas: 2, store: store)
        let client = try cluster.client()
        defer { client.close() }
        let ada = Identity.with { $0.kind = "login"; $0.value = "ada" }, bob = Identity.with { $0.kind = "login"; $0.value = "bob" }
        // Written before the follower starts: it gets this one by replay.
        let first: CustomerReply = try client.call("profile", "upsert", UpsertCustomerRequest.with { $0.identity = ada; $0.create = true; $0.attributes = ["tier": "gold"] })
        #expect(first.profileSequence == 1)

        var settings = StreamFollowerSettings(stream: cluster.streamOut, frontend: cluster.frontend)
        settings.catchUpInterval = 60_000_000_000  // live changes must come live, not from a periodic catch-up
        let follower = StreamFollower(following: .profile, settings: settings, context: cluster.context, logger: Logger(label: "profile-follower"))
        let consumer = CollectedEvents<ProfileChange>(), stop = StopSignal(), done = DispatchSemaphore(value: 0)
        Thread {
            try? follower.run(consumer, until: stop, caughtUp: { consumer.caughtUp.withLock { $0 = true } })
            done.signal()
        }.start()
        defer {
            stop.raise()
            done.wait()
        }
        try consumer.waitFor(1)
        #expect(consumer.caughtUp.withLock { $0 })

        // Live writes, through both replicas (the broker takes turns).
        var replies: [UInt64] = []
        let created: CustomerReply = try client.call("profile", "upsert", UpsertCustomerRequest.with { $0.identity = bob; $0.create = true })
        replies.append(created.profileSequence)
        for amount in [10.0, 20.0, 30.0] {
            let reply: CustomerReply = try client.call("profile", "record_transaction", TransactionRecord.with { $0.identity = ada; $0.timeUnixMs = 1_780_000_000_000; $0.amount = amount })
            replies.append(reply.profileSequence)
        }
        let session: SessionReply = try client.call("profile", "set_session", SessionRequest.with { $0.identity = bob; $0.set = ["page": "loans"] })
        replies.append(session.profileSequence)
        let merged: CustomerReply = try client.call("profile", "merge", MergeRequest.with { $0.survivor = ada; $0.merged = bob })
        replies.append(merged.profileSequence)
        #expect(replies == [2, 3, 4, 5, 6, 8], "the merge appends two: bob gone, then ada's new state")

        try consumer.waitFor(8)
        let changes = consumer.events.withLock { $0 }
        #expect(changes.map(\.sequence) == Array(1...8))
        #expect(changes[0].customerID == first.customerID && changes[0].customer.view.attributes == ["tier": "gold"])
        #expect(changes[4].customer.view.transactions == 3 && changes[4].customer.view.totalSpend == 60)
        #expect(changes[5].customerID == created.customerID && changes[5].customer.view.session == ["page": "loans"])
        #expect(changes[6].customerID == created.customerID && changes[6].mergedInto == first.customerID && !changes[6].hasCustomer)
        #expect(changes[7].customerID == first.customerID && changes[7].customer.view.identities.map(\.value) == ["ada", "bob"])
        // What the follower got live is what the store replays.
        let replayed: ProfileChangesReply = try client.call("profile", "changes", ReplayRequest.with { $0.fromSequence = 1 })
        // (Field by field: without a value model the figures are NaN, which is never equal to itself.)
        func summary(_ change: ProfileChange) -> String {
            "\(change.sequence) \(change.customerID) \(change.mergedInto) \(change.customer.view.attributes) \(change.customer.view.identities.map(\.value)) \(change.customer.view.transactions) \(change.customer.view.session)"
        }
        #expect(replayed.events.map(summary) == changes.map(summary) && replayed.headSequence == 8)
    }
}
