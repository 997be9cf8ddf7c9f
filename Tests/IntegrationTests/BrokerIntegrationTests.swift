// Real broker and worker processes over real sockets: sharing load, losing workers, refusing
// bad input, shutting down cleanly.
import Foundation
import Testing
import Transport
import Wire
import ZeroMQ

@Suite(.serialized) struct BrokerIntegrationTests {
    @Test func threeWorkersShareTheLoad() throws {
        let cluster = try Cluster()
        for _ in 0..<3 { try cluster.startWorker() }
        try cluster.waitForWorkers(3)
        let client = try cluster.client()
        defer { client.close() }
        var servedBy: [String: Int] = [:]
        for n in 0..<300 {
            let reply = try EchoReply(wireBytes: try client.call(echo("m\(n)")))
            #expect(reply.data == Data("m\(n)".utf8))
            servedBy[reply.worker, default: 0] += 1
        }
        #expect(servedBy.count == 3, "\(servedBy)")
        #expect(servedBy.values.allSatisfy { $0 >= 60 }, "\(servedBy)")
        // The same spread holds with requests in flight together.
        servedBy = [:]
        let ids = try (0..<6).map { _ in try client.send(echo("p", delayMs: 100)) }
        for _ in ids {
            let (_, result) = try #require(try client.receive())
            servedBy[try EchoReply(wireBytes: try result.get()).worker, default: 0] += 1
        }
        #expect(servedBy.count == 3 && servedBy.values.allSatisfy { $0 == 2 }, "\(servedBy)")
        #expect(cluster.stop().allSatisfy { $0 == 0 }, "every process exits 0 on SIGTERM")
    }

    @Test func aWorkerKilledMidFlightLosesNoIdempotentAnswer() throws {
        let cluster = try Cluster()
        let victim = try cluster.startWorker()
        try cluster.startWorker()
        try cluster.startWorker()
        try cluster.waitForWorkers(3)
        let client = try cluster.client()
        defer { client.close() }
        // One slow request on each worker, then SIGKILL one worker while it holds its request.
        let ids = try (0..<3).map { _ in try client.send(echo("x", delayMs: 300, timeoutMicros: 3_000_000)) }
        Thread.sleep(forTimeInterval: 0.1)
        cluster.signal(victim, SIGKILL)
        var workers: Set<String> = []
        for _ in ids {
            let (_, result) = try #require(try client.receive())
            workers.insert(try EchoReply(wireBytes: try result.get()).worker)
        }
        #expect(workers.count == 2, "the killed worker's request was answered by another worker: \(workers)")
        #expect(!workers.contains { $0.hasPrefix("echo-\(victim.processIdentifier)-") })
    }

    @Test func aNonIdempotentRequestOnAKilledWorkerGetsATypedErrorByItsDeadline() throws {
        let cluster = try Cluster()
        let victim = try cluster.startWorker()
        try cluster.waitForWorkers(1)
        let client = try cluster.client()
        defer { client.close() }
        let start = MonotonicClock.now()
        let id = try client.send(echo("x", delayMs: 1000, timeoutMicros: 2_000_000, idempotent: false))
        Thread.sleep(forTimeInterval: 0.1)
        cluster.signal(victim, SIGKILL)
        let (answered, result) = try #require(try client.receive())
        #expect(answered == id)
        do {
            _ = try result.get()
            Issue.record("a request held by a killed worker succeeded")
        } catch {
            #expect([ErrorCode.unavailable, .deadlineExceeded].contains(error.code), "\(error)")
        }
        #expect(MonotonicClock.now() - start <= 2_100_000_000, "answered by its deadline")
    }

