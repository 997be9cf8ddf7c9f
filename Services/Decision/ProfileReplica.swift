// The customers a decision replica holds in memory, kept by the profile stream: each customer's
// newest state, an index from every identity to its customer, and where merged-away customers
// went. Compact, for a million customers and more in a few hundred MiB: a customer is a slot
// number; its id, identities and state (CompactCustomer's bytes, decoded when a decision reads
// it) are one entry in a paged arena (ReplicaArena); customer ids and identities find their slot
// through open-addressing tables of 8-byte buckets (SlotIndex) checked against the entry.
// Not thread-safe: ReplicaViews guards it.
import ProfileCore
import Wire

struct ProfileReplica {
    /// A held customer's state as stored, decoded by the caller outside any lock.
    struct Stored: Equatable {
        let bytes: [UInt8]
        /// The string table when it was read: what the bytes' numbers name.
        let strings: [String]

        func decode() throws -> ReplicaCustomer { try CompactCustomer.decode(bytes, strings: strings) }
    }

    /// What a decision learns about an identity.
    enum Lookup: Equatable {
        /// Its customer's state.
        case found(Stored)
        /// No customer has it (or the customer was erased): the profile service would say NOT_FOUND.
        case unknown(String)
        /// Its customer lives in another partition: this replica does not hold the state.
        case elsewhere(customerID: String)
    }

    /// What a slot holds. A customer who is gone (erased, merged away) keeps its slot and its
    /// sequence, so an older change replayed after a snapshot cannot bring it back.
    enum Kind: UInt8 {
        case gone = 0
        /// Another partition's customer: known to exist (its identities are indexed), its state held elsewhere.
        case elsewhere = 1
        case held = 2
    }

    /// This replica's share of the customers: all when `partitions` is 1.
    let partition: UInt32
    let partitions: UInt32
    /// Per slot: the sequence of the change that set it, and where its entry is.
    private var sequences: [UInt64] = []
    private var locations: [ReplicaArena.Location] = []
    private var arena: ReplicaArena
    private var slotsByID = SlotIndex()
    private var slotsByIdentity = SlotIndex()
    private var strings = StringTable()
    private var mergedInto: [String: String] = [:]
    /// The last sequence applied: snapshot pages and changes together.
    private(set) var position: UInt64 = 0
    static let maxMergeHops = 8

    /// `pageSize`: the arena's (tests make it small, to see pages emptied and dropped).
    init(partition: UInt32 = 0, partitions: UInt32 = 1, pageSize: Int = 1 << 20) {
        precondition(partitions >= 1 && partition < partitions)
        self.partition = partition
        self.partitions = partitions
        arena = ReplicaArena(pageSize: pageSize)
    }

    /// Customers whose state this replica holds.
    private(set) var held = 0
    /// Customers it knows of (held, elsewhere or gone).
    var slots: Int { sequences.count }
    /// Bytes of the arena's pages, and of the live entries in them.
    var arenaBytes: (total: Int, live: Int) { (arena.bytes, arena.liveBytes) }
    /// Bytes of the per-slot arrays and the two indexes.
    var indexBytes: Int { slots * 16 + slotsByID.bytes + slotsByIdentity.bytes }

    /// Starts from a snapshot: the changes after `head` follow from the stream.
    mutating func snapshot(head: UInt64) {
        position = max(position, head)
    }

    /// Applies a change (a snapshot page's entry or the stream's), unless the customer already
    /// has a newer state. Returns false for a change that does not follow `position` (a gap),
    /// when `inOrder`; snapshot entries come in customer order, not sequence order.
    @discardableResult
    mutating func apply(_ change: ProfileChange, inOrder: Bool) -> Bool {
        if inOrder {
            guard change.sequence <= position + 1 else { return false }
            guard change.sequence > position else { return true }
            position = change.sequence
        }
        // A refit names no customer: the profile service revalues each one and publishes its state.
        if change.customerID.isEmpty { return true }
        let id = change.customerID
        let slot = self.slot(of: id)
        if let slot {
            guard sequences[Int(slot)] < change.sequence else { return true }
            let old = entry(slot)
            if old.kind == .held { held -= 1 }
            // Its identities stop naming it (unless another customer has one of them since).
            for identity in identityKeys(slot, old) {
                if let bucket = slotsByIdentity.bucket(SlotIndex.hash(identity), matches: { $0 == slot && owns($0, identity) }) {
                    slotsByIdentity.remove(bucket: bucket)
                }
            }
        }
        guard change.hasCustomer else {
            // Gone. Where it merged into is kept so that its "customer:" identity still resolves.
            mergedInto[id] = change.mergedInto.isEmpty ? nil : change.mergedInto
            store(slot, id: id, kind: .gone, state: [], sequence: change.sequence)
            return true
        }
        mergedInto[id] = nil
        let owned = change.customer.view.identities.map { Array(($0.kind + ":" + $0.value).utf8) }
        // Another partition's customer: a state of its identities alone, for the index.
        let holding = holds(id)
        let state = holding ? change.customer : ReplicaCustomer.with {
            $0.view.customerID = id
            $0.view.identities = change.customer.view.identities
        }
        guard let bytes = try? CompactCustomer.encode(state, table: &strings) else {
            // A state that cannot be encoded (its protobuf cannot be written): not held, nor indexed.
            store(slot, id: id, kind: .gone, state: [], sequence: change.sequence)
            return true
        }
        if holding { held += 1 }
        let stored = store(slot, id: id, kind: holding ? .held : .elsewhere, state: bytes, sequence: change.sequence)
        for identity in owned {
            let hash = SlotIndex.hash(identity)
            let bucket = slotsByIdentity.bucket(hash) { owns($0, identity) }
            slotsByIdentity.set(hash, slot: stored, bucket: bucket)
        }
        return true
    }

