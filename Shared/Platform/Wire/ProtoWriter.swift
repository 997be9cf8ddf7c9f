// Protobuf's binary wire format written directly, for the one message built on every decision
// (the decision log's record, ~100 candidates): swift-protobuf's generic visitor sizes every
// nested message before it writes it and spent a third of a decision's instructions there.
// Fields are written only when not the default (proto3), in the order the caller gives.
public struct ProtoWriter {
    public private(set) var bytes: [UInt8]

    /// `reserving` bytes at the front, left zero (e.g. for a length prefix the caller fills in).
    public init(reserving prefix: Int = 0, capacity: Int = 1024) {
        bytes = [UInt8](repeating: 0, count: prefix)
        bytes.reserveCapacity(capacity)
    }

    public mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    private mutating func tag(_ field: Int, _ wireType: UInt64) {
        varint(UInt64(field) << 3 | wireType)
    }

    public mutating func string(_ field: Int, _ value: String) {
        guard !value.isEmpty else { return }
        anyString(field, value)
    }

    /// Written even when empty (a map entry's key and value are).
    private mutating func anyString(_ field: Int, _ value: String) {
        tag(field, 2)
        let utf8 = value.utf8
        varint(UInt64(utf8.count))
        if utf8.withContiguousStorageIfAvailable({ bytes.append(contentsOf: $0) }) == nil { bytes.append(contentsOf: utf8) }
    }

    /// A repeated string field: every element, empty ones too.
    public mutating func strings(_ field: Int, _ values: [String]) {
        for value in values { anyString(field, value) }
    }

    public mutating func int64(_ field: Int, _ value: Int64) {
        guard value != 0 else { return }
        tag(field, 0)
        varint(UInt64(bitPattern: value))
    }

    public mutating func enumValue(_ field: Int, _ value: Int) {
        int64(field, Int64(value))
    }

    public mutating func bool(_ field: Int, _ value: Bool) {
        guard value else { return }
        tag(field, 0)
        bytes.append(1)
    }

    public mutating func double(_ field: Int, _ value: Double) {
        guard value.bitPattern != 0 else { return }  // -0.0 is written, as swift-protobuf does
        presentDouble(field, value)
    }

    /// An optional double field that is set: written even when zero (explicit presence).
    public mutating func presentDouble(_ field: Int, _ value: Double) {
        tag(field, 1)
        let bits = value.bitPattern
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
    }

    /// A nested message (or a map entry) written by `body` in place: written even when empty, as
    /// protobuf writes a set message field. Its length goes before it in one byte, moved up in
    /// the rare case that it needs more.
    public mutating func message(_ field: Int, _ body: (inout ProtoWriter) -> Void) {
        tag(field, 2)
        let start = bytes.count
        bytes.append(0)
        body(&self)
        let length = bytes.count - start - 1
        if length < 0x80 {
            bytes[start] = UInt8(length)
        } else {
            var prefix = ProtoWriter(capacity: 10)
            prefix.varint(UInt64(length))
            bytes.replaceSubrange(start..<start + 1, with: prefix.bytes)
        }
    }

    /// A map<string, string> field: one entry message (key 1, value 2) per pair, in key order (as
    /// swift-protobuf's deterministic ordering), so that the same record has the same bytes.
    public mutating func stringMap(_ field: Int, _ map: [String: String]) {
        for (key, value) in map.sorted(by: { $0.key < $1.key }) {
            message(field) {
                $0.anyString(1, key)
                $0.anyString(2, value)
            }
        }
    }

    /// Stores `value` big-endian in the first four bytes (a length prefix reserved at init).
    public mutating func setPrefix(_ value: UInt32) {
        for i in 0..<4 { bytes[i] = UInt8(truncatingIfNeeded: value >> UInt32(8 * (3 - i))) }
    }
}