    @Test func aServiceWithNoWorkersIsATypedErrorNotATimeout() throws {
        let cluster = try Cluster()
        let client = try cluster.client()
        defer { client.close() }
        #expect(throws: ServiceError(.noWorkers, "service 'profile' has no live workers")) {
            try client.call(.init(service: "profile", method: "get_view", timeoutMicros: 10_000_000))
        }
    }

    @Test func malformedAndOversizedFramesGetTypedErrorsAndOthersAreStillServed() throws {
        let cluster = try Cluster(brokerArguments: ["--max-request-bytes", "4096"])
        try cluster.startWorker()
        try cluster.waitForWorkers(1)
        let good = try cluster.client()
        defer { good.close() }

        let raw = try ZMQSocket(cluster.context, .dealer)
        defer { raw.close() }
        try raw.set(.receiveTimeout(3000))
        try raw.set(.linger(0))
        try raw.connect(cluster.frontend)
        func reply(to frames: [[UInt8]]) throws -> Reply {
            try raw.send(frames)
            let answer = try #require(try raw.receive(), "no reply to \(frames.map(\.count)) within 3 s")
            #expect(answer.count == 2 && answer[0].isEmpty)
            return try Reply(serializedBytes: answer[1])
        }
        #expect(try reply(to: [[], [0xff, 0xff, 0xff]]).error.code == .malformed)
        #expect(try reply(to: [Array("no delimiter".utf8)]).error.code == .malformed)
        #expect(try reply(to: [[], [], [], []]).error.code == .malformed)
        var envelope = Envelope()
        envelope.protocolVersion = 1
        envelope.requestID = 5
        envelope.service = "echo"
        envelope.method = "echo"
        envelope.payload = Data(count: 10_000)
        let tooLarge = try reply(to: [[], envelope.wireBytes()])
        #expect(tooLarge.error.code == .tooLarge)
        #expect(tooLarge.error.message == "request of \(envelope.wireBytes().count) bytes is over the limit of 4096 bytes")
        envelope.protocolVersion = 9
        envelope.payload = Data()
        let version = try reply(to: [[], envelope.wireBytes()])
        #expect(version.error.code == .unsupportedVersion && version.requestID == 5)

        // Past the hard limit (16 × 4096) libzmq drops that connection; everyone else is served.
        let hog = try ZMQSocket(cluster.context, .dealer)
        defer { hog.close() }
        try hog.set(.linger(0))
        try hog.connect(cluster.frontend)
        try hog.send([[], [UInt8](repeating: 1, count: 100_000)])
        for n in 0..<20 {
            #expect(try EchoReply(wireBytes: try good.call(echo("ok\(n)"))).data == Data("ok\(n)".utf8))
        }
    }

    @Test func workersComeBackByThemselvesAfterTheBrokerRestarts() throws {
        let cluster = try Cluster()
        try cluster.startWorker()
        try cluster.startWorker()
        try cluster.waitForWorkers(2)
        cluster.signal(cluster.broker!, SIGKILL)
        cluster.broker!.waitUntilExit()
        try cluster.startBroker()
        try cluster.waitForWorkers(2)
        let client = try cluster.client()
        defer { client.close() }
        #expect(try EchoReply(wireBytes: try client.call(echo("again"))).data == Data("again".utf8))
    }

    /// Two brokers, every worker registered with both: a client keeps being answered while one
    /// broker is stopped (its requests retried through the other) or killed, and workers
    /// re-register with the restarted one.
    @Test func eitherOfTwoBrokersServesWhileTheOtherIsStoppedOrKilled() throws {
        let cluster = try Cluster(brokers: 2)
        try cluster.startWorker()
        try cluster.startWorker()
        try cluster.waitForWorkers(2)
        let client = try cluster.client()
        defer { client.close() }
        func answered(_ count: Int, idempotent: Bool) throws -> Int {
            (0..<count).filter { n in
                (try? EchoReply(wireBytes: try client.call(echo("b\(n)", timeoutMicros: 1_000_000, idempotent: idempotent))))?.data == Data("b\(n)".utf8)
            }.count
        }
        #expect(try answered(10, idempotent: false) == 10)

        // Stopped: its TCP connections stay open. Idempotent calls sent to it are retried through
        // the other broker within their time; once the heartbeats drop it, every call goes there.
        let stopped = try #require(cluster.brokers[0])
        cluster.signal(stopped, SIGSTOP)
        #expect(try answered(10, idempotent: true) == 10)
        Thread.sleep(forTimeInterval: 1.5)
        #expect(try answered(10, idempotent: false) == 10)
        cluster.signal(stopped, SIGCONT)

        // Killed: nothing is sent to it while it is down; restarted, the workers come back to it.
        cluster.signal(stopped, SIGKILL)
        stopped.waitUntilExit()
        #expect(try answered(10, idempotent: false) == 10)
        try cluster.startBroker(0)
        try cluster.waitForWorkers(2)
        let viaFirst = try BrokerClient(context: cluster.context, endpoint: cluster.frontends[0])
        defer { viaFirst.close() }
        #expect(try EchoReply(wireBytes: try viaFirst.call(echo("first"))).data == Data("first".utf8))
    }

    /// A frontend the broker cannot bind (its port taken) ends the broker through its lifecycle:
    /// the stream relay is shut down, not cut off, the failure is logged naming the endpoint,
    /// and the process exits non-zero without hanging.
    @Test func aBrokerThatCannotBindItsFrontendShutsDownInOrderAndExitsNonZero() throws {
        let context = try ZMQContext()
        let squatter = try ZMQSocket(context, .router)
        defer { squatter.close() }
        try squatter.bind("tcp://127.0.0.1:*")
        let taken = try squatter.lastEndpoint
        func free() throws -> String { "tcp://127.0.0.1:\(try freePort(context))" }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("offerloop-broker-taken-\(UUID().uuidString.prefix(8)).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let broker = Process()
        broker.executableURL = binDirectory.appendingPathComponent("offerloop-broker")
        broker.arguments = ["--frontend", taken, "--backend", try free(), "--stream-in", try free(), "--stream-out", try free()]
        broker.standardError = try FileHandle(forWritingTo: log)
        broker.standardOutput = FileHandle.nullDevice
        try broker.run()
        // A hang guard, not a timing check.
        let end = Date().addingTimeInterval(30)
        while broker.isRunning, Date() < end { Thread.sleep(forTimeInterval: 0.05) }
        if broker.isRunning {
            kill(broker.processIdentifier, SIGKILL)
            broker.waitUntilExit()
            Issue.record("the broker still ran 30 s after its frontend could not be bound")
            return
        }
        let output = try String(contentsOf: log, encoding: .utf8)
        #expect(broker.terminationStatus != 0, "\(output)")
        #expect(output.contains("zmq_bind(\(taken))") && output.contains("Address already in use"), "\(output)")
        #expect(output.contains("stream relay stopped"), "the relay is shut down in order: \(output)")
    }

    @Test func theCommandLinePingsThroughTheBroker() throws {
        let cluster = try Cluster()
        try cluster.startWorker()
        try cluster.waitForWorkers(1)
        let (status, output) = try run("offerloop", ["ping", "echo", "--count", "3", "--frontend", cluster.frontend])
        #expect(status == 0)
        #expect(output.components(separatedBy: "pong from echo-").count == 4, "\(output)")
        let (missing, _) = try run("offerloop", ["ping", "decision", "--frontend", cluster.frontend])
        #expect(missing == 1)
    }

    @Test func thePythonTouchpointSpeaksTheProtocol() throws {
        let cluster = try Cluster()
        try cluster.startWorker(threads: 2)
        try cluster.waitForWorkers(2)
        let script = repositoryRoot.appendingPathComponent("examples/python/touchpoint.py").path
        let (status, output) = try run("/usr/bin/env", ["python3", script, "--frontend", cluster.frontend])
        #expect(status == 0, "\(output)")
        #expect(output.contains("service echo: 2 workers"))
        #expect(output.contains("echo: 'hello from python' from echo-"))
        #expect(output.contains("typed error as documented: NO_WORKERS"))
    }
}

/// Runs a binary (from the build directory unless given a path), with `environment` added to
/// the test's own, and returns its status and output.
func run(_ binary: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = binary.hasPrefix("/") ? URL(fileURLWithPath: binary) : binDirectory.appendingPathComponent(binary)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
