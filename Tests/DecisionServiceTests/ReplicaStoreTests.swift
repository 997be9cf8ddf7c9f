// The decision replica's compact storage of customers: the state encoding (every field back as
// it was, names shared through the string table, protobuf kept for what it does not know), the
// open-addressing index (growth, removal), the paged arena (holes reclaimed), and the replica
// over them: states replaced by larger and smaller ones, erasure and merges, identities that
// move between customers, partitions — and what a customer of issue 19's shape costs.
import Foundation
import ProfileCore
import Testing
import Wire
@testable import Decision

@Suite struct ReplicaStoreTests {
    /// A customer with every field of the view set (recent events aside: the replica holds none).
    static func customer(_ id: String, contacts: Int = 15, attributes: Int = 10, day: Int64 = 20_000) -> ReplicaCustomer {
        ReplicaCustomer.with {
            $0.valuedDay = day
            $0.valueModelVersion = 7
            $0.view = .with { view in
                view.customerID = id
                for index in 0..<attributes { view.attributes["attribute_\(index)"] = "value \(index) of \(id)" }
                view.attributes["email"] = "an.address.longer.than.16.bytes.\(id)@example.com"  // written out, not a number
                view.holdings = ["credit_card", "mortgage", "savings"]
                view.segment = "gold"
                view.clv = 2_512.75
                view.pAlive = .nan
                view.churnRisk = 0.125
                view.expectedPurchases = -0.0
                view.totalSpend = 1e300
                view.lastContactUnixMs = 1_796_000_000_000
                view.lastResponseUnixMs = -5
                view.lastTransactionUnixMs = 1
                view.sessionExpiresUnixMs = 1_796_000_600_000
                view.session = ["page": "mortgages", "basket": ""]
                view.identities = [.with { $0.kind = "login"; $0.value = "u-\(id)" }, .with { $0.kind = "card"; $0.value = "4000000000000010" }]
                view.churnReasons = ["fewer_transactions", "balance_down"]
                view.optedOut = [.web, .UNRECOGNIZED(9)]
                view.transactions = 4_000_000_000
                view.holdingDetails = [.with { $0.product = "mortgage"; $0.balance = -150_000.5; $0.openedUnixMs = 1_600_000_000_000; $0.updatedUnixMs = 1_700_000_000_000 }]
                view.anonymous = true
                view.contacts = (0..<contacts).map { index in
                    Contact.with {
                        $0.offerID = "offer_\(index % 4)"
                        $0.category = "category_\(index % 2)"
                        $0.channel = [.atm, .kiosk, .web, .callCenter, .UNRECOGNIZED(12)][index % 5]
                        $0.timeUnixMs = 1_796_000_000_000 - Int64(index) * 3_600_000 + Int64(index % 3)
                        $0.kind = ["shown", "declined", "accepted"][index % 3]
                    }
                }
            }
        }
    }

    @Test func aStateComesBackAsItWasWhateverItHolds() throws {
        var table = StringTable()
        let full = Self.customer("c1")
        let bytes = try CompactCustomer.encode(full, table: &table)
        let back = try CompactCustomer.decode(bytes, strings: table.strings)
        // NaN is not equal to itself: compare the texts (maps in key order).
        #expect(back.textFormatString() == full.textFormatString())
        #expect(bytes.first == CompactCustomer.Format.compact.rawValue)
        #expect(try CompactCustomer.decode(CompactCustomer.encode(ReplicaCustomer(), table: &table), strings: table.strings) == ReplicaCustomer())
        // Something the encoding does not know (recent events, unknown fields) is kept as protobuf.
        var withEvents = Self.customer("c2")
        withEvents.view.recentEvents = [.with { $0.type = "call"; $0.timeUnixMs = 5 }]
        let kept = try CompactCustomer.encode(withEvents, table: &table)
        #expect(kept.first == CompactCustomer.Format.protobuf.rawValue)
        #expect(try CompactCustomer.decode(kept, strings: table.strings).textFormatString() == withEvents.textFormatString())
        // Bytes cut short do not decode into a customer.
        #expect(throws: (any Error).self) { try CompactCustomer.decode(bytes.dropLast(3), strings: table.strings) }
    }

    @Test func namesBeyondAFullTableAreWrittenOut() throws {
        var table = StringTable(capacity: 3)
        let customer = Self.customer("c1")
        let bytes = try CompactCustomer.encode(customer, table: &table)
        #expect(table.strings.count == 3)
        #expect(try CompactCustomer.decode(bytes, strings: table.strings).textFormatString() == customer.textFormatString())
    }

