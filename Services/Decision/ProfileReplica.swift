// The customers a decision replica holds in memory, kept by the profile stream: each customer's
// newest state (the bytes of its ReplicaCustomer, decoded when a decision reads it: a third of
// the memory of the decoded view), an index from every identity to its customer, and where
// merged-away customers went. Not thread-safe: ReplicaViews guards it.
import ProfileCore
import Wire

struct ProfileReplica {
    /// A customer's newest state and the sequence of the change that set it. A customer who is
    /// gone (erased, merged away) keeps its sequence, so an older change replayed after a
    /// snapshot cannot bring it back.
    struct Entry {
        enum State {
            case held([UInt8])
            /// Another partition's customer: known to exist, its state held elsewhere.
            case elsewhere
            case gone
        }

        var sequence: UInt64
        var state: State
        /// Its identities as "kind:value" (what the index holds for it).
        var identities: [String]
    }

    /// What a decision learns about an identity.
    enum Lookup: Equatable {
        /// The bytes of its ReplicaCustomer (decoded by the caller, outside any lock).
        case found([UInt8])
        /// No customer has it (or the customer was erased): the profile service would say NOT_FOUND.
        case unknown(String)
        /// Its customer lives in another partition: this replica does not hold the state.
        case elsewhere(customerID: String)
    }

    /// This replica's share of the customers: all when `partitions` is 1.
    let partition: UInt32
    let partitions: UInt32
    private(set) var customers: [String: Entry] = [:]
    private var identities: [String: String] = [:]
    private var mergedInto: [String: String] = [:]
    /// The last sequence applied: snapshot pages and changes together.
    private(set) var position: UInt64 = 0
    static let maxMergeHops = 8

    init(partition: UInt32 = 0, partitions: UInt32 = 1) {
        precondition(partitions >= 1 && partition < partitions)
        self.partition = partition
        self.partitions = partitions
    }

    /// Customers whose state this replica holds.
    private(set) var held = 0

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
        let previous = customers[id]
        if let previous, previous.sequence >= change.sequence { return true }
        if case .held = previous?.state { held -= 1 }
        for identity in previous?.identities ?? [] where identities[identity] == id { identities[identity] = nil }
        guard change.hasCustomer else {
            // Gone. Where it merged into is kept so that its "customer:" identity still resolves.
            mergedInto[id] = change.mergedInto.isEmpty ? nil : change.mergedInto
            customers[id] = Entry(sequence: change.sequence, state: .gone, identities: [])
            return true
        }
        mergedInto[id] = nil
        let owned = change.customer.view.identities.map { $0.kind + ":" + $0.value }
        for identity in owned { identities[identity] = id }
        var state = Entry.State.elsewhere
        if holds(id), let bytes: [UInt8] = try? change.customer.serializedBytes() {
            state = .held(bytes)
            held += 1
        }
        customers[id] = Entry(sequence: change.sequence, state: state, identities: owned)
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
        } else if let owner = identities[identity.kind.rawValue + ":" + identity.value] {
            id = owner
        } else {
            return .unknown("no customer with \(identity)")
        }
        for _ in 0..<Self.maxMergeHops {
            if let survivor = mergedInto[id] {
                id = survivor
                continue
            }
            switch customers[id]?.state {
            case .held(let bytes): return .found(bytes)
            case .elsewhere: return .elsewhere(customerID: id)
            case .gone, nil: return .unknown("no customer with \(identity)")
            }
        }
        return .unknown("merge chain from \(identity) is longer than \(Self.maxMergeHops) hops")
    }
}
