// Bulk import of customers, identities and transactions from CSV straight into the store.
// Every line is checked before anything is written; a bad line is reported as
// "file:line: what is wrong" and skipped, good lines go in, in batches of one transaction each,
// so an interrupted or partly bad import never leaves a half-written row. Each imported file's
// SHA-256 is recorded per kind: the same file again is a no-op unless appended on purpose.
import CSV
import Foundation
import ProfileCore
import Store

public struct ImportSummary: Sendable, Codable {
    public var kind: String
    public var records = 0
    public var imported = 0
    public var unchanged = 0
    public var customersCreated = 0
    public var rejected = 0
    public var seconds = 0.0
    /// The first rejected lines, in file order.
    public var errors: [CSVError] = []
    /// SHA-256 of the file's bytes.
    public var sha256 = ""
    /// When this file was imported before, as this kind (then nothing was done), Unix ms.
    public var alreadyImportedUnixMs: Int64?

    public static let maxErrorsKept = 100
}

public final class ProfileImporter {
    public enum Kind: String, CaseIterable, Sendable {
        case customers, identities, transactions, holdings

        public var header: (required: [String], optional: [String]) {
            switch self {
            case .customers: (["customer_id"], ["ATTRIBUTE..."])
            case .identities: (["customer_id", "kind", "value"], [])
            case .transactions: (TransactionRow.required, TransactionRow.optional)
            case .holdings: (["customer_id", "product", "balance"], [])
            }
        }
    }

    let repository: ProfileRepository
    let batchSize: Int
    let now: Int64
    private var created: Set<String> = []
    /// What the current batch writes in bulk at its end: new customers, transaction rows, and the
    /// transaction ids among them (a repeat within the batch is not yet in the store to be found).
    private var newCustomers: [String] = []
    private var newTransactions: [[SQLValue]] = []
    private var newTransactionIDs: Set<String> = []
    /// Customers the batch's transactions belong to.
    private var buyers: Set<String> = []
    /// Customers of the current batch that exist: merged into whom, erased.
    private var existing: [String: (String?, Bool)] = [:]
    static let chunk = 500

    public init(repository: ProfileRepository, batchSize: Int = 5000, now: Int64) {
        self.repository = repository
        self.batchSize = batchSize
        self.now = now
    }

    /// Imports one file; `progress` is called after each batch with (bytes done, bytes total).
    /// A file imported before as the same kind (same SHA-256) is not imported again unless
    /// `append`: transactions without a transaction id would be added a second time.
    public func run(_ kind: Kind, _ reader: inout CSVReader, append: Bool = false,
                    progress: (Int, Int) -> Void = { _, _ in }) throws -> ImportSummary {
        let started = Date()
        created = []
        var summary = ImportSummary(kind: kind.rawValue)
        summary.sha256 = reader.sha256
        let columns = try reader.header(required: kind.header.required, optional: kind.header.optional.filter { $0 != "ATTRIBUTE..." })
        if !append, let before = try repository.db.row("SELECT imported_ms FROM imports WHERE kind = $1 AND sha256 = $2",
                                                        [.text(kind.rawValue), .text(summary.sha256)]) {
            summary.alreadyImportedUnixMs = before.int(0)
            return summary
        }
        let attributeColumns = kind == .customers ? columns.filter { $0.key != "customer_id" }.sorted { $0.value < $1.value } : []
        for (name, _) in attributeColumns {
            do { try AttributeSchema.validateName(name) } catch { throw CSVError(file: reader.file, line: 1, error.message) }
        }
        var batch: [(line: Int, fields: [String])] = []
        func flush() throws {
            guard !batch.isEmpty else { return }
            // One write: each customer the batch touched gets its change on the profile stream.
            try repository.write(now: now) {
                var touched: Set<String> = []
                try prefetchCustomers(batch.map { $0.fields[columns["customer_id"]!].trimmingCharacters(in: .whitespaces) })
                for (line, fields) in batch {
                    do {
                        switch kind {
                        case .customers: try importCustomer(fields, columns, attributeColumns, &summary, &touched)
                        case .identities: try importIdentity(fields, columns, &summary, &touched)
                        case .transactions: try importTransaction(fields, columns, &summary, &touched)
                        case .holdings: try importHolding(fields, columns, &summary, &touched)
                        }
                    } catch let error as ProfileError {
                        reject(CSVError(file: reader.file, line: line, error.message), &summary)
                    }
                }
                try writeBatch()
                try touch(touched)
                // After the customers' rows are locked (touch, or inserted): their summaries from all they have.
                try repository.refreshValueSummaries(buyers)
                buyers = []
            }
            batch.removeAll(keepingCapacity: true)
            progress(reader.progress.done, reader.progress.total)
        }
        while true {
            let record: (line: Int, fields: [String])?
            do {
                record = try reader.next()
            } catch {
                reject(error, &summary)
                break  // an unclosed quote swallows the rest of the file: nothing after it is trustworthy
            }
            guard let record else { break }
            summary.records += 1
            guard record.fields.count == columns.count else {
                reject(CSVError(file: reader.file, line: record.line, "expected \(columns.count) fields, found \(record.fields.count)"), &summary)
                continue
            }
            batch.append(record)
            if batch.count >= batchSize { try flush() }
        }
        try flush()
        // A file none of whose lines went in (identities before their customers, say) may be
        // imported again as it is; any other is now known.
        if summary.imported + summary.unchanged > 0 {
            try repository.db.execute("""
                INSERT INTO imports (kind, sha256, file, records, imported, rejected, imported_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (kind, sha256) DO UPDATE SET file = excluded.file, records = excluded.records, imported = excluded.imported,
                    rejected = excluded.rejected, imported_ms = excluded.imported_ms
                """, [.text(kind.rawValue), .text(summary.sha256), .text(reader.file), .integer(Int64(summary.records)),
                      .integer(Int64(summary.imported)), .integer(Int64(summary.rejected)), .integer(now)])
        }
        summary.errors.sort { $0.line < $1.line }
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }

