// The worker loop against a real ROUTER socket playing the broker's backend.
import Foundation
import Logging
import Store
import Synchronization
import Testing
import Wire
import ZeroMQ
@testable import Transport

/// A worker running on its own thread, with a ROUTER it talks to.
final class WorkerBench {
    let context: ZMQContext
    let router: ZMQSocket
    let stop = StopSignal()
    let done = DispatchSemaphore(value: 0)

    init(methods: Methods, heartbeatMs: UInt64 = 1000, capacity: UInt32 = 2) throws {
        context = try ZMQContext()
        router = try ZMQSocket(context, .router)
        try router.set(.receiveTimeout(3000))
        try router.bind("tcp://127.0.0.1:*")
        var settings = WorkerSettings(service: "test", backend: try router.lastEndpoint, capacity: capacity)
        settings.heartbeatInterval = heartbeatMs * 1_000_000
        settings.reconnectMin = 10_000_000
        let worker = Worker(settings: settings, methods: methods, context: context, logger: Logger(label: "test"))
        Thread { [stop, done] in
            worker.run(until: stop)
            done.signal()
        }.start()
    }

    /// The next message from a worker, skipping heartbeats.
    func next() throws -> (id: [UInt8], WorkerMessage) {
        while true {
            let frames = try #require(try router.receive(), "no message from the worker within 3 s")
            let message = try WorkerMessage(frames: frames[1...])
            if message != .heartbeat { return (frames[0], message) }
        }
    }

    func request(_ worker: [UInt8], id: UInt64, method: String, payload: [UInt8] = [], budgetMicros: UInt64 = 1_000_000) throws -> Reply {
        try send(worker, id: id, method: method, payload: payload, budgetMicros: budgetMicros)
        return try reply(to: id)
    }

    func send(_ worker: [UInt8], id: UInt64, method: String, payload: [UInt8] = [], budgetMicros: UInt64 = 1_000_000) throws {
        var envelope = Envelope()
        envelope.protocolVersion = 1
        envelope.requestID = id
        envelope.service = "test"
        envelope.method = method
        envelope.payload = Data(payload)
        try router.send([worker] + WorkerMessage.request(client: [7], requestID: id, budgetMicros: budgetMicros, envelope: envelope.wireBytes()).frames)
    }

    func reply(to id: UInt64) throws -> Reply {
        let (_, message) = try next()
        guard case .reply(let client, let requestID, let bytes) = message else { throw ServiceError(.malformed, "expected a reply, got \(message)") }
        #expect(client == [7] && requestID == id)
        return try Reply(serializedBytes: bytes)
    }

    func finish() {
        stop.raise()
        done.wait()
        router.close()
    }
}

@Suite struct WorkerTests {
    static var methods: Methods {
        var methods = Methods()
        methods.on("upper") { (request: EchoRequest, _) -> EchoReply in
            EchoReply.with { $0.data = Data(String(decoding: request.data, as: UTF8.self).uppercased().utf8) }
        }
        methods.on("fail") { (_: EchoRequest, _) -> EchoReply in throw ServiceError(.notFound, "no such thing") }
        methods.on("crash") { (_: EchoRequest, _) -> EchoReply in throw CocoaError(.fileNoSuchFile) }
        return methods
    }

    @Test func announcesItselfAndAnswersRequests() throws {
        let bench = try WorkerBench(methods: Self.methods)
        defer { bench.finish() }
        let (id, ready) = try bench.next()
        #expect(ready == .ready(service: "test", capacity: 2))
        #expect(String(decoding: id, as: UTF8.self).hasPrefix("test-\(getpid())-0-"))

        let reply = try bench.request(id, id: 1, method: "upper", payload: EchoRequest.with { $0.data = Data("abc".utf8) }.wireBytes())
        #expect(try EchoReply(serializedBytes: reply.payload).data == Data("ABC".utf8))
        #expect(reply.servedBy == String(decoding: id, as: UTF8.self))

        let ping = try bench.request(id, id: 2, method: "ping")
        let pong = try PingReply(serializedBytes: ping.payload)
        #expect(pong.service == "test" && pong.pid == getpid() && pong.requestsServed == 1)
    }

