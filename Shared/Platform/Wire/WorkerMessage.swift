// The frames between a worker (DEALER) and the broker's backend (ROUTER), after the
// ROUTER's identity frame: ["OLW1", command, ...]. Integers are big-endian.
public enum WorkerMessage: Equatable, Sendable {
    /// Worker → broker: serve `service`, accepting up to `capacity` requests in flight; holding
    /// only the routing keys of `partition` when given (an optional last frame, left out when
    /// nil, so an unpartitioned worker's READY is exactly as before).
    case ready(service: String, capacity: UInt32, partition: KeyPartition? = nil)
    /// Broker → worker: a client's request; `budgetMicros` is what is left of its deadline;
    /// `caller` is the client key's user id ("ROLE/NAME") with CURVE on, empty without: an
    /// optional last frame, left out when empty, so a plaintext request costs nothing more.
    case request(client: [UInt8], requestID: UInt64, budgetMicros: UInt64, envelope: [UInt8], caller: [UInt8] = [])
    /// Worker → broker: the answer to `requestID` for `client`.
    case reply(client: [UInt8], requestID: UInt64, reply: [UInt8])
    /// Either way: I am alive.
    case heartbeat
    /// Either way: I am leaving (worker) / you are not registered, reconnect (broker).
    case disconnect

    /// The longest caller user id a REQUEST carries.
    public static let maxCallerBytes = 256

    enum Command: UInt8 {
        case ready = 1, request = 2, reply = 3, heartbeat = 4, disconnect = 5
    }

    public var frames: [[UInt8]] {
        let header = WireProtocol.workerHeader
        switch self {
        case .ready(let service, let capacity, let partition):
            let frames = [header, [Command.ready.rawValue], Array(service.utf8), BigEndian.bytes(UInt64(capacity), count: 4)]
            guard let partition else { return frames }
            return frames + [BigEndian.bytes(UInt64(partition.index), count: 4) + BigEndian.bytes(UInt64(partition.count), count: 4)]
        case .request(let client, let requestID, let budget, let envelope, let caller):
            let frames = [header, [Command.request.rawValue], client, BigEndian.bytes(requestID), BigEndian.bytes(budget), envelope]
            return caller.isEmpty ? frames : frames + [caller]
        case .reply(let client, let requestID, let reply):
            return [header, [Command.reply.rawValue], client, BigEndian.bytes(requestID), reply]
        case .heartbeat:
            return [header, [Command.heartbeat.rawValue]]
        case .disconnect:
            return [header, [Command.disconnect.rawValue]]
        }
    }

    /// Decodes the frames of one message (without the ROUTER identity frame).
    public init(frames: some RandomAccessCollection<[UInt8]>) throws(ServiceError) {
        var frames = Array(frames)[...]
        guard let header = frames.popFirst(), header == WireProtocol.workerHeader else {
            throw ServiceError(.malformed, "worker message must start with the frame \"OLW1\"")
        }
        guard let commandFrame = frames.popFirst(), commandFrame.count == 1,
            let command = Command(rawValue: commandFrame[0])
        else {
            throw ServiceError(.malformed, "worker message has no valid command frame (1 byte, 1...5)")
        }
        func expect(_ count: Int, _ shape: String) throws(ServiceError) {
            guard frames.count == count else {
                throw ServiceError(.malformed, "\(command) takes \(count) frames after the command (\(shape)), got \(frames.count)")
            }
        }
        let f = Array(frames)
        switch command {
        case .ready:
            guard frames.count == 2 || frames.count == 3 else {
                throw ServiceError(.malformed, "READY takes 2 or 3 frames after the command (service, capacity[, partition]), got \(frames.count)")
            }
            guard let service = String(validating: f[0], as: UTF8.self), !service.isEmpty else {
                throw ServiceError(.malformed, "READY service name must be non-empty UTF-8")
            }
            guard let capacity = BigEndian.value(f[1], count: 4), capacity > 0 else {
                throw ServiceError(.malformed, "READY capacity must be a 4-byte integer above 0")
            }
            var partition: KeyPartition?
            if f.count == 3 {
                guard let index = BigEndian.value(Array(f[2].prefix(4)), count: 4), let count = BigEndian.value(Array(f[2].dropFirst(4)), count: 4),
                    let announced = try? KeyPartition(index: UInt32(index), count: UInt32(count))
                else {
                    throw ServiceError(.malformed, "READY partition must be 8 bytes: K then N, 4-byte integers with 0 ≤ K < N")
                }
                partition = announced
            }
            self = .ready(service: service, capacity: UInt32(capacity), partition: partition)
        case .request:
            guard frames.count == 4 || frames.count == 5 else {
                throw ServiceError(.malformed, "REQUEST takes 4 or 5 frames after the command (client, request id, budget, envelope[, caller]), got \(frames.count)")
            }
            guard let id = BigEndian.value(f[1], count: 8), let budget = BigEndian.value(f[2], count: 8) else {
                throw ServiceError(.malformed, "REQUEST request id and budget must be 8-byte integers")
            }
            let caller = f.count == 5 ? f[4] : []
            guard f.count == 4 || (!caller.isEmpty && caller.count <= Self.maxCallerBytes && String(validating: caller, as: UTF8.self) != nil) else {
                throw ServiceError(.malformed, "REQUEST caller must be 1–\(Self.maxCallerBytes) bytes of UTF-8 (\"ROLE/NAME\")")
            }
            self = .request(client: f[0], requestID: id, budgetMicros: budget, envelope: f[3], caller: caller)
        case .reply:
            try expect(3, "client, request id, reply")
            guard let id = BigEndian.value(f[1], count: 8) else {
                throw ServiceError(.malformed, "REPLY request id must be an 8-byte integer")
            }
            self = .reply(client: f[0], requestID: id, reply: f[2])
        case .heartbeat:
            try expect(0, "none")
            self = .heartbeat
        case .disconnect:
            try expect(0, "none")
            self = .disconnect
        }
    }
}

/// Fixed-width big-endian integers in frames.
public enum BigEndian {
    public static func bytes(_ value: UInt64, count: Int = 8) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64(count - 1 - $0))) }
    }

    public static func value(_ bytes: [UInt8], count: Int) -> UInt64? {
        guard bytes.count == count else { return nil }
        return bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }
}
