// Partition K of N of a partitioned service (a decision replica holding 1/N of the customers):
// which routing keys it holds, as the broker routes them. FNV-1a, 64 bits, over the key's bytes,
// modulo N — stable across processes, machines and versions, unlike Swift's seeded Hasher.

public struct KeyPartition: Hashable, Sendable, CustomStringConvertible {
    /// This partition's number, 0 ..< count.
    public let index: UInt32
    public let count: UInt32

    public init(index: UInt32, count: UInt32) throws(ServiceError) {
        guard count >= 1, index < count else {
            throw ServiceError(.invalidArgument, "partition \(index)/\(count) does not exist: K/N with 0 ≤ K < N")
        }
        self.index = index
        self.count = count
    }

    /// "K/N", as the command line and the environment give it.
    public init(parsing text: String) throws(ServiceError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = UInt32(parts[0]), let count = UInt32(parts[1]) else {
            throw ServiceError(.invalidArgument, "partition '\(text)' is not K/N (two whole numbers, 0 ≤ K < N), e.g. 0/2")
        }
        try self.init(index: index, count: count)
    }

    /// Whether this partition holds `key` (every key when the count is 1).
    public func holds(_ key: some Sequence<UInt8>) -> Bool {
        count <= 1 || Self.of(key, count: count) == index
    }

    public var description: String { "\(index)/\(count)" }

    /// The partition of `key` among `count` (0 when count is 0 or 1).
    public static func of(_ key: some Sequence<UInt8>, count: UInt32) -> UInt32 {
        UInt32(fnv1a64(key) % UInt64(max(count, 1)))
    }

    /// FNV-1a, 64 bits (http://www.isthe.com/chongo/tech/comp/fnv/), continued from `seed`.
    public static func fnv1a64(_ bytes: some Sequence<UInt8>, seed: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
        var hash = seed
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }
}