    @Test func theIndexGrowsAndFindsEveryKeyAfterRemovals() {
        var index = SlotIndex()
        let keys = (0..<5_000).map { Array("login:user-\($0)".utf8) }
        for (slot, key) in keys.enumerated() { index.set(SlotIndex.hash(key), slot: UInt32(slot), bucket: nil) }
        #expect(index.count == keys.count)
        func find(_ slot: Int) -> UInt32? { index.find(SlotIndex.hash(keys[slot])) { $0 == UInt32(slot) } }
        #expect(keys.indices.allSatisfy { find($0) == UInt32($0) })
        // Every third removed: the others stay reachable (the backward shift closes the holes).
        for slot in stride(from: 0, to: keys.count, by: 3) {
            let bucket = index.bucket(SlotIndex.hash(keys[slot])) { $0 == UInt32(slot) }
            #expect(bucket != nil)
            if let bucket { index.remove(bucket: bucket) }
        }
        #expect(index.count == keys.count - (keys.count + 2) / 3)
        #expect(keys.indices.allSatisfy { find($0) == ($0 % 3 == 0 ? nil : UInt32($0)) })
        // Pointing a key at another slot replaces its bucket.
        let bucket = index.bucket(SlotIndex.hash(keys[1])) { $0 == 1 }
        index.set(SlotIndex.hash(keys[1]), slot: 9_999, bucket: bucket)
        #expect(index.find(SlotIndex.hash(keys[1])) { $0 == 9_999 } == 9_999 && index.count == keys.count - (keys.count + 2) / 3)
    }

    @Test func pagesLessThanHalfLiveAreEmptiedAndDropped() {
        var arena = ReplicaArena(pageSize: 1_000)
        var locations = [ReplicaArena.Location](repeating: ReplicaArena.none, count: 100)
        func payload(_ slot: Int, _ round: Int) -> [UInt8] { Array("slot \(slot) round \(round) ".utf8) + [UInt8](repeating: UInt8(slot), count: slot % 40) }
        for slot in 0..<100 { arena.append(payload(slot, 0), slot: UInt32(slot), locations: &locations) }
        // Every entry replaced ten times, in an order that leaves holes everywhere.
        for round in 1...10 {
            for slot in (0..<100).shuffled() {
                let old = locations[slot]
                arena.append(payload(slot, round), slot: UInt32(slot), locations: &locations)
                arena.free(old, locations: &locations)
            }
        }
        #expect((0..<100).allSatisfy { Array(arena.payload(locations[$0])) == payload($0, 10) })
        #expect(arena.bytes <= 2 * arena.liveBytes + 2 * 1_000, "holes are reclaimed: \(arena.bytes) bytes for \(arena.liveBytes) live")
        // An entry bigger than a page has a page of its own.
        let big = [UInt8](repeating: 7, count: 5_000)
        let old = locations[3]
        arena.append(big, slot: 3, locations: &locations)
        arena.free(old, locations: &locations)
        #expect(Array(arena.payload(locations[3])) == big)
        #expect((0..<100).filter { $0 != 3 }.allSatisfy { Array(arena.payload(locations[$0])) == payload($0, 10) })
    }

    static func change(_ sequence: UInt64, _ customer: ReplicaCustomer) -> ProfileChange {
        ProfileChange.with { $0.sequence = sequence; $0.customerID = customer.view.customerID; $0.customer = customer }
    }

    static func decoded(_ lookup: ProfileReplica.Lookup) -> ReplicaCustomer? {
        guard case .found(let stored) = lookup else { return nil }
        return try? stored.decode()
    }

    @Test func statesReplacedByLargerAndSmallerOnesAreServedNewestWithBoundedMemory() throws {
        var replica = ProfileReplica(pageSize: 4_096)
        var sequence: UInt64 = 0
        var newest: [String: ReplicaCustomer] = [:]
        for round in 0..<6 {
            for index in 0..<300 {
                let id = "c\(index)"
                // Growing and shrinking: 0 to 40 contacts, 0 to 12 attributes.
                let customer = Self.customer(id, contacts: (index + round * 7) % 41, attributes: (index + round) % 13, day: Int64(round))
                sequence += 1
                let applied = replica.apply(Self.change(sequence, customer), inOrder: true)
                #expect(applied)
                newest[id] = customer
            }
        }
        #expect(replica.held == 300 && replica.slots == 300)
        for (id, customer) in newest {
            let found = Self.decoded(replica.lookup(try CustomerIdentity(kind: .login, value: "u-\(id)")))
            #expect(found?.textFormatString() == customer.textFormatString())
        }
        let (total, live) = replica.arenaBytes
        #expect(total <= 2 * live + 2 * 4_096, "\(total) bytes of pages for \(live) live")
    }

