// A blocking socket loop run on its own thread as a swift-service-lifecycle Service:
// graceful shutdown raises its stop signal, and run() returns once the loop has closed its socket.
import Foundation
import ServiceLifecycle

public struct ThreadService: Service {
    public let name: String
    private let body: @Sendable (StopSignal) -> Void

    public init(name: String, body: @escaping @Sendable (StopSignal) -> Void) {
        self.name = name
        self.body = body
    }

    public func run() async throws {
        let stop = StopSignal()
        await withGracefulShutdownHandler {
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                let thread = Thread { [body] in
                    body(stop)
                    done.resume()
                }
                thread.name = name
                thread.start()
            }
        } onGracefulShutdown: {
            stop.raise()
        }
    }
}
