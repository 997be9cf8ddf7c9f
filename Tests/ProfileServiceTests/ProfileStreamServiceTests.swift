// The profile stream through the service's methods: every write answers its sequence and
// publishes the very change the store keeps, after its commit, stamped with when; "changes" and
// "snapshot" serve the followers, with typed errors for a bad partition and a sequence the
// retention deleted; the heartbeat carries the head; the contact history's and the retention's
// writes are published too.
import Foundation
import Logging
import ProfileStore
import ServiceTesting
import Store
import Testing
import Transport
import Wire
@testable import Profile

@Suite struct ProfileStreamServiceTests {
    func changes(_ fixture: ProfileFixture, from: UInt64 = 1) throws -> ProfileChangesReply {
        try fixture.tester.call("changes", ReplayRequest.with { $0.fromSequence = from })
    }

    @Test func everyWriteAnswersItsSequenceAndPublishesItsChange() throws {
        let fixture = try ProfileFixture()
        let ada = ProfileFixture.login("ada")
        let created = try fixture.create("ada")
        let upsert: CustomerReply = try fixture.tester.call("upsert", UpsertCustomerRequest.with { $0.identity = ada; $0.attributes = ["tier": "gold"] })
        let event: CustomerReply = try fixture.tester.call("record_event", EventRecord.with {
            $0.identity = ada; $0.eventID = "ev-1"; $0.event = .with { $0.type = "page_view"; $0.channel = .web }
        })
        let session = try fixture.session("set_session", "ada", set: ["page": "cards"])
        let read = try fixture.session("get_session", "ada")
        let again: CustomerReply = try fixture.tester.call("record_event", EventRecord.with {
            $0.identity = ada; $0.eventID = "ev-1"; $0.event = .with { $0.type = "page_view"; $0.channel = .web }
        })
        #expect([created.profileSequence, upsert.profileSequence, event.profileSequence, session.profileSequence] == [1, 2, 3, 4])
        #expect(read.profileSequence == 0 && again.duplicate && again.profileSequence == 4)
        let erased: EraseReply = try fixture.tester.call("erase", EraseRequest.with { $0.identity = ada }, caller: "admin/ops")
        #expect(erased.profileSequence == 5)

        // Published in order, the same bytes the store replays (the change 1..4 before the erasure rewrote them).
        let published = try fixture.published.changes()
        try #require(published.map(\.sequence) == [1, 2, 3, 4, 5])
        #expect(published[1].customer.view.attributes == ["tier": "gold"] && published[3].customer.view.session == ["page": "cards"])
        #expect(published[4].erased && published[4].customerID == created.customerID)
        // Each stamped with its publication time (µs, the decision replica's measure of how soon
        // it is visible), which the store's copy, hence a replay, does not carry.
        #expect(published.allSatisfy { $0.publishedUnixUs == fixture.clock.wallMs * 1_000 }, "\(published.map(\.publishedUnixUs))")
        var unstamped = try #require(published.last)
        unstamped.publishedUnixUs = 0
        let replayed = try changes(fixture)
        #expect(replayed.headSequence == 5 && replayed.events.last == unstamped)
        #expect(replayed.events.allSatisfy { $0.publishedUnixUs == 0 })
        #expect(replayed.events.prefix(4).allSatisfy { $0.erased && !$0.hasCustomer }, "erasure reached the stream's store")
    }

    @Test func changesAndSnapshotServeFollowersWithTypedErrors() throws {
        let fixture = try ProfileFixture()
        for name in ["ada", "bob", "cy", "dee"] { try fixture.create(name) }
        let page: ProfileChangesReply = try fixture.tester.call("changes", ReplayRequest.with { $0.fromSequence = 2; $0.maxEvents = 2 })
        #expect(page.events.map(\.sequence) == [2, 3] && page.headSequence == 4)

        let first: ProfileSnapshotReply = try fixture.tester.call("snapshot", ProfileSnapshotRequest.with { $0.maxCustomers = 3 })
        #expect(first.customers.count == 3 && !first.done && first.headSequence == 4)
        let rest: ProfileSnapshotReply = try fixture.tester.call("snapshot", ProfileSnapshotRequest.with {
            $0.afterCustomerID = first.customers.last?.customerID ?? ""; $0.maxCustomers = 3
        })
        #expect(rest.customers.count == 1 && rest.done)
        let ids = (first.customers + rest.customers).map(\.customerID)
        #expect(ids == ids.sorted() && Set(ids).count == 4)
        var partitioned: [String] = []
        for index in UInt32(0)..<2 {
            let part: ProfileSnapshotReply = try fixture.tester.call("snapshot", ProfileSnapshotRequest.with { $0.partition = index; $0.partitions = 2 })
            #expect(part.done)
            partitioned += part.customers.map(\.customerID)
        }
        #expect(partitioned.sorted() == ids)
        #expect(throws: ServiceError(.invalidArgument, "partition 2 of 2 does not exist: partitions are 0 ..< N, N at least 1")) {
            let _: ProfileSnapshotReply = try fixture.tester.call("snapshot", ProfileSnapshotRequest.with { $0.partition = 2; $0.partitions = 2 })
        }

        // Older than the stream keeps: the retention loop deletes them; a follower that far behind starts from a snapshot.
        fixture.clock.advance(milliseconds: UInt64(fixture.settings.changeRetentionMs) + 1)
        try fixture.create("eve")
        let stop = StopSignal()
        stop.raise()  // one pass
        try RetentionLoop(location: fixture.location, settings: fixture.settings, environment: fixture.environment,
                          publisher: { [published = fixture.published] in published }, logger: Logger(label: "retention-test")).run(until: stop)
        let gone = #expect(throws: ServiceError.self) { try changes(fixture, from: 1) }
        #expect(gone?.code == .outOfRange && gone?.message.contains("start from a snapshot") == true)
        #expect(try changes(fixture, from: 5).events.map(\.sequence) == [5])
    }

    @Test func theHeartbeatCarriesTheHeadAndTheContactHistoryPublishes() throws {
        let fixture = try ProfileFixture()
        let ada = try fixture.create("ada")
        let repository = try ProfileRepository(db: try fixture.location.open(), newCustomerID: ProfileService.newCustomerID(fixture.environment))
        defer { repository.db.close() }
        let heartbeat = ProfileHeartbeat(location: fixture.location, publisher: { [published = fixture.published] in published }, intervalMs: 10,
                                         environment: fixture.environment, logger: Logger(label: "heartbeat-test"))
        try heartbeat.beat(repository, fixture.published)
        let history = ContactHistory(repository: repository, environment: fixture.environment, publisher: fixture.published,
                                     logger: Logger(label: "contact-test"))
        #expect(try history.apply([OutcomeEvent.with {
            $0.sequence = 1
            $0.category = "cards"
            $0.outcome = .with {
                $0.eventID = "e-1"; $0.decisionID = "d-1"; $0.offerID = "gold_card"; $0.type = .impression; $0.channel = .atm
                $0.customerID = ada.customerID; $0.timeUnixMs = fixture.clock.wallMs
            }
        }]))
        try heartbeat.beat(repository, fixture.published)
        let published = try fixture.published.changes()
        try #require(published.map(\.sequence) == [1, 1, 2, 2])
        #expect(published.map(\.heartbeat) == [false, true, false, true])
        #expect(published[2].customer.view.contacts.map(\.offerID) == ["gold_card"] && published[2].customer.view.lastContactUnixMs == fixture.clock.wallMs)
        #expect(published[1].customerID.isEmpty && !published[1].hasCustomer)
    }
}
