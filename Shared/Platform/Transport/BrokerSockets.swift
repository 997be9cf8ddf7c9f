// A client's connections to the brokers: one DEALER per broker frontend, from a list such as
// "tcp://10.0.0.1:5555,tcp://10.0.0.2:5555". Brokers share nothing; every worker registers with
// each of them, so any one can answer any request. A request goes to one broker and its retry to
// the next, so a broker that is down or stopped costs a call at most its first attempt.
// With several brokers a socket queues only to a completed connection (a killed broker takes
// nothing: the send moves on to the next) and ZMTP heartbeats drop a stopped one.
// Owned by one thread.
import Foundation
import ZeroMQ

public final class BrokerSockets {
    public let endpoints: [String]
    private let sockets: [ZMQSocket]
    private var poller = Poller()
    /// Where the next multi-socket receive starts looking, so no broker's replies starve.
    private var nextReadable = 0
    private var receiveTimeout: Int32 = -1

    /// ZMTP heartbeat of a connection to one of several brokers: a stopped broker is dropped
    /// after `heartbeatTimeoutMilliseconds` of silence.
    static let heartbeatMilliseconds: Int32 = 250
    static let heartbeatTimeoutMilliseconds: Int32 = 1_000

    /// The endpoints of a comma-separated list (one endpoint is a list of one).
    public static func endpoints(_ list: String) -> [String] {
        let endpoints = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return endpoints.isEmpty ? [list] : endpoints
    }

    public init(context: ZMQContext, endpoints list: String, lingerMilliseconds: Int32) throws(ZMQError) {
        endpoints = Self.endpoints(list)
        var sockets: [ZMQSocket] = []
        do throws(ZMQError) {
            for endpoint in endpoints {
                let socket = try ZMQSocket(context, .dealer)
                sockets.append(socket)
                try socket.set(.linger(lingerMilliseconds))
                if endpoints.count > 1 {
                    // Queue only to completed connections, and heartbeat them.
                    try socket.set(.immediate(true))
                    try socket.set(.heartbeat(interval: Self.heartbeatMilliseconds, timeout: Self.heartbeatTimeoutMilliseconds))
                }
                try ConnectionSecurity.secure(socket)
                try socket.connect(endpoint)
                poller.add(socket)
            }
        } catch {
            sockets.forEach { $0.close() }
            throw error
        }
        self.sockets = sockets
    }

    /// Closes every socket; its owner calls it on its thread. Closing again does nothing; a call
    /// after it throws ENOTSOCK.
    public func close() { sockets.forEach { $0.close() } }

    /// Sends to broker `preferred` (modulo their number) or, if it takes nothing now, to the next
    /// that does; the index of the broker that took it, nil when none did. With several brokers
    /// and none connected (a client just started, or every broker down), it waits up to
    /// `waitMilliseconds` for a connection.
    public func send(_ frames: [[UInt8]], preferring preferred: Int, waitMilliseconds: Int = 0) throws(ZMQError) -> Int? {
        for step in 0..<sockets.count {
            let index = (preferred + step) % sockets.count
            if try sockets[index].send(frames, dontWait: true) { return index }
        }
        guard sockets.count > 1, waitMilliseconds > 0 else { return nil }
        var writable = Poller()
        for socket in sockets { writable.add(socket, writable: true) }
        guard try writable.poll(timeoutMilliseconds: waitMilliseconds) > 0 else { return nil }
        return try send(frames, preferring: preferred)
    }

    /// The next message from any broker, waiting up to `timeoutMilliseconds` (0: not at all); nil
    /// when none came.
    public func receive(timeoutMilliseconds: Int32) throws(ZMQError) -> [[UInt8]]? {
        if sockets.count == 1 {
            // A blocking receive with RCVTIMEO costs fewer system calls than zmq_poll.
            if timeoutMilliseconds == 0 { return try sockets[0].receive(dontWait: true) }
            if timeoutMilliseconds != receiveTimeout {
                try sockets[0].set(.receiveTimeout(timeoutMilliseconds))
                receiveTimeout = timeoutMilliseconds
            }
            return try sockets[0].receive()
        }
        if let frames = try receiveWaiting() { return frames }
        guard timeoutMilliseconds > 0, try poller.poll(timeoutMilliseconds: Int(timeoutMilliseconds)) > 0 else { return nil }
        return try receiveWaiting()
    }

    /// A message already waiting at one of the sockets, looking at each in turn.
    private func receiveWaiting() throws(ZMQError) -> [[UInt8]]? {
        for step in 0..<sockets.count {
            let index = (nextReadable + step) % sockets.count
            if let frames = try sockets[index].receive(dontWait: true) {
                nextReadable = (index + 1) % sockets.count
                return frames
            }
        }
        return nil
    }

    /// Adds every socket to a caller's poller.
    public func add(to poller: inout Poller) {
        for socket in sockets { poller.add(socket) }
    }

    /// Connects a publisher or subscriber to every endpoint of a list (the brokers' stream
    /// endpoints): a subscriber then gets each event once per broker, a publisher sends each to all.
    public static func connect(_ socket: ZMQSocket, to list: String) throws(ZMQError) {
        let endpoints = endpoints(list)
        if endpoints.count > 1 { try socket.set(.immediate(true)) }
        for endpoint in endpoints { try socket.connect(endpoint) }
    }
}
