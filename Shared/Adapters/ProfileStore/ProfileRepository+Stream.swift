// The profile stream's store side: every write appends, in its own transaction, one change per
// customer it touched (the customer's replica state after it, or that it is gone), numbered
// 1, 2, 3, … without gaps under a lock (SQLite's write transaction, PostgreSQL's advisory lock, as
// the outcome log does); the replica states are kept for snapshots; replay, snapshot pages and
// the change table's retention. One hook for every write: `write(now:_:)`.
import Foundation
import ProfileCore
import Store
import Wire

/// A change the last write appended, encoded once: the caller publishes these bytes after the commit.
public struct AppendedChange: Sendable, Equatable {
    public let sequence: UInt64
    public let bytes: [UInt8]
}

/// What the current write changed: the customers it touched, in order, and a value-model refit.
struct ChangedInWrite {
    private(set) var customers: [String] = []
    private var seen: Set<String> = []
    var valueModelVersion: Int64?

    mutating func insert(_ id: String) {
        if seen.insert(id).inserted { customers.append(id) }
    }

    var isEmpty: Bool { customers.isEmpty && valueModelVersion == nil }
}

/// A write reply that carries its profile-stream sequence.
protocol ProfileSequenced {
    var customerID: String { get }
    var profileSequence: UInt64 { get set }
}

extension CustomerReply: ProfileSequenced {}
extension SessionReply: ProfileSequenced {}
extension EraseReply: ProfileSequenced {}
extension UnmergeReply: ProfileSequenced {}

extension ProfileRepository {
    /// Serializes the numbering on PostgreSQL ("OFPS" in ASCII), per schema: the lock's second key
    /// is the schema's name hashed, so stores in other schemas of the database never wait on it.
    static let streamLockClass: Int32 = 0x4F46_5053

    static func streamStatements(_ dialect: SQLDialect) -> [String] {
        [
            """
            CREATE TABLE IF NOT EXISTS profile_changes (
                sequence BIGINT PRIMARY KEY, customer_id TEXT NOT NULL, time_ms BIGINT NOT NULL, change \(dialect.blobType) NOT NULL)
            """,
            "CREATE INDEX IF NOT EXISTS profile_changes_customer ON profile_changes (customer_id)",
            "CREATE INDEX IF NOT EXISTS profile_changes_time ON profile_changes (time_ms)",
            // Each live customer's replica state (ReplicaCustomer) and the sequence of its latest change.
            """
            CREATE TABLE IF NOT EXISTS replica_states (
                customer_id TEXT PRIMARY KEY, sequence BIGINT NOT NULL, state \(dialect.blobType) NOT NULL)
            """,
        ]
    }

    /// Marks a customer changed by the current write: its change is appended at the write's end.
    func changed(_ id: String) {
        changedInWrite.insert(id)
    }

    /// Runs `body` in one transaction and, at its end, appends a change for each customer it
    /// touched (and for a value-model refit); `appended` then holds them for the caller to publish.
    public func write<T>(now: Int64, _ body: () throws -> T) throws -> T {
        try write(now: now, body) { _, _ in }
    }

    /// A write whose reply carries its sequence: the newest change it appended; for a write that
    /// changed nothing (a duplicate), the sequence of the customer's latest change, so that a
    /// client retrying a write whose reply was lost still gets a read-your-writes floor.
    func write<Reply: ProfileSequenced>(now: Int64, _ body: () throws -> Reply) throws -> Reply {
        try write(now: now, body) { reply, newest in
            reply.profileSequence = try newest ?? stateSequence(of: reply.customerID)
        }
    }

    private func write<T>(now: Int64, _ body: () throws -> T, finish: (inout T, UInt64?) throws -> Void) throws -> T {
        changedInWrite = ChangedInWrite()
        appended = []
        defer { changedInWrite = ChangedInWrite() }
        let (result, changes) = try db.transaction { () throws -> (T, [AppendedChange]) in
            var result = try body()
            let changes = try appendChanges(now: now)
            try finish(&result, changes.last?.sequence)
            return (result, changes)
        }
        appended = changes
        return result
    }

