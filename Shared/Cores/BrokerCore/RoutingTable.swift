// The broker's state and decisions, without I/O: which workers serve which service, how
// many requests each holds, what waits in each service's bounded queue, who missed heartbeats.
// The broker adapter feeds it events with the current monotonic time and carries out the
// actions it returns.
import Wire

public struct WorkerID: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public var description: String { String(decoding: bytes, as: UTF8.self) }
    // Hash the bytes in one go rather than element by element: this is on every request.
    public func hash(into hasher: inout Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }
}

/// A client's request as the broker holds it.
public struct PendingRequest: Sendable {
    public let client: [UInt8]
    public let requestID: UInt64
    /// Monotonic nanoseconds by which the client wants its answer.
    public let deadline: UInt64
    public let envelope: [UInt8]
    public let routingKey: [UInt8]
    public let attempt: UInt32
    /// The client key's user id ("ROLE/NAME") with CURVE on; empty without. Passed to the worker.
    public let caller: [UInt8]

    public init(client: [UInt8], requestID: UInt64, deadline: UInt64, envelope: [UInt8], routingKey: [UInt8] = [], attempt: UInt32 = 1,
                caller: [UInt8] = []) {
        self.client = client
        self.requestID = requestID
        self.deadline = deadline
        self.envelope = envelope
        self.routingKey = routingKey
        self.attempt = attempt
        self.caller = caller
    }
}

/// What the broker must do as a result of an event.
public enum BrokerAction: Equatable, Sendable {
    case toWorker(WorkerID, WorkerMessage)
    case answer(client: [UInt8], requestID: UInt64, ServiceError)
    /// For the operator's log: a worker registered or was dropped.
    case joined(WorkerID, service: String)
    case left(WorkerID, service: String, reason: String)
}

public struct RoutingTable: Sendable {
    public struct Settings: Sendable {
        /// Time between heartbeats, both ways, in nanoseconds.
        public var heartbeatInterval: UInt64
        /// A worker silent for this many intervals is dropped.
        public var heartbeatLiveness: UInt64
        /// Requests that may wait per service while every worker is at capacity.
        public var maxQueuePerService: Int
        /// How long after the table's start a request for a service without workers waits for
        /// one (ns): a restarted broker knows no workers until they reconnect and register.
        public var startupGrace: UInt64

        public init(heartbeatInterval: UInt64 = 1_000_000_000, heartbeatLiveness: UInt64 = 3, maxQueuePerService: Int = 1000, startupGrace: UInt64 = 0) {
            self.heartbeatInterval = heartbeatInterval
            self.heartbeatLiveness = heartbeatLiveness
            self.maxQueuePerService = maxQueuePerService
            self.startupGrace = startupGrace
        }
    }

    struct Worker {
        let service: String
        let capacity: Int
        /// The routing keys it holds, when it announced a partition; nil: all of them.
        let partition: KeyPartition?
        var inFlight = 0
        var expiry: UInt64
        /// The latest deadline among the requests it holds now: a worker busy with a request
        /// cannot heartbeat, so it is not dropped for silence before that request is due. Only
        /// the requests it still holds count: a long one it answered long ago must not keep a
        /// frozen worker registered (one 10-minute refit kept a stopped profile worker for 10 minutes).
        var busyUntil: UInt64 = 0

        func isSilent(now: UInt64, lifetime: UInt64) -> Bool {
            expiry <= now && (inFlight == 0 || busyUntil + lifetime <= now)
        }
    }

    struct Service {
        var workers: [WorkerID] = []
        var queue = FIFOQueue<PendingRequest>()
        var dispatched: UInt64 = 0
        /// Where the next search for a free worker starts, counting on (taken modulo the number of
        /// candidates): one rotation for requests any worker may take, one for those of a
        /// partition, so that neither sends the other's back to the first worker.
        var nextStart: UInt = 0
        var nextKeyed: UInt = 0
        /// How many of its workers announced a partition: with any, a routing key picks a worker
        /// of the key's partition (or one holding every key) instead of its rendezvous worker.
        var partitioned = 0
    }

    /// Where a request can go now.
    enum Choice {
        case worker(WorkerID)
        /// Every worker that may take it is full.
        case full
        /// No live worker holds its routing key's partition.
        case noPartition
    }

    struct RequestKey: Hashable {
        let client: [UInt8]
        let requestID: UInt64

