// API keys for the HTTP gateway, each held by one of the CURVE roles (clients, services, admin)
// and a name, so an HTTP caller may do what a ZeroMQ caller of that role may
// (BrokerSecurity.authorize). The keys file holds SHA-256 digests only, a key a line:
// `ROLE NAME DIGEST`; `offerloop keys api` adds a line and prints the key once.
import Crypto
import Foundation
import Wire

/// The holder of a key.
public struct APIKey: Sendable, Equatable {
    public let role: KeyRole
    public let name: String

    public init(role: KeyRole, name: String) {
        self.role = role
        self.name = name
    }

    /// "ROLE/NAME", as the broker names a CURVE key's holder.
    public var userID: String { "\(role.rawValue)/\(name)" }
}

public struct APIKeys: Sendable {
    private let holders: [String: APIKey]

    public var count: Int { holders.count }

    /// Reads a keys file; a bad line is named (file:line: what is wrong).
    public init(file: String) throws(ServiceError) {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw ServiceError(.invalidArgument, "cannot read the API keys file \(file)")
        }
        var holders: [String: APIKey] = [:]
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let fields = line.split(whereSeparator: \.isWhitespace)
            if fields.isEmpty || fields[0].hasPrefix("#") { continue }
            let place = "\(file):\(number + 1)"
            guard fields.count == 3 else { throw ServiceError(.invalidArgument, "\(place): expected ROLE NAME SHA256-DIGEST, found \(fields.count) fields") }
            guard let role = KeyRole(rawValue: String(fields[0])) else {
                throw ServiceError(.invalidArgument, "\(place): unknown role '\(fields[0])' (clients, services or admin)")
            }
            let digest = fields[2].lowercased()
            guard digest.count == 64, digest.allSatisfy(\.isHexDigit) else {
                throw ServiceError(.invalidArgument, "\(place): the digest must be 64 hex digits (SHA-256 of the key)")
            }
            guard holders[digest] == nil else { throw ServiceError(.invalidArgument, "\(place): the same key is listed twice") }
            holders[digest] = APIKey(role: role, name: String(fields[1]))
        }
        guard !holders.isEmpty else { throw ServiceError(.invalidArgument, "\(file) lists no keys: nobody could call the gateway") }
        self.holders = holders
    }

    /// The holder of `key`, if it is one of ours.
    public func holder(of key: String) -> APIKey? { holders[Self.digest(key)] }

    /// A new key: "olk_" and 256 random bits in hex.
    public static func newKey() -> String {
        var generator = SystemRandomNumberGenerator()
        return "olk_" + (0..<4).map { _ in String(format: "%016llx", generator.next() as UInt64) }.joined()
    }

    /// The keys file's line for `key`.
    public static func line(_ holder: APIKey, key: String) -> String { "\(holder.role.rawValue) \(holder.name) \(digest(key))" }

    static func digest(_ key: String) -> String {
        SHA256.hash(data: Data(key.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
