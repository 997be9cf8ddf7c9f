// The broker's second job: relaying the outcome stream. Publishers (the feedback service) connect
// a PUB socket to the XSUB endpoint, subscribers (scoring, profile) a SUB socket to the XPUB
// endpoint; subscriptions flow up, messages flow down. Only the broker binds, so publishers and
// subscribers come and go (and scale) without knowing each other. A subscriber that falls behind
// loses messages at its high-water mark, never blocks the publisher: the stream is sequenced and
// replayable, so a gap is noticed and filled by the subscriber.
import Logging
import Transport
import ZeroMQ

struct StreamRelay: Sendable {
    let publishers: String
    let subscribers: String
    let context: ZMQContext
    let security: BrokerSecurity?
    let logger: Logger

    func run(until stop: StopSignal) throws {
        let upstream = try ZMQSocket(context, .xsub)
        defer { upstream.close() }
        let downstream = try ZMQSocket(context, .xpub)
        defer { downstream.close() }
        for socket in [upstream, downstream] {
            try socket.set(.linger(200))
            try socket.set(.sendHighWaterMark(100_000))
            try socket.set(.receiveHighWaterMark(100_000))
            try security?.secure(socket, domain: BrokerSecurity.streamDomain)
        }
        try upstream.bind(publishers)
        try downstream.bind(subscribers)
        logger.info("stream relay listening", metadata: ["publishers": "\(publishers)", "subscribers": "\(subscribers)"])
        var poller = Poller()
        let fromPublishers = poller.add(upstream)
        let fromSubscribers = poller.add(downstream)
        var relayed: UInt64 = 0
        while !stop.isRaised {
            guard try poller.poll(timeoutMilliseconds: 100) > 0 else { continue }
            if poller.isReadable(fromPublishers) {
                while let frames = try upstream.receive(dontWait: true) {
                    _ = try downstream.send(frames, dontWait: true)
                    relayed += 1
                }
            }
            if poller.isReadable(fromSubscribers) {
                while let frames = try downstream.receive(dontWait: true) {
                    _ = try upstream.send(frames, dontWait: true)
                }
            }
        }
        logger.info("stream relay stopped", metadata: ["relayed": "\(relayed)"])
    }
}
