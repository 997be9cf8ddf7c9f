// `offerloop keys new NAME [--role ROLE]`: a CURVE key pair for a service, a touchpoint or an
// operator: NAME.key (the secret key, readable by its owner only) and NAME.pub (the public key),
// which with --role goes straight into the broker's keys directory, allow/ROLE/NAME.pub.
// `offerloop keys cluster`: every key the cluster needs (compose and `scripts/cluster --secure`).
// `offerloop keys api NAME --role ROLE --file FILE`: an API key for the HTTP gateway (its digest
// added to FILE, the key printed once).
import ArgumentParser
import Foundation
import Transport
import ZeroMQ

extension KeyRole: ExpressibleByArgument {}

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Make CURVE key pairs, and the HTTP gateway's API keys.", subcommands: [New.self, Cluster.self, API.self])

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new key pair: DIR/NAME.key (secret, mode 0600) and DIR/NAME.pub, or DIR/allow/ROLE/NAME.pub with --role (public), each 40 Z85 characters.")

        @Argument(help: "Whose keys: a service, a touchpoint, an operator (letters, digits, '-', '_').")
        var name: String

        @Option(help: "Put the public key on the broker's allow-list as this role: clients (touchpoints), services, admin (operators).")
        var role: KeyRole?

        @Option(help: "Directory to write the keys to.")
        var dir: String = "keys"

        @Flag(help: "Replace existing keys of that name.")
        var force = false

        func validate() throws { try Self.validate(name: name) }

        static func validate(name: String) throws {
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                throw ValidationError("the name '\(name)' may hold only letters, digits, '-' and '_'")
            }
        }

        func run() throws {
            let (secret, pub) = KeysCommand.files(name, role: role, dir: dir)
            if !force, let existing = [secret, pub].first(where: { FileManager.default.fileExists(atPath: $0.path) }) {
                throw ValidationError("\(existing.path) exists; --force replaces it")
            }
            let key = try KeysCommand.write(secret: secret, public: pub)
            print("\(secret.path)  secret key: keep it with \(name) only")
            print("\(pub.path)  public key \(key.z85)\(role == nil ? ": put it on the broker's allow-list" : "; the broker lets it in from its next start")")
        }
    }

    struct Cluster: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write every key pair the cluster needs that DIR does not hold yet: the broker's, each service's, the gateway's, a touchpoint's and an operator's, with the allow-list in DIR/allow; and the gateway's API keys file DIR/api-keys with a touchpoint's and an operator's key.")

        @Option(help: "Directory to write the keys to.")
        var dir: String = "keys"

        /// Who gets keys, and as what; the broker's own pair has no role.
        static let holders: [(String, KeyRole?)] = [("broker", nil)]
            + ["profile", "scoring", "decision", "feedback", "echo"].map { ($0, .service) }
            + [("touchpoint", .client), ("ops", .admin)]
            // The HTTP gateway passes on what its API keys' roles allow (it checks them by the
            // broker's own table), an admin's reload among them.
            + [("gateway", .admin)]

        func run() throws {
            for (name, role) in Self.holders {
                let (secret, pub) = KeysCommand.files(name, role: role, dir: dir)
                guard !FileManager.default.fileExists(atPath: secret.path) else { continue }
                _ = try KeysCommand.write(secret: secret, public: pub)
                print("\(secret.path)")
            }
            // The gateway's API keys: a touchpoint's and an operator's, each key in NAME.api-key.
            let apiKeys = URL(fileURLWithPath: dir).appendingPathComponent("api-keys").path
            if !FileManager.default.fileExists(atPath: apiKeys) {
                for (name, role) in [("touchpoint", KeyRole.client), ("ops", .admin)] {
                    let key = try API.add(name: name, role: role, file: apiKeys)
                    let path = URL(fileURLWithPath: dir).appendingPathComponent("\(name).api-key").path
                    guard FileManager.default.createFile(atPath: path, contents: Data((key + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
                        throw ValidationError("cannot write \(path)")
                    }
                }
                print(apiKeys)
            }
            print("keys in \(dir): the broker's allow-list is \(dir)/allow; the gateway's API keys \(apiKeys) (touchpoint.api-key, ops.api-key)")
        }
    }

    struct API: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "api",
            abstract: "Make an API key for the HTTP gateway: its SHA-256 digest goes into FILE (the gateway's --api-keys, read at its start); the key is printed once, to give to its holder.")

        @Argument(help: "Whose key: a touchpoint, an agent (e.g. agent-ada), an operator (letters, digits, '-', '_').")
        var name: String

        @Option(help: "What the key may do, as a CURVE key of that role at the broker: clients (touchpoints, agents), services, admin (operators).")
        var role: KeyRole = .client

        @Option(help: "The gateway's API keys file; made if missing.")
        var file: String = "api-keys"

        func validate() throws { try New.validate(name: name) }

        func run() throws {
            let key = try Self.add(name: name, role: role, file: file)
            FileHandle.standardError.write(Data("\(file): \(role.rawValue) \(name) added; the gateway reads it at its next start. The key (shown once):\n".utf8))
            print(key)
        }

        /// Adds a new key's line to `file` (made, readable by its owner only, if missing); returns the key.
        static func add(name: String, role: KeyRole, file: String) throws -> String {
            let key = APIKeys.newKey()
            if !FileManager.default.fileExists(atPath: file) {
                guard FileManager.default.createFile(atPath: file, contents: Data("# ROLE NAME SHA256 (offerloop keys api)\n".utf8), attributes: [.posixPermissions: 0o600]) else {
                    throw ValidationError("cannot write \(file)")
                }
            }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data((APIKeys.line(APIKey(role: role, name: name), key: key) + "\n").utf8))
            return key
        }
    }

    static func files(_ name: String, role: KeyRole?, dir: String) -> (secret: URL, public: URL) {
        let directory = URL(fileURLWithPath: dir)
        let publicDirectory = role.map { directory.appendingPathComponent("allow").appendingPathComponent($0.rawValue) } ?? directory
        return (directory.appendingPathComponent("\(name).key"), publicDirectory.appendingPathComponent("\(name).pub"))
    }

    /// Writes a new pair; returns its public key.
    static func write(secret: URL, public pub: URL) throws -> CurveKey {
        guard CurveKeyPair.isSupported else { throw ValidationError("this libzmq was built without CURVE (libsodium)") }
        for directory in [secret, pub].map({ $0.deletingLastPathComponent() }) {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        let pair = try CurveKeyPair.generate()
        try? FileManager.default.removeItem(at: secret)  // a new file gets the mode; an old one would keep its own
        guard FileManager.default.createFile(atPath: secret.path, contents: Data((pair.secretKey.z85 + "\n").utf8), attributes: [.posixPermissions: 0o600]),
              FileManager.default.createFile(atPath: pub.path, contents: Data((pair.publicKey.z85 + "\n").utf8), attributes: [.posixPermissions: 0o644]) else {
            throw ValidationError("cannot write the keys to \(secret.deletingLastPathComponent().path)")
        }
        return pair.publicKey
    }
}