    @Test func failuresAreTypedReplies() throws {
        let bench = try WorkerBench(methods: Self.methods)
        defer { bench.finish() }
        let (id, _) = try bench.next()
        #expect(try bench.request(id, id: 1, method: "fail").error.code == .notFound)
        let crash = try bench.request(id, id: 2, method: "crash").error
        #expect(crash.code == .internal && crash.message.hasPrefix("test.crash failed"))
        let unknown = try bench.request(id, id: 3, method: "nope").error
        #expect(unknown.code == .unknownMethod)
        #expect(unknown.message == "service 'test' has no method 'nope' (it has: ping, crash, fail, upper)")
        let garbage = try bench.request(id, id: 4, method: "upper", payload: [0xff, 0xff]).error
        #expect(garbage.code == .malformed)
        // And it keeps serving.
        #expect(try bench.request(id, id: 5, method: "ping").error.code == .unspecified)
    }

    /// A store failure thrown by a method reaches the caller as its wire error: the mapping sits
    /// at the service edge, since the store itself knows no wire type.
    @Test func storeFailuresAreTypedReplies() throws {
        var methods = Self.methods
        for (name, kind) in [("down", StoreError.Kind.unavailable), ("clash", .constraint), ("broken", .failed)] {
            methods.on(name) { (_: EchoRequest, _) -> EchoReply in throw StoreError(kind, "disk full") }
        }
        let bench = try WorkerBench(methods: methods)
        defer { bench.finish() }
        let (id, _) = try bench.next()
        let answers = try ["down", "clash", "broken"].enumerated().map { try bench.request(id, id: UInt64($0.offset + 1), method: $0.element).error }
        #expect(answers.map(\.code) == [.unavailable, .alreadyExists, .internal])
        #expect(answers.map(\.message) == ["store unavailable: disk full", "the write conflicts with stored data: disk full", "store failure: disk full"])
    }

    @Test func skipsRequestsWhoseDeadlinePassed() throws {
        let bench = try WorkerBench(methods: Self.methods)
        defer { bench.finish() }
        let (id, _) = try bench.next()
        let reply = try bench.request(id, id: 1, method: "upper", budgetMicros: 0)
        #expect(reply.error.code == .deadlineExceeded)
    }

    /// An envelope that cannot be read is answered MALFORMED, whether or not its deadline passed.
    @Test func anUnreadableEnvelopeIsMalformed() throws {
        let bench = try WorkerBench(methods: Self.methods)
        defer { bench.finish() }
        let (id, _) = try bench.next()
        for (requestID, budget) in [(UInt64(1), UInt64(1_000_000)), (2, 0)] {
            try bench.router.send([id] + WorkerMessage.request(client: [7], requestID: requestID, budgetMicros: budget, envelope: [0xff, 0xff]).frames)
            let error = try bench.reply(to: requestID).error
            #expect(error.code == .malformed && error.message.contains("Envelope"), "\(error)")
        }
    }

    @Test func reRegistersWhenTheBrokerSaysSo() throws {
        let bench = try WorkerBench(methods: Self.methods)
        defer { bench.finish() }
        let (first, _) = try bench.next()
        try bench.router.send([first] + WorkerMessage.disconnect.frames)
        let (second, again) = try bench.next()
        #expect(again == .ready(service: "test", capacity: 2))
        #expect(second != first, "a new connection gets a new identity")
    }

    @Test func reconnectsWhenTheBrokerGoesSilent() throws {
        let bench = try WorkerBench(methods: Self.methods, heartbeatMs: 50)
        defer { bench.finish() }
        let (first, _) = try bench.next()
        // Say nothing: after 3 silent heartbeats (150 ms) the worker starts a new session.
        let (second, again) = try bench.next()
        #expect(again == .ready(service: "test", capacity: 2) && second != first)
    }

