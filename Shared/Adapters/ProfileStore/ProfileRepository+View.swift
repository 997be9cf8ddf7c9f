// The customer view (everything the decision service needs, in one answer), the export of
// everything stored about a customer, and erasure.
import Foundation
import ProfileCore
import Store
import Wire

extension ProfileRepository {
    static let dayMs: Int64 = 86_400_000

    public func view(of id: String, recentEvents: Int, valuation: (any CustomerValuation)?, now: Int64) throws -> CustomerView {
        var view = CustomerView()
        view.customerID = id
        for (name, value) in try attributeValues(id) { view.attributes[name] = value.value }
        let identities = try db.query("SELECT kind, value FROM identities WHERE customer_id = $1 ORDER BY kind, value", [.text(id)])
        view.identities = identities.map { row in Identity.with { $0.kind = row.text(0) ?? ""; $0.value = row.text(1) ?? "" } }
        view.anonymous = !identities.isEmpty && identities.allSatisfy { IdentityKind(rawValue: $0.text(0) ?? "")?.isAnonymous ?? false }
        for row in try db.query("SELECT product, balance, opened_ms, updated_ms FROM holdings WHERE customer_id = $1 ORDER BY product", [.text(id)]) {
            view.holdings.append(row.text(0) ?? "")
            view.holdingDetails.append(Holding.with {
                $0.product = row.text(0) ?? ""
                $0.balance = row.double(1) ?? 0
                $0.openedUnixMs = row.int(2) ?? 0
                $0.updatedUnixMs = row.int(3) ?? 0
            })
        }
        let purchases = try db.query("SELECT time_ms, amount FROM transactions WHERE customer_id = $1 ORDER BY time_ms", [.text(id)])
        view.transactions = UInt32(purchases.count)
        view.totalSpend = purchases.reduce(0) { $0 + ($1.double(1) ?? 0) }
        view.lastTransactionUnixMs = purchases.last?.int(0) ?? 0
        let session = try liveSession(id, now: now)
        view.session = session.values
        view.sessionExpiresUnixMs = session.isLive(now: now) ? session.expiresUnixMs : 0
        view.optedOut = Self.optedOut(view.attributes)
        if recentEvents > 0 {
            let rows = try db.query("SELECT type, channel, time_ms, data FROM events WHERE customer_id = $1 ORDER BY time_ms DESC LIMIT $2",
                                    [.text(id), .integer(Int64(min(recentEvents, 100)))])
            view.recentEvents = rows.map { row in CustomerEvent.with {
                $0.type = row.text(0) ?? ""
                $0.channel = ChannelName.channel(row.text(1) ?? "") ?? .unspecified
                $0.timeUnixMs = row.int(2) ?? 0
                $0.data = KeyValueText.decode(row.text(3) ?? "")
            } }
        }
        try addContacts(&view, id, now: now)
        if let valuation {
            let today = Int(now / Self.dayMs)
            var activity = CustomerActivity()
            activity.purchases = purchases.map { (Int(($0.int(0) ?? 0) / Self.dayMs), $0.double(1) ?? 0) }
            activity.recentComplaints = Int(try db.row(
                "SELECT COUNT(*) FROM events WHERE customer_id = $1 AND type = 'complaint' AND time_ms >= $2",
                [.text(id), .integer(now - Int64(valuation.complaintWindowDays) * Self.dayMs)])?.int(0) ?? 0)
            activity.balances = try balanceHistory(id)
            let value = valuation.valuate(activity, today: today)
            view.pAlive = value.pAlive
            view.expectedPurchases = value.expectedPurchases
            view.clv = value.clv
            view.segment = value.tier
            view.churnRisk = value.churnRisk
            view.churnReasons = value.churnReasons
        } else {
            // No value model fitted yet: these are unknown, not zero (rules admit no one on an
            // unknown number; scoring sees "clv=unknown", "churn=unknown").
            view.pAlive = .nan
            view.expectedPurchases = .nan
            view.clv = .nan
            view.churnRisk = .nan
        }
        if let override = view.attributes["segment_override"], !override.isEmpty { view.segment = override }
        return view
    }

