// Frame codecs between clients, broker and workers: round trips and typed errors for bad input.
import Foundation
import Testing
@testable import Wire

@Suite struct WorkerMessageTests {
    static let all: [WorkerMessage] = [
        .ready(service: "profile", capacity: 4),
        .ready(service: "decision", capacity: 4, partition: try! KeyPartition(index: 1, count: 2)),
        .request(client: [0, 1, 2, 3, 4], requestID: 1 << 40 | 7, budgetMicros: 50_000, envelope: [9, 9, 9]),
        .request(client: [0, 1], requestID: 8, budgetMicros: 1, envelope: [9], caller: Array("admin/ops".utf8)),
        .reply(client: [5], requestID: 3, reply: []),
        .heartbeat,
        .disconnect,
    ]

    @Test(arguments: all)
    func roundTrips(message: WorkerMessage) throws {
        #expect(try WorkerMessage(frames: message.frames) == message)
        #expect(message.frames.first == Array("OLW1".utf8))
    }

    @Test func integersAreBigEndian() {
        let frames = WorkerMessage.request(client: [], requestID: 0x0102_0304_0506_0708, budgetMicros: 1, envelope: []).frames
        #expect(frames[3] == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(frames[4] == [0, 0, 0, 0, 0, 0, 0, 1])
        #expect(WorkerMessage.ready(service: "s", capacity: 258).frames[3] == [0, 0, 1, 2])
    }

    /// Without CURVE there is no caller and no sixth frame: a plaintext request is as it was.
    @Test func theCallerIsAnOptionalLastFrame() throws {
        #expect(WorkerMessage.request(client: [1], requestID: 1, budgetMicros: 1, envelope: [2]).frames.count == 6)
        let frames = WorkerMessage.request(client: [1], requestID: 1, budgetMicros: 1, envelope: [2], caller: Array("clients/atm".utf8)).frames
        #expect(frames.count == 7)
        #expect(frames[6] == Array("clients/atm".utf8))
    }

    /// An unpartitioned worker's READY is as it was (an old broker reads it); a partitioned one
    /// adds K and N, big-endian, in a last frame.
    @Test func thePartitionIsAnOptionalLastFrame() throws {
        #expect(WorkerMessage.ready(service: "s", capacity: 1).frames.count == 4)
        let frames = WorkerMessage.ready(service: "s", capacity: 1, partition: try KeyPartition(index: 1, count: 3)).frames
        #expect(frames.count == 5)
        #expect(frames[4] == [0, 0, 0, 1, 0, 0, 0, 3])
    }

    static let malformed: [([[UInt8]], String)] = [
        ([], "must start with the frame \"OLW1\""),
        ([Array("MDPW".utf8), [1]], "must start with the frame \"OLW1\""),
        ([Array("OLW1".utf8)], "no valid command frame"),
        ([Array("OLW1".utf8), [9]], "no valid command frame"),
        ([Array("OLW1".utf8), [1, 1]], "no valid command frame"),
        ([Array("OLW1".utf8), [1], Array("svc".utf8)], "READY takes 2 or 3 frames"),
        ([Array("OLW1".utf8), [1], [], [0, 0, 0, 1]], "non-empty UTF-8"),
        ([Array("OLW1".utf8), [1], Array("svc".utf8), [0, 0, 0, 1], [0, 0, 0, 2, 0, 0, 0, 2]], "partition must be 8 bytes: K then N"),
        ([Array("OLW1".utf8), [1], Array("svc".utf8), [0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0, 0]], "partition must be 8 bytes: K then N"),
        ([Array("OLW1".utf8), [1], Array("svc".utf8), [0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 2]], "partition must be 8 bytes: K then N"),
        ([Array("OLW1".utf8), [1], Array("svc".utf8), [0, 0, 0, 0]], "capacity must be a 4-byte integer above 0"),
        ([Array("OLW1".utf8), [3], [1], [1, 2], []], "request id must be an 8-byte integer"),
        ([Array("OLW1".utf8), [4], [1]], "heartbeat takes 0 frames"),
        ([Array("OLW1".utf8), [2], [1], [0, 0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0, 1]], "REQUEST takes 4 or 5 frames"),
        ([Array("OLW1".utf8), [2], [1], [0, 0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0, 1], [], []], "caller must be 1–256 bytes"),
        ([Array("OLW1".utf8), [2], [1], [0, 0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0, 1], [], [0xff]], "caller must be 1–256 bytes"),
    ]

