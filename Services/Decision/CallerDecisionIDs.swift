// Decision ids a caller chooses (Personalizer's eventIds; docs/PERSONALIZER.md; the rule is Wire's
// CallerDecisionID) are refused once used, so that two decisions never share an id: the decision
// log's insert keeps the first of two, and the second, with the outcomes meant for it, would be lost.
import DecisionRecords
import Store
import Synchronization
import Transport
import Wire

final class CallerDecisionIDs: Sendable {
    /// Ids claimed by this process's decisions, in two generations of at most `generation` ids:
    /// the journal copies a decision into the store within its interval (100 ms), after which the
    /// store's decision log answers for it; the set only covers that gap (and a spare generation).
    private let claimed = Mutex<(current: Set<String>, previous: Set<String>)>(([], []))
    let generation: Int

    init(generation: Int = 100_000) {
        self.generation = generation
    }

    /// Claims `id` for a decision about to be logged; false: this process used it already.
    func claim(_ id: String) -> Bool {
        claimed.withLock { sets in
            guard !sets.previous.contains(id), sets.current.insert(id).inserted else { return false }
            if sets.current.count >= generation { sets = ([], sets.current) }
            return true
        }
    }

    /// Gives back an id whose decision was not logged after all (the journal write failed).
    func release(_ id: String) {
        claimed.withLock { sets in
            sets.current.remove(id)
            sets.previous.remove(id)
        }
    }
}

/// Whether the decision log in the store holds a decision id: one connection per worker thread
/// (made by it, used only by it), opened on first use.
final class DecisionLogLookup: @unchecked Sendable {
    let location: StoreLocation
    private var db: (any SQLDatabase)?

    init(location: StoreLocation) {
        self.location = location
    }

    func contains(_ id: String) throws(ServiceError) -> Bool {
        do {
            if db == nil {
                db = try location.open().handedTo { opened in
                    try DecisionLogTable.create(opened)
                    return opened
                }
            }
            return try DecisionLogTable.findLogged(id, db!) != nil
        } catch let error as StoreError {
            db?.close()
            db = nil
            throw error.serviceError
        } catch {
            throw ServiceError(.internal, "the decision log cannot be read: \(error)")
        }
    }

    func close() {
        db?.close()
        db = nil
    }
}
