// The gateway's way into the cluster. HTTP handlers run on NIO's event loops, which must never
// block, and a ZeroMQ socket belongs to one thread (STYLE). So each of a few caller threads owns a
// BrokerClient with many calls in flight; a handler puts its call in that thread's inbox, raises
// its eventfd (which wakes the thread from zmq_poll) and awaits the answer. Deadlines, retries and
// the typed errors are BrokerClient's own.
import Foundation
import Logging
import ProcessShell
import ServiceLifecycle
import SwiftProtobuf
import Synchronization
import Transport
import Wire
import ZeroMQ

final class BrokerCaller: Sendable {
    private let lanes: [Lane]
    private let next = Atomic<Int>(0)

    /// `threads` caller threads, each with its own client of the brokers at `endpoint`.
    init(context: ZMQContext, endpoint: String, threads: Int) {
        lanes = (0..<max(1, threads)).map { Lane(context: context, endpoint: endpoint, index: $0) }
    }

    /// Calls a method through the broker; answers by the call's deadline with the reply's bytes
    /// or a typed error. Never blocks the calling thread.
    func call(_ call: BrokerClient.Call) async throws(ServiceError) -> [UInt8] {
        let lane = lanes[next.add(1, ordering: .relaxed).oldValue % lanes.count]
        let result = await withCheckedContinuation { (answer: CheckedContinuation<Result<[UInt8], ServiceError>, Never>) in
            lane.submit(call, answer)
        }
        return try result.get()
    }

    /// Calls a method with protobuf messages.
    func call<Response: Message>(
        _ service: String, _ method: String, _ request: some Message, as: Response.Type = Response.self,
        timeoutMicros: UInt64, idempotent: Bool, routingKey: [UInt8] = []
    ) async throws(ServiceError) -> Response {
        let bytes = try await call(BrokerClient.Call(service: service, method: method, payload: request.wireBytes(),
                                                     timeoutMicros: timeoutMicros, idempotent: idempotent, routingKey: routingKey))
        return try Response(wireBytes: bytes)
    }

    /// The caller threads, as one service of the process's group: started with it; on shutdown
    /// they answer what is still in flight (within its deadline) and close their sockets.
    func services(logger: Logger) -> [any Service] {
        lanes.map { lane in ThreadService(name: "gw-caller-\(lane.index)") { stop in try lane.run(stop: stop, logger: logger) } }
    }
}

/// One caller thread: its inbox, its wake-up, and (on its thread only) its client.
private final class Lane: Sendable {
    typealias Answer = CheckedContinuation<Result<[UInt8], ServiceError>, Never>

    let index: Int
    private let context: ZMQContext
    private let endpoint: String
    private let inbox = Mutex<(calls: [(BrokerClient.Call, Answer)], open: Bool)>(([], true))
    private let wake = WakeSignal()

    init(context: ZMQContext, endpoint: String, index: Int) {
        self.context = context
        self.endpoint = endpoint
        self.index = index
    }

    func submit(_ call: BrokerClient.Call, _ answer: Answer) {
        let taken = inbox.withLock { inbox in
            guard inbox.open else { return false }
            inbox.calls.append((call, answer))
            return true
        }
        guard taken else {
            answer.resume(returning: .failure(ServiceError(.shuttingDown, "the gateway is shutting down; send this request to another gateway")))
            return
        }
        wake.raise()
    }

    /// The thread's loop: takes new calls, sends them, and hands each answer to its waiter.
    func run(stop: StopSignal, logger: Logger) throws {
        let client = try BrokerClient(context: context, endpoint: endpoint)
        var waiting: [UInt64: Answer] = [:]
        defer { client.close() }
        var poller = Poller()
        client.add(to: &poller)
        let wakeIndex = poller.add(fileDescriptor: wake.fileDescriptor)
        poller.add(fileDescriptor: stop.wake.fileDescriptor)
        var stopping = false
        while !(stopping && waiting.isEmpty) {
            let now = MonotonicClock.now()
            let wait = client.nextDue.map { $0 > now ? Int(($0 - now + 999_999) / 1_000_000) : 0 } ?? 1_000
            do { _ = try poller.poll(timeoutMilliseconds: wait) } catch { logger.error("gateway caller poll failed", metadata: ["error": "\(error)"]) }
            if stop.isRaised, !stopping {
                stopping = true
                inbox.withLock { $0.open = false }
            }
            if poller.isReadable(wakeIndex) { wake.clear() }
            for (call, answer) in inbox.withLock({ inbox in defer { inbox.calls.removeAll() }; return inbox.calls }) {
                do {
                    waiting[try client.send(call)] = answer
                } catch {
                    answer.resume(returning: .failure(error))
                }
            }
            // Every answer that came, and every deadline or retry that is due.
            while let (id, result) = try? client.receive(waitMilliseconds: 0) {
                waiting.removeValue(forKey: id)?.resume(returning: result)
            }
        }
    }
}
