// The shared store: one PostgreSQL connection (postgres-nio) used synchronously by the thread
// that owns it. Worker threads are plain blocking threads, so each statement waits on its
// EventLoopFuture; the event loops are postgres-nio's, shared by every connection in the process.
// Nothing waits forever: a lock is waited for at most `lockTimeout`, a session left idle inside a
// transaction is ended by the server (its locks with it), and a statement without an answer after
// `answerTimeout` closes the connection (the next statement opens a new one).
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

public final class PostgreSQLDatabase: SQLDatabase {
    public let dialect = SQLDialect.postgres
    public let settings: PostgresSettings
    private var connection: PostgresConnection?
    private var inTransaction = false
    /// Closed by its owner: no statement runs after (a lost connection is opened again, this is not).
    private var closed = false
    private static let logger = Logger(label: "offerloop.store.postgres")
    /// The longest a statement waits for a lock before it fails as unavailable.
    static let lockTimeout = "5s"
    /// How long the server keeps a session that sits idle inside a transaction.
    static let idleInTransactionTimeout = "15s"
    /// How long a statement may go without an answer before its connection is given up.
    static let answerTimeout = TimeAmount.seconds(30)

    public init(_ settings: PostgresSettings) throws(StoreError) {
        self.settings = settings
        connection = try connect()
    }

    // Its owner closes it, on its thread (`defer { db.close() }` or in its shutdown), not whichever
    // thread drops the last reference. (A connection that never opened has nothing to close.)
    deinit {
        assert(closed || connection == nil, "PostgreSQL connection to \(settings.host):\(settings.port) was not closed by its owner")
    }

    private func connect() throws(StoreError) -> PostgresConnection {
        var configuration = PostgresConnection.Configuration(
            host: settings.host, port: settings.port, username: settings.user, password: settings.password,
            database: settings.database, tls: .disable)
        configuration.options.additionalStartupParameters = [
            ("lock_timeout", Self.lockTimeout), ("idle_in_transaction_session_timeout", Self.idleInTransactionTimeout),
        ]
        do {
            return try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: 1, logger: Self.logger
            ).wait()
        } catch {
            throw Self.storeError(error, settings: settings)
        }
    }

    @discardableResult
    public func execute(_ sql: String, _ arguments: [SQLValue]) throws(StoreError) -> Int {
        try run(sql, arguments).metadata.rows ?? 0
    }

    public func query(_ sql: String, _ arguments: [SQLValue]) throws(StoreError) -> [SQLRow] {
        try run(sql, arguments).rows.map { row in SQLRow(row.map(Self.value)) }
    }

    public func transaction<T>(_ body: () throws -> T) throws -> T {
        precondition(!inTransaction, "transactions do not nest")
        try execute("BEGIN")
        inTransaction = true
        defer { inTransaction = false }
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            // A connection in trouble is not asked to roll back (such a ROLLBACK was seen to
            // wait forever after a server crash): it is closed, and the server rolls back.
            if let storeError = error as? StoreError, storeError.kind == .unavailable {
                if let dropped = connection {
                    // Held until closed: postgres-nio requires a connection closed before it goes.
                    dropped.close().whenComplete { _ in withExtendedLifetime(dropped) {} }
                }
                connection = nil
            } else {
                _ = try? execute("ROLLBACK")
            }
            throw error
        }
    }

    public func reading<T>(_ body: () throws -> T) throws -> T { try body() }

    /// Closes the connection. Closing again does nothing; a statement after it throws `unavailable`.
    public func close() {
        closed = true
        guard let connection else { return }
        try? connection.close().wait()
        self.connection = nil
    }

    private func run(_ sql: String, _ arguments: [SQLValue]) throws(StoreError) -> PostgresQueryResult {
        guard !closed else { throw StoreError(.unavailable, "PostgreSQL connection to \(settings.host):\(settings.port) is closed") }
        // A connection lost between requests is opened again; inside a transaction it is an error.
        if connection == nil || (connection!.isClosed && !inTransaction) {
            connection = try connect()
        }
        var binds = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            switch argument {
            case .null: binds.appendNull()
            case .integer(let v): binds.append(v)
            case .real(let v): binds.append(v)
            case .text(let v): binds.append(v)
            case .blob(let v): binds.append(ByteBuffer(bytes: v))
            }
        }
        let connection = connection!
        let giveUp = connection.eventLoop.scheduleTask(in: Self.answerTimeout) {
            Self.logger.error("no answer from PostgreSQL; closing the connection", metadata: ["statement": "\(sql.prefix(80))"])
            connection.close().whenComplete { _ in }
        }
        defer { giveUp.cancel() }
        do {
            return try connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: Self.logger).wait()
        } catch {
            throw Self.storeError(error, settings: settings)
        }
    }

    private static func value(_ cell: PostgresCell) -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return (try? cell.decode(Int64.self)).map(SQLValue.integer) ?? .null
        case .float4, .float8: return (try? cell.decode(Double.self)).map(SQLValue.real) ?? .null
        case .bool: return (try? cell.decode(Bool.self)).map { .integer($0 ? 1 : 0) } ?? .null
        case .bytea: return (try? cell.decode(ByteBuffer.self)).map { .blob(Array($0.readableBytesView)) } ?? .null
        case .numeric: return (try? cell.decode(String.self)).flatMap(Double.init).map(SQLValue.real) ?? .null
        default: return (try? cell.decode(String.self)).map(SQLValue.text) ?? .null
        }
    }

    private static func storeError(_ error: any Error, settings: PostgresSettings) -> StoreError {
        guard let error = error as? PSQLError else {
            return StoreError(.unavailable, "PostgreSQL at \(settings.host):\(settings.port): \(error)")
        }
        if let state = error.serverInfo?[.sqlState] {
            let message = error.serverInfo?[.message] ?? "\(error.code)"
            let detail = error.serverInfo?[.detail].map { " (\($0))" } ?? ""
            // Connection trouble (08), shutdown or start-up (57), out of disk or memory (53), a
            // store gone read-only (25006) and a lock not had in time (55P03) pass: the service
            // answers them as retryable.
            let passing = ["08", "57", "53"].contains { state.hasPrefix($0) } || ["25006", "55P03"].contains(state)
            return StoreError(state.hasPrefix("23") ? .constraint : passing ? .unavailable : .failed,
                              "PostgreSQL: \(message)\(detail) [\(state)]")
        }
        return StoreError(.unavailable, "PostgreSQL at \(settings.host):\(settings.port): \(error.code)\(error.underlying.map { ": \($0)" } ?? "")")
    }
}
