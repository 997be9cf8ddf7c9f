// The profile service as real processes: two replicas on one store, through the broker.
import Foundation
import SwiftProtobuf
import Testing
import Transport
import Wire
import ZeroMQ

/// The stores replicas can share: a SQLite file, or a fresh database on the PostgreSQL server
/// scripts/test starts (OFFERLOOP_TEST_POSTGRES_URL).
enum StoreKind: String, CaseIterable, Sendable {
    case sqlite, postgres

    static var all: [StoreKind] {
        // Set only to run without PostgreSQL on purpose (scripts/test never sets it).
        ProcessInfo.processInfo.environment["OFFERLOOP_SKIP_POSTGRES"] == "1" ? [.sqlite] : allCases
    }

    /// A new store; `name` names the SQLite file.
    func location(for cluster: Cluster, name: String = "profile") throws -> String {
        switch self {
        case .sqlite:
            return "sqlite:" + cluster.logDirectory.appendingPathComponent(name + ".sqlite").path
        case .postgres:
            guard let url = ProcessInfo.processInfo.environment["OFFERLOOP_TEST_POSTGRES_URL"], let slash = url.lastIndex(of: "/") else {
                throw ServiceError(.unavailable, "OFFERLOOP_TEST_POSTGRES_URL is not set: run the tests with scripts/test, which starts PostgreSQL")
            }
            let database = "it_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
            let psql = Process()
            psql.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
            psql.arguments = [url, "-q", "-c", "CREATE DATABASE \(database)"]
            try psql.run()
            psql.waitUntilExit()
            guard psql.terminationStatus == 0 else { throw ServiceError(.unavailable, "psql could not create database \(database)") }
            return url[...slash] + database
        }
    }
}

@Suite(.serialized) struct ProfileIntegrationTests {
    func startProfiles(_ cluster: Cluster, replicas: Int, store: StoreKind = .sqlite) throws {
        let location = try store.location(for: cluster)
        for _ in 0..<replicas { try cluster.startWorker("offerloop-profile", arguments: ["--store", location, "--stream", cluster.streamOut, "--stream-in", cluster.streamIn, "--frontend", cluster.frontend]) }
        try cluster.waitForWorkers(replicas, of: "profile")
    }

    @Test(arguments: StoreKind.all)
    func aReadAfterAnAcknowledgedWriteSeesItOnEitherReplica(_ store: StoreKind) throws {
        let cluster = try Cluster()
        try startProfiles(cluster, replicas: 2, store: store)
        let client = try cluster.client()
        defer { client.close() }
        let login = Identity.with { $0.kind = "login"; $0.value = "ada" }
        let created: CustomerReply = try client.call("profile", "upsert", UpsertCustomerRequest.with { $0.identity = login; $0.create = true })
        var readers: Set<String> = []
        var writers: Set<String> = []
        for round in 0..<20 {
            // Views on both replicas first, so each has the customer cached; three, so that
            // with the broker's turn-taking the write and the read below change replicas each round.
            for _ in 0..<3 { let _: CustomerView = try client.call("profile", "view", CustomerViewRequest.with { $0.identity = login }) }
            let _: CustomerReply = try client.call("profile", "upsert", UpsertCustomerRequest.with { $0.identity = login; $0.attributes = ["household_size": "\(round)"] })
            writers.insert(client.lastServedBy)
            let view: CustomerView = try client.call("profile", "view", CustomerViewRequest.with { $0.identity = login })
            readers.insert(client.lastServedBy)
            #expect(view.customerID == created.customerID)
            #expect(view.attributes["household_size"] == "\(round)", "round \(round): read on \(client.lastServedBy) after a write on another")
        }
        #expect(readers.count == 2 && writers.count == 2, "both replicas served reads and writes: \(readers) \(writers)")
        #expect(cluster.stop().allSatisfy { $0 == 0 })
    }