        func hash(into hasher: inout Hasher) {
            hasher.combine(requestID)
            client.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }

    public let settings: Settings
    private var workers: [WorkerID: Worker] = [:]
    private var services: [String: Service] = [:]
    /// Each request a worker holds: which worker, and its deadline.
    private var inFlight: [RequestKey: (worker: WorkerID, deadline: UInt64)] = [:]
    private let graceUntil: UInt64

    public init(settings: Settings = Settings(), now: UInt64 = 0) {
        self.settings = settings
        graceUntil = now + settings.startupGrace
    }

    private var workerLifetime: UInt64 { settings.heartbeatInterval * settings.heartbeatLiveness }

    // MARK: Client requests

    /// Routes a request to a live worker, queues it, or refuses it with a typed error.
    public mutating func route(_ request: PendingRequest, to serviceName: String, now: UInt64, into actions: inout [BrokerAction]) {
        guard var service = services[serviceName], !service.workers.isEmpty else {
            if now < graceUntil, request.deadline > now, services[serviceName]?.queue.count ?? 0 < settings.maxQueuePerService {
                services[serviceName, default: Service()].queue.append(request)  // until its workers register
                return
            }
            actions.append(.answer(client: request.client, requestID: request.requestID,
                                   ServiceError(.noWorkers, "service '\(serviceName)' has no live workers")))
            return
        }
        defer { services[serviceName] = service }
        if request.deadline <= now {
            actions.append(.answer(client: request.client, requestID: request.requestID, Self.expired(serviceName)))
            return
        }
        let avoid = request.attempt > 1 ? inFlight[RequestKey(client: request.client, requestID: request.requestID)]?.worker : nil
        switch choose(in: &service, request: request, avoiding: avoid) {
        case .worker(let worker):
            dispatch(request, to: worker, in: &service, now: now, into: &actions)
        case .noPartition where now >= graceUntil || service.queue.count >= settings.maxQueuePerService:
            // As for a service without workers: a restarted broker waits for them during its grace.
            actions.append(.answer(client: request.client, requestID: request.requestID, noPartition(serviceName, service, request.routingKey)))
        case .full where service.queue.count < settings.maxQueuePerService, .noPartition:
            service.queue.append(request)
        case .full:
            actions.append(.answer(client: request.client, requestID: request.requestID,
                                   ServiceError(.overloaded, "service '\(serviceName)' is overloaded: \(service.queue.count) requests already waiting")))
        }
    }

    /// With a routing key, for a service whose workers announce partitions: the least loaded of
    /// the workers holding the key (its partition's, or unpartitioned ones); they hold the same
    /// state, so any will do. With a routing key otherwise: the key's worker by rendezvous
    /// hashing, whatever its load, so that one key's requests meet one worker. Without: the
    /// worker with the most free capacity, ties taken in turn.
    private func choose(in service: inout Service, request: PendingRequest, avoiding avoid: WorkerID?) -> Choice {
        var candidates = service.workers
        let keyed = !request.routingKey.isEmpty
        if keyed, service.partitioned > 0 {
            candidates = candidates.filter { workers[$0]!.partition?.holds(request.routingKey) ?? true }
            if candidates.isEmpty { return .noPartition }
        }
        if candidates.count > 1, let avoid { candidates.removeAll { $0 == avoid } }
        if !request.routingKey.isEmpty, service.partitioned == 0 {
            return candidates.max { Self.rendezvous(request.routingKey, $0) < Self.rendezvous(request.routingKey, $1) }.map { .worker($0) } ?? .full
        }
        var best: WorkerID?
        var bestFree = 0
        let count = candidates.count
        let start = keyed ? service.nextKeyed : service.nextStart
        for offset in 0..<count {
            let id = candidates[Int((start &+ UInt(offset)) % UInt(count))]
            let worker = workers[id]!
            let free = worker.capacity - worker.inFlight
            if free > bestFree {
                best = id
                bestFree = free
            }
        }
        if keyed { service.nextKeyed &+= 1 } else { service.nextStart &+= 1 }
        return best.map { .worker($0) } ?? .full
    }

