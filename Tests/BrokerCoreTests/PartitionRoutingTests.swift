// The broker's routing for a partitioned service (decision replicas holding K of N customers):
// a routing key reaches a worker of its partition, no key reaches any worker, and a partition
// without workers is treated as a service without workers.
import Testing
import Wire
@testable import BrokerCore

@Suite struct PartitionRoutingTests {
    static let half0 = try! KeyPartition(index: 0, count: 2)
    static let half1 = try! KeyPartition(index: 1, count: 2)
    /// Customer ids of each half.
    static let keys0 = (0..<400).map { "c\($0)" }.filter { KeyPartition.of($0.utf8, count: 2) == 0 }
    static let keys1 = (0..<400).map { "c\($0)" }.filter { KeyPartition.of($0.utf8, count: 2) == 1 }

    @Test func aKeyGoesToAWorkerOfItsPartitionTheLeastLoaded() {
        var h = Harness()
        _ = h.ready("p0a", service: "decision", capacity: 100, partition: Self.half0)
        _ = h.ready("p0b", service: "decision", capacity: 100, partition: Self.half0)
        _ = h.ready("p1", service: "decision", capacity: 100, partition: Self.half1)
        var seen: [String: Set<String>] = [:]
        for key in Self.keys0.prefix(40) + Self.keys1.prefix(40) {
            for worker in dispatchedTo(h.request(service: "decision", key: key)) { seen[key, default: []].insert(worker) }
        }
        #expect(seen.count == 80)
        #expect(Self.keys0.prefix(40).allSatisfy { seen[$0]!.isSubset(of: ["p0a", "p0b"]) })
        #expect(Self.keys1.prefix(40).allSatisfy { seen[$0] == ["p1"] })
        // Not one worker per key (rendezvous) but the least loaded of the partition: both share it.
        let of0 = Self.keys0.prefix(40).flatMap { seen[$0]! }
        #expect(of0.filter { $0 == "p0a" }.count == 20 && of0.filter { $0 == "p0b" }.count == 20, "\(of0)")
    }

    @Test func withoutAKeyAnyWorkerAsBefore() {
        var h = Harness()
        _ = h.ready("p0", service: "decision", capacity: 10, partition: Self.half0)
        _ = h.ready("p1", service: "decision", capacity: 10, partition: Self.half1)
        let workers = (0..<4).flatMap { _ in dispatchedTo(h.request(service: "decision")) }
        #expect(Set(workers) == ["p0", "p1"], "\(workers)")
    }

    /// Keyed requests between them (forwards to a partition) do not send the rotation of the
    /// unkeyed ones back to the first worker.
    @Test func keyedRequestsDoNotResetTheRotationOfUnkeyedOnes() {
        var h = Harness()
        _ = h.ready("p0", service: "decision", capacity: 100, partition: Self.half0)
        _ = h.ready("p1", service: "decision", capacity: 100, partition: Self.half1)
        var unkeyed: [String] = []
        for index in 0..<6 {
            let id = UInt64(10 * index)
            let worker = dispatchedTo(h.request(service: "decision", id: id))
            unkeyed += worker
            for name in worker { _ = h.reply(from: name, id: id) }
            #expect(dispatchedTo(h.request(service: "decision", id: id + 1, key: Self.keys1[index])) == ["p1"])
            _ = h.reply(from: "p1", id: id + 1)
        }
        #expect(unkeyed == ["p0", "p1", "p0", "p1", "p0", "p1"])
    }

    @Test func aWorkerWithoutAPartitionHoldsEveryKey() {
        var h = Harness()
        _ = h.ready("p0", service: "decision", capacity: 10, partition: Self.half0)
        _ = h.ready("all", service: "decision", capacity: 10)
        let workers = Self.keys1.prefix(5).flatMap { dispatchedTo(h.request(service: "decision", key: $0)) }
        #expect(workers == Array(repeating: "all", count: 5))
    }

    @Test func aMissingPartitionIsRefusedAsAServiceWithoutWorkers() {
        var h = Harness()
        _ = h.ready("p0", service: "decision", capacity: 10, partition: Self.half0)
        let actions = h.request(service: "decision", key: Self.keys1[0])
        #expect(errors(actions) == [.noWorkers])
        if case .answer(_, _, let error) = actions.first {
            #expect(error.message == "service 'decision' has no live worker of partition 1/2, the request's routing key's")
        }
        #expect(dispatchedTo(h.request(service: "decision", key: Self.keys0[0])) == ["p0"])
    }

    /// During the broker's start-up grace a request for a partition not registered yet waits for
    /// it — without holding up the other partition's requests queued behind it — and is answered
    /// NO_WORKERS once the grace is over.
    @Test func duringTheGraceAMissingPartitionWaitsAndHoldsNobodyUp() {
        var h = Harness()
        h.table = RoutingTable(settings: .init(heartbeatInterval: second, heartbeatLiveness: 3, maxQueuePerService: 10, startupGrace: 3 * second), now: h.now)
        _ = h.ready("p0", service: "decision", capacity: 1, partition: Self.half0)
        #expect(dispatchedTo(h.request(service: "decision", id: 1, key: Self.keys0[0])) == ["p0"])
        #expect(h.request(service: "decision", id: 2, key: Self.keys1[0]).isEmpty, "partition 1 not here yet: it waits")
        #expect(h.request(service: "decision", id: 3, key: Self.keys0[1]).isEmpty, "p0 is full: it waits")
        #expect(dispatchedTo(h.reply(from: "p0", id: 1)) == ["p0"], "request 3 goes on, past request 2")
        #expect(dispatchedTo(h.ready("p1", service: "decision", capacity: 1, partition: Self.half1)) == ["p1"], "request 2 meets its partition")

        _ = h.request(service: "decision", id: 4, key: Self.keys1[1])
        _ = h.request(service: "decision", id: 5, key: Self.keys1[2])  // p1 is full: both wait
        h.now += second
        #expect(errors(h.tick()).isEmpty)
        var actions: [BrokerAction] = []
        h.table.handle(.disconnect, from: WorkerID(Array("p1".utf8)), now: h.now, into: &actions)
        #expect(errors(actions) == [.unavailable], "request 2, which p1 held")
        h.now += 3 * second
        #expect(errors(h.tick()) == [.noWorkers, .noWorkers], "requests 4 and 5: partition 1 is gone and the grace is over (p0 is full)")
    }

    @Test func aRetryAvoidsTheFirstWorkerWithinThePartition() {
        var h = Harness()
        _ = h.ready("p0a", service: "decision", capacity: 4, partition: Self.half0)
        _ = h.ready("p0b", service: "decision", capacity: 4, partition: Self.half0)
        _ = h.ready("p1", service: "decision", capacity: 4, partition: Self.half1)
        let first = dispatchedTo(h.request(service: "decision", id: 7, key: Self.keys0[0]))
        let retry = dispatchedTo(h.request(service: "decision", id: 7, key: Self.keys0[0], attempt: 2))
        #expect(first.count == 1 && retry.count == 1 && first != retry && Set(first + retry) == ["p0a", "p0b"])
    }
}