    /// Requests of a group method waiting at the worker together are answered by one call,
    /// each with its own reply; a bad one among them gets its own error.
    @Test func waitingRequestsOfAGroupMethodAreAnsweredTogether() throws {
        final class Sizes: Sendable { let value = Mutex<[Int]>([]) }
        let groups = Sizes()
        var methods = Self.methods
        methods.on("slow") { (_: EchoRequest, _) -> EchoReply in
            Thread.sleep(forTimeInterval: 0.3)
            return EchoReply()
        }
        methods.onGroup("upper_all") { (requests: [EchoRequest]) -> [Result<EchoReply, ServiceError>] in
            groups.value.withLock { $0.append(requests.count) }
            return requests.map { request in .success(EchoReply.with { $0.data = Data(String(decoding: request.data, as: UTF8.self).uppercased().utf8) }) }
        }
        let bench = try WorkerBench(methods: methods, capacity: 4)
        defer { bench.finish() }
        let (id, _) = try bench.next()
        // While the worker is busy with "slow", three group requests (one undecodable) queue up.
        try bench.send(id, id: 1, method: "slow")
        Thread.sleep(forTimeInterval: 0.1)
        for (n, text) in ["a", "b"].enumerated() {
            try bench.send(id, id: UInt64(n + 2), method: "upper_all", payload: EchoRequest.with { $0.data = Data(text.utf8) }.wireBytes())
        }
        try bench.send(id, id: 4, method: "upper_all", payload: [0xff, 0xff])
        #expect(try bench.reply(to: 1).error.code == .unspecified)
        #expect(try EchoReply(serializedBytes: try bench.reply(to: 2).payload).data == Data("A".utf8))
        #expect(try EchoReply(serializedBytes: try bench.reply(to: 3).payload).data == Data("B".utf8))
        #expect(try bench.reply(to: 4).error.code == .malformed)
        // One call for the three waiting requests; the undecodable one never reaches the handler.
        #expect(groups.value.withLock { $0 } == [2])
    }

    /// A waiting method's request its handler answers "not yet" is parked, not waited on: the
    /// worker answers others meanwhile, asks again every few ms, gives it its last try before its
    /// deadline, and answers what is parked when it stops. It announces room for parked requests.
    @Test func aParkedRequestWaitsWithoutHoldingUpOthers() throws {
        final class Arrived: Sendable { let keys = Mutex<Set<String>>([]) }
        let arrived = Arrived()
        var methods = Self.methods
        methods.onGroup("when_arrived", waitingUpTo: 10_000_000_000) { (requests: [(request: EchoRequest, mayWait: Bool)]) -> [Result<EchoReply, ServiceError>?] in
            requests.map { request, mayWait -> Result<EchoReply, ServiceError>? in
                let key = String(decoding: request.data, as: UTF8.self)
                if arrived.keys.withLock({ $0.contains(key) }) { return .success(EchoReply.with { $0.data = request.data }) }
                return mayWait ? nil : .failure(ServiceError(.notFound, "\(key) has not arrived"))
            }
        }
        func key(_ text: String) -> [UInt8] { EchoRequest.with { $0.data = Data(text.utf8) }.wireBytes() }
        let bench = try WorkerBench(methods: methods, capacity: 2)
        let (id, ready) = try bench.next()
        #expect(ready == .ready(service: "test", capacity: 1_002))
        try bench.send(id, id: 1, method: "when_arrived", payload: key("x"), budgetMicros: 5_000_000)
        try bench.send(id, id: 2, method: "when_arrived", payload: key("y"), budgetMicros: 1_000_000)
        // Answered while 1 and 2 wait.
        let upper = try bench.request(id, id: 3, method: "upper", payload: key("abc"))
        #expect(try EchoReply(serializedBytes: upper.payload).data == Data("ABC".utf8))
        // 2's deadline ends its wait first; 1 is answered once its key arrives.
        #expect(try bench.reply(to: 2).error.code == .notFound)
        arrived.keys.withLock { _ = $0.insert("x") }
        #expect(try EchoReply(serializedBytes: try bench.reply(to: 1).payload).data == Data("x".utf8))
        // Stopping, the worker gives what is parked its last try, then says goodbye.
        try bench.send(id, id: 4, method: "when_arrived", payload: key("z"), budgetMicros: 5_000_000)
        _ = try bench.request(id, id: 5, method: "ping")
        bench.stop.raise()
        #expect(try bench.reply(to: 4).error.code == .notFound)
        #expect(try bench.next().1 == .disconnect)
        bench.done.wait()
        bench.router.close()
    }

    @Test func saysGoodbyeOnStop() throws {
        let bench = try WorkerBench(methods: Self.methods)
        _ = try bench.next()
        bench.stop.raise()
        let (_, bye) = try bench.next()
        #expect(bye == .disconnect)
        bench.done.wait()
        bench.router.close()
    }
}