    private func noPartition(_ name: String, _ service: Service, _ key: [UInt8]) -> ServiceError {
        let counts = Set(service.workers.compactMap { workers[$0]!.partition?.count }).sorted()
        let partitions = counts.map { "\(KeyPartition.of(key, count: $0))/\($0)" }.joined(separator: " or ")
        return ServiceError(.noWorkers, "service '\(name)' has no live worker of partition \(partitions), the request's routing key's")
    }

    private mutating func dispatch(_ request: PendingRequest, to id: WorkerID, in service: inout Service, now: UInt64, into actions: inout [BrokerAction]) {
        workers[id]!.inFlight += 1
        workers[id]!.busyUntil = max(workers[id]!.busyUntil, request.deadline)
        service.dispatched += 1
        inFlight[RequestKey(client: request.client, requestID: request.requestID)] = (id, request.deadline)
        let budget = (request.deadline - now) / 1000
        actions.append(.toWorker(id, .request(client: request.client, requestID: request.requestID, budgetMicros: budget, envelope: request.envelope,
                                                        caller: request.caller)))
    }

    // MARK: Worker messages

    public mutating func handle(_ message: WorkerMessage, from id: WorkerID, now: UInt64, into actions: inout [BrokerAction]) {
        switch message {
        case .ready(let serviceName, let capacity, let partition):
            if workers[id] != nil {
                // A second READY means the worker lost track of us: start it over.
                remove(id, reason: "sent READY twice", into: &actions)
                actions.append(.toWorker(id, .disconnect))
                return
            }
            workers[id] = Worker(service: serviceName, capacity: Int(capacity), partition: partition, expiry: now + workerLifetime)
            services[serviceName, default: Service()].workers.append(id)
            if partition != nil { services[serviceName]!.partitioned += 1 }
            actions.append(.joined(id, service: serviceName))
            drainQueue(of: serviceName, now: now, into: &actions)
        case .reply(let client, let requestID, _):
            guard workers[id] != nil else { return }
            workers[id]!.expiry = now + workerLifetime
            workers[id]!.inFlight -= 1
            let key = RequestKey(client: client, requestID: requestID)
            if let held = inFlight[key], held.worker == id {
                inFlight[key] = nil
                if workers[id]!.inFlight == 0 {
                    workers[id]!.busyUntil = 0
                } else if held.deadline >= workers[id]!.busyUntil {
                    // It was the one due last: the latest of those it still holds.
                    workers[id]!.busyUntil = inFlight.values.reduce(0) { $1.worker == id ? max($0, $1.deadline) : $0 }
                }
            }
            drainQueue(of: workers[id]!.service, now: now, into: &actions)
        case .heartbeat:
            if workers[id] != nil {
                workers[id]!.expiry = now + workerLifetime
            } else {
                // Not registered (we dropped it, or restarted): ask it to reconnect and register.
                actions.append(.toWorker(id, .disconnect))
            }
        case .disconnect:
            remove(id, reason: "disconnected", into: &actions)
        case .request:
            remove(id, reason: "sent a REQUEST, which only the broker sends", into: &actions)
            actions.append(.toWorker(id, .disconnect))
        }
    }

    /// Whether the id belongs to a registered worker (replies from others are still forwarded).
    public func isRegistered(_ id: WorkerID) -> Bool { workers[id] != nil }

    /// `sweep`: a partitioned service's requests are all looked at, even while its workers are
    /// full, so those of a partition without workers are answered once the grace is over.
    private mutating func drainQueue(of serviceName: String, now: UInt64, sweep: Bool = false, into actions: inout [BrokerAction]) {
        guard var service = services[serviceName] else { return }
        defer { services[serviceName] = service }
        if service.partitioned > 0 { return drainPartitioned(&service, serviceName, now: now, sweep: sweep, into: &actions) }
        while let next = service.queue.first {
            if next.deadline <= now {
                service.queue.removeFirst()
                actions.append(.answer(client: next.client, requestID: next.requestID, Self.expired(serviceName)))
                continue
            }
            guard case .worker(let worker) = choose(in: &service, request: next, avoiding: nil) else { return }
            service.queue.removeFirst()
            dispatch(next, to: worker, in: &service, now: now, into: &actions)
        }
    }

