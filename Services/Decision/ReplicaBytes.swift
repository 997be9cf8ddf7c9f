// Varints, zigzag integers, doubles and length-prefixed strings: the pieces of the decision
// replica's compact encodings (CompactCustomer, ProfileReplica's entries).

struct ByteWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func signed(_ value: Int64) { varint(UInt64(bitPattern: (value << 1) ^ (value >> 63))) }

    mutating func double(_ value: Double) {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func raw(_ string: String) {
        varint(UInt64(string.utf8.count))
        bytes.append(contentsOf: string.utf8)
    }
}

/// Reads what ByteWriter wrote; bytes that end early or do not parse throw.
struct ByteReader<Bytes: RandomAccessCollection> where Bytes.Element == UInt8, Bytes.Index == Int {
    struct Truncated: Error {}

    let bytes: Bytes
    var at: Int

    init(_ bytes: Bytes, at: Int? = nil) {
        self.bytes = bytes
        self.at = at ?? bytes.startIndex
    }

    var atEnd: Bool { at >= bytes.endIndex }

    mutating func byte() throws -> UInt8 {
        guard at < bytes.endIndex else { throw Truncated() }
        defer { at += 1 }
        return bytes[at]
    }

    mutating func varint() throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while at < bytes.endIndex, shift < 64 {
            let byte = bytes[at]
            at += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
        throw Truncated()
    }

    mutating func signed() throws -> Int64 {
        let value = try varint()
        return Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
    }

    mutating func double() throws -> Double {
        guard bytes.endIndex - at >= 8 else { throw Truncated() }
        var bits: UInt64 = 0
        for shift in stride(from: 0, to: 64, by: 8) {
            bits |= UInt64(bytes[at]) << UInt64(shift)
            at += 1
        }
        return Double(bitPattern: bits)
    }

    /// The range of a length-prefixed string, skipped.
    mutating func rawRange() throws -> Range<Int> {
        let count = try varint()
        guard count <= UInt64(bytes.endIndex - at) else { throw Truncated() }
        defer { at += Int(count) }
        return at..<at + Int(count)
    }

    mutating func raw() throws -> String {
        String(decoding: bytes[try rawRange()], as: UTF8.self)
    }

    /// A count, then that many elements (each at least a byte: a count beyond the bytes left is wrong).
    mutating func list<T>(_ element: (inout Self) throws -> T) throws -> [T] {
        let count = try varint()
        guard count <= UInt64(bytes.endIndex - at) else { throw Truncated() }
        var list: [T] = []
        list.reserveCapacity(Int(count))
        for _ in 0..<count { list.append(try element(&self)) }
        return list
    }
}
