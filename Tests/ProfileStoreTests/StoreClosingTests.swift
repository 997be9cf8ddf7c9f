// A store connection is closed by its owner: closing twice does no harm, a closed connection
// refuses statements with a typed error (PostgreSQL's does not quietly open a new connection).
import Store
import StoreBackends
import Testing

struct StoreClosingTests {
    @Test(arguments: Backend.all)
    func aClosedConnectionRefusesStatements(_ backend: Backend) throws {
        let db = try backend.open()
        #expect(try db.row("SELECT 1", [])?.int(0) == 1)
        db.close()
        db.close()
        #expect {
            try db.execute("SELECT 1")
        } throws: { error in
            let error = error as? StoreError
            return error?.kind == .unavailable && error?.message.contains("closed") == true
        }
    }

    /// What an opener hands the connection to takes it over; if that fails, the connection is
    /// closed, so nothing is left for a deinit.
    @Test(arguments: Backend.all)
    func aConnectionHandedToAFailingMakerIsClosed(_ backend: Backend) throws {
        let db = try backend.open()
        defer { db.close() }
        #expect(throws: StoreError.self) {
            try db.handedTo { db in try db.execute("SELECT * FROM no_such_table") }
        }
        #expect(throws: StoreError.self) { try db.execute("SELECT 1") }
        let other = try backend.open()
        #expect(try other.closing { try $0.row("SELECT 2", [])?.int(0) } == 2)
        #expect(throws: StoreError.self) { try other.execute("SELECT 1") }
    }
}
