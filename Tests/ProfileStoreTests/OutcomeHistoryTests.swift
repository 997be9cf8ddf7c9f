// The contact and response history from the outcome stream, on both stores: each outcome once,
// in order, from any number of connections following together.
import Foundation
import ProfileCore
@testable import ProfileStore
import Store
import StoreBackends
import Testing
import Wire

@Suite struct OutcomeHistoryTests {
    static func event(_ sequence: UInt64, customer: String, _ type: OutcomeType, offer: String = "card") -> OutcomeEvent {
        OutcomeEvent.with {
            $0.sequence = sequence
            $0.category = "cards"
            $0.outcome = .with {
                $0.eventID = "e\(sequence)"; $0.decisionID = "d1"; $0.offerID = offer; $0.type = type; $0.customerID = customer
                $0.channel = .web; $0.timeUnixMs = t0 - 1_000 + Int64(sequence)
            }
        }
    }

    @Test(arguments: Backend.all)
    func outcomesBecomeTheHistoryOnceAndInOrder(_ backend: Backend) throws {
        let connections = try backend.openConnections(2)
        defer { connections.forEach { $0.close() } }
        let (first, second) = (try repository(backend, db: connections[0]), try repository(backend, db: connections[1]))
        _ = try first.upsert(.with { $0.identity = id("login", "ada"); $0.create = true }, now: t0)
        #expect(try first.outcomePosition() == 0)
        #expect(try first.applyOutcomes([Self.event(1, customer: "c1", .impression), Self.event(2, customer: "c1", .decline)], now: t0))
        // The other connection (another replica) gets 1…3 from its own subscription: only 3 is new.
        #expect(try second.applyOutcomes((1...3).map { Self.event($0, customer: $0 == 3 ? "nobody" : "c1", .impression) }, now: t0))
        #expect(try first.outcomePosition() == 3)
        // A gap: 5 without 4 is not applied; what came before it is.
        #expect(try !first.applyOutcomes([Self.event(4, customer: "c1", .accept, offer: "loan"), Self.event(6, customer: "c1", .click)], now: t0))
        #expect(try second.outcomePosition() == 4)

        let view = try first.view(of: "c1", recentEvents: 10, valuation: nil, now: t0)
        #expect(view.recentEvents.map(\.type) == ["offer_accepted", "offer_declined", "offer_shown"])
        #expect(view.contacts.map(\.kind) == ["accepted", "declined", "shown"] && view.contacts.allSatisfy { $0.category == "cards" })
        #expect(view.lastResponseUnixMs == t0 - 1_000 + 4 && view.lastContactUnixMs == t0 - 1_000 + 1)
    }
}
