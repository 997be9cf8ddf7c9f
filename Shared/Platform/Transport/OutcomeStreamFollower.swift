// Keeps a consumer (a scoring model, the profile's contact history) in step with a sequenced
// stream of outcome events (the outcome stream, or any other topic published the same way): each
// event applied exactly once, in sequence order. Live events come through the broker's stream
// relay; whatever the relay dropped, or was published before the consumer subscribed, is fetched
// from the stream's replay method (feedback's "replay" for the outcomes) — on a gap, and every
// `catchUpInterval` when the stream is quiet.
import Logging
import Metrics
import Wire
import ZeroMQ

/// A sequenced stream as its followers know it: the topic it is published on and the service
/// method that replays it (a ReplayRequest, answered with a ReplayReply).
public struct SequencedStream: Sendable {
    public var topic: String
    public var replay: (service: String, method: String)

    public init(topic: String, replay: (service: String, method: String)) {
        self.topic = topic
        self.replay = replay
    }

    /// The feedback service's outcomes, replayed by its "replay" method.
    public static let outcomes = SequencedStream(topic: StreamTopic.outcomes, replay: ("feedback", "replay"))
}

/// What follows the stream. Called from the follower's thread only.
public protocol OutcomeStreamConsumer {
    /// The last sequence applied.
    func position() throws -> UInt64
    /// Applies the events after `position()` in order, skipping those already applied;
    /// false at a gap (the events after it wait for the replay).
    func apply(_ events: [OutcomeEvent]) throws -> Bool
}

public struct OutcomeStreamFollower: Sendable {
    public struct Settings: Sendable {
        public var stream: String
        public var frontend: String
        public var catchUpInterval: UInt64 = 2_000_000_000
        public var replayPage: UInt32 = 5_000

        public init(stream: String, frontend: String) {
            self.stream = stream
            self.frontend = frontend
        }
    }

    /// What is followed: its topic and its replay method.
    public let source: SequencedStream
    public let settings: Settings
    public let context: ZMQContext
    public let logger: Logger
    /// Events applied per call of `apply`.
    public static let batch = 1_000
    /// The last sequence applied, and how many events the newest one seen (live or at the
    /// feedback service's head) is ahead of it.
    private let applied = Gauge(label: "offerloop_stream_applied_sequence")
    private let lag = Gauge(label: "offerloop_stream_lag_events")
    private let gaps = Counter(label: "offerloop_stream_gaps_total")

    public init(following source: SequencedStream, settings: Settings, context: ZMQContext, logger: Logger) {
        self.source = source
        self.settings = settings
        self.context = context
        self.logger = logger
    }

    /// Follows until `stop`; `onGap` is called for each gap seen on the live stream and `tick`
    /// after every round (e.g. to snapshot).
    public func run(_ consumer: some OutcomeStreamConsumer, until stop: StopSignal, onGap: () -> Void = {}, tick: () -> Void = {}) throws {
        let subscriber = try StreamSubscriber(context: context, endpoint: settings.stream, topic: source.topic)
        defer { subscriber.close() }
        let client = try BrokerClient(context: context, endpoint: settings.frontend)
        defer { client.close() }
        logger.info("following the outcome stream", metadata: ["stream": "\(settings.stream)", "topic": "\(source.topic)", "sequence": "\((try? consumer.position()) ?? 0)"])

        var replayFailing = false
        var newest: UInt64 = 0
        var nextCatchUp: UInt64 = 0
        while !stop.isRaised {
            if MonotonicClock.now() >= nextCatchUp {
                catchUp(consumer, client, &replayFailing, &newest)
                nextCatchUp = MonotonicClock.now() + settings.catchUpInterval
            }
            var events: [OutcomeEvent] = []
            var payload = try subscriber.next()
            while let bytes = payload {
                if let event = try? OutcomeEvent(serializedBytes: bytes) {
                    events.append(event)
                } else {
                    logger.warning("undecodable outcome event skipped", metadata: ["bytes": "\(bytes.count)"])
                }
                payload = events.count < Self.batch ? try subscriber.next(dontWait: true) : nil
            }
            if !events.isEmpty, !apply(consumer, events, newest: &newest) {
                gaps.increment()
                onGap()
                catchUp(consumer, client, &replayFailing, &newest)
                nextCatchUp = MonotonicClock.now() + settings.catchUpInterval
            }
            tick()
        }
        logger.info("stopped following the outcome stream", metadata: ["sequence": "\((try? consumer.position()) ?? 0)"])
    }

    /// False at a gap or when the consumer failed (logged; the replay retries).
    /// `newest`: the newest sequence seen so far, live or as the head of a replay.
    private func apply(_ consumer: some OutcomeStreamConsumer, _ events: [OutcomeEvent], head: UInt64 = 0, newest: inout UInt64) -> Bool {
        newest = max(newest, head, events.last?.sequence ?? 0)
        do {
            let done = try consumer.apply(events)
            if done, let last = events.last?.sequence {
                applied.record(Int64(last))
                lag.record(Int64(newest - min(last, newest)))
            }
            return done
        } catch {
            logger.error("outcome events not applied; will replay them", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Fetches and applies everything after the consumer's position, page by page.
    private func catchUp(_ consumer: some OutcomeStreamConsumer, _ client: BrokerClient, _ replayFailing: inout Bool, _ newest: inout UInt64) {
        while true {
            let from: UInt64
            let reply: ReplayReply
            do {
                from = try consumer.position() + 1
                reply = try client.call(source.replay.service, source.replay.method, ReplayRequest.with { $0.fromSequence = from; $0.maxEvents = settings.replayPage },
                                        timeoutMicros: 2_000_000, idempotent: true)
            } catch {
                if !replayFailing { logger.warning("cannot replay the outcome stream; going on as we are", metadata: ["error": "\(error)"]) }
                replayFailing = true
                return
            }
            if replayFailing { logger.info("outcome stream replay works again") }
            replayFailing = false
            guard let last = reply.events.last else { return }
            if !apply(consumer, reply.events, head: reply.headSequence, newest: &newest) {
                logger.error("the replay could not be applied; will retry", metadata: ["from": "\(from)"])
                return
            }
            if last.sequence >= reply.headSequence { return }
        }
    }
}