    /// The changes the last write appended, once: the caller publishes them after the commit (a
    /// read between two writes then publishes nothing again).
    public func takeAppended() -> [AppendedChange] {
        defer { appended = [] }
        return appended
    }

    /// The sequence of the customer's latest change (0: none).
    func stateSequence(of id: String) throws -> UInt64 {
        UInt64(try db.row("SELECT sequence FROM replica_states WHERE customer_id = $1", [.text(id)])?.int(0) ?? 0)
    }

    /// Appends the current write's changes. The states are built first, without the lock: the
    /// write holds its customers' rows (every write bumps their version), so no other write changes
    /// them before the commit; the lock is held only to number and insert.
    private func appendChanges(now: Int64) throws -> [AppendedChange] {
        let changed = changedInWrite
        guard !changed.isEmpty else { return [] }
        var changes: [ProfileChange] = []
        if let version = changed.valueModelVersion {
            changes.append(.with { $0.timeUnixMs = now; $0.valueModelVersion = version })
        }
        let (modelVersion, model) = try streamValuation()
        for id in changed.customers {
            guard let row = try db.row("SELECT merged_into, erased_ms FROM customers WHERE id = $1", [.text(id)]) else { continue }
            var change = ProfileChange.with { $0.timeUnixMs = now; $0.customerID = id }
            if row.int(1) != nil {
                change.erased = true
            } else if let survivor = row.text(0) {
                change.mergedInto = survivor
            } else {
                change.customer = try replicaState(of: id, valuation: model, version: modelVersion, now: now)
            }
            changes.append(change)
        }
        if db.dialect == .postgres { try db.execute("SELECT pg_advisory_xact_lock(\(Self.streamLockClass), hashtext(current_schema()))") }
        var next = try streamHead() + 1
        return try changes.map { change in
            var change = change
            change.sequence = next
            next += 1
            if change.hasCustomer {
                try db.execute("""
                    INSERT INTO replica_states (customer_id, sequence, state) VALUES ($1, $2, $3)
                    ON CONFLICT (customer_id) DO UPDATE SET sequence = excluded.sequence, state = excluded.state
                    """, [.text(change.customerID), .integer(Int64(change.sequence)), .blob(try change.customer.serializedBytes())])
            } else if change.erased {
                try forgetChanges(of: change.customerID)
            } else if !change.mergedInto.isEmpty {
                try db.execute("DELETE FROM replica_states WHERE customer_id = $1", [.text(change.customerID)])
            }
            let bytes: [UInt8] = try change.serializedBytes()
            try db.execute("INSERT INTO profile_changes (sequence, customer_id, time_ms, change) VALUES ($1, $2, $3, $4)",
                           [.integer(Int64(change.sequence)), .text(change.customerID), .integer(now), .blob(bytes)])
            return AppendedChange(sequence: change.sequence, bytes: bytes)
        }
    }

    /// What a decision replica holds of the customer now: the view decisions read, its contacts
    /// reduced to what the contact policy can still use.
    func replicaState(of id: String, valuation: StoredValueModel?, version: Int64, now: Int64) throws -> ReplicaCustomer {
        var view = try self.view(of: id, recentEvents: 0, valuation: valuation, now: now)
        view.contacts = ContactSummary.reduce(view.contacts, now: now)
        return ReplicaCustomer.with {
            $0.view = view
            $0.valuedDay = now / Self.dayMs
            $0.valueModelVersion = valuation == nil ? 0 : version
        }
    }

    /// The value model states are valued with, loaded again only when the store's changed.
    private func streamValuation() throws -> (Int64, StoredValueModel?) {
        let version = try valueModelVersion()
        if let cached = streamModel, cached.version == version { return (version, cached.model) }
        let model = try loadValueModel()
        streamModel = (version, model)
        return (version, model)
    }

