// Deletes channel events past their retention, expired sessions and profile-stream changes past
// theirs, hourly, on its own connection; customers who lost events get a change on the stream.
// Every replica runs it; the deletes are idempotent.
import Foundation
import Logging
import ProfileStore
import Store
import Transport

struct RetentionLoop {
    let location: StoreLocation
    let settings: ProfileService.Settings
    let environment: ServiceEnvironment
    let publisher: EventPublisherFactory
    let logger: Logger
    static let interval: UInt64 = 3_600_000_000_000

    func run(until stop: StopSignal) throws {
        let db = try location.open()
        defer { db.close() }
        let repository = try ProfileRepository(db: db, newCustomerID: ProfileService.newCustomerID(environment))
        let changes = try publisher()
        defer { changes.close() }
        repeat {
            let now = environment.wallMs()
            do {
                let deleted = try repository.applyRetention(eventsOlderThanMs: now - settings.eventRetentionMs,
                                                            changesOlderThanMs: now - settings.changeRetentionMs, now: now)
                repository.publish(to: changes, wallUs: environment.wallUs, logger: logger)
                if deleted > 0 { logger.info("retention applied", metadata: ["rows_deleted": "\(deleted)"]) }
            } catch {
                logger.error("retention failed", metadata: ["error": "\(error)"])
            }
        } while !stop.sleep(nanoseconds: Self.interval)
    }
}
