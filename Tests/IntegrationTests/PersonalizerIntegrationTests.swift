// Azure Personalizer's applications moved to OfferLoop by changing endpoint and key: Microsoft's
// own Python clients from PyPI (azure-cognitiveservices-personalizer, azure-ai-personalizer) call
// two real gateways, online and apprentice, over a real cluster (clients/personalizer/
// check_personalizer.py); then the decision store must hold what they were shown and what they
// reported: the decisions under their eventIds, the outcomes of rewards and activations.
import Foundation
import Testing
import Transport
import Wire

@Suite(.serialized) struct PersonalizerIntegrationTests {
    /// Microsoft's clients, installed from PyPI once into a directory of the build's (test-only).
    static func clients() throws -> String {
        let target = repositoryRoot.appendingPathComponent(".build/personalizer-clients").path
        if !FileManager.default.fileExists(atPath: target + "/azure/ai/personalizer/__init__.py") {
            let (status, log) = try run("/usr/bin/env", ["python3", "-m", "pip", "install", "--quiet", "--target", target,
                                                         "azure-cognitiveservices-personalizer==0.1.1", "azure-ai-personalizer==1.0.0b1"],
                                        environment: ["PIP_ROOT_USER_ACTION": "ignore", "PIP_DISABLE_PIP_VERSION_CHECK": "1"])
            try #require(status == 0, "pip install of Microsoft's Personalizer clients: \(log)")
        }
        return target
    }

    @Test func microsoftsClientsRankRewardAndActivateThroughTheGateway() throws {
        let stack = try DecisionIntegrationTests.Stack()
        let cluster = stack.cluster
        // No control group: each rank shows the policy's choice (an anonymous visitor's random id
        // would put one rank in twenty in it; the control group has tests of its own).
        let catalog = try String(contentsOf: stack.catalog, encoding: .utf8)
        try catalog.replacingOccurrences(of: "\n  percent: 5\n", with: "\n  percent: 0\n")
            .replacingOccurrences(of: "version: \"2026-11-25.1\"", with: "version: personalizer-test")
            .write(to: stack.catalog, atomically: true, encoding: .utf8)
        let client = try cluster.client()
        defer { client.close() }
        let reloaded: CatalogReply = try client.call("decision", "reload_catalog", ReloadCatalogRequest(), timeoutMicros: 5_000_000)
        try #require(reloaded.reloaded && reloaded.version == "personalizer-test", "\(reloaded.errors)")
        // Two gateways (TestGateway: API keys made by `offerloop keys api`), one in apprentice mode;
        // the cluster's 5 s deadlines, not the gateway's 2 s, on a machine loaded by parallel tests
        // (with less, a visitor's decision may not see its new profile in time: no view, no offer).
        let online = try TestGateway.start(on: cluster, arguments: ["--deadline-ms", "5000"])
        let apprentice = try TestGateway.start(on: cluster, arguments: ["--deadline-ms", "5000", "--personalizer-learning-mode", "Apprentice"])
        let script = repositoryRoot.appendingPathComponent("clients/personalizer/check_personalizer.py").path
        let (status, output) = try run("/usr/bin/env", ["python3", script, "--endpoint", online.url, "--key", online.keys["tp"]!,
                                                        "--apprentice-endpoint", apprentice.url, "--apprentice-key", apprentice.keys["tp"]!],
                                       environment: ["PYTHONPATH": try Self.clients()])
        try #require(status == 0 && output.contains("personalizer clients ok"),
                     "\(output)\ndecisions (id: degraded): \((try? stack.query("SELECT id || ': ' || degraded FROM decisions")) ?? [])\n\(cluster.logTails())")
        struct Shown: Decodable { let shown: [String: [String]]; let generated: String }
        let result = try JSONDecoder().decode(Shown.self, from: Data(output.split(separator: "\n").last!.utf8))

        // Each rank is a decision under its eventId, showing what the client was told.
        let events = ["e-single", "e-deferred", result.generated, "e-identified", "e-new", "e-multi", "e-apprentice", "e-apprentice-multi"]
        #expect(try stack.query("SELECT id FROM decisions ORDER BY id") == events.sorted())
        var records: [String: DecisionRecord] = [:]
        for event in events {
            let hex = try #require(try stack.query("SELECT hex(record) FROM decisions WHERE id = '\(event)'").first)
            records[event] = try DecisionRecord(serializedBytes: Self.bytes(hex))
            #expect(records[event]?.offers.map(\.offerID) == result.shown[event], "\(event)")
        }
        let single = try #require(records["e-single"])
        let reasons = Dictionary(uniqueKeysWithValues: single.candidates.map { ($0.offerID, $0.reason) })
        #expect(reasons["personal_loan"] == "excluded" && reasons["home_insurance"] == "not_requested")
        #expect(single.context["page"] == "travel" && single.context["device.type"] == "mobile")
        #expect(records["e-multi"]?.offers.map(\.slotID) == ["main", "side"])
        // The identified rank is the named customer's; each anonymous one a visitor of its own.
        let ada: CustomerView = try client.call("profile", "view", CustomerViewRequest.with { $0.identity = .with { $0.kind = "login"; $0.value = "ada" } },
                                                timeoutMicros: 5_000_000)
        #expect(records["e-identified"]?.customerID == ada.customerID)
        let anonymous = events.filter { $0 != "e-identified" }.compactMap { records[$0]?.customerID }
        #expect(Set(anonymous).count == anonymous.count && !anonymous.contains(ada.customerID))
        for event in ["e-apprentice", "e-apprentice-multi"] {
            #expect(records[event]?.offers.allSatisfy { $0.probability == 1 && $0.reason.hasPrefix("baseline (apprentice mode)") } == true, "\(event)")
        }

        // Rewards and activations are outcomes (a rank not deferred is an impression at once, sent after its answer).
        let expected = [
            "e-single": ["impression", "accept"], "e-deferred": ["impression", "ignored"], result.generated: ["impression", "accept"],
            "e-identified": ["impression"], "e-new": ["impression", "accept"], "e-multi": ["impression", "impression", "accept", "ignored"],
            "e-apprentice": ["impression", "accept"], "e-apprentice-multi": ["impression", "impression"],
        ]
        let total = expected.values.map(\.count).reduce(0, +)
        let end = Date().addingTimeInterval(10)
        while try stack.query("SELECT COUNT(*) FROM outcomes") != ["\(total)"], Date() < end { Thread.sleep(forTimeInterval: 0.1) }
        for (event, types) in expected {
            let stored = try stack.query("SELECT type FROM outcomes WHERE decision_id = '\(event)' ORDER BY type")
            #expect(stored == types.sorted(), "\(event)")
        }
        // Each outcome is about the offer shown in its slot.
        #expect(try stack.query("SELECT offer_id FROM outcomes WHERE decision_id = 'e-multi' AND type = 'accept'") == [result.shown["e-multi"]![0]])
        #expect(try stack.query("SELECT offer_id FROM outcomes WHERE decision_id = 'e-multi' AND type = 'ignored'") == [result.shown["e-multi"]![1]])
        #expect(try stack.query("SELECT offer_id FROM outcomes WHERE decision_id = 'e-deferred' AND type = 'ignored'") == result.shown["e-deferred"])
    }

    static func bytes(_ hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }
}
