// Seeded mutation fuzzing of everything that decodes bytes from the network: the broker's client
// frames and worker frames, the envelope a worker decodes, and the request message of every
// service method. Each input must decode or be refused with a typed ServiceError; a crash or a
// trap is a bug. Used by the tests (a seeded run and the committed regression corpus) and by
// `offerloop-loadtest fuzz` (long runs that save every input before trying it).
import Foundation
import SwiftProtobuf
import Wire

public enum WireFuzzer {
    /// One decoder, the valid messages its mutations start from, and how it is called.
    public struct Target: Sendable {
        public let name: String
        public let seeds: [[[UInt8]]]
        /// nil when the frames decode, else the typed error they are refused with.
        public let decode: @Sendable ([[UInt8]]) -> ServiceError?
    }

    public static let maxRequestBytes = 1 << 20

    public static let targets: [Target] = [
        Target(name: "broker-client", seeds: [["", envelope("decision", "decide", decide)], ["", envelope("broker", "ping", [])]].map(frames)) { input in
            do throws(ClientRequestError) { _ = try ClientRequest(frames: input[...], maxBytes: maxRequestBytes); return nil } catch { return error.error }
        },
        Target(name: "broker-worker", seeds: [
            WorkerMessage.ready(service: "decision", capacity: 4).frames,
            WorkerMessage.ready(service: "decision", capacity: 4, partition: try! KeyPartition(index: 1, count: 2)).frames,
            WorkerMessage.request(client: [1, 2, 3], requestID: 7, budgetMicros: 50_000, envelope: envelope("decision", "decide", decide)).frames,
            WorkerMessage.reply(client: [1, 2, 3], requestID: 7, reply: Reply.success(requestID: 7, payload: [1], servedBy: "w").wireBytes()).frames,
            WorkerMessage.heartbeat.frames, WorkerMessage.disconnect.frames,
        ]) { input in
            do throws(ServiceError) { _ = try WorkerMessage(frames: input); return nil } catch { return error }
        },
        message(Envelope.self, envelope("decision", "decide", decide)),
        message(DecideRequest.self, decide),
        message(CustomerViewRequest.self, CustomerViewRequest.with { $0.identity = .with { $0.kind = "login"; $0.value = "ada" }; $0.recentEvents = 5 }.wireBytes()),
        message(UpsertCustomerRequest.self, UpsertCustomerRequest.with { $0.identity = .with { $0.kind = "login"; $0.value = "ada" }; $0.attributes = ["age": "42"] }.wireBytes()),
        message(AddIdentityRequest.self, AddIdentityRequest().wireBytes()),
        message(MergeRequest.self, MergeRequest().wireBytes()),
        message(TransactionRecord.self, TransactionRecord.with { $0.amount = 12.5; $0.timeUnixMs = 1_700_000_000_000 }.wireBytes()),
        message(EventRecord.self, EventRecord.with { $0.event.type = "page_view"; $0.event.data = ["page": "/loans"] }.wireBytes()),
        message(HoldingRecord.self, HoldingRecord.with { $0.holding.product = "savings"; $0.holding.balance = 100 }.wireBytes()),
        message(SessionRequest.self, SessionRequest.with { $0.set = ["cart": "1"]; $0.ttlSeconds = 60 }.wireBytes()),
        message(ExportRequest.self, ExportRequest().wireBytes()),
        message(EraseRequest.self, EraseRequest().wireBytes()),
        message(FitValueModelRequest.self, FitValueModelRequest().wireBytes()),
        message(ScoreRequest.self, ScoreRequest.with {
            $0.candidates = [.with { $0.offerID = "savings_bonus"; $0.priorPropensity = 0.05 }]
            $0.channel = .web
            $0.customer.holdings = ["savings"]
        }.wireBytes()),
        message(ModelRequest.self, ModelRequest().wireBytes()),
        message(Outcome.self, outcome),
        message(OutcomeBatch.self, OutcomeBatch.with { $0.outcomes = [try! Outcome(serializedBytes: outcome), Outcome()] }.wireBytes()),
        message(ReplayRequest.self, ReplayRequest.with { $0.fromSequence = 1; $0.maxEvents = 10 }.wireBytes()),
        message(ReloadCatalogRequest.self, ReloadCatalogRequest().wireBytes()),
        message(EchoRequest.self, EchoRequest.with { $0.data = Data([104, 105]); $0.delayMs = 1 }.wireBytes()),
    ]

