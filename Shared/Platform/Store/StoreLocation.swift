// Where the system of record is, from one configuration string:
//   sqlite:PATH  (or a plain path)            the embedded default, a file under the data directory
//   postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE   the shared store for replicas on several machines

public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresSettings)

    public init(_ text: String) throws(StoreError) {
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(try PostgresSettings(url: text))
        } else if text.hasPrefix("sqlite:") {
            self = .sqlite(path: String(text.dropFirst("sqlite:".count)))
        } else if text.contains("://") {
            throw StoreError(.failed, "unknown store '\(text)': use sqlite:PATH or postgres://USER@HOST:PORT/DATABASE")
        } else {
            self = .sqlite(path: text)
        }
    }

    /// Opens a connection for the calling thread. `create: false` (read-only tools) refuses a
    /// SQLite file that does not exist instead of making an empty one.
    public func open(create: Bool = true) throws(StoreError) -> any SQLDatabase {
        switch self {
        case .sqlite(let path): try SQLiteDatabase(path: path, create: create)
        case .postgres(let settings): try PostgreSQLDatabase(settings)
        }
    }

    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let settings): settings.description
        }
    }
}
