// Where the decision replica's customer entries live: pages of 1 MiB of bytes, entries appended
// one after the other (no allocation, no header per customer beyond 8 bytes), instead of a heap
// buffer per customer. A replaced or removed entry leaves a hole; a page less than half live is
// emptied into the page being filled and dropped, so the holes never exceed about half of the
// bytes and the work to reclaim them (at most half a page copied) is bounded per change.

struct ReplicaArena {
    /// An entry's place: page << 32 | offset of its header in the page.
    typealias Location = UInt64
    static let none: Location = .max

    let pageSize: Int
    private var pages: [[UInt8]] = []
    /// Bytes of live entries (headers included) per page.
    private var live: [Int] = []
    private var unused: [Int] = []
    /// The page entries are appended to.
    private var current = -1
    static let headerSize = 8

    init(pageSize: Int = 1 << 20) {
        self.pageSize = pageSize
    }

    /// Bytes of the pages in use: what the arena costs.
    var bytes: Int { pages.reduce(0) { $0 + $1.count } }
    var liveBytes: Int { live.reduce(0, +) }

    /// Appends the entry of `slot`; its location goes into `locations[slot]`.
    mutating func append(_ payload: [UInt8], slot: UInt32, locations: inout [Location]) {
        let size = Self.headerSize + payload.count
        if current < 0 || pages[current].count + size > pages[current].capacity {
            // An entry bigger than a page gets a page of its own, never appended to.
            let page = openPage(capacity: max(size, pageSize))
            if size > pageSize {
                write(payload, slot: slot, to: page, locations: &locations)
                return
            }
            current = page
        }
        write(payload, slot: slot, to: current, locations: &locations)
    }

    private mutating func write(_ payload: [UInt8], slot: UInt32, to page: Int, locations: inout [Location]) {
        locations[Int(slot)] = UInt64(page) << 32 | UInt64(pages[page].count)
        withUnsafeBytes(of: slot.littleEndian) { pages[page].append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(payload.count).littleEndian) { pages[page].append(contentsOf: $0) }
        pages[page].append(contentsOf: payload)
        live[page] += Self.headerSize + payload.count
    }

    private mutating func openPage(capacity: Int) -> Int {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(capacity)
        if let page = unused.popLast() {
            pages[page] = bytes
            return page
        }
        pages.append(bytes)
        live.append(0)
        return pages.count - 1
    }

    /// The payload of the entry at `location`.
    func payload(_ location: Location) -> ArraySlice<UInt8> {
        let page = Int(location >> 32), offset = Int(location & 0xFFFF_FFFF)
        let count = pages[page].withUnsafeBytes { Int(UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))) }
        return pages[page][offset + Self.headerSize..<offset + Self.headerSize + count]
    }

    /// Lets go of the entry at `location`; a page left less than half live has its live entries
    /// moved to the current page (their slots' `locations` follow) and is dropped.
    mutating func free(_ location: Location, locations: inout [Location]) {
        guard location != Self.none else { return }
        let page = Int(location >> 32)
        live[page] -= Self.headerSize + payload(location).count
        guard page != current, live[page] * 2 < pages[page].count else { return }
        var offset = 0
        let moving = pages[page]
        pages[page] = []
        while offset < moving.count {
            let (slot, count) = moving.withUnsafeBytes {
                (UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self)),
                 Int(UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))))
            }
            if locations[Int(slot)] == UInt64(page) << 32 | UInt64(offset) {
                append(Array(moving[offset + Self.headerSize..<offset + Self.headerSize + count]), slot: slot, locations: &locations)
            }
            offset += Self.headerSize + count
        }
        live[page] = 0
        unused.append(page)
    }
}