    private func reject(_ error: CSVError, _ summary: inout ImportSummary) {
        summary.rejected += 1
        if summary.errors.count < ImportSummary.maxErrorsKept { summary.errors.append(error) }
    }

    /// A live customer id from the file: must be well-formed and neither merged nor erased.
    private func customerID(_ raw: String) throws -> String {
        try CustomerIdentity(kind: .customer, value: raw).value
    }

    /// Reads, for a batch, which of its customers exist and whether they were merged or erased:
    /// one query per 500 ids instead of one per line.
    private func prefetchCustomers(_ ids: [String]) throws {
        existing = [:]
        try SQLPlaceholders.inChunks(Array(Set(ids).subtracting(created)), of: Self.chunk, firstPlaceholder: 1) { chunk, placeholders in
            for row in try repository.db.query("SELECT id, merged_into, erased_ms FROM customers WHERE id IN (\(placeholders))", chunk.map { .text($0) }) {
                existing[row.text(0) ?? ""] = (row.text(1), row.int(2) != nil)
            }
        }
    }

    /// Writes the batch's new customers and transactions, 500 rows per statement.
    private func writeBatch() throws {
        try repository.insertNewCustomers(newCustomers, now: now)
        try SQLPlaceholders.rowsInChunks(newTransactions, width: 7) { values, arguments in
            try repository.db.execute("INSERT INTO transactions (customer_id, time_ms, amount, quantity, channel, product, key) VALUES \(values)",
                                      arguments)
        }
        newCustomers = []
        newTransactions = []
        newTransactionIDs = []
    }

    /// Bumps the version of customers the batch changed, so replicas' caches let go of them.
    private func touch(_ ids: Set<String>) throws {
        try SQLPlaceholders.inChunks(Array(ids), of: Self.chunk, firstPlaceholder: 2) { chunk, placeholders in
            try repository.db.execute("UPDATE customers SET version = version + 1, updated_ms = $1 WHERE id IN (\(placeholders))",
                                      [.integer(now)] + chunk.map { .text($0) })
        }
        ids.sorted().forEach(repository.changed)
    }

