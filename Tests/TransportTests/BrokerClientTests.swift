// The client against a real ROUTER socket playing the broker's frontend: deadlines, retries,
// several calls in flight.
import Foundation
import Testing
import Wire
import ZeroMQ
@testable import Transport

final class FakeFrontend {
    let context: ZMQContext
    let router: ZMQSocket
    let endpoint: String

    init() throws {
        context = try ZMQContext()
        router = try ZMQSocket(context, .router)
        try router.set(.receiveTimeout(3000))
        try router.bind("tcp://127.0.0.1:*")
        endpoint = try router.lastEndpoint
    }

    func nextRequest() throws -> (client: [UInt8], Envelope) {
        let frames = try #require(try router.receive(), "no request within 3 s")
        #expect(frames.count == 3 && frames[1].isEmpty)
        return (frames[0], try Envelope(serializedBytes: frames[2]))
    }

    func answer(_ client: [UInt8], _ reply: Reply) throws {
        try router.send([client, [], reply.wireBytes()])
    }

    func close() { router.close() }

    /// A frontend and a client of it, for `body`; both closed after it.
    static func withClient(_ body: (FakeFrontend, BrokerClient) throws -> Void) throws {
        let broker = try FakeFrontend()
        defer { broker.close() }
        let client = try BrokerClient(context: broker.context, endpoint: broker.endpoint)
        defer { client.close() }
        try body(broker, client)
    }
}

