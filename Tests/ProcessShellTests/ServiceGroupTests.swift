// The process shell's lifecycle in process: a blocking loop on its own thread stops when shut
// down or cancelled, and a loop that fails shuts the others down in order and is rethrown.
import Foundation
import Logging
import Synchronization
import Testing
import Wire
@testable import ProcessShell
import Transport

@Suite struct ServiceGroupTests {
    /// A loop that sleeps until its stop signal, then notes that it stopped.
    static func loop(_ name: String, stopped: Stops) -> ThreadService {
        ThreadService(name: name) { stop in
            while !stop.sleep(nanoseconds: 10_000_000) {}
            stopped.record(name)
        }
    }

    /// Waits for `task` while it keeps looking 3,000 times, 10 ms apart: a hang guard, not a
    /// timing check (the loops run on threads a hung group would never let go, so the guard
    /// cannot just cancel). It counts its looks, not the clock: while other tests block the
    /// few threads of the concurrency pool, the group and the guard wait alike.
    static func finished<T: Sendable>(_ task: Task<T, any Error>) async -> Result<T, any Error>? {
        let result = Mutex<Result<T, any Error>?>(nil)
        Task { let value = await task.result; result.withLock { $0 = value } }
        for _ in 0..<3_000 {
            if let value = result.withLock({ $0 }) { return value }
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        return nil
    }

    @Test func aFailingLoopShutsTheOthersDownAndItsErrorComesOut() async throws {
        let stopped = Stops()
        let failing = ThreadService(name: "failing") { _ in throw ServiceError(.unavailable, "the port is taken") }
        let group = Task {
            try await ServiceRunner.runGroup([Self.loop("first", stopped: stopped), Self.loop("second", stopped: stopped), failing],
                                             logger: Logger(label: "test"), onSignals: false)
        }
        let result = try #require(await Self.finished(group), "the group did not stop after a loop failed")
        #expect(throws: ServiceError(.unavailable, "the port is taken")) { try result.get() }
        #expect(stopped.entries == ["second", "first"], "shut down in reverse order")
    }

    @Test func aCancelledLoopStops() async throws {
        let stopped = Stops()
        let service = Self.loop("loop", stopped: stopped)
        let task = Task { try await service.run() }
        try await Task.sleep(nanoseconds: 50_000_000)
        task.cancel()
        _ = try #require(await Self.finished(task), "a cancelled loop kept running")
        #expect(stopped.entries == ["loop"])
    }
}

/// The loops that saw their stop signal, in the order they stopped.
final class Stops: Sendable {
    let log = Mutex<[String]>([])
    func record(_ name: String) { log.withLock { $0.append(name) } }
    var entries: [String] { log.withLock { $0 } }
}
