// Statements over many ids at once ("… WHERE id IN ($1, $2, …)"), in chunks, so one query
// serves hundreds of ids without passing either store's limit on parameters.
public enum SQLPlaceholders {
    /// Ids per statement.
    public static let defaultChunk = 500

    /// Runs `body` per `size` ids with the placeholder list for them ("$2, $3, …" from `firstPlaceholder`).
    public static func inChunks(_ ids: [String], of size: Int = defaultChunk, firstPlaceholder: Int,
                                _ body: (ArraySlice<String>, String) throws -> Void) throws {
        for start in stride(from: 0, to: ids.count, by: size) {
            let slice = ids[start..<min(start + size, ids.count)]
            try body(slice, (firstPlaceholder..<firstPlaceholder + slice.count).map { "$\($0)" }.joined(separator: ", "))
        }
    }
}

extension SQLPlaceholders {
    /// Runs `body` per `size` rows of `width` values with the VALUES list for them ("($1, $2), ($3, $4), …"):
    /// a multi-row INSERT writes them in one round trip (PostgreSQL: one per row made imports
    /// round-trip bound). 500 rows of up to 60 values stay within both stores' parameter limits.
    public static func rowsInChunks(_ rows: [[SQLValue]], width: Int, of size: Int = defaultChunk,
                                    _ body: (_ values: String, _ arguments: [SQLValue]) throws -> Void) throws {
        for start in stride(from: 0, to: rows.count, by: size) {
            let chunk = rows[start..<min(start + size, rows.count)]
            let values = (0..<chunk.count).map { row in
                "(" + (1...width).map { "$\(row * width + $0)" }.joined(separator: ", ") + ")"
            }.joined(separator: ", ")
            try body(values, chunk.flatMap { $0 })
        }
    }
}
