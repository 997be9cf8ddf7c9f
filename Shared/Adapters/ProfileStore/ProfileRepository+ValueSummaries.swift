// Per-customer purchase summaries kept by the writes (table value_summaries), so the value model's
// refit reads one row per customer instead of aggregating every transaction (PostgreSQL spent 23 s
// in that aggregation at 10 million: COUNT(DISTINCT day) sorts). A row holds what BG/NBD and
// Gamma-Gamma need: the days with purchases, the first and last, the whole spend and the first
// day's spend (the first purchase starts the clock and is left out of the mean).
import CustomerValue
import Foundation
import Store

extension ProfileRepository {
    /// The settings row saying value_summaries holds every customer. A store from before the table
    /// lacks it: the first refit builds the table (once) and sets it.
    static let valueSummariesSetting = "value_summaries.complete"

    /// A store without transactions has all its summaries (none): every write from now on keeps
    /// them. (A store with transactions but not the mark came from before the table.)
    static func markValueSummariesCompleteIfNew(_ db: any SQLDatabase) throws {
        guard try db.row("SELECT 1 FROM settings WHERE name = $1", [.text(valueSummariesSetting)]) == nil,
              try db.row("SELECT 1 FROM transactions LIMIT 1", []) == nil else { return }
        try db.execute("INSERT INTO settings (name, value, updated_ms) VALUES ($1, 'true', $2) ON CONFLICT (name) DO NOTHING",
                       [.text(valueSummariesSetting), .integer(Int64(Date().timeIntervalSince1970 * 1000))])
    }

    /// Adds a purchase to its customer's summary, before the transaction row is inserted (the
    /// probe asks whether the day already had one). Runs after the customer's row was locked
    /// (`touch`): on PostgreSQL this statement then sees every committed purchase of the customer.
    func addToValueSummary(_ id: String, timeMs: Int64, amount: Double) throws {
        let day = timeMs / Self.dayMs
        try db.execute("""
            INSERT INTO value_summaries (customer_id, days, first_day, last_day, spend, first_day_spend) VALUES ($1, 1, $2, $2, $3, $3)
            ON CONFLICT (customer_id) DO UPDATE SET
                days = value_summaries.days + (CASE WHEN EXISTS (SELECT 1 FROM transactions WHERE customer_id = $1
                    AND time_ms > $4 AND time_ms < $5 AND time_ms / \(Self.dayMs) = $2) THEN 0 ELSE 1 END),
                first_day_spend = CASE WHEN $2 < value_summaries.first_day THEN $3
                    WHEN $2 = value_summaries.first_day THEN value_summaries.first_day_spend + $3 ELSE value_summaries.first_day_spend END,
                first_day = CASE WHEN $2 < value_summaries.first_day THEN $2 ELSE value_summaries.first_day END,
                last_day = CASE WHEN $2 > value_summaries.last_day THEN $2 ELSE value_summaries.last_day END,
                spend = value_summaries.spend + $3
            """, [.text(id), .integer(day), .real(amount), .integer((day - 1) * Self.dayMs), .integer((day + 1) * Self.dayMs)])
    }

    /// Recomputes these customers' summaries from their transactions (after a merge, an unmerge,
    /// an erasure or an import batch moved, removed or added many); a customer without any has none.
    /// Inside the caller's transaction, after the customers' rows were locked.
    func refreshValueSummaries(_ ids: some Collection<String>) throws {
        try SQLPlaceholders.inChunks(Array(ids), firstPlaceholder: 1) { chunk, placeholders in
            let arguments = chunk.map { SQLValue.text($0) }
            try db.execute("DELETE FROM value_summaries WHERE customer_id IN (\(placeholders))", arguments)
            try db.execute("INSERT INTO value_summaries \(Self.summarySelect(where: "customer_id IN (\(placeholders))"))", arguments)
        }
    }

