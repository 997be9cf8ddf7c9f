// The shared store and stream option groups: their flags, and a store string that names no store
// refused at parsing with the flag named and no password shown.
import Store
import Testing
@testable import ProcessShell

struct StoreStreamOptionsTests {
    @Test func eachGroupReadsItsFlag() throws {
        let profile = try ProfileStoreOptions.parse(["--store", "sqlite:/tmp/p.sqlite"])
        #expect(try profile.location() == .sqlite(path: "/tmp/p.sqlite"))
        let decision = try DecisionStoreOptions.parse(["--store", "postgres://ada:pw@db:5433/offerloop"])
        #expect(try decision.location() == .postgres(PostgresSettings(host: "db", port: 5433, user: "ada", password: "pw", database: "offerloop")))
        #expect(try StreamSubscriberOptions.parse(["--stream", "tcp://10.0.0.1:6558"]).stream == "tcp://10.0.0.1:6558")
        #expect(try StreamPublisherOptions.parse(["--stream-in", "tcp://10.0.0.1:6557"]).streamIn == "tcp://10.0.0.1:6557")
    }

    @Test func aStoreThatIsNoStoreIsRefusedNamingTheFlag() {
        // Both store groups: parse a store string, and the usage message of what parsing threw.
        let groups: [(parse: (String) throws -> Void, message: (any Error) -> String)] = [
            ({ _ = try ProfileStoreOptions.parse(["--store", $0]) }, { ProfileStoreOptions.message(for: $0) }),
            ({ _ = try DecisionStoreOptions.parse(["--store", $0]) }, { DecisionStoreOptions.message(for: $0) }),
        ]
        for group in groups {
            let unknown = #expect(throws: (any Error).self) { try group.parse("mysql://db/offerloop") }
            #expect(group.message(unknown!) == "--store: unknown store 'mysql://db/offerloop': use sqlite:PATH or postgres://USER@HOST:PORT/DATABASE")
            let noHost = #expect(throws: (any Error).self) { try group.parse("postgres://ada:hunter2@/offerloop") }
            let message = group.message(noHost!)
            #expect(message.hasPrefix("--store: invalid PostgreSQL URL (no host)") && !message.contains("hunter2"), "\(message)")
        }
    }
}
