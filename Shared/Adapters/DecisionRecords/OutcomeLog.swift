// The outcome log in the store: every accepted outcome once (by event id), numbered 1, 2, 3, …
// without gaps. The numbers are taken inside the inserting transaction under a lock (SQLite's
// write transaction, PostgreSQL's advisory lock), so concurrent replicas never leave a hole that a
// subscriber would wait on forever. A batch is one transaction: one commit (one fsync) for all.
import Foundation
import Store
import Wire

public struct OutcomeLog {
    public let db: any SQLDatabase

    public init(db: any SQLDatabase) throws {
        self.db = db
        try OutcomeTable.create(db)
    }

    /// The sequence an event id was stored under, if it was.
    public func sequence(ofEvent eventID: String) throws -> UInt64? {
        try db.row("SELECT sequence FROM outcomes WHERE event_id = $1", [.text(eventID)])?.int(0).map(UInt64.init)
    }

    /// The outcome types stored for a decision, per offer.
    public func types(ofDecision decisionID: String) throws -> [String: Set<String>] {
        var types: [String: Set<String>] = [:]
        for row in try db.query("SELECT offer_id, type FROM outcomes WHERE decision_id = $1", [.text(decisionID)]) {
            types[row.text(0) ?? "", default: []].insert(row.text(1) ?? "")
        }
        return types
    }

    /// Stores the events under the next sequences (set in the returned copies, with their encoding
    /// for the stream), in one durable transaction; an event id already stored (a retry) keeps its
    /// first sequence and is marked duplicate.
    public func append(_ events: [OutcomeEvent]) throws -> [(event: OutcomeEvent, bytes: [UInt8], duplicate: Bool)] {
        guard !events.isEmpty else { return [] }
        return try db.transaction {
            try OutcomeTable.lockSequences(db)
            // A worker may still hold an erased customer's decision in its cache: such outcomes
            // are stored pseudonymised, like those the erasure rewrote.
            let erased = try DecisionStoreErasure.erased(among: Set(events.map(\.outcome.customerID)), db)
            var next = UInt64(try db.row("SELECT COALESCE(MAX(sequence), 0) + 1 FROM outcomes", [])?.int(0) ?? 1)
            return try events.map { event in
                var stored = erased.contains(event.outcome.customerID) ? event.pseudonymised : event
                stored.sequence = next
                let outcome = stored.outcome
                let bytes: [UInt8] = try stored.serializedBytes()
                let inserted = try db.execute("""
                    INSERT INTO outcomes (sequence, event_id, decision_id, offer_id, customer_id, type, time_ms, event)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (event_id) DO NOTHING
                    """, [.integer(Int64(stored.sequence)), .text(outcome.eventID), .text(outcome.decisionID), .text(outcome.offerID),
                          .text(outcome.customerID), .text(outcome.type.name), .integer(outcome.timeUnixMs),
                          .blob(bytes)])
                guard inserted == 0 else {
                    next += 1
                    return (stored, bytes, false)
                }
                // The event id was there already: a retry, acknowledged with its first sequence.
                guard let existing = try sequence(ofEvent: outcome.eventID) else {
                    throw StoreError(.failed, "outcome \(outcome.eventID) was neither stored nor found")
                }
                stored.sequence = existing
                return (stored, [], true)
            }
        }
    }

    /// Up to `limit` events from `from` on, and the last sequence stored.
    public func replay(from: UInt64, limit: Int) throws -> ReplayReply {
        let rows = try db.query("SELECT event FROM outcomes WHERE sequence >= $1 ORDER BY sequence LIMIT $2",
                                [.integer(Int64(clamping: max(from, 1))), .integer(Int64(limit))])
        let head = try db.row("SELECT COALESCE(MAX(sequence), 0) FROM outcomes", [])?.int(0) ?? 0
        return try ReplayReply.with {
            $0.events = try rows.map { try OutcomeEvent(serializedBytes: $0.blob(0) ?? []) }
            $0.headSequence = UInt64(head)
        }
    }

    // MARK: implicit outcomes

    /// Up to `limit` decisions of a channel logged after `after` and at or before `through`
    /// (Unix ms), oldest first.
    public func decisions(channel: String, after: Int64, through: Int64, limit: Int) throws -> [LoggedDecision] {
        try db.query("SELECT record FROM decisions WHERE channel = $1 AND time_ms > $2 AND time_ms <= $3 ORDER BY time_ms LIMIT $4",
                     [.text(channel), .integer(after), .integer(through), .integer(Int64(limit))])
            .map { try LoggedDecision(serializedBytes: $0.blob(0) ?? [], options: DecisionLogTable.skippingOthers) }
    }

    /// How far a channel has been swept (Unix ms; 0 when never).
    public func swept(channel: String) throws -> Int64 {
        try db.row("SELECT through_ms FROM implicit_sweeps WHERE channel = $1", [.text(channel)])?.int(0) ?? 0
    }

    public func setSwept(channel: String, through: Int64) throws {
        try db.execute("""
            INSERT INTO implicit_sweeps (channel, through_ms) VALUES ($1, $2)
            ON CONFLICT (channel) DO UPDATE SET through_ms = CASE WHEN implicit_sweeps.through_ms > excluded.through_ms
            THEN implicit_sweeps.through_ms ELSE excluded.through_ms END
            """, [.text(channel), .integer(through)])
    }
}
