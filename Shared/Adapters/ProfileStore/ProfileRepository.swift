// The profile service's system of record over SQLite or PostgreSQL: identity resolution,
// customers and their attributes, merges. Every write runs in one transaction, so a failed
// request leaves nothing half-written, and is durable when the method returns.
// One repository per worker thread (it owns its connection).
import Foundation
import ProfileCore
import Store
import Wire

public final class ProfileRepository {
    public let db: any SQLDatabase
    public let schema: AttributeSchema
    /// Makes new customer ids; injected so tests are exact.
    let newCustomerID: () -> String
    /// Merge chains are compressed on every merge, so one hop suffices; this only guards
    /// against a corrupt store looping forever.
    static let maxMergeHops = 16
    /// The customers the current write touched (ProfileRepository+Stream).
    var changedInWrite = ChangedInWrite()
    /// The changes the last write appended to the profile stream, for the caller to publish.
    public internal(set) var appended: [AppendedChange] = []
    /// The value model replica states were last valued with, and its version.
    var streamModel: (version: Int64, model: StoredValueModel?)?

    public init(db: any SQLDatabase, schema: AttributeSchema = AttributeSchema(), newCustomerID: @escaping () -> String) throws {
        self.db = db
        self.schema = schema
        self.newCustomerID = newCustomerID
        try ProfileSchema.migrate(db)
    }

    // MARK: Identity resolution

    /// The live customer an identity belongs to: follows merges, refuses erased customers.
    public func resolve(_ identity: CustomerIdentity) throws -> (id: String, version: Int64) {
        guard let found = try find(identity) else {
            throw ProfileError.notFound("no customer with \(identity)")
        }
        return found
    }

    /// Like `resolve`, but nil for an unknown identity. One indexed read when the customer
    /// was never merged away, which is the case on the hot path.
    public func find(_ identity: CustomerIdentity) throws -> (id: String, version: Int64)? {
        var row = identity.kind == .customer
            ? try db.row("SELECT id, version, merged_into, erased_ms FROM customers WHERE id = $1", [.text(identity.value)])
            : try db.row("""
                SELECT c.id, c.version, c.merged_into, c.erased_ms FROM identities i JOIN customers c ON c.id = i.customer_id
                WHERE i.kind = $1 AND i.value = $2
                """, [.text(identity.kind.rawValue), .text(identity.value)])
        for _ in 0..<Self.maxMergeHops {
            guard let customer = row, let id = customer.text(0) else { return nil }
            if let survivor = customer.text(2) {
                row = try db.row("SELECT id, version, merged_into, erased_ms FROM customers WHERE id = $1", [.text(survivor)])
                continue
            }
            if customer.int(3) != nil { throw ProfileError.notFound("customer \(id) was erased") }
            return (id, customer.int(1) ?? 0)
        }
        throw ProfileError.internalFailure("merge chain from \(identity) is longer than \(Self.maxMergeHops) hops")
    }

    /// Resolves an identity, creating a customer for it when allowed and unknown.
    func resolve(_ identity: CustomerIdentity, create: Bool, now: Int64) throws -> (id: String, created: Bool) {
        if let found = try find(identity) { return (found.id, false) }
        guard create else { throw ProfileError.notFound("no customer with \(identity)") }
        let id = identity.kind == .customer ? identity.value : newCustomerID()
        try insertCustomer(id, now: now)
        if identity.kind != .customer {
            try db.execute("INSERT INTO identities (kind, value, customer_id, added_ms) VALUES ($1, $2, $3, $4)",
                           [.text(identity.kind.rawValue), .text(identity.value), .text(id), .integer(now)])
        }
        return (id, true)
    }

    func insertCustomer(_ id: String, now: Int64) throws {
        if try db.row("SELECT erased_ms FROM customers WHERE id = $1", [.text(id)]) != nil {
            throw ProfileError.alreadyExists("customer id \(id) is taken (by a live, merged or erased customer)")
        }
        try insertNewCustomer(id, now: now)
    }

