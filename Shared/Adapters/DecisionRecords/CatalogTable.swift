// The catalogs that decided, by version: the decision service stores the text of every catalog it
// runs, so that the log explains itself (a candidate's "not_eligible" names a rule of that
// version) and a what-if replay can tell which rules a new catalog changes. The first text stored
// under a version stays: a catalog's version names its text.
import Store

public enum CatalogTable {
    static let schema = [
        "CREATE TABLE IF NOT EXISTS catalogs (version TEXT PRIMARY KEY, text TEXT NOT NULL, loaded_ms BIGINT NOT NULL)",
    ]

    public static func record(version: String, text: String, nowMs: Int64, _ db: any SQLDatabase) throws {
        try db.execute("INSERT INTO catalogs (version, text, loaded_ms) VALUES ($1, $2, $3) ON CONFLICT (version) DO NOTHING",
                       [.text(version), .text(text), .integer(nowMs)])
    }

    /// Every stored catalog's text by version.
    public static func all(_ db: any SQLDatabase) throws -> [String: String] {
        var texts: [String: String] = [:]
        for row in try db.query("SELECT version, text FROM catalogs", []) {
            if let version = row.text(0), let text = row.text(1) { texts[version] = text }
        }
        return texts
    }
}