    /// Per customer, from the transactions that pass `condition`: (customer_id, days, first_day,
    /// last_day, spend, first_day_spend). One grouping pass; the first day's spend from the
    /// (customer_id, time_ms) index (a range of two days around it: days truncate toward zero, as
    /// `timeMs / dayMs` does). On SQLite this took 10 s for 10 million transactions where grouping by
    /// day first and a window for the first day took 33 s.
    static func summarySelect(where condition: String) -> String {
        """
        SELECT customer_id, days, first_day, last_day, spend,
               (SELECT SUM(amount) FROM transactions AS f WHERE f.customer_id = c.customer_id AND f.time_ms > (c.first_day - 1) * \(dayMs)
                    AND f.time_ms < (c.first_day + 1) * \(dayMs) AND f.time_ms / \(dayMs) = c.first_day) AS first_day_spend
        FROM (SELECT customer_id, COUNT(DISTINCT time_ms / \(dayMs)) AS days, MIN(time_ms) / \(dayMs) AS first_day,
                     MAX(time_ms) / \(dayMs) AS last_day, SUM(amount) AS spend
              FROM transactions WHERE \(condition) GROUP BY customer_id) AS c
        """
    }

    /// Every customer's (x, t_x, T, m̄) in weeks at the end of `endDay`, as CustomerSummary computes
    /// them: from value_summaries, except customers with purchases after `endDay` (a refit asks for
    /// today: normally none), whose summaries are computed from their transactions up to it.
    public func valueSummaries(through endDay: Int) throws -> [CustomerSummary] {
        if try db.row("SELECT 1 FROM settings WHERE name = $1", [.text(Self.valueSummariesSetting)]) == nil {
            try buildValueSummaries()
        }
        // Two cells a customer: repeat days, recency and age in days packed in one integer (21 bits
        // each), and the repeat spend. PostgreSQL's client decodes each cell apart: five cells a
        // customer took 9 to 12 s at a million.
        let end = Int64(endDay)
        var rows = try db.query("""
            SELECT (days - 1) * 4398046511104 + (last_day - first_day) * 2097152 + ($1 - first_day), spend - first_day_spend
            FROM value_summaries WHERE last_day <= $1
            """, [.integer(end)]).map { row -> (days: Int64, first: Int64, last: Int64, repeatSpend: Double) in
            let packed = row.int(0) ?? 0, age = packed & 0x1F_FFFF
            return ((packed >> 42) + 1, end - age, end - age + ((packed >> 21) & 0x1F_FFFF), row.double(1) ?? 0)
        }
        // Customers with purchases after the day (normally none): from their transactions, by id.
        let later = try db.query("SELECT customer_id FROM value_summaries WHERE last_day > $1", [.integer(end)]).compactMap { $0.text(0) }
        try SQLPlaceholders.inChunks(later, firstPlaceholder: 2) { chunk, placeholders in
            rows += try db.query("""
                SELECT days, first_day, last_day, spend - first_day_spend FROM (\(Self.summarySelect(where: "time_ms < $1 AND customer_id IN (\(placeholders))"))) AS s
                """, [.integer((end + 1) * Self.dayMs)] + chunk.map { .text($0) }).map { ($0.int(0) ?? 1, $0.int(1) ?? 0, $0.int(2) ?? 0, $0.double(3) ?? 0) }
        }
        return rows.map { row in
            let (days, first, last) = (Double(row.days), Double(row.first), Double(row.last))
            let repeatSpend = row.repeatSpend
            return CustomerSummary(frequency: days - 1, recency: (last - first) / 7, age: (Double(endDay) - first) / 7,
                                   monetaryValue: days > 1 ? repeatSpend / (days - 1) : 0)
        }
    }

    /// Fills value_summaries from every transaction, once per store (it came after the transactions:
    /// 10 million take tens of seconds, paid by the first refit, not by replicas starting, which
    /// would wait on each other past the lock timeout). PostgreSQL: the table is locked against the
    /// writes' updates meanwhile, so none is lost between the snapshot and the rows going in.
    func buildValueSummaries() throws {
        try db.transaction {
            if db.dialect == .postgres { try db.execute("LOCK TABLE value_summaries IN EXCLUSIVE MODE") }
            guard try db.row("SELECT 1 FROM settings WHERE name = $1", [.text(Self.valueSummariesSetting)]) == nil else { return }
            try db.execute("DELETE FROM value_summaries")
            try db.execute("INSERT INTO value_summaries \(Self.summarySelect(where: "TRUE"))")
            try db.execute("INSERT INTO settings (name, value, updated_ms) VALUES ($1, 'true', $2)",
                           [.text(Self.valueSummariesSetting), .integer(Int64(Date().timeIntervalSince1970 * 1000))])
        }
    }
}
