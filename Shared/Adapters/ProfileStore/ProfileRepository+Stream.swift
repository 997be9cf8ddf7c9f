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
/// A customer that only gained contacts (from the outcome stream) has its stored state patched;
/// any other change rebuilds it.
struct ChangedInWrite {
    private(set) var customers: [String] = []
    private var seen: Set<String> = []
    private(set) var rebuilt: Set<String> = []
    private(set) var contacts: [String: [Contact]] = [:]
    var valueModelVersion: Int64?

    mutating func insert(_ id: String) {
        add(id)
        rebuilt.insert(id)
    }

    mutating func insert(_ id: String, contact: Contact) {
        add(id)
        contacts[id, default: []].append(contact)
    }

    private mutating func add(_ id: String) {
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

    /// Marks a customer that gained a contact (and nothing else) in the current write.
    func changed(_ id: String, contact: Contact) {
        changedInWrite.insert(id, contact: contact)
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
                let patched = changed.rebuilt.contains(id) ? nil
                    : try patchedState(of: id, adding: changed.contacts[id] ?? [], version: model == nil ? 0 : modelVersion, now: now)
                change.customer = try patched ?? replicaState(of: id, valuation: model, version: modelVersion, now: now)
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

    /// The stored state with `contacts` added, exactly what a rebuild would give when the state was
    /// valued today with the current model (contacts change nothing else in the view: not the
    /// value, not the churn risk); nil when it was not, or there is none (then it is rebuilt).
    /// A contact event costs one read instead of a view assembly.
    func patchedState(of id: String, adding contacts: [Contact], version: Int64, now: Int64) throws -> ReplicaCustomer? {
        guard let bytes = try db.row("SELECT state FROM replica_states WHERE customer_id = $1", [.text(id)])?.blob(0) else { return nil }
        var state = try ReplicaCustomer(serializedBytes: bytes)
        guard state.valuedDay == now / Self.dayMs, state.valueModelVersion == version else { return nil }
        let window = now - Self.contactDays * Self.dayMs
        let added = contacts.filter { $0.timeUnixMs >= window }
        state.view.contacts = ContactSummary.reduce((state.view.contacts + added).filter { $0.timeUnixMs >= window }, now: now)
        for contact in added {
            if contact.kind == "shown" {
                state.view.lastContactUnixMs = max(state.view.lastContactUnixMs, contact.timeUnixMs)
            } else {
                state.view.lastResponseUnixMs = max(state.view.lastResponseUnixMs, contact.timeUnixMs)
            }
        }
        // A session past its time-to-live is gone from a view assembled now.
        if state.view.sessionExpiresUnixMs != 0, state.view.sessionExpiresUnixMs <= now {
            state.view.session = [:]
            state.view.sessionExpiresUnixMs = 0
        }
        return state
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

    /// Gives every live customer without a replica state (a store from before the profile stream)
    /// its state and a change, `batch` customers per transaction; returns how many. The profile
    /// service runs it at start-up, before its workers, so snapshots hold every customer.
    public func backfillReplicaStates(now: Int64, batch: Int = 1_000) throws -> Int {
        var total = 0
        while true {
            let ids = try db.query("""
                SELECT c.id FROM customers c LEFT JOIN replica_states r ON r.customer_id = c.id
                WHERE r.customer_id IS NULL AND c.merged_into IS NULL AND c.erased_ms IS NULL ORDER BY c.id LIMIT $1
                """, [.integer(Int64(batch))]).compactMap { $0.text(0) }
            guard !ids.isEmpty else { return total }
            try write(now: now) { ids.forEach(changed) }
            total += ids.count
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

    // MARK: Revaluing

    /// Where the pass that revalues every customer is: "DAY:MODEL after ID" or "DAY:MODEL done".
    static let revalueCursorSetting = "profile_stream.revalue_cursor"

    /// Gives the next of up to `limit` customers (in customer order) whose state was valued before
    /// today, or with another value model than the store's, a new state — a change on the stream,
    /// so the decision replicas' value figures follow the days and the refits. The pass's cursor
    /// is in the store, so the profile replicas share one pass. `done` once every customer is
    /// valued today with the current model.
    public func revalueNext(limit: Int, now: Int64) throws -> (revalued: Int, done: Bool) {
        try write(now: now) {
            let (version, model) = try streamValuation()
            let current = model == nil ? 0 : version
            let today = now / Self.dayMs
            let target = "\(today):\(current)"
            let cursor = try db.row("SELECT value FROM settings WHERE name = $1", [.text(Self.revalueCursorSetting)])?.text(0) ?? ""
            let parts = cursor.split(separator: " ", maxSplits: 2).map(String.init)
            var after = ""
            if parts.first == target {
                if parts.count > 1, parts[1] == "done" { return (0, true) }
                after = parts.count > 2 ? parts[2] : ""
            }
            let rows = try db.query("SELECT customer_id, state FROM replica_states WHERE customer_id > $1 ORDER BY customer_id LIMIT $2",
                                    [.text(after), .integer(Int64(limit))])
            var revalued = 0
            for row in rows {
                guard let id = row.text(0), let state = try? ReplicaCustomer(serializedBytes: row.blob(1) ?? []) else { continue }
                if state.valuedDay < today || state.valueModelVersion != current {
                    changed(id)
                    revalued += 1
                }
            }
            let done = rows.count < limit
            let next = done ? "\(target) done" : "\(target) after \(rows.last?.text(0) ?? after)"
            try db.execute("""
                INSERT INTO settings (name, value, updated_ms) VALUES ($1, $2, $3)
                ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms
                """, [.text(Self.revalueCursorSetting), .text(next), .integer(now)])
            return (revalued, done)
        }
    }

    /// Deletes changes older than `cutoff` (Unix ms), always keeping the newest, which carries
    /// the numbering on; returns how many went.
    func deleteChanges(olderThanMs cutoff: Int64) throws -> Int {
        try db.execute("DELETE FROM profile_changes WHERE time_ms < $1 AND sequence < (SELECT MAX(sequence) FROM profile_changes)",
                       [.integer(cutoff)])
    }
}
