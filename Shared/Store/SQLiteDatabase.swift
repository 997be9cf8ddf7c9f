// The embedded store: one SQLite file under the data directory, through GRDB. WAL mode, so
// several processes (profile replicas on one machine) read while one writes, and a commit
// is durable (synchronous=FULL) before the caller acknowledges.
import Foundation
import GRDB

public final class SQLiteDatabase: SQLDatabase {
    public let dialect = SQLDialect.sqlite
    public let path: String
    private let queue: DatabaseQueue
    /// The connection while a transaction runs, so statements inside it do not re-enter the queue.
    private var current: Database?
    /// `$N` placeholders rewritten to SQLite's `?N`, per statement text.
    private var rewritten: [String: String] = [:]

    public init(path: String, busyTimeoutSeconds: Double = 10) throws(StoreError) {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeoutSeconds)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON")
        }
        do {
            try FileManager.default.createDirectory(
                at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw StoreError(.unavailable, "cannot open SQLite database \(path): \(error)")
        }
    }

    @discardableResult
    public func execute(_ sql: String, _ arguments: [SQLValue]) throws(StoreError) -> Int {
        try run(sql) { db, statement in
            try statement.setArguments(Self.arguments(arguments))
            try statement.execute()
            return db.changesCount
        }
    }

    public func query(_ sql: String, _ arguments: [SQLValue]) throws(StoreError) -> [SQLRow] {
        try run(sql) { _, statement in
            try statement.setArguments(Self.arguments(arguments))
            let cursor = try Row.fetchCursor(statement)
            var rows: [SQLRow] = []
            while let row = try cursor.next() {
                rows.append(SQLRow(row.databaseValues.map(Self.value)))
            }
            return rows
        }
    }

    public func transaction<T>(_ body: () throws -> T) throws -> T {
        precondition(current == nil, "transactions do not nest")
        return try inTransaction(.immediate, body)
    }

    public func reading<T>(_ body: () throws -> T) throws -> T {
        current == nil ? try inTransaction(.deferred, body) : try body()
    }

    private func inTransaction<T>(_ kind: Database.TransactionKind, _ body: () throws -> T) throws -> T {
        do {
            return try queue.inDatabase { db in
                current = db
                defer { current = nil }
                var result: T?
                try db.inTransaction(kind) {
                    result = try body()
                    return .commit
                }
                return result!
            }
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError {
            throw Self.storeError(error)
        }
    }

    public func close() {
        try? queue.close()
    }

    private func run<T>(_ sql: String, _ body: (Database, Statement) throws -> T) throws(StoreError) -> T {
        let text = sqliteText(sql)
        do {
            if let db = current {
                return try body(db, try db.cachedStatement(sql: text))
            }
            return try queue.inDatabase { db in try body(db, try db.cachedStatement(sql: text)) }
        } catch let error as DatabaseError {
            throw Self.storeError(error)
        } catch {
            throw StoreError(.failed, "\(error)")
        }
    }

    private func sqliteText(_ sql: String) -> String {
        if let text = rewritten[sql] { return text }
        var text = ""
        var previous: Character = " "
        for character in sql {
            text.append(character == "$" && previous != "'" ? "?" : character)
            previous = character
        }
        rewritten[sql] = text
        return text
    }

    private static func arguments(_ values: [SQLValue]) -> StatementArguments {
        StatementArguments(values.map { value -> DatabaseValue in
            switch value {
            case .null: .null
            case .integer(let v): v.databaseValue
            case .real(let v): v.databaseValue
            case .text(let v): v.databaseValue
            case .blob(let v): Data(v).databaseValue
            }
        })
    }

    private static func value(_ value: DatabaseValue) -> SQLValue {
        switch value.storage {
        case .null: .null
        case .int64(let v): .integer(v)
        case .double(let v): .real(v)
        case .string(let v): .text(v)
        case .blob(let v): .blob(Array(v))
        }
    }

    private static func storeError(_ error: DatabaseError) -> StoreError {
        switch error.resultCode {
        case .SQLITE_CONSTRAINT: StoreError(.constraint, error.message ?? "\(error)")
        case .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_CANTOPEN, .SQLITE_FULL, .SQLITE_IOERR:
            StoreError(.unavailable, "SQLite: \(error.message ?? "\(error)")")
        default: StoreError(.failed, "SQLite: \(error.message ?? "\(error)") in \(error.sql ?? "?")")
        }
    }
}
