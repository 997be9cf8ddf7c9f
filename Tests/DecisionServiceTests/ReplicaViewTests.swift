// The decision replica's customer views held in memory: what the profile stream's changes make of
// them (identities, merges, erasure, replays older than a snapshot, gaps, partitions), and when a
// decision may answer from them — fresh, within the read-your-writes wait, not behind the
// stream's head, valued today — or must ask the profile service, with the replica's view as a
// marked stand-in if that fails too.
import Foundation
import ProfileCore
import ServiceTesting
import Synchronization
import Testing
import Transport
import Wire
@testable import Decision

@Suite struct ReplicaViewTests {
    static let today = ManualClock().wallMs / 86_400_000

    static func change(_ sequence: UInt64, _ id: String, identities: [String] = [], segment: String = "silver",
                       day: Int64 = today, session: (String, Int64)? = nil) -> ProfileChange {
        ProfileChange.with {
            $0.sequence = sequence
            $0.customerID = id
            $0.customer = .with {
                $0.valuedDay = day
                $0.view = .with { view in
                    view.customerID = id
                    view.segment = segment
                    view.clv = 2_500
                    view.holdings = ["credit_card", "mortgage"]
                    view.identities = identities.map { text in
                        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
                        return Identity.with { $0.kind = parts[0]; $0.value = parts[1] }
                    }
                    if let (name, expires) = session {
                        view.session = [name: "yes"]
                        view.sessionExpiresUnixMs = expires
                    }
                }
            }
        }
    }

    static func gone(_ sequence: UInt64, _ id: String, mergedInto: String = "") -> ProfileChange {
        ProfileChange.with { $0.sequence = sequence; $0.customerID = id; $0.mergedInto = mergedInto; $0.erased = mergedInto.isEmpty }
    }

    static func identity(_ kind: IdentityKind, _ value: String) throws -> CustomerIdentity { try CustomerIdentity(kind: kind, value: value) }

    static func found(_ lookup: ProfileReplica.Lookup) -> String? {
        guard case .found(let stored) = lookup else { return nil }
        return (try? stored.decode())?.view.customerID
    }

    @Test func changesIndexIdentitiesAndMergesAndErasuresRemoveThem() throws {
        var replica = ProfileReplica()
        let applied = [replica.apply(Self.change(1, "c1", identities: ["login:ada", "cookie:abcd"]), inOrder: true),
                       replica.apply(Self.change(2, "c2", identities: ["login:bob"]), inOrder: true)]
        #expect(applied == [true, true])
        #expect(Self.found(replica.lookup(try Self.identity(.login, "ADA"))) == "c1")
        #expect(Self.found(replica.lookup(try Self.identity(.customer, "c2"))) == "c2")
        // c1 merged into c2: c1 is gone, its identities now c2's (c2's change says so).
        replica.apply(Self.gone(3, "c1", mergedInto: "c2"), inOrder: true)
        replica.apply(Self.change(4, "c2", identities: ["login:bob", "login:ada", "cookie:abcd"]), inOrder: true)
        #expect(Self.found(replica.lookup(try Self.identity(.login, "ada"))) == "c2")
        #expect(Self.found(replica.lookup(try Self.identity(.customer, "c1"))) == "c2")
        // Erased: no identity, no id resolves any more, nothing of its state is held.
        replica.apply(Self.gone(5, "c2"), inOrder: true)
        for identity in [try Self.identity(.login, "bob"), try Self.identity(.login, "ada"), try Self.identity(.customer, "c1")] {
            #expect(replica.lookup(identity) == .unknown("no customer with \(identity)"))
        }
        #expect(replica.held == 0 && replica.position == 5)
    }

    @Test func aStreamChangeOlderThanTheSnapshotsStateIsNotAppliedAndAGapIsRefused() throws {
        var replica = ProfileReplica()
        // The snapshot page read c1 after its change 7, but the stream is followed from head 5.
        replica.apply(Self.change(7, "c1", identities: ["login:ada"], segment: "gold"), inOrder: false)
        replica.snapshot(head: 5)
        let older = replica.apply(Self.change(6, "c1", identities: ["login:ada"], segment: "silver"), inOrder: true)
        #expect(older)
        guard case .found(let stored) = replica.lookup(try Self.identity(.login, "ada")) else { Issue.record("not found"); return }
        #expect(try stored.decode().view.segment == "gold")
        let afterGap = replica.apply(Self.change(9, "c1"), inOrder: true)
        #expect(!afterGap, "8 is missing")
        #expect(replica.position == 6)
        // An erased customer stays erased when an older change comes again.
        replica.apply(Self.change(7, "c9"), inOrder: true)
        replica.apply(Self.gone(8, "c1"), inOrder: true)
        replica.apply(Self.change(7, "c1", identities: ["login:ada"]), inOrder: false)
        #expect(replica.position == 8)
        #expect(replica.lookup(try Self.identity(.login, "ada")) == .unknown("no customer with login ada"))
    }

