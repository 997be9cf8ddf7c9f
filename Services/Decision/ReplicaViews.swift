// The decision replica's customer views, shared by its worker threads (readers) and its profile
// stream follower (the one writer), with the freshness rule of promise 3: a view is served from
// memory only when the replica has applied the decision's read-your-writes floor and is no more
// than `maxLag` behind the stream head the heartbeats carry; otherwise the decision asks the
// profile service (DecisionService.customerView), and uses this view only as a marked stand-in.
// Value and churn figures move with the days and with refits of the value model: the profile
// service revalues every customer after midnight and after a refit and publishes the new states;
// until it reaches a customer, the figures of the day before stand, but none older.
import Foundation
import ProfileCore
import Synchronization
import Transport
import Wire

final class ReplicaViews: Sendable {
    struct Settings: Sendable {
        /// How far behind the stream head (in time) a view may be and still be served.
        var maxLagNs: UInt64 = 50_000_000
        /// How long without a heartbeat before the replica no longer vouches for its views: the
        /// stream may be cut off while the profile service keeps writing.
        var silenceNs: UInt64 = 250_000_000
        /// Changes applied per hold of the lock, so readers never wait long behind a catch-up.
        var applyChunk = 64
    }

    /// A decision's answer from the replica.
    enum Answer {
        case fresh(CustomerView)
        /// Not good enough to serve alone (why), with the replica's view when it has one: the
        /// stand-in if the profile service cannot answer either.
        case stale(CustomerView?, String)
        /// No such customer (NOT_FOUND), as of a replica that is fresh.
        case unknown(String)
        /// Another partition's customer, by this replica's identity index: that partition's
        /// replica holds the state (its freshness is for it to judge).
        case elsewhere(customerID: String)
    }

    private struct State {
        var replica: ProfileReplica
        /// Stream heads heard (heartbeats, replays) that the replica has not reached, oldest first.
        var heads: [(head: UInt64, heardNs: UInt64)] = []
        var lastHeardNs: UInt64
    }

    let settings: Settings
    private let state: Mutex<State>
    private let clock: @Sendable () -> UInt64
    private let isReady = Atomic<Bool>(false)
    private let visibility: ChangeVisibility
    static let dayMs: Int64 = 86_400_000

    init(_ replica: ProfileReplica = ProfileReplica(), settings: Settings = Settings(), clock: @escaping @Sendable () -> UInt64 = MonotonicClock.now,
         visibility: ChangeVisibility = ChangeVisibility()) {
        self.settings = settings
        self.clock = clock
        self.visibility = visibility
        state = Mutex(State(replica: replica, lastHeardNs: clock()))
    }

    /// Opened when the replica is ready (or its follower gives up waiting): the workers register.
    let startGate = StartGate()

    /// Caught up with the stream since start: decisions may read it.
    var ready: Bool { isReady.load(ordering: .acquiring) }
    func markReady() {
        isReady.store(true, ordering: .releasing)
        startGate.open()
    }

    var position: UInt64 { state.withLock { $0.replica.position } }
    var held: Int { state.withLock { $0.replica.held } }
    /// What the replica's customers take in memory, for the log: its arena (all, live) and its indexes.
    var footprint: (arena: Int, live: Int, index: Int) {
        state.withLock { ($0.replica.arenaBytes.total, $0.replica.arenaBytes.live, $0.replica.indexBytes) }
    }

    // MARK: The follower's side

    /// Empties the replica, to load a snapshot again; until it has caught up, decisions ask the
    /// profile service (the heads heard are still ahead of it).
    func reset() {
        state.withLock { state in
            let head = max(state.replica.position, state.heads.last?.head ?? 0)
            state.replica = ProfileReplica(partition: state.replica.partition, partitions: state.replica.partitions)
            state.heads = [(head, clock() - settings.maxLagNs - 1)]
        }
    }

    /// A snapshot page: states in customer order, each with the sequence of its latest change.
    func load(_ page: ProfileSnapshotReply, first: Bool) {
        for chunk in page.customers.chunks(of: settings.applyChunk) {
            state.withLock { state in
                for change in chunk { state.replica.apply(change, inOrder: false) }
            }
        }
        state.withLock { state in
            if first { state.replica.snapshot(head: page.headSequence) }
            heard(page.headSequence, &state)
            state.heads.removeAll { $0.head <= state.replica.position }
        }
    }

