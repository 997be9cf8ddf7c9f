// A replica that starts while the others write: creating the schema again must not wait for, or
// deadlock with, their open transactions (PostgreSQL's CREATE INDEX IF NOT EXISTS locks its
// table before it looks, so existing objects are skipped).
import Dispatch
import Foundation
import ProfileStore
import Store
import Testing

struct SchemaTests {
    @Test func theSchemaIsCreatedAgainBesideAnOpenWriteTransaction() throws {
        guard Backend.all.contains(.postgres) else { return }
        let connections = try Backend.postgres.openConnections(2)
        // Each connection is used by one thread at a time: the writer's, then the starter's.
        nonisolated(unsafe) let writer = connections[0], starter = connections[1]
        _ = try repository(.postgres, db: writer)
        let writing = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            try? writer.transaction {
                try writer.execute("INSERT INTO customers (id, version, created_ms, updated_ms) VALUES ('w1', 1, 0, 0)")
                writing.signal()
                release.wait()
            }
            done.signal()
        }
        writing.wait()
        let started = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var failure: (any Error)?
        DispatchQueue.global().async {
            do { _ = try repository(.postgres, db: starter) } catch { failure = error }
            started.signal()
        }
        // A hang guard, not a speed check: before the fix this waited for the writer for ever.
        let result = started.wait(timeout: .now() + 30)
        release.signal()
        done.wait()
        #expect(result == .success, "the schema was created again while a write transaction was open")
        #expect(failure == nil, "\(String(describing: failure))")
    }
}
