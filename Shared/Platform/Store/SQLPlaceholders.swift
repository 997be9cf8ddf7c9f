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