    /// Erasure reaches the stream's store: the customer's state goes, and each of its earlier
    /// changes becomes a bare "erased" under the same sequence (the stream keeps no gap).
    private func forgetChanges(of id: String) throws {
        try db.execute("DELETE FROM replica_states WHERE customer_id = $1", [.text(id)])
        for row in try db.query("SELECT sequence, time_ms FROM profile_changes WHERE customer_id = $1", [.text(id)]) {
            let tombstone = ProfileChange.with {
                $0.sequence = UInt64(row.int(0) ?? 0)
                $0.timeUnixMs = row.int(1) ?? 0
                $0.customerID = id
                $0.erased = true
            }
            try db.execute("UPDATE profile_changes SET change = $2 WHERE sequence = $1", [row[0], .blob(try tombstone.serializedBytes())])
        }
    }

    // MARK: Reading the stream

    /// The newest sequence appended (0: none yet).
    public func streamHead() throws -> UInt64 {
        UInt64(try db.row("SELECT COALESCE(MAX(sequence), 0) FROM profile_changes", [])?.int(0) ?? 0)
    }

    /// Up to `limit` consecutive changes from `from` on, and the head. A sequence the retention
    /// deleted is OUT_OF_RANGE: the follower starts again from a snapshot.
    public func changes(from: UInt64, limit: Int) throws -> ProfileChangesReply {
        let from = max(from, 1)
        return try db.reading {
            // The head first: sequences commit in order, so everything up to it is there to read.
            let head = try streamHead()
            let rows = try db.query("SELECT sequence, change FROM profile_changes WHERE sequence >= $1 ORDER BY sequence LIMIT $2",
                                    [.integer(Int64(clamping: from)), .integer(Int64(limit))])
            if from <= head, rows.first?.int(0) != Int64(clamping: from) {
                let oldest = rows.first?.int(0).map { "; the oldest kept is \($0)" } ?? ""
                throw ProfileError.outOfRange("profile change \(from) is no longer kept (the stream keeps its changes for a limited time\(oldest)): start from a snapshot (profile method \"snapshot\")")
            }
            return try ProfileChangesReply.with {
                $0.events = try rows.map { try ProfileChange(serializedBytes: $0.blob(1) ?? []) }
                $0.headSequence = head
            }
        }
    }

    /// A page of replica states in customer id order after `after`, only of `partition`'s
    /// customers, each with the sequence of its latest change; and the head read before them.
    public func snapshot(after: String, limit: Int, partition: CustomerPartition) throws -> ProfileSnapshotReply {
        try db.reading {
            var reply = ProfileSnapshotReply()
            // The head first: every change up to it is in the states read after.
            reply.headSequence = try streamHead()
            reply.valueModelVersion = try valueModelVersion()
            // Rows are read in chunks of what a page of this partition likely needs.
            let chunk = Int64(min(limit * Int(partition.count), 10_000))
            var cursor = after
            while true {
                let rows = try db.query("SELECT customer_id, sequence, state FROM replica_states WHERE customer_id > $1 ORDER BY customer_id LIMIT $2",
                                        [.text(cursor), .integer(chunk)])
                var filledAt: Int?
                for (index, row) in rows.enumerated() {
                    cursor = row.text(0) ?? ""
                    guard partition.contains(customerID: cursor) else { continue }
                    reply.customers.append(try ProfileChange.with {
                        $0.sequence = UInt64(row.int(1) ?? 0)
                        $0.customerID = cursor
                        $0.customer = try ReplicaCustomer(serializedBytes: row.blob(2) ?? [])
                    })
                    if reply.customers.count == limit {
                        filledAt = index
                        break
                    }
                }
                let last = rows.count < chunk  // no rows after these
                if let filledAt {
                    reply.done = last && filledAt == rows.count - 1
                    break
                }
                if last {
                    reply.done = true
                    break
                }
            }
            return reply
        }
    }

    /// Deletes changes older than `cutoff` (Unix ms), always keeping the newest, which carries
    /// the numbering on; returns how many went.
    func deleteChanges(olderThanMs cutoff: Int64) throws -> Int {
        try db.execute("DELETE FROM profile_changes WHERE time_ms < $1 AND sequence < (SELECT MAX(sequence) FROM profile_changes)",
                       [.integer(cutoff)])
    }
}
