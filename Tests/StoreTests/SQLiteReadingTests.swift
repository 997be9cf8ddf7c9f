// SQLite's `reading`: the reads of a customer view see one snapshot, even while another
// connection commits in between; inside a write transaction it simply runs.
import Foundation
import Testing
@testable import Store

@Suite struct SQLiteReadingTests {
    @Test func readsTogetherSeeOneSnapshotWhileAnotherConnectionWrites() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("reading-\(UUID().uuidString).sqlite").path
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
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("version-\(UUID().uuidString).sqlite").path
        let db = try SQLiteDatabase(path: path)
        defer { db.close() }
        let version = try #require(try db.row("SELECT sqlite_version()", [])?.text(0))
        let parts = version.split(separator: ".").compactMap { Int($0) }
        #expect(parts.count == 3 && parts[0] * 1_000_000 + parts[1] * 1_000 + parts[2] >= SQLiteDatabase.minimumVersion, "SQLite \(version)")
        #expect(version == SQLiteDatabase.libraryVersion)
        #expect(try db.row("PRAGMA journal_mode", [])?.text(0) == "wal")
    }

    @Test func moreThanOneStatementInACallIsRefusedNotHalfRun() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("two-\(UUID().uuidString).sqlite").path
        let db = try SQLiteDatabase(path: path)
        defer { db.close() }
        try db.execute("CREATE TABLE t (x INTEGER);")
        #expect(throws: StoreError.self) { try db.execute("INSERT INTO t VALUES (1); DROP TABLE t", []) }
        #expect(try db.row("SELECT COUNT(*) FROM t", [])?.int(0) == 0)
    }
}
