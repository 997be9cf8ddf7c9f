// CURVE on every connection to the broker, when the environment asks for it. A process that
// connects (service, CLI, load generator) sets OFFERLOOP_CURVE_SERVER_KEY (the broker's public
// key) and OFFERLOOP_CURVE_SECRET_KEY (its own secret key; either may be a *_FILE); the broker
// sets its secret key and the directory of allowed public keys, by role (BrokerSecurity): only
// services register as workers and use the outcome stream, only admins call the admin methods.
// Without them, connections are plaintext and open: fine for the local demo, said loudly in the logs.
import Foundation
import Wire
import ZeroMQ

public enum ConnectionSecurity {
    /// The keys this process connects with, from the environment; nil: plaintext. Invalid or
    /// half-given keys stop the process (exit 78) rather than fall back to plaintext.
    public static let client: (keys: CurveKeyPair, server: CurveKey)? = {
        let serverText = Environment.value("OFFERLOOP_CURVE_SERVER_KEY"), secretText = Environment.value("OFFERLOOP_CURVE_SECRET_KEY")
        guard serverText != nil || secretText != nil else { return nil }
        guard let serverText, let server = CurveKey(z85: serverText) else {
            fail("OFFERLOOP_CURVE_SERVER_KEY must hold the broker's public key (40 Z85 characters)")
        }
        guard let secretText, let secret = CurveKey(z85: secretText), let keys = try? CurveKeyPair(secretKey: secret) else {
            fail("OFFERLOOP_CURVE_SECRET_KEY must hold this process's secret key (40 Z85 characters, `offerloop keys new`)")
        }
        return (keys, server)
    }()

    /// Makes `socket` (about to connect to the broker) a CURVE client when security is on.
    public static func secure(_ socket: ZMQSocket) throws(ZMQError) {
        guard let client else { return }
        try socket.set(.curveKeys(client.keys))
        try socket.set(.curveServerKey(client.server))
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
        exit(78)  // EX_CONFIG
    }
}

/// Who holds a key: the directory its public key is in, under the broker's keys directory.
public enum KeyRole: String, CaseIterable, Sendable {
    /// Touchpoints: requests to the services, nothing more.
    case client = "clients"
    /// Service replicas: also register as workers, publish and follow the outcome stream.
    case service = "services"
    /// Operators: everything, the admin methods included.
    case admin = "admin"
}

/// The broker's side: its key pair, the public keys it lets in, and what each role may do.
public struct BrokerSecurity: Sendable {
    public let keys: CurveKeyPair
    /// Each known public key and the user id of its connections, "ROLE/NAME" (e.g. "services/scoring").
    public let allowed: [CurveKey: String]
    /// The broker's request socket; the outcome stream's two sockets, for services and admins only.
    public static let zapDomain = "offerloop", streamDomain = "offerloop-stream"

    /// Methods only some roles may call; every other method is open to every known key. Stream
    /// followers (scoring, profile, decision) catch up by replay, so services may replay.
    public static let restrictedMethods: [String: Set<KeyRole>] = [
        "decision.reload_catalog": [.admin],
        "profile.erase": [.admin],
        "profile.export": [.admin],
        "profile.fit_value_model": [.admin],
        // Joining two known customers is a back-office decision, not a touchpoint's (a touchpoint
        // still links an anonymous visitor by add_identity); undoing one is an operator's.
        "profile.merge": [.admin, .service],
        "profile.unmerge": [.admin],
        "feedback.replay": [.admin, .service],
        // The profile stream's replay and snapshot: decision replicas start and catch up with them.
        "profile.changes": [.admin, .service],
        "profile.snapshot": [.admin, .service],
        "feedback.erase": [.admin],
        "feedback.export": [.admin],
    ]

    /// Reads `secretKey` (40 Z85 characters) and every ROLE/NAME.pub under `keysDirectory`
    /// (ROLE: clients, services, admin).
    public init(secretKey: String, keysDirectory: String) throws {
        guard let secret = CurveKey(z85: secretKey.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw SecurityError("the broker's secret key is not 40 Z85 characters (make one with `offerloop keys new broker`)")
        }
        keys = try CurveKeyPair(secretKey: secret)
        var allowed: [CurveKey: String] = [:]
        for role in KeyRole.allCases {
            let directory = URL(fileURLWithPath: keysDirectory).appendingPathComponent(role.rawValue)
            for file in (try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? [] where file.pathExtension == "pub" {
                let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
                guard let key = CurveKey(z85: text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                    throw SecurityError("\(file.path) does not hold a public key (40 Z85 characters)")
                }
                allowed[key] = "\(role.rawValue)/\(file.deletingPathExtension().lastPathComponent)"
            }
        }
        guard !allowed.isEmpty else {
            throw SecurityError("no public keys in \(keysDirectory)/{clients,services,admin}/NAME.pub: nobody could connect")
        }
        self.allowed = allowed
    }

    /// Makes a bound socket of the broker a CURVE server whose connections the ZAP handler checks.
    public func secure(_ socket: ZMQSocket, domain: String = zapDomain) throws(ZMQError) {
        try socket.set(.curveServer(true))
        try socket.set(.curveKeys(keys))
        try socket.set(.zapDomain(domain))
    }

    /// The role of a connection's user id ("ROLE/NAME"); nil for none.
    public static func role(of userID: String?) -> KeyRole? {
        guard let userID, let slash = userID.firstIndex(of: "/") else { return nil }
        return KeyRole(rawValue: String(userID[..<slash]))
    }

    /// Whether a known key may connect to a socket of `domain`: the stream is for services and admins.
    public static func admits(domain: String, userID: String) -> Bool {
        domain != streamDomain || role(of: userID).map { $0 != .client } ?? false
    }

    /// nil when the holder of `userID` may call `service`.`method`; else the typed refusal.
    public static func authorize(userID: String?, service: String, method: String) -> ServiceError? {
        guard let roles = restrictedMethods["\(service).\(method)"] else { return nil }
        if let role = role(of: userID), roles.contains(role) { return nil }
        let needed = roles.map(\.rawValue).sorted().joined(separator: " or ")
        return ServiceError(.unauthorized, "\(service).\(method) needs a key of \(needed); \(userID ?? "this connection") may not call it")
    }
}

public struct SecurityError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