    /// The request payload of a method taking `type`: one frame.
    static func message<M: Message>(_ type: M.Type, _ seed: [UInt8]) -> Target {
        Target(name: M.protoMessageName, seeds: [[seed]]) { input in
            guard input.count == 1 else { return ServiceError(.malformed, "a payload is one frame") }
            do throws(ServiceError) { _ = try M(wireBytes: input[0]); return nil } catch { return error }
        }
    }

    static let decide = DecideRequest.with {
        $0.identity = .with { $0.kind = "card"; $0.value = "4111111111110006" }
        $0.channel = .atm
        $0.slots = 2
        $0.context = ["page": "home"]
        $0.localHour = 9
    }.wireBytes()

    static let outcome = Outcome.with {
        $0.eventID = "e-1"
        $0.decisionID = "d-1"
        $0.offerID = "savings_bonus"
        $0.type = .accept
        $0.channel = .web
        $0.timeUnixMs = 1_700_000_000_000
    }.wireBytes()

    static func envelope(_ service: String, _ method: String, _ payload: [UInt8]) -> [UInt8] {
        Envelope.with {
            $0.protocolVersion = WireProtocol.version
            $0.requestID = 42
            $0.service = service
            $0.method = method
            $0.deadlineUs = 50_000
            $0.payload = Data(payload)
        }.wireBytes()
    }

    private static func frames(_ texts: [Any]) -> [[UInt8]] {
        texts.map { ($0 as? [UInt8]) ?? Array(($0 as? String ?? "").utf8) }
    }

    /// A mutation of `input`: bits flipped, bytes changed, inserted, removed or repeated, a
    /// frame cut short, doubled, dropped, split or emptied, interesting integers written in.
    public static func mutate(_ input: [[UInt8]], using random: inout some RandomNumberGenerator) -> [[UInt8]] {
        var frames = input.isEmpty ? [[]] : input
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            let f = Int.random(in: 0..<frames.count, using: &random)
            var frame = frames[f]
            let at = frame.isEmpty ? 0 : Int.random(in: 0..<frame.count, using: &random)
            switch Int.random(in: 0..<12, using: &random) {
            case 0 where !frame.isEmpty: frame[at] ^= 1 << UInt8.random(in: 0..<8, using: &random)
            case 1 where !frame.isEmpty: frame[at] = UInt8.random(in: 0...255, using: &random)
            case 2: frame.insert(UInt8.random(in: 0...255, using: &random), at: at)
            case 3 where !frame.isEmpty: frame.remove(at: at)
            case 4: frame = Array(frame.prefix(at))
            case 5 where !frame.isEmpty:
                let end = min(frame.count, at + Int.random(in: 1...16, using: &random))
                frame.insert(contentsOf: frame[at..<end], at: at)
            case 6: frame.insert(contentsOf: [0xFF, 0xFF, 0xFF, 0xFF, 0x0F][...Int.random(in: 0...4, using: &random)], at: at)  // huge varint
            case 7 where !frame.isEmpty: frame[at] = [0x00, 0x7F, 0x80, 0xFF][Int.random(in: 0..<4, using: &random)]
            case 8: frames.insert(frame, at: f)
            case 9 where frames.count > 1: frames.remove(at: f); continue
            case 10: frames.insert(Array(frame[at...]), at: f + 1); frame = Array(frame[..<at])
            case 11: frame = []
            default: frame.append(UInt8.random(in: 0...255, using: &random))
            }
            frames[f] = frame
        }
        return frames
    }

    // MARK: Corpus files

    /// Frames as a file: a 4-byte big-endian count, then each frame as a 4-byte length and its bytes.
    public static func encode(_ frames: [[UInt8]]) -> [UInt8] {
        var bytes = BigEndian.bytes(UInt64(frames.count), count: 4)
        for frame in frames { bytes += BigEndian.bytes(UInt64(frame.count), count: 4) + frame }
        return bytes
    }

    /// The frames of a corpus file; nil if it is not one.
    public static func decode(_ bytes: [UInt8]) -> [[UInt8]]? {
        var rest = bytes[...]
        func take(_ n: Int) -> ArraySlice<UInt8>? {
            guard rest.count >= n else { return nil }
            defer { rest = rest.dropFirst(n) }
            return rest.prefix(n)
        }
        guard let countBytes = take(4), let count = BigEndian.value(Array(countBytes), count: 4) else { return nil }
        var frames: [[UInt8]] = []
        for _ in 0..<count {
            guard let lengthBytes = take(4), let length = BigEndian.value(Array(lengthBytes), count: 4), let frame = take(Int(length)) else { return nil }
            frames.append(Array(frame))
        }
        return rest.isEmpty ? frames : nil
    }
}
