// A decision replica's own copy of the scoring model, kept by the ZeroMQ guide's Clone pattern:
// the newest snapshot a scoring replica gives ("snapshot"), then the outcome stream from its
// sequence on, applied by the same code as scoring's (ModelConsumer), so at the same sequence
// both hold the same bits. Usable once the follower has caught up with the stream (or, past the
// start wait, once it has a snapshot while the replay does not answer); until then whoever scores
// with it falls back to scoring over the broker.
import Logging
import ScoringCore
import Synchronization
import Transport
import Wire
import ZeroMQ

public final class ModelReplica: Sendable {
    public struct Settings: Sendable {
        public var stream: StreamFollowerSettings
        /// Between tries for a snapshot while no scoring replica gives one (ns).
        public var retryInterval: UInt64 = 1_000_000_000
        /// How long the workers are held back for the model to catch up with the stream. Past it
        /// they register anyway: scoring in process if a snapshot was loaded (the stream's replay
        /// does not answer), else over the broker until one is (ns).
        public var startWait: UInt64 = 10_000_000_000
        /// The longest wait for one page of the snapshot (µs).
        public var pageTimeoutMicros: UInt64 = 5_000_000

        public init(stream: StreamFollowerSettings) {
            self.stream = stream
        }
    }

    /// Empty until the snapshot is loaded.
    public let model = LiveModel(ScoringModel())
    public let status = FollowerStatus(snapshotSequence: 0)
    /// Opened once the model is usable, or when `startWait` has passed without a snapshot.
    public let startGate = StartGate()
    private let usable = Atomic<Bool>(false)

    public init() {}

    /// Whether the model has caught up with the stream (and follows it since).
    public var isUsable: Bool { usable.load(ordering: .acquiring) }

    /// Loads a snapshot, then follows the outcome stream until `stop`.
    public func run(_ settings: Settings, context: ZMQContext, environment: ServiceEnvironment, logger: Logger, until stop: StopSignal) throws {
        let startBy = environment.monotonicNs() + settings.startWait
        let noSnapshotYet = { [startGate] in
            guard !startGate.isOpen, environment.monotonicNs() >= startBy else { return }
            logger.warning("no scoring model snapshot yet; registering anyway, scoring over the broker until there is one")
            startGate.open()
        }
        guard try loadSnapshot(settings, context: context, logger: logger, until: stop, waiting: noSnapshotYet) else { return }
        // Loaded but the stream's replay does not answer (feedback down): no outcome is being
        // published either, so the snapshot is as current as scoring's own model, which serves.
        let notCaughtUpYet = { [self] in
            guard !isUsable, environment.monotonicNs() >= startBy else { return }
            logger.warning("the outcome stream cannot be replayed yet; scoring locally from the snapshot and the live stream",
                           metadata: ["sequence": "\(model.read { $0.sequence })"])
            caughtUp()
        }
        try StreamFollower(following: .outcomes, settings: settings.stream, context: context, logger: logger)
            .run(ModelConsumer(model: model, logger: logger), until: stop, onGap: status.gapSeen, caughtUp: { [self] in
                caughtUp()
                logger.info("scoring model caught up with the outcome stream; scoring locally", metadata: ["sequence": "\(model.read { $0.sequence })"])
            }, tick: notCaughtUpYet)
    }

    /// Starts from `snapshot` (the follower then applies the stream from its sequence on).
    public func start(from snapshot: ScoringModel) {
        model.update { $0 = snapshot }
        status.snapshotted(snapshot.sequence)
    }

    /// The follower has reached the stream's head: the model is usable, the workers may register.
    public func caughtUp() {
        usable.store(true, ordering: .releasing)
        startGate.open()
    }

    /// Tries for a snapshot until one is had (true) or `stop` (false); `waiting` after each failure.
    func loadSnapshot(_ settings: Settings, context: ZMQContext, logger: Logger, until stop: StopSignal, waiting: () -> Void) throws -> Bool {
        let client = try BrokerClient(context: context, endpoint: settings.stream.frontend)
        defer { client.close() }
        var failing = false
        while !stop.isRaised {
            do {
                let snapshot = try ModelSnapshotPages.read { request throws(ServiceError) in
                    try client.call("scoring", "snapshot", request, timeoutMicros: settings.pageTimeoutMicros, idempotent: true)
                }
                start(from: snapshot)
                logger.info("scoring model snapshot loaded", metadata: ["sequence": "\(snapshot.sequence)", "offers": "\(snapshot.offers.count)"])
                return true
            } catch {
                if !failing {
                    logger.warning("no scoring model snapshot yet; will retry", metadata: ["error": "\(error)"])
                    failing = true
                }
                waiting()
                if stop.sleep(nanoseconds: settings.retryInterval) { return false }
            }
        }
        return false
    }

    /// What the "model" method answers: the model's status and digest; UNAVAILABLE until usable.
    public func modelStatus() throws(ServiceError) -> ModelReply {
        guard isUsable else {
            throw ServiceError(.unavailable, "no local scoring model yet (no snapshot from scoring, or not caught up with the outcome stream): scoring over the broker")
        }
        return model.status(status)
    }
}
