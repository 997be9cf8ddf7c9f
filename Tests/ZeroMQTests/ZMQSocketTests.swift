// The binding over real libzmq sockets: each transport, each socket pattern, exact frames, errors.
import Foundation
import Testing
@testable import ZeroMQ

/// An endpoint per transport, unique per test so parallel tests do not collide.
func endpoint(_ transport: String) -> String {
    let unique = UUID().uuidString.prefix(8)
    switch transport {
    case "inproc": return "inproc://test-\(unique)"
    case "ipc": return "ipc://\(FileManager.default.temporaryDirectory.path)/offerloop-test-\(unique).sock"
    default: return "tcp://127.0.0.1:*"
    }
}

/// Binds `server` and returns the endpoint a client connects to (the chosen port for tcp).
func bindAny(_ server: ZMQSocket, _ transport: String) throws -> String {
    try server.bind(endpoint(transport))
    return try server.lastEndpoint
}

/// Two sockets of a fresh context for `body`: the first to bind, the second to connect; the
/// connecting one is closed first.
func withSockets(_ bound: SocketType, _ connecting: SocketType, _ body: (ZMQSocket, ZMQSocket) throws -> Void) throws {
    let context = try ZMQContext()
    let first = try ZMQSocket(context, bound)
    let second = try ZMQSocket(context, connecting)
    defer { second.close(); first.close() }
    try body(first, second)
}

@Suite struct ZMQSocketTests {
    @Test(arguments: ["inproc", "ipc", "tcp"])
    func requestReplyRoundTrip(transport: String) throws {
        try withSockets(.rep, .req) { server, client in
            try client.connect(try bindAny(server, transport))
            try client.send([Array("ping".utf8)])
            #expect(try server.receive() == [Array("ping".utf8)])
            try server.send([Array("pong".utf8)])
            #expect(try client.receive() == [Array("pong".utf8)])
        }
    }

    @Test(arguments: ["inproc", "ipc", "tcp"])
    func multipartFramesKeepTheirExactSizes(transport: String) throws {
        try withSockets(.router, .dealer) { router, dealer in
            try dealer.set(.routingID(Array("dealer-1".utf8)))
            try dealer.connect(try bindAny(router, transport))
            let big = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let frames: [[UInt8]] = [[], [0], Array(repeating: 0xff, count: 255), big, []]
            try dealer.send(frames)
            let received = try #require(try router.receive())
            #expect(received.first == Array("dealer-1".utf8), "ROUTER sees the DEALER's routing id")
            #expect(Array(received.dropFirst()) == frames)
            #expect(received.dropFirst().map(\.count) == [0, 1, 255, 1 << 20, 0])
            // And back: the ROUTER addresses the DEALER by that identity.
            try router.send([Array("dealer-1".utf8), Array("back".utf8)])
            #expect(try dealer.receive() == [Array("back".utf8)])
        }
    }

