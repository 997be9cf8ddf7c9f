// The profile-store tests' repository: on a fresh store of the given backend, with customer ids
// that are predictable (c1, c2, …).
import ProfileStore
import Store
import StoreBackends

/// A repository with predictable customer ids: c1, c2, ...
func repository(_ backend: Backend, db: (any SQLDatabase)? = nil) throws -> ProfileRepository {
    let counter = Counter()
    return try ProfileRepository(db: db ?? backend.open(), newCustomerID: { "c\(counter.next())" })
}

final class Counter: @unchecked Sendable {
    private var value = 0
    func next() -> Int {
        value += 1
        return value
    }
}