    /// Whether this replica holds the state of customer `id` (its partition).
    func holds(_ id: String) -> Bool {
        partitions == 1 || CustomerPartition.of(id, partitions: partitions) == partition
    }

    /// The customer an identity names (already in canonical form), through merges.
    func lookup(_ identity: CustomerIdentity) -> Lookup {
        var id: String
        if identity.kind == .customer {
            id = identity.value
        } else {
            let key = Array((identity.kind.rawValue + ":" + identity.value).utf8)
            guard let owner = slotsByIdentity.find(SlotIndex.hash(key), matches: { owns($0, key) }) else {
                return .unknown("no customer with \(identity)")
            }
            id = entry(owner).id
        }
        for _ in 0..<Self.maxMergeHops {
            if let survivor = mergedInto[id] {
                id = survivor
                continue
            }
            guard let slot = slot(of: id) else { return .unknown("no customer with \(identity)") }
            let found = entry(slot)
            switch found.kind {
            case .held: return .found(Stored(bytes: Array(state(slot, found)), strings: strings.strings))
            case .elsewhere: return .elsewhere(customerID: id)
            case .gone: return .unknown("no customer with \(identity)")
            }
        }
        return .unknown("merge chain from \(identity) is longer than \(Self.maxMergeHops) hops")
    }

    // MARK: Slots and their entries

    /// A slot's entry: [kind][id, length-prefixed][state to the end: CompactCustomer's bytes, its
    /// identities first; for another partition's customer, only its identities; none when gone].
    private struct Entry {
        var kind: Kind
        var id: String
        /// The state's bytes within the payload.
        var state: Range<Int>
    }

    private func slot(of id: String) -> UInt32? {
        slotsByID.find(SlotIndex.hash(id.utf8)) { slot in
            var reader = ByteReader(arena.payload(locations[Int(slot)]))
            guard (try? reader.byte()) != nil, let range = try? reader.rawRange() else { return false }
            return reader.bytes[range].elementsEqual(id.utf8)
        }
    }

    private func entry(_ slot: UInt32) -> Entry {
        var reader = ByteReader(arena.payload(locations[Int(slot)]))
        // The entries are this replica's own writing: one that does not parse is a bug.
        do {
            let kind = Kind(rawValue: try reader.byte()) ?? .gone
            let id = try reader.raw()
            return Entry(kind: kind, id: id, state: reader.at..<reader.bytes.endIndex)
        } catch {
            preconditionFailure("the replica's entry of slot \(slot) does not parse")
        }
    }

    private func state(_ slot: UInt32, _ entry: Entry) -> ArraySlice<UInt8> { arena.payload(locations[Int(slot)])[entry.state] }

    /// The identities `slot`'s entry lists, as "kind:value".
    private func identityKeys(_ slot: UInt32, _ entry: Entry) -> [[UInt8]] {
        guard entry.kind != .gone else { return [] }
        var keys: [[UInt8]] = []
        _ = try? CompactCustomer.identities(state(slot, entry), strings: strings.strings) { kind, value in
            keys.append(Array(kind.utf8) + [UInt8(ascii: ":")] + value)
            return false
        }
        return keys
    }

    /// Whether `slot`'s entry lists `identity`.
    private func owns(_ slot: UInt32, _ identity: [UInt8]) -> Bool {
        let found = entry(slot)
        return found.kind != .gone && CompactCustomer.lists(identity, in: state(slot, found), strings: strings.strings)
    }

    /// Writes the entry of customer `id` into `slot` (a new slot when nil); returns the slot.
    @discardableResult
    private mutating func store(_ slot: UInt32?, id: String, kind: Kind, state: [UInt8], sequence: UInt64) -> UInt32 {
        var out = ByteWriter(capacity: 8 + id.utf8.count + state.count)
        out.byte(kind.rawValue)
        out.raw(id)
        out.bytes.append(contentsOf: state)
        guard let slot else {
            let slot = UInt32(sequences.count)
            sequences.append(sequence)
            locations.append(ReplicaArena.none)
            arena.append(out.bytes, slot: slot, locations: &locations)
            slotsByID.set(SlotIndex.hash(id.utf8), slot: slot, bucket: nil)
            return slot
        }
        sequences[Int(slot)] = sequence
        let old = locations[Int(slot)]
        arena.append(out.bytes, slot: slot, locations: &locations)
        arena.free(old, locations: &locations)
        return slot
    }
}
