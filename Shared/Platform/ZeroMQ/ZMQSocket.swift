// A ZeroMQ socket: multipart send and receive of exactly-sized frames, options, endpoints.
// A socket is not thread-safe: create, use and close it on one thread for its whole life.
import CZeroMQ

public final class ZMQSocket {
    private(set) var handle: UnsafeMutableRawPointer?
    public let type: SocketType
    /// Held so the context outlives its sockets: terminating a context waits for them to close.
    private let context: ZMQContext

    /// LINGER every socket starts with, so that closing never blocks for long; set another
    /// value with `.linger` where messages must get out before close.
    public static let defaultLingerMilliseconds: Int32 = 1000

    public init(_ context: ZMQContext, _ type: SocketType) throws(ZMQError) {
        guard let handle = zmq_socket(context.handle, type.raw) else {
            throw ZMQError.last("zmq_socket")
        }
        self.handle = handle
        self.type = type
        self.context = context
        try configure { socket throws(ZMQError) in try socket.set(.linger(Self.defaultLingerMilliseconds)) }
    }

    // Its owner closes it, on its thread (`defer { socket.close() }` or in its shutdown): a socket
    // closed by whichever thread drops the last reference would break the one-thread rule, and
    // one never closed keeps the context's termination waiting.
    deinit {
        assert(handle == nil, "a \(type) socket was not closed by its owner")
    }

    /// Sets up this new socket with `body` (options, endpoints), closing it if that fails: its
    /// maker then throws, so nobody else would close it.
    public func configure(_ body: (ZMQSocket) throws(ZMQError) -> Void) throws(ZMQError) {
        do throws(ZMQError) {
            try body(self)
        } catch {
            close()
            throw error
        }
    }

    /// Closes the socket; pending outbound messages are kept for at most LINGER ms. Closing a
    /// closed socket does nothing; using one throws ENOTSOCK.
    public func close() {
        guard let handle else { return }
        zmq_close(handle)
        self.handle = nil
    }

    private func open(_ operation: @autoclosure () -> String) throws(ZMQError) -> UnsafeMutableRawPointer {
        guard let handle else { throw ZMQError(code: ENOTSOCK, operation: operation()) }
        return handle
    }

    // MARK: Endpoints

    public func bind(_ endpoint: String) throws(ZMQError) {
        if zmq_bind(try open("zmq_bind(\(endpoint))"), endpoint) != 0 { throw ZMQError.last("zmq_bind(\(endpoint))") }
    }

    public func connect(_ endpoint: String) throws(ZMQError) {
        if zmq_connect(try open("zmq_connect(\(endpoint))"), endpoint) != 0 { throw ZMQError.last("zmq_connect(\(endpoint))") }
    }

    public func disconnect(_ endpoint: String) throws(ZMQError) {
        if zmq_disconnect(try open("zmq_disconnect"), endpoint) != 0 { throw ZMQError.last("zmq_disconnect(\(endpoint))") }
    }

    /// The endpoint actually bound, e.g. the port chosen for "tcp://127.0.0.1:*".
    public var lastEndpoint: String {
        get throws(ZMQError) {
            var buffer = [CChar](repeating: 0, count: 1024)
            var size = buffer.count
            if zmq_getsockopt(try open("zmq_getsockopt"), ZMQ_LAST_ENDPOINT, &buffer, &size) != 0 {
                throw ZMQError.last("zmq_getsockopt(ZMQ_LAST_ENDPOINT)")
            }
            return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    // MARK: Options

    public func set(_ option: SocketOption) throws(ZMQError) {
        let handle = try open("zmq_setsockopt(\(option.name))")
        var rc: Int32
        switch option {
        case .linger(let v): rc = Self.setInt(handle, ZMQ_LINGER, v)
        case .sendHighWaterMark(let v): rc = Self.setInt(handle, ZMQ_SNDHWM, v)
        case .receiveHighWaterMark(let v): rc = Self.setInt(handle, ZMQ_RCVHWM, v)
        case .receiveTimeout(let v): rc = Self.setInt(handle, ZMQ_RCVTIMEO, v)
        case .sendTimeout(let v): rc = Self.setInt(handle, ZMQ_SNDTIMEO, v)
        case .reconnectInterval(let v): rc = Self.setInt(handle, ZMQ_RECONNECT_IVL, v)
        case .reconnectIntervalMax(let v): rc = Self.setInt(handle, ZMQ_RECONNECT_IVL_MAX, v)
        case .routerMandatory(let v): rc = Self.setInt(handle, ZMQ_ROUTER_MANDATORY, v ? 1 : 0)
        case .immediate(let v): rc = Self.setInt(handle, ZMQ_IMMEDIATE, v ? 1 : 0)
        case .heartbeat(let interval, let timeout):
            rc = Self.setInt(handle, ZMQ_HEARTBEAT_IVL, interval)
            if rc == 0 { rc = Self.setInt(handle, ZMQ_HEARTBEAT_TIMEOUT, timeout) }
        case .maxMessageSize(var v):
            rc = zmq_setsockopt(handle, ZMQ_MAXMSGSIZE, &v, MemoryLayout<Int64>.size)
        case .routingID(let bytes): rc = Self.setBytes(handle, ZMQ_ROUTING_ID, bytes)
        case .curveServer(let v): rc = Self.setInt(handle, ZMQ_CURVE_SERVER, v ? 1 : 0)
        case .curveKeys(let keys):
            rc = Self.setBytes(handle, ZMQ_CURVE_PUBLICKEY, keys.publicKey.bytes)
            if rc == 0 { rc = Self.setBytes(handle, ZMQ_CURVE_SECRETKEY, keys.secretKey.bytes) }
        case .curveServerKey(let key): rc = Self.setBytes(handle, ZMQ_CURVE_SERVERKEY, key.bytes)
        case .zapDomain(let domain): rc = Self.setBytes(handle, ZMQ_ZAP_DOMAIN, Array(domain.utf8))
        case .subscribe(let bytes): rc = Self.setBytes(handle, ZMQ_SUBSCRIBE, bytes)
        case .unsubscribe(let bytes): rc = Self.setBytes(handle, ZMQ_UNSUBSCRIBE, bytes)
        }
        if rc != 0 { throw ZMQError.last("zmq_setsockopt(\(option.name))") }
    }

    private static func setInt(_ handle: UnsafeMutableRawPointer, _ name: Int32, _ value: Int32) -> Int32 {
        var value = value
        return zmq_setsockopt(handle, name, &value, MemoryLayout<Int32>.size)
    }

    private static func setBytes(_ handle: UnsafeMutableRawPointer, _ name: Int32, _ bytes: [UInt8]) -> Int32 {
        bytes.withUnsafeBytes { zmq_setsockopt(handle, name, $0.baseAddress, $0.count) }
    }

    // MARK: Sending

    /// Sends one frame; `more` marks that further frames of the same message follow.
    /// Returns false only with `dontWait` when the message cannot be queued now (EAGAIN).
    @discardableResult
    public func send(frame: some ContiguousBytesView, more: Bool = false, dontWait: Bool = false) throws(ZMQError) -> Bool {
        let handle = try open("zmq_send")
        var flags: Int32 = 0
        if more { flags |= ZMQ_SNDMORE }
        if dontWait { flags |= ZMQ_DONTWAIT }
        while true {
            let rc = frame.withBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) }
            if rc >= 0 { return true }
            let error = ZMQError.last("zmq_send")
            if error.isInterrupted { continue }
            if error.isAgain && dontWait { return false }
            throw error
        }
    }

