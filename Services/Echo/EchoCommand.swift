// offerloop-echo: a diagnostic service that returns what it is sent, optionally after a delay.
// The benchmarks use it to measure the broker's own cost; the tests use its delay to hold
// requests in flight while a worker is killed.
import ArgumentParser
import Foundation
import ProcessShell
import Transport
import Wire
import ZeroMQ

@main
struct EchoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "offerloop-echo",
        abstract: "Answers 'echo' requests with their own data (diagnostics and benchmarks).")

    @OptionGroup var options: WorkerOptions

    @Option(help: "Longest delay_ms a request may ask for (env OFFERLOOP_ECHO_MAX_DELAY_MS).")
    var maxDelayMs: Int = Environment.int("OFFERLOOP_ECHO_MAX_DELAY_MS", 10_000)

    func run() async throws {
        let logger = options.logging.bootstrap(service: "echo")
        try await ServiceRunner.run(service: "echo", methods: Self.methods(maxDelayMs: UInt32(clamping: maxDelayMs)), options: options,
                                    logger: logger, context: try ZMQContext())
    }

    /// "echo": the request's data back, with the worker that answered, after `delay_ms` if asked.
    static func methods(maxDelayMs maxDelay: UInt32) -> Methods {
        var methods = Methods()
        methods.on("echo") { (request: EchoRequest, context) throws -> EchoReply in
            guard request.delayMs <= maxDelay else {
                throw ServiceError(.invalidArgument, "delay_ms \(request.delayMs) is over the limit of \(maxDelay)")
            }
            if request.delayMs > 0 { usleep(request.delayMs * 1000) }
            return EchoReply.with {
                $0.data = request.data
                $0.worker = context.worker
            }
        }
        return methods
    }
}
