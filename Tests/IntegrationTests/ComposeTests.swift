// The compose files: each one valid for docker-compose (`config` needs no Docker engine), the
// topology the same as scripts/cluster's, and only the broker binding ports.
import Foundation
import Testing
import Yams

struct ComposeTests {
    static let compose = repositoryRoot.appendingPathComponent("compose")

    static func dockerCompose(_ arguments: [String]) throws -> (Int32, String) {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/docker-compose") else {
            throw ComposeMissing()
        }
        return try run("/usr/bin/docker-compose", arguments)
    }

    struct ComposeMissing: Error, CustomStringConvertible {
        var description: String { "docker-compose is not installed: run the tests with scripts/test, which installs it" }
    }

    @Test(arguments: ["docker-compose.yml", "stack.yml"])
    func theComposeFileIsValid(_ name: String) throws {
        let file = Self.compose.appendingPathComponent(name).path
        let (status, output) = try Self.dockerCompose(["-f", file, "config", "-q"])
        #expect(status == 0 && output.isEmpty, "\(output)")
        let (_, services) = try Self.dockerCompose(["-f", file, "config", "--services"])
        #expect(Set(services.split(separator: "\n").map(String.init)) == ["broker", "profile", "scoring", "decision", "feedback", "postgres"])
        // Only the broker publishes a port: every other service connects, so any of them scales.
        let (_, resolved) = try Self.dockerCompose(["-f", file, "config"])
        let definitions = try #require((try Yams.load(yaml: resolved) as? [String: Any])?["services"] as? [String: [String: Any]])
        #expect(definitions.filter { $0.value["ports"] != nil }.map(\.key) == ["broker"])
    }
}
