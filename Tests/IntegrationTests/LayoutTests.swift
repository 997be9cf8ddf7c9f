// The README's module diagram is the package: every target in the subgraph of its kind, every
// dependency Package.swift declares drawn and none it does not; and the rules between the kinds
// hold (a core uses no adapter and not the process shell; the transport never uses the shell).
// scripts/lib/layout-check.py decides from `swift package dump-package`; these tests run it.
import Foundation
import Testing

struct LayoutTests {
    static let readme = repositoryRoot.appendingPathComponent("README.md")
    static let checker = repositoryRoot.appendingPathComponent("scripts/lib/layout-check.py").path

    /// The package as SwiftPM reads it, in a file of its own (a scratch path of its own, so
    /// that the build directory's lock, held while the tests run, does not block it).
    static func dumpPackage() throws -> URL {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("layout-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["swift", "package", "--package-path", repositoryRoot.path, "--scratch-path", scratch.path, "dump-package"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let json = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("package-\(UUID().uuidString).json")
        try json.write(to: file)
        return file
    }

    /// layout-check's verdict on a README and a package dump.
    static func check(readme: String, package: URL) throws -> (Int32, String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("README-\(UUID().uuidString).md")
        defer { try? FileManager.default.removeItem(at: file) }
        try readme.write(to: file, atomically: true, encoding: .utf8)
        return try run("/usr/bin/env", ["python3", checker, file.path, "--package", package.path])
    }

    @Test func theDiagramIsThePackage() throws {
        let (status, output) = try run("/usr/bin/env", ["python3", Self.checker])
        #expect(status == 0 && output.hasPrefix("layout ok: "), "\(output)")
    }

    /// The check can fail: a dependency left out, one drawn that is not declared, a target left
    /// out, one drawn that does not exist, one drawn in the wrong kind and one drawn twice are each named.
    @Test func aDiagramThatDriftedIsRefusedWithWhatIsWrong() throws {
        let package = try Self.dumpPackage()
        defer { try? FileManager.default.removeItem(at: package) }
        let original = try String(contentsOf: Self.readme, encoding: .utf8)
        for (change, expected) in [
            (("  Echo --> ProcessShell & Transport\n", "  Echo --> Transport\n"), "dependency Echo --> ProcessShell is missing from the diagram"),
            (("  ZeroMQ --> CZeroMQ\n", "  ZeroMQ --> CZeroMQ\n  Transport --> ProcessShell\n"),
             "the diagram shows Transport --> ProcessShell, which Package.swift does not declare"),
            (("    WireFuzzing\n", ""), "target WireFuzzing is missing from the diagram"),
            (("    CZeroMQ\n", "    CZeroMQ\n    ServiceKit\n"), "the diagram shows ServiceKit, which is no target"),
            (("    DecisionRecords\n  end\n  subgraph Cores[\"Cores (pure)\"]\n", "  end\n  subgraph Cores[\"Cores (pure)\"]\n    DecisionRecords\n"),
             "target DecisionRecords is drawn in Cores, but its sources are in Adapters"),
            (("    Effectiveness\n", "    Effectiveness\n    ProfileStore\n"), "ProfileStore is drawn twice (Adapters and Cores)"),
        ] {
            #expect(original.contains(change.0), "\(change.0)")
            let (status, output) = try Self.check(readme: original.replacingOccurrences(of: change.0, with: change.1), package: package)
            #expect(status != 0 && output.contains(expected), "\(change.1): \(output)")
        }
    }

    /// The rules hold whatever the diagram says: a core that would use an adapter or the process
    /// shell, and a transport that would use the shell, are refused.
    @Test(arguments: [
        ("ScoringCore", "ProfileStore", "core ScoringCore depends on ProfileStore: a core depends on no adapter and not on the process shell"),
        ("Effectiveness", "ProcessShell", "core Effectiveness depends on ProcessShell: a core depends on no adapter and not on the process shell"),
        ("Transport", "ProcessShell", "Transport depends on ProcessShell: the transport never depends on the process shell"),
    ])
    func aDependencyAgainstTheRulesIsRefused(_ source: String, _ target: String, _ expected: String) throws {
        let package = try Self.dumpPackage()
        defer { try? FileManager.default.removeItem(at: package) }
        var dump = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: package)) as? [String: Any])
        var targets = try #require(dump["targets"] as? [[String: Any]])
        let index = try #require(targets.firstIndex { $0["name"] as? String == source })
        targets[index]["dependencies"] = (targets[index]["dependencies"] as? [Any] ?? []) + [["byName": [target, NSNull()]]]
        dump["targets"] = targets
        try JSONSerialization.data(withJSONObject: dump).write(to: package)
        let (status, output) = try Self.check(readme: try String(contentsOf: Self.readme, encoding: .utf8), package: package)
        #expect(status != 0 && output.contains(expected), "\(output)")
    }
}
