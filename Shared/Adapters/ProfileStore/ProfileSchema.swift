// The profile tables. One DDL serves SQLite and PostgreSQL: BIGINT, DOUBLE PRECISION and
// TEXT mean the same to both. Every write to a customer bumps customers.version, which is
// what replicas' caches check against, so a read after an acknowledged write sees it.
import Store

enum ProfileSchema {
    static let statements = [
        """
        CREATE TABLE IF NOT EXISTS customers (
            id TEXT PRIMARY KEY, version BIGINT NOT NULL, created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL,
            merged_into TEXT, erased_ms BIGINT)
        """,
        "CREATE INDEX IF NOT EXISTS customers_merged_into ON customers (merged_into)",
        """
        CREATE TABLE IF NOT EXISTS identities (
            kind TEXT NOT NULL, value TEXT NOT NULL, customer_id TEXT NOT NULL, added_ms BIGINT NOT NULL,
            PRIMARY KEY (kind, value))
        """,
        "CREATE INDEX IF NOT EXISTS identities_customer ON identities (customer_id)",
        """
        CREATE TABLE IF NOT EXISTS attributes (
            customer_id TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, updated_ms BIGINT NOT NULL,
            PRIMARY KEY (customer_id, name))
        """,
        """
        CREATE TABLE IF NOT EXISTS holdings (
            customer_id TEXT NOT NULL, product TEXT NOT NULL, balance DOUBLE PRECISION NOT NULL,
            opened_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL, PRIMARY KEY (customer_id, product))
        """,
        """
        CREATE TABLE IF NOT EXISTS balances (
            customer_id TEXT NOT NULL, product TEXT NOT NULL, time_ms BIGINT NOT NULL, balance DOUBLE PRECISION NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS balances_customer ON balances (customer_id, time_ms)",
        """
        CREATE TABLE IF NOT EXISTS transactions (
            customer_id TEXT NOT NULL, time_ms BIGINT NOT NULL, amount DOUBLE PRECISION NOT NULL, quantity BIGINT NOT NULL,
            channel TEXT NOT NULL, product TEXT NOT NULL, key TEXT UNIQUE)
        """,
        "CREATE INDEX IF NOT EXISTS transactions_customer ON transactions (customer_id, time_ms)",
        // Per customer, what the value models read, kept by every write of transactions
        // (ProfileRepository+ValueSummaries).
        """
        CREATE TABLE IF NOT EXISTS value_summaries (
            customer_id TEXT PRIMARY KEY, days BIGINT NOT NULL, first_day BIGINT NOT NULL, last_day BIGINT NOT NULL,
            spend DOUBLE PRECISION NOT NULL, first_day_spend DOUBLE PRECISION NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS events (
            customer_id TEXT NOT NULL, time_ms BIGINT NOT NULL, type TEXT NOT NULL, channel TEXT NOT NULL,
            data TEXT NOT NULL, key TEXT UNIQUE)
        """,
        "CREATE INDEX IF NOT EXISTS events_customer ON events (customer_id, time_ms)",
        "CREATE INDEX IF NOT EXISTS events_time ON events (time_ms)",
        """
        CREATE TABLE IF NOT EXISTS sessions (
            customer_id TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, expires_ms BIGINT NOT NULL,
            PRIMARY KEY (customer_id, name))
        """,
        """
        CREATE TABLE IF NOT EXISTS merges (
            merged_id TEXT PRIMARY KEY, survivor_id TEXT NOT NULL, time_ms BIGINT NOT NULL, reason TEXT NOT NULL,
            overruled TEXT NOT NULL)
        """,
        // Every merge, with who asked and what moved (MergeRecord, JSON), so that it can be undone.
        """
        CREATE TABLE IF NOT EXISTS merge_records (
            merged_id TEXT NOT NULL, time_ms BIGINT NOT NULL, survivor_id TEXT NOT NULL, caller TEXT NOT NULL, reason TEXT NOT NULL,
            record TEXT NOT NULL, undone_ms BIGINT, undone_by TEXT, PRIMARY KEY (merged_id, time_ms))
        """,
        "CREATE INDEX IF NOT EXISTS merge_records_survivor ON merge_records (survivor_id)",
        "CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL, updated_ms BIGINT NOT NULL)",
        // Files loaded by `offerloop import`, by kind and SHA-256: the same file again is a no-op.
        """
        CREATE TABLE IF NOT EXISTS imports (
            kind TEXT NOT NULL, sha256 TEXT NOT NULL, file TEXT NOT NULL, records BIGINT NOT NULL, imported BIGINT NOT NULL,
            rejected BIGINT NOT NULL, imported_ms BIGINT NOT NULL, PRIMARY KEY (kind, sha256))
        """,
        // How far the outcome stream has been applied to the events (contact and response history).
        "CREATE TABLE IF NOT EXISTS stream_positions (stream TEXT PRIMARY KEY, sequence BIGINT NOT NULL)",
    ]

    /// Creates what is missing. Safe to run from every replica at start-up.
    static func migrate(_ db: any SQLDatabase) throws {
        try db.createSchema(statements + ProfileRepository.streamStatements(db.dialect))
        try ProfileRepository.markValueSummariesCompleteIfNew(db)
    }
}