    @Test func pushPullDeliversInOrder() throws {
        try withSockets(.pull, .push) { pull, push in
            try push.connect(try bindAny(pull, "tcp"))
            for n in 0..<100 { try push.send([[UInt8(n)]]) }
            for n in 0..<100 { #expect(try pull.receive() == [[UInt8(n)]]) }
        }
    }

    @Test func subscriberGetsOnlyItsPrefix() throws {
        try withSockets(.pub, .sub) { pub, sub in
            try sub.set(.subscribe(Array("outcome.".utf8)))
            try sub.set(.receiveTimeout(20))
            try sub.connect(try bindAny(pub, "tcp"))
            // A subscription reaches the publisher asynchronously: publish until one arrives.
            var got: [[UInt8]]?
            for _ in 0..<250 where got == nil {
                try pub.send([Array("other.x".utf8)])
                try pub.send([Array("outcome.1".utf8), [42]])
                got = try sub.receive()
            }
            #expect(got == [Array("outcome.1".utf8), [42]])
        }
    }

    @Test func extendedPublisherSeesSubscriptions() throws {
        try withSockets(.xpub, .xsub) { xpub, xsub in
            try xsub.connect(try bindAny(xpub, "inproc"))
            try xsub.send([[1] + Array("topic".utf8)])  // XSUB subscribes by sending 0x01 + prefix
            #expect(try xpub.receive() == [[1] + Array("topic".utf8)])
            try xpub.send([Array("topic-a".utf8)])
            #expect(try xsub.receive() == [Array("topic-a".utf8)])
        }
    }

    @Test func receiveWithoutWaitingReturnsNilWhenEmpty() throws {
        let context = try ZMQContext()
        let pull = try ZMQSocket(context, .pull)
        defer { pull.close() }
        _ = try bindAny(pull, "inproc")
        #expect(try pull.receive(dontWait: true) == nil)
        try pull.set(.receiveTimeout(10))
        #expect(try pull.receive() == nil, "RCVTIMEO expiry is nil, not an error")
    }

    @Test func messagesOverMaxMessageSizeAreNotDelivered() throws {
        try withSockets(.pull, .push) { pull, push in
            try pull.set(.maxMessageSize(1000))
            try pull.set(.receiveTimeout(300))
            try push.set(.linger(0))
            try push.connect(try bindAny(pull, "tcp"))
            try push.send([Array(repeating: 1, count: 5000)])
            #expect(try pull.receive() == nil, "libzmq drops a peer that sends an oversized message")
        }
    }

    @Test func routerMandatoryFailsForUnknownPeers() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(context, .router)
        defer { router.close() }
        try router.set(.routerMandatory(true))
        _ = try bindAny(router, "inproc")
        #expect(throws: ZMQError(code: EHOSTUNREACH, operation: "zmq_send")) {
            try router.send([Array("nobody".utf8), [1]])
        }
    }

    @Test func errorsNameTheCallAndCarryStrerror() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context, .rep)
        defer { socket.close() }
        do {
            try socket.bind("nonsense://x")
            Issue.record("bind to an unknown transport succeeded")
        } catch {
            #expect(error.operation == "zmq_bind(nonsense://x)")
            #expect(error.code == EPROTONOSUPPORT)
            #expect(error.message == "Protocol not supported")
        }
        socket.close()
        #expect(throws: ZMQError.self) { try socket.connect("tcp://127.0.0.1:1") }
    }

    @Test func pollWakesOnAFileDescriptorAndOnAMessage() throws {
        try withSockets(.pull, .push) { pull, push in
            try push.connect(try bindAny(pull, "inproc"))
            let wake = WakeSignal()
            var poller = Poller()
            let socketIndex = poller.add(pull)
            let wakeIndex = poller.add(fileDescriptor: wake.fileDescriptor)
            #expect(try poller.poll(timeoutMilliseconds: 0) == 0)
            wake.raise()
            #expect(try poller.poll(timeoutMilliseconds: 1000) == 1)
            #expect(poller.isReadable(wakeIndex) && !poller.isReadable(socketIndex))
            wake.clear()
            try push.send([[7]])
            #expect(try poller.poll(timeoutMilliseconds: 1000) == 1)
            #expect(poller.isReadable(socketIndex) && !poller.isReadable(wakeIndex))
        }
    }

    @Test func socketsOnSeveralThreadsEachOwnTheirs() throws {
        let context = try ZMQContext()
        let pull = try ZMQSocket(context, .pull)
        defer { pull.close() }
        let address = try bindAny(pull, "inproc")
        let group = DispatchGroup()
        for thread in 0..<4 {
            group.enter()
            Thread {
                defer { group.leave() }
                // Created, used and closed on this thread only.
                guard let push = try? ZMQSocket(context, .push),
                      (try? push.configure { push throws(ZMQError) in try push.connect(address) }) != nil else { return }
                for n in 0..<50 { _ = try? push.send([[UInt8(thread), UInt8(n)]]) }
                push.close()
            }.start()
        }
        var seen = 0
        try pull.set(.receiveTimeout(2000))
        while seen < 200, try pull.receive() != nil { seen += 1 }
        group.wait()
        #expect(seen == 200)
    }

    /// Its owner closes it: closing again does nothing, and a closed socket refuses every use.
    @Test func aClosedSocketRefusesUseWithATypedError() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context, .dealer)
        socket.close()
        socket.close()
        #expect(throws: ZMQError(code: ENOTSOCK, operation: "zmq_connect(inproc://closed)")) { try socket.connect("inproc://closed") }
        #expect(throws: ZMQError.self) { try socket.send([[1]]) }
        #expect(throws: ZMQError.self) { try socket.receive(dontWait: true) }
    }

    /// A socket whose set-up fails is closed by `configure`: its maker throws, so nobody else would.
    @Test func aSocketWhoseSetUpFailsIsClosed() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context, .dealer)
        #expect(throws: ZMQError.self) { try socket.configure { socket throws(ZMQError) in try socket.bind("nonsense://x") } }
        #expect(throws: ZMQError(code: ENOTSOCK, operation: "zmq_connect(inproc://after)")) { try socket.connect("inproc://after") }
    }

    @Test func versionIsTheLinkedLibrary() {
        #expect(ZMQContext.version.major == 4)
    }
}
