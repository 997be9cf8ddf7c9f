// Values and rows that cross the boundary between the stores and the SQL drivers, the same
// for SQLite and PostgreSQL so that store logic is written once.

public enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

extension SQLValue: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral, ExpressibleByFloatLiteral, ExpressibleByNilLiteral {
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(stringLiteral value: String) { self = .text(value) }
    public init(floatLiteral value: Double) { self = .real(value) }
    public init(nilLiteral: ()) { self = .null }

    public init(_ value: Int) { self = .integer(Int64(value)) }
    public init(_ value: String?) { self = value.map(SQLValue.text) ?? .null }
    public init(_ value: Double?) { self = value.map(SQLValue.real) ?? .null }
}

/// One result row; columns by position, in the order of the SELECT.
public struct SQLRow: Sendable {
    public var values: [SQLValue]

    public init(_ values: [SQLValue]) { self.values = values }

    public subscript(_ column: Int) -> SQLValue { values[column] }

    public func int(_ column: Int) -> Int64? {
        switch values[column] {
        case .integer(let v): v
        case .real(let v): Int64(exactly: v)
        case .text(let s): Int64(s)
        default: nil
        }
    }

    public func double(_ column: Int) -> Double? {
        switch values[column] {
        case .real(let v): v
        case .integer(let v): Double(v)
        case .text(let s): Double(s)
        default: nil
        }
    }

    public func text(_ column: Int) -> String? {
        switch values[column] {
        case .text(let s): s
        case .integer(let v): String(v)
        case .real(let v): String(v)
        default: nil
        }
    }

    public func blob(_ column: Int) -> [UInt8]? {
        switch values[column] {
        case .blob(let b): b
        case .text(let s): Array(s.utf8)
        default: nil
        }
    }
}
