// CURVE keys (Curve25519, as libzmq uses them): 32 bytes, written as 40 characters of Z85 in
// key files and configuration. CURVE encrypts a connection; a ZAP handler that allows only
// known public keys (Transport's ZAPAuthenticator) makes it authentication too.
import CZeroMQ

public struct CurveKey: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    /// A key from its 40 Z85 characters; nil if the text is not one.
    public init?(z85 text: some StringProtocol) {
        let text = String(text)
        guard text.utf8.count == 40 else { return nil }
        var bytes = [UInt8](repeating: 0, count: 32)
        guard zmq_z85_decode(&bytes, text) != nil else { return nil }
        self.bytes = bytes
    }

    /// A key from its 32 bytes; nil for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    /// The 40 Z85 characters.
    public var z85: String {
        var text = [CChar](repeating: 0, count: 41)
        _ = zmq_z85_encode(&text, bytes, 32)
        return String(decoding: text.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public var description: String { z85 }
}

public struct CurveKeyPair: Sendable {
    public let publicKey: CurveKey
    public let secretKey: CurveKey

    /// Whether this libzmq was built with CURVE (libsodium).
    public static var isSupported: Bool { zmq_has("curve") != 0 }

    /// A new random key pair.
    public static func generate() throws(ZMQError) -> CurveKeyPair {
        var publicText = [CChar](repeating: 0, count: 41), secretText = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicText, &secretText) == 0 else { throw ZMQError.last("zmq_curve_keypair") }
        return CurveKeyPair(publicKey: Self.key(publicText), secretKey: Self.key(secretText))
    }

    /// The pair of a secret key (its public key derived from it).
    public init(secretKey: CurveKey) throws(ZMQError) {
        var publicText = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&publicText, secretKey.z85) == 0 else { throw ZMQError.last("zmq_curve_public") }
        self.init(publicKey: Self.key(publicText), secretKey: secretKey)
    }

    private init(publicKey: CurveKey, secretKey: CurveKey) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    private static func key(_ text: [CChar]) -> CurveKey {
        CurveKey(z85: String(decoding: text.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self))!
    }
}
