// libzmq's built-in proxy: the fastest possible relay between two sockets, with no logic.
// The benchmarks run it as the floor any broker's extra hops can reach.
import CZeroMQ

public enum ZMQProxy {
    /// Relays messages both ways until the context is shut down (then throws ETERM).
    /// Both sockets must belong to the calling thread.
    public static func run(frontend: ZMQSocket, backend: ZMQSocket) throws(ZMQError) {
        if zmq_proxy(frontend.raw, backend.raw, nil) != 0 { throw ZMQError.last("zmq_proxy") }
    }
}