    @Test func theCommandLineWritesTheProfile() throws {
        let cluster = try Cluster()
        try startProfiles(cluster, replicas: 1)
        let client = try cluster.client()
        defer { client.close() }
        func offerloop(_ arguments: String...) throws -> String {
            let (status, output) = try run("offerloop", ["customer"] + arguments + ["--frontend", cluster.frontend])
            #expect(status == 0, "\(arguments): \(output)")
            return output
        }
        #expect(try offerloop("set", "login:zoe", "first_name=Zoe", "opt_out.web=true", "--create").contains("(a new customer)"))
        #expect(try offerloop("identity", "login:zoe", "phone:+447700900999").contains("identity phone:+447700900999 added"))
        _ = try offerloop("event", "phone:+447700900999", "complaint", "reason=fees", "--channel", "call_center", "--event-id", "cli-1")
        #expect(try offerloop("event", "phone:+447700900999", "complaint", "reason=fees", "--channel", "call_center", "--event-id", "cli-1").contains("already event complaint"))
        _ = try offerloop("holding", "login:zoe", "savings", "--balance", "1200")
        #expect(try offerloop("session", "login:zoe", "page=mortgages").contains("session page=mortgages"))
        #expect(try offerloop("set", "login:zoe", "--remove", "first_name").contains("attributes set -first_name"))

        let view: CustomerView = try client.call("profile", "view", CustomerViewRequest.with { $0.identity = .with { $0.kind = "phone"; $0.value = "+447700900999" }; $0.recentEvents = 5 })
        #expect(view.attributes["opt_out.web"] == "true" && view.attributes["first_name"] == nil && view.optedOut == [.web])
        #expect(view.holdings == ["savings"] && view.session["page"] == "mortgages")
        #expect(view.recentEvents.filter { $0.type == "complaint" }.count == 1 && view.recentEvents.first { $0.type == "complaint" }?.data["reason"] == "fees")
        // A mistake is named before anything is sent.
        let (status, output) = try run("offerloop", ["customer", "set", "login:zoe", "first_name", "--frontend", cluster.frontend])
        #expect(status != 0 && output.contains("attribute 'first_name' must be KEY=VALUE"), "\(output)")
    }

    @Test func badRequestsGetTypedErrorsAndTheServiceGoesOn() throws {
        let cluster = try Cluster()
        try startProfiles(cluster, replicas: 1)
        let client = try cluster.client()
        defer { client.close() }
        func failure(_ method: String, _ request: some SwiftProtobuf.Message) -> ServiceError? {
            do {
                _ = try client.call(BrokerClient.Call(service: "profile", method: method, payload: request.wireBytes()))
                return nil
            } catch {
                return error
            }
        }
        let unknown = failure("view", CustomerViewRequest.with { $0.identity = .with { $0.kind = "card"; $0.value = "4111111111111111" } })
        #expect(unknown == ServiceError(.notFound, "no customer with card …1111"))
        let malformed = failure("view", CustomerViewRequest.with { $0.identity = .with { $0.kind = "card"; $0.value = "12" } })
        #expect(malformed?.code == .invalidArgument && malformed?.message.contains("12 to 19 digits") == true)
        let login = Identity.with { $0.kind = "login"; $0.value = "bob" }
        let _: CustomerReply = try client.call("profile", "upsert", UpsertCustomerRequest.with { $0.identity = login; $0.create = true })
        let selfMerge = failure("merge", MergeRequest.with { $0.survivor = login; $0.merged = login })
        #expect(selfMerge?.code == .invalidArgument && selfMerge?.message.contains("cannot be merged into itself") == true)
        let oversized = failure("upsert", UpsertCustomerRequest.with { $0.identity = login; $0.attributes = ["note": String(repeating: "x", count: 5000)] })
        #expect(oversized?.code == .tooLarge)
        let garbage = try? client.call(BrokerClient.Call(service: "profile", method: "view", payload: [0xFF, 0xFF, 0xFF]))
        #expect(garbage == nil)
        let view: CustomerView = try client.call("profile", "view", CustomerViewRequest.with { $0.identity = login })
        #expect(view.attributes.isEmpty && view.identities.map(\.value) == ["bob"], "nothing half-written, and still serving")
    }
}
