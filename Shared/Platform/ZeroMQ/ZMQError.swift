// Errors from libzmq, carrying errno and zmq_strerror, named by the call that failed.
import CZeroMQ

public struct ZMQError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The errno value libzmq reported (EAGAIN, ETERM, EMSGSIZE, ...).
    public let code: Int32
    /// The libzmq call that failed, e.g. "zmq_connect(tcp://127.0.0.1:5555)".
    public let operation: String

    public var message: String { String(cString: zmq_strerror(code)) }
    public var description: String { "\(operation): \(message) (errno \(code))" }

    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// The error libzmq left in errno for the call just made.
    static func last(_ operation: @autoclosure () -> String) -> ZMQError {
        ZMQError(code: zmq_errno(), operation: operation())
    }

    public var isAgain: Bool { code == EAGAIN }
    public var isInterrupted: Bool { code == EINTR }
    /// The context was terminated: the socket's owner should close it and stop.
    public var isTerminated: Bool { code == ETERM }
}
