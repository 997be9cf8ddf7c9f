// What customers do: transactions, channel events, product holdings with their balance
// history, and the live session context. Writes with an idempotency key are applied once.
import ProfileCore
import Store
import Wire

extension ProfileRepository {
    public func recordTransaction(_ record: TransactionRecord, now: Int64) throws -> CustomerReply {
        let identity = try CustomerIdentity(record.identity)
        guard record.amount.isFinite else { throw ProfileError.invalidArgument("transaction amount must be a finite number") }
        guard record.timeUnixMs > 0 else { throw ProfileError.invalidArgument("transaction time_unix_ms must be set") }
        try checkKey(record.transactionID, "transaction_id")
        try checkText(record.product, "product")
        return try recordOnce(in: "transactions", key: record.transactionID, identity, create: record.create, now: now) { id, key in
            try addToValueSummary(id, timeMs: record.timeUnixMs, amount: record.amount)
            try db.execute("""
                INSERT INTO transactions (customer_id, time_ms, amount, quantity, channel, product, key)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                """, [.text(id), .integer(record.timeUnixMs), .real(record.amount), .integer(Int64(max(record.quantity, 1))),
                      .text(ChannelName.name(record.channel) ?? ""), .text(record.product), key])
        }
    }

    public func recordEvent(_ record: EventRecord, now: Int64) throws -> CustomerReply {
        let identity = try CustomerIdentity(record.identity)
        let event = record.event
        try AttributeSchema.validateName(event.type)
        try checkKey(record.eventID, "event_id")
        guard event.data.count <= SessionContext.maxEntries else {
            throw ProfileError.tooLarge("an event carries at most \(SessionContext.maxEntries) data entries, not \(event.data.count)")
        }
        for (key, value) in event.data {
            try AttributeSchema.validateName(key)
            try checkText(value, "event data '\(key)'")
        }
        return try recordOnce(in: "events", key: record.eventID, identity, create: record.create, now: now) { id, key in
            try db.execute("""
                INSERT INTO events (customer_id, time_ms, type, channel, data, key) VALUES ($1, $2, $3, $4, $5, $6)
                """, [.text(id), .integer(event.timeUnixMs > 0 ? event.timeUnixMs : now), .text(event.type),
                      .text(ChannelName.name(event.channel) ?? ""), .text(KeyValueText.encode(event.data)), key])
        }
    }

    /// One write of a record that may carry an idempotency key: a key seen before answers
    /// `duplicate` and writes nothing; otherwise `insert(customer, key)` runs in the transaction,
    /// after the customer's row was locked (`touch`), as `addToValueSummary` needs.
    private func recordOnce(in table: String, key: String, _ identity: CustomerIdentity, create: Bool, now: Int64,
                            insert: (String, SQLValue) throws -> Void) throws -> CustomerReply {
        try write(now: now) {
            if !key.isEmpty, let seen = try db.row("SELECT customer_id FROM \(table) WHERE key = $1", [.text(key)]) {
                return CustomerReply.with { $0.customerID = seen.text(0) ?? ""; $0.duplicate = true }
            }
            let (id, created) = try resolve(identity, create: create, now: now)
            try touch(id, now: now)
            try insert(id, key.isEmpty ? .null : .text(key))
            return CustomerReply.with { $0.customerID = id; $0.created = created }
        }
    }

    /// Sets a product holding and its balance now; every change is kept as balance history.
    public func setHolding(_ record: HoldingRecord, now: Int64) throws -> CustomerReply {
        let identity = try CustomerIdentity(record.identity)
        let holding = record.holding
        try AttributeSchema.validateName(holding.product)
        guard holding.balance.isFinite else { throw ProfileError.invalidArgument("holding balance must be a finite number") }
        let time = holding.updatedUnixMs > 0 ? holding.updatedUnixMs : now
        return try write(now: now) {
            let (id, _) = try resolve(identity)
            try storeHolding(id, product: holding.product, balance: holding.balance,
                             openedMs: holding.openedUnixMs > 0 ? holding.openedUnixMs : time, timeMs: time, closed: record.closed)
            try touch(id, now: now)
            return CustomerReply.with { $0.customerID = id }
        }
    }

