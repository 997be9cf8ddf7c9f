// A connection to the system of record, SQLite or PostgreSQL. Statements are written once,
// with PostgreSQL's `$1, $2` placeholders and the SQL both dialects share (ON CONFLICT,
// RETURNING); schemas, which differ in column types, are given per dialect.
// A connection belongs to one thread for its whole life, like a ZeroMQ socket.

public enum SQLDialect: String, Sendable {
    case sqlite, postgres

    /// The column type for bytes.
    public var blobType: String { self == .postgres ? "BYTEA" : "BLOB" }
}

public protocol SQLDatabase: AnyObject {
    var dialect: SQLDialect { get }

    /// Runs a statement; returns the number of rows it changed.
    @discardableResult
    func execute(_ sql: String, _ arguments: [SQLValue]) throws(StoreError) -> Int

    /// Runs a query and returns every row.
    func query(_ sql: String, _ arguments: [SQLValue]) throws(StoreError) -> [SQLRow]

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws
    /// (its error is rethrown). Durable once this returns: the caller may acknowledge.
    func transaction<T>(_ body: () throws -> T) throws -> T

    /// Runs `body`'s reads together: on SQLite one read transaction (one snapshot, one lock
    /// instead of one per statement); on PostgreSQL the statements as they come (no extra round
    /// trips; each sees the latest committed data). Inside a transaction it just runs `body`.
    func reading<T>(_ body: () throws -> T) throws -> T

    func close()
}

extension SQLDatabase {
    public func execute(_ sql: String) throws(StoreError) { try execute(sql, []) }

    /// The first row, or nil.
    public func row(_ sql: String, _ arguments: [SQLValue]) throws(StoreError) -> SQLRow? {
        try query(sql, arguments).first
    }

    /// Runs a schema's `CREATE … IF NOT EXISTS` statements in one transaction. Safe when several
    /// replicas start at once: PostgreSQL's IF NOT EXISTS races on the catalog, so there the
    /// transaction first takes an advisory lock (SQLite's write transaction already serializes).
    /// On PostgreSQL, objects that exist are skipped: `CREATE INDEX IF NOT EXISTS` locks its table
    /// before it looks, and a replica restarted under load would deadlock with the running ones.
    public func createSchema(_ statements: [String]) throws {
        try transaction {
            if dialect == .postgres { try execute("SELECT pg_advisory_xact_lock(\(Self.schemaLock))") }
            for statement in statements {
                if dialect == .postgres, let name = Self.createdName(statement),
                   try row("SELECT 1 FROM pg_class WHERE relname = $1 AND pg_table_is_visible(oid)", [.text(name)]) != nil {
                    continue
                }
                try execute(statement)
            }
        }
    }

    /// The name a `CREATE … IF NOT EXISTS NAME …` statement creates.
    static func createdName(_ statement: String) -> String? {
        guard let range = statement.range(of: "IF NOT EXISTS ") else { return nil }
        let name = statement[range.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        return name.isEmpty ? nil : name.lowercased()
    }
}

extension SQLDatabase {
    /// The advisory lock key that serializes schema creation ("OFFRLOOP" in ASCII).
    static var schemaLock: Int64 { 0x4F46_4652_4C4F_4F50 }
}

/// What went wrong in the store; the transport turns it into a wire error at the service edge.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// The database cannot be reached or opened.
        case unavailable
        /// A uniqueness or foreign-key constraint refused the write.
        case constraint
        /// The statement or the data is wrong: a programming error or a corrupt store.
        case failed
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

extension SQLDatabase {
    /// What `make` builds on this new connection (a repository, a log), which then owns it; if
    /// `make` throws, the connection is closed: its opener throws, so nobody else would.
    public func handedTo<T>(_ make: (any SQLDatabase) throws -> T) throws -> T {
        do {
            return try make(self)
        } catch {
            close()
            throw error
        }
    }

    /// `body`'s result, with this connection closed after it, however it ended.
    public func closing<T>(after body: (any SQLDatabase) throws -> T) throws -> T {
        defer { close() }
        return try body(self)
    }
}
