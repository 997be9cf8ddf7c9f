// The decision log's table in the store: one row per decision, the whole DecisionRecord as bytes.
// Written by the decision service (from its journals), read by the feedback service and the report;
// next to it the outcome log's tables (OutcomeLog.swift writes and replays them).
import Store
import SwiftProtobuf
import Wire

public enum DecisionLogTable {
    public static func create(_ db: any SQLDatabase) throws {
        try db.createSchema([
            """
            CREATE TABLE IF NOT EXISTS decisions (id TEXT PRIMARY KEY, time_ms BIGINT NOT NULL, customer_id TEXT NOT NULL,
            channel TEXT NOT NULL, control INTEGER NOT NULL, degraded INTEGER NOT NULL, record \(db.dialect.blobType) NOT NULL)
            """,
            "CREATE INDEX IF NOT EXISTS decisions_customer ON decisions (customer_id, time_ms)",
            "CREATE INDEX IF NOT EXISTS decisions_channel ON decisions (channel, time_ms)",
        ] + DecisionStoreErasure.schema + CatalogTable.schema)
    }

    /// Inserts decisions not yet logged, given as the bytes of their DecisionRecord: only the head
    /// of each is decoded, for the columns. Those of customers erased meanwhile (a journal copied
    /// after the erasure) go in pseudonymised: a journal never brings an erased customer back.
    public static func insert(_ records: [[UInt8]], _ db: any SQLDatabase) throws {
        let heads = try records.map { try DecisionRecordHead(serializedBytes: $0, options: skippingOthers) }
        try db.transaction {
            try DecisionStoreErasure.lockAgainstErasure(db)
            let erased = try DecisionStoreErasure.erased(among: Set(heads.map(\.customerID)), db)
            for (logged, loggedBytes) in zip(heads, records) {
                var (head, bytes) = (logged, loggedBytes)
                if erased.contains(logged.customerID) {
                    let record = try DecisionRecord(serializedBytes: loggedBytes).pseudonymised
                    bytes = try record.serializedBytes()
                    head.customerID = record.customerID
                }
                try db.execute("""
                    INSERT INTO decisions (id, time_ms, customer_id, channel, control, degraded, record) VALUES ($1, $2, $3, $4, $5, $6, $7)
                    ON CONFLICT (id) DO NOTHING
                    """, [.text(head.decisionID), .integer(head.timeUnixMs), .text(head.customerID),
                          .text(ChannelName.name(head.channel) ?? ""), .integer(head.control ? 1 : 0), .integer(head.degraded ? 1 : 0),
                          .blob(bytes)])
            }
        }
    }

    /// Stores records (tests, benches: the decision service writes bytes).
    public static func insert(_ records: [DecisionRecord], _ db: any SQLDatabase) throws {
        try insert(try records.map { try $0.serializedBytes() }, db)
    }

    /// A logged decision, if it reached the log.
    public static func find(_ id: String, _ db: any SQLDatabase) throws -> DecisionRecord? {
        guard let bytes = try db.row("SELECT record FROM decisions WHERE id = $1", [.text(id)])?.blob(0) else { return nil }
        return try DecisionRecord(serializedBytes: bytes)
    }

    /// A logged decision as its outcomes read it: the record without its candidates (skipped).
    public static func findLogged(_ id: String, _ db: any SQLDatabase) throws -> LoggedDecision? {
        guard let bytes = try db.row("SELECT record FROM decisions WHERE id = $1", [.text(id)])?.blob(0) else { return nil }
        return try LoggedDecision(serializedBytes: bytes, options: skippingOthers)
    }

    /// The catalog's prior of an offer the decision showed: carried by the offer, or, in a record
    /// of an older version, found among the record's candidates.
    public static func prior(of offer: OfferChoice, in decisionID: String, _ db: any SQLDatabase) throws -> Double {
        if offer.hasPriorPropensity { return offer.priorPropensity }
        return try find(decisionID, db)?.candidates.first { $0.offerID == offer.offerID }?.priorPropensity ?? 0
    }

    /// Decoding options that skip the fields a partial message (a head, a logged decision) leaves out.
    static let skippingOthers = {
        var options = BinaryDecodingOptions()
        options.discardUnknownFields = true
        return options
    }()

    /// The decisions logged since `since` (Unix ms), oldest first: what a report covers.
    public static func decisions(since: Int64, _ db: any SQLDatabase) throws -> [DecisionRecord] {
        try db.query("SELECT record FROM decisions WHERE time_ms >= $1 ORDER BY time_ms", [.integer(since)])
            .map { try DecisionRecord(serializedBytes: $0.blob(0) ?? []) }
    }
}

/// The outcome log's tables, next to the decisions they answer (the feedback service writes them).
public enum OutcomeTable {
    public static func create(_ db: any SQLDatabase) throws {
        try DecisionLogTable.create(db)
        try db.createSchema([
            """
            CREATE TABLE IF NOT EXISTS outcomes (sequence BIGINT PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, decision_id TEXT NOT NULL,
            offer_id TEXT NOT NULL, customer_id TEXT NOT NULL, type TEXT NOT NULL, time_ms BIGINT NOT NULL, event \(db.dialect.blobType) NOT NULL)
            """,
            "CREATE INDEX IF NOT EXISTS outcomes_decision ON outcomes (decision_id)",
            // How far each channel's decisions have been swept for implicit "ignored" outcomes.
            "CREATE TABLE IF NOT EXISTS implicit_sweeps (channel TEXT PRIMARY KEY, through_ms BIGINT NOT NULL)",
        ])
    }

    /// Serializes the outcome log's writers: sequences are taken under it (SQLite's write
    /// transaction does it there), and an erasure takes it too, so no outcome slips past one.
    public static let sequenceLock: Int64 = 0x4F46_4652_5345_5131  // "OFFRSEQ1"

    public static func lockSequences(_ db: any SQLDatabase) throws {
        if db.dialect == .postgres { try db.execute("SELECT pg_advisory_xact_lock(\(sequenceLock))") }
    }

    /// The outcomes of the decisions logged since `since` (Unix ms), in sequence order: what a
    /// report counts. A store the feedback service never ran on has no outcomes table; the error says so.
    public static func outcomes(ofDecisionsSince since: Int64, _ db: any SQLDatabase) throws -> [OutcomeEvent] {
        do {
            return try db.query("""
                SELECT o.event FROM outcomes o JOIN decisions d ON d.id = o.decision_id WHERE d.time_ms >= $1 ORDER BY o.sequence
                """, [.integer(since)]).map { try OutcomeEvent(serializedBytes: $0.blob(0) ?? []) }
        } catch let error as StoreError {
            throw StoreError(error.kind, "no outcomes to read (has the feedback service run on this store?): \(error.message)")
        }
    }
}