    /// Writes a product held now (or closes it) and appends its balance to the history, inside
    /// the caller's transaction. Shared by `set_holding` and the bulk import.
    func storeHolding(_ id: String, product: String, balance: Double, openedMs: Int64, timeMs: Int64, closed: Bool = false) throws {
        if closed {
            try db.execute("DELETE FROM holdings WHERE customer_id = $1 AND product = $2", [.text(id), .text(product)])
        } else {
            try db.execute("""
                INSERT INTO holdings (customer_id, product, balance, opened_ms, updated_ms) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (customer_id, product) DO UPDATE SET balance = excluded.balance, updated_ms = excluded.updated_ms
                """, [.text(id), .text(product), .real(balance), .integer(openedMs), .integer(timeMs)])
        }
        try db.execute("INSERT INTO balances (customer_id, product, time_ms, balance) VALUES ($1, $2, $3, $4)",
                       [.text(id), .text(product), .integer(timeMs), .real(closed ? 0 : balance)])
    }

    public func session(_ request: SessionRequest, defaultTTLMs: Int64, now: Int64) throws -> SessionReply {
        let identity = try CustomerIdentity(request.identity)
        let ttl = request.ttlSeconds > 0 ? Int64(request.ttlSeconds) * 1000 : defaultTTLMs
        let changes = !request.set.isEmpty || request.clear
        let work = { () throws -> SessionReply in
            let (id, _) = try self.resolve(identity)
            var session = try self.liveSession(id, now: now)
            if changes {
                session = try session.updated(set: request.set, clear: request.clear, ttlMs: ttl, now: now)
                try self.db.execute("DELETE FROM sessions WHERE customer_id = $1", [.text(id)])
                for (name, value) in session.values {
                    try self.db.execute("INSERT INTO sessions (customer_id, name, value, expires_ms) VALUES ($1, $2, $3, $4)",
                                        [.text(id), .text(name), .text(value), .integer(session.expiresUnixMs)])
                }
                try self.touch(id, now: now)
            }
            return SessionReply.with {
                $0.customerID = id
                $0.session = session.values
                $0.expiresUnixMs = session.isLive(now: now) ? session.expiresUnixMs : 0
            }
        }
        return changes ? try write(now: now, work) : try work()
    }

    func liveSession(_ id: String, now: Int64) throws -> SessionContext {
        var session = SessionContext()
        for row in try db.query("SELECT name, value, expires_ms FROM sessions WHERE customer_id = $1 AND expires_ms > $2", [.text(id), .integer(now)]) {
            session.values[row.text(0) ?? ""] = row.text(1) ?? ""
            session.expiresUnixMs = max(session.expiresUnixMs, row.int(2) ?? 0)
        }
        return session
    }

    /// Deletes events older than the retention period, expired sessions and profile changes older
    /// than the stream's retention (`changesOlderThanMs`); returns rows deleted.
    public func applyRetention(eventsOlderThanMs cutoff: Int64, changesOlderThanMs changesCutoff: Int64 = .min, now: Int64) throws -> Int {
        try write(now: now) {
            // A new version (and a change on the stream) for each customer who loses events: views
            // cached by any replica are keyed on it, so none shows a deleted event again.
            for row in try db.query("SELECT DISTINCT customer_id FROM events WHERE time_ms < $1", [.integer(cutoff)]) {
                try touch(row.text(0) ?? "", now: now)
            }
            return try db.execute("DELETE FROM events WHERE time_ms < $1", [.integer(cutoff)])
                + db.execute("DELETE FROM sessions WHERE expires_ms <= $1", [.integer(now)])
                + deleteChanges(olderThanMs: changesCutoff)
        }
    }

    func checkKey(_ key: String, _ name: String) throws {
        guard key.utf8.count <= 128 else { throw ProfileError.tooLarge("\(name) is too long: \(key.utf8.count) bytes, at most 128") }
    }

    func checkText(_ text: String, _ name: String) throws {
        guard text.utf8.count <= AttributeSchema.maxValueBytes else {
            throw ProfileError.tooLarge("\(name) is \(text.utf8.count) bytes; the limit is \(AttributeSchema.maxValueBytes)")
        }
    }
}
