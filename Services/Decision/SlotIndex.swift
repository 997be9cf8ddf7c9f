// An index from keys (customer ids, identities) to the decision replica's customer slots in
// 8 bytes a bucket: open addressing with linear probing over [UInt64] = 32 bits of the key's hash
// and the slot. The keys themselves are not kept here: they are in the slots' entries
// (ProfileReplica's arena), so a hit is checked by the caller against its entry (`matches`).

struct SlotIndex {
    /// hash << 32 | slot + 1; 0 is an empty bucket.
    private var buckets: [UInt64]
    private(set) var count = 0
    /// Up to 80 % full: a probe stays short (linear probing with the hash kept to skip most misses).
    static let maxLoad = 0.8

    init(capacity: Int = 16) {
        var size = 16
        while Double(capacity) > Double(size) * Self.maxLoad { size *= 2 }
        buckets = Array(repeating: 0, count: size)
    }

    /// The key's hash, as the index keeps it (the same for the life of the process).
    static func hash<Key: Collection>(_ key: Key) -> UInt32 where Key.Element == UInt8 {
        var hasher = Hasher()
        if key.withContiguousStorageIfAvailable({ hasher.combine(bytes: UnsafeRawBufferPointer($0)) }) == nil {
            Array(key).withUnsafeBytes { hasher.combine(bytes: $0) }
        }
        return UInt32(truncatingIfNeeded: hasher.finalize())
    }

    /// What the buckets take.
    var bytes: Int { buckets.count * MemoryLayout<UInt64>.stride }

    private var mask: Int { buckets.count - 1 }

    private func home(_ hash: UInt32) -> Int { Int(hash) & mask }

    /// The slot of the key whose hash is `hash` and that `matches` confirms.
    func find(_ hash: UInt32, matches: (UInt32) -> Bool) -> UInt32? {
        bucket(hash, matches: matches).map(slot(at:))
    }

    /// The bucket of the key whose hash is `hash` and that `matches` confirms. (The callers look
    /// a key up, then change the index: `matches` reads their entries, which a closure of a
    /// mutating method could not while the index is being changed.)
    func bucket(_ hash: UInt32, matches: (UInt32) -> Bool) -> Int? {
        var index = home(hash)
        while buckets[index] != 0 {
            let bucket = buckets[index]
            if UInt32(bucket >> 32) == hash, matches(UInt32(truncatingIfNeeded: bucket) - 1) { return index }
            index = (index + 1) & mask
        }
        return nil
    }

    func slot(at bucket: Int) -> UInt32 { UInt32(truncatingIfNeeded: buckets[bucket]) - 1 }

    /// Points the key at `slot`: in its `bucket` when it has one (found by `bucket(_:matches:)`), else in a new one.
    mutating func set(_ hash: UInt32, slot: UInt32, bucket: Int?) {
        let value = UInt64(hash) << 32 | UInt64(slot + 1)
        if let bucket {
            buckets[bucket] = value
            return
        }
        if Double(count + 1) > Double(buckets.count) * Self.maxLoad { grow() }
        place(value)
        count += 1
    }

    /// Empties `bucket` (found by `bucket(_:matches:)`).
    mutating func remove(bucket: Int) {
        var hole = bucket
        buckets[hole] = 0
        count -= 1
        // Backward shift: the buckets after the hole that could sit in it move up, so that no
        // probe stops at the hole before what it looks for.
        var index = (hole + 1) & mask
        while buckets[index] != 0 {
            let start = home(UInt32(buckets[index] >> 32))
            if (index - start) & mask >= (index - hole) & mask {
                buckets[hole] = buckets[index]
                buckets[index] = 0
                hole = index
            }
            index = (index + 1) & mask
        }
    }

    private mutating func place(_ value: UInt64) {
        var index = home(UInt32(value >> 32))
        while buckets[index] != 0 { index = (index + 1) & mask }
        buckets[index] = value
    }

    private mutating func grow() {
        let old = buckets
        buckets = Array(repeating: 0, count: old.count * 2)
        for value in old where value != 0 { place(value) }
    }
}
