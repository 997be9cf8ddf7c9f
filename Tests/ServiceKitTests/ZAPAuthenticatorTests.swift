// CURVE with the ZAP handler over real tcp sockets: a client whose public key is on the
// allow-list talks, one with an unknown key and one in plaintext are refused.
import Foundation
import Logging
import Testing
import ZeroMQ
@testable import ServiceKit

@Suite(.enabled(if: CurveKeyPair.isSupported, "libzmq without CURVE")) struct ZAPAuthenticatorTests {
    @Test func keysSurviveTheirTextForm() throws {
        let pair = try CurveKeyPair.generate()
        #expect(pair.publicKey.z85.count == 40 && CurveKey(z85: pair.publicKey.z85) == pair.publicKey)
        #expect(try CurveKeyPair(secretKey: pair.secretKey).publicKey == pair.publicKey, "the public key follows from the secret one")
        #expect(CurveKey(z85: "not a key") == nil && CurveKey(bytes: [1, 2, 3]) == nil)
    }

    @Test func onlyKnownKeysGetThrough() throws {
        let context = try ZMQContext()
        defer { context.terminate() }
        let stop = StopSignal()
        defer { stop.raise() }
        let server = try CurveKeyPair.generate(), known = try CurveKeyPair.generate(), stranger = try CurveKeyPair.generate()
        let authenticator = ZAPAuthenticator(allowed: [known.publicKey: "kiosk-7"], context: context, logger: Logger(label: "test"))
        try authenticator.start(until: stop)

        let router = try ZMQSocket(context, .router)
        defer { router.close() }
        try router.set(.curveServer(true))
        try router.set(.curveKeys(server))
        try router.set(.zapDomain("offerloop"))
        try router.set(.receiveTimeout(1_000))
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint

        /// Sends "hello" from a new DEALER set up by `configure`; returns what the server got.
        func hello(_ configure: (ZMQSocket) throws -> Void) throws -> [[UInt8]]? {
            let dealer = try ZMQSocket(context, .dealer)
            defer { dealer.close() }
            try dealer.set(.linger(0))
            try configure(dealer)
            try dealer.connect(endpoint)
            try dealer.send([Array("hello".utf8)])
            return try router.receive()
        }

        let welcome = try hello { try $0.set(.curveKeys(known)); try $0.set(.curveServerKey(server.publicKey)) }
        #expect(welcome?.last == Array("hello".utf8), "a known key talks")
        #expect(try hello { try $0.set(.curveKeys(stranger)); try $0.set(.curveServerKey(server.publicKey)) } == nil, "an unknown key is refused")
        #expect(try hello { _ in } == nil, "plaintext is refused")
        #expect(authenticator.decisions == [
            .init(mechanism: "CURVE", key: known.publicKey.z85, allowed: true),
            .init(mechanism: "CURVE", key: stranger.publicKey.z85, allowed: false),
        ])
    }
}
