// The SQLite wrapper: reads together see one snapshot (even while another connection commits; inside
// a write transaction `reading` simply runs), values and errors cross unchanged, the library is one
// without the WAL-reset bug.
import Foundation
import Testing
@testable import Store

/// A new database file's path under the temporary directory.
func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString).sqlite").path
}

@Suite struct SQLiteReadingTests {
    @Test func readsTogetherSeeOneSnapshotWhileAnotherConnectionWrites() throws {
        let path = temporaryPath("reading")
        let reader = try SQLiteDatabase(path: path), writer = try SQLiteDatabase(path: path)
        defer { reader.close(); writer.close() }
        try writer.execute("CREATE TABLE t (x INTEGER)")
        try writer.execute("INSERT INTO t VALUES (1)", [])
        let count = "SELECT COUNT(*) FROM t"
        let (before, after) = try reader.reading {
            let before = try reader.row(count, [])?.int(0)
            try writer.execute("INSERT INTO t VALUES (2)", [])
            return (before, try reader.row(count, [])?.int(0))
        }
        #expect(before == 1 && after == 1, "one snapshot for the whole read")
        #expect(try reader.row(count, [])?.int(0) == 2, "the next read sees the commit")
        let inside = try reader.transaction { try reader.reading { try reader.row(count, [])?.int(0) } }
        #expect(inside == 2)
    }
}

@Suite struct SQLiteLibraryTests {
    /// The system SQLite of Debian 12 (3.40) has the WAL-reset bug; the stores must run one without.
    @Test func theStoresRunAnSQLiteWithoutTheWALResetBug() throws {
        let db = try SQLiteDatabase(path: temporaryPath("version"))
        defer { db.close() }
        let version = try #require(try db.row("SELECT sqlite_version()", [])?.text(0))
        let parts = version.split(separator: ".").compactMap { Int($0) }
        #expect(parts.count == 3 && parts[0] * 1_000_000 + parts[1] * 1_000 + parts[2] >= SQLiteDatabase.minimumVersion, "SQLite \(version)")
        #expect(version == SQLiteDatabase.libraryVersion)
        #expect(try db.row("PRAGMA journal_mode", [])?.text(0) == "wal")
    }

    @Test func moreThanOneStatementInACallIsRefusedNotHalfRun() throws {
        let db = try SQLiteDatabase(path: temporaryPath("two"))
        defer { db.close() }
        try db.execute("CREATE TABLE t (x INTEGER);")
        #expect(throws: StoreError.self) { try db.execute("INSERT INTO t VALUES (1); DROP TABLE t", []) }
        #expect(try db.row("SELECT COUNT(*) FROM t", [])?.int(0) == 0)
    }

    /// SQLite 3.54 plans `LIMIT $n` with the number bound and, unless plans are kept stable,
    /// prepares such a statement again whenever a number is bound: a cached statement must run
    /// as it was prepared, whatever is bound.
    @Test func aCachedStatementIsNotPreparedAgainForNewBindings() throws {
        let db = try SQLiteDatabase(path: temporaryPath("stable"))
        defer { db.close() }
        try db.execute("CREATE TABLE t (k TEXT, x INTEGER)")
        for x in 0..<10 { try db.execute("INSERT INTO t VALUES ('a', $1)", [.integer(Int64(x))]) }
        let sql = "SELECT x FROM t WHERE k = $1 AND x >= $2 ORDER BY x LIMIT $3"
        for limit in 1...5 {
            let rows = try db.query(sql, [.text("a"), .integer(Int64(limit)), .integer(Int64(limit))])
            #expect(rows.map { $0.int(0) } == (limit..<2 * limit).map { Int64($0) })
        }
        #expect(db.timesPreparedAgain(sql) == 0)
    }
}