    @Test func erasedAndMergedCustomersLeaveTheIndexAndIdentitiesMoveWithTheirChanges() throws {
        var replica = ProfileReplica()
        var ada = Self.customer("ada")
        ada.view.identities = [.with { $0.kind = "login"; $0.value = "ada" }, .with { $0.kind = "cookie"; $0.value = "abcd" }]
        var bob = Self.customer("bob")
        bob.view.identities = [.with { $0.kind = "login"; $0.value = "bob" }]
        replica.apply(Self.change(1, ada), inOrder: true)
        replica.apply(Self.change(2, bob), inOrder: true)
        let cookie = try CustomerIdentity(kind: .cookie, value: "abcd")
        // The cookie moves to Bob before Ada's change without it arrives: Bob has it, before and after.
        bob.view.identities.append(.with { $0.kind = "cookie"; $0.value = "abcd" })
        replica.apply(Self.change(3, bob), inOrder: true)
        #expect(Self.decoded(replica.lookup(cookie))?.view.customerID == "bob")
        ada.view.identities.removeLast()
        replica.apply(Self.change(4, ada), inOrder: true)
        #expect(Self.decoded(replica.lookup(cookie))?.view.customerID == "bob")
        #expect(Self.decoded(replica.lookup(try CustomerIdentity(kind: .login, value: "ada")))?.view.customerID == "ada")
        // Ada merged into Bob: her id leads to Bob; her login, once Bob's change lists it, too.
        replica.apply(ProfileChange.with { $0.sequence = 5; $0.customerID = "ada"; $0.mergedInto = "bob" }, inOrder: true)
        #expect(replica.lookup(try CustomerIdentity(kind: .login, value: "ada")) == .unknown("no customer with login ada"))
        bob.view.identities.append(.with { $0.kind = "login"; $0.value = "ada" })
        replica.apply(Self.change(6, bob), inOrder: true)
        #expect(Self.decoded(replica.lookup(try CustomerIdentity(kind: .login, value: "ada")))?.view.customerID == "bob")
        #expect(Self.decoded(replica.lookup(try CustomerIdentity(kind: .customer, value: "ada")))?.view.customerID == "bob")
        #expect(replica.held == 1)
        // Bob erased: none of his identities names anyone.
        replica.apply(ProfileChange.with { $0.sequence = 7; $0.customerID = "bob"; $0.erased = true }, inOrder: true)
        for identity in [cookie, try CustomerIdentity(kind: .login, value: "ada"), try CustomerIdentity(kind: .login, value: "bob")] {
            #expect(replica.lookup(identity) == .unknown("no customer with \(identity)"))
        }
        #expect(replica.held == 0 && replica.slots == 2)
    }

    @Test func aPartitionIndexesOtherPartitionsIdentitiesWithoutTheirStates() throws {
        var replica = ProfileReplica(partition: 0, partitions: 2)
        let ids = (0..<50).map { "p\($0)" }
        for (index, id) in ids.enumerated() { replica.apply(Self.change(UInt64(index + 1), Self.customer(id, contacts: 1)), inOrder: true) }
        let mine = ids.filter { CustomerPartition.of($0, partitions: 2) == 0 }
        #expect(replica.held == mine.count && replica.slots == ids.count)
        for id in ids {
            let lookup = replica.lookup(try CustomerIdentity(kind: .login, value: "u-\(id)"))
            if mine.contains(id) { #expect(Self.decoded(lookup)?.view.customerID == id) } else { #expect(lookup == .elsewhere(customerID: id)) }
        }
    }

    @Test func aCustomerOfIssue19sShapeTakesAFractionOfItsProtobufBytes() throws {
        // 10 attributes, 3 identities, 3 holdings and the contact summary of 40 contacts (~15).
        var customer = Self.customer("1234567", contacts: 15)
        customer.view.identities.append(.with { $0.kind = "phone"; $0.value = "+447000123456" })
        var table = StringTable()
        _ = try CompactCustomer.encode(Self.customer("0"), table: &table)  // the names are known by now
        let compact = try CompactCustomer.encode(customer, table: &table)
        let protobuf: [UInt8] = try customer.serializedBytes()
        #expect(compact.count * 2 < protobuf.count, "\(compact.count) bytes compact, \(protobuf.count) as protobuf")
    }
}
