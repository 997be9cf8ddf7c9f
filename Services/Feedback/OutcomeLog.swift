// The outcome log in the store: every accepted outcome once (by event id), numbered 1, 2, 3, …
// without gaps. The number is taken inside the inserting transaction under a lock (SQLite's write
// transaction, PostgreSQL's advisory lock), so concurrent replicas never leave a hole that a
// subscriber would wait on forever.
import DecisionLog
import Foundation
import Store
import Wire

struct OutcomeLog {
    let db: any SQLDatabase
    static let sequenceLock: Int64 = 0x4F46_4652_5345_5131  // "OFFRSEQ1"

    init(db: any SQLDatabase) throws {
        self.db = db
        try DecisionLogTable.create(db)
        try db.createSchema([
            """
            CREATE TABLE IF NOT EXISTS outcomes (sequence BIGINT PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, decision_id TEXT NOT NULL,
            offer_id TEXT NOT NULL, customer_id TEXT NOT NULL, type TEXT NOT NULL, time_ms BIGINT NOT NULL, event \(db.dialect.blobType) NOT NULL)
            """,
            "CREATE INDEX IF NOT EXISTS outcomes_decision ON outcomes (decision_id)",
        ])
    }

    /// The sequence an event id was stored under, if it was.
    func sequence(ofEvent eventID: String) throws -> UInt64? {
        try db.row("SELECT sequence FROM outcomes WHERE event_id = $1", [.text(eventID)])?.int(0).map(UInt64.init)
    }

    /// Stores the event under the next sequence (set in the returned copy), durably; or returns the
    /// stored one's sequence when the event id is already there (a retry).
    func append(_ event: OutcomeEvent) throws -> (event: OutcomeEvent, duplicate: Bool) {
        try db.transaction {
            if let existing = try sequence(ofEvent: event.outcome.eventID) {
                var stored = event
                stored.sequence = existing
                return (stored, true)
            }
            if db.dialect == .postgres { try db.execute("SELECT pg_advisory_xact_lock(\(Self.sequenceLock))") }
            var stored = event
            stored.sequence = UInt64(try db.row("SELECT COALESCE(MAX(sequence), 0) + 1 FROM outcomes", [])?.int(0) ?? 1)
            let outcome = stored.outcome
            try db.execute("""
                INSERT INTO outcomes (sequence, event_id, decision_id, offer_id, customer_id, type, time_ms, event)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                """, [.integer(Int64(stored.sequence)), .text(outcome.eventID), .text(outcome.decisionID), .text(outcome.offerID),
                      .text(outcome.customerID), .text("\(outcome.type)"), .integer(outcome.timeUnixMs), .blob(try stored.serializedBytes())])
            return (stored, false)
        }
    }

    /// Up to `limit` events from `from` on, and the last sequence stored.
    func replay(from: UInt64, limit: Int) throws -> ReplayReply {
        let rows = try db.query("SELECT event FROM outcomes WHERE sequence >= $1 ORDER BY sequence LIMIT $2",
                                [.integer(Int64(max(from, 1))), .integer(Int64(limit))])
        let head = try db.row("SELECT COALESCE(MAX(sequence), 0) FROM outcomes", [])?.int(0) ?? 0
        return try ReplayReply.with {
            $0.events = try rows.map { try OutcomeEvent(serializedBytes: $0.blob(0) ?? []) }
            $0.headSequence = UInt64(head)
        }
    }
}
