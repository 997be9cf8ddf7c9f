// Issue 17, points 2 and 3, through real processes: merging two known customers takes a services
// or admin key and an admin can undo it from the merge record; erasure reaches the decision store
// (decisions, outcomes, a journal copied afterwards) on SQLite and PostgreSQL; export shows them.
import Foundation
import Testing
import Transport
import Wire
import ZeroMQ

@Suite(.serialized) struct ComplianceIntegrationTests {
    typealias Stack = DecisionIntegrationTests.Stack

    @Test(.enabled(if: CurveKeyPair.isSupported, "libzmq without CURVE"))
    func onlyServicesAndAdminsMergeKnownCustomersAndAnAdminUndoesTheMerge() throws {
        let keys = try KeyDirectory(["services/profile", "services/crm", "clients/kiosk-7", "admin/ops"])
        let cluster = try Cluster(brokerArguments: keys.brokerArguments)
        let store = "sqlite:" + cluster.logDirectory.appendingPathComponent("profile.sqlite").path
        try DemoData.importAll(into: store)
        try cluster.startWorker("offerloop-profile", arguments: ["--store", store, "--stream", cluster.streamOut, "--stream-in", cluster.streamIn, "--frontend", cluster.frontend],
                                environment: keys.environment("services/profile"))
        func offerloop(_ arguments: [String], as name: String) throws -> (Int32, String) {
            try run("offerloop", arguments + ["--frontend", cluster.frontend], environment: keys.environment(name))
        }
        func bob(as name: String = "admin/ops") throws -> (Int32, String) { try offerloop(["customer", "view", "login:bob", "--brief"], as: name) }
        var view = try bob(as: "clients/kiosk-7")
        for _ in 0..<40 where view.0 != 0 {  // until the profile worker has registered
            Thread.sleep(forTimeInterval: 0.25)
            view = try bob(as: "clients/kiosk-7")
        }
        #expect(view.0 == 0 && view.1.contains("login:bob → customer 1002 (Bob Marley)"), "\(view.1)")

        let merge = ["customer", "merge", "login:ada", "login:bob", "--reason", "same person, two logins"]
        let byTouchpoint = try offerloop(merge, as: "clients/kiosk-7")
        #expect(byTouchpoint.0 != 0 && byTouchpoint.1.contains("UNAUTHORIZED") && byTouchpoint.1.contains("profile.merge"), "\(byTouchpoint.1)")
        #expect(try bob().1.contains("login:bob → customer 1002"), "nothing merged")
        let byService = try offerloop(merge, as: "services/crm")
        #expect(byService.0 == 0 && byService.1.contains("merged 1002 into 1001"), "\(byService.1)")
        #expect(try bob().1.contains("login:bob → customer 1001 (Ada Lovelace)"), "bob is now ada")

        for name in ["clients/kiosk-7", "services/crm"] {
            let refused = try offerloop(["customer", "unmerge", "1002"], as: name)
            #expect(refused.0 != 0 && refused.1.contains("UNAUTHORIZED") && refused.1.contains("profile.unmerge"), "\(name): \(refused.1)")
        }
        let undo = try offerloop(["customer", "unmerge", "1002"], as: "admin/ops")
        #expect(undo.0 == 0, "\(undo.1)")
        #expect(undo.1.contains("restored customer 1002 from 1001") && undo.1.contains("by services/crm"), "the record names the key: \(undo.1)")
        #expect(undo.1.contains("restored: identity login bob") && undo.1.contains("restored: attribute first_name"), "\(undo.1)")
        let restored = try bob()
        #expect(restored.1.contains("login:bob → customer 1002 (Bob Marley)"), "bob is himself again: \(restored.1)")
        let ada = try offerloop(["customer", "view", "login:ada", "--brief"], as: "admin/ops")
        #expect(ada.1.contains("login:ada → customer 1001 (Ada Lovelace)"), "and ada keeps her own name: \(ada.1)")
        let again = try offerloop(["customer", "unmerge", "1002"], as: "admin/ops")
        #expect(again.0 != 0 && again.1.contains("ALREADY_EXISTS") && again.1.contains("already undone"), "\(again.1)")
        #expect(cluster.stop().allSatisfy { $0 == 0 })
    }

