// The decision log's table in the store: one row per decision, the whole DecisionRecord as bytes.
// Written by the decision service (from its journals), read by the feedback service.
import Store
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
        ])
    }

    public static func insert(_ records: [(record: DecisionRecord, bytes: [UInt8])], _ db: any SQLDatabase) throws {
        try db.transaction {
            for (record, bytes) in records {
                try db.execute("""
                    INSERT INTO decisions (id, time_ms, customer_id, channel, control, degraded, record) VALUES ($1, $2, $3, $4, $5, $6, $7)
                    ON CONFLICT (id) DO NOTHING
                    """, [.text(record.decisionID), .integer(record.timeUnixMs), .text(record.customerID),
                          .text(ChannelName.name(record.channel) ?? ""), .integer(record.control ? 1 : 0), .integer(record.degraded ? 1 : 0),
                          .blob(bytes)])
            }
        }
    }

    /// A logged decision, if it reached the log.
    public static func find(_ id: String, _ db: any SQLDatabase) throws -> DecisionRecord? {
        guard let bytes = try db.row("SELECT record FROM decisions WHERE id = $1", [.text(id)])?.blob(0) else { return nil }
        return try DecisionRecord(serializedBytes: bytes)
    }
}
