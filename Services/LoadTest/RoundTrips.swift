// Round trips measured the same way for every mode: ZeroMQ's raw REQ/REP (the yardstick),
// REQ → zmq_proxy → REP (the floor for any relay), and calls through the broker.
import ArgumentParser
import Foundation
import Histogram
import Synchronization
import Transport
import Wire
import ZeroMQ

struct RoundTrips {
    let warmup: Int
    let requests: Int
    /// The brokers' frontend the calls through the broker go to.
    let frontend: String
    /// Round trips per second, single in flight, each started on a fixed schedule; nil: back to
    /// back. Paced, the threads sleep between trips, as a service's do at a modest rate: each
    /// message then pays for waking them, which back-to-back trips hide.
    var pace: Double? = nil

    /// Sleeps until the `index`-th trip's start on the schedule that began at `start`.
    func waitForTurn(_ index: Int, since start: UInt64) {
        guard let pace else { return }
        let due = start + UInt64(Double(index) * 1e9 / pace)
        let now = MonotonicClock.now()
        if due > now { usleep(UInt32((due - now) / 1_000)) }
    }

    /// The two yardsticks every service benchmark reports beside its own figures, measured in
    /// the same run: ZeroMQ's raw round trip and the broker's echo round trip (64-byte payloads).
    func yardsticks(context: ZMQContext) throws -> (raw: LatencyStats, broker: LatencyStats) {
        progress("raw ZeroMQ REQ/REP over tcp loopback: \(requests) round trips")
        let raw = try self.raw(context: context, payload: [UInt8](repeating: 0x5a, count: 64))
        progress("client → broker → echo → client: \(requests) round trips")
        let echo = BrokerClient.Call(service: "echo", method: "echo", payload: EchoRequest.with { $0.data = Data(count: 64) }.wireBytes(), idempotent: true)
        return (raw, try broker(context: context) { _ in echo })
    }

    /// A REP echo thread and a REQ client on this thread, over tcp loopback.
    func raw(context: ZMQContext, payload: [UInt8]) throws -> LatencyStats {
        let address = try startRawEcho(context: context, connectTo: nil)
        return try measureRequestReply(context: context, endpoint: address, payload: payload)
    }

    /// A zmq_proxy thread (ROUTER ↔ DEALER) with a REP echo thread behind it. Proxy, echo and
    /// client each get a context, so each has its own I/O thread as separate processes would;
    /// shutting the proxy's context down afterwards stops it.
    func proxyFloor(payload: [UInt8]) throws -> LatencyStats {
        let context = try ZMQContext()
        let echoContext = try ZMQContext()
        let clientContext = try ZMQContext()
        let endpoints = Mutex<(String, String)?>(nil)
        let bound = DispatchSemaphore(value: 0)
        let stopped = DispatchSemaphore(value: 0)
        Thread {
            defer { stopped.signal() }
            do {
                let frontend = try ZMQSocket(context, .router)
                let backend = try ZMQSocket(context, .dealer)
                defer { frontend.close(); backend.close() }
                for socket in [frontend, backend] {
                    try socket.set(.linger(0))
                    try socket.bind("tcp://127.0.0.1:*")
                }
                let pair = (try frontend.lastEndpoint, try backend.lastEndpoint)
                endpoints.withLock { $0 = pair }
                bound.signal()
                try ZMQProxy.run(frontend: frontend, backend: backend)
            } catch {
                bound.signal()
            }
        }.start()
        bound.wait()
        guard let (front, back) = endpoints.withLock({ $0 }) else { throw ValidationError("zmq_proxy could not bind") }
        _ = try startRawEcho(context: echoContext, connectTo: back)
        let stats = try measureRequestReply(context: clientContext, endpoint: front, payload: payload)
        context.shutdown()
        stopped.wait()
        return stats
    }

    /// Starts a REP thread that echoes warmup + requests messages; it binds on a free tcp port
    /// (returned) or connects to `connectTo`.
    private func startRawEcho(context: ZMQContext, connectTo: String?) throws -> String {
        let endpoint = Mutex<String?>(nil)
        let ready = DispatchSemaphore(value: 0)
        let total = warmup + requests
        Thread {
            do {
                let server = try ZMQSocket(context, .rep)
                defer { server.close() }
                try server.set(.linger(0))
                if let connectTo {
                    try server.connect(connectTo)
                    endpoint.withLock { $0 = connectTo }
                } else {
                    try server.bind("tcp://127.0.0.1:*")
                    endpoint.withLock { $0 = try? server.lastEndpoint }
                }
                ready.signal()
                for _ in 0..<total {
                    guard let frames = try server.receive() else { break }
                    try server.send(frames)
                }
            } catch {
                ready.signal()
            }
        }.start()
        ready.wait()
        guard let address = endpoint.withLock({ $0 }) else { throw ValidationError("raw echo server could not start") }
        return address
    }

    private func measureRequestReply(context: ZMQContext, endpoint: String, payload: [UInt8]) throws -> LatencyStats {
        let socket = try ZMQSocket(context, .req)
        defer { socket.close() }
        try socket.set(.linger(0))
        try socket.connect(endpoint)
        return try measure { _ in
            try stopwatch {
                try socket.send([payload])
                guard try socket.receive() != nil else { throw ValidationError("echo at \(endpoint) did not answer") }
            }.nanoseconds
        }
    }

    /// `requests` calls through the broker, one in flight, after `warmup` unmeasured ones;
    /// `call(n)` makes the n-th call.
    /// `inspect` sees every reply's payload, after its time is taken.
    func broker(context: ZMQContext, call: (Int) -> BrokerClient.Call,
                inspect: ([UInt8]) -> Void = { _ in }) throws -> LatencyStats {
        let broker = try BrokerClient(context: context, endpoint: frontend)
        defer { broker.close() }
        return try measure { index in
            let next = call(index)
            let (reply, nanoseconds) = try stopwatch { try broker.call(next) }
            inspect(reply)
            if index > warmup, (index - warmup) % 10_000 == 0 { progress("  \(index - warmup) / \(requests)") }
            return nanoseconds
        }
    }

    /// `warmup` unmeasured trips, then `count` (default: `requests`) measured ones, each started on
    /// the pace's schedule: `trip(n)` makes the n-th and returns the nanoseconds to count for it.
    func measure(count: Int? = nil, _ trip: (Int) throws -> UInt64) rethrows -> LatencyStats {
        var histogram = newHistogram()
        let began = MonotonicClock.now()
        for index in 0..<(warmup + (count ?? requests)) {
            waitForTurn(index, since: began)
            let nanoseconds = try trip(index)
            if index >= warmup { histogram.record(nanoseconds) }
        }
        return LatencyStats(histogram)
    }
}

/// Runs `body`; returns its result and the nanoseconds it took.
func stopwatch<T>(_ body: () throws -> T) rethrows -> (result: T, nanoseconds: UInt64) {
    let start = MonotonicClock.now()
    let result = try body()
    return (result, MonotonicClock.now() - start)
}

/// CPU time this process has used so far (user + system, all threads), µs.
func processCPUMicros() -> UInt64 {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func micros(_ t: timeval) -> UInt64 { UInt64(t.tv_sec) * 1_000_000 + UInt64(t.tv_usec) }
    return micros(usage.ru_utime) + micros(usage.ru_stime)
}