    /// Stream changes in order; false at a gap. A live change is visible to decisions once the
    /// lock that applied it is released: then its visibility is recorded (once, not again when
    /// the stream repeats it).
    func apply(_ changes: [ProfileChange]) -> Bool {
        for chunk in changes.chunks(of: settings.applyChunk) {
            var published: [Int64] = []
            let applied = state.withLock { state in
                defer { state.heads.removeAll { $0.head <= state.replica.position } }
                return chunk.allSatisfy { change in
                    let new = change.sequence > state.replica.position
                    guard state.replica.apply(change, inOrder: true) else { return false }
                    if new, change.publishedUnixUs != 0 { published.append(change.publishedUnixUs) }
                    return true
                }
            }
            visibility.record(published: published)
            guard applied else { return false }
        }
        return true
    }

    func headSeen(_ head: UInt64) {
        state.withLock { heard(head, &$0) }
    }

    private func heard(_ head: UInt64, _ state: inout State) {
        let now = clock()
        state.lastHeardNs = now
        if head > state.replica.position, head > (state.heads.last?.head ?? 0) { state.heads.append((head, now)) }
    }

    // MARK: The decisions' side

    /// The view of `identity`: from memory when fresh (waiting until `waitUntilNs` for the
    /// replica to apply `minSequence`), else stale with the reason.
    func view(_ identity: CustomerIdentity, minSequence: UInt64, waitUntilNs: UInt64, nowMs: Int64) -> Answer {
        while true {
            let (position, lookup, behind) = state.withLock { state in (state.replica.position, state.replica.lookup(identity), lag(state)) }
            if position < minSequence, clock() < waitUntilNs {
                usleep(100)
                continue
            }
            if case .elsewhere(let id) = lookup { return .elsewhere(customerID: id) }
            var customer: ReplicaCustomer?
            if case .found(let stored) = lookup {
                customer = try? stored.decode()
            }
            let view = customer.map { Self.live($0.view, nowMs: nowMs) }
            if position < minSequence { return .stale(view, "has applied the profile stream to \(position), not yet to \(minSequence)") }
            if let behind { return .stale(view, behind) }
            switch lookup {
            case .unknown(let why): return .unknown(why)
            case .elsewhere(let id): return .elsewhere(customerID: id)
            case .found:
                guard let customer, let view else { return .stale(nil, "cannot read its state of the customer") }
                if customer.valuedDay < nowMs / Self.dayMs - 1 {
                    return .stale(view, "holds a value of day \(customer.valuedDay), more than a day old")
                }
                return .fresh(view)
            }
        }
    }

    /// Why the replica does not vouch for its views now, or nil.
    private func lag(_ state: State) -> String? {
        let now = clock()
        if let oldest = state.heads.first, now - oldest.heardNs > settings.maxLagNs {
            return "is \((now - oldest.heardNs) / 1_000_000) ms behind the profile stream (at \(state.replica.position), head \(state.heads.last!.head))"
        }
        if now - state.lastHeardNs > settings.silenceNs {
            return "has not heard the profile stream for \((now - state.lastHeardNs) / 1_000_000) ms"
        }
        return nil
    }

    /// The view as the profile service would answer it now: a session past its TTL is gone.
    static func live(_ view: CustomerView, nowMs: Int64) -> CustomerView {
        guard view.sessionExpiresUnixMs != 0, view.sessionExpiresUnixMs <= nowMs else { return view }
        var view = view
        view.session = [:]
        view.sessionExpiresUnixMs = 0
        return view
    }
}

/// The replica as a consumer of the profile stream (StreamFollower).
struct ReplicaConsumer: StreamConsumer {
    let views: ReplicaViews

    func position() -> UInt64 { views.position }
    func apply(_ events: [ProfileChange]) -> Bool { views.apply(events) }
    func headSeen(_ head: UInt64) { views.headSeen(head) }
}

extension Array {
    func chunks(of size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