    /// Makes sure the customer exists. Customers this import created need no version bump
    /// (no replica can have cached them), so only older ones are `touched`.
    private func ensureCustomer(_ id: String, create: Bool, _ summary: inout ImportSummary, _ touched: inout Set<String>) throws {
        if created.contains(id) { return }
        if let (survivor, erased) = existing[id] {
            if let survivor { throw ProfileError.invalidArgument("customer \(id) was merged into \(survivor): use that id") }
            if erased { throw ProfileError.invalidArgument("customer \(id) was erased") }
            touched.insert(id)
            return
        }
        guard create else { throw ProfileError.notFound("unknown customer \(id): import customers first") }
        newCustomers.append(id)
        summary.customersCreated += 1
        created.insert(id)
    }

    private func importCustomer(_ fields: [String], _ columns: [String: Int], _ attributes: [(key: String, value: Int)],
                                _ summary: inout ImportSummary, _ touched: inout Set<String>) throws {
        let id = try customerID(fields[columns["customer_id"]!])
        var values: [(String, String)] = []
        for (name, index) in attributes where !fields[index].isEmpty {
            values.append((name, try repository.schema.validate(name: name, value: fields[index])))
        }
        try ensureCustomer(id, create: true, &summary, &touched)
        for (name, value) in values {
            try repository.db.execute("""
                INSERT INTO attributes (customer_id, name, value, updated_ms) VALUES ($1, $2, $3, $4)
                ON CONFLICT (customer_id, name) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms
                """, [.text(id), .text(name), .text(value), .integer(now)])
        }
        summary.imported += 1
    }

    private func importIdentity(_ fields: [String], _ columns: [String: Int], _ summary: inout ImportSummary, _ touched: inout Set<String>) throws {
        let id = try customerID(fields[columns["customer_id"]!])
        guard let kind = IdentityKind(rawValue: fields[columns["kind"]!]), kind != .customer else {
            throw ProfileError.invalidArgument("unknown identity kind '\(fields[columns["kind"]!].prefix(40))' (one of: \(IdentityKind.allCases.filter { $0 != .customer }.map(\.rawValue).joined(separator: ", ")))")
        }
        let identity = try CustomerIdentity(kind: kind, value: fields[columns["value"]!])
        try ensureCustomer(id, create: false, &summary, &touched)
        if let holder = try repository.find(identity) {
            guard holder.id == id else { throw ProfileError.alreadyExists("\(identity) already belongs to customer \(holder.id)") }
            summary.unchanged += 1
            return
        }
        try repository.db.execute("INSERT INTO identities (kind, value, customer_id, added_ms) VALUES ($1, $2, $3, $4)",
                                  [.text(kind.rawValue), .text(identity.value), .text(id), .integer(now)])
        summary.imported += 1
    }

    /// A product the customer holds now, with its balance (also kept as balance history).
    private func importHolding(_ fields: [String], _ columns: [String: Int], _ summary: inout ImportSummary, _ touched: inout Set<String>) throws {
        let id = try customerID(fields[columns["customer_id"]!])
        let product = fields[columns["product"]!]
        try AttributeSchema.validateName(product)
        guard let balance = Double(fields[columns["balance"]!]), balance.isFinite else {
            throw ProfileError.invalidArgument("balance '\(fields[columns["balance"]!].prefix(40))' is not a number")
        }
        try ensureCustomer(id, create: false, &summary, &touched)
        try repository.storeHolding(id, product: product, balance: balance, openedMs: now, timeMs: now)
        summary.imported += 1
    }

    private func importTransaction(_ fields: [String], _ columns: [String: Int], _ summary: inout ImportSummary, _ touched: inout Set<String>) throws {
        let row = try TransactionRow(fields: fields, columns: columns)
        try ensureCustomer(row.customerID, create: true, &summary, &touched)
        if !row.transactionID.isEmpty {
            if try newTransactionIDs.contains(row.transactionID)
                || repository.db.row("SELECT 1 FROM transactions WHERE key = $1", [.text(row.transactionID)]) != nil {
                summary.unchanged += 1
                return
            }
            newTransactionIDs.insert(row.transactionID)
        }
        newTransactions.append([.text(row.customerID), .integer(Int64(row.day) * ProfileRepository.dayMs), .real(row.amount),
                                .integer(row.quantity), .text(row.channel), .text(row.product),
                                row.transactionID.isEmpty ? .null : .text(row.transactionID)])
        buyers.insert(row.customerID)
        summary.imported += 1
    }
}
