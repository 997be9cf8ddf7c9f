// What a merge moved, kept (as JSON in merge_records) so that an admin can undo it: the merged
// customer's identities, attributes, rows, holdings and session, what on the survivor they replaced,
// and which older merge chains were re-pointed. Erasing either customer deletes the record.
import Foundation
import Store

struct MergeRecord: Codable, Equatable {
    /// One stored value. A real keeps its exact bits, so an undo finds the very row again.
    enum Cell: Codable, Hashable {
        case null, integer(Int64), real(UInt64), text(String)

        init(_ value: SQLValue) {
            switch value {
            case .null, .blob: self = .null
            case .integer(let v): self = .integer(v)
            case .real(let v): self = .real(v.bitPattern)
            case .text(let v): self = .text(v)
            }
        }

        var value: SQLValue {
            switch self {
            case .null: .null
            case .integer(let v): .integer(v)
            case .real(let bits): .real(Double(bitPattern: bits))
            case .text(let v): .text(v)
            }
        }
    }

    struct Attribute: Codable, Equatable {
        var value: String
        var updatedMs: Int64
    }

    /// A value the survivor took from the merged customer, and the survivor's own before (nil: none).
    struct Adopted: Codable, Equatable {
        var value: Attribute
        var previous: Attribute?
    }

    /// A holding of the merged customer (product, balance, opened_ms, updated_ms), the
    /// survivor's row of that product before the merge, and the row the merge left.
    struct Holding: Codable, Equatable {
        var merged: [Cell]
        var previous: [Cell]?
        var combined: [Cell]
    }

    /// (kind, value) pairs that moved to the survivor.
    var identities: [[String]] = []
    /// Every attribute of the merged customer (all are deleted from it).
    var attributes: [String: Attribute] = [:]
    var adopted: [String: Adopted] = [:]
    /// Rows moved, by table, columns as in `movedColumns` (no customer id).
    var rows: [String: [[Cell]]] = [:]
    var holdings: [Holding] = []
    /// The merged customer's session rows (name, value, expires_ms), and those copied to the survivor.
    var sessions: [[Cell]] = []
    var sessionsCopied: [[Cell]] = []
    /// Customers merged into the merged one before, re-pointed to the survivor.
    var repointed: [String] = []

    /// The history tables a merge moves whole, and the columns that tell their rows apart.
    static let movedColumns: [(table: String, columns: [String])] = [
        ("transactions", ["time_ms", "amount", "quantity", "channel", "product", "key"]),
        ("events", ["time_ms", "type", "channel", "data", "key"]),
        ("balances", ["product", "time_ms", "balance"]),
    ]
    static let holdingColumns = "product, balance, opened_ms, updated_ms"
    static let sessionColumns = "name, value, expires_ms"

    func encoded() throws -> String {
        String(decoding: try JSONEncoder().encode(self), as: UTF8.self)
    }

    static func decode(_ text: String) throws -> MergeRecord {
        try JSONDecoder().decode(MergeRecord.self, from: Data(text.utf8))
    }
}

extension SQLRow {
    var cells: [MergeRecord.Cell] { values.map(MergeRecord.Cell.init) }
}
