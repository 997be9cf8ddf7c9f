// `offerloop keys new`: a key pair that belongs together, the secret readable by its owner only,
// and no silent overwrite.
import Foundation
import Testing
import ZeroMQ

@Suite(.enabled(if: CurveKeyPair.isSupported, "libzmq without CURVE")) struct KeysTests {
    @Test func aNewKeyPairIsWrittenOnceWithAPrivateSecret() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString.prefix(8))")
        let (status, output) = try run("offerloop", ["keys", "new", "kiosk-7", "--dir", dir.path])
        #expect(status == 0, "\(output)")
        let secretFile = dir.appendingPathComponent("kiosk-7.key")
        let secret = try #require(CurveKey(z85: try String(contentsOf: secretFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        let published = try String(contentsOf: dir.appendingPathComponent("kiosk-7.pub"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try CurveKeyPair(secretKey: secret).publicKey.z85 == published, "the public key is the secret key's")
        let mode = try FileManager.default.attributesOfItem(atPath: secretFile.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let (again, refusal) = try run("offerloop", ["keys", "new", "kiosk-7", "--dir", dir.path])
        #expect(again != 0 && refusal.contains("exists; --force replaces it"))
        #expect(try String(contentsOf: secretFile, encoding: .utf8).contains(secret.z85), "the first key is still there")
    }
}

extension KeysTests {
    /// `keys cluster` makes every pair the cluster needs once, with the allow-list by role;
    /// `keys new --role` adds one more to it.
    @Test func theClusterKeysComeWithTheirAllowList() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString.prefix(8))")
        let (status, output) = try run("offerloop", ["keys", "cluster", "--dir", dir.path])
        #expect(status == 0, "\(output)")
        func names(_ role: String) -> Set<String> {
            Set(((try? FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("allow/\(role)").path)) ?? []))
        }
        #expect(names("services") == ["profile.pub", "scoring.pub", "decision.pub", "feedback.pub", "echo.pub"])
        #expect(names("clients") == ["touchpoint.pub"] && names("admin") == ["ops.pub", "gateway.pub"])
        // The gateway's API keys: a touchpoint's and an operator's, the file holding their digests only.
        let touchpointKey = try String(contentsOf: dir.appendingPathComponent("touchpoint.api-key"), encoding: .utf8).trimmingCharacters(in: .newlines)
        let apiKeys = try String(contentsOf: dir.appendingPathComponent("api-keys"), encoding: .utf8)
        #expect(touchpointKey.hasPrefix("olk_") && !apiKeys.contains(touchpointKey))
        #expect(apiKeys.contains("\nclients touchpoint ") && apiKeys.contains("\nadmin ops "))
        let broker = try String(contentsOf: dir.appendingPathComponent("broker.key"), encoding: .utf8)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("broker.pub").path))
        #expect(try run("offerloop", ["keys", "cluster", "--dir", dir.path]).0 == 0)
        #expect(try String(contentsOf: dir.appendingPathComponent("broker.key"), encoding: .utf8) == broker, "a second run keeps the keys")
        #expect(try run("offerloop", ["keys", "new", "atm-1", "--role", "clients", "--dir", dir.path]).0 == 0)
        #expect(names("clients") == ["touchpoint.pub", "atm-1.pub"])
        #expect(try run("offerloop", ["keys", "new", "atm-2", "--role", "owners", "--dir", dir.path]).0 != 0, "an unknown role is refused")
    }
}
