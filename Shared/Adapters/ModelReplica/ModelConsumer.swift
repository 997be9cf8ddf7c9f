// A model as a consumer of the outcome stream (Transport's StreamFollower: each event applied
// exactly once, in sequence order, gaps filled by replay), and what its follower reports to the
// "model" method. Scoring replicas and decision replicas follow the stream with the same code,
// so at the same sequence they hold the same bits.
import Logging
import ScoringCore
import Synchronization
import Transport
import Wire

/// What the follower reports to the "model" method.
public final class FollowerStatus: Sendable {
    private let snapshotSequenceValue: Atomic<UInt64>
    private let gapsValue = Atomic<UInt64>(0)

    /// `snapshotSequence`: that of the snapshot the model was loaded from (0: none), known
    /// before any worker answers.
    public init(snapshotSequence: UInt64) {
        snapshotSequenceValue = Atomic(snapshotSequence)
    }

    public var snapshot: (snapshotSequence: UInt64, gaps: UInt64) {
        (snapshotSequenceValue.load(ordering: .relaxed), gapsValue.load(ordering: .relaxed))
    }

    public func snapshotted(_ sequence: UInt64) { snapshotSequenceValue.store(sequence, ordering: .relaxed) }
    public func gapSeen() { gapsValue.add(1, ordering: .relaxed) }
}

/// A live model as a consumer of the outcome stream.
public struct ModelConsumer: StreamConsumer {
    public let model: LiveModel
    public let logger: Logger

    public init(model: LiveModel, logger: Logger) {
        self.model = model
        self.logger = logger
    }

    public func position() -> UInt64 { model.read { $0.sequence } }

    public func apply(_ events: [OutcomeEvent]) -> Bool {
        model.update { model in
            for event in events {
                do {
                    _ = try model.apply(event.sequence, LearningExample(event))
                } catch {
                    logger.debug("outcome stream gap", metadata: ["error": "\(error)"])
                    return false
                }
            }
            return true
        }
    }
}
