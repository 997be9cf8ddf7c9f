// CURVE with the ZAP handler over real tcp sockets: a client whose public key is on the
// allow-list talks, one with an unknown key and one in plaintext are refused.
import Foundation
import Logging
import Testing
import ZeroMQ
@testable import Transport

@Suite(.enabled(if: CurveKeyPair.isSupported, "libzmq without CURVE")) struct ZAPAuthenticatorTests {
    @Test func keysSurviveTheirTextForm() throws {
        let pair = try CurveKeyPair.generate()
        #expect(pair.publicKey.z85.count == 40 && CurveKey(z85: pair.publicKey.z85) == pair.publicKey)
        #expect(try CurveKeyPair(secretKey: pair.secretKey).publicKey == pair.publicKey, "the public key follows from the secret one")
        #expect(CurveKey(z85: "not a key") == nil && CurveKey(bytes: [1, 2, 3]) == nil)
    }

    @Test func onlyKnownKeysGetThroughAndTheStreamOnlyToServices() throws {
        let context = try ZMQContext()
        defer { context.terminate() }
        let stop = StopSignal()
        defer { stop.raise() }
        let server = try CurveKeyPair.generate(), known = try CurveKeyPair.generate(), service = try CurveKeyPair.generate()
        let stranger = try CurveKeyPair.generate()
        let authenticator = ZAPAuthenticator(allowed: [known.publicKey: "clients/kiosk-7", service.publicKey: "services/scoring"],
                                             admits: BrokerSecurity.admits, context: context, logger: Logger(label: "test"))
        try authenticator.start(until: stop)

        func router(_ domain: String) throws -> (ZMQSocket, String) {
            let router = try ZMQSocket(context, .router)
            try router.set(.curveServer(true))
            try router.set(.curveKeys(server))
            try router.set(.zapDomain(domain))
            try router.set(.receiveTimeout(1_000))
            try router.bind("tcp://127.0.0.1:*")
            return (router, try router.lastEndpoint)
        }
        let (requests, requestsEndpoint) = try router(BrokerSecurity.zapDomain), (stream, streamEndpoint) = try router(BrokerSecurity.streamDomain)
        defer { requests.close(); stream.close() }

        /// Sends "hello" to `endpoint` from a new DEALER with `keys` (nil: plaintext); returns the
        /// sender's user id when the server got it.
        func hello(_ keys: CurveKeyPair?, to endpoint: String, _ receiver: ZMQSocket) throws -> String?? {
            let dealer = try ZMQSocket(context, .dealer)
            defer { dealer.close() }
            try dealer.set(.linger(0))
            if let keys {
                try dealer.set(.curveKeys(keys))
                try dealer.set(.curveServerKey(server.publicKey))
            }
            try dealer.connect(endpoint)
            try dealer.send([Array("hello".utf8)])
            guard let (frames, user) = try receiver.receive(property: "User-Id"), frames.last == Array("hello".utf8) else { return nil }
            return .some(user)
        }

        #expect(try hello(known, to: requestsEndpoint, requests) == "clients/kiosk-7", "a known key talks, named after its key")
        #expect(try hello(stranger, to: requestsEndpoint, requests) == nil, "an unknown key is refused")
        #expect(try hello(nil, to: requestsEndpoint, requests) == nil, "plaintext is refused")
        #expect(try hello(service, to: streamEndpoint, stream) == "services/scoring", "a service joins the outcome stream")
        #expect(try hello(known, to: streamEndpoint, stream) == nil, "a touchpoint does not")
        #expect(authenticator.decisions == [
            .init(mechanism: "CURVE", key: known.publicKey.z85, allowed: true),
            .init(mechanism: "CURVE", key: stranger.publicKey.z85, allowed: false),
            .init(mechanism: "CURVE", key: service.publicKey.z85, allowed: true),
            .init(mechanism: "CURVE", key: known.publicKey.z85, allowed: false),
        ])
    }

    @Test func adminMethodsNeedTheirRole() {
        #expect(BrokerSecurity.authorize(userID: "clients/kiosk-7", service: "decision", method: "decide") == nil)
        let refusal = BrokerSecurity.authorize(userID: "clients/kiosk-7", service: "profile", method: "erase")
        #expect(refusal?.code == .unauthorized && refusal?.message.contains("profile.erase needs a key of admin") == true, "\(String(describing: refusal))")
        #expect(BrokerSecurity.authorize(userID: "admin/ops", service: "profile", method: "erase") == nil)
        #expect(BrokerSecurity.authorize(userID: "services/scoring", service: "feedback", method: "replay") == nil, "stream followers replay")
        #expect(BrokerSecurity.authorize(userID: "services/scoring", service: "decision", method: "reload_catalog")?.code == .unauthorized)
        #expect(BrokerSecurity.authorize(userID: nil, service: "feedback", method: "replay")?.code == .unauthorized)
        // The profile stream's replay and snapshot hold every customer's state: services and admins only.
        for method in ["changes", "snapshot"] {
            #expect(BrokerSecurity.authorize(userID: "services/decision", service: "profile", method: method) == nil)
            #expect(BrokerSecurity.authorize(userID: "admin/ops", service: "profile", method: method) == nil)
            #expect(BrokerSecurity.authorize(userID: "clients/kiosk-7", service: "profile", method: method)?.code == .unauthorized)
        }
        #expect(BrokerSecurity.role(of: "admin/ops") == .admin && BrokerSecurity.role(of: "ops") == nil)
    }

    /// A touchpoint links an anonymous visitor (add_identity) but does not join two known
    /// customers (merge); only an operator undoes a merge or erases in the decision store.
    @Test func mergingKnownCustomersNeedsAServiceOrAdminKey() {
        #expect(BrokerSecurity.authorize(userID: "clients/web", service: "profile", method: "add_identity") == nil)
        let refusal = BrokerSecurity.authorize(userID: "clients/web", service: "profile", method: "merge")
        #expect(refusal?.code == .unauthorized && refusal?.message.contains("profile.merge needs a key of admin or services") == true, "\(String(describing: refusal))")
        #expect(BrokerSecurity.authorize(userID: "services/crm", service: "profile", method: "merge") == nil)
        #expect(BrokerSecurity.authorize(userID: "admin/ops", service: "profile", method: "merge") == nil)
        for method in ["profile.unmerge", "feedback.erase", "feedback.export"] {
            let parts = method.split(separator: ".").map(String.init)
            #expect(BrokerSecurity.authorize(userID: "services/crm", service: parts[0], method: parts[1])?.code == .unauthorized, "\(method)")
            #expect(BrokerSecurity.authorize(userID: "admin/ops", service: parts[0], method: parts[1]) == nil, "\(method)")
        }
    }
}