    @Test(arguments: malformed)
    func malformedFramesAreTypedErrors(frames: [[UInt8]], expected: String) {
        do {
            _ = try WorkerMessage(frames: frames)
            Issue.record("decoded malformed frames \(frames)")
        } catch {
            #expect(error.code == .malformed)
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }
}

@Suite struct ClientRequestTests {
    func envelope(_ edit: (inout Envelope) -> Void = { _ in }) -> [UInt8] {
        var envelope = Envelope()
        envelope.protocolVersion = 1
        envelope.requestID = 77
        envelope.service = "echo"
        envelope.method = "ping"
        envelope.deadlineUs = 5000
        edit(&envelope)
        return envelope.wireBytes()
    }

    @Test func decodesAValidRequestAndKeepsItsBytes() throws {
        let bytes = envelope()
        let request = try ClientRequest(frames: [[], bytes][...], maxBytes: 1000)
        #expect(request.envelope.service == "echo")
        #expect(request.envelope.requestID == 77)
        #expect(request.envelopeBytes == bytes)
    }

    func failure(_ frames: [[UInt8]], maxBytes: Int = 1000) -> ClientRequestError? {
        do {
            _ = try ClientRequest(frames: frames[...], maxBytes: maxBytes)
            return nil
        } catch {
            return error
        }
    }

    @Test func wrongFrameCountIsMalformed() {
        #expect(failure([envelope()])?.error.code == .malformed)
        #expect(failure([[], envelope(), []])?.error.code == .malformed)
        #expect(failure([[1], envelope()])?.error.message.contains("non-empty first frame") == true)
    }

    @Test func garbageIsMalformed() {
        let error = failure([[], [0xff, 0xff, 0xff, 0x0f]])
        #expect(error?.error.code == .malformed)
        #expect(error?.requestID == ClientRequest.unknownRequestID)
    }

    @Test func oversizedIsTooLargeWithTheSizes() {
        let error = failure([[], envelope { $0.payload = Data(count: 2000) }], maxBytes: 1000)
        #expect(error?.error.code == .tooLarge)
        #expect(error?.error.message.contains("over the limit of 1000 bytes") == true)
    }

    @Test func anotherVersionIsRefusedUnderItsRequestID() {
        let error = failure([[], envelope { $0.protocolVersion = 2 }])
        #expect(error?.error.code == .unsupportedVersion)
        #expect(error?.requestID == 77)
    }

    @Test func aRequestMustNameAService() {
        #expect(failure([[], envelope { $0.service = "" }])?.error.code == .malformed)
    }
}

@Suite struct MessageTests {
    @Test func payloadDecodingNamesTheExpectedType() {
        do {
            _ = try PingReply(wireBytes: [0xff, 0xff])
            Issue.record("decoded garbage")
        } catch {
            #expect(error.code == .malformed)
            #expect(error.message.contains("offerloop.v1.PingReply"))
        }
    }

    @Test func repliesCarryEitherPayloadOrError() throws {
        let ok = try Reply(serializedBytes: Reply.success(requestID: 5, payload: [1, 2], servedBy: "w").wireBytes())
        #expect(ok.payload == Data([1, 2]) && ok.requestID == 5 && ok.servedBy == "w")
        let failed = try Reply(serializedBytes: Reply.failure(requestID: 6, ServiceError(.notFound, "no customer 'c-9'")).wireBytes())
        #expect(failed.error.code == .notFound && failed.error.message == "no customer 'c-9'")
    }
}

@Suite struct KeyPartitionTests {
    @Test func kOfNParsesAndBadOnesAreTypedErrors() throws {
        #expect(try KeyPartition(parsing: "1/2") == KeyPartition(index: 1, count: 2))
        #expect(try KeyPartition(parsing: "0/1").description == "0/1")
        for bad in ["2/2", "1/0", "a/2", "1", "1/2/3", "-1/2", ""] {
            #expect(throws: ServiceError.self, "\(bad)") { try KeyPartition(parsing: bad) }
        }
        do {
            _ = try KeyPartition(parsing: "3/2")
        } catch {
            #expect(error.code == .invalidArgument && error.message.contains("0 ≤ K < N"))
        }
    }

    /// FNV-1a 64 (the published offset basis and prime): the same partition in every process.
    @Test func theHashIsFNV1a64() throws {
        #expect(KeyPartition.fnv1a64("".utf8) == 0xcbf2_9ce4_8422_2325)
        #expect(KeyPartition.fnv1a64("a".utf8) == 0xaf63_dc4c_8601_ec8c)
        #expect(KeyPartition.of("a".utf8, count: 1_000) == UInt32(UInt64(0xaf63_dc4c_8601_ec8c) % 1_000))
        let half = try KeyPartition(index: KeyPartition.of("c-42".utf8, count: 2), count: 2)
        let other = try KeyPartition(index: 1 - half.index, count: 2)
        #expect(half.holds("c-42".utf8) && !other.holds("c-42".utf8))
        #expect(try KeyPartition(index: 0, count: 1).holds("anything".utf8))
    }
}