    @Test func aPartitionHoldsOnlyItsOwnCustomersButKnowsWhereTheOthersAre() throws {
        let ids = (0..<40).map { "c-\($0)" }
        var replica = ProfileReplica(partition: 1, partitions: 4)
        for (index, id) in ids.enumerated() { replica.apply(Self.change(UInt64(index + 1), id, identities: ["login:\(id)"]), inOrder: true) }
        let mine = ids.filter { CustomerPartition.of($0, partitions: 4) == 1 }
        #expect(replica.held == mine.count && !mine.isEmpty && mine.count < ids.count)
        for id in ids {
            let lookup = replica.lookup(try Self.identity(.login, id))
            if mine.contains(id) { #expect(Self.found(lookup) == id) } else { #expect(lookup == .elsewhere(customerID: id)) }
        }
        // The hash is FNV-1a 64 of the UTF-8 id, modulo the partitions: fixed vectors.
        #expect(CustomerPartition.of("", partitions: 1_000) == UInt32(UInt64(0xcbf2_9ce4_8422_2325) % 1_000))
        #expect(CustomerPartition.of("a", partitions: 1_000) == UInt32(UInt64(0xaf63_dc4c_8601_ec8c) % 1_000))
    }

    /// A fixture whose replica holds Ada (login:ada) as of sequence 1, and is ready.
    static func fixture(profileSegment: String = "profile's") throws -> (DecisionFixture, ReplicaViews) {
        let clock = ManualClock()
        let views = ReplicaViews(clock: { clock.monotonicNs })
        let fixture = try DecisionFixture(replica: views, clock: clock)
        var view = DecisionFixture.ada
        view.segment = profileSegment
        fixture.views.source.views[DecisionFixture.adaKey] = view
        #expect(views.apply([change(1, DecisionFixture.adaID, identities: ["login:ada"], segment: "replica's")]))
        views.headSeen(1)
        views.markReady()
        return (fixture, views)
    }

    @Test func aFreshReplicaAnswersFromMemoryWithoutAskingTheProfileService() throws {
        let (fixture, _) = try Self.fixture()
        let reply = try fixture.decide()
        #expect(!reply.degraded && reply.customerID == DecisionFixture.adaID && !reply.offers.isEmpty)
        #expect(fixture.views.budgets.isEmpty, "profile was asked")
        #expect(try fixture.journaled().last?.segment == "replica's")
        // An identity the replica does not know is NOT_FOUND, as the profile service answers.
        #expect(throws: ServiceError(.notFound, "no customer with login grace")) { try fixture.decide(DecisionFixture.request(login: "grace")) }
        #expect(fixture.views.budgets.isEmpty)
    }

    @Test func readYourWritesWaitsForTheSequenceOrAsksTheProfileService() throws {
        let (fixture, views) = try Self.fixture()
        // Applied within the wait: the write is seen, from memory.
        var request = DecisionFixture.request()
        request.minProfileSequence = 2
        let applier = Thread {
            Thread.sleep(forTimeInterval: 0.02)
            _ = views.apply([Self.change(2, DecisionFixture.adaID, identities: ["login:ada"], segment: "written")])
        }
        applier.start()
        _ = try fixture.decide(request)
        #expect(try fixture.journaled().last?.segment == "written" && fixture.views.budgets.isEmpty)
        // Not applied before the wait ends: the profile service answers, never the older view.
        request.minProfileSequence = 3
        let clock = fixture.clock
        let ticker = Thread {
            Thread.sleep(forTimeInterval: 0.02)
            clock.advance(milliseconds: 100)
        }
        ticker.start()
        let reply = try fixture.decide(request)
        #expect(!reply.degraded && fixture.views.budgets.count == 1)
        #expect(try fixture.journaled().last?.segment == "profile's")
    }

    @Test func aReplicaBehindTheHeadOrNotHearingTheStreamAsksTheProfileService() throws {
        let (fixture, views) = try Self.fixture()
        views.headSeen(2)  // change 2 exists; within 50 ms the replica still answers
        fixture.clock.advance(milliseconds: 50)
        _ = try fixture.decide()
        #expect(fixture.views.budgets.isEmpty)
        fixture.clock.advance(milliseconds: 1)
        _ = try fixture.decide()
        #expect(fixture.views.budgets.count == 1)
        #expect(try fixture.journaled().last?.segment == "profile's")
        // Caught up: from memory again, until the stream is silent for more than 250 ms.
        _ = views.apply([Self.change(2, DecisionFixture.adaID, identities: ["login:ada"], segment: "replica's")])
        _ = try fixture.decide()
        #expect(fixture.views.budgets.count == 1)
        fixture.clock.advance(milliseconds: 250)
        _ = try fixture.decide()
        #expect(fixture.views.budgets.count == 2)
    }

    @Test func behindAndTheProfileServiceDownTheReplicasViewStandsInMarked() throws {
        let (fixture, views) = try Self.fixture()
        views.headSeen(2)
        fixture.clock.advance(milliseconds: 60)
        fixture.views.source.failure = ServiceError(.unavailable, "profile is down")
        let reply = try fixture.decide()
        #expect(reply.degraded && reply.customerID == DecisionFixture.adaID && !reply.offers.isEmpty)
        #expect(reply.degradedReason.hasPrefix("profile: UNAVAILABLE; used this replica's view, which is 60 ms behind the profile stream (at 1, head 2)"))
        #expect(try fixture.journaled().last?.segment == "replica's")
    }

    @Test func aValueOfTheDayBeforeStandsUntilRevaluedButNoneOlder() throws {
        let (fixture, views) = try Self.fixture()
        _ = views.apply([Self.change(2, DecisionFixture.adaID, identities: ["login:ada"], day: Self.today - 1)])
        views.headSeen(2)
        _ = try fixture.decide()
        #expect(fixture.views.budgets.isEmpty)
        _ = views.apply([Self.change(3, DecisionFixture.adaID, identities: ["login:ada"], day: Self.today - 2)])
        views.headSeen(3)
        _ = try fixture.decide()
        #expect(fixture.views.budgets.count == 1)
    }

    @Test func aReplicaStartingOverFromASnapshotAsksTheProfileServiceUntilCaughtUp() throws {
        let (fixture, views) = try Self.fixture()
        views.reset()  // the stream no longer kept what it needed next
        #expect(views.position == 0 && views.held == 0)
        _ = try fixture.decide()
        #expect(fixture.views.budgets.count == 1, "asked the profile service")
        views.load(ProfileSnapshotReply.with {
            $0.customers = [Self.change(3, DecisionFixture.adaID, identities: ["login:ada"])]
            $0.headSequence = 3
            $0.done = true
        }, first: true)
        _ = try fixture.decide()
        #expect(fixture.views.budgets.count == 1 && views.position == 3)
    }

    @Test func aSessionPastItsTTLIsNotServed() throws {
        let clock = ManualClock()
        let views = ReplicaViews(clock: { clock.monotonicNs })
        _ = views.apply([Self.change(1, "c1", identities: ["login:ada"], session: ("page", clock.wallMs + 1_000))])
        views.headSeen(1)
        let ada = try Self.identity(.login, "ada")
        guard case .fresh(let live) = views.view(ada, minSequence: 0, waitUntilNs: 0, nowMs: clock.wallMs) else { Issue.record("not fresh"); return }
        #expect(live.session == ["page": "yes"])
        guard case .fresh(let expired) = views.view(ada, minSequence: 0, waitUntilNs: 0, nowMs: clock.wallMs + 1_000) else { Issue.record("not fresh"); return }
        #expect(expired.session.isEmpty && expired.sessionExpiresUnixMs == 0)
    }

    @Test func onlyLiveChangesNewToTheReplicaAreTimedFromTheirPublication() {
        final class Seen: Sendable { let micros = Mutex<[Int64]>([]) }
        let clock = ManualClock()
        let seen = Seen()
        let visibility = ChangeVisibility(wallUs: { clock.wallMs * 1_000 }, observe: { micros in seen.micros.withLock { $0.append(micros) } })
        let views = ReplicaViews(clock: { clock.monotonicNs }, visibility: visibility)
        let now = clock.wallMs * 1_000
        func live(_ sequence: UInt64, publishedAgoUs: Int64) -> ProfileChange {
            var change = Self.change(sequence, "c\(sequence)")
            change.publishedUnixUs = now - publishedAgoUs
            return change
        }
        // Replayed from the store (no stamp): applied, not timed.
        #expect(views.apply([Self.change(1, "c1")]))
        // Live: timed; the live copy of a change the replay already applied is not timed again.
        #expect(views.apply([live(1, publishedAgoUs: 9_000), live(2, publishedAgoUs: 1_500), live(3, publishedAgoUs: 250)]))
        // After a gap: nothing applied, nothing timed.
        #expect(!views.apply([live(5, publishedAgoUs: 100)]))
        #expect(seen.micros.withLock { $0 } == [1_500, 250])
        #expect(views.position == 3)
    }
}
