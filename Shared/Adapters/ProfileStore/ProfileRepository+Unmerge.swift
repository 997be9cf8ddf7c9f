// Undoing a merge from its record: the merged customer gets back its identities, attributes,
// rows, holdings and session; the survivor gets back what the merge overwrote, unless it was
// written again after the merge, which stays with the survivor and is listed as kept.
import Foundation
import ProfileCore
import Store
import Wire

extension ProfileRepository {
    public func unmerge(_ request: UnmergeRequest, caller: String, now: Int64) throws -> UnmergeReply {
        let merged = try CustomerIdentity(kind: .customer, value: request.mergedCustomerID).value
        return try write(now: now) {
            guard let row = try db.row("""
                SELECT time_ms, survivor_id, caller, record, undone_ms, undone_by FROM merge_records WHERE merged_id = $1
                ORDER BY time_ms DESC LIMIT 1
                """, [.text(merged)]) else {
                throw ProfileError.notFound("customer \(merged) has no merge to undo (never merged away, or erased)")
            }
            let time = row.int(0) ?? 0, survivor = row.text(1) ?? ""
            if let undone = row.int(4) {
                throw ProfileError.alreadyExists("the merge of \(merged) into \(survivor) at \(time) was already undone at \(undone) by \(row.text(5) ?? "?")")
            }
            // A later merge of the survivor took the merged customer's things on with it: that one goes first.
            let state = try db.row("SELECT merged_into, erased_ms FROM customers WHERE id = $1", [.text(survivor)])
            if let later = state?.text(0) {
                throw ProfileError.invalidArgument("\(survivor) was itself merged into \(later) after \(merged) was merged into it: undo that merge first (unmerge \(survivor))")
            }
            guard state != nil, state?.int(1) == nil else { throw ProfileError.notFound("survivor \(survivor) was erased") }
            var reply = UnmergeReply.with {
                $0.customerID = merged
                $0.survivorID = survivor
                $0.mergedUnixMs = time
                $0.mergedBy = row.text(2) ?? ""
            }
            let record = try MergeRecord.decode(row.text(3) ?? "")
            try undo(record, of: merged, from: survivor, into: &reply)
            try db.execute("UPDATE customers SET merged_into = NULL, version = version + 1, updated_ms = $2 WHERE id = $1", [.text(merged), .integer(now)])
            changed(merged)
            for id in record.repointed {
                try db.execute("UPDATE customers SET merged_into = $1, version = version + 1, updated_ms = $3 WHERE id = $2 AND merged_into = $4",
                               [.text(merged), .text(id), .integer(now), .text(survivor)])
                changed(id)
            }
            try db.execute("DELETE FROM merges WHERE merged_id = $1", [.text(merged)])
            try db.execute("UPDATE merge_records SET undone_ms = $3, undone_by = $4 WHERE merged_id = $1 AND time_ms = $2",
                           [.text(merged), .integer(time), .integer(now), .text(caller)])
            try touch(survivor, now: now)
            try refreshValueSummaries([merged, survivor])
            reply.kept += try writtenAfter(time, to: survivor)
            return reply
        }
    }

