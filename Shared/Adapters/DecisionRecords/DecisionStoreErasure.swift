// The right to erasure and the right of access in the decision store (decisions and outcomes).
// Erasure pseudonymises in place: rows and sequences stay, so reports and the outcome stream still
// add up, but nothing in them leads back to the person (docs/PROFILE.md says what is kept and why).
import Foundation
import Store
import SwiftProtobuf
import Wire

public enum DecisionStoreErasure {
    /// The customers erased, so that a decision journal copied or an outcome stored afterwards
    /// is pseudonymised too. The ids are the profile's random ids, which the profile keeps as
    /// erased tombstones as well; they carry no personal data.
    static let schema = ["CREATE TABLE IF NOT EXISTS erased_customers (customer_id TEXT PRIMARY KEY, erased_ms BIGINT NOT NULL)"]

    /// Decision inserts take it shared (they never wait for each other), an erasure exclusive:
    /// on PostgreSQL no insert can check before an erasure and write after it.
    static let erasureLock: Int64 = 0x4F46_4552_4153_4531  // "OFERASE1"

    static func lockAgainstErasure(_ db: any SQLDatabase) throws {
        if db.dialect == .postgres { try db.execute("SELECT pg_advisory_xact_lock_shared(\(erasureLock))") }
    }

    /// Those of `customers` that were erased: one query per 500 ids (usually none are).
    public static func erased(among customers: Set<String>, _ db: any SQLDatabase) throws -> Set<String> {
        var erased: Set<String> = []
        try SQLPlaceholders.inChunks(customers.filter { !$0.isEmpty }.sorted(), firstPlaceholder: 1) { chunk, placeholders in
            for row in try db.query("SELECT customer_id FROM erased_customers WHERE customer_id IN (\(placeholders))", chunk.map { .text($0) }) {
                erased.insert(row.text(0) ?? "")
            }
        }
        return erased
    }

    public struct Erased: Sendable, Equatable {
        public var decisions = 0
        public var outcomes = 0

        public init(decisions: Int = 0, outcomes: Int = 0) {
            self.decisions = decisions
            self.outcomes = outcomes
        }
    }

    /// Pseudonymises every decision of `customers` and every outcome of those decisions, and
    /// remembers the customers as erased. Safe to run again.
    public static func erase(_ customers: [String], now: Int64, _ db: any SQLDatabase) throws -> Erased {
        let ids = Set(customers.filter { !$0.isEmpty }).sorted()
        return try db.transaction {
            if db.dialect == .postgres { try db.execute("SELECT pg_advisory_xact_lock(\(erasureLock))") }
            try OutcomeTable.lockSequences(db)
            var erased = Erased()
            for id in ids {
                try db.execute("INSERT INTO erased_customers (customer_id, erased_ms) VALUES ($1, $2) ON CONFLICT (customer_id) DO NOTHING",
                               [.text(id), .integer(now)])
                for row in try db.query("SELECT id, record FROM decisions WHERE customer_id = $1", [.text(id)]) {
                    let record = try DecisionRecord(serializedBytes: row.blob(1) ?? []).pseudonymised
                    erased.decisions += try db.execute("UPDATE decisions SET customer_id = '', record = $2 WHERE id = $1",
                                                       [row[0], .blob(try record.serializedBytes())])
                    // Found through their decision (indexed): an outcome's customer is its decision's.
                    for outcome in try db.query("SELECT sequence, event FROM outcomes WHERE decision_id = $1 AND customer_id <> ''", [row[0]]) {
                        let event = try OutcomeEvent(serializedBytes: outcome.blob(1) ?? []).pseudonymised
                        erased.outcomes += try db.execute("UPDATE outcomes SET customer_id = '', event = $2 WHERE sequence = $1",
                                                          [outcome[0], .blob(try event.serializedBytes())])
                    }
                }
            }
            return erased
        }
    }

    /// The decisions of `customers` and their outcomes, as one JSON document
    /// {"decisions": [...], "outcomes": [...]} (field names as in offerloop.proto).
    public static func export(_ customers: [String], _ db: any SQLDatabase) throws -> Data {
        var decisions: [Any] = [], outcomes: [Any] = []
        try db.reading {
            for id in Set(customers.filter { !$0.isEmpty }).sorted() {
                for row in try db.query("SELECT id, record FROM decisions WHERE customer_id = $1 ORDER BY time_ms", [.text(id)]) {
                    decisions.append(try json(DecisionRecord(serializedBytes: row.blob(1) ?? [])))
                    for outcome in try db.query("SELECT event FROM outcomes WHERE decision_id = $1 ORDER BY sequence", [row[0]]) {
                        outcomes.append(try json(OutcomeEvent(serializedBytes: outcome.blob(0) ?? [])))
                    }
                }
            }
        }
        return try JSONSerialization.data(withJSONObject: ["decisions": decisions, "outcomes": outcomes], options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }

    static func json(_ message: some SwiftProtobuf.Message) throws -> Any {
        var options = JSONEncodingOptions()
        options.preserveProtoFieldNames = true
        return try JSONSerialization.jsonObject(with: message.jsonUTF8Data(options: options))
    }
}

extension DecisionRecord {
    /// The decision without what leads to its customer: the id, the features it was scored
    /// with, the touchpoint's context. What was offered, how and why stays, for the reports.
    public var pseudonymised: DecisionRecord {
        var record = self
        record.customerID = ""
        record.features = []
        record.context = [:]
        return record
    }
}

extension OutcomeEvent {
    /// The outcome without its customer and the features of its decision: what scoring needs to
    /// count it (offer, type, prior) stays, what identifies the person does not.
    public var pseudonymised: OutcomeEvent {
        var event = self
        event.outcome.customerID = ""
        event.features = []
        return event
    }
}