    /// Inserts a customer known not to exist.
    func insertNewCustomer(_ id: String, now: Int64) throws {
        try insertNewCustomers([id], now: now)
    }

    /// Inserts customers known not to exist, many per statement (the bulk import).
    func insertNewCustomers(_ ids: [String], now: Int64) throws {
        try SQLPlaceholders.rowsInChunks(ids.map { [.text($0), .integer(1), .integer(now), .integer(now)] }, width: 4) { values, arguments in
            try db.execute("INSERT INTO customers (id, version, created_ms, updated_ms) VALUES \(values)", arguments)
        }
        ids.forEach(changed)
    }

    /// Marks a customer changed: the version replicas' caches compare against, and (unless
    /// `stream` is false: the caller marks the change itself) a change on the profile stream.
    func touch(_ id: String, now: Int64, stream: Bool = true) throws {
        try db.execute("UPDATE customers SET version = version + 1, updated_ms = $2 WHERE id = $1", [.text(id), .integer(now)])
        if stream { changed(id) }
    }

    /// A customer is anonymous while every identity it has is a cookie or a device id.
    func isAnonymous(_ id: String) throws -> Bool {
        let kinds = try db.query("SELECT kind FROM identities WHERE customer_id = $1", [.text(id)]).compactMap { $0.text(0) }
        return kinds.allSatisfy { IdentityKind(rawValue: $0)?.isAnonymous ?? false }
    }

    // MARK: Attributes

    public func upsert(_ request: UpsertCustomerRequest, now: Int64) throws -> CustomerReply {
        let identity = try CustomerIdentity(request.identity)
        var checked: [(String, String)] = []
        for (name, value) in request.attributes.sorted(by: { $0.key < $1.key }) {
            checked.append((name, try schema.validate(name: name, value: value)))
        }
        for name in request.remove { try AttributeSchema.validateName(name) }
        return try write(now: now) {
            let (id, created) = try resolve(identity, create: request.create, now: now)
            for (name, value) in checked {
                try db.execute("""
                    INSERT INTO attributes (customer_id, name, value, updated_ms) VALUES ($1, $2, $3, $4)
                    ON CONFLICT (customer_id, name) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms
                    """, [.text(id), .text(name), .text(value), .integer(now)])
            }
            for name in request.remove {
                try db.execute("DELETE FROM attributes WHERE customer_id = $1 AND name = $2", [.text(id), .text(name)])
            }
            let count = try db.row("SELECT COUNT(*) FROM attributes WHERE customer_id = $1", [.text(id)])?.int(0) ?? 0
            guard count <= AttributeSchema.maxAttributes else {
                throw ProfileError.tooLarge("customer \(id) would have \(count) attributes; the limit is \(AttributeSchema.maxAttributes)")
            }
            try touch(id, now: now)
            return CustomerReply.with { $0.customerID = id; $0.created = created }
        }
    }

    // MARK: Identities and merges

    /// Adds an identifier to a known customer. If an anonymous customer holds it (the cookie
    /// of a visitor who just logged in), that customer is merged into this one.
    /// `caller` (the key's user id, or "unauthenticated") goes into the merge record, if any.
    public func addIdentity(_ request: AddIdentityRequest, caller: String = "unauthenticated", now: Int64) throws -> CustomerReply {
        let identity = try CustomerIdentity(request.identity)
        let added = try CustomerIdentity(request.newIdentity)
        guard added.kind != .customer else {
            throw ProfileError.invalidArgument("a customer id is not an identity to add; use merge to join two customers")
        }
        return try write(now: now) {
            let (id, _) = try resolve(identity)
            var reply = CustomerReply.with { $0.customerID = id }
            if let holder = try find(added) {
                if holder.id == id {
                    reply.duplicate = true
                    return reply
                }
                guard try isAnonymous(holder.id) else {
                    throw ProfileError.alreadyExists("\(added) belongs to another known customer (\(holder.id)); merge them if they are the same person")
                }
                try merge(holder.id, into: id, reason: "anonymous visitor identified by \(identity.kind.rawValue)",
                          caller: caller, now: now)
                reply.mergedCustomerID = holder.id
            } else {
                try db.execute("INSERT INTO identities (kind, value, customer_id, added_ms) VALUES ($1, $2, $3, $4)",
                               [.text(added.kind.rawValue), .text(added.value), .text(id), .integer(now)])
            }
            try touch(id, now: now)
            return reply
        }
    }

