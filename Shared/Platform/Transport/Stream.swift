// The sequenced streams relayed by the broker (its XSUB endpoint for publishers, XPUB for
// subscribers). A message is two frames: the topic, then the payload. Delivery is at most once
// (a slow subscriber drops at its high-water mark); the payloads carry sequence numbers and the
// publisher replays on request, so subscribers detect and fill gaps themselves.
import ZeroMQ

public enum StreamTopic {
    /// The feedback service's outcomes, payload `OutcomeEvent`.
    public static let outcomes = "outcomes"
    /// The profile service's changes, payload `ProfileChange`.
    public static let profile = "profile"
}

/// Where a service's stream events go (feedback's outcomes, the profile's changes): a topic of
/// the broker's stream relay, or, in a test, memory.
public protocol EventPublisher {
    func publish(_ payload: [UInt8]) throws
    /// Closes its socket, if it has one; safe to call twice.
    func close()
}

/// Publishes on one topic; one thread owns it.
public final class StreamPublisher: EventPublisher {
    private let socket: ZMQSocket
    private let topic: [UInt8]

    /// `endpoint` is the broker's stream-in (XSUB) endpoint, or several brokers' (comma-separated):
    /// each event then goes through every broker.
    public init(context: ZMQContext, endpoint: String, topic: String) throws(ZMQError) {
        socket = try ZMQSocket(context, .pub)
        self.topic = Array(topic.utf8)
        try socket.configure { socket throws(ZMQError) in
            try socket.set(.linger(1000))
            try socket.set(.sendHighWaterMark(100_000))
            try ConnectionSecurity.secure(socket)
            try BrokerSockets.connect(socket, to: endpoint)
        }
    }

    public func publish(_ payload: [UInt8]) throws(ZMQError) {
        _ = try socket.send([topic, payload])
    }

    /// Closes its socket; its owner calls it on its thread. Closing again does nothing.
    public func close() { socket.close() }
}

/// Receives one topic; one thread owns it.
public final class StreamSubscriber {
    private let socket: ZMQSocket
    private let topic: [UInt8]

    /// `endpoint` is the broker's stream-out (XPUB) endpoint, or several brokers' (comma-separated):
    /// each event then comes once per broker, and the sequence numbers tell the copies apart.
    public init(context: ZMQContext, endpoint: String, topic: String, receiveTimeoutMilliseconds: Int32 = 100) throws(ZMQError) {
        socket = try ZMQSocket(context, .sub)
        self.topic = Array(topic.utf8)
        try socket.configure { [topic = self.topic] socket throws(ZMQError) in
            try socket.set(.linger(0))
            try socket.set(.receiveHighWaterMark(100_000))
            try socket.set(.receiveTimeout(receiveTimeoutMilliseconds))
            try socket.set(.subscribe(topic))
            try ConnectionSecurity.secure(socket)
            try BrokerSockets.connect(socket, to: endpoint)
        }
    }

    /// The next payload, or nil when none came within the receive timeout (or `dontWait`).
    /// Messages of another shape (a topic that only shares the prefix, a missing frame) are skipped.
    public func next(dontWait: Bool = false) throws(ZMQError) -> [UInt8]? {
        while let frames = try socket.receive(dontWait: dontWait) {
            if frames.count == 2, frames[0] == topic { return frames[1] }
        }
        return nil
    }

    public func close() { socket.close() }
}
