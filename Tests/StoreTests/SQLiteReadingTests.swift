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