    /// Merges two customers; `caller` (the key's user id) is recorded with what moved.
    public func merge(_ request: MergeRequest, caller: String = "unauthenticated", now: Int64) throws -> CustomerReply {
        let survivorIdentity = try CustomerIdentity(request.survivor)
        let mergedIdentity = try CustomerIdentity(request.merged)
        guard request.reason.utf8.count <= 1024 else { throw ProfileError.tooLarge("merge reason is longer than 1024 bytes") }
        return try write(now: now) {
            let survivor = try resolve(survivorIdentity).id
            let merged = try resolve(mergedIdentity).id
            guard survivor != merged else {
                throw ProfileError.invalidArgument("\(survivorIdentity) and \(mergedIdentity) are already the same customer (\(survivor)): a customer cannot be merged into itself")
            }
            try merge(merged, into: survivor, reason: request.reason.isEmpty ? "merged by request" : request.reason, caller: caller, now: now)
            return CustomerReply.with { $0.customerID = survivor; $0.mergedCustomerID = merged }
        }
    }

    /// Moves everything of `merged` to `survivor`, keeps the merged row as a pointer (so its
    /// id still resolves), compresses older chains and records the merge with what was overruled,
    /// who asked, and all an undo needs (MergeRecord).
    private func merge(_ merged: String, into survivor: String, reason: String, caller: String, now: Int64) throws {
        var record = MergeRecord()
        let survivorValues = try attributeValues(survivor), mergedValues = try attributeValues(merged)
        let outcome = AttributeMerge.resolve(survivor: survivorValues, merged: mergedValues)
        record.attributes = mergedValues.mapValues { .init(value: $0.value, updatedMs: $0.updatedUnixMs) }
        for (name, value) in outcome.adopted {
            record.adopted[name] = .init(value: .init(value: value.value, updatedMs: value.updatedUnixMs),
                                         previous: survivorValues[name].map { .init(value: $0.value, updatedMs: $0.updatedUnixMs) })
            try db.execute("""
                INSERT INTO attributes (customer_id, name, value, updated_ms) VALUES ($1, $2, $3, $4)
                ON CONFLICT (customer_id, name) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms
                """, [.text(survivor), .text(name), .text(value.value), .integer(value.updatedUnixMs)])
        }
        try db.execute("DELETE FROM attributes WHERE customer_id = $1", [.text(merged)])
        record.identities = try db.query("SELECT kind, value FROM identities WHERE customer_id = $1", [.text(merged)]).map { [$0.text(0) ?? "", $0.text(1) ?? ""] }
        try db.execute("UPDATE identities SET customer_id = $2 WHERE customer_id = $1", [.text(merged), .text(survivor)])
        for (table, columns) in MergeRecord.movedColumns {
            record.rows[table] = try db.query("SELECT \(columns.joined(separator: ", ")) FROM \(table) WHERE customer_id = $1", [.text(merged)]).map(\.cells)
            try db.execute("UPDATE \(table) SET customer_id = $2 WHERE customer_id = $1", [.text(merged), .text(survivor)])
        }
        // Holdings of the same product: the survivor's row stays, the merged one's balance is added.
        for row in try db.query("SELECT \(MergeRecord.holdingColumns) FROM holdings WHERE customer_id = $1", [.text(merged)]) {
            let previous = try holding(survivor, product: row[0])
            try db.execute("""
                INSERT INTO holdings (customer_id, product, balance, opened_ms, updated_ms) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (customer_id, product) DO UPDATE SET balance = holdings.balance + excluded.balance,
                    opened_ms = MIN(holdings.opened_ms, excluded.opened_ms), updated_ms = excluded.updated_ms
                """.replacingMin(for: db.dialect), [.text(survivor), row[0], row[1], row[2], row[3]])
            record.holdings.append(.init(merged: row.cells, previous: previous, combined: try holding(survivor, product: row[0]) ?? []))
        }
        try db.execute("DELETE FROM holdings WHERE customer_id = $1", [.text(merged)])
        // The survivor's live session wins; the merged one's keys fill the gaps.
        let sessionSQL = "SELECT \(MergeRecord.sessionColumns) FROM sessions WHERE customer_id = $1"
        record.sessions = try db.query(sessionSQL, [.text(merged)]).map(\.cells)
        let survivorSession = Set(try db.query(sessionSQL, [.text(survivor)]).map(\.cells))
        try db.execute("""
            INSERT INTO sessions (customer_id, name, value, expires_ms)
            SELECT $2, name, value, expires_ms FROM sessions WHERE customer_id = $1 AND expires_ms > $3
            ON CONFLICT (customer_id, name) DO NOTHING
            """, [.text(merged), .text(survivor), .integer(now)])
        record.sessionsCopied = try db.query(sessionSQL, [.text(survivor)]).map(\.cells).filter { !survivorSession.contains($0) }
        try db.execute("DELETE FROM sessions WHERE customer_id = $1", [.text(merged)])
        record.repointed = try db.query("SELECT id FROM customers WHERE merged_into = $1", [.text(merged)]).compactMap { $0.text(0) }
        try db.execute("UPDATE customers SET merged_into = $2, version = version + 1, updated_ms = $3 WHERE id = $1 OR merged_into = $1",
                       [.text(merged), .text(survivor), .integer(now)])
        // Gone from the stream: the merged customer and those merged into it before, now pointing at the survivor.
        changed(merged)
        record.repointed.forEach(changed)
        try db.execute("INSERT INTO merges (merged_id, survivor_id, time_ms, reason, overruled) VALUES ($1, $2, $3, $4, $5)",
                       [.text(merged), .text(survivor), .integer(now), .text(reason), .text(KeyValueText.encode(outcome.overruled))])
        try db.execute("""
            INSERT INTO merge_records (merged_id, time_ms, survivor_id, caller, reason, record) VALUES ($1, $2, $3, $4, $5, $6)
            """, [.text(merged), .integer(now), .text(survivor), .text(caller), .text(reason), .text(try record.encoded())])
        try touch(survivor, now: now)
        // After the survivor's row is locked (touch): the writes to either have then committed.
        try refreshValueSummaries([merged, survivor])
    }

    /// A customer's holding of `product` (product, balance, opened_ms, updated_ms), if any.
    func holding(_ id: String, product: SQLValue) throws -> [MergeRecord.Cell]? {
        try db.row("SELECT \(MergeRecord.holdingColumns) FROM holdings WHERE customer_id = $1 AND product = $2", [.text(id), product])?.cells
    }

    func attributeValues(_ id: String) throws -> [String: AttributeValue] {
        var values: [String: AttributeValue] = [:]
        for row in try db.query("SELECT name, value, updated_ms FROM attributes WHERE customer_id = $1", [.text(id)]) {
            values[row.text(0) ?? ""] = AttributeValue(row.text(1) ?? "", updatedUnixMs: row.int(2) ?? 0)
        }
        return values
    }
}

extension String {
    /// Two-argument MIN is SQLite's; PostgreSQL calls it LEAST.
    func replacingMin(for dialect: SQLDialect) -> String {
        dialect == .postgres ? replacingOccurrences(of: "MIN(", with: "LEAST(") : self
    }
}