/// The client's next answer is the one to request `id`, carrying `payload`.
func expectAnswer(_ client: BrokerClient, _ id: UInt64, _ payload: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws {
    let (answered, result) = try #require(try client.receive(), sourceLocation: sourceLocation)
    #expect(answered == id, sourceLocation: sourceLocation)
    #expect(try result.get() == payload, sourceLocation: sourceLocation)
}

@Suite struct BrokerClientTests {
    @Test func aCallGetsItsAnswerAndSendsAWellFormedEnvelope() throws {
        try FakeFrontend.withClient { broker, client in
            let id = try client.send(.init(service: "echo", method: "echo", payload: [1, 2], timeoutMicros: 2_000_000, routingKey: [9]))
            let (route, envelope) = try broker.nextRequest()
            #expect(envelope.protocolVersion == 1 && envelope.requestID == id && envelope.service == "echo" && envelope.method == "echo")
            #expect(envelope.payload == Data([1, 2]) && envelope.routingKey == Data([9]) && envelope.attempt == 1)
            #expect(envelope.deadlineUs > 1_900_000 && envelope.deadlineUs <= 2_000_000)
            try broker.answer(route, .success(requestID: id, payload: [3], servedBy: "w"))
            try expectAnswer(client, id, [3])
        }
    }

    @Test func noAnswerEndsInATypedTimeoutAtTheDeadline() throws {
        try FakeFrontend.withClient { _, client in
            let start = MonotonicClock.now()
            #expect(throws: ServiceError(.deadlineExceeded, "no answer from 'slow' within 50 ms")) {
                try client.call(.init(service: "slow", method: "x", timeoutMicros: 50_000))
            }
            #expect(MonotonicClock.now() - start >= 50_000_000, "it waited for the whole deadline")
        }
    }

    @Test func anIdempotentCallIsRetriedOnceWhenTheFirstAttemptIsLost() throws {
        try FakeFrontend.withClient { broker, client in
            let id = try client.send(.init(service: "echo", method: "ping", timeoutMicros: 400_000, idempotent: true))
            let (_, first) = try broker.nextRequest()
            #expect(first.attempt == 1)
            // Ignore the first attempt; the client retries after half its deadline.
            #expect(try client.receive(waitMilliseconds: 100) == nil)
            _ = try client.receive(waitMilliseconds: 200)
            let (route, second) = try broker.nextRequest()
            #expect(second.attempt == 2 && second.requestID == id)
            #expect(second.deadlineUs < 250_000)
            try broker.answer(route, .success(requestID: id, payload: [1], servedBy: "w2"))
            try expectAnswer(client, id, [1])
        }
    }

    @Test func unavailableTriggersTheRetryForIdempotentCallsOnly() throws {
        try FakeFrontend.withClient { broker, client in
            let lost = ServiceError(.unavailable, "worker lost")
            let safe = try client.send(.init(service: "s", method: "get", timeoutMicros: 2_000_000, idempotent: true))
            let unsafe = try client.send(.init(service: "s", method: "put", timeoutMicros: 2_000_000))
            for _ in 0..<2 {
                let (route, envelope) = try broker.nextRequest()
                try broker.answer(route, .failure(requestID: envelope.requestID, lost))
            }
            let (unsafeID, unsafeResult) = try #require(try client.receive())
            #expect(unsafeID == unsafe)
            #expect(throws: lost) { try unsafeResult.get() }
            let (route, retry) = try broker.nextRequest()
            #expect(retry.requestID == safe && retry.attempt == 2)
            try broker.answer(route, .success(requestID: safe, payload: [], servedBy: "w"))
            #expect(try client.receive()?.0 == safe)
        }
    }

    /// With two brokers, calls take turns between them, and a retry goes through the other one.
    @Test func withTwoBrokersARetryGoesThroughTheOther() throws {
        let first = try FakeFrontend(), second = try FakeFrontend()
        defer { first.close(); second.close() }
        #expect(BrokerSockets.endpoints(" \(first.endpoint), \(second.endpoint),") == [first.endpoint, second.endpoint])
        let client = try BrokerClient(context: first.context, endpoint: "\(first.endpoint),\(second.endpoint)")
        defer { client.close() }
        // With several brokers a request goes only to an established connection: let both connect.
        Thread.sleep(forTimeInterval: 0.2)
        // Two calls: one reaches each broker.
        let ids = try (0..<2).map { _ in try client.send(.init(service: "s", method: "get", timeoutMicros: 2_000_000, idempotent: true)) }
        let atFirst = try first.nextRequest(), atSecond = try second.nextRequest()
        #expect(Set([atFirst.1.requestID, atSecond.1.requestID]) == Set(ids))
        // The first broker answers UNAVAILABLE: the retry comes through the second.
        try first.answer(atFirst.client, .failure(requestID: atFirst.1.requestID, ServiceError(.unavailable, "lost")))
        let nothingYet = try client.receive(waitMilliseconds: 300)
        #expect(nothingYet == nil, "no answer yet: the retry is on its way")
        let (route, retry) = try second.nextRequest()
        #expect(retry.requestID == atFirst.1.requestID && retry.attempt == 2)
        try second.answer(route, .success(requestID: retry.requestID, payload: [1], servedBy: "w"))
        try expectAnswer(client, atFirst.1.requestID, [1])
    }

    @Test func lateAndForeignRepliesAreIgnored() throws {
        try FakeFrontend.withClient { broker, client in
            let id = try client.send(.init(service: "s", method: "m", timeoutMicros: 1_000_000))
            let (route, _) = try broker.nextRequest()
            try broker.answer(route, .success(requestID: 999, payload: [0], servedBy: "w"))
            try broker.router.send([route, [], [0xff, 0xff]])
            try broker.answer(route, .success(requestID: id, payload: [1], servedBy: "w"))
            try expectAnswer(client, id, [1])
            #expect(client.inFlight == 0)
        }
    }

    /// Its owner closes it; closing again does no harm, and a call after it is a typed error.
    @Test func aClosedClientRefusesCallsWithATypedError() throws {
        let broker = try FakeFrontend()
        defer { broker.close() }
        let client = try BrokerClient(context: broker.context, endpoint: broker.endpoint)
        client.close()
        client.close()
        #expect(throws: ServiceError(.unavailable, "this client of the broker at \(broker.endpoint) is closed")) {
            try client.call(.init(service: "s", method: "m", timeoutMicros: 100_000))
        }
    }
}

@Suite struct StopSignalTests {
    @Test func sleepEndsEarlyWhenRaised() {
        let stop = StopSignal()
        #expect(stop.sleep(nanoseconds: 1_000_000) == false)
        stop.raise()
        #expect(stop.sleep(nanoseconds: 10_000_000_000) == true)
    }
}
