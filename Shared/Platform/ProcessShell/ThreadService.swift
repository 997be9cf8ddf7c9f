// A blocking socket loop run on its own thread as a swift-service-lifecycle Service:
// graceful shutdown raises its stop signal, and run() returns once the loop has closed its socket.
// A loop that throws ends run() with its error: the service group then shuts the others down in
// order and rethrows it (ServiceRunner.runGroup), so the process exits non-zero.
import Foundation
import ServiceLifecycle
import Transport

public struct ThreadService: Service {
    public let name: String
    private let body: @Sendable (StopSignal) throws -> Void

    public init(name: String, body: @escaping @Sendable (StopSignal) throws -> Void) {
        self.name = name
        self.body = body
    }

    public func run() async throws {
        let stop = StopSignal()
        try await withGracefulShutdownHandler {
            // Cancelled (the group cancelled after a failure), the loop stops the same way.
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
                    let thread = Thread { [body, name] in
                        // Named from inside (as top -H and perf show it): Linux keeps 15 characters.
                        Thread.current.name = String(name.prefix(15))
                        done.resume(with: Result { try body(stop) })
                    }
                    thread.start()
                }
            } onCancel: {
                stop.raise()
            }
        } onGracefulShutdown: {
            stop.raise()
        }
    }
}
