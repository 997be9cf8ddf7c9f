// Fills and keeps the replica's customer views: the profile service's snapshot, page by page,
// then the profile stream from the first page's head on (the ZeroMQ guide's Clone pattern). The
// replica is ready — its workers register with the broker — once the stream's replay has reached
// the head; past `readyWaitNs` they register anyway and ask the profile service until it is.
import Foundation
import Logging
import Metrics
import Transport
import Wire
import ZeroMQ

struct ReplicaFollower: Sendable {
    let views: ReplicaViews
    let stream: StreamFollowerSettings
    let context: ZMQContext
    let logger: Logger
    /// Customers per snapshot page.
    var page: UInt32 = 2_000
    let readyWaitNs: UInt64
    /// Time between attempts while the profile service cannot give a snapshot.
    var retryNs: UInt64 = 1_000_000_000

    func run(until stop: StopSignal) throws {
        let started = MonotonicClock.now()
        let waitedLongEnough = {
            guard !views.startGate.isOpen, MonotonicClock.now() - started >= readyWaitNs else { return }
            logger.warning("the profile replica has not caught up yet; registering anyway, asking the profile service for views until it has")
            views.startGate.open()
        }
        let held = Gauge(label: "offerloop_replica_customers")
        let position = Gauge(label: "offerloop_replica_position")
        while true {
            guard try loadSnapshot(until: stop, waiting: waitedLongEnough) else { return }
            // The snapshot's pages, decoded and let go, leave free memory all through the heap,
            // between the replica's pages: given back to the system, it is not counted as resident.
            releaseFreeMemory()
            logger.info("profile snapshot loaded", metadata: ["customers": "\(views.held)", "sequence": "\(views.position)",
                                                              "seconds": "\(Double(MonotonicClock.now() - started) / 1e9)"])
            do {
                try follow(started: started, held: held, position: position, waitedLongEnough: waitedLongEnough, until: stop)
                return
            } catch let error as ServiceError where error.code == .outOfRange {
                // So far behind that the stream no longer keeps what comes next: start over from a
                // snapshot (a fresh one: a customer erased meanwhile must not stay in memory).
                logger.warning("the profile stream no longer keeps what this replica needs; loading a snapshot again", metadata: ["error": "\(error)"])
                views.reset()
            }
        }
    }

    /// `held` and `position`: the customers held and the last sequence applied (snapshot and
    /// stream), recorded every round.
    func follow(started: UInt64, held: Gauge, position: Gauge, waitedLongEnough: @escaping () -> Void, until stop: StopSignal) throws {
        try StreamFollower(following: .profile, settings: stream, context: context, logger: logger)
            .run(ReplicaConsumer(views: views), until: stop, caughtUp: {
                views.markReady()
                let seconds = Double(MonotonicClock.now() - started) / 1e9
                Gauge(label: "offerloop_replica_ready_seconds").record(seconds)
                let footprint = views.footprint
                logger.notice("profile replica ready", metadata: ["customers": "\(views.held)", "sequence": "\(views.position)", "seconds": "\(seconds)",
                                                                  "arena_bytes": "\(footprint.arena)", "arena_live_bytes": "\(footprint.live)",
                                                                  "index_bytes": "\(footprint.index)"])
            }, tick: {
                held.record(Int64(views.held))
                position.record(Int64(views.position))
                waitedLongEnough()
            })
    }

    /// Reads every page of the snapshot; false when stopped first. A page that fails is asked again.
    func loadSnapshot(until stop: StopSignal, waiting: () -> Void) throws -> Bool {
        let client = try BrokerClient(context: context, endpoint: stream.frontend)
        defer { client.close() }
        var after = ""
        var first = true
        while !stop.isRaised {
            do {
                let reply: ProfileSnapshotReply = try client.call("profile", "snapshot", ProfileSnapshotRequest.with {
                    $0.afterCustomerID = after
                    $0.maxCustomers = page
                }, timeoutMicros: 10_000_000, idempotent: true)
                views.load(reply, first: first)
                first = false
                if reply.done { return true }
                after = reply.customers.last?.customerID ?? after
            } catch {
                logger.warning("cannot read the profile snapshot; will retry", metadata: ["error": "\(error)", "after": "\(after)"])
                _ = stop.sleep(nanoseconds: retryNs)
            }
            waiting()
        }
        return false
    }
}

#if canImport(Glibc)
/// glibc's malloc_trim, which Swift's Glibc module does not declare: returns the free memory of
/// every part of the heap to the system (not only the top).
@_silgen_name("malloc_trim") private func mallocTrim(_ pad: Int) -> Int32
func releaseFreeMemory() { _ = mallocTrim(0) }
#else
func releaseFreeMemory() {}
#endif
