// `offerloop keys new NAME`: a CURVE key pair for a service, a touchpoint or an operator:
// NAME.key (the secret key, readable by its owner only) and NAME.pub (the public key, which
// goes on the broker's allow-list).
import ArgumentParser
import Foundation
import ZeroMQ

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Make CURVE key pairs.", subcommands: [New.self])

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new key pair: DIR/NAME.key (secret, mode 0600) and DIR/NAME.pub (public), each 40 Z85 characters.")

        @Argument(help: "Whose keys: a service, a touchpoint, an operator (letters, digits, '-', '_').")
        var name: String

        @Option(help: "Directory to write the keys to.")
        var dir: String = "keys"

        @Flag(help: "Replace existing keys of that name.")
        var force = false

        func validate() throws {
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                throw ValidationError("the name '\(name)' may hold only letters, digits, '-' and '_'")
            }
        }

        func run() throws {
            guard CurveKeyPair.isSupported else { throw ValidationError("this libzmq was built without CURVE (libsodium)") }
            let directory = URL(fileURLWithPath: dir)
            let secret = directory.appendingPathComponent("\(name).key"), pub = directory.appendingPathComponent("\(name).pub")
            if !force, let existing = [secret, pub].first(where: { FileManager.default.fileExists(atPath: $0.path) }) {
                throw ValidationError("\(existing.path) exists; --force replaces it")
            }
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let pair = try CurveKeyPair.generate()
            try? FileManager.default.removeItem(at: secret)  // a new file gets the mode; an old one would keep its own
            guard FileManager.default.createFile(atPath: secret.path, contents: Data((pair.secretKey.z85 + "\n").utf8), attributes: [.posixPermissions: 0o600]),
                  FileManager.default.createFile(atPath: pub.path, contents: Data((pair.publicKey.z85 + "\n").utf8), attributes: [.posixPermissions: 0o644]) else {
                throw ValidationError("cannot write the keys to \(directory.path)")
            }
            print("\(secret.path)  secret key: keep it with \(name) only")
            print("\(pub.path)  public key \(pair.publicKey.z85): put it on the broker's allow-list")
        }
    }
}
