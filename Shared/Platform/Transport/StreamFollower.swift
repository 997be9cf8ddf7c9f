// Keeps a consumer (a scoring model, the profile's contact history) in step with a sequenced
// stream (the outcome stream, or any other published the same way, with its own event type):
// each event applied exactly once, in sequence order. Live events come through the broker's
// stream relay; whatever the relay dropped, or was published before the consumer subscribed, is
// fetched from the stream's replay method (feedback's "replay" for the outcomes) — on a gap, and
// every `catchUpInterval` when the stream is quiet.
import Logging
import Metrics
import SwiftProtobuf
import Wire
import ZeroMQ

/// An event of a sequenced stream: numbered 1, 2, 3, … without gaps. A heartbeat is not an
/// event: its sequence is the stream's head, which tells a quiet follower how far behind it is.
public protocol SequencedEvent: SwiftProtobuf.Message {
    var sequence: UInt64 { get }
    var isHeartbeat: Bool { get }
}

extension SequencedEvent {
    public var isHeartbeat: Bool { false }
}

/// A page of a stream's replay (the answer to a ReplayRequest): consecutive events from the
/// sequence asked for, and the last sequence published so far.
public protocol ReplayPage: SwiftProtobuf.Message {
    associatedtype Event: SequencedEvent
    var events: [Event] { get }
    var headSequence: UInt64 { get }
}

extension OutcomeEvent: SequencedEvent {}
extension ReplayReply: ReplayPage {}
extension ProfileChange: SequencedEvent {
    public var isHeartbeat: Bool { heartbeat }
}
extension ProfileChangesReply: ReplayPage {}

/// A sequenced stream as its followers know it: the topic it is published on and the service
/// method that replays it (a ReplayRequest, answered with a `Page`).
public struct SequencedStream<Page: ReplayPage>: Sendable {
    public var topic: String
    public var replay: (service: String, method: String)

    public init(topic: String, replay: (service: String, method: String)) {
        self.topic = topic
        self.replay = replay
    }
}

extension SequencedStream where Page == ReplayReply {
    /// The feedback service's outcomes, replayed by its "replay" method.
    public static var outcomes: Self { Self(topic: StreamTopic.outcomes, replay: ("feedback", "replay")) }
}

extension SequencedStream where Page == ProfileChangesReply {
    /// The profile service's changes, replayed by its "changes" method.
    public static var profile: Self { Self(topic: StreamTopic.profile, replay: ("profile", "changes")) }
}

/// What follows a stream. Called from the follower's thread only.
public protocol StreamConsumer<Event> {
    associatedtype Event: SequencedEvent
    /// The last sequence applied.
    func position() throws -> UInt64
    /// Applies the events after `position()` in order, skipping those already applied;
    /// false at a gap (the events after it wait for the replay).
    func apply(_ events: [Event]) throws -> Bool
    /// The stream's head as a heartbeat or a replay just told it (how far behind the consumer is).
    func headSeen(_ head: UInt64)
}

extension StreamConsumer {
    public func headSeen(_ head: UInt64) {}
}

/// Where a follower listens and asks for replays, and how often it catches up when the stream is quiet.
public struct StreamFollowerSettings: Sendable {
    public var stream: String
    public var frontend: String
    public var catchUpInterval: UInt64 = 2_000_000_000
    /// How long heartbeats may show events the follower has not had before it replays them: a
    /// live event is usually just behind the heartbeat that counts it.
    public var behindLimit: UInt64 = 20_000_000
    public var replayPage: UInt32 = 5_000

    public init(stream: String, frontend: String) {
        self.stream = stream
        self.frontend = frontend
    }
}

public struct StreamFollower<Page: ReplayPage>: Sendable {
    public typealias Event = Page.Event

    /// What is followed: its topic and its replay method.
    public let source: SequencedStream<Page>
    public let settings: StreamFollowerSettings
    public let context: ZMQContext
    public let logger: Logger
    /// Events applied per call of `apply`.
    public static var batch: Int { 1_000 }
    /// The last sequence applied, how many events the newest one seen (live or as the replay's
    /// head) is ahead of it, and the gaps seen; labelled by topic (a process may follow several).
    private let applied: Gauge
    private let lag: Gauge
    private let gaps: Counter

    public init(following source: SequencedStream<Page>, settings: StreamFollowerSettings, context: ZMQContext, logger: Logger) {
        applied = Gauge(label: "offerloop_stream_applied_sequence", dimensions: [("topic", source.topic)])
        lag = Gauge(label: "offerloop_stream_lag_events", dimensions: [("topic", source.topic)])
        gaps = Counter(label: "offerloop_stream_gaps_total", dimensions: [("topic", source.topic)])
        self.source = source
        self.settings = settings
        self.context = context
        self.logger = logger
    }

