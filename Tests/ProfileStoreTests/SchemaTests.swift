// A replica that starts while the others write: creating the schema again must not wait for, or
// deadlock with, their open transactions (PostgreSQL's CREATE INDEX IF NOT EXISTS locks its
// table before it looks, so existing objects are skipped).
import Dispatch
import Foundation
import ProfileStore
import Store
import StoreBackends
import Testing

struct SchemaTests {
    @Test func theSchemaIsCreatedAgainBesideAnOpenWriteTransaction() throws {
        guard Backend.all.contains(.postgres) else { return }
        let connections = try Backend.postgres.openConnections(2)
        defer { connections.forEach { $0.close() } }
        _ = try repository(.postgres, db: connections[0])
        // The starter's connection is used by one thread at a time: its own, then the test's.
        nonisolated(unsafe) let starter = connections[1]
        try whileTransactionIsOpen(on: connections[0], "INSERT INTO customers (id, version, created_ms, updated_ms) VALUES ('w1', 1, 0, 0)") {
            let started = DispatchSemaphore(value: 0)
            nonisolated(unsafe) var failure: (any Error)?
            DispatchQueue.global().async {
                do { _ = try repository(.postgres, db: starter) } catch { failure = error }
                started.signal()
            }
            // A hang guard, not a speed check: before the fix this waited for the writer for ever.
            #expect(started.wait(timeout: .now() + 30) == .success, "the schema was created again while a write transaction was open")
            #expect(failure == nil, "\(String(describing: failure))")
        }
    }
}

/// A lock held by a session that does not let go (a stuck replica) fails a waiting statement as
/// retryable after PostgreSQL's lock timeout, instead of blocking its thread for ever; the
/// connection then serves again.
struct LockTimeoutTests {
    @Test func aLockNeverReleasedFailsTheWaiterAsUnavailable() throws {
        guard Backend.all.contains(.postgres) else { return }
        let connections = try Backend.postgres.openConnections(2)
        defer { connections.forEach { $0.close() } }
        let waiter = connections[1]
        try whileTransactionIsOpen(on: connections[0], "SELECT pg_advisory_xact_lock(4242)") {
            #expect {
                try waiter.transaction { try waiter.execute("SELECT pg_advisory_xact_lock(4242)") }
            } throws: { error in
                let error = error as? StoreError
                return error?.kind == .unavailable && error?.message.contains("55P03") == true
            }
            let afterwards = try waiter.row("SELECT 1", [])?.int(0)
            #expect(afterwards == 1, "the connection serves again")
        }
    }
}

/// Runs `statement` in a transaction on `db`, on another thread, and keeps that transaction
/// (and what it locked) open while `body` runs.
func whileTransactionIsOpen(on db: any SQLDatabase, _ statement: String, _ body: () throws -> Void) throws {
    nonisolated(unsafe) let db = db  // used by the other thread only, until `done`
    let holding = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
    DispatchQueue.global().async {
        try? db.transaction {
            do { try db.execute(statement) } catch {
                holding.signal()
                throw error
            }
            holding.signal()
            release.wait()
        }
        done.signal()
    }
    holding.wait()
    defer {
        release.signal()
        done.wait()
    }
    try body()
}
