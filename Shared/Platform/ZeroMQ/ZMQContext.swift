// A ZeroMQ context: the thread-safe owner of I/O threads that every socket is made from.
import CZeroMQ
import Synchronization

public final class ZMQContext: @unchecked Sendable {
    // libzmq contexts are thread-safe; sockets are not (see ZMQSocket).
    let handle: UnsafeMutableRawPointer
    private let terminated = Atomic<Bool>(false)

    public init(ioThreads: Int32 = 1) throws(ZMQError) {
        guard let handle = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        if ioThreads != 1, zmq_ctx_set(handle, ZMQ_IO_THREADS, ioThreads) != 0 {
            let error = ZMQError.last("zmq_ctx_set(ZMQ_IO_THREADS)")
            zmq_ctx_term(handle)
            throw error
        }
        self.handle = handle
    }

    /// Makes blocking calls on every socket of this context fail with ETERM, so their
    /// owning threads can close them; `deinit` then terminates the context.
    public func shutdown() {
        zmq_ctx_shutdown(handle)
    }

    /// Waits until every socket of the context is closed and their pending messages are sent
    /// or their LINGER has run out, then frees the context. Called once; later calls do nothing.
    public func terminate() {
        guard !terminated.exchange(true, ordering: .acquiringAndReleasing) else { return }
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }

    deinit { terminate() }

    /// The libzmq version linked at run time, e.g. (4, 3, 4).
    public static var version: (major: Int32, minor: Int32, patch: Int32) {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return (major, minor, patch)
    }
}
