// Customer views this worker assembled, valid while the customer's version in the store is
// unchanged and the day has not turned (value and churn move with time). Sessions expire by
// the clock, so a cached view with a session past its TTL is not served.
import ProfileStore
import Wire

struct ViewCache {
    struct Entry {
        let version: Int64
        let day: Int64
        let recentEvents: Int
        let view: CustomerView
    }

    let capacity: Int
    private var entries: [String: Entry] = [:]

    init(capacity: Int) {
        self.capacity = capacity
    }

    func view(id: String, version: Int64, recentEvents: Int, now: Int64) -> CustomerView? {
        guard let entry = entries[id], entry.version == version, entry.day == now / 86_400_000,
              entry.recentEvents == recentEvents, entry.view.sessionExpiresUnixMs == 0 || entry.view.sessionExpiresUnixMs > now else { return nil }
        return entry.view
    }

    mutating func store(_ view: CustomerView, id: String, version: Int64, recentEvents: Int, now: Int64) {
        guard capacity > 0 else { return }
        if entries.count >= capacity, entries[id] == nil {
            // Random eviction: O(1), and as good as LRU for a uniform customer base.
            entries.remove(at: entries.indices.randomElement()!)
        }
        entries[id] = Entry(version: version, day: now / 86_400_000, recentEvents: recentEvents, view: view)
    }
}
