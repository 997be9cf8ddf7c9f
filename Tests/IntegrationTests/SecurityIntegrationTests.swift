// Security on, with the real binaries: the broker lets in only the public keys under its keys
// directory, by role. An unknown key and a plaintext client get nothing, a touchpoint's key cannot
// register as a worker nor call an admin method, an admin's can; the services keep serving the
// known clients throughout.
import Foundation
import Testing
import ZeroMQ

@Suite(.enabled(if: CurveKeyPair.isSupported, "libzmq without CURVE")) struct SecurityIntegrationTests {
    @Test func onlyKnownKeysGetInAndOnlyAdminsCallAdminMethods() throws {
        let broker = try CurveKeyPair.generate(), echo = try CurveKeyPair.generate(), profile = try CurveKeyPair.generate()
        let touchpoint = try CurveKeyPair.generate(), operator_ = try CurveKeyPair.generate(), stranger = try CurveKeyPair.generate()
        let keys = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString.prefix(8))")
        func write(_ text: String, _ path: String) throws {
            let file = keys.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try (text + "\n").write(to: file, atomically: true, encoding: .utf8)
        }
        try write(echo.publicKey.z85, "services/echo.pub")
        try write(profile.publicKey.z85, "services/profile.pub")
        try write(touchpoint.publicKey.z85, "clients/kiosk-7.pub")
        try write(operator_.publicKey.z85, "admin/ops.pub")
        // The services read their secret keys from files, as from compose secrets.
        try write(echo.secretKey.z85, "secret/echo.key")
        try write(profile.secretKey.z85, "secret/profile.key")
        func keyed(_ secret: CurveKey) -> [String: String] {
            ["OFFERLOOP_CURVE_SERVER_KEY": broker.publicKey.z85, "OFFERLOOP_CURVE_SECRET_KEY": secret.z85]
        }
        func keyedFile(_ name: String) -> [String: String] {
            ["OFFERLOOP_CURVE_SERVER_KEY": broker.publicKey.z85, "OFFERLOOP_CURVE_SECRET_KEY_FILE": keys.appendingPathComponent("secret/\(name).key").path]
        }

        let cluster = try Cluster(brokerArguments: ["--curve-secret-key", broker.secretKey.z85, "--keys-dir", keys.path])
        try cluster.startWorker(environment: keyedFile("echo"))
        let store = cluster.logDirectory.appendingPathComponent("profile.sqlite").path
        try cluster.startWorker("offerloop-profile", arguments: ["--store", "sqlite:\(store)", "--stream", cluster.streamOut, "--stream-in", cluster.streamIn, "--frontend", cluster.frontend],
                                environment: keyedFile("profile"))
        func offerloop(_ arguments: [String], _ environment: [String: String]) throws -> (Int32, String) {
            try run("offerloop", arguments + ["--frontend", cluster.frontend], environment: environment)
        }
        func ping(_ environment: [String: String]) throws -> (Int32, String) { try offerloop(["ping", "echo", "--timeout-ms", "1500"], environment) }
        for service in ["echo", "profile"] {  // until both workers have registered
            var answer = try offerloop(["ping", service, "--timeout-ms", "1500"], keyed(touchpoint.secretKey))
            for _ in 0..<40 where answer.0 != 0 {
                Thread.sleep(forTimeInterval: 0.25)
                answer = try offerloop(["ping", service, "--timeout-ms", "1500"], keyed(touchpoint.secretKey))
            }
            #expect(answer.0 == 0 && answer.1.contains("\(service)-"), "the known touchpoint reaches the \(service) worker: \(answer.1)")
        }

        let unknown = try ping(keyed(stranger.secretKey))
        // Refused at the handshake: the request cannot be sent (UNAVAILABLE) or, sent before the
        // refusal, is never answered (DEADLINE_EXCEEDED).
        func refusedAtTheDoor(_ answer: (Int32, String)) -> Bool {
            answer.0 != 0 && (answer.1.contains("DEADLINE_EXCEEDED") || answer.1.contains("UNAVAILABLE"))
        }
        #expect(refusedAtTheDoor(unknown), "an unknown key gets nothing: \(unknown.1)")
        let plaintext = try ping([:])
        #expect(refusedAtTheDoor(plaintext), "a plaintext client gets nothing: \(plaintext.1)")
        let refused = try ping(["OFFERLOOP_CURVE_SERVER_KEY": "not a key"])
        #expect(refused.0 == 78 && refused.1.contains("OFFERLOOP_CURVE_SERVER_KEY"), "a broken key stops the client: \(refused.1)")

        // Erasure is an admin method: the touchpoint is refused by the broker; the operator gets
        // through to the profile service, which answers for the customer it does not know.
        let erase = ["customer", "erase", "login:nobody"]
        let byTouchpoint = try offerloop(erase, keyed(touchpoint.secretKey))
        #expect(byTouchpoint.0 != 0 && byTouchpoint.1.contains("UNAUTHORIZED") && byTouchpoint.1.contains("profile.erase"), "\(byTouchpoint.1)")
        let byOperator = try offerloop(erase, keyed(operator_.secretKey))
        #expect(byOperator.0 != 0 && byOperator.1.contains("NOT_FOUND"), "the operator's erasure reaches the profile service: \(byOperator.1)")
        let reload = try offerloop(["catalog", "--reload"], keyed(touchpoint.secretKey))
        #expect(reload.1.contains("UNAUTHORIZED") && reload.1.contains("decision.reload_catalog"), "\(reload.1)")

        // A touchpoint in another language speaks CURVE too (pyzmq).
        let script = repositoryRoot.appendingPathComponent("examples/python/touchpoint.py").path
        let python = try run("/usr/bin/env", ["python3", script, "--frontend", cluster.frontend], environment: keyed(touchpoint.secretKey))
        #expect(python.0 == 0 && python.1.contains("echo: 'hello from python' from echo-"), "\(python.1)")

        // A touchpoint's key cannot serve: its worker is refused, and the known worker keeps the service.
        try cluster.startWorker(environment: keyed(touchpoint.secretKey))
        Thread.sleep(forTimeInterval: 0.5)
        #expect(try ping(keyed(touchpoint.secretKey)).0 == 0, "and the known ones are still served")

        let log = try String(contentsOf: cluster.logDirectory.appendingPathComponent("broker.log"), encoding: .utf8)
        #expect(log.contains("security on") && log.contains("unknown public key") && log.contains("refused a worker: only service keys serve"))
        #expect(log.contains("admin/ops,clients/kiosk-7,services/echo,services/profile"), "the broker names the keys it lets in")
    }
}
