// Customer views this worker assembled, valid while the customer's version in the store and
// the value model are unchanged and the day has not turned (value and churn move with time).
// Sessions expire by the clock, so a cached view with a session past its TTL is not served.
import Random
import Wire

struct ViewCache {
    struct Key: Equatable {
        let version: Int64
        let valuationVersion: Int64
        let recentEvents: Int
    }

    struct Entry {
        let key: Key
        let day: Int64
        let view: CustomerView
    }

    let capacity: Int
    private var entries: [String: Entry] = [:]
    /// Picks the entry evicted when the cache is full.
    private var random: SeededRandom

    init(capacity: Int, seed: UInt64) {
        self.capacity = capacity
        random = SeededRandom(seed: seed)
    }

    func view(id: String, key: Key, now: Int64) -> CustomerView? {
        guard let entry = entries[id], entry.key == key, entry.day == now / 86_400_000,
              entry.view.sessionExpiresUnixMs == 0 || entry.view.sessionExpiresUnixMs > now else { return nil }
        return entry.view
    }

    mutating func store(_ view: CustomerView, id: String, key: Key, now: Int64) {
        guard capacity > 0 else { return }
        if entries.count >= capacity, entries[id] == nil {
            // Random eviction: O(1), and as good as LRU for a uniform customer base.
            entries.remove(at: entries.indices.randomElement(using: &random)!)
        }
        entries[id] = Entry(key: key, day: now / 86_400_000, view: view)
    }
}