    private func undo(_ record: MergeRecord, of merged: String, from survivor: String, into reply: inout UnmergeReply) throws {
        for pair in record.identities where pair.count == 2 {
            let moved = try db.execute("UPDATE identities SET customer_id = $1 WHERE kind = $2 AND value = $3 AND customer_id = $4",
                                       [.text(merged), .text(pair[0]), .text(pair[1]), .text(survivor)])
            let name = IdentityKind(rawValue: pair[0]).flatMap { try? CustomerIdentity(kind: $0, value: pair[1]).description } ?? pair[0]
            if moved > 0 { reply.restored.append("identity \(name)") } else { reply.kept.append("identity \(name): no longer with the survivor") }
        }
        for (name, value) in record.attributes.sorted(by: { $0.key < $1.key }) {
            try setAttribute(merged, name, value)
            reply.restored.append("attribute \(name)")
        }
        // The survivor's own values come back where the merge's value is still there.
        for (name, adopted) in record.adopted.sorted(by: { $0.key < $1.key }) {
            let now = try db.row("SELECT value, updated_ms FROM attributes WHERE customer_id = $1 AND name = $2", [.text(survivor), .text(name)])
            guard now?.text(0) == adopted.value.value, now?.int(1) == adopted.value.updatedMs else { continue }  // listed by writtenAfter
            if let previous = adopted.previous {
                try setAttribute(survivor, name, previous)
            } else {
                try db.execute("DELETE FROM attributes WHERE customer_id = $1 AND name = $2", [.text(survivor), .text(name)])
            }
            reply.restored.append("survivor attribute \(name): its value before the merge")
        }
        for (table, columns) in MergeRecord.movedColumns {
            let rows = record.rows[table] ?? []
            let moved = try moveBack(rows, table: table, columns: columns, from: survivor, to: merged)
            if !rows.isEmpty { reply.restored.append("\(table): \(moved)") }
            if moved < rows.count { reply.kept.append("\(table): \(rows.count - moved) moved by the merge are gone (retention)") }
        }
        for holding in record.holdings {
            let product = holding.merged.first?.value ?? .null
            try db.execute("INSERT INTO holdings (customer_id, product, balance, opened_ms, updated_ms) VALUES ($1, $2, $3, $4, $5)",
                           [.text(merged)] + holding.merged.map(\.value))
            reply.restored.append("holding \(Self.text(product))")
            guard try self.holding(survivor, product: product) == holding.combined else { continue }  // listed by writtenAfter
            try db.execute("DELETE FROM holdings WHERE customer_id = $1 AND product = $2", [.text(survivor), product])
            if let previous = holding.previous {
                try db.execute("INSERT INTO holdings (customer_id, product, balance, opened_ms, updated_ms) VALUES ($1, $2, $3, $4, $5)",
                               [.text(survivor)] + previous.map(\.value))
            }
        }
        for session in record.sessionsCopied where session.count == 3 {
            try db.execute("DELETE FROM sessions WHERE customer_id = $1 AND name = $2 AND value = $3 AND expires_ms = $4",
                           [.text(survivor)] + session.map(\.value))
        }
        for session in record.sessions where session.count == 3 {
            try db.execute("INSERT INTO sessions (customer_id, name, value, expires_ms) VALUES ($1, $2, $3, $4) ON CONFLICT (customer_id, name) DO NOTHING",
                           [.text(merged)] + session.map(\.value))
        }
        if !record.sessions.isEmpty { reply.restored.append("session: \(record.sessions.count) keys") }
    }

    private func setAttribute(_ id: String, _ name: String, _ value: MergeRecord.Attribute) throws {
        try db.execute("""
            INSERT INTO attributes (customer_id, name, value, updated_ms) VALUES ($1, $2, $3, $4)
            ON CONFLICT (customer_id, name) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms
            """, [.text(id), .text(name), .text(value.value), .integer(value.updatedMs)])
    }

    /// Gives `to` back as many rows equal to each recorded one as were moved (equal rows are
    /// interchangeable); returns how many it found.
    private func moveBack(_ rows: [[MergeRecord.Cell]], table: String, columns: [String], from: String, to: String) throws -> Int {
        let (rowID, same) = db.dialect == .postgres ? ("ctid", "IS NOT DISTINCT FROM") : ("rowid", "IS")
        let match = columns.enumerated().map { "\($1) \(same) $\($0 + 3)" }.joined(separator: " AND ")
        var moved = 0
        for (cells, count) in Dictionary(rows.map { ($0, 1) }, uniquingKeysWith: +).sorted(by: { "\($0.key)" < "\($1.key)" }) {
            moved += try db.execute("""
                UPDATE \(table) SET customer_id = $1 WHERE \(rowID) IN (
                    SELECT \(rowID) FROM \(table) WHERE customer_id = $2 AND \(match) LIMIT \(count))
                """, [.text(to), .text(from)] + cells.map(\.value))
        }
        return moved
    }

    /// What was written to the survivor after the merge (it stays with the survivor).
    private func writtenAfter(_ time: Int64, to survivor: String) throws -> [String] {
        let later: [(String, String)] = [
            ("attribute", "SELECT name FROM attributes WHERE customer_id = $1 AND updated_ms > $2 ORDER BY name"),
            ("identity", "SELECT kind FROM identities WHERE customer_id = $1 AND added_ms > $2 ORDER BY kind"),
            ("holding", "SELECT product FROM holdings WHERE customer_id = $1 AND updated_ms > $2 ORDER BY product"),
        ]
        var kept: [String] = []
        for (what, sql) in later {
            kept += try db.query(sql, [.text(survivor), .integer(time)]).map { "\(what) \($0.text(0) ?? "") (written after the merge)" }
        }
        for table in ["transactions", "events"] {
            let count = try db.row("SELECT COUNT(*) FROM \(table) WHERE customer_id = $1 AND time_ms > $2", [.text(survivor), .integer(time)])?.int(0) ?? 0
            if count > 0 { kept.append("\(table) dated after the merge: \(count)") }
        }
        return kept
    }

    private static func text(_ value: SQLValue) -> String {
        if case .text(let text) = value { return text }
        return "\(value)"
    }
}