    /// Contact history kept in the view: this many days, at most `maxContacts` entries.
    static let contactDays: Int64 = 180
    static let maxContacts: Int64 = 500

    /// The contact history (offer events) and, from it, the last contact and last response.
    func addContacts(_ view: inout CustomerView, _ id: String, now: Int64) throws {
        let rows = try db.query("""
            SELECT type, channel, time_ms, data FROM events
            WHERE customer_id = $1 AND type IN ('offer_shown', 'offer_accepted', 'offer_declined') AND time_ms >= $2
            ORDER BY time_ms DESC LIMIT $3
            """, [.text(id), .integer(now - Self.contactDays * Self.dayMs), .integer(Self.maxContacts)])
        view.contacts = rows.map { row in
            let data = KeyValueText.decode(row.text(3) ?? "")
            return Contact.with {
                $0.kind = String((row.text(0) ?? "").dropFirst("offer_".count))
                $0.channel = ChannelName.channel(row.text(1) ?? "") ?? .unspecified
                $0.timeUnixMs = row.int(2) ?? 0
                $0.offerID = data["offer_id"] ?? ""
                $0.category = data["category"] ?? ""
            }
        }
        view.lastContactUnixMs = view.contacts.first { $0.kind == "shown" }?.timeUnixMs ?? 0
        view.lastResponseUnixMs = view.contacts.first { $0.kind != "shown" }?.timeUnixMs ?? 0
    }

    /// Total balance across products after each change, by day.
    func balanceHistory(_ id: String) throws -> [(day: Int, total: Double)] {
        var latest: [String: Double] = [:]
        var history: [(day: Int, total: Double)] = []
        for row in try db.query("SELECT product, time_ms, balance FROM balances WHERE customer_id = $1 ORDER BY time_ms", [.text(id)]) {
            latest[row.text(0) ?? ""] = row.double(2) ?? 0
            let day = Int((row.int(1) ?? 0) / Self.dayMs)
            let total = latest.values.reduce(0, +)
            if history.last?.day == day { history[history.count - 1].total = total } else { history.append((day, total)) }
        }
        return history
    }

    static func optedOut(_ attributes: [String: String]) -> [Channel] {
        let all = attributes["opt_out.all"] == "true"
        return ChannelName.all.compactMap { name in
            all || attributes["opt_out.\(name)"] == "true" ? ChannelName.channel(name) : nil
        }
    }

    // MARK: Right of access and right to erasure

    /// Everything stored about a customer, as a JSON document.
    public func export(_ request: ExportRequest, now: Int64) throws -> ExportReply {
        let (id, _) = try resolve(try CustomerIdentity(request.identity))
        var document: [String: Any] = ["customer_id": id, "exported_unix_ms": now]
        let tables: [(String, String, [String])] = [
            ("customer", "SELECT id, created_ms, updated_ms FROM customers WHERE id = $1", ["id", "created_ms", "updated_ms"]),
            ("identities", "SELECT kind, value, added_ms FROM identities WHERE customer_id = $1", ["kind", "value", "added_ms"]),
            ("attributes", "SELECT name, value, updated_ms FROM attributes WHERE customer_id = $1", ["name", "value", "updated_ms"]),
            ("holdings", "SELECT product, balance, opened_ms, updated_ms FROM holdings WHERE customer_id = $1", ["product", "balance", "opened_ms", "updated_ms"]),
            ("balance_history", "SELECT product, time_ms, balance FROM balances WHERE customer_id = $1 ORDER BY time_ms", ["product", "time_ms", "balance"]),
            ("transactions", "SELECT time_ms, amount, quantity, channel, product, key FROM transactions WHERE customer_id = $1 ORDER BY time_ms",
             ["time_ms", "amount", "quantity", "channel", "product", "transaction_id"]),
            ("events", "SELECT time_ms, type, channel, data, key FROM events WHERE customer_id = $1 ORDER BY time_ms", ["time_ms", "type", "channel", "data", "event_id"]),
            ("session", "SELECT name, value, expires_ms FROM sessions WHERE customer_id = $1", ["name", "value", "expires_ms"]),
            ("merged_customers", "SELECT merged_id, time_ms, reason, overruled FROM merges WHERE survivor_id = $1", ["merged_id", "time_ms", "reason", "overruled"]),
            ("merge_records", "SELECT merged_id, survivor_id, time_ms, caller, reason, undone_ms, undone_by FROM merge_records WHERE survivor_id = $1 OR merged_id = $1 ORDER BY time_ms",
             ["merged_id", "survivor_id", "time_ms", "by", "reason", "undone_ms", "undone_by"]),
        ]
        for (name, sql, columns) in tables {
            document[name] = try db.query(sql, [.text(id)]).map { row in
                Dictionary(uniqueKeysWithValues: zip(columns, row.values.map(Self.json)))
            }
        }
        let json = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        let ids = [id] + (try mergedInto(id))
        return ExportReply.with { $0.customerID = id; $0.json = json; $0.customerIds = ids }
    }

