// The broker's decisions, driven with exact times: balancing, queues, overload, heartbeats,
// retries, affinity.
import Testing
import Wire
@testable import BrokerCore

let second: UInt64 = 1_000_000_000

struct Harness {
    var table = RoutingTable(settings: .init(heartbeatInterval: second, heartbeatLiveness: 3, maxQueuePerService: 2))
    var now: UInt64 = 100 * second
    var nextID: UInt64 = 1

    mutating func ready(_ name: String, service: String = "echo", capacity: UInt32 = 1, partition: KeyPartition? = nil) -> [BrokerAction] {
        var actions: [BrokerAction] = []
        table.handle(.ready(service: service, capacity: capacity, partition: partition), from: WorkerID(Array(name.utf8)), now: now, into: &actions)
        return actions
    }

    mutating func request(service: String = "echo", client: String = "c", id: UInt64? = nil, deadline: UInt64 = 5 * second,
                          key: String = "", attempt: UInt32 = 1, caller: String = "") -> [BrokerAction] {
        let requestID = id ?? nextID
        nextID += 1
        var actions: [BrokerAction] = []
        table.route(PendingRequest(client: Array(client.utf8), requestID: requestID, deadline: now + deadline, envelope: [1],
                                   routingKey: Array(key.utf8), attempt: attempt, caller: Array(caller.utf8)), to: service, now: now, into: &actions)
        return actions
    }

    mutating func reply(from worker: String, client: String = "c", id: UInt64) -> [BrokerAction] {
        var actions: [BrokerAction] = []
        table.handle(.reply(client: Array(client.utf8), requestID: id, reply: []), from: WorkerID(Array(worker.utf8)), now: now, into: &actions)
        return actions
    }

    mutating func tick() -> [BrokerAction] {
        var actions: [BrokerAction] = []
        table.tick(now: now, into: &actions)
        return actions
    }
}

/// The worker each dispatched request went to.
func dispatchedTo(_ actions: [BrokerAction]) -> [String] {
    actions.compactMap {
        if case .toWorker(let id, .request) = $0 { return String(decoding: id.bytes, as: UTF8.self) }
        return nil
    }
}

func errors(_ actions: [BrokerAction]) -> [ErrorCode] {
    actions.compactMap {
        if case .answer(_, _, let error) = $0 { return error.code }
        return nil
    }
}