    /// The queue of a partitioned service: a request whose partition is full (or absent, during
    /// the grace) keeps its place without holding up those of other partitions behind it.
    private mutating func drainPartitioned(_ service: inout Service, _ name: String, now: UInt64, sweep: Bool, into actions: inout [BrokerAction]) {
        var free = service.workers.reduce(0) { $0 + max(workers[$1]!.capacity - workers[$1]!.inFlight, 0) }
        var waiting = FIFOQueue<PendingRequest>()
        while let next = service.queue.popFirst() {
            if next.deadline <= now {
                actions.append(.answer(client: next.client, requestID: next.requestID, Self.expired(name)))
                continue
            }
            switch free > 0 || sweep ? choose(in: &service, request: next, avoiding: nil) : .full {
            case .worker(let worker) where free > 0:
                dispatch(next, to: worker, in: &service, now: now, into: &actions)
                free -= 1
            case .noPartition where now >= graceUntil:
                actions.append(.answer(client: next.client, requestID: next.requestID, noPartition(name, service, next.routingKey)))
            case .worker, .full, .noPartition:
                waiting.append(next)
            }
        }
        service.queue = waiting
    }

    // MARK: Time

    /// Drops workers that missed their heartbeats, answers queued requests whose deadline
    /// passed, and heartbeats every live worker. Call once per heartbeat interval.
    public mutating func tick(now: UInt64, into actions: inout [BrokerAction]) {
        for (id, worker) in workers where worker.isSilent(now: now, lifetime: workerLifetime) {
            remove(id, reason: "missed \(settings.heartbeatLiveness) heartbeats", into: &actions)
        }
        for name in Array(services.keys) {
            // A partition that never came (or was lost): its waiting requests are answered now.
            if services[name]!.partitioned > 0 { drainQueue(of: name, now: now, sweep: true, into: &actions) }
            let workerless = now >= graceUntil && services[name]!.workers.isEmpty  // waited for workers in vain
            services[name]!.queue.removeAll { request in
                if workerless {
                    actions.append(.answer(client: request.client, requestID: request.requestID,
                                           ServiceError(.noWorkers, "service '\(name)' has no live workers")))
                    return true
                }
                guard request.deadline <= now else { return false }
                actions.append(.answer(client: request.client, requestID: request.requestID, Self.expired(name)))
                return true
            }
            // A service only asked for during the grace, never served: not one the broker knows.
            if workerless, services[name]!.dispatched == 0, services[name]!.queue.isEmpty { services[name] = nil }
        }
        for id in workers.keys { actions.append(.toWorker(id, .heartbeat)) }
    }

    private mutating func remove(_ id: WorkerID, reason: String, into actions: inout [BrokerAction]) {
        guard let worker = workers.removeValue(forKey: id) else { return }
        services[worker.service]!.workers.removeAll { $0 == id }
        if worker.partition != nil { services[worker.service]!.partitioned -= 1 }
        actions.append(.left(id, service: worker.service, reason: reason))
        if worker.inFlight > 0 {
            for (key, holder) in inFlight where holder.worker == id {
                inFlight[key] = nil
                actions.append(.answer(client: key.client, requestID: key.requestID,
                                       ServiceError(.unavailable, "worker \(id) of '\(worker.service)' \(reason) while holding the request; a retry goes to another worker")))
            }
        }
        if services[worker.service]!.workers.isEmpty {
            while let request = services[worker.service]!.queue.popFirst() {
                actions.append(.answer(client: request.client, requestID: request.requestID,
                                       ServiceError(.noWorkers, "service '\(worker.service)' lost its last worker")))
            }
        }
    }

    // MARK: Status

    public func status() -> [ServiceStatus] {
        services.keys.sorted().map { name in
            let service = services[name]!
            return ServiceStatus.with {
                $0.name = name
                $0.workers = UInt32(service.workers.count)
                $0.capacity = UInt32(service.workers.reduce(0) { $0 + workers[$1]!.capacity })
                $0.inFlight = UInt32(service.workers.reduce(0) { $0 + workers[$1]!.inFlight })
                $0.queued = UInt32(service.queue.count)
                $0.dispatched = service.dispatched
            }
        }
    }

    private static func expired(_ service: String) -> ServiceError {
        ServiceError(.deadlineExceeded, "deadline passed while the request waited for a worker of '\(service)'")
    }

    /// Highest-random-weight hashing: FNV-1a over key and worker id.
    static func rendezvous(_ key: [UInt8], _ worker: WorkerID) -> UInt64 {
        KeyPartition.fnv1a64(worker.bytes, seed: KeyPartition.fnv1a64(key))
    }
}
