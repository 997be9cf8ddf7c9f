// The profile stream's live path: each thread that writes (a worker, the contact history, the
// retention loop) publishes its writes' changes after the commit on a socket of its own, and one
// thread per process publishes the heartbeat that carries the stream's head.
import Foundation
import Logging
import ProfileStore
import Store
import Transport
import Wire
import ZeroMQ


/// Makes a thread's publisher, on that thread (a ZeroMQ socket stays on the thread that made it).
typealias EventPublisherFactory = @Sendable () throws -> any EventPublisher

extension ProfileRepository {
    /// Publishes the changes the last write appended (it has committed). A failed send is logged,
    /// not thrown: the write stands, and followers replay what they miss from the store.
    /// Each carries `published_unix_us` from `wallUs`: appended to the stored bytes as a second
    /// message, which a protobuf parser merges into the first (no re-encoding of the state).
    func publish(to publisher: any EventPublisher, wallUs: () -> Int64, logger: Logger) {
        for change in takeAppended() {
            do {
                let stamp: [UInt8] = try ProfileChange.with { $0.publishedUnixUs = wallUs() }.serializedBytes()
                try publisher.publish(change.bytes + stamp)
            } catch {
                logger.warning("profile change not published; followers will replay it", metadata: ["sequence": "\(change.sequence)", "error": "\(error)"])
                return
            }
        }
    }
}

/// Publishes the stream's head every `intervalMs` (a ProfileChange with `heartbeat`), so a follower
/// knows how far behind it is even when no change comes, and fetches what the relay dropped.
struct ProfileHeartbeat {
    let location: StoreLocation
    let publisher: EventPublisherFactory
    let intervalMs: Int
    let environment: ServiceEnvironment
    let logger: Logger

    func run(until stop: StopSignal) throws {
        let repository = try location.open().handedTo { try ProfileRepository(db: $0, newCustomerID: ProfileService.newCustomerID(environment)) }
        defer { repository.db.close() }
        let heartbeats = try publisher()
        defer { heartbeats.close() }
        var failing = false
        repeat {
            do {
                try beat(repository, heartbeats)
                failing = false
            } catch {
                // Once per outage, not every 10 ms.
                if !failing { logger.warning("profile stream heartbeat failed; retrying", metadata: ["error": "\(error)"]) }
                failing = true
            }
        } while !stop.sleep(nanoseconds: UInt64(intervalMs) * 1_000_000)
    }

    func beat(_ repository: ProfileRepository, _ publisher: any EventPublisher) throws {
        let head = try repository.streamHead()
        try publisher.publish(ProfileChange.with {
            $0.heartbeat = true
            $0.sequence = head
            $0.timeUnixMs = environment.wallMs()
        }.serializedBytes())
    }
}
