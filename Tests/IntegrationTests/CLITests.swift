// The offerloop command as a newcomer meets it: its version, a usage mistake answered with the
// usage of the command that was typed, and a clear word when no cluster is running at all.
import Foundation
import Testing
import Transport
import ZeroMQ

struct CLITests {
    @Test func theVersionIsPrinted() throws {
        let (status, output) = try run("offerloop", ["--version"])
        #expect(status == 0 && output.trimmingCharacters(in: .whitespacesAndNewlines) == OfferLoopVersion.current, "\(output)")
    }

    @Test func aSubcommandsMistakeShowsThatSubcommandsUsage() throws {
        // The identity is checked when the command runs, not when its flags are parsed.
        let (status, output) = try run("offerloop", ["decide", "--customer", "ada", "--channel", "atm"])
        #expect(status != 0 && output.contains("identity 'ada' must be KIND:VALUE"), "\(output)")
        #expect(output.contains("Usage: offerloop decide --customer <customer> --channel <channel>"), "\(output)")
        #expect(!output.contains("<subcommand>"), "\(output)")
    }

    @Test func aCatalogFileIsCheckedOfflineAsAReloadWould() throws {
        let sample = repositoryRoot.appendingPathComponent("examples/catalog/retail-bank.yaml").path
        let (status, output) = try run("offerloop", ["catalog", "check", sample])
        #expect(status == 0 && output.hasSuffix("catalog 2026-11-25.1, 10 offers: ok\n"), "\(output)")
        let broken = FileManager.default.temporaryDirectory.appendingPathComponent("broken-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: broken) }
        try (try String(contentsOfFile: sample, encoding: .utf8) + "\nstrategies: [{name: a, share: 60}]\n").write(to: broken, atomically: true, encoding: .utf8)
        let (refused, errors) = try run("offerloop", ["catalog", "check", broken.path])
        #expect(refused == 1 && errors.contains("\(broken.path):") && errors.contains("the strategies' shares sum to 60, not 100"), "\(errors)")
    }

    @Test func withNoBrokerTheCommandSaysSoAndHowToStartOne() throws {
        let context = try ZMQContext()
        defer { context.terminate() }
        let endpoint = "tcp://127.0.0.1:\(try OperationsTests.freePorts(1, context))"
        let (status, output) = try run("offerloop", ["decide", "--customer", "login:ada", "--channel", "atm", "--timeout-ms", "300", "--frontend", endpoint])
        #expect(status == 1, "\(output)")
        #expect(output.contains("no broker answered at \(endpoint)") && output.contains("scripts/cluster start"), "\(output)")
    }

    @Test func aServiceOptionOutOfRangeIsAUsageErrorNamingIt() throws {
        let (status, output) = try run("offerloop-feedback", ["--decision-wait-ms", "90000"])
        #expect(status != 0 && output.contains("--decision-wait-ms must be 0–60000 (ms), not 90000"), "\(output)")
    }

    @Test func aStoreThatIsNoStoreIsAUsageErrorNamingTheFlagAndHidingThePassword() throws {
        // Checked when the flags are parsed (the shared store option group), before any store is opened.
        let (status, output) = try run("offerloop", ["report", "--store", "mysql://db/offerloop"])
        #expect(status != 0 && output.contains("--store: unknown store 'mysql://db/offerloop'"), "\(output)")
        #expect(output.contains("Usage: offerloop report"), "\(output)")
        let (badURL, message) = try run("offerloop", ["report", "--store", "postgres://ada:hunter2@/offerloop"])
        #expect(badURL != 0 && message.contains("--store: invalid PostgreSQL URL (no host)"), "\(message)")
        #expect(!message.contains("hunter2"), "\(message)")
    }
}