    /// Sends all frames as one multipart message (atomically: all or none are delivered).
    @discardableResult
    public func send(_ frames: [[UInt8]], dontWait: Bool = false) throws(ZMQError) -> Bool {
        precondition(!frames.isEmpty, "a ZeroMQ message has at least one frame")
        for (index, frame) in frames.enumerated() {
            let more = index < frames.count - 1
            // Once the first frame is queued the rest of the message is always accepted.
            if !(try send(frame: frame, more: more, dontWait: dontWait && index == 0)) { return false }
        }
        return true
    }

    // MARK: Receiving

    /// Receives one whole multipart message, each frame exactly its sent size.
    /// Returns nil when nothing is waiting and `dontWait` is set, or RCVTIMEO expired.
    public func receive(dontWait: Bool = false) throws(ZMQError) -> [[UInt8]]? {
        try receive(dontWait: dontWait, property: nil)?.frames
    }

    /// Receives one whole message and a metadata property of its connection (zmq_msg_gets), e.g.
    /// "User-Id", the name a ZAP handler gave the peer; nil when the connection has none.
    public func receive(property: String, dontWait: Bool = false) throws(ZMQError) -> (frames: [[UInt8]], property: String?)? {
        try receive(dontWait: dontWait, property: Optional(property))
    }

    private func receive(dontWait: Bool, property: String?) throws(ZMQError) -> (frames: [[UInt8]], property: String?)? {
        let handle = try open("zmq_msg_recv")
        var value: String?
        var frames: [[UInt8]] = []
        var message = zmq_msg_t()
        zmq_msg_init(&message)
        defer { zmq_msg_close(&message) }
        while true {
            // Only the first frame may be absent; later frames of a message are already here.
            let flags: Int32 = dontWait && frames.isEmpty ? ZMQ_DONTWAIT : 0
            let rc = zmq_msg_recv(&message, handle, flags)
            if rc < 0 {
                let error = ZMQError.last("zmq_msg_recv")
                if error.isInterrupted { continue }
                if error.isAgain && frames.isEmpty { return nil }
                throw error
            }
            let size = zmq_msg_size(&message)
            let data = zmq_msg_data(&message)
            frames.append([UInt8](unsafeUninitializedCapacity: size) { buffer, count in
                if size > 0, let data { buffer.baseAddress!.initialize(from: data.assumingMemoryBound(to: UInt8.self), count: size) }
                count = size
            })
            if let property, frames.count == 1, let text = zmq_msg_gets(&message, property) { value = String(cString: text) }
            if zmq_msg_more(&message) == 0 { return (frames, value) }
        }
    }

    // MARK: Polling support

    /// The file descriptor libzmq signals when the socket's event state may have changed.
    var raw: UnsafeMutableRawPointer? { handle }
}

/// Bytes that can be sent as one frame without copying them first.
public protocol ContiguousBytesView {
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: ContiguousBytesView where Element == UInt8 {
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(body)
    }
}

extension ArraySlice: ContiguousBytesView where Element == UInt8 {
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(body)
    }
}

extension String: ContiguousBytesView {
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var copy = self
        return try copy.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
    }
}
