// The same profile-store tests run on SQLite (a temporary file) and on PostgreSQL (the
// throwaway server scripts/test starts; its URL is in OFFERLOOP_TEST_POSTGRES_URL). Each test
// gets a store of its own: a new file, or a new PostgreSQL schema.
import Foundation
import ProfileStore
import Store
import Testing

enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres

    var testDescription: String { rawValue }

    static var all: [Backend] {
        // Set only to run without PostgreSQL on purpose (scripts/test never sets it).
        ProcessInfo.processInfo.environment["OFFERLOOP_SKIP_POSTGRES"] == "1" ? [.sqlite] : allCases
    }

    /// A fresh, empty store.
    func open() throws -> any SQLDatabase {
        try openConnections(1)[0]
    }

    /// Several connections to one fresh, empty store.
    func openConnections(_ count: Int) throws -> [any SQLDatabase] {
        switch self {
        case .sqlite:
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("profile-test-\(UUID().uuidString).sqlite").path
            return try Self.each(count) { _ in try SQLiteDatabase(path: path) }
        case .postgres:
            guard let url = ProcessInfo.processInfo.environment["OFFERLOOP_TEST_POSTGRES_URL"] else {
                throw StoreError(.unavailable, "OFFERLOOP_TEST_POSTGRES_URL is not set: run the tests with scripts/test, which starts PostgreSQL")
            }
            let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
            return try Self.each(count) { index in
                try StoreLocation(url).open().handedTo { db in
                    if index == 0 { try db.execute("CREATE SCHEMA \(schema)") }
                    try db.execute("SET search_path TO \(schema)")
                    return db
                }
            }
        }
    }

    /// `count` connections made by `open`; if one cannot be made, those made before it are closed.
    static func each(_ count: Int, _ open: (Int) throws -> any SQLDatabase) throws -> [any SQLDatabase] {
        var made: [any SQLDatabase] = []
        do {
            for index in 0..<count { made.append(try open(index)) }
            return made
        } catch {
            made.forEach { $0.close() }
            throw error
        }
    }
}

/// A repository with predictable customer ids: c1, c2, ...
func repository(_ backend: Backend, db: (any SQLDatabase)? = nil) throws -> ProfileRepository {
    let counter = Counter()
    return try ProfileRepository(db: db ?? backend.open(), newCustomerID: { "c\(counter.next())" })
}

final class Counter: @unchecked Sendable {
    private var value = 0
    func next() -> Int {
        value += 1
        return value
    }
}
