// `offerloop echo`: sends echo requests through the broker, several in flight, and shows
// which worker answered each: the quickest way to see load balancing across replicas.
import ArgumentParser
import Foundation
import ProcessShell
import Transport
import Wire

struct EchoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo", abstract: "Send echo requests through the broker and show which worker answered each.")

    @Argument(help: "Text to echo.")
    var text: String = "hello"

    @Option(name: .shortAndLong, help: "How many requests.")
    var count: Int = 12

    @Option(help: "Requests in flight at once.")
    var inFlight: Int = 4

    @Option(help: "How long each worker takes per request, in ms.")
    var delayMs: UInt32 = 0

    @Option(help: "Deadline per request in ms.")
    var timeoutMs: UInt64 = 2000

    @OptionGroup var client: ClientOptions

    func run() throws {
        let broker = try client.connect()
        defer { broker.close() }
        let request = EchoRequest.with { $0.data = Data(text.utf8); $0.delayMs = delayMs }
        let call = BrokerClient.Call(service: "echo", method: "echo", payload: request.wireBytes(), timeoutMicros: timeoutMs * 1000, idempotent: true)
        var sent = 0, failures = 0
        var servedBy: [String: Int] = [:]
        while sent < min(inFlight, count) { _ = try broker.send(call); sent += 1 }
        while let (id, result) = try broker.receive() {
            do {
                let reply = try EchoReply(wireBytes: try result.get())
                servedBy[reply.worker, default: 0] += 1
                print("#\(id) \(String(decoding: reply.data, as: UTF8.self)) ← \(reply.worker)")
            } catch {
                failures += 1
                printError("#\(id) \(error)")
            }
            if sent < count { _ = try broker.send(call); sent += 1 }
        }
        print("\(count - failures) answered, \(failures) failed; per worker:")
        for (worker, n) in servedBy.sorted(by: { $0.key < $1.key }) { print("  \(worker): \(n)") }
        if failures > 0 { throw ExitCode(1) }
    }
}
