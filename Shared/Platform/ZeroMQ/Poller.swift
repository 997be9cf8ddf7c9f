// zmq_poll over ZeroMQ sockets and plain file descriptors (used to wake a socket's thread).
import CZeroMQ

public struct Poller {
    private var items: [zmq_pollitem_t] = []

    public init() {}

    /// Adds a socket to wait on for incoming messages (or, `writable`, for room to send a
    /// message: with IMMEDIATE, a completed connection); returns its index.
    @discardableResult
    public mutating func add(_ socket: ZMQSocket, writable: Bool = false) -> Int {
        items.append(zmq_pollitem_t(socket: socket.raw, fd: -1, events: Int16(writable ? ZMQ_POLLOUT : ZMQ_POLLIN), revents: 0))
        return items.count - 1
    }

    /// Adds a file descriptor to wait on for readability; returns its index.
    @discardableResult
    public mutating func add(fileDescriptor: Int32) -> Int {
        items.append(zmq_pollitem_t(socket: nil, fd: fileDescriptor, events: Int16(ZMQ_POLLIN), revents: 0))
        return items.count - 1
    }

    /// Waits up to `timeoutMilliseconds` (-1 forever) for input; returns how many items are ready.
    /// A signal interrupting the wait returns 0.
    @discardableResult
    public mutating func poll(timeoutMilliseconds: Int) throws(ZMQError) -> Int {
        let rc = items.withUnsafeMutableBufferPointer {
            zmq_poll($0.baseAddress, Int32($0.count), timeoutMilliseconds)
        }
        if rc < 0 {
            let error = ZMQError.last("zmq_poll")
            if error.isInterrupted { return 0 }
            throw error
        }
        return Int(rc)
    }

    /// Whether the item at `index` had input at the last poll.
    public func isReadable(_ index: Int) -> Bool {
        items[index].revents & Int16(ZMQ_POLLIN) != 0
    }
}
