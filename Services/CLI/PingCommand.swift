// `offerloop ping <service>`: is the service answering, which worker, and how fast.
import ArgumentParser
import Foundation
import ProcessShell
import Transport
import Wire
import ZeroMQ

struct PingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ping", abstract: "Ping a service (or 'broker') and print who answered and the round trip.")

    @Argument(help: "Service to ping: broker, echo, profile, scoring, decision, feedback.")
    var service: String

    @Option(name: .shortAndLong, help: "How many pings.")
    var count: Int = 1

    @Option(help: "Deadline per ping in ms.")
    var timeoutMs: Int = 1000

    @OptionGroup var client: ClientOptions

    func run() throws {
        let broker = try client.connect()
        defer { broker.close() }
        var failures = 0
        for _ in 0..<max(count, 1) {
            let start = MonotonicClock.now()
            do {
                let pong: PingReply = try broker.call(service, "ping", PingRequest(), timeoutMicros: UInt64(timeoutMs) * 1000, idempotent: true)
                let micros = (MonotonicClock.now() - start) / 1000
                let who = pong.worker.isEmpty ? pong.service : pong.worker
                print("pong from \(who) (pid \(pong.pid), up \(pong.uptimeMs / 1000) s, \(pong.requestsServed) served) in \(micros) µs")
            } catch {
                failures += 1
                printError("\(service): \(error)")
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }
}

struct ServicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "services", abstract: "List the services each broker knows, with workers, load and queues.")

    @OptionGroup var client: ClientOptions

    @Option(help: "Deadline in ms.")
    var timeoutMs: Int = 1000

    func run() throws {
        let context = try ZMQContext()
        let endpoints = BrokerSockets.endpoints(client.frontend)
        var failures = 0
        for endpoint in endpoints {
            if endpoints.count > 1 { print("broker at \(endpoint):") }
            let broker = try BrokerClient(context: context, endpoint: endpoint)
            defer { broker.close() }
            do {
                let reply: ServicesReply = try broker.call("broker", "services", ServicesRequest(), timeoutMicros: UInt64(timeoutMs) * 1000, idempotent: true)
                print("service       workers  capacity  in-flight  queued  dispatched")
                for s in reply.services {
                    print(s.name.padding(toLength: 12, withPad: " ", startingAt: 0),
                          String(s.workers).leftPadded(8), String(s.capacity).leftPadded(9), String(s.inFlight).leftPadded(10),
                          String(s.queued).leftPadded(7), String(s.dispatched).leftPadded(11))
                }
            } catch {
                printError("broker at \(endpoint): \(error)")
                failures += 1
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
