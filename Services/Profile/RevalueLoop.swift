// Keeps the replica states' value figures current: after midnight (UTC) and after a refit of the
// value model, every customer's state is valued again and published on the profile stream, a
// few customers per transaction (the store's write lock is held for milliseconds at a time). The
// profile replicas share one pass through a cursor in the store. A background thread
// (BackgroundPriority): the views and writes take the cores first.
import Foundation
import Logging
import ProcessShell
import ProfileStore
import Store
import Transport

struct RevalueLoop {
    let location: StoreLocation
    let environment: ServiceEnvironment
    let publisher: EventPublisherFactory
    let logger: Logger
    /// Customers per transaction, and the pause between two while a pass runs (ns).
    static let batch = 20
    static let pause: UInt64 = 2_000_000
    /// How often an idle loop looks for a new day or a new model (ns).
    static let idle: UInt64 = 1_000_000_000

    func run(until stop: StopSignal) throws {
        BackgroundPriority.enterOnCallingThread()
        let repository = try location.open().handedTo { try ProfileRepository(db: $0, newCustomerID: ProfileService.newCustomerID(environment)) }
        defer { repository.db.close() }
        let changes = try publisher()
        defer { changes.close() }
        var revalued = 0
        repeat {
            do {
                let step = try Self.step(repository, publisher: changes, now: environment.wallMs(), wallUs: environment.wallUs, logger: logger)
                revalued += step.revalued
                if step.done, revalued > 0 {
                    logger.info("customers revalued", metadata: ["customers": "\(revalued)"])
                    revalued = 0
                }
                if !step.done, stop.sleep(nanoseconds: Self.pause) { break }
                if step.done, stop.sleep(nanoseconds: Self.idle) { break }
            } catch {
                logger.error("revaluing failed; will retry", metadata: ["error": "\(error)"])
                if stop.sleep(nanoseconds: Self.idle) { break }
            }
        } while !stop.isRaised
    }

    /// One batch of the pass, its changes published.
    static func step(_ repository: ProfileRepository, publisher: any EventPublisher, now: Int64, wallUs: () -> Int64, logger: Logger) throws -> (revalued: Int, done: Bool) {
        let step = try repository.revalueNext(limit: batch, now: now)
        repository.publish(to: publisher, wallUs: wallUs, logger: logger)
        return step
    }
}
