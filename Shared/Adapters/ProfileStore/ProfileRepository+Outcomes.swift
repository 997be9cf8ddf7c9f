// The contact and response history from the outcome stream: every outcome becomes an event of
// its customer (offer_shown, offer_clicked, offer_accepted, offer_declined, offer_purchased,
// offer_ignored; data: offer_id, category, decision_id, amount), exactly once, in sequence order.
// The position is kept in the same transaction as the events, so replicas following the stream
// together, or a replica restarting, never apply an outcome twice or skip one.
import ProfileCore
import Store
import Wire

extension ProfileRepository {
    static let outcomeEventTypes: [OutcomeType: String] = [
        .impression: "offer_shown", .click: "offer_clicked", .accept: "offer_accepted", .decline: "offer_declined",
        .purchase: "offer_purchased", .ignored: "offer_ignored",
    ]
    static let outcomeStream = "outcomes"
    static let positionLock: Int64 = 0x4F46_5052_4F46_5031  // "OFPROFP1"

    /// The last outcome sequence applied.
    public func outcomePosition() throws -> UInt64 {
        UInt64(try db.row("SELECT sequence FROM stream_positions WHERE stream = $1", [.text(Self.outcomeStream)])?.int(0) ?? 0)
    }

    /// Applies the events after the stored position, in order, in one transaction; false at a
    /// gap (what came before it is applied). Outcomes of unknown or erased customers only advance.
    public func applyOutcomes(_ events: [OutcomeEvent], now: Int64) throws -> Bool {
        try write(now: now) {
            if db.dialect == .postgres { try db.execute("SELECT pg_advisory_xact_lock(\(Self.positionLock))") }
            var position = try outcomePosition()
            let start = position
            var gap = false
            for event in events.sorted(by: { $0.sequence < $1.sequence }) where event.sequence > position {
                guard event.sequence == position + 1 else { gap = true; break }
                position = event.sequence
                let outcome = event.outcome
                guard let type = Self.outcomeEventTypes[outcome.type],
                      let identity = try? CustomerIdentity(kind: .customer, value: outcome.customerID),
                      let customer = try? find(identity) else { continue }
                var data = ["offer_id": outcome.offerID, "category": event.category, "decision_id": outcome.decisionID]
                if outcome.amount > 0 { data["amount"] = "\(outcome.amount)" }
                try db.execute("""
                    INSERT INTO events (customer_id, time_ms, type, channel, data, key) VALUES ($1, $2, $3, $4, $5, $6)
                    ON CONFLICT (key) DO NOTHING
                    """, [.text(customer.id), .integer(outcome.timeUnixMs), .text(type), .text(ChannelName.name(outcome.channel) ?? ""),
                          .text(KeyValueText.encode(data)), .text("outcome:" + outcome.eventID)])
                try touch(customer.id, now: now)
            }
            if position > start {
                try db.execute("""
                    INSERT INTO stream_positions (stream, sequence) VALUES ($1, $2)
                    ON CONFLICT (stream) DO UPDATE SET sequence = excluded.sequence
                    """, [.text(Self.outcomeStream), .integer(Int64(position))])
            }
            return !gap
        }
    }
}