/// The wrapper over SQLite's C API: values cross unchanged, errors keep their kind, a failed
/// transaction leaves nothing.
@Suite struct SQLiteDatabaseTests {
    @Test func everyKindOfValueComesBackAsItWent() throws {
        let db = try SQLiteDatabase(path: temporaryPath("wrapper"))
        defer { db.close() }
        try db.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n INTEGER)")
        let rows: [[SQLValue]] = [
            [.integer(.max), .real(-0.125), .text("Zoë 🏧 \u{0}end"), .blob([0, 255, 7]), .null],
            [.integer(.min), .real(1e300), .text(""), .blob([]), .null],
        ]
        for row in rows { try db.execute("INSERT INTO t VALUES ($1, $2, $3, $4, $5)", row) }
        let back = try db.query("SELECT i, r, s, b, n FROM t ORDER BY rowid", []).map(\.values)
        #expect(back == rows, "an empty blob stays an empty blob, not NULL; text keeps its NUL")
    }

    @Test func aConstraintIsNamedAndAFailedTransactionLeavesNothing() throws {
        let db = try SQLiteDatabase(path: temporaryPath("wrapper"))
        defer { db.close() }
        try db.execute("CREATE TABLE t (id TEXT PRIMARY KEY)")
        try db.execute("INSERT INTO t VALUES ($1)", ["a"])
        #expect(try db.execute("INSERT INTO t VALUES ($1) ON CONFLICT (id) DO NOTHING", ["a"]) == 0)
        let error = try #require(throws: StoreError.self) {
            try db.transaction {
                try db.execute("INSERT INTO t VALUES ($1)", ["b"])
                try db.execute("INSERT INTO t VALUES ($1)", ["a"])
            }
        }
        #expect(error.kind == .constraint && error.message.contains("UNIQUE"), "\(error)")
        #expect(try db.query("SELECT id FROM t", []).map { $0.text(0) } == ["a"])
        #expect(try db.execute("INSERT INTO t VALUES ($1)", ["c"]) == 1, "usable after the rollback")
    }

    @Test func aLockHeldLongerThanTheBusyTimeoutIsUnavailableAndBadSQLAFailure() throws {
        let path = temporaryPath("busy")
        let holder = try SQLiteDatabase(path: path), waiter = try SQLiteDatabase(path: path, busyTimeoutSeconds: 0.05)
        defer { holder.close(); waiter.close() }
        try holder.execute("CREATE TABLE t (x INTEGER)")
        let error = try #require(throws: StoreError.self) {
            try holder.transaction {
                try holder.execute("INSERT INTO t VALUES (1)", [])
                try waiter.execute("INSERT INTO t VALUES (2)", [])
            }
        }
        #expect(error.kind == .unavailable, "\(error)")
        let bad = try #require(throws: StoreError.self) { try waiter.execute("INSERT INTO nowhere VALUES (1)", []) }
        #expect(bad.kind == .failed && bad.message.contains("no such table: nowhere"), "\(bad)")
        waiter.close()
        let closed = try #require(throws: StoreError.self) { try waiter.query("SELECT 1", []) }
        #expect(closed.kind == .unavailable, "\(closed)")
    }
}

/// The write-ahead log beside writers that never wait for a checkpoint: copied in the
/// background, and started over once past its limit — not while a reader is still in it.
@Suite struct SQLiteCheckpointTests {
    @Test func aLogPastItsLimitStartsOverOnceNoReaderIsInItAndItsFileIsCutBack() throws {
        let path = temporaryPath("checkpoint")
        let writer = try SQLiteDatabase(path: path), reader = try SQLiteDatabase(path: path)
        let checkpointer = try SQLiteDatabase(path: path, busyTimeoutSeconds: 0.05)
        defer { writer.close(); reader.close(); checkpointer.close() }
        let limit = 1 << 20
        _ = try writer.query("PRAGMA wal_autocheckpoint = 0", [])  // as the feedback service's workers
        _ = try writer.query("PRAGMA journal_size_limit = \(limit)", [])
        try writer.execute("CREATE TABLE t (x BLOB)")
        func write(_ rows: Int) throws {
            for _ in 0..<rows { try writer.execute("INSERT INTO t VALUES (randomblob(4000))", []) }
        }
        func logFrames() throws -> Int64? { try checkpointer.row("PRAGMA wal_checkpoint(PASSIVE)", [])?.int(1) }
        func logFileBytes() throws -> Int { try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0 }

        try write(50)  // about 200 KB of log
        #expect(try checkpointer.backgroundCheckpoint(restartAbove: limit) == .copied)
        // A reader in the log while it grows past the limit: it cannot start over under the reader.
        try reader.reading {
            #expect(try reader.row("SELECT COUNT(*) FROM t", [])?.int(0) == 50)
            try write(500)
            #expect(try checkpointer.backgroundCheckpoint(restartAbove: limit) == .restartPending)
        }
        #expect(try logFileBytes() > limit)
        #expect(try checkpointer.backgroundCheckpoint(restartAbove: limit) == .restarted)
        // The next commit writes the log from its start, and cuts the file back to the limit.
        try write(1)
        #expect(try logFrames() ?? .max < 10)
        #expect(try logFileBytes() <= limit)
        #expect(try reader.row("SELECT COUNT(*) FROM t", [])?.int(0) == 551, "nothing lost")
    }
}