@Suite struct RoutingTableTests {
    @Test func unknownServiceIsRefusedAtOnce() {
        var h = Harness()
        let actions = h.request(service: "nobody")
        #expect(errors(actions) == [.noWorkers])
        if case .answer(_, _, let error) = actions[0] { #expect(error.message == "service 'nobody' has no live workers") }
    }

    /// A restarted broker knows no workers yet: for its start-up grace a request waits for
    /// them, and is sent on when one registers; after the grace, NO_WORKERS as ever.
    @Test func justAfterAStartRequestsWaitForWorkersToRegister() {
        var h = Harness()
        h.table = RoutingTable(settings: .init(heartbeatInterval: second, heartbeatLiveness: 3, maxQueuePerService: 2, startupGrace: 3 * second), now: h.now)
        #expect(h.request(id: 1).isEmpty, "it waits")
        h.now += second / 2
        #expect(errors(h.tick()).isEmpty)
        #expect(dispatchedTo(h.ready("a")) == ["a"], "the worker that registers gets it")
        #expect(h.request(service: "nobody", id: 2).isEmpty)
        h.now += 3 * second
        #expect(errors(h.tick()) == [.noWorkers], "nobody came for 'nobody' within the grace")
        #expect(h.table.status().map(\.name) == ["echo"], "and the broker does not list it")
        #expect(errors(h.request(service: "nobody", id: 3)) == [.noWorkers], "and from now on it is refused at once")
    }

    @Test func requestsSpreadOverWorkersByFreeCapacity() {
        var h = Harness()
        _ = h.ready("a", capacity: 2)
        _ = h.ready("b", capacity: 2)
        _ = h.ready("c", capacity: 2)
        var sent: [String] = []
        for _ in 0..<6 { sent += dispatchedTo(h.request()) }
        #expect(sent.sorted() == ["a", "a", "b", "b", "c", "c"])
        // Every worker is full now: the next waits in the queue until a reply frees one.
        #expect(h.request().isEmpty)
        #expect(dispatchedTo(h.reply(from: "b", id: 2)) == ["b"])
    }

    @Test func sequentialRequestsRotateOverIdleWorkers() {
        var h = Harness()
        for name in ["a", "b", "c"] { _ = h.ready(name, capacity: 4) }
        var counts: [String: Int] = [:]
        for _ in 0..<30 {
            let id = h.nextID
            let worker = dispatchedTo(h.request())[0]
            counts[worker, default: 0] += 1
            _ = h.reply(from: worker, id: id)
        }
        #expect(counts == ["a": 10, "b": 10, "c": 10])
    }

    @Test func fullQueueAnswersOverloaded() {
        var h = Harness()
        _ = h.ready("a")
        #expect(dispatchedTo(h.request()) == ["a"])
        #expect(h.request().isEmpty)
        #expect(h.request().isEmpty)
        let refused = h.request()
        #expect(errors(refused) == [.overloaded])
        let status = h.table.status()[0]
        #expect(status.queued == 2 && status.inFlight == 1 && status.workers == 1)
    }

    @Test func queuedRequestsPastTheirDeadlineAreAnsweredOnTick() {
        var h = Harness()
        _ = h.ready("a")
        _ = h.request()
        _ = h.request(deadline: second / 2)
        h.now += second
        let actions = h.tick()
        #expect(errors(actions) == [.deadlineExceeded])
        #expect(h.table.status()[0].queued == 0)
    }

    @Test func aSilentWorkerIsDroppedAndItsRequestsAnsweredUnavailable() {
        var h = Harness()
        _ = h.ready("a")
        _ = h.ready("b")
        #expect(dispatchedTo(h.request(id: 1, deadline: second)) + dispatchedTo(h.request(id: 2, deadline: second)) == ["a", "b"])
        h.now += 2 * second
        var heartbeat: [BrokerAction] = []
        h.table.handle(.heartbeat, from: WorkerID(Array("b".utf8)), now: h.now, into: &heartbeat)
        #expect(heartbeat.isEmpty)
        h.now += 2 * second  // a: 4 s silent, 3 s past its request's deadline; b: 2 s
        let actions = h.tick()
        #expect(errors(actions) == [.unavailable])
        #expect(actions.contains(.left(WorkerID(Array("a".utf8)), service: "echo", reason: "missed 3 heartbeats")))
        #expect(h.table.status()[0].workers == 1)
        #expect(dispatchedTo(h.request()) == ["b"] || h.table.status()[0].queued == 1)
    }

    @Test func losingTheLastWorkerAnswersTheQueue() {
        var h = Harness()
        _ = h.ready("a")
        _ = h.request()
        _ = h.request()
        var actions: [BrokerAction] = []
        h.table.handle(.disconnect, from: WorkerID(Array("a".utf8)), now: h.now, into: &actions)
        #expect(errors(actions).sorted { $0.rawValue < $1.rawValue } == [.noWorkers, .unavailable])
    }

    @Test func aWorkerBusyWithARequestIsNotDroppedBeforeTheRequestIsDue() {
        var h = Harness()
        _ = h.ready("a")
        _ = dispatchedTo(h.request(id: 1, deadline: 10 * second))
        h.now += 5 * second  // silent for 5 s, but working on a request due in 5 s
        #expect(h.tick().contains { if case .left = $0 { true } else { false } } == false)
        #expect(h.table.status()[0].workers == 1)
        _ = h.reply(from: "a", id: 1)
        h.now += 3 * second
        #expect(errors(h.tick()).isEmpty)
        #expect(h.table.status()[0].workers == 0, "idle and silent for 3 intervals: dropped")
    }

    @Test func aLongRequestAnsweredLongAgoDoesNotKeepAFrozenWorker() {
        var h = Harness()
        _ = h.ready("a", capacity: 4)
        _ = dispatchedTo(h.request(id: 1, deadline: 600 * second))  // a value-model refit
        _ = dispatchedTo(h.request(id: 2, deadline: 2 * second))
        _ = h.reply(from: "a", id: 1)
        _ = dispatchedTo(h.request(id: 3, deadline: second))
        // Then it freezes, holding 2 and 3: silent once 2 is due and 3 intervals have passed.
        h.now += 4 * second
        #expect(h.table.status()[0].workers == 1)
        h.now += second + 1
        #expect(errors(h.tick()) == [.unavailable, .unavailable])
        #expect(h.table.status()[0].workers == 0)
    }

    @Test func aRetryAvoidsTheWorkerThatHadTheFirstAttempt() {
        var h = Harness()
        _ = h.ready("a", capacity: 4)
        _ = h.ready("b", capacity: 4)
        for id: UInt64 in 10..<16 {
            let first = dispatchedTo(h.request(id: id))
            let retry = dispatchedTo(h.request(id: id, attempt: 2))
            #expect(first.count == 1 && retry.count == 1 && retry != first, "request \(id)")
            for worker in first + retry { _ = h.reply(from: worker, id: id) }
        }
    }

    @Test func aRoutingKeyAlwaysMeetsTheSameWorkerAndKeysSpread() {
        var h = Harness()
        for name in ["a", "b", "c"] { _ = h.ready(name, capacity: 1000) }
        var byKey: [String: Set<String>] = [:]
        for customer in 0..<300 {
            for _ in 0..<3 {
                byKey["c\(customer)", default: []].formUnion(dispatchedTo(h.request(key: "c\(customer)")))
            }
        }
        #expect(byKey.values.allSatisfy { $0.count == 1 })
        let perWorker = Dictionary(grouping: byKey.values.map { $0.first! }, by: { $0 }).mapValues(\.count)
        #expect(perWorker.count == 3 && perWorker.values.allSatisfy { $0 > 60 }, "\(perWorker)")
    }

    @Test func unknownWorkersAreToldToReRegister() {
        var h = Harness()
        var actions: [BrokerAction] = []
        h.table.handle(.heartbeat, from: WorkerID([1]), now: h.now, into: &actions)
        #expect(actions == [.toWorker(WorkerID([1]), .disconnect)])
    }

    @Test func aSecondReadyStartsTheWorkerOver() {
        var h = Harness()
        _ = h.ready("a")
        let actions = h.ready("a")
        #expect(actions.contains(.toWorker(WorkerID(Array("a".utf8)), .disconnect)))
        #expect(h.table.status()[0].workers == 0)
    }

    @Test func tickHeartbeatsEveryWorker() {
        var h = Harness()
        _ = h.ready("a")
        _ = h.ready("b", service: "profile")
        let beats = h.tick().filter { if case .toWorker(_, .heartbeat) = $0 { true } else { false } }
        #expect(beats.count == 2)
    }

    @Test func theWorkerGetsWhatIsLeftOfTheDeadline() {
        var h = Harness()
        _ = h.ready("a")
        let actions = h.request(deadline: 50_000_000)
        guard case .toWorker(_, .request(_, _, let budget, _, _)) = actions.first else {
            Issue.record("not dispatched: \(actions)")
            return
        }
        #expect(budget == 50_000)
    }

    /// The worker learns who called (for records such as a merge's "by which key"), also when
    /// the request waited in the queue first.
    @Test func theCallerReachesTheWorker() {
        var h = Harness()
        _ = h.ready("a")
        func caller(_ actions: [BrokerAction]) -> String? {
            for case .toWorker(_, .request(_, _, _, _, let caller)) in actions { return String(decoding: caller, as: UTF8.self) }
            return nil
        }
        #expect(caller(h.request(id: 1, caller: "services/profile")) == "services/profile")
        #expect(h.request(id: 2, caller: "admin/ops").isEmpty, "queued: the worker is busy")
        #expect(caller(h.reply(from: "a", id: 1)) == "admin/ops")
        _ = h.reply(from: "a", id: 2)
        #expect(caller(h.request(id: 3)) == "", "plaintext: no caller")
    }
}
