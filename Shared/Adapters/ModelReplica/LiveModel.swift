// The model every worker thread of a process scores with and the stream follower updates (a
// scoring replica's, or the copy a decision replica follows). Scoring holds the lock for the few
// microseconds it takes; the follower applies a batch of events per lock. Snapshots copy the
// value under the lock (copy-on-write: no data is copied until the next update) and encode it outside.
import ScoringCore
import Synchronization

public final class LiveModel: Sendable {
    private let model: Mutex<ScoringModel>

    public init(_ model: ScoringModel) {
        self.model = Mutex(model)
    }

    public func read<T>(_ body: (borrowing ScoringModel) throws -> T) rethrows -> T {
        try model.withLock { try body($0) }
    }

    public func update<T>(_ body: (inout ScoringModel) throws -> T) rethrows -> T {
        try model.withLock { try body(&$0) }
    }

    public var copy: ScoringModel { model.withLock { $0 } }
}
