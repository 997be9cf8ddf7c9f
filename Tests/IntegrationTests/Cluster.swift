// Starts the real broker and service binaries as processes on free loopback ports, for tests.
import Foundation
import Testing
import Transport
import Wire
import ZeroMQ

/// The directory with the built executables (next to the test bundle), or OFFERLOOP_BIN_DIR.
let binDirectory: URL = {
    if let dir = ProcessInfo.processInfo.environment["OFFERLOOP_BIN_DIR"] { return URL(fileURLWithPath: dir) }
    return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
}()

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A loopback port no one listens on now.
func freePort(_ context: ZMQContext) throws -> String {
    let socket = try ZMQSocket(context, .rep)
    defer { socket.close() }
    try socket.bind("tcp://127.0.0.1:*")
    return String(try socket.lastEndpoint.split(separator: ":").last!)
}

final class Cluster {
    let context: ZMQContext
    /// Each broker's endpoints; the lists clients and workers are given join them with commas.
    let frontends: [String]
    let backends: [String]
    let frontend: String
    let backend: String
    /// The broker's outcome-stream endpoints: publishers connect to `streamIn`, subscribers to `streamOut`.
    let streamIn: String
    let streamOut: String
    let logDirectory: URL
    private(set) var brokers: [Process?]
    var broker: Process? { brokers[0] }
    private(set) var workers: [Process] = []
    private let brokerArguments: [String]
    /// Fast heartbeats so lost workers are noticed within a test's patience; liveness 5 (0.5 s)
    /// so a process starved of CPU while tests run in parallel is not taken for dead.
    static let heartbeat = ["--heartbeat-ms", "100", "--heartbeat-liveness", "5"]

    /// Starts `brokers` brokers (each service registers with all of them).
    init(brokerArguments: [String] = [], brokers: Int = 1) throws {
        context = try ZMQContext()
        let context = context
        func endpoints() throws -> [String] { try (0..<brokers).map { _ in "tcp://127.0.0.1:\(try freePort(context))" } }
        frontends = try endpoints()
        backends = try endpoints()
        streamIns = try endpoints()
        streamOuts = try endpoints()
        frontend = frontends.joined(separator: ",")
        backend = backends.joined(separator: ",")
        streamIn = streamIns.joined(separator: ",")
        streamOut = streamOuts.joined(separator: ",")
        self.brokers = Array(repeating: nil, count: brokers)
        logDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("offerloop-it-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
        self.brokerArguments = brokerArguments
        for index in 0..<brokers { try startBroker(index) }
    }

    private let streamIns: [String]
    private let streamOuts: [String]

    func startBroker(_ index: Int = 0) throws {
        brokers[index] = try launch("offerloop-broker", ["--frontend", frontends[index], "--backend", backends[index], "--stream-in", streamIns[index],
                                                         "--stream-out", streamOuts[index]] + Self.heartbeat + brokerArguments, log: index == 0 ? "broker" : "broker-\(index + 1)")
    }

    @discardableResult
    func startWorker(_ binary: String = "offerloop-echo", threads: Int = 1, capacity: Int = 4, arguments: [String] = [],
                     environment: [String: String] = [:]) throws -> Process {
        let process = try launch(binary, ["--backend", backend, "--threads", "\(threads)", "--capacity", "\(capacity)", "--reconnect-max-ms", "200"] + Self.heartbeat + arguments,
                                 log: "worker-\(workers.count)", environment: environment)
        workers.append(process)
        return process
    }

    /// Stops `process` with the cluster (a process started with `launch` that is not a worker).
    func adopt(_ process: Process) { workers.append(process) }

    /// `environment`: variables added to the test's own.
    func launch(_ binary: String, _ arguments: [String], log: String, environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = binDirectory.appendingPathComponent(binary)
        guard FileManager.default.isExecutableFile(atPath: process.executableURL!.path) else {
            throw ServiceError(.internal, "\(process.executableURL!.path) is not built: run `swift build` first (or set OFFERLOOP_BIN_DIR)")
        }
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let logFile = logDirectory.appendingPathComponent("\(log).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: logFile)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }

    func client() throws -> BrokerClient {
        try BrokerClient(context: context, endpoint: frontend)
    }

    /// Waits until every broker reports `count` live workers of `service`.
    func waitForWorkers(_ count: Int, of service: String = "echo", within seconds: Double = 30) throws {
        let end = Date().addingTimeInterval(seconds)
        for frontend in frontends {
            let client = try BrokerClient(context: context, endpoint: frontend)
            defer { client.close() }
            var seen = -1
            while seen != count {
                guard Date() < end else {
                    throw ServiceError(.deadlineExceeded, "broker at \(frontend) saw \(seen) workers of '\(service)', not \(count), within \(seconds) s; logs in \(logDirectory.path):\n\(logTails())")
                }
                if let reply: ServicesReply = try? client.call("broker", "services", ServicesRequest(), timeoutMicros: 200_000) {
                    seen = Int(reply.services.first { $0.name == service }?.workers ?? 0)
                }
                if seen != count { Thread.sleep(forTimeInterval: 0.05) }
            }
        }
    }

    /// The last lines of every process's log, for a failure message (CI keeps only the output).
    func logTails(lines: Int = 8) -> String {
        let logs = (try? FileManager.default.contentsOfDirectory(atPath: logDirectory.path).filter { $0.hasSuffix(".log") }.sorted()) ?? []
        return logs.map { name in
            let text = (try? String(contentsOf: logDirectory.appendingPathComponent(name), encoding: .utf8)) ?? ""
            return "--- \(name)\n" + text.split(separator: "\n").suffix(lines).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// Sends `signal`; a SIGSTOP returns once every thread of the process has stopped. (The
    /// kernel stops the other threads only when the one that takes the signal next runs: on a
    /// busy machine a worker thread can serve a request after kill() returned.)
    func signal(_ process: Process, _ signal: Int32) {
        kill(process.processIdentifier, signal)
        guard signal == SIGSTOP else { return }
        let tasks = "/proc/\(process.processIdentifier)/task"
        let end = Date().addingTimeInterval(10)
        while Date() < end {
            let threads = (try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? []
            let stopped = threads.allSatisfy { thread in
                // The state follows the command name in parentheses: "1234 (name) T ...".
                guard let stat = try? String(contentsOfFile: "\(tasks)/\(thread)/stat", encoding: .utf8),
                      let close = stat.lastIndex(of: ")") else { return true }
                return "Tt".contains(stat[stat.index(close, offsetBy: 2)])
            }
            if !threads.isEmpty && stopped { return }
            Thread.sleep(forTimeInterval: 0.001)
        }
    }

    /// SIGTERM everything and wait; returns the exit statuses (broker last).
    @discardableResult
    func stop() -> [Int32] {
        var statuses: [Int32] = []
        for process in workers + brokers.compactMap({ $0 }) where process.isRunning {
            process.terminate()
            process.waitUntilExit()
            statuses.append(process.terminationStatus)
        }
        return statuses
    }

    deinit {
        for process in workers + brokers.compactMap({ $0 }) where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

func echo(_ data: String, delayMs: UInt32 = 0, timeoutMicros: UInt64 = 2_000_000, idempotent: Bool = true) -> BrokerClient.Call {
    BrokerClient.Call(service: "echo", method: "echo", payload: EchoRequest.with { $0.data = Data(data.utf8); $0.delayMs = delayMs }.wireBytes(),
                      timeoutMicros: timeoutMicros, idempotent: idempotent)
}