    @Test(arguments: StoreKind.all)
    func erasureReachesEveryDecisionAndOutcomeAndExportShowsThem(_ store: StoreKind) throws {
        let stack = try Stack(store: store)
        let client = try stack.cluster.client()
        defer { client.close() }
        // Bob's decisions, those of dev (merged into bob afterwards) and chloe's, who stays.
        let bob = try DecisionIntegrationTests.decide(client, ("login", "bob"), .web, slots: 2)
        let dev = try DecisionIntegrationTests.decide(client, ("login", "dev"), .kiosk)
        let chloe = try DecisionIntegrationTests.decide(client, ("login", "chloe"), .web)
        #expect(try stack.logged([bob.decisionID, dev.decisionID, chloe.decisionID]).isSuperset(of: [bob.decisionID, dev.decisionID, chloe.decisionID]))
        let offer = try #require(bob.offers.first?.offerID)
        #expect(try FeedbackIntegrationTests.report(client, "bob-accept", bob.decisionID, offer, .accept).sequence == 1)
        let _: CustomerReply = try client.call("profile", "merge", MergeRequest.with {
            $0.survivor = .with { $0.kind = "login"; $0.value = "bob" }
            $0.merged = .with { $0.kind = "login"; $0.value = "dev" }
        })
        func offerloop(_ arguments: [String]) throws -> (Int32, String) {
            try run("offerloop", arguments + ["--frontend", stack.cluster.frontend])
        }

        let export = try offerloop(["customer", "export", "login:bob"])
        #expect(export.0 == 0, "\(export.1)")
        #expect(export.1.contains(bob.decisionID) && export.1.contains(dev.decisionID) && !export.1.contains(chloe.decisionID), "\(export.1)")
        #expect(export.1.contains("\"bob-accept\"") && export.1.contains("2 decisions, 1 outcomes"), "\(export.1)")
        #expect(export.1.contains("unauthenticated"), "the plaintext merge is recorded as unauthenticated: \(export.1)")

        // A decision still in a journal when bob is erased: the journal is copied only afterwards.
        let decision = stack.process("decision")
        decision.terminate()
        decision.waitUntilExit()
        try stack.cluster.waitForWorkers(0, of: "decision")
        let slow = try stack.cluster.startWorker("offerloop-decision", arguments: stack.decisionArguments + ["--journal-sync-ms", "600000"])
        try stack.cluster.waitForWorkers(1, of: "decision")
        let journaled = try DecisionIntegrationTests.decide(client, ("login", "bob"), .atm)
        stack.cluster.signal(slow, SIGKILL)
        slow.waitUntilExit()
        #expect(try stack.query("SELECT COUNT(*) FROM decisions WHERE id = '\(journaled.decisionID)'") == ["0"], "still only in its journal")

        let erase = try offerloop(["customer", "erase", "login:bob"])
        #expect(erase.0 == 0 && erase.1.contains("ids: 1002, 1004"), "\(erase.1)")
        #expect(erase.1.contains("pseudonymised in the decision store: 2 decisions, 1 outcomes"), "\(erase.1)")
        try stack.cluster.startWorker("offerloop-decision", arguments: stack.decisionArguments)
        #expect(try stack.logged([journaled.decisionID]).contains(journaled.decisionID), "the orphaned journal is copied")

        #expect(try stack.query("SELECT COUNT(*) FROM decisions WHERE customer_id IN ('1002', '1004')") == ["0"])
        #expect(try stack.query("SELECT COUNT(*) FROM decisions WHERE customer_id = ''") == ["3"], "the rows stay for the reports, without a customer")
        #expect(try stack.query("SELECT customer_id FROM decisions WHERE id = '\(chloe.decisionID)'") == ["1003"], "others are untouched")
        #expect(try stack.query("SELECT COUNT(*) FROM outcomes WHERE event_id = 'bob-accept' AND customer_id = ''") == ["1"])
        let replayed = try #require(try FeedbackIntegrationTests.replay(client).first { $0.outcome.eventID == "bob-accept" })
        #expect(replayed.outcome.customerID.isEmpty && replayed.features.isEmpty, "the stream's replay hands out no customer: \(replayed)")
        #expect(replayed.outcome.offerID == offer && replayed.outcome.type == .accept, "but still counts for the model")

        let again = try offerloop(["customer", "erase", "customer:1002"])
        #expect(again.0 == 0 && again.1.contains("0 rows deleted") && again.1.contains("0 decisions, 0 outcomes"), "erasing again is safe: \(again.1)")
    }
}
