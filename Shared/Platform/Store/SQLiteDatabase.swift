// The embedded store: one SQLite file under the data directory. WAL mode, so several processes
// (replicas on one machine) read while one writes, and a commit is durable (synchronous=FULL)
// before the caller acknowledges.
//
// Over the SQLite that sqlite-nio vendors (3.54), not the system's: Debian 12 ships 3.40, which
// has the WAL-reset bug (3.7.0–3.51.2) — two processes writing and checkpointing one file can
// lose committed pages and corrupt it. Several replicas write each of our stores, and a chaos run
// hit it ("database disk image is malformed", acknowledged outcomes lost); `minimumVersion`
// and a test keep the fixed library in.
import CSQLiteOptions
import Foundation
import VaporCSQLite

public final class SQLiteDatabase: SQLDatabase {
    public let dialect = SQLDialect.sqlite
    public let path: String
    private var handle: OpaquePointer?
    /// Prepared statements by their text (as the caller wrote it).
    private var statements: [String: OpaquePointer] = [:]
    /// Inside BEGIN … COMMIT, as SQLite itself tells.
    private var inTransaction: Bool { handle.map { sqlite_nio_sqlite3_get_autocommit($0) == 0 } ?? false }

    /// The first SQLite release without the WAL-reset bug.
    public static let minimumVersion = 3_051_003
    /// The SQLite this process runs: "3.54.1".
    public static var libraryVersion: String { String(cString: sqlite_nio_sqlite3_libversion()) }

    /// The write-ahead log size past which `backgroundCheckpoint` starts it over, and the size a
    /// commit cuts the file back to then.
    public static let walSizeLimit = 64 << 20

    /// `create: false` opens only a database that exists (a missing file is `unavailable`, "no SQLite database at PATH").
    public init(path: String, busyTimeoutSeconds: Double = 10, create: Bool = true) throws(StoreError) {
        self.path = path
        precondition(sqlite_nio_sqlite3_libversion_number() >= Self.minimumVersion, "SQLite \(Self.libraryVersion) has the WAL-reset bug")
        guard create || FileManager.default.fileExists(atPath: path) else {
            throw StoreError(.unavailable, "no SQLite database at \(path)")
        }
        do {
            try FileManager.default.createDirectory(
                at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw StoreError(.unavailable, "cannot open SQLite database \(path): \(error)")
        }
        var opened: OpaquePointer?
        let code = sqlite_nio_sqlite3_open_v2(path, &opened, SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX, nil)
        handle = opened
        guard code == SQLITE_OK else {
            let message = self.message(code)
            close()
            throw StoreError(.unavailable, "cannot open SQLite database \(path): \(message)")
        }
        busyTimeout(seconds: busyTimeoutSeconds)
        // Stable plans: else every statement with `LIMIT $n` is prepared again at each execution
        // (a quarter of the profile revaluation's CPU before this; every profile view paid it too).
        guard offerloop_sqlite_enable_stable_plans(handle) == SQLITE_OK else {
            let message = self.message(sqlite_nio_sqlite3_errcode(handle))
            close()
            throw StoreError(.unavailable, "cannot open SQLite database \(path): query planner stability not set: \(message)")
        }
        // Two processes opening a new file at once: switching it to WAL can answer "locked" at
        // once, without the busy handler, while the other holds the lock for its own switch. Tried
        // again within the busy timeout.
        let giveUp = Date().addingTimeInterval(busyTimeoutSeconds)
        while true {
            do {
                for pragma in ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON",
                               "PRAGMA journal_size_limit = \(Self.walSizeLimit)"] {
                    _ = try query(pragma, [])
                }
                return
            } catch where error.kind == .unavailable && error.message.contains("locked") && Date() < giveUp {
                Thread.sleep(forTimeInterval: 0.05)
            } catch {
                close()
                throw StoreError(.unavailable, "cannot open SQLite database \(path): \(error)")
            }
        }
    }

    // Its owner closes it, on its thread (`defer { db.close() }` or in its shutdown), not whichever
    // thread drops the last reference.
    deinit {
        assert(handle == nil, "SQLite database \(path) was not closed by its owner")
    }