    /// The customers merged into `id` (chains are compressed: each points at its survivor).
    func mergedInto(_ id: String) throws -> [String] {
        try db.query("SELECT id FROM customers WHERE merged_into = $1 ORDER BY id", [.text(id)]).compactMap { $0.text(0) }
    }

    /// Deletes the customer's personal data and history, including customers merged into it, and
    /// the merge records that name them. The customer rows stay, marked erased (merged ones still
    /// pointing at their survivor), so no id is reused or resolved again, and erasing again answers
    /// the same ids with nothing left to delete: an operator finishing an erasure elsewhere can retry.
    public func erase(_ request: EraseRequest, now: Int64) throws -> EraseReply {
        let identity = try CustomerIdentity(request.identity)
        return try write(now: now) {
            let id = try erasedCustomer(identity) ?? resolve(identity).id
            let ids = [id] + (try mergedInto(id))
            var deleted = 0
            for customer in ids {
                for table in ["identities", "attributes", "holdings", "balances", "transactions", "events", "sessions"] {
                    deleted += try db.execute("DELETE FROM \(table) WHERE customer_id = $1", [.text(customer)])
                }
                deleted += try db.execute("DELETE FROM merges WHERE merged_id = $1 OR survivor_id = $1", [.text(customer)])
                deleted += try db.execute("DELETE FROM merge_records WHERE merged_id = $1 OR survivor_id = $1", [.text(customer)])
                try db.execute("UPDATE customers SET erased_ms = COALESCE(erased_ms, $2), version = version + 1, updated_ms = $2 WHERE id = $1",
                               [.text(customer), .integer(now)])
                changed(customer)
            }
            try refreshValueSummaries(ids)
            return EraseReply.with { $0.customerID = id; $0.rowsDeleted = UInt64(deleted); $0.customerIds = ids }
        }
    }

    /// The customer a `customer:` id names if it (or the survivor it was merged into) was erased.
    func erasedCustomer(_ identity: CustomerIdentity) throws -> String? {
        guard identity.kind == .customer else { return nil }
        var id = identity.value
        for _ in 0..<Self.maxMergeHops {
            guard let row = try db.row("SELECT merged_into, erased_ms FROM customers WHERE id = $1", [.text(id)]) else { return nil }
            guard let survivor = row.text(0) else { return row.int(1) != nil ? id : nil }
            id = survivor
        }
        return nil
    }

    private static func json(_ value: SQLValue) -> Any {
        switch value {
        case .null: NSNull()
        case .integer(let v): v
        case .real(let v): v
        case .text(let v): v
        case .blob(let v): v.map { String(format: "%02x", $0) }.joined()
        }
    }
}
