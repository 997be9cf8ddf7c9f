// A broker's keys directory for CURVE tests: a key pair per "ROLE/NAME", each public key where
// the broker looks for it, and the environment a process connects with under that name.
import Foundation
import ZeroMQ

struct KeyDirectory {
    let broker: CurveKeyPair
    let path: URL
    private let pairs: [String: CurveKeyPair]

    /// `names`: "ROLE/NAME", e.g. "services/profile", "clients/kiosk-7", "admin/ops".
    init(_ names: [String]) throws {
        broker = try CurveKeyPair.generate()
        path = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString.prefix(8))")
        var pairs: [String: CurveKeyPair] = [:]
        for name in names {
            let pair = try CurveKeyPair.generate()
            let file = path.appendingPathComponent("\(name).pub")
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try (pair.publicKey.z85 + "\n").write(to: file, atomically: true, encoding: .utf8)
            pairs[name] = pair
        }
        self.pairs = pairs
    }

    var brokerArguments: [String] { ["--curve-secret-key", broker.secretKey.z85, "--keys-dir", path.path] }

    /// The environment of a process holding `name`'s key.
    func environment(_ name: String) -> [String: String] {
        ["OFFERLOOP_CURVE_SERVER_KEY": broker.publicKey.z85, "OFFERLOOP_CURVE_SECRET_KEY": pairs[name]!.secretKey.z85]
    }
}