    /// Follows until `stop`; `onGap` is called for each gap seen on the live stream, `caughtUp`
    /// once, when a replay first reached the head it reported, and `tick` after every round (e.g.
    /// to snapshot). Throws OUT_OF_RANGE when the stream no longer keeps what the consumer needs
    /// next: it must start again from a snapshot.
    public func run(_ consumer: some StreamConsumer<Event>, until stop: StopSignal, onGap: () -> Void = {}, caughtUp: () -> Void = {},
                    tick: () -> Void = {}) throws {
        let subscriber = try StreamSubscriber(context: context, endpoint: settings.stream, topic: source.topic)
        defer { subscriber.close() }
        let client = try BrokerClient(context: context, endpoint: settings.frontend)
        defer { client.close() }
        logger.info("following the stream", metadata: ["stream": "\(settings.stream)", "topic": "\(source.topic)", "sequence": "\((try? consumer.position()) ?? 0)"])

        var replayFailing = false
        var newest: UInt64 = 0
        var nextCatchUp: UInt64 = 0
        var isCaughtUp = false
        // The oldest head a heartbeat showed that this follower has not reached, and since when:
        // events lost at the tail, or written without a live publish, are replayed when it is
        // still not reached after `behindLimit`. Per head, not "behind any head": under steady
        // writes every heartbeat shows events just committed and on their way, which come live.
        var behind: (head: UInt64, since: UInt64)?
        while !stop.isRaised {
            if MonotonicClock.now() >= nextCatchUp {
                if try catchUp(consumer, client, &replayFailing, &newest), !isCaughtUp {
                    isCaughtUp = true
                    caughtUp()
                }
                nextCatchUp = MonotonicClock.now() + (isCaughtUp ? settings.catchUpInterval : 0)
            }
            var events: [Event] = []
            var payload = try subscriber.next()
            while let bytes = payload {
                if let event = try? Event(serializedBytes: bytes) {
                    if event.isHeartbeat {
                        newest = max(newest, event.sequence)
                        consumer.headSeen(event.sequence)
                        let position = (try? consumer.position()) ?? 0
                        if let oldest = behind, position >= oldest.head { behind = nil }
                        if behind == nil, event.sequence > position { behind = (event.sequence, MonotonicClock.now()) }
                    } else {
                        events.append(event)
                    }
                } else {
                    logger.warning("undecodable event skipped", metadata: ["topic": "\(source.topic)", "bytes": "\(bytes.count)"])
                }
                payload = events.count < Self.batch ? try subscriber.next(dontWait: true) : nil
            }
            if !events.isEmpty, !apply(consumer, events, newest: &newest) {
                gaps.increment()
                onGap()
                _ = try catchUp(consumer, client, &replayFailing, &newest)
                nextCatchUp = MonotonicClock.now() + settings.catchUpInterval
            } else if let oldest = behind, MonotonicClock.now() - oldest.since > settings.behindLimit {
                behind = nil
                if ((try? consumer.position()) ?? 0) < oldest.head { _ = try catchUp(consumer, client, &replayFailing, &newest) }
            }
            tick()
        }
        logger.info("stopped following the stream", metadata: ["topic": "\(source.topic)", "sequence": "\((try? consumer.position()) ?? 0)"])
    }

    /// False at a gap or when the consumer failed (logged; the replay retries).
    /// `newest`: the newest sequence seen so far, live or as the head of a replay.
    private func apply(_ consumer: some StreamConsumer<Event>, _ events: [Event], head: UInt64 = 0, newest: inout UInt64) -> Bool {
        newest = max(newest, head, events.last?.sequence ?? 0)
        do {
            let done = try consumer.apply(events)
            if done, let last = events.last?.sequence {
                applied.record(Int64(last))
                lag.record(Int64(newest - min(last, newest)))
            }
            return done
        } catch {
            logger.error("events not applied; will replay them", metadata: ["topic": "\(source.topic)", "error": "\(error)"])
            return false
        }
    }

    /// Fetches and applies everything after the consumer's position, page by page; true when it
    /// reached the head the replay reported.
    @discardableResult
    private func catchUp(_ consumer: some StreamConsumer<Event>, _ client: BrokerClient, _ replayFailing: inout Bool, _ newest: inout UInt64) throws(ServiceError) -> Bool {
        while true {
            let from: UInt64
            let reply: Page
            do {
                from = try consumer.position() + 1
                reply = try client.call(source.replay.service, source.replay.method, ReplayRequest.with { $0.fromSequence = from; $0.maxEvents = settings.replayPage },
                                        timeoutMicros: 2_000_000, idempotent: true)
            } catch let error as ServiceError where error.code == .outOfRange {
                throw error
            } catch {
                if !replayFailing { logger.warning("cannot replay the stream; going on as we are", metadata: ["topic": "\(source.topic)", "error": "\(error)"]) }
                replayFailing = true
                return false
            }
            if replayFailing { logger.info("stream replay works again", metadata: ["topic": "\(source.topic)"]) }
            replayFailing = false
            consumer.headSeen(reply.headSequence)
            guard let last = reply.events.last else { return from > reply.headSequence }
            if !apply(consumer, reply.events, head: reply.headSequence, newest: &newest) {
                logger.error("the replay could not be applied; will retry", metadata: ["from": "\(from)"])
                return false
            }
            if last.sequence >= reply.headSequence { return true }
        }
    }
}