    @discardableResult
    public func execute(_ sql: String, _ arguments: [SQLValue]) throws(StoreError) -> Int {
        try run(sql, arguments) { _ in }
        return Int(sqlite_nio_sqlite3_changes(handle))
    }

    public func query(_ sql: String, _ arguments: [SQLValue]) throws(StoreError) -> [SQLRow] {
        var rows: [SQLRow] = []
        try run(sql, arguments) { statement in
            rows.append(SQLRow((0..<sqlite_nio_sqlite3_column_count(statement)).map { Self.value(statement, $0) }))
        }
        return rows
    }

    public func transaction<T>(_ body: () throws -> T) throws -> T {
        precondition(!inTransaction, "transactions do not nest")
        return try within("BEGIN IMMEDIATE", body)
    }

    public func reading<T>(_ body: () throws -> T) throws -> T {
        inTransaction ? try body() : try within("BEGIN DEFERRED", body)
    }

    private func within<T>(_ begin: String, _ body: () throws -> T) throws -> T {
        try execute(begin)
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            // A failed COMMIT or statement may have ended the transaction already.
            if inTransaction { try? execute("ROLLBACK") }
            throw error
        }
    }

    /// How long a statement waits for a lock another connection holds before it fails as unavailable.
    public func busyTimeout(seconds: Double) {
        sqlite_nio_sqlite3_busy_timeout(handle, Int32(seconds * 1000))
    }

    public enum Checkpoint: Sendable, Equatable {
        /// What the log held that no reader still needs is in the database now.
        case copied
        /// The log passed its limit and all of it is copied, with no reader left in it: the next
        /// commit writes it from the start again (and cuts the file back to the limit).
        case restarted
        /// The log passed its limit, but a reader or writer held on past this connection's busy
        /// timeout: try again.
        case restartPending
    }

    /// One checkpoint, for a thread that runs it every so often beside writers that never wait
    /// for one. PASSIVE first: it waits for no one. But SQLite writes the log from its start
    /// again only when a commit finds all of it copied and no reader in it, which a steady stream
    /// of commits never allows — the file would grow without end. So past `restartAbove` bytes a
    /// RESTART follows: it holds writers back while it copies the little the PASSIVE one left and
    /// waits, at most this connection's busy timeout, for readers to leave the log.
    public func backgroundCheckpoint(restartAbove limit: Int = walSizeLimit) throws(StoreError) -> Checkpoint {
        // (busy, frames in the log, frames copied)
        let passive = try query("PRAGMA wal_checkpoint(PASSIVE)", [])
        let pageSize = try query("PRAGMA page_size", []).first?.int(0) ?? 4096
        guard let frames = passive.first?.int(1), Int(frames) * (Int(pageSize) + 24) > limit else { return .copied }
        return try query("PRAGMA wal_checkpoint(RESTART)", []).first?.int(0) == 0 ? .restarted : .restartPending
    }

    /// Closes the connection. Closing again does nothing; a statement after it throws `unavailable`.
    public func close() {
        statements.values.forEach { sqlite_nio_sqlite3_finalize($0) }
        statements = [:]
        if let handle { sqlite_nio_sqlite3_close_v2(handle) }
        handle = nil
    }

    /// Runs a statement with its arguments, calling `row` for each row it returns.
    private func run(_ sql: String, _ arguments: [SQLValue], row: (OpaquePointer) -> Void) throws(StoreError) {
        let statement = try prepared(sql)
        defer {
            sqlite_nio_sqlite3_reset(statement)
            sqlite_nio_sqlite3_clear_bindings(statement)
        }
        for (index, value) in arguments.enumerated() {
            let code = Self.bind(value, at: Int32(index + 1), in: statement)
            guard code == SQLITE_OK else { throw error(code, sql) }
        }
        while true {
            let code = sqlite_nio_sqlite3_step(statement)
            switch code {
            case SQLITE_ROW: row(statement)
            case SQLITE_DONE: return
            default: throw error(code, sql)
            }
        }
    }

    /// How often SQLite prepared this cached statement again (nil: not in the cache).
    func timesPreparedAgain(_ sql: String) -> Int32? {
        statements[sql].map { sqlite_nio_sqlite3_stmt_status($0, SQLITE_STMTSTATUS_REPREPARE, 0) }
    }

    private func prepared(_ sql: String) throws(StoreError) -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        guard let handle else { throw StoreError(.unavailable, "SQLite database \(path) is closed") }
        var statement: OpaquePointer?
        var tail: UnsafePointer<CChar>?
        let code = sqliteText(sql).withCString { text in
            let code = sqlite_nio_sqlite3_prepare_v3(handle, text, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, &tail)
            // One statement per call: anything after it would be silently ignored.
            if code == SQLITE_OK, let tail, tail.pointee != 0, !String(cString: tail).allSatisfy({ $0.isWhitespace || $0 == ";" }) {
                return SQLITE_MISUSE
            }
            return code
        }
        guard code == SQLITE_OK, let statement else {
            if let statement { sqlite_nio_sqlite3_finalize(statement) }
            throw code == SQLITE_MISUSE ? StoreError(.failed, "SQLite: one statement per call, not \(sql)") : error(code, sql)
        }
        statements[sql] = statement
        return statement
    }

    /// `$N` placeholders as SQLite's `?N`.
    private func sqliteText(_ sql: String) -> String {
        var text = ""
        var previous: Character = " "
        for character in sql {
            text.append(character == "$" && previous != "'" ? "?" : character)
            previous = character
        }
        return text
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private static func bind(_ value: SQLValue, at index: Int32, in statement: OpaquePointer) -> Int32 {
        switch value {
        case .null: sqlite_nio_sqlite3_bind_null(statement, index)
        case .integer(let v): sqlite_nio_sqlite3_bind_int64(statement, index, v)
        case .real(let v): sqlite_nio_sqlite3_bind_double(statement, index, v)
        case .text(let v): sqlite_nio_sqlite3_bind_text64(statement, index, v, UInt64(v.utf8.count), transient, UInt8(SQLITE_UTF8))
        case .blob(let v): v.withUnsafeBytes { sqlite_nio_sqlite3_bind_blob64(statement, index, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), UInt64(v.count), transient) }
        }
    }

    private static func value(_ statement: OpaquePointer, _ column: Int32) -> SQLValue {
        switch sqlite_nio_sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER: .integer(sqlite_nio_sqlite3_column_int64(statement, column))
        case SQLITE_FLOAT: .real(sqlite_nio_sqlite3_column_double(statement, column))
        case SQLITE_TEXT:
            .text(sqlite_nio_sqlite3_column_text(statement, column).map {
                String(decoding: UnsafeBufferPointer(start: $0, count: Int(sqlite_nio_sqlite3_column_bytes(statement, column))), as: UTF8.self)
            } ?? "")
        case SQLITE_BLOB:
            .blob(sqlite_nio_sqlite3_column_blob(statement, column).map {
                Array(UnsafeRawBufferPointer(start: $0, count: Int(sqlite_nio_sqlite3_column_bytes(statement, column))))
            } ?? [])
        default: .null
        }
    }

    /// The error of a failed call: a busy, locked, full, read-only or failing store is
    /// unavailable (retryable); a refused write a constraint; the rest a failure naming the SQL.
    private func error(_ code: Int32, _ sql: String) -> StoreError {
        let message = self.message(code)
        switch code & 0xFF {
        case SQLITE_CONSTRAINT: return StoreError(.constraint, message)
        case SQLITE_BUSY, SQLITE_LOCKED, SQLITE_CANTOPEN, SQLITE_FULL, SQLITE_IOERR, SQLITE_READONLY:
            return StoreError(.unavailable, "SQLite: \(message)")
        default: return StoreError(.failed, "SQLite: \(message) in \(sql)")
        }
    }

    /// SQLite's text for the latest failure on this connection, or for `code` when there is none.
    private func message(_ code: Int32) -> String {
        handle.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? String(cString: sqlite_nio_sqlite3_errstr(code))
    }
}
