// The contact policy reads the newest decline of an offer and the newest acceptance in a category,
// whatever order the history comes in; and a decision replica's reduced history (ContactSummary)
// gets exactly the answers the whole history gets.
import DecisionCore
import ProfileCore
import Random
import Testing
import Wire

struct ContactPolicyTests {
    static let now = DecisionEngineTests.now, day = DecisionEngineTests.day

    @Test func suppressionNamesTheNewestDeclineAndAcceptanceInAnyOrder() throws {
        let catalog = try sampleCatalog()
        let policy = catalog.contactPolicy
        let loan = try #require(catalog.offer("personal_loan"))
        // Newest first, as the profile's view lists them.
        let history = [
            ContactRecord(offerID: "personal_loan", category: "lending", channel: "web", timeMs: Self.now - 2 * Self.day, kind: .declined),
            ContactRecord(offerID: "personal_loan", category: "lending", channel: "atm", timeMs: Self.now - 20 * Self.day, kind: .declined),
        ]
        for order in [history, history.reversed()] {
            #expect(policy.suppression(of: loan, history: order, now: Self.now) == "declined on web 2 day(s) ago (suppressed for 30)")
        }
        let accepts = [
            ContactRecord(offerID: "mortgage_refinance", category: "lending", channel: "call_center", timeMs: Self.now - 5 * Self.day, kind: .accepted),
            ContactRecord(offerID: "car_loan", category: "lending", channel: "web", timeMs: Self.now - 60 * Self.day, kind: .accepted),
        ]
        for order in [accepts, accepts.reversed()] {
            #expect(policy.suppression(of: loan, history: order, now: Self.now)?.hasPrefix("accepted mortgage_refinance (lending) 5 day(s) ago") == true)
        }
    }

    /// The view's form of a record (what the profile stream carries) and back.
    static func contact(_ record: ContactRecord) -> Contact {
        Contact.with {
            $0.offerID = record.offerID; $0.category = record.category; $0.kind = record.kind.rawValue
            $0.channel = ChannelName.channel(record.channel) ?? .unspecified; $0.timeUnixMs = record.timeMs
        }
    }

    static func record(_ contact: Contact) -> ContactRecord {
        ContactRecord(offerID: contact.offerID, category: contact.category, channel: ChannelName.name(contact.channel) ?? "",
                      timeMs: contact.timeUnixMs, kind: ContactRecord.Kind(rawValue: contact.kind)!)
    }

    @Test(arguments: 1...20)
    func theReducedHistoryAnswersExactlyAsTheWholeOne(seed: UInt64) throws {
        let catalog = try sampleCatalog()
        var policy = catalog.contactPolicy
        policy.perChannelPerDay = ["web": 3, "atm": 2]
        policy.allChannelsPerWeek = 6
        var random = SeededRandom(seed: seed)
        let channels = ["web", "atm", "kiosk", "call_center"]
        let kinds: [ContactRecord.Kind] = [.shown, .shown, .shown, .declined, .accepted]
        // Up to 180 days back, in hours (equal times happen), newest first like the view.
        let written = Self.now - Int64.random(in: 0...(3 * Self.day), using: &random)
        let whole = (0..<Int.random(in: 0...60, using: &random)).map { _ in
            let offer = catalog.offers.randomElement(using: &random)!
            return ContactRecord(offerID: offer.id, category: offer.category, channel: channels.randomElement(using: &random)!,
                                 timeMs: written - Int64.random(in: 0...(180 * 24), using: &random) * 3_600_000,
                                 kind: kinds.randomElement(using: &random)!)
        }.sorted { $0.timeMs > $1.timeMs }
        // Reduced when the state was written; read by decisions from then on.
        let reduced = ContactSummary.reduce(whole.map(Self.contact), now: written).map(Self.record)
        #expect(reduced.count <= whole.count)
        for later in [written, written + 3_600_000, Self.now + 8 * Self.day] {
            for channel in channels {
                #expect(policy.capReached(channel: channel, history: reduced, now: later) == policy.capReached(channel: channel, history: whole, now: later))
            }
            for offer in catalog.offers {
                #expect(policy.suppression(of: offer, history: reduced, now: later) == policy.suppression(of: offer, history: whole, now: later),
                        "\(offer.id) at \(later)")
            }
        }
    }
}
