// The pure parts of the profile stream both sides share: the customer partition function (fixed
// FNV-1a-64 vectors, so a replica in any language computes the same) and the contact summary.
import Testing
import Wire
@testable import ProfileCore

@Suite struct CustomerPartitionTests {
    @Test(arguments: [
        ("", 0xcbf2_9ce4_8422_2325 as UInt64),
        ("a", 0xaf63_dc4c_8601_ec8c),
        ("foobar", 0x8594_4171_f739_67e8),
        ("c-00000000000000000001", 0x7ea6_e307_c66e_3c8a),
        ("é", 0x0ac2_1707_b718_1e01),  // UTF-8 bytes, not UTF-16 units
    ])
    func theHashIsFNV1a64OfTheUTF8Bytes(text: String, hash: UInt64) {
        #expect(CustomerPartition.fnv1a64(text) == hash)
    }

    @Test func aCustomerIsInExactlyOnePartition() throws {
        #expect(try CustomerPartition(index: 2, count: 4).contains(customerID: "c-00000000000000000001"))
        #expect(try CustomerPartition(index: 0, count: 3).contains(customerID: "c-00000000000000000001"))
        #expect(try CustomerPartition(index: 1, count: 4).contains(customerID: "c1"))
        for id in (0..<200).map({ "c\($0)" }) {
            let holders = try (0..<5).filter { try CustomerPartition(index: $0, count: 5).contains(customerID: id) }
            #expect(holders.count == 1, "\(id)")
            #expect(CustomerPartition.all.contains(customerID: id))
        }
        #expect(throws: ProfileError.invalidArgument("partition 4 of 4 does not exist: partitions are 0 ..< N, N at least 1")) {
            try CustomerPartition(index: 4, count: 4)
        }
        #expect(throws: ProfileError.self) { try CustomerPartition(index: 0, count: 0) }
    }
}

@Suite struct ContactSummaryTests {
    static let day: Int64 = 86_400_000, now: Int64 = 1_790_000_000_000

    static func contact(_ kind: String, _ offer: String, _ category: String, daysAgo: Int64, _ channel: Channel = .web) -> Contact {
        .with { $0.kind = kind; $0.offerID = offer; $0.category = category; $0.timeUnixMs = now - daysAgo * day; $0.channel = channel }
    }

    @Test func keepsTheWeeksShownTheNewestDeclinePerOfferAndAcceptancePerCategory() {
        let history = [
            Self.contact("shown", "loan", "lending", daysAgo: 1),
            Self.contact("declined", "loan", "lending", daysAgo: 2, .atm),
            Self.contact("shown", "card", "cards", daysAgo: 6),
            Self.contact("shown", "card", "cards", daysAgo: 8),
            Self.contact("accepted", "card", "cards", daysAgo: 9),
            Self.contact("declined", "loan", "lending", daysAgo: 40),
            Self.contact("accepted", "gold_card", "cards", daysAgo: 100),
            Self.contact("declined", "card", "cards", daysAgo: 120),
        ]
        let reduced = ContactSummary.reduce(history, now: Self.now)
        #expect(reduced.map { "\($0.kind) \($0.offerID) \(($0.timeUnixMs - Self.now) / Self.day)" }
                == ["shown loan -1", "declined loan -2", "shown card -6", "accepted card -9", "declined card -120"])
        // Two declines of one offer at the same time: both kept (the policy picks among them).
        let tie = [Self.contact("declined", "loan", "lending", daysAgo: 3, .web), Self.contact("declined", "loan", "lending", daysAgo: 3, .atm)]
        #expect(ContactSummary.reduce(tie, now: Self.now).count == 2)
        #expect(ContactSummary.reduce([], now: Self.now).isEmpty)
    }
}
