// The stores a store test runs on: SQLite (a temporary file) and PostgreSQL (the throwaway server
// scripts/test starts; its URL is in OFFERLOOP_TEST_POSTGRES_URL). Each test gets a store of its
// own: a new file, or a new PostgreSQL schema. (A case prints as its name in the test's arguments.)
import Foundation
import Store

public enum Backend: String, CaseIterable, Sendable {
    case sqlite, postgres

    public static var all: [Backend] {
        // Set only to run without PostgreSQL on purpose (scripts/test never sets it).
        ProcessInfo.processInfo.environment["OFFERLOOP_SKIP_POSTGRES"] == "1" ? [.sqlite] : allCases
    }

    /// A fresh, empty store.
    public func open() throws -> any SQLDatabase {
        try openConnections(1)[0]
    }

    /// Several connections to one fresh, empty store.
    public func openConnections(_ count: Int) throws -> [any SQLDatabase] {
        switch self {
        case .sqlite:
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("store-test-\(UUID().uuidString).sqlite").path
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
