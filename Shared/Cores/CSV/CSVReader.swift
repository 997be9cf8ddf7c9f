// Reads CSV (RFC 4180: quoted fields, "" for a quote, CRLF or LF) record by record from a
// file's bytes, with the line number of each record for error messages. Fast enough for bulk
// imports: one pass over the bytes, no per-line Foundation work.
import Crypto
import Foundation

public struct CSVError: Error, Equatable, Sendable, Codable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let message: String

    public init(file: String, line: Int, _ message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    /// "file:line: what is wrong", the form editors and people both understand.
    public var description: String { "\(file):\(line): \(message)" }
}

public struct CSVReader: Sendable {
    public let file: String
    private let bytes: [UInt8]
    private var position = 0
    /// Line (1-based) where the next record starts.
    public private(set) var line = 1

    public init(file: String, bytes: [UInt8]) {
        self.file = file
        self.bytes = bytes
        // A UTF-8 byte-order mark is not part of the first field.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
    }

    public init(contentsOf path: String) throws(CSVError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CSVError(file: path, line: 0, "cannot read the file")
        }
        self.init(file: path, bytes: Array(data))
    }

    /// SHA-256 of the whole file, as hex: the same bytes, the same file.
    public var sha256: String { SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined() }

    /// Bytes read so far and in all, for progress.
    public var progress: (done: Int, total: Int) { (position, bytes.count) }

    /// The next record and the line it starts on; nil at the end. Blank lines are skipped.
    public mutating func next() throws(CSVError) -> (line: Int, fields: [String])? {
        while position < bytes.count, bytes[position] == 0x0A || bytes[position] == 0x0D {
            if bytes[position] == 0x0A { line += 1 }
            position += 1
        }
        guard position < bytes.count else { return nil }
        let start = line
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            if quoted {
                if byte != 0x22 {
                    if byte == 0x0A { line += 1 }
                    field.append(byte)
                } else if position < bytes.count && bytes[position] == 0x22 {
                    field.append(0x22)
                    position += 1
                } else {
                    quoted = false
                }
                continue
            }
            switch byte {
            case 0x2C:  // ,
                fields.append(try text(field, start))
                field.removeAll(keepingCapacity: true)
            case 0x22 where field.isEmpty:
                quoted = true
            case 0x0A:
                line += 1
                if field.last == 0x0D { field.removeLast() }
                fields.append(try text(field, start))
                return (start, fields)
            default:
                field.append(byte)
            }
        }
        if quoted { throw CSVError(file: file, line: start, "a quoted field is not closed") }
        if field.last == 0x0D { field.removeLast() }
        fields.append(try text(field, start))
        return (start, fields)
    }

    private func text(_ field: [UInt8], _ line: Int) throws(CSVError) -> String {
        guard let text = String(validating: field, as: UTF8.self) else {
            throw CSVError(file: file, line: line, "not valid UTF-8")
        }
        return text
    }

    /// Reads the header and checks it names the required columns; returns each column's index.
    public mutating func header(required: [String], optional: [String] = []) throws(CSVError) -> [String: Int] {
        guard let (line, names) = try next() else { throw CSVError(file: file, line: 1, "the file is empty: expected a header \(required.joined(separator: ","))") }
        let trimmed = names.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        var columns: [String: Int] = [:]
        for (index, name) in trimmed.enumerated() {
            guard columns[name] == nil else { throw CSVError(file: file, line: line, "column '\(name)' appears twice in the header") }
            columns[name] = index
        }
        let missing = required.filter { columns[$0] == nil }
        guard missing.isEmpty else {
            throw CSVError(file: file, line: line, "the header lacks \(missing.map { "'\($0)'" }.joined(separator: ", ")) (expected \((required + optional.map { "[\($0)]" }).joined(separator: ",")))")
        }
        return columns
    }
}
