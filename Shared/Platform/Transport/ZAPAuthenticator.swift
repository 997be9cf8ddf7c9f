// The ZAP handler (ZeroMQ RFC 27) of a process that serves CURVE: libzmq asks it about every
// new connection to a socket with a ZAP domain, and it lets in only the public keys it knows,
// naming each connection after its key (the User-Id of its messages). Anything but CURVE is
// refused. It must be bound before the sockets it guards accept connections: `start` returns
// once it is.
import Foundation
import Logging
import Synchronization
import ZeroMQ

public final class ZAPAuthenticator: Sendable {
    /// What it decided about one connection.
    public struct Decision: Sendable, Equatable {
        public let mechanism: String
        public let key: String
        public let allowed: Bool
    }

    /// Known public keys and the name each connection with one is given.
    public let allowed: [CurveKey: String]
    /// Whether a known key's connection (its name) may join a socket of a ZAP domain.
    let admits: @Sendable (_ domain: String, _ name: String) -> Bool
    let context: ZMQContext
    let logger: Logger
    private let recent = Mutex<[Decision]>([])
    private let bound = Mutex<Result<Void, ZMQError>?>(nil)
    public static let endpoint = "inproc://zeromq.zap.01"

    public init(allowed: [CurveKey: String], admits: @escaping @Sendable (_ domain: String, _ name: String) -> Bool = { _, _ in true },
                context: ZMQContext, logger: Logger) {
        self.allowed = allowed
        self.admits = admits
        self.context = context
        self.logger = logger
    }

    /// The latest decisions, oldest first (at most 1,000).
    public var decisions: [Decision] { recent.withLock { $0 } }

    /// Runs the handler on its own thread until `stop`; returns once it is bound.
    public func start(until stop: StopSignal) throws(ZMQError) {
        Thread { self.run(until: stop) }.start()
        while true {
            if let result = bound.withLock({ $0 }) { return try result.get() }
            Thread.sleep(forTimeInterval: 0.001)
        }
    }

    private func run(until stop: StopSignal) {
        let socket: ZMQSocket
        do {
            socket = try ZMQSocket(context, .rep)
            try socket.configure { socket throws(ZMQError) in
                try socket.set(.linger(0))
                try socket.set(.receiveTimeout(100))
                try socket.bind(Self.endpoint)
            }
        } catch {
            bound.withLock { $0 = .failure(error) }
            return
        }
        defer { socket.close() }
        bound.withLock { $0 = .success(()) }
        while !stop.isRaised {
            do {
                guard let request = try socket.receive() else { continue }
                try socket.send(answer(request))
            } catch {
                if error.isTerminated { return }
                logger.error("ZAP handler failed; connections wait", metadata: ["error": "\(error)"])
            }
        }
    }

    /// The reply to one ZAP request: version, request id, status code and text, user id, metadata.
    func answer(_ request: [[UInt8]]) -> [[UInt8]] {
        guard request.count >= 6, request[0] == Array("1.0".utf8) else {
            return [Array("1.0".utf8), request.count > 1 ? request[1] : [], Array("500".utf8), Array("malformed ZAP request".utf8), [], []]
        }
        let mechanism = String(decoding: request[5], as: UTF8.self)
        let key = mechanism == "CURVE" && request.count >= 7 ? CurveKey(bytes: request[6]) : nil
        let domain = String(decoding: request[2], as: UTF8.self)
        let known = key.flatMap { allowed[$0] }
        let name = known.flatMap { admits(domain, $0) ? $0 : nil }
        let decision = Decision(mechanism: mechanism, key: key?.z85 ?? "", allowed: name != nil)
        recent.withLock { decisions in
            decisions.append(decision)
            if decisions.count > 1_000 { decisions.removeFirst(decisions.count - 1_000) }
        }
        let address = String(decoding: request[3], as: UTF8.self)
        guard let name else {
            let why = mechanism != "CURVE" ? "only CURVE is accepted, not \(mechanism)"
                : known.map { "\($0) may not connect to \(domain)" } ?? "unknown public key"
            logger.warning("connection refused", metadata: ["address": "\(address)", "mechanism": "\(mechanism)", "key": "\(decision.key)", "reason": "\(why)"])
            return [Array("1.0".utf8), request[1], Array("400".utf8), Array(why.utf8), [], []]
        }
        return [Array("1.0".utf8), request[1], Array("200".utf8), Array("OK".utf8), Array(name.utf8), []]
    }
}
